"""The planner: prize-collecting vehicle routing with time windows (OR-Tools).

Per base, every sortie slot of every drone is a vehicle; every task (a piece of
line or lane, in either direction) a node whose prize is its value. The time
dimension carries flight time (travel plus the piece itself at cruise speed)
with waiting allowed; a vehicle's span is capped at its drone's endurance, its
cumul at the horizon; a drone's next sortie starts no earlier than the last one
landed plus the turnaround; a line piece of revisit period ``r`` starts inside
that period; pieces beyond a type's range are not offered to it. The solver
drops the pieces whose prize is not worth the flight (a disjunction per piece).

Bases are planned one after the other, the biggest first; a piece flown from
one base is not offered to the next. Each base is offered only its best
candidates (by value per km of flying there and back) up to ~2.5 times what its
drones can fly in the horizon, which keeps each model at a few hundred nodes.
"""

from __future__ import annotations

import math
import time

import numpy as np
import numpy.typing as npt
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from ceasefire.mandate import Mandate
from ceasefire.patrol.fleet import Base, DroneType, Fleet
from ceasefire.patrol.plan import Plan, Sortie, drone_ids
from ceasefire.patrol.tasks import Task, build_tasks

F8 = npt.NDArray[np.float64]

#: prize units per unit of task value: large against the span cost (1 per s)
PRIZE_SCALE = 10_000.0
#: candidates offered to a base: this many times the km its drones can fly
CANDIDATE_FACTOR = 2.5
#: and never more than this many pieces
MAX_CANDIDATES = 260


def sortie_slots(t: DroneType, hours: float) -> int:
    """Sorties one drone of type ``t`` can start in ``hours``."""
    return max(1, math.ceil(hours / (t.endurance_h + t.turnaround_h)))


def _base_xy(m: Mandate, b: Base) -> tuple[float, float]:
    x, y = m.contact.frame.to_xy(b.lat, b.lon)
    return float(x), float(y)


def _farthest_m(c: F8, bx: float, by: float) -> float:
    return float(np.hypot(c[:, 0] - bx, c[:, 1] - by).max())


def _candidates(
    tasks: list[Task],
    done: set[str],
    b: Base,
    bxy: tuple[float, float],
    fleet: Fleet,
    hours: float,
) -> list[Task]:
    types = [fleet.doc.drone_type(t) for t, n in b.drones.items() if n > 0]
    if not types:
        return []
    reach = max(t.range_km for t in types) * 1000.0
    budget = (
        sum(
            b.drones[t.id] * t.cruise_kmh * min(hours, sortie_slots(t, hours) * t.endurance_h)
            for t in types
        )
        * 1000.0
    )
    ok = []
    for k in tasks:
        if k.id in done:
            continue
        far = _farthest_m(k.coords, *bxy)
        if far > reach:
            continue
        # the task flown alone there and back must fit one sortie of some type
        d0 = float(np.hypot(k.coords[0, 0] - bxy[0], k.coords[0, 1] - bxy[1]))
        d1 = float(np.hypot(k.coords[-1, 0] - bxy[0], k.coords[-1, 1] - bxy[1]))
        fly = min(d0, d1) + k.length_m + max(d0, d1)
        if not any(
            fly <= t.speed_mps * t.endurance_h * 3600.0 and far <= t.range_km * 1000.0
            for t in types
        ):
            continue
        ok.append((k.value / (k.length_m + min(d0, d1)), k))
    ok.sort(key=lambda p: (-p[0], p[1].id))
    out: list[Task] = []
    total = 0.0
    for _, k in ok:
        if total >= CANDIDATE_FACTOR * budget or len(out) >= MAX_CANDIDATES:
            break
        out.append(k)
        total += k.length_m
    return out


def _greedy_routes(
    vehicles: list[tuple[str, DroneType, int]],
    secs_by_type: dict[str, npt.NDArray[np.int64]],
    cands: list[Task],
    far_m: F8,
    horizon: int,
) -> list[list[int]]:
    """A first solution: each sortie in turn takes the feasible piece of best
    value per second (travel, wait and the piece) until only the way home is left.
    Nodes ``1 + 2i`` and ``2 + 2i`` are candidate ``i`` flown each way."""
    n_c = len(cands)
    value = np.repeat(np.array([k.value for k in cands]), 2)
    lo = np.repeat(np.array([k.window_s[0] for k in cands]), 2)
    hi = np.repeat(np.array([k.window_s[1] for k in cands]), 2)
    free = np.ones(2 * n_c, dtype=bool)
    far = np.repeat(far_m, 2)
    land: dict[str, float] = {}
    routes: list[list[int]] = []
    for d, t, _ in vehicles:
        secs = secs_by_type[t.id]
        service = np.repeat(np.array([k.length_m for k in cands]), 2) / t.speed_mps
        reach = far <= t.range_km * 1000.0
        t0 = land.get(d, 0.0)
        if t0 >= horizon:
            routes.append([])
            continue
        span = t.endurance_h * 3600.0
        node, now, route = 0, t0, []
        while True:
            arrive = now + secs[node, 1:]
            start = np.maximum(arrive, lo)
            back = start + secs[1:, 0]  # fly the piece and home
            ok = free & reach & (start <= hi) & (back - t0 <= span) & (back <= horizon)
            if not ok.any():
                break
            busy = start - now + service
            score = np.where(ok, value / np.maximum(busy, 1.0), -1.0)
            j = int(np.argmax(score))
            route.append(j + 1)
            pair = j - (j % 2)
            free[pair : pair + 2] = False
            now = float(start[j])
            node = j + 1
        routes.append(route)
        if route:
            land[d] = now + float(secs[node, 0]) + t.turnaround_h * 3600.0
    return routes


def _plan_base(
    m: Mandate,
    fleet: Fleet,
    b: Base,
    cands: list[Task],
    start_s: float,
    hours: float,
    time_limit_s: float,
) -> list[Sortie]:
    """Route the drones of base ``b`` over ``cands``."""
    horizon = int(hours * 3600)
    bx, by = _base_xy(m, b)
    # node 0 the base; then each candidate forwards and backwards
    entry = [np.array([bx, by])]
    exit_ = [np.array([bx, by])]
    length = [0.0]
    task_of: list[Task | None] = [None]
    for k in cands:
        for c in (k.coords, k.coords[::-1]):
            entry.append(c[0])
            exit_.append(c[-1])
            length.append(k.length_m)
            task_of.append(k)
    n = len(entry)
    ex = np.asarray(exit_)
    en = np.asarray(entry)
    dist = np.hypot(ex[:, None, 0] - en[None, :, 0], ex[:, None, 1] - en[None, :, 1])
    drones = [(d, t, bb) for d, t, bb in drone_ids(fleet.doc) if bb == b.id]
    vehicles: list[tuple[str, DroneType, int]] = []
    for d, tid, _ in drones:
        t = fleet.doc.drone_type(tid)
        for s in range(sortie_slots(t, hours)):
            vehicles.append((d, t, s))
    if not vehicles:
        return []
    manager = pywrapcp.RoutingIndexManager(n, len(vehicles), 0)
    routing = pywrapcp.RoutingModel(manager)
    lens = np.asarray(length)
    cb_by_type: dict[str, int] = {}
    secs_by_type: dict[str, npt.NDArray[np.int64]] = {}
    for _, t, _ in vehicles:
        if t.id not in cb_by_type:
            secs = np.ceil((dist + lens[:, None]) / t.speed_mps).astype(np.int64)
            np.fill_diagonal(secs, 0)
            secs_by_type[t.id] = secs
            cb_by_type[t.id] = routing.RegisterTransitMatrix(secs.tolist())
    cbs = [cb_by_type[t.id] for _, t, _ in vehicles]
    for v, cb in enumerate(cbs):
        routing.SetArcCostEvaluatorOfVehicle(cb, v)
    routing.AddDimensionWithVehicleTransits(cbs, horizon, horizon, False, "time")
    tdim = routing.GetDimensionOrDie("time")
    for v, (_, t, _) in enumerate(vehicles):
        tdim.SetSpanUpperBoundForVehicle(int(t.endurance_h * 3600), v)
        tdim.SetSpanCostCoefficientForVehicle(1, v)
    far = np.array([_farthest_m(k.coords, bx, by) for k in cands])
    solver = routing.solver()
    for v in range(1, len(vehicles)):
        d_prev, t_prev, _ = vehicles[v - 1]
        d, _, _ = vehicles[v]
        if d == d_prev:
            solver.Add(
                tdim.CumulVar(routing.End(v - 1)) + int(t_prev.turnaround_h * 3600)
                <= tdim.CumulVar(routing.Start(v))
            )
    for i, k in enumerate(cands):
        nodes = [manager.NodeToIndex(1 + 2 * i), manager.NodeToIndex(2 + 2 * i)]
        a, z = int(k.window_s[0]), int(k.window_s[1])
        for idx in nodes:
            tdim.CumulVar(idx).SetRange(a, max(a, z))
            banned = [v for v, (_, t, _) in enumerate(vehicles) if far[i] > t.range_km * 1000.0]
            if banned:
                routing.VehicleVar(idx).RemoveValues(banned)
        routing.AddDisjunction(nodes, max(1, int(k.value * PRIZE_SCALE)), 1)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    # reading the first routes back is a search too: close without a time limit
    routing.CloseModelWithParameters(pywrapcp.DefaultRoutingSearchParameters())
    params.time_limit.FromMilliseconds(int(time_limit_s * 1000))
    routes = _greedy_routes(vehicles, secs_by_type, cands, far, horizon)
    first = routing.ReadAssignmentFromRoutes(
        [[manager.NodeToIndex(i) for i in r] for r in routes], True
    )
    sol = routing.SolveFromAssignmentWithParameters(first, params) if first else None
    if sol is None:
        sol = first
    if sol is None:
        return []
    out: list[Sortie] = []
    frame = m.contact.frame
    blat, blon = b.lat, b.lon
    for v, (d, t, s) in enumerate(vehicles):
        idx = routing.Start(v)
        if routing.IsEnd(sol.Value(routing.NextVar(idx))):
            continue
        t_take = sol.Value(tdim.CumulVar(idx))
        pts: list[tuple[float, float, float]] = [(float(t_take), bx, by)]
        names: list[str] = []
        idx = sol.Value(routing.NextVar(idx))
        while not routing.IsEnd(idx):
            node = manager.IndexToNode(idx)
            k = task_of[node]
            assert k is not None
            c = k.coords if node % 2 == 1 else k.coords[::-1]
            t_in = float(sol.Value(tdim.CumulVar(idx)))
            # arrive at the entry, wait there if early, then fly the piece
            t_arrive = (
                pts[-1][0]
                + float(np.hypot(c[0, 0] - pts[-1][1], c[0, 1] - pts[-1][2])) / t.speed_mps
            )
            if t_in > t_arrive + 1.0:
                pts.append((t_arrive, float(c[0, 0]), float(c[0, 1])))
            seg = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(c, axis=0).T))])
            for j in range(c.shape[0]):
                pts.append((t_in + seg[j] / t.speed_mps, float(c[j, 0]), float(c[j, 1])))
            names.append(k.id)
            idx = sol.Value(routing.NextVar(idx))
        t_land = pts[-1][0] + float(np.hypot(bx - pts[-1][1], by - pts[-1][2])) / t.speed_mps
        pts.append((t_land, bx, by))
        arr = np.asarray(pts)
        la, lo = frame.to_latlon(arr[:, 1], arr[:, 2])
        la[0], lo[0], la[-1], lo[-1] = blat, blon, blat, blon
        wps = [
            (start_s + float(arr[j, 0]), float(la[j]), float(lo[j])) for j in range(arr.shape[0])
        ]
        out.append(Sortie(f"{d}-s{s + 1}", d, t.id, b.id, wps, names))
    return out


def plan_patrols(
    m: Mandate,
    fleet: Fleet,
    start_s: float,
    hours: float,
    *,
    hot_xy: F8 | None = None,
    time_limit_s: float = 5.0,
) -> Plan:
    """The routed plan for ``hours`` from ``start_s``; ``hot_xy`` ``(n, 2)``:
    recent violations in the contact line's frame (m); ``time_limit_s`` per base."""
    cpu0 = time.process_time()
    tasks = build_tasks(m, fleet, hours, hot_xy)
    done: set[str] = set()
    sorties: list[Sortie] = []
    bases = sorted(fleet.doc.bases, key=lambda b: (-sum(b.drones.values()), b.id))
    for b in bases:
        if sum(b.drones.values()) == 0:
            continue
        bxy = _base_xy(m, b)
        cands = _candidates(tasks, done, b, bxy, fleet, hours)
        if not cands:
            continue
        got = _plan_base(m, fleet, b, cands, start_s, hours, time_limit_s)
        for s in got:
            done.update(s.tasks)
        sorties.extend(got)
    sorties.sort(key=lambda s: (s.takeoff_s, s.id))
    return Plan("routing", start_s, hours, fleet.doc, sorties, time.process_time() - cpu0)
