"""What a plan sees: the line within the revisit interval, the zones' area, per
sector, and the probability of sighting a weapon standing in a zone.

The ground is sampled on a grid that follows the lines: the contact line every
``grid_km``; each party's zone band at chainages every ``grid_km`` along its
reference line and depths ``(j + 0.5) * grid_km`` from it, on its side (the
simulator places weapons the same way: uniform in chainage and depth). A
sample is seen by a flight leg when it lies within half the drone's swath of
the leg; the time of the pass is that of the leg's nearest point. A plan for a
day is taken to repeat: the gap after the last pass runs to the first pass of
the next day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely

from ceasefire.mandate import Mandate
from ceasefire.mandate.schema import BufferZone
from ceasefire.patrol.fleet import FleetDoc
from ceasefire.patrol.plan import Plan
from ceasefire.patrol.tasks import line_xy

F8 = npt.NDArray[np.float64]
I8 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Legs:
    """Straight flight legs in the contact line's frame: ends (m), times (epoch
    s), half swath (m), the sortie's index into ``plan.sorties``."""

    x0: F8
    y0: F8
    x1: F8
    y1: F8
    t0: F8
    t1: F8
    half_swath_m: F8
    sortie: I8

    def __len__(self) -> int:
        return int(self.x0.shape[0])


def legs_of(m: Mandate, plan: Plan) -> Legs:
    """Every leg of every sortie of ``plan``."""
    cols: list[list[float]] = [[] for _ in range(7)]
    sortie: list[int] = []
    for k, s in enumerate(plan.sorties):
        w = np.asarray(s.waypoints, dtype=np.float64)
        x, y = m.contact.frame.to_xy(w[:, 1], w[:, 2])
        half = plan.fleet.drone_type(s.drone_type).swath_km * 500.0
        n = w.shape[0] - 1
        for c, v in zip(cols, (x[:-1], y[:-1], x[1:], y[1:], w[:-1, 0], w[1:, 0]), strict=False):
            c.extend(v.tolist())
        cols[6].extend([half] * n)
        sortie.extend([k] * n)
    a = [np.asarray(c, dtype=np.float64) for c in cols]
    return Legs(a[0], a[1], a[2], a[3], a[4], a[5], a[6], np.asarray(sortie, dtype=np.int64))


def passes(px: F8, py: F8, legs: Legs) -> tuple[I8, I8, F8]:
    """``(sample, leg, time)`` of every pass of a leg over a sample point."""
    if len(legs) == 0 or px.shape[0] == 0:
        e = np.zeros(0, dtype=np.int64)
        return e, e, np.zeros(0)
    segs = shapely.linestrings(
        np.stack([np.column_stack([legs.x0, legs.y0]), np.column_stack([legs.x1, legs.y1])], 1)
    )
    tree = shapely.STRtree(segs)
    pts = shapely.points(px, py)
    # candidates within the widest half swath, then each leg's own
    pi, li = tree.query(pts, predicate="dwithin", distance=float(legs.half_swath_m.max()))
    dx, dy = legs.x1[li] - legs.x0[li], legs.y1[li] - legs.y0[li]
    l2 = np.maximum(dx * dx + dy * dy, 1e-9)
    u = np.clip(((px[pi] - legs.x0[li]) * dx + (py[pi] - legs.y0[li]) * dy) / l2, 0.0, 1.0)
    d = np.hypot(legs.x0[li] + u * dx - px[pi], legs.y0[li] + u * dy - py[pi])
    keep = d <= legs.half_swath_m[li]
    pi, li, u = pi[keep], li[keep], u[keep]
    return pi, li, legs.t0[li] + u * (legs.t1[li] - legs.t0[li])


def max_gap_s(sample: I8, times: F8, n: int, horizon_s: float, start_s: float) -> F8:
    """Longest interval without a pass per sample (cyclic over the horizon);
    ``inf`` for samples never seen."""
    out = np.full(n, np.inf)
    if sample.shape[0] == 0:
        return out
    t = np.mod(times - start_s, horizon_s)
    order = np.lexsort((t, sample))
    s, t = sample[order], t[order]
    first = np.r_[True, s[1:] != s[:-1]]
    last = np.r_[s[1:] != s[:-1], True]
    gap = np.r_[0.0, np.diff(t)]
    gap[first] = 0.0
    best = np.zeros(n)
    np.maximum.at(best, s, gap)
    wrap = t[first] + horizon_s - t[last]
    best[s[first]] = np.maximum(best[s[first]], wrap)
    out[s[first]] = best[s[first]]
    return out


def _offset_samples(
    m: Mandate, party: str, depth_max_m: float, grid_m: float
) -> tuple[F8, F8, F8, F8]:
    """``(x, y, chainage on the contact line, depth)`` of a party's band samples."""
    ref = line_xy(m, party)
    c = np.asarray(ref.coords)
    seg = np.hypot(*np.diff(c, axis=0).T)
    cum = np.r_[0.0, np.cumsum(seg)]
    s = np.arange(grid_m / 2, cum[-1], grid_m)
    k = np.clip(np.searchsorted(cum, s, side="right") - 1, 0, seg.shape[0] - 1)
    tx, ty = np.diff(c[:, 0])[k] / seg[k], np.diff(c[:, 1])[k] / seg[k]
    bx = c[k, 0] + tx * (s - cum[k])
    by = c[k, 1] + ty * (s - cum[k])
    side = m.party_side(party)
    depth = np.arange(grid_m / 2, depth_max_m, grid_m)
    x = (bx[:, None] - side * ty[:, None] * depth[None, :]).ravel()
    y = (by[:, None] + side * tx[:, None] * depth[None, :]).ravel()
    ch = np.asarray(shapely.line_locate_point(line_xy(m), shapely.points(bx, by)), dtype=np.float64)
    return x, y, np.repeat(ch, depth.shape[0]), np.tile(depth, s.shape[0])


def is_night(m: Mandate, fleet: FleetDoc, times_s: F8) -> npt.NDArray[np.bool_]:
    """Whether each UTC epoch time falls in the fleet's night window (local time)."""
    w = fleet.goals.night
    a = int(w.start[:2]) * 60 + int(w.start[3:])
    b = int(w.end[:2]) * 60 + int(w.end[3:])
    mins = np.array(
        [
            (lambda d: d.hour * 60 + d.minute)(datetime.fromtimestamp(float(t), m.tz))
            for t in times_s
        ],
        dtype=np.int64,
    )
    return (mins >= a) & (mins < b) if a <= b else (mins >= a) | (mins < b)


def _share(mask: Any, of: Any) -> float | None:
    n = int(of.sum())
    return float((mask & of).sum() / n) if n else None


def coverage(m: Mandate, plan: Plan, *, grid_km: float = 1.0) -> dict[str, Any]:
    """The plan's coverage figures (JSON-able).

    ``line``: share of the contact line whose longest gap between passes is
    within ``revisit_h`` (``within_revisit``), seen in every revisit period
    counted from the start (``every_period``), seen at all (``seen``), per sector.
    ``zones``: per buffer zone of the mandate, the share of its area seen at
    least once per plan, per party and per sector. ``detection``: per zone and
    object class, the mean over the zone's samples of the probability that the
    plan's passes sight an object standing there all day.
    """
    fleet = plan.fleet
    grid = grid_km * 1000.0
    legs = legs_of(m, plan)
    horizon = plan.hours * 3600.0
    contact = line_xy(m)
    ch = np.arange(grid / 2, contact.length, grid)
    pts = shapely.line_interpolate_point(contact, ch)
    lx, ly = shapely.get_x(pts), shapely.get_y(pts)
    si, _, st = passes(lx, ly, legs)
    gap = max_gap_s(si, st, ch.shape[0], horizon, plan.start_s)
    revisit = fleet.goals.revisit_h * 3600.0
    ok: npt.NDArray[np.bool_] = np.asarray(gap <= revisit + 1e-6)
    seen: npt.NDArray[np.bool_] = np.asarray(np.isfinite(gap))
    n_per = max(1, int(np.ceil(horizon / revisit - 1e-9)))
    per = np.zeros((ch.shape[0], n_per), dtype=bool)
    per[si, np.minimum(((st - plan.start_s) // revisit).astype(np.int64), n_per - 1)] = True
    every = per.all(axis=1)
    sec = m.sector_of_chainage(ch)
    all_ = np.ones(ch.shape[0], dtype=bool)
    line: dict[str, Any] = {
        "length_km": float(contact.length / 1000.0),
        "revisit_h": fleet.goals.revisit_h,
        "within_revisit": _share(ok, all_),
        "seen": _share(seen, all_),
        "every_period": _share(every, all_),
        "sectors": {
            str(s.id): {
                "within_revisit": _share(ok, sec == s.id),
                "every_period": _share(every, sec == s.id),
                "seen": _share(seen, sec == s.id),
            }
            for s in m.doc.sectors
        },
    }
    zones = [z for z in m.doc.zones if isinstance(z, BufferZone)]
    out_z: dict[str, Any] = {}
    detection: dict[str, Any] = {}
    classes = sorted({c for t in fleet.drone_types for c in t.detect_day})
    for z in zones:
        out_z[z.id] = {"parties": {}, "sectors": {}}
        detection[z.id] = {}
    goal_w = {g.zone: g.weight for g in fleet.goals.zones}
    for party in m.party_ids:
        widths = {z.id: z.width_km.get(party, 0.0) * 1000.0 for z in zones}
        dmax = max(widths.values(), default=0.0)
        if dmax <= 0:
            continue
        x, y, zch, depth = _offset_samples(m, party, dmax, grid)
        pi, li, pt = passes(x, y, legs)
        seen_z = np.zeros(x.shape[0], dtype=bool)
        seen_z[pi] = True
        zsec = m.sector_of_chainage(zch)
        night = is_night(m, fleet, pt) if pt.shape[0] else np.zeros(0, dtype=bool)
        types = [plan.sorties[int(legs.sortie[j])].drone_type for j in li]
        for zid, w in widths.items():
            if w <= 0:
                continue
            inz = depth < w
            out_z[zid]["parties"][party] = _share(seen_z, inz)
            for s in m.doc.sectors:
                cell = out_z[zid]["sectors"].setdefault(str(s.id), {})
                cell[party] = _share(seen_z, inz & (zsec == s.id))
            for c in classes:
                logmiss = np.zeros(x.shape[0])
                p = np.array(
                    [
                        fleet.drone_type(t).detect_p(c, bool(nt))
                        for t, nt in zip(types, night, strict=True)
                    ]
                )
                np.add.at(logmiss, pi, np.log1p(-np.minimum(p, 1 - 1e-12)))
                det = 1.0 - np.exp(logmiss)
                acc = detection[zid].setdefault(c, {"sum": 0.0, "n": 0})
                acc["sum"] += float(det[inz].sum())
                acc["n"] += int(inz.sum())
    for zid in out_z:
        parts = [v for v in out_z[zid]["parties"].values() if v is not None]
        areas = m.zone_area_km2(zid)
        tot = sum(areas.get(p, 0.0) for p in out_z[zid]["parties"])
        out_z[zid]["share"] = (
            sum(out_z[zid]["parties"][p] * areas.get(p, 0.0) for p in out_z[zid]["parties"]) / tot
            if parts and tot > 0
            else None
        )
        out_z[zid]["area_km2"] = tot
        out_z[zid]["goal_weight"] = goal_w.get(zid)
        detection[zid] = {
            c: (v["sum"] / v["n"] if v["n"] else None) for c, v in detection[zid].items()
        }
    flown = sum(s.distance_m() for s in plan.sorties) / 1000.0
    hours = sum(s.duration_s for s in plan.sorties) / 3600.0
    return {
        "planner": plan.planner,
        "sorties": len(plan.sorties),
        "drones": len(plan.drones),
        "fleet_size": sum(sum(b.drones.values()) for b in fleet.bases),
        "flown_km": flown,
        "flight_hours": hours,
        "line": line,
        "zones": out_z,
        "detection": detection,
    }


def zone_area_seen_km2(cov: dict[str, Any], zones: list[str] | None = None) -> float:
    """Zone area seen (km²) summed over ``zones`` (default: all)."""
    return sum(
        (v["share"] or 0.0) * v["area_km2"]
        for k, v in cov["zones"].items()
        if zones is None or k in zones
    )
