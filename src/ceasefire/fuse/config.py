"""Fusion settings: physical bounds, association (its roles' own configs), launch
and ray pairing, corroboration, tracks and parallelism (units in names)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ceasefire.fuse.association import AssociationConfig
from ceasefire.model.vocab import SPEED_OF_SOUND_M_S


@dataclass(frozen=True)
class FuseConfig:
    """Knobs of :func:`ceasefire.fuse.fuse`. The defaults suit ground observers and
    acoustic sensors hearing artillery, mortars and small arms at up to ~30 km."""

    #: speed of sound, m/s
    speed_of_sound_m_s: float = SPEED_OF_SOUND_M_S
    #: farthest an observer or sensor perceives an event, m (bounds rays and gates)
    max_range_m: float = 30_000.0
    #: event kinds seen rather than heard: their perceived time is the emission time
    light_kinds: tuple[str, ...] = ("flare",)
    #: association of bearings and arrivals into events, role by role
    #: (fuse/association/)
    association: AssociationConfig = field(default_factory=AssociationConfig)
    #: arrival-only (TDOA) events need this many distinct sensors
    min_tdoa_sensors: int = 4
    #: 95 % semi-major axis above which a fix is flagged ``wide_fix``, m
    wide_fix_m: float = 2_000.0
    #: sightings: chi-square gate of a position against a track (2 dof)
    track_gate_chi2: float = 13.8
    #: sightings: speed an object may have moved between sightings, m/s: a sighting
    #: joins a track when its distance beyond speed x gap (at most 5 km) passes the gate
    #: on the positions' uncertainty. A weapon in position moves little within a day
    #: (72 m an hour); one that drives off and is seen elsewhere starts a new track.
    #: (Before session 7 the move was a 1-sigma term at 0.2 m/s: a tank's track took
    #: another tank 4 km away seen 17 h later, one miss and one false violation.)
    track_speed_m_s: float = 0.02
    #: sightings: largest gap between sightings of one track, s
    track_max_gap_s: float = 86_400.0
    #: sightings: a source seeing two objects within this time sees two objects, s (at
    #: once; a drone that circles sees the same object again a minute later: 600 s split
    #: such re-sightings into two tracks, two violations for one weapon)
    track_same_source_s: float = 5.0
    #: launch/impact pairing: mean projectile speed bounds, m/s
    flight_speed_min_m_s: float = 80.0
    flight_speed_max_m_s: float = 1_200.0
    #: launch/impact pairing: mean speed along the trajectory by weapon (vocab WEAPONS
    #: order; 0 = unknown), m/s, and the accepted ratio band around it
    flight_speed_by_weapon_m_s: tuple[float, ...] = (
        180.0,
        330.0,
        450.0,
        1_200.0,
        600.0,
        700.0,
        0.0,
    )
    #: launch/impact pairing: relative spread of the mean speed (1 sigma)
    flight_speed_spread: float = 0.02
    #: launch/impact pairing: cost margin over the runner-up (chi-square units)
    pair_margin: float = 0.0
    #: launch/impact pairing: ``"global"`` (minimum total cost over all candidate
    #: pairs) or ``"mutual"`` (mutual best with ``pair_margin``, three passes)
    pair_assignment: str = "global"
    #: launch/impact pairing: a pair whose launch or impact had another candidate
    #: within this many cost units (chi-square; 2 ≈ a likelihood ratio of e) is
    #: flagged ``pair_close_call``
    pair_close_margin: float = 2.0
    #: the contact line as (lon, lat) vertices, when known: fire is aimed across
    #: it, so a launch and an impact on the same side pay ``same_side_cost``
    contact_line_lonlat: tuple[tuple[float, float], ...] | None = None
    #: -2 ln of the odds that a round lands across the line (about 0.88 : 0.12)
    same_side_cost: float = 4.0
    #: a lone report is corroborated by a located multi-observer event within this
    #: distance of its observer (m) and this time (s); else flagged uncorroborated
    #: (the window of two observers' lone reports: one round's sound reaches observers
    #: 15 km apart within a minute; 20 km and 10 minutes, the former window, let every
    #: false report on a day of heavy fire pass)
    corroboration_m: float = 15_000.0
    corroboration_s: float = 120.0
    #: ... or by another observer's lone report within this distance and time
    corroboration_lone_m: float = 15_000.0
    corroboration_lone_s: float = 120.0
    #: ... or by the same observer's report from within this many degrees of its
    #: bearing within this time (s): an engagement heard by one post alone
    corroboration_self_deg: float = 20.0
    corroboration_self_s: float = 600.0
    #: a lone report whose observer has at least ``unheard_min_sensors`` listening
    #: arrival sensors (microphones that perceived something within
    #: ``unheard_alive_s``) within ``unheard_m``, none of which perceived anything
    #: within the sound's travel time over that distance (+ ``unheard_slack_s``), is
    #: flagged ``unheard`` and ``uncorroborated`` whatever else corroborates it: the
    #: sound it reports would have reached them (``corroborate._unheard``)
    unheard: bool = True
    unheard_m: float = 3_000.0
    unheard_min_sensors: int = 3
    unheard_slack_s: float = 1.0
    unheard_alive_s: float = 1_800.0
    #: an event's covariance is multiplied by its fit's chi-square per degree of
    #: freedom when that is above 1 (at most ``inflate_max``): a fix whose reports
    #: disagree more than their stated noise is less certain than the linearized
    #: covariance says (heavy day: 95 % ellipses held the truth 82.0 % -> 83.4 %,
    #: attribution log loss 0.399 -> 0.391)
    inflate_cov: bool = True
    inflate_max: float = 100.0
    #: lone bearings (no range) paired with the other phase of their round: with a
    #: located event, or with the same observer's lone bearing (see fuse/raypairs.py)
    ray_pairs: bool = True
    #: ... the pairs offered: launch ray + located impact, located launch + impact
    #: ray, one observer's launch ray + impact ray, two observers' launch ray +
    #: impact ray
    ray_pair_kinds: tuple[str, ...] = ("ray_point", "point_ray", "ray_ray", "ray_ray_two")
    #: ... two observers' rays only when the observers are within this distance
    #: (m, a box) of each other
    ray_pair_two_m: float = 40_000.0
    #: ... each ray sampled at this many log-spaced distances from this one (m) to
    #: ``max_range_m``
    ray_pair_samples: int = 24
    ray_pair_min_m: float = 150.0
    #: ... leaving a report unpaired costs this much (chi-square units; a pair is
    #: taken when its cost is below twice this)
    ray_pair_unpaired_cost: float = 10.0
    #: ... weapons whose impact makes no sound to pair (bullets), by name
    silent_impact_weapons: tuple[str, ...] = ("small_arms", "heavy_machine_gun")
    #: ... a sample far from (or very near) the weapon's 50 % hearing distance costs
    #: -2 ln of the source density there (fuse/raypairs.py ``_range_prior``)
    ray_pair_range_prior: bool = True
    #: 50 % hearing distance by weapon (vocab WEAPONS order; last = unknown), m
    hearing_l50_by_weapon_m: tuple[float, ...] = (
        4_000.0,
        10_000.0,
        12_000.0,
        6_000.0,
        1_500.0,
        2_500.0,
        5_000.0,
    )
    #: launch/impact pairing: range bounds by weapon (vocab WEAPONS order), m
    flight_range_min_by_weapon_m: tuple[float, ...] = (
        500.0,
        3_000.0,
        4_000.0,
        500.0,
        50.0,
        100.0,
        0.0,
    )
    flight_range_max_by_weapon_m: tuple[float, ...] = (
        8_000.0,
        30_000.0,
        40_000.0,
        5_000.0,
        1_000.0,
        2_000.0,
        45_000.0,
    )
    #: launch/impact pairing: farthest launch-to-impact distance, m
    max_flight_range_m: float = 45_000.0
    #: parallelism: worker processes (None: one per core, at most 2 tiles at a time)
    workers: int | None = None
    #: inputs smaller than this are fused serially in one tile
    parallel_min_obs: int = 200_000
    #: time slice of the acoustic rows fused by one worker, s
    slice_s: float = 7_200.0
    #: extra margin before a slice for launches paired with its impacts, s
    slice_margin_s: float = 300.0
