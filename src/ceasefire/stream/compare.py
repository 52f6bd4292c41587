"""Live against batch: the same violations? By id (content-derived: the same rule
on the same observations) and, for those that differ, by a match of rule, time
and place (an event whose reports were grouped a little differently)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from ceasefire.geo import distance_m
from ceasefire.model import Violation


@dataclass
class Comparison:
    """Violations of ``a`` (live) against ``b`` (batch)."""

    same_id: int
    matched: int  # different id, same rule within ``time_s`` and ``distance_m``
    only_a: list[Violation] = field(default_factory=list)
    only_b: list[Violation] = field(default_factory=list)
    n_a: int = 0
    n_b: int = 0

    @property
    def f1_id(self) -> float:
        return 2 * self.same_id / (self.n_a + self.n_b) if self.n_a + self.n_b else 1.0

    @property
    def f1(self) -> float:
        tp = self.same_id + self.matched
        return 2 * tp / (self.n_a + self.n_b) if self.n_a + self.n_b else 1.0


def compare_violations(
    a: Sequence[Violation],
    b: Sequence[Violation],
    *,
    time_s: float = 5.0,
    distance_m: float = 1000.0,
) -> Comparison:
    """Match ``a`` to ``b``: equal ids first, then greedily by rule, time and place."""
    ids_b = {v.id for v in b}
    ids_a = {v.id for v in a}
    rest_a = sorted((v for v in a if v.id not in ids_b), key=lambda v: v.time_s)
    rest_b = sorted((v for v in b if v.id not in ids_a), key=lambda v: v.time_s)
    used: set[int] = set()
    only_a: list[Violation] = []
    for v in rest_a:
        best, best_d = -1, math.inf
        for j, w in enumerate(rest_b):
            if j in used or w.rule != v.rule or abs(w.time_s - v.time_s) > time_s:
                continue
            d = _distance_m(v, w)
            if d <= distance_m and d < best_d:
                best, best_d = j, d
        if best >= 0:
            used.add(best)
        else:
            only_a.append(v)
    only_b = [w for j, w in enumerate(rest_b) if j not in used]
    return Comparison(len(ids_a & ids_b), len(used), only_a, only_b, len(a), len(b))


def _distance_m(v: Violation, w: Violation) -> float:
    if v.lat is None or v.lon is None or w.lat is None or w.lon is None:
        return 0.0 if (v.lat is None) == (w.lat is None) else math.inf
    return float(distance_m(v.lat, v.lon, w.lat, w.lon))


def why_differs(only: Sequence[Violation], other: Sequence[Violation]) -> dict[str, int]:
    """Why each of ``only`` (violations of one side without a match) has none on
    the other side, counted by cause: ``pairing`` (a violation of the other side
    shares reports with it, and one of the two is a paired launch and impact, the
    other not), ``grouping`` (one shares reports, both paired or both not: the
    reports were grouped differently), ``none`` (no violation of the other side
    shares a report: the other side made no violation of them, e.g. it found the
    event uncorroborated or judged it under no rule)."""
    by_obs: dict[str, list[Violation]] = {}
    for w in other:
        for o in w.observation_ids:
            by_obs.setdefault(o, []).append(w)
    out = {"pairing": 0, "grouping": 0, "none": 0}
    for v in only:
        near = {w.id: w for o in v.observation_ids for w in by_obs.get(o, [])}
        if not near:
            out["none"] += 1
        elif any((w.launch_lat is None) != (v.launch_lat is None) for w in near.values()):
            out["pairing"] += 1
        else:
            out["grouping"] += 1
    return out
