"""Scenario families: every assumption of the simulator drawn from a range.

A :class:`Family` holds one :class:`Range` per parameter; draw ``k`` of it is
reproducible (its generator is seeded by the family's name and ``k``) and
returns a :class:`Draw`: a :class:`~ceasefire.simulate.profiles.Profile`,
:class:`~ceasefire.simulate.assumptions.Assumptions`, a start, a length and a
seed for :func:`~ceasefire.simulate.world.simulate`. Same mandate, family and
``k`` → the same bytes.

``varied`` is the family the benchmarks measure on. Its ranges hold the
``quiet`` and ``heavy`` profiles' parameters (all but their 24 h length); its
draws are short (3-8 h on a 60-284 km stretch, 10-300 rounds an hour) so that a
draw simulates and fuses in seconds. The profiles themselves are members too:
the families ``quiet``, ``heavy`` and ``stress`` draw ``k`` as the profile's day
with seed ``k`` (24 h from 2025-06-01 00:00 local, neutral assumptions),
exactly ``ceasefire simulate --profile P --seed k``.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from ceasefire.mandate import Mandate
from ceasefire.model.errors import InputError
from ceasefire.simulate.along import line_length_m
from ceasefire.simulate.assumptions import NEUTRAL, Assumptions
from ceasefire.simulate.observers import SENSORS
from ceasefire.simulate.profiles import PROFILES, Profile
from ceasefire.simulate.weapons import WEAPON_SPECS
from ceasefire.simulate.world import Scenario, simulate

#: the first day a family draw may start on, local time (and a profile day's start)
FIRST_DAY = (2025, 6, 1)


@dataclass(frozen=True)
class Range:
    """A parameter's range: uniform in [lo, hi], or log-uniform when ``log``."""

    lo: float
    hi: float
    log: bool = False

    def draw(self, rng: np.random.Generator) -> float:
        """One value (the generator advances by one draw, even when lo == hi)."""
        u = float(rng.random())
        if self.log:
            return float(np.exp(np.log(self.lo) + u * (np.log(self.hi) - np.log(self.lo))))
        return self.lo + u * (self.hi - self.lo)

    def holds(self, x: float) -> bool:
        """Whether ``x`` lies in the range."""
        return self.lo <= x <= self.hi


@dataclass(frozen=True)
class Draw:
    """One member of a family: what :func:`simulate` needs, and the drawn values."""

    family: str
    k: int
    profile: Profile
    assume: Assumptions
    start_s: float
    hours: float
    seed: int
    params: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Family:
    """Ranges of every parameter; rates per 24 h and densities per 100 km apply to
    the drawn stretch of the line."""

    name: str
    #: stretch of the line watched and fired on, km (capped at the line's length)
    span_km: Range = Range(60.0, 284.0)
    hours: Range = Range(3.0, 8.0)
    #: start: a day of the first ``days`` from FIRST_DAY, any local hour (day or night)
    days: int = 30
    rounds_per_hour: Range = Range(10.0, 300.0, log=True)
    hotspots: Range = Range(1.0, 8.0)
    hotspot_share: Range = Range(0.5, 0.9)
    hotspot_sigma_m: Range = Range(1_000.0, 4_000.0)
    rounds_per_engagement: Range = Range(3.0, 40.0, log=True)
    engagement_s: Range = Range(300.0, 2_400.0, log=True)
    posts_per_100km: Range = Range(2.0, 10.0)
    cameras_per_100km: Range = Range(0.0, 6.0)
    patrols_per_100km: Range = Range(0.0, 6.0)
    arrays_per_100km: Range = Range(0.0, 3.0)
    mics_per_array: Range = Range(3.0, 6.0)
    sorties_per_100km: Range = Range(0.0, 3.0)
    weapons_per_100km: Range = Range(15.0, 40.0)
    inside_share: Range = Range(0.05, 0.3)
    uav_per_100km: Range = Range(0.5, 6.0)
    da_object_p: Range = Range(0.2, 0.8)
    clutter_mult: Range = Range(0.5, 3.0, log=True)
    clutter_burst_mean: Range = Range(1.0, 6.0)
    #: per sensor type: × its detection distances; misreports: × every error rate
    detect_mult: Range = Range(0.7, 1.4)
    misreport_mult: Range = Range(0.5, 3.0, log=True)
    sigma_true_mult: Range = Range(0.5, 2.0, log=True)
    sigma_observer_spread: Range = Range(0.0, 0.3)
    clock_offset_s: Range = Range(0.0, 2.0)
    clock_drift_ppm: Range = Range(0.0, 50.0)
    gps_offset_s: Range = Range(0.0, 0.005)
    dropout_share: Range = Range(0.0, 0.3)
    burst_mean: Range = Range(1.0, 6.0)
    burst_spacing_s: Range = Range(3.0, 30.0, log=True)
    battery_sigma_m: Range = Range(50.0, 500.0, log=True)
    return_share: Range = Range(0.1, 0.5)
    short_share: Range = Range(0.05, 0.2)
    #: weapon mix: Dirichlet about the base shares with this concentration
    mix_concentration: float = 8.0
    #: per weapon: × its mean flight speed; per round: log-normal spread
    speed_mult: Range = Range(0.75, 1.3)
    speed_spread: Range = Range(0.0, 0.15)

    def draw(self, m: Mandate, k: int) -> Draw:
        """Member ``k`` on mandate ``m`` (reproducible: same family, ``m`` and ``k``)."""
        rng = np.random.default_rng([zlib.crc32(self.name.encode()), k])
        p: dict[str, float] = {}

        def take(name: str) -> float:
            p[name] = getattr(self, name).draw(rng)
            return p[name]

        length = line_length_m(m.contact)
        span = min(take("span_km") * 1000.0, length)
        a0 = float(rng.random()) * (length - span)
        p["span_from_km"], p["span_km"] = a0 / 1000.0, span / 1000.0
        hours = take("hours")
        day, minute = int(rng.integers(0, self.days)), int(rng.integers(0, 24 * 60))
        start = datetime(*FIRST_DAY, tzinfo=m.tz) + timedelta(days=day, minutes=minute)
        p["start_day"], p["start_hour_local"] = day, minute / 60.0
        profile = Profile(
            name=f"{self.name}#{k}",
            rounds_per_day=take("rounds_per_hour") * 24.0,
            hotspots=round(take("hotspots")),
            hotspot_share=take("hotspot_share"),
            hotspot_sigma_m=take("hotspot_sigma_m"),
            rounds_per_engagement=take("rounds_per_engagement"),
            engagement_s=take("engagement_s"),
            posts_per_100km=take("posts_per_100km"),
            cameras_per_100km=take("cameras_per_100km"),
            patrols_per_100km=take("patrols_per_100km"),
            arrays_per_100km=take("arrays_per_100km"),
            mics_per_array=round(take("mics_per_array")),
            sorties_per_100km=take("sorties_per_100km"),
            weapons_per_100km=take("weapons_per_100km"),
            inside_share=take("inside_share"),
            move_share=0.25,
            uav_per_100km=take("uav_per_100km"),
            da_object_p=take("da_object_p"),
            clutter_mult=take("clutter_mult"),
        )
        mis = take("misreport_mult")
        sensors = []
        for s in SENSORS:
            d = self.detect_mult.draw(rng)
            p[f"detect_mult_{s.name}"] = d
            sensors.append(
                replace(
                    s,
                    l50_day=s.l50_day * d,
                    l50_night=s.l50_night * d,
                    weapon_ok=1.0 - min(1.0, (1.0 - s.weapon_ok) * mis),
                    direction_ok=1.0 - min(1.0, (1.0 - s.direction_ok) * mis),
                    event_ok=1.0 - min(1.0, (1.0 - s.event_ok) * mis),
                )
            )
        base = np.array([w.share for w in WEAPON_SPECS])
        shares = rng.dirichlet(base / base.sum() * self.mix_concentration)
        weapons = []
        for w, share in zip(WEAPON_SPECS, shares, strict=True):
            v = self.speed_mult.draw(rng)
            p[f"share_{w.name}"], p[f"speed_mult_{w.name}"] = float(share), v
            weapons.append(replace(w, share=float(share), speed_m_s=w.speed_m_s * v))
        assume = Assumptions(
            sensors=tuple(sensors),
            weapons=tuple(weapons),
            speed_spread=take("speed_spread"),
            burst_mean=take("burst_mean"),
            burst_spacing_s=take("burst_spacing_s"),
            battery_sigma_m=take("battery_sigma_m"),
            return_share=take("return_share"),
            short_share=take("short_share"),
            span_m=(a0, a0 + span),
            sigma_true_mult=take("sigma_true_mult"),
            sigma_observer_spread=take("sigma_observer_spread"),
            clock_offset_s=take("clock_offset_s"),
            clock_drift_ppm=take("clock_drift_ppm"),
            gps_offset_s=take("gps_offset_s"),
            dropout_share=take("dropout_share"),
            clutter_burst_mean=take("clutter_burst_mean"),
        )
        seed = int(rng.integers(0, 2**31 - 1))
        return Draw(self.name, k, profile, assume, start.timestamp(), hours, seed, p)


@dataclass(frozen=True)
class ProfileFamily:
    """A profile as a family: draw ``k`` is its 24 h day from FIRST_DAY with seed ``k``."""

    name: str

    def draw(self, m: Mandate, k: int) -> Draw:
        """The profile's day with seed ``k`` (neutral assumptions)."""
        start = datetime(*FIRST_DAY, tzinfo=m.tz).timestamp()
        return Draw(self.name, k, PROFILES[self.name], NEUTRAL, start, 24.0, k)


VARIED = Family("varied")

FAMILIES: dict[str, Family | ProfileFamily] = {
    "varied": VARIED,
    **{name: ProfileFamily(name) for name in PROFILES},
}


def get_family(name: str) -> Family | ProfileFamily:
    """The family called ``name``."""
    try:
        return FAMILIES[name]
    except KeyError:
        raise InputError(
            f"unknown family {name!r}; expected one of {', '.join(FAMILIES)}", field="family"
        ) from None


def simulate_draw(m: Mandate, d: Draw) -> Scenario:
    """Simulate draw ``d`` on ``m``. A family draw's truth also records the family,
    ``k`` and every drawn value (``truth['family']``); a profile's stays as is."""
    sc = simulate(m, d.profile, d.start_s, d.hours, d.seed, d.assume)
    if d.params:
        fam: dict[str, Any] = {"name": d.family, "draw": d.k, "params": d.params}
        sc.truth["family"] = fam
    return sc
