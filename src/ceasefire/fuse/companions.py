"""One observer's two reports of one round: a lone bearing of one phase whose
observer's report of the other phase is a member of a located event.

An observer near a round often hears (or sees) both its firing and its impact.
When the other observers locate only one phase, the observer's report of that
phase joins the fix and its report of the other phase is left alone; counted as
a round of its own, the round is counted twice. The observer's own two reports
tell them apart from a battery's next round: their time difference is the flight
plus the difference of the sound's travel from the two points, and the observer's
clock offset cancels in it.

For a lone bearing ``b`` of observer ``A`` and a located event ``E`` holding
exactly one report ``m`` of ``A``, of the other phase (by the event kind, else the
direction class; ``b``'s phase may be undetermined when ``m``'s is not):

- the source of ``b`` lies on its ray at a distance ``d`` (sampled); ``E``'s fix is
  the other phase's point;
- the implied flight ``g(d)`` (the report times' difference less the travels)
  must lie within the flight times of the distance ``D(d)`` between the two points
  at the weapon's speed × (1 ∓ ``speed_spread``) (an undetermined weapon: any
  class's), ``D`` within the class's range;
- the miss over the two reports' time σ and the fix's position σ / c, squared and
  least over ``d``, is at most ``gate_chi2``.

Each lone bearing goes to its least-cost event, and each (event, observer) slot
takes one lone bearing, least cost first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ceasefire.fuse.weapons import WEAPON_FLIGHTS, WeaponFlight
from ceasefire.geo import inverse
from ceasefire.model.arrays import ObservationArrays
from ceasefire.model.results import Event
from ceasefire.model.vocab import DIRECTIONS, EVENT_KINDS, LAUNCH_EVENT_KINDS, SENSES

F8 = npt.NDArray[np.float64]
IP = npt.NDArray[np.intp]
SEEN = SENSES.index("seen")
_LAUNCH = np.array([k in LAUNCH_EVENT_KINDS for k in EVENT_KINDS], bool)
_IMPACT = np.array([k == "explosion" for k in EVENT_KINDS], bool)
_UND = EVENT_KINDS.index("undetermined")
_OUT, _IN = DIRECTIONS.index("outgoing"), DIRECTIONS.index("incoming")


@dataclass(frozen=True)
class CompanionConfig:
    """When a located event holding an observer's report of one phase explains
    that observer's lone bearing of the other phase (times in s, distances in m)."""

    enabled: bool = True
    #: the gate on the squared flight-time miss over its σ (1 dof)
    gate_chi2: float = 4.0
    #: the weapon's mean speed × (1 ∓ this) bounds a flight (the family's speeds
    #: vary × 0.75-1.3 per weapon and 0-15 % per round)
    speed_spread: float = 0.35
    #: the ray is sampled at this many log-spaced distances from ``min_m`` to
    #: ``max_range_m``
    samples: int = 96
    min_m: float = 100.0
    max_range_m: float = 45_000.0
    #: longest flight plus sound travel between the two reports, s
    window_s: float = 400.0
    #: the weapons' speeds and ranges, by name (an undetermined one: any of them)
    weapons: Mapping[str, WeaponFlight] = field(default_factory=lambda: dict(WEAPON_FLIGHTS))


def roles(obs: ObservationArrays, rows: IP) -> npt.NDArray[np.int8]:
    """Per report row: 1 a launch, 2 an impact, 0 undetermined (by the event kind,
    else the direction class)."""
    ev = obs.event[rows]
    di = obs.direction[rows]
    known = (ev >= 0) & (ev < len(EVENT_KINDS))
    evk = np.where(known, ev, _UND)
    launch = _LAUNCH[evk] | ((evk == _UND) & (di == _OUT))
    impact = _IMPACT[evk] | ((evk == _UND) & (di == _IN))
    return np.where(launch, 1, np.where(impact, 2, 0)).astype(np.int8)


def _bounds(weapon: str, cfg: CompanionConfig) -> tuple[float, float, float, float]:
    """(least speed, greatest speed, least range, greatest range) of a weapon's
    flights (m/s, m); an undetermined weapon: the union of the classes'."""
    w = cfg.weapons.get(weapon)
    if w is not None and w.speed_m_s > 0:
        ws = [w]
    else:
        ws = [x for x in cfg.weapons.values() if x.speed_m_s > 0]
    lo = max(1.0 - cfg.speed_spread, 0.05)
    hi = 1.0 + cfg.speed_spread
    return (
        min(x.speed_m_s for x in ws) * lo,
        max(x.speed_m_s for x in ws) * hi,
        0.8 * min(x.range_min_m for x in ws),
        1.2 * max(x.range_max_m for x in ws),
    )


def companion_cost(
    b_lat: float,
    b_lon: float,
    b_az: float,
    b_heard: bool,
    b_launch: bool,
    dt_s: float,
    fix_lat: float,
    fix_lon: float,
    fix_heard_m: float,
    sd_s: float,
    bounds: tuple[float, float, float, float],
    cfg: CompanionConfig,
    c: float,
) -> float:
    """Least squared flight-time miss over its σ ``sd_s`` along the lone bearing's ray
    (observer ``b_lat``/``b_lon``, azimuth ``b_az`` deg), inf if no sample's distance
    is in range. ``dt_s``: the lone report's time less the member's (s);
    ``fix_heard_m``: the member's travel distance to the fix when heard (0 seen);
    ``b_launch``: the lone report is the launch (else the impact)."""
    d = np.geomspace(cfg.min_m, cfg.max_range_m, cfg.samples)
    a = np.radians(b_az)
    # the ray's points, then their distance to the fix, by a local flat frame
    lat0 = np.radians(b_lat)
    k_n, k_e = 111_195.0, 111_195.0 * np.cos(lat0)
    fe = (fix_lon - b_lon) * k_e
    fn = (fix_lat - b_lat) * k_n
    big_d = np.hypot(d * np.sin(a) - fe, d * np.cos(a) - fn)
    trav_b = d / c if b_heard else np.zeros_like(d)
    trav_m = fix_heard_m / c
    # implied flight: impact emission less launch emission
    if b_launch:  # member at the impact: dt = t_b - t_m = (T_L + trav_b) - (T_I + trav_m)
        g = trav_b - trav_m - dt_s
    else:  # member at the launch: dt = t_b - t_m = (T_I + trav_b) - (T_L + trav_m)
        g = dt_s - trav_b + trav_m
    v_lo, v_hi, r_lo, r_hi = bounds
    f_lo = big_d / v_hi
    f_hi = big_d / v_lo
    miss = np.maximum(np.maximum(f_lo - g, g - f_hi), 0.0)
    ok = (big_d >= r_lo) & (big_d <= r_hi)
    if not ok.any():
        return float("inf")
    return float(np.min((miss[ok] / max(sd_s, 1e-3)) ** 2))


def companions(
    events: Sequence[Event],
    lone_k: IP,
    lone_row: IP,
    obs: ObservationArrays,
    member_ev: IP,
    member_row: IP,
    cfg: CompanionConfig,
    c: float,
) -> list[tuple[int, int]]:
    """``(lone event, explaining event)`` indices into ``events``. ``lone_k`` /
    ``lone_row``: the lone bearings not yet explained and their report rows;
    ``member_ev`` / ``member_row``: (event index, report row) of the located events'
    members that may explain (see the module docstring)."""
    if not cfg.enabled or lone_k.shape[0] == 0 or member_ev.shape[0] == 0:
        return []
    src = obs.source.astype(str)
    # each located event's members by observer: only one report of the observer
    per: dict[tuple[int, str], list[int]] = {}
    for k, r in zip(member_ev.tolist(), member_row.tolist(), strict=True):
        per.setdefault((k, src[r]), []).append(r)
    by_src: dict[str, list[tuple[int, int]]] = {}
    for (k, s), rs in per.items():
        if len(rs) == 1:
            by_src.setdefault(s, []).append((k, rs[0]))
    lone_role = roles(obs, lone_row)
    cands: list[tuple[float, int, int, str]] = []
    for i, (kb, rb) in enumerate(zip(lone_k.tolist(), lone_row.tolist(), strict=True)):
        s = src[rb]
        tb = float(obs.time_s[rb])
        for k, rm in by_src.get(s, ()):
            dt = tb - float(obs.time_s[rm])
            if abs(dt) > cfg.window_s:
                continue
            rm_role = int(roles(obs, np.array([rm], np.intp))[0])
            rb_role = int(lone_role[i])
            if rm_role == 0 or rb_role == rm_role:
                continue
            e = events[k]
            if e.lat is None or e.lon is None:
                continue
            b_launch = rm_role == 2
            heard_m = obs.sense[rm] != SEEN
            _, dist = inverse(obs.lat[rm], obs.lon[rm], e.lat, e.lon)
            cov = e.cov_m2 or (0.0, 0.0, 0.0)
            sd_pos = float(np.sqrt(max(cov[0] + cov[1], 0.0)))
            sd_s = float(
                np.sqrt(
                    np.nan_to_num(obs.time_sigma_s[rb], nan=1.0) ** 2
                    + np.nan_to_num(obs.time_sigma_s[rm], nan=1.0) ** 2
                    + (sd_pos / c) ** 2
                )
            )
            weapon = e.weapon if e.weapon in cfg.weapons else "undetermined"
            cost = companion_cost(
                float(obs.lat[rb]),
                float(obs.lon[rb]),
                float(obs.bearing_deg[rb]),
                bool(obs.sense[rb] != SEEN),
                b_launch,
                dt,
                float(e.lat),
                float(e.lon),
                float(dist) if heard_m else 0.0,
                sd_s,
                _bounds(weapon, cfg),
                cfg,
                c,
            )
            if cost <= cfg.gate_chi2:
                cands.append((cost, kb, k, s))
    cands.sort()
    done_b: set[int] = set()
    slot: set[tuple[int, str]] = set()
    out: list[tuple[int, int]] = []
    for _, kb, k, s in cands:
        if kb in done_b or (k, s) in slot:
            continue
        done_b.add(kb)
        slot.add((k, s))
        out.append((kb, k))
    return out
