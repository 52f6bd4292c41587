"""Drone patrols on the frontline-2025 mandate: the OR-Tools planner against the
sector-sweep baseline, planning time, and withdrawal-violation recall against
fleet size, predicted by the planner and simulated, side by side.

    .venv/bin/python benchmarks/bench_patrol.py [--time-limit 5] [--seeds 101,102] [--quick]

1. Same fleet (examples/frontline-2025/fleet.yaml): zone area seen in the day
   per planner, line figures, CPU seconds (median of three). Issue 20's target:
   >= 20 % more zone area per day, or the same coverage with >= 20 % fewer drones.
2. Fewer drones: the smallest fleet (the document's mix, scaled) with which the
   planner sees as much of the heavy-weapons zone as the baseline does with all.
3. Recall: for each fleet size, the planner's predicted detection (its zone
   average per object class, weighted by the true violations' classes and zones)
   against the share of true withdrawal violations the simulator's flown sorties
   perceived, over the evaluation seeds (never tuned on). The day is the heavy
   profile with half the weapons inside their zones (more violations per day,
   less sampling noise).
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from ceasefire.mandate import load_mandate
from ceasefire.patrol import load_fleet, plan_patrols
from ceasefire.patrol.baseline import plan_baseline
from ceasefire.patrol.coverage import coverage
from ceasefire.patrol.size import mix
from ceasefire.simulate import get_profile, simulate

ROOT = Path(__file__).resolve().parents[1]
ZONES = ("demilitarized", "long-range")


def cpu(fn: Any) -> tuple[Any, float]:
    t = time.process_time()
    out = fn()
    return out, time.process_time() - t


def median_cpu(fn: Any, n: int = 3) -> tuple[Any, float]:
    runs = [cpu(fn) for _ in range(n)]
    return runs[-1][0], statistics.median(r[1] for r in runs)


def area(cov: dict[str, Any], z: str) -> float:
    v = cov["zones"][z]
    return float(v["share"] or 0.0) * float(v["area_km2"])


def predicted(cov: dict[str, Any], m: Any, viol: list[dict[str, Any]]) -> float:
    """Mean predicted detection over these true withdrawal violations."""
    if not viol:
        return float("nan")
    tot = 0.0
    for v in viol:
        zone = m.rule(v["rule"]).zone
        tot += cov["detection"][zone].get(v["object"]) or 0.0
    return tot / len(viol)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--time-limit", type=float, default=5.0, help="solver s per base")
    ap.add_argument("--seeds", default="101,102")
    ap.add_argument("--sizes", default="3,5,8,10,14")
    ap.add_argument("--quick", action="store_true", help="one run each, one seed, 3 sizes")
    a = ap.parse_args()
    m = load_mandate(ROOT / "examples" / "frontline-2025" / "mandate.yaml")
    fleet = load_fleet(ROOT / "examples" / "frontline-2025" / "fleet.yaml", m)
    t0 = datetime(2025, 6, 1, tzinfo=m.tz).timestamp()
    reps = 1 if a.quick else 3
    seeds = [int(s) for s in a.seeds.split(",")][: 1 if a.quick else None]
    sizes = [int(s) for s in a.sizes.split(",")][: 3 if a.quick else None]

    print(f"# 1. same fleet: {fleet.doc.size} drones, 24 h, time limit {a.time_limit:g} s per base")
    pr, cpu_r = median_cpu(
        lambda: plan_patrols(m, fleet, t0, 24.0, time_limit_s=a.time_limit), reps
    )
    pb, cpu_b = median_cpu(lambda: plan_baseline(m, fleet, t0, 24.0), reps)
    cr, cb = coverage(m, pr), coverage(m, pb)
    print(f"{'':28s}{'planner':>12s}{'baseline':>12s}{'ratio':>8s}")
    for z in ZONES:
        ar, ab = area(cr, z), area(cb, z)
        print(f"{z + ' area seen, km2':28s}{ar:12,.0f}{ab:12,.0f}{ar / ab:8.2f}")
    for k in ("within_revisit", "every_period", "seen"):
        vr, vb = cr["line"][k], cb["line"][k]
        print(f"{'line ' + k:28s}{vr:12.1%}{vb:12.1%}")
    print(f"{'flight hours':28s}{cr['flight_hours']:12.1f}{cb['flight_hours']:12.1f}")
    print(f"{'flown km':28s}{cr['flown_km']:12,.0f}{cb['flown_km']:12,.0f}")
    print(f"{'planning CPU s (median)':28s}{cpu_r:12.2f}{cpu_b:12.2f}")

    print("\n# 2. fewer drones: the planner with n drones against the baseline with all")
    goal = cb["zones"]["demilitarized"]["share"]
    found = None
    for n in range(1, fleet.doc.size + 1):
        f = fleet.with_counts(mix(fleet, n))
        c = coverage(m, plan_patrols(m, f, t0, 24.0, time_limit_s=a.time_limit))
        share = c["zones"]["demilitarized"]["share"]
        print(
            f"{n:3d} drones: demilitarized {share:.1%} (baseline with {fleet.doc.size}: {goal:.1%})"
        )
        if share >= goal:
            found = n
            break
    if found is not None:
        print(f"same heavy-weapons zone coverage with {found} of {fleet.doc.size} drones: "
              f"{1 - found / fleet.doc.size:.0%} fewer")  # fmt: skip

    print(f"\n# 3. withdrawal-violation recall against fleet size (seeds {seeds})")
    prof = dataclasses.replace(get_profile("heavy"), inside_share=0.5)
    print(f"{'drones':>6s}{'sorties':>9s}{'violations':>12s}{'predicted':>11s}{'simulated':>11s}"
          f"{'diff, pts':>11s}")  # fmt: skip
    for n in sizes:
        f = fleet.with_counts(mix(fleet, n))
        plan = plan_patrols(m, f, t0, 24.0, time_limit_s=a.time_limit)
        cov = coverage(m, plan)
        viol: list[dict[str, Any]] = []
        for s in seeds:
            sc = simulate(m, prof, t0, 24.0, s, plan)
            viol += [v for v in sc.truth["violations"] if v["kind"] == "weapon"]
        pred = predicted(cov, m, viol)
        sim = sum(v["perceived"] for v in viol) / len(viol)
        print(f"{n:6d}{len(plan.sorties):9d}{len(viol):12d}{pred:11.1%}{sim:11.1%}"
              f"{(pred - sim) * 100:+11.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
