"""Every physical and behavioural assumption of the simulator that a scenario
family varies, with the value the base simulator uses as its default.

A :class:`~ceasefire.simulate.profiles.Profile` says how much happens and how
densely it is watched; :class:`Assumptions` says how the world behaves: how the
sensors perceive (their specs, including the σ they state), how weapons fly, how
batteries fire, how clocks and observers fail, how clutter comes. With
``NEUTRAL`` (the defaults) a scenario is the base simulator's, byte for byte;
the extra randomness the other values need is drawn from a generator of its
own, so that it never shifts the base simulator's draws.
"""

from __future__ import annotations

from dataclasses import dataclass

from ceasefire.simulate.observers import SENSORS, SensorSpec
from ceasefire.simulate.weapons import WEAPON_SPECS, WeaponSpec


@dataclass(frozen=True)
class Assumptions:
    """How the simulated world behaves (defaults: the base simulator's).

    σ multipliers are true / stated: an observer stating σ whose noise is
    ``sigma_true_mult`` × σ (per observer, further × a log-normal factor of sd
    ``sigma_observer_spread``). Clock offsets and drifts are per observer (normal,
    sd given); ``people`` are posts, patrols and cameras, ``gps`` arrays and
    microphones.
    """

    #: the sensors: stated σ, detection distances, misreport rates, clutter rates
    sensors: tuple[SensorSpec, ...] = SENSORS
    #: the weapons: mix (``share``) and mean flight speeds
    weapons: tuple[WeaponSpec, ...] = WEAPON_SPECS
    #: per-round relative sd of the mean flight speed (log-normal)
    speed_spread: float = 0.0
    #: mean rounds fired from one firing position (1: every round from its own)
    burst_mean: float = 1.0
    #: mean time between two rounds of one burst, s
    burst_spacing_s: float = 10.0
    #: spread of launch points about an engagement's centre along the line, m (1 σ)
    battery_sigma_m: float = 300.0
    #: share of an engagement's rounds fired back by the other side
    return_share: float = 0.3
    #: share of rounds falling short, on the firing party's own side
    short_share: float = 0.12
    #: the stretch of the line (chainage from, to; m) where rounds fall and
    #: observers stand; None: the whole line
    span_m: tuple[float, float] | None = None
    #: true / stated σ of bearings and times (all observers), and its spread
    sigma_true_mult: float = 1.0
    sigma_observer_spread: float = 0.0
    #: clock offset sd (s) and drift sd (parts per million) of people and cameras
    clock_offset_s: float = 0.0
    clock_drift_ppm: float = 0.0
    #: clock offset sd of GPS-timed arrays and microphones, s
    gps_offset_s: float = 0.0
    #: share of observers that go silent for a while (a stretch of their window)
    dropout_share: float = 0.0
    #: mean false reports per clutter episode (1: clutter is a Poisson stream)
    clutter_burst_mean: float = 1.0

    def is_neutral(self) -> bool:
        """True when these are the base simulator's assumptions."""
        return self == NEUTRAL


#: The base simulator's assumptions.
NEUTRAL = Assumptions()
