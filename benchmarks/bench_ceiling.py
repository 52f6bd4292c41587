"""How far the system's violations are from what perfect association would give.

    .venv/bin/python benchmarks/bench_ceiling.py [--profile heavy] [--seeds 2015 2016 2017]
        [--hours 24] [--quick]
    .venv/bin/python benchmarks/bench_ceiling.py --family varied --draws 0-29

With ``--family``, each draw ``K`` of the scenario family (``ceasefire simulate
--family NAME --draw K``, on the Donbas mandate) is one day, and the distribution
over the draws is printed: median and worst decile of F1 and of F1 / oracle F1,
and of the double-count rate (double counts / true violations).

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
fails if the replacement was never called.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from ceasefire.assess import assess
from ceasefire.fuse import engine
from ceasefire.fuse.association import Clusters, Reports
from ceasefire.fuse.frame import Grid
from ceasefire.fuse.solve import Rows
from ceasefire.mandate import load_mandate
from ceasefire.model.arrays import ObservationArrays
from ceasefire.pipeline import fuse_config
from ceasefire.report.geojson import violation_feature
from ceasefire.simulate import get_profile, simulate
from ceasefire.simulate.family import get_family, simulate_draw
from ceasefire.simulate.files import write_scenario
from ceasefire.simulate.scoring import score, system_from_features

ROOT = Path(__file__).resolve().parents[1]
MANDATES = {
    "quiet": ROOT / "examples" / "donbas-2015" / "mandate.yaml",
    "heavy": ROOT / "examples" / "donbas-2015" / "mandate.yaml",
    "stress": ROOT / "examples" / "frontline-2025" / "mandate.yaml",
}


class Oracle:
    """Association by the truth: ``phase_of`` maps an observation id to its round's
    phase group, ``point_of`` a group to its true (lat, lon, time) (the fit's start)."""

    def __init__(self, truth: dict[str, Any], grid: Grid) -> None:
        self.group: dict[str, int] = {}
        pts: list[tuple[float, float, float]] = []
        for r in truth["rounds"]:
            for phase in ("launch", "impact"):
                ids = r[f"{phase}_observations"]
                if ids:
                    for o in ids:
                        self.group[o] = len(pts)
                    p = r[phase]
                    pts.append((p["lat"], p["lon"], p["time"]))
        arr = np.array(pts).reshape(-1, 3)
        x, y = grid.to_xy(arr[:, 0], arr[:, 1])
        self.x, self.y, self.T = np.asarray(x, float), np.asarray(y, float), arr[:, 2]
        self.calls = 0
        self.obs: ObservationArrays | None = None

    def associate(self, rep: Reports, cfg: Any) -> tuple[Clusters, Any]:
        """Stands in for :func:`ceasefire.fuse.association.associate`."""
        assert self.obs is not None
        self.calls += 1
        rows = rep.rows
        n = rows.ox.shape[0]
        ids = self.obs.id.astype(str)
        truth_g = np.array([self.group.get(o, -1) for o in ids], np.intp)
        used, labels_in = np.unique(truth_g[truth_g >= 0], return_inverse=True)
        labels = np.full(n, -1, np.intp)
        labels[truth_g >= 0] = labels_in
        G = used.shape[0]
        m = labels >= 0
        is_b = np.isfinite(rows.az)
        nb = np.bincount(labels[m], weights=is_b[m].astype(float), minlength=G)
        na = np.bincount(labels[m], weights=(~is_b[m]).astype(float), minlength=G)
        ok = (nb >= 2) | ((nb >= 1) & (na >= 2)) | (na >= rep.min_tdoa_sensors)
        labels[m] = np.where(ok[labels[m]], labels[m], -1)
        cl = Clusters(
            labels, self.x[used].copy(), self.y[used].copy(), self.T[used].copy(),
            np.full((G, 3, 3), np.nan),
        )  # fmt: skip
        return cl, cl.settle(rep)


def _patched(oracle: Oracle) -> Callable[[], None]:
    """Route fusion's association to ``oracle``; returns the undo."""
    orig_assoc, orig_fa = engine.associate, engine._fuse_acoustic

    def fuse_acoustic(obs: ObservationArrays, rows: Rows, cfg: Any) -> Any:
        oracle.obs = obs
        return orig_fa(obs, rows, cfg)

    engine.associate = oracle.associate  # type: ignore[assignment]
    engine._fuse_acoustic = fuse_acoustic  # type: ignore[assignment]

    def undo() -> None:
        engine.associate = orig_assoc  # type: ignore[assignment]
        engine._fuse_acoustic = orig_fa  # type: ignore[assignment]

    return undo


def _scored(sc: Any, m: Any, t0: float, t1: float, obs_path: Path) -> tuple[dict[str, Any], float]:
    cfg = replace(fuse_config(m), workers=1)  # in this process: the oracle is patched here
    a = time.perf_counter()
    events = [e for e in engine.fuse(sc.observations, cfg) if t0 <= e.time_s < t1]
    took = time.perf_counter() - a
    vs = assess(events, m)
    system = system_from_features([violation_feature(v) for v in vs])
    return score(sc.truth, system, obs_path), took


def _row(name: str, s: dict[str, Any], took: float) -> str:
    miss = s.get("misses_by_perception", {})
    rep = s.get("reportable", {})
    return (
        f"  {name:<20} F1 {s['f1']:.4f}  P {s['precision']:.4f}  R {s['recall']:.4f}  "
        f"reportable F1 {rep.get('f1', float('nan')):.4f}  doubles {s['double_counts']:>4}  "
        f"missed {s['truth'] - s['matched']:>4} ({', '.join(f'{k}: {v}' for k, v in miss.items())})"
        f"  fusion {took:.1f} s"
    )


def _family(name: str, draws: list[int]) -> int:
    """System and oracle on each draw of family ``name``; the distribution."""
    m = load_mandate(MANDATES["heavy"])
    fam = get_family(name)
    cpu_name = platform.processor() or platform.machine()
    print(f"machine: {cpu_name}, Python {platform.python_version()}")
    print(f"family {name}, draws {draws[0]}-{draws[-1]} ({len(draws)}), Donbas mandate")
    rows: list[tuple[float, float, float, float]] = []  # F1, oracle F1, doubles, oracle doubles
    cpu = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for k in draws:
            d = fam.draw(m, k)
            sc = simulate_draw(m, d)
            t0, t1 = d.start_s, d.start_s + d.hours * 3600.0
            paths = write_scenario(Path(tmp) / str(k), sc.observations, sc.truth)
            c0 = time.process_time()
            s_sys, _ = _scored(sc, m, t0, t1, paths["observations"])
            cpu += time.process_time() - c0
            oracle = Oracle(sc.truth, Grid.about(sc.observations.lat, sc.observations.lon))
            undo = _patched(oracle)
            try:
                s_orc, _ = _scored(sc, m, t0, t1, paths["observations"])
            finally:
                undo()
            n = max(s_sys["truth"], 1)
            rows.append((s_sys["f1"], s_orc["f1"], s_sys["double_counts"] / n,
                         s_orc["double_counts"] / n))  # fmt: skip
            print(
                f"  draw {k:>3}: {len(sc.observations):>6} obs, {s_sys['truth']:>4} true  "
                f"F1 {s_sys['f1']:.4f} / oracle {s_orc['f1']:.4f} = "
                f"{s_sys['f1'] / max(s_orc['f1'], 1e-9):.3f}  doubles {rows[-1][2]:.1%} / "
                f"{rows[-1][3]:.1%}"
            )
    a = np.array(rows)
    ratio = a[:, 0] / np.maximum(a[:, 1], 1e-9)

    def dist(x: np.ndarray, worst: float) -> str:
        return f"median {np.median(x):.4f}, worst decile {np.percentile(x, worst):.4f}"

    print(f"F1: {dist(a[:, 0], 10)}; oracle F1: {dist(a[:, 1], 10)}")
    print(f"F1 / oracle F1: {dist(ratio, 10)} (targets 0.97 / 0.93)")
    print(f"double counts: system {dist(a[:, 2], 90)}; oracle {dist(a[:, 3], 90)} "
          "(targets 0.01 / 0.03)")  # fmt: skip
    print(f"system fusion CPU {cpu:.1f} s over {len(draws)} draws")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--profile", default="heavy", choices=sorted(MANDATES))
    ap.add_argument("--seeds", type=int, nargs="+", default=[2015, 2016, 2017])
    ap.add_argument("--hours", type=float, default=24.0)
    ap.add_argument("--quick", action="store_true", help="seed 2015, 6 h")
    ap.add_argument("--family", help="a scenario family (simulate/family.py), e.g. varied")
    ap.add_argument("--draws", default="0-29", help="the family's draws, FIRST-LAST")
    a = ap.parse_args()
    if a.family:
        lo, hi = (int(x) for x in a.draws.split("-"))
        return _family(a.family, list(range(lo, hi + 1)))
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
            s_sys, t_sys = _scored(sc, m, t0, t1, paths["observations"])
            oracle = Oracle(sc.truth, Grid.about(sc.observations.lat, sc.observations.lon))
            undo = _patched(oracle)
            try:
                s_orc, t_orc = _scored(sc, m, t0, t1, paths["observations"])
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
