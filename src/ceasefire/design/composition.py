"""Compose a force from pledges with OR-Tools CP-SAT.

Each usable pledge may be taken in part. The force meets the requirement for
troops, monitors and drones as far as it can; no contributor supplies more
than ``max_share`` of the force actually composed, no region more than
``max_region_share``, and a non-empty force spans at least ``min_regions``
regions. The solver first minimizes the shortfall, each kind weighted by one
over its requirement (so 10 % short of troops costs as much as 10 % short of
drones), then, at that shortfall, prefers more regions and fewer contributors.
A single worker and a fixed seed make the result deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction

from ortools.sat.python import cp_model

KINDS: tuple[str, ...] = ("troops", "monitors", "drones")


@dataclass(frozen=True)
class Offer:
    """What one usable contributor pledges, and its region."""

    country: str
    region: str
    amounts: Mapping[str, int]


@dataclass(frozen=True)
class Problem:
    offers: tuple[Offer, ...]
    required: Mapping[str, int]
    max_share: float = 1.0
    min_regions: int = 1
    max_region_share: float = 1.0


@dataclass(frozen=True)
class Composition:
    """The best force found; ``shortfall`` is zero per kind when the requirement is met."""

    status: str  # optimal | feasible | unknown
    allocation: dict[str, dict[str, int]]  # country -> kind -> amount (only contributors)
    totals: dict[str, int]
    required: dict[str, int]
    shortfall: dict[str, int]
    regions: tuple[str, ...]
    constraints: dict[str, float] = field(default_factory=dict)

    @property
    def meets_requirement(self) -> bool:
        return all(v == 0 for v in self.shortfall.values())

    @property
    def relative_shortfall(self) -> float:
        """Mean over the required kinds of shortfall / required (0 = met, 1 = nothing)."""
        ks = [k for k in self.required if self.required[k] > 0]
        return sum(self.shortfall[k] / self.required[k] for k in ks) / len(ks) if ks else 0.0

    def to_dict(self) -> dict[str, object]:
        return {
            "status": self.status,
            "meets_requirement": self.meets_requirement,
            "required": self.required,
            "totals": self.totals,
            "shortfall": self.shortfall,
            "relative_shortfall": round(self.relative_shortfall, 6),
            "contributors": [{"country": c, **a} for c, a in sorted(self.allocation.items())],
            "regions": list(self.regions),
            "constraints": self.constraints,
        }


def _frac(x: float) -> tuple[int, int]:
    f = Fraction(x).limit_denominator(1000)
    return f.numerator, f.denominator


def compose(problem: Problem, *, time_limit_s: float = 10.0) -> Composition:
    """Solve ``problem``; always returns a composition (the empty force is feasible)."""
    kinds = [k for k in KINDS if problem.required.get(k, 0) > 0]
    offers = [o for o in problem.offers if any(o.amounts.get(k, 0) > 0 for k in kinds)]
    req = {k: int(problem.required.get(k, 0)) for k in KINDS}
    constraints = {
        "max_share": problem.max_share,
        "min_regions": problem.min_regions,
        "max_region_share": problem.max_region_share,
    }
    if not kinds:
        return Composition(
            "optimal", {}, dict.fromkeys(KINDS, 0), req, dict.fromkeys(KINDS, 0), (), constraints
        )
    m = cp_model.CpModel()
    x = {
        (i, k): m.new_int_var(0, min(o.amounts.get(k, 0), req[k]), f"x_{o.country}_{k}")
        for i, o in enumerate(offers)
        for k in kinds
    }
    y = [m.new_bool_var(f"y_{o.country}") for o in offers]
    for i, o in enumerate(offers):
        for k in kinds:
            m.add(x[i, k] <= min(o.amounts.get(k, 0), req[k]) * y[i])
        m.add(sum(x[i, k] for k in kinds) >= y[i])
    total = {k: m.new_int_var(0, req[k], f"total_{k}") for k in kinds}
    for k in kinds:
        m.add(total[k] == sum(x[i, k] for i in range(len(offers))))
    num, den = _frac(problem.max_share)
    if num < den:
        for i in range(len(offers)):
            for k in kinds:
                m.add(den * x[i, k] <= num * total[k])
    regions = sorted({o.region for o in offers})
    g = {r: m.new_bool_var(f"g_{r}") for r in regions}
    for r in regions:
        members = [i for i, o in enumerate(offers) if o.region == r]
        m.add_max_equality(g[r], [y[i] for i in members])
    if problem.min_regions > 1:
        any_used = m.new_bool_var("any")
        m.add_max_equality(any_used, y) if y else m.add(any_used == 0)
        m.add(sum(g.values()) >= problem.min_regions * any_used)
    rnum, rden = _frac(problem.max_region_share)
    if rnum < rden:
        for r in regions:
            members = [i for i, o in enumerate(offers) if o.region == r]
            for k in kinds:
                m.add(rden * sum(x[i, k] for i in members) <= rnum * total[k])
    lcm = math.lcm(*(req[k] for k in kinds))
    shortfall_cost = sum((lcm // req[k]) * (req[k] - total[k]) for k in kinds)

    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.max_time_in_seconds = time_limit_s
    m.minimize(shortfall_cost)
    st = solver.solve(m)
    if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):  # pragma: no cover - empty force fits
        return Composition("unknown", {}, dict.fromkeys(KINDS, 0), req, dict(req), (), constraints)
    status = "optimal" if st == cp_model.OPTIMAL else "feasible"
    best = round(solver.objective_value)
    # at that shortfall: more regions, then fewer contributors
    m.add(shortfall_cost <= best)
    m.minimize((len(offers) + 1) * -sum(g.values()) + sum(y))
    st2 = solver.solve(m)
    if st2 not in (cp_model.OPTIMAL, cp_model.FEASIBLE):  # pragma: no cover
        st2 = st
    elif st2 != cp_model.OPTIMAL:
        status = "feasible"
    alloc: dict[str, dict[str, int]] = {}
    for i, o in enumerate(offers):
        if solver.value(y[i]):
            alloc[o.country] = {k: (int(solver.value(x[i, k])) if k in kinds else 0) for k in KINDS}
    totals = {k: sum(a[k] for a in alloc.values()) for k in KINDS}
    shortfall = {k: max(0, req[k] - totals[k]) for k in KINDS}
    used_regions = tuple(sorted({o.region for o in offers if o.country in alloc}))
    return Composition(status, alloc, totals, req, shortfall, used_regions, constraints)


def diagnose(problem: Problem, *, time_limit_s: float = 10.0) -> dict[str, Composition]:
    """The composition with each spreading constraint lifted, to show which one binds."""
    out = {}
    if problem.max_share < 1.0:
        out["without share cap"] = compose(
            replace(problem, max_share=1.0), time_limit_s=time_limit_s
        )
    if problem.min_regions > 1 or problem.max_region_share < 1.0:
        out["without region spread"] = compose(
            replace(problem, min_regions=1, max_region_share=1.0), time_limit_s=time_limit_s
        )
    if len(out) == 2:
        out["without either"] = compose(
            replace(problem, max_share=1.0, min_regions=1, max_region_share=1.0),
            time_limit_s=time_limit_s,
        )
    return out


def capacity_met(
    amounts: Sequence[Mapping[str, int]], required: Mapping[str, int], max_share: float
) -> bool:
    """Whether pledges can meet ``required`` under the share cap (regions ignored).

    Exact for the cap alone: each contributor gives at most min(pledge, cap x
    required), and any amounts within those bounds summing to the requirement
    respect the cap.
    """
    for k, r in required.items():
        if r <= 0:
            continue
        cap = math.floor(max_share * r + 1e-9)
        if sum(min(a.get(k, 0), cap) for a in amounts) < r:
            return False
    return True
