"""The baseline planner: back-and-forth sweeps of each sector.

What a mission does without a planner: the drones of the bases serving a
sector sweep that sector's zone lanes (the planner's lanes, cut at the
sector's ends) from the line outwards, one lane forwards, the next backwards,
each party's side in turn. Each sortie flies from its base to where the last
one stopped, follows the sweep while the fuel allows the way home, and lands;
the drone takes off again after its turnaround. Pieces beyond a drone's range
are left out of its sector's sweep.
"""

from __future__ import annotations

import time

import numpy as np
import numpy.typing as npt

from ceasefire.mandate import Mandate
from ceasefire.patrol.fleet import Fleet
from ceasefire.patrol.plan import Plan, Sortie, drone_ids
from ceasefire.patrol.tasks import Task, build_tasks

F8 = npt.NDArray[np.float64]
#: step (m) at which a sweep is cut when the fuel runs short
STEP_M = 250.0


def _sweep_path(lanes: list[Task]) -> F8:
    """The sector's sweep as one polyline ``(k, 2)``: the lanes of the most
    valuable zones first, then from the line outwards, each party's side in
    turn, alternating direction; pieces in order along each lane."""
    by_lane: dict[tuple[int, str], list[Task]] = {}
    density: dict[tuple[int, str], float] = {}
    for t in lanes:
        key = (round(t.depth_m), t.party or "")
        by_lane.setdefault(key, []).append(t)
        density[key] = max(density.get(key, 0.0), t.value / max(t.length_m, 1.0))
    pts: list[F8] = []
    order = sorted(by_lane, key=lambda k: (-round(density[k], 9), k))
    for n, key in enumerate(order):
        pieces = sorted(by_lane[key], key=lambda t: t.group)
        c = np.concatenate([p.coords for p in pieces])
        pts.append(c if n % 2 == 0 else c[::-1])
    return np.concatenate(pts) if pts else np.zeros((0, 2))


def _resample(path: F8, step: float) -> F8:
    seg = np.hypot(*np.diff(path, axis=0).T)
    cum = np.r_[0.0, np.cumsum(seg)]
    s = np.arange(0.0, cum[-1] + step, step)
    s[-1] = min(s[-1], cum[-1])
    return np.column_stack([np.interp(s, cum, path[:, 0]), np.interp(s, cum, path[:, 1])])


def plan_baseline(m: Mandate, fleet: Fleet, start_s: float, hours: float) -> Plan:
    """Sector sweeps for ``hours`` from ``start_s`` with the same drones."""
    cpu0 = time.process_time()
    horizon = hours * 3600.0
    tasks = [t for t in build_tasks(m, fleet, hours) if t.kind == "lane"]
    frame = m.contact.frame
    drones = drone_ids(fleet.doc)
    sorties: list[Sortie] = []
    for sector in sorted({b.sector for b in fleet.doc.bases}):
        bases = {b.id: b for b in fleet.doc.bases if b.sector == sector}
        crew = [(d, fleet.doc.drone_type(t), bases[b]) for d, t, b in drones if b in bases]
        if not crew:
            continue
        reach = {}
        for _, t, b in crew:
            bx, by = (float(v) for v in frame.to_xy(b.lat, b.lon))
            reach[(b.id, t.id)] = (bx, by, t.range_km * 1000.0)
        # a piece is swept when some drone of the sector reaches all of it
        lanes = [
            k
            for k in tasks
            if k.sector == sector
            and k.window_s[0] == 0.0
            and any(
                float(np.hypot(k.coords[:, 0] - bx, k.coords[:, 1] - by).max()) <= r
                for bx, by, r in reach.values()
            )
        ]
        path = _sweep_path(lanes)
        if path.shape[0] < 2:
            continue
        pts = _resample(path, STEP_M)
        pos = 0
        free = {d: 0.0 for d, _, _ in crew}
        count = {d: 0 for d, _, _ in crew}
        restarted: dict[str, bool] = {}
        while True:
            d, t, b = min(crew, key=lambda c: (free[c[0]], c[0]))
            t_take = free[d]
            if t_take >= horizon:
                break
            bx, by, rng = reach[(b.id, t.id)]
            v = t.speed_mps
            budget = min(t.endurance_h * 3600.0, horizon - t_take) * v
            home = np.hypot(pts[:, 0] - bx, pts[:, 1] - by)
            if pos >= pts.shape[0] - 1:
                pos = 0  # the sweep is done: start it again
            # fly out, sweep from pos to e, fly home: within budget and range
            along = np.r_[0.0, np.cumsum(np.hypot(*np.diff(pts[pos:], axis=0).T))]
            need = home[pos] + along + home[pos:]
            out_of_range = np.flatnonzero(home[pos:] > rng)
            lim = out_of_range[0] if out_of_range.shape[0] else need.shape[0]
            fits = np.flatnonzero(need[:lim] <= budget)
            if fits.shape[0] == 0 or fits[-1] == 0:
                # skip to the next point of the sweep this drone can work from
                ahead = np.flatnonzero(
                    (home[pos + 1 :] <= rng) & (2.0 * home[pos + 1 :] + STEP_M <= budget)
                )
                if ahead.shape[0]:
                    pos += 1 + int(ahead[0])
                elif pos != 0 and not restarted.get(d):
                    restarted[d] = True
                    pos = 0
                else:
                    free[d] = horizon  # nothing this drone can still fly
                continue
            restarted[d] = False
            e = pos + int(fits[-1])
            seg = pts[pos : e + 1]
            tt = t_take + home[pos] / v + along[: e - pos + 1] / v
            t_land = tt[-1] + home[e] / v
            xy = np.vstack([[bx, by], seg, [bx, by]])
            ts = np.r_[t_take, tt, t_land]
            # keep the turning points only (every vertex of the resampled path is straight)
            la, lo = frame.to_latlon(xy[:, 0], xy[:, 1])
            la[0], lo[0], la[-1], lo[-1] = b.lat, b.lon, b.lat, b.lon
            keep = _corners(xy)
            wps = [(start_s + float(ts[j]), float(la[j]), float(lo[j])) for j in keep]
            count[d] += 1
            sorties.append(Sortie(f"{d}-s{count[d]}", d, t.id, b.id, wps, []))
            pos = e
            free[d] = t_land + t.turnaround_h * 3600.0
    sorties.sort(key=lambda s: (s.takeoff_s, s.id))
    return Plan("baseline", start_s, hours, fleet.doc, sorties, time.process_time() - cpu0)


def _corners(xy: F8) -> list[int]:
    """Indices of the points where the path turns (and both ends)."""
    if xy.shape[0] <= 2:
        return list(range(xy.shape[0]))
    d = np.diff(xy, axis=0)
    n = np.hypot(d[:, 0], d[:, 1])
    n[n == 0] = 1.0
    u = d / n[:, None]
    cross = np.abs(u[:-1, 0] * u[1:, 1] - u[:-1, 1] * u[1:, 0])
    dot = (u[:-1] * u[1:]).sum(axis=1)
    turn = np.flatnonzero((cross > 1e-6) | (dot < 0)) + 1
    return [0, *turn.tolist(), xy.shape[0] - 1]
