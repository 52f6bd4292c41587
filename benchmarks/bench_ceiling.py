"""How far the system's violations are from what perfect association would give.

    .venv/bin/python benchmarks/bench_ceiling.py [--profile heavy] [--seeds 2015 2016 2017]
        [--hours 24] [--quick]

For each day (24 h from 2025-06-01 00:00 local, as ``ceasefire simulate --profile P
--seed S``; the heavy profile by default; quiet and heavy on the Donbas example, stress
on frontline-2025, e.g. ``--profile stress --seeds 1 --hours 2``), the day
is fused, judged and scored twice with the scorer of ``ceasefire score`` (misses by
what perceived them, and the *reportable* F1, from the day's observations file):

- **system**: ``ceasefire.fuse`` as shipped;
- **oracle association**: the same pipeline, except that association (which reports
  belong to one launch or one impact) is told the truth: every report of a real
  round's phase is grouped with the others of that phase, clutter is left free, and a
  group is kept when it can fix a position with a check (two bearings; one bearing and
  two arrivals; four arrivals), as association's own rule. Everything after it is the
  system's: arrival-only groups, late attachment, lone bearings, launch/impact and
  ray pairing, corroboration, assessment.

The oracle is the peer: the ratio system / oracle says how much of what the
observations allow association already gets, and the oracle's own F1 is a ceiling of
this pipeline (only better pairing of lone rays, or reporting what cannot be located,
could pass it). The oracle replaces ``ceasefire.fuse.engine.associate`` in this
process only (``_fuse_acoustic`` is wrapped to hand it the observations); the run
fails if the replacement was never called. The oracle lives in ``oracle.py``, shared
with ``bench_family.py``.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from oracle import Oracle, patched, scored

from ceasefire.mandate import load_mandate
from ceasefire.simulate import get_profile, simulate
from ceasefire.simulate.files import write_scenario

ROOT = Path(__file__).resolve().parents[1]
MANDATES = {
    "quiet": ROOT / "examples" / "donbas-2015" / "mandate.yaml",
    "heavy": ROOT / "examples" / "donbas-2015" / "mandate.yaml",
    "stress": ROOT / "examples" / "frontline-2025" / "mandate.yaml",
}


def _row(name: str, s: dict[str, Any], took: float) -> str:
    miss = s.get("misses_by_perception", {})
    rep = s.get("reportable", {})
    return (
        f"  {name:<20} F1 {s['f1']:.4f}  P {s['precision']:.4f}  R {s['recall']:.4f}  "
        f"reportable F1 {rep.get('f1', float('nan')):.4f}  doubles {s['double_counts']:>4}  "
        f"missed {s['truth'] - s['matched']:>4} ({', '.join(f'{k}: {v}' for k, v in miss.items())})"
        f"  fusion {took:.1f} s"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--profile", default="heavy", choices=sorted(MANDATES))
    ap.add_argument("--seeds", type=int, nargs="+", default=[2015, 2016, 2017])
    ap.add_argument("--hours", type=float, default=24.0)
    ap.add_argument("--quick", action="store_true", help="seed 2015, 6 h")
    a = ap.parse_args()
    seeds, hours = ([2015], 6.0) if a.quick else (a.seeds, a.hours)
    m = load_mandate(MANDATES[a.profile])
    cpu = platform.processor() or platform.machine()
    print(f"machine: {cpu}, Python {platform.python_version()}")
    print(f"{a.profile} profile, {MANDATES[a.profile].parent.name} mandate, {hours:g} h per day")
    sums = {"system": [0, 0, 0], "oracle": [0, 0, 0]}  # matched, system, truth
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            t0 = datetime(2025, 6, 1, tzinfo=m.tz).timestamp()
            t1 = t0 + hours * 3600.0
            sc = simulate(m, get_profile(a.profile), t0, hours, seed)
            paths = write_scenario(Path(tmp) / str(seed), sc.observations, sc.truth)
            print(f"seed {seed}: {len(sc.observations):,} observations")
            s_sys, t_sys = scored(sc, m, t0, t1, paths["observations"])
            oracle = Oracle(sc.truth)
            undo = patched(oracle)
            try:
                s_orc, t_orc = scored(sc, m, t0, t1, paths["observations"])
            finally:
                undo()
            if oracle.calls == 0:
                print("the oracle was never called: fusion no longer goes through engine.associate")
                return 1
            print(_row("system", s_sys, t_sys))
            print(_row("oracle association", s_orc, t_orc))
            print(f"  ratio system / oracle F1: {s_sys['f1'] / s_orc['f1']:.3f}")
            for k, s in (("system", s_sys), ("oracle", s_orc)):
                sums[k][0] += s["matched"]
                sums[k][1] += s["system"]
                sums[k][2] += s["truth"]
    if len(seeds) > 1:
        f1 = {k: 2 * v[0] / (v[1] + v[2]) for k, v in sums.items()}
        print(
            f"pooled over {len(seeds)} days: system F1 {f1['system']:.4f}, oracle association "
            f"F1 {f1['oracle']:.4f}, ratio {f1['system'] / f1['oracle']:.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
