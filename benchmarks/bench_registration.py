"""Observer registration over one tile or over the whole run: F1 and fusion CPU
on the scenario family, against one window.

    .venv/bin/python benchmarks/bench_registration.py [--set test|tuning]
        [--draws K ...] [--procs 2] [--json out.json]

Per draw of the `varied` family (Donbas mandate; ``bench_family``'s draw sets:
test 0-39, tuning 1000-1039), fusion is run three ways and scored with
``ceasefire score``'s scorer: one window (``tile_s`` None, the anchor); the live
workers' 600 s x sector tiles each registering observers from its own window
(``register_over`` tile, what a worker does); and the batch's default (run:
registration pooled over the whole input, hour-long tiles over the line).
Printed: per draw F1 and fusion CPU-s, then per mode the median and mean F1, the
mean change against one window, the worst draw's change, and the total fusion
CPU with its ratio to one window's. (Session 10 also measured a worker pooling
its sector's tiles of the day so far: on the test draws median F1 0.796, mean
change -0.016 against per-tile's -0.017, at 1.4x its CPU: not kept.)
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench_family import MANDATE, TEST_DRAWS, TUNING_DRAWS

from ceasefire.assess import assess
from ceasefire.fuse import FuseConfig, fuse
from ceasefire.mandate import load_mandate
from ceasefire.pipeline import fuse_config
from ceasefire.report.geojson import violation_feature
from ceasefire.simulate.family import get_family, simulate_draw
from ceasefire.simulate.files import write_scenario
from ceasefire.simulate.scoring import score, system_from_features

MODES = ("window", "tile", "run")


def _cfg(base: FuseConfig, mode: str) -> FuseConfig:
    if mode == "window":
        return replace(base, tile_s=None)
    return replace(base, register_over=mode)


_WARM: list[bool] = []


def run_draw(k: int) -> dict[str, Any]:
    """Draw ``k`` fused each way: F1 and fusion CPU-s per mode."""
    m = load_mandate(MANDATE)
    d = get_family("varied").draw(m, k)
    sc = simulate_draw(m, d)
    t0, t1 = d.start_s, d.start_s + d.hours * 3600.0
    base = replace(fuse_config(m), workers=1)
    if not _WARM:  # compile numba's functions before anything is timed in this process
        fuse(sc.observations, _cfg(base, "window"))
        _WARM.append(True)
    out: dict[str, Any] = {"draw": k, "observations": len(sc.observations)}
    with tempfile.TemporaryDirectory() as tmp:
        path = write_scenario(Path(tmp), sc.observations, sc.truth)["observations"]
        for mode in MODES:
            c = time.process_time()
            ev = [e for e in fuse(sc.observations, _cfg(base, mode)) if t0 <= e.time_s < t1]
            cpu = time.process_time() - c
            feats = [violation_feature(v) for v in assess(ev, m)]
            s = score(sc.truth, system_from_features(feats), path)
            out[mode] = {"f1": s["f1"], "cpu_s": cpu, "double_counts": s["double_counts"]}
    return out


def report(rows: list[dict[str, Any]]) -> None:
    print(f"{'draw':>6} {'obs':>6} " + " ".join(f"{m:>16}" for m in MODES))
    for r in rows:
        cells = [f"{r[m]['f1']:.3f} ({r[m]['cpu_s']:5.1f}s)" for m in MODES]
        print(f"{r['draw']:>6} {r['observations']:>6} " + " ".join(f"{c:>16}" for c in cells))
    cpu0 = sum(r["window"]["cpu_s"] for r in rows)
    print(f"\n{'mode':>8} {'median F1':>10} {'mean F1':>8} {'mean dF1':>9} {'worst dF1':>10} "
          f"{'CPU s':>7} {'x window':>9}")  # fmt: skip
    for m in MODES:
        f1 = [r[m]["f1"] for r in rows]
        dd = [r[m]["f1"] - r["window"]["f1"] for r in rows]
        cpu = sum(r[m]["cpu_s"] for r in rows)
        print(
            f"{m:>8} {statistics.median(f1):>10.3f} {statistics.mean(f1):>8.3f} "
            f"{statistics.mean(dd):>+9.4f} {min(dd):>+10.3f} {cpu:>7.1f} {cpu / cpu0:>9.2f}"
        )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", choices=("test", "tuning"), default="test")
    ap.add_argument("--draws", type=int, nargs="+")
    ap.add_argument("--procs", type=int, default=2, choices=(1, 2))
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    draws = a.draws or list(TEST_DRAWS if a.set == "test" else TUNING_DRAWS)
    if a.procs > 1:
        with mp.get_context("spawn").Pool(a.procs) as pool:
            rows = pool.map(run_draw, draws, chunksize=1)
    else:
        rows = [run_draw(k) for k in draws]
    report(rows)
    if a.json:
        a.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
