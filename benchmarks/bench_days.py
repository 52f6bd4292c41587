"""An archive of simulated days judged on a Dask cluster: 1 and 2 workers against
the serial run (issue 23, ``run --days`` / ``whatif --days``).

    .venv/bin/python benchmarks/bench_days.py            # 30 days of 24 h, median of 3
    .venv/bin/python benchmarks/bench_days.py --quick    # 6 days of 4 h, once

The archive (every fifth day heavy, the others quiet; the Donbas example, one
seed per day) is simulated once into ``/tmp/ceasefire-bench/days-*`` and reused.
Measured side by side in one run, each configuration on a fresh store:

- ``run``: ``pipeline.run`` over every day (ingest, fuse, assess, sign; no
  report PDF), serially and with ``days.dask_fuse_days`` on a ``LocalCluster`` of
  1 and 2 worker processes (the cluster's start included);
- ``whatif``: every day judged again under a mandate with a narrower heavy
  weapons zone (``days.judge_days``), serially and on 1 and 2 workers.

Wall seconds (what the speed-up is about) and CPU seconds of this process and
its children (the cluster's workers, counted when the cluster closes). Every
configuration must give the serial run's ledger root, and the same violations.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MANDATE = ROOT / "examples" / "donbas-2015" / "mandate.yaml"
FIRST_DAY = datetime(2025, 6, 1)


def _cpu_s() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def archive(days: int, hours: float, cache: Path) -> list[Path]:
    """``days`` simulated days of ``hours`` each (day k heavy when k % 5 == 4),
    made once into ``cache``."""
    from ceasefire.mandate import load_mandate
    from ceasefire.simulate import write_scenario
    from ceasefire.simulate.offensive import scenario
    from ceasefire.simulate.world import simulate

    m = load_mandate(MANDATE)
    folder = cache / f"days-{days}x{hours:g}h"
    files = []
    for k in range(days):
        day = FIRST_DAY + timedelta(days=k)
        out = folder / day.date().isoformat()
        obs = out / "observations.ndjson"
        if not obs.exists():
            profile = "heavy" if k % 5 == 4 else "quiet"
            prof, addition = scenario(profile, 100 + k)
            t0 = day.replace(tzinfo=m.tz).timestamp()
            sc = simulate(m, prof, t0, hours, 100 + k, addition=addition)
            write_scenario(out, sc.observations, sc.truth)
        files.append(obs)
    return files


def _timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    c, w = _cpu_s(), time.perf_counter()
    out = fn()
    return _cpu_s() - c, time.perf_counter() - w, out


def run_archive(files: list[Path], out: Path, workers: int | None) -> tuple[str, int]:
    """``pipeline.run`` over the archive into ``out``: (ledger root, violations)."""
    from ceasefire import days, pipeline

    shutil.rmtree(out, ignore_errors=True)
    # a local cluster: the workers read the days' observations from the store
    fuser = (
        days.dask_fuse_days(workers=workers, worker_store=str(out / "store.db"))
        if workers
        else None
    )
    s = pipeline.run(MANDATE, files, out, pdf=False, fuse_days=fuser)
    root = str((s.days[-1].head or {}).get("root_hash"))
    return root, sum(len(d.violations) for d in s.days)


def rejudge(store: Path, alt: Path, n_days: int, workers: int | None) -> tuple[int, int]:
    """Every day judged under both mandates: (violations now, under ``alt``)."""
    from ceasefire import days
    from ceasefire.store import Store

    wanted = [(FIRST_DAY + timedelta(days=k)).date() for k in range(n_days)]
    st = Store.open(store)
    try:
        if workers:
            with days.cluster(workers=workers) as client:
                got = list(days.judge_days(st, alt, wanted, client, worker_store=str(store)))
        else:
            got = list(days.judge_days(st, alt, wanted))
    finally:
        st.close()
    return sum(len(j.violations_a) for j in got), sum(len(j.violations_b) for j in got)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="6 days of 4 h, each measured once")
    ap.add_argument("--days", type=int, default=None, help="days in the archive (30)")
    ap.add_argument("--hours", type=float, default=None, help="hours a day (24)")
    ap.add_argument("--repeat", type=int, default=None, help="runs per configuration (3)")
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "ceasefire-bench")
    ap.add_argument("--what", default="run,whatif", help="run, whatif or both (default)")
    args = ap.parse_args()
    n_days = args.days or (6 if args.quick else 30)
    hours = args.hours or (4.0 if args.quick else 24.0)
    repeat = args.repeat or (1 if args.quick else 3)
    print(
        f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, load "
        f"{os.getloadavg()[0]:.1f}; {n_days} days of {hours:g} h; median of {repeat}",
        flush=True,
    )
    t = time.perf_counter()
    files = archive(n_days, hours, args.cache)
    size = sum(sum(1 for _ in f.open("rb")) for f in files)
    print(f"archive: {size:,} observations ({time.perf_counter() - t:.0f} s to make or find)")
    configs: list[tuple[str, int | None]] = [("serial", None), ("1 worker", 1), ("2 workers", 2)]
    work = Path(tempfile.mkdtemp(prefix="scale-bench-days-"))
    try:
        alt = work / "narrow.yaml"
        text = MANDATE.read_text()
        alt.write_text(text.replace("width_km: {UA: 15, RU: 15}", "width_km: {UA: 5, RU: 5}"))
        store = work / "serial" / "store.db"  # the serial run's, re-judged
        results: dict[str, dict[str, list[float]]] = {}
        expect: dict[str, Any] = {}
        whats = [w for w in ("run", "whatif") if w in args.what.split(",")]
        if "run" not in whats:
            print("  (the serial run makes the store to re-judge; not timed)", flush=True)
            expect["run"] = run_archive(files, work / "serial", None)
        for what in whats:
            # the configurations take turns in each round, so that a change of the
            # machine's load during the run falls on all of them alike
            runs: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in configs}
            for k in range(repeat):
                for name, workers in configs:
                    if what == "run":
                        cpu, wall, got = _timed(
                            lambda w=workers, n=name: run_archive(files, work / n, w)
                        )
                    else:
                        cpu, wall, got = _timed(lambda w=workers: rejudge(store, alt, n_days, w))
                    if expect.setdefault(what, got) != got:
                        raise SystemExit(f"{what} on {name} gave {got}; serial {expect[what]}")
                    runs[name].append((cpu, wall))
                    print(
                        f"  {what:6s} {name:9s} round {k + 1}: {wall:7.1f} s wall, "
                        f"{cpu:7.1f} CPU-s",
                        flush=True,
                    )
            results[what] = {
                name: [statistics.median(r[0] for r in rs), statistics.median(r[1] for r in rs)]
                for name, rs in runs.items()
            }
        print()
        print("| measure | serial | 1 worker | 2 workers | speed-up 2 vs 1 | 2 vs serial |")
        print("|---|---|---|---|---|---|")
        for what, label in (("run", "run --days"), ("whatif", "whatif --days")):
            if what not in results:
                continue
            r = results[what]
            print(
                f"| {label}, {n_days} days, wall (CPU) s | {r['serial'][1]:.1f} "
                f"({r['serial'][0]:.1f}) | {r['1 worker'][1]:.1f} ({r['1 worker'][0]:.1f}) | "
                f"{r['2 workers'][1]:.1f} ({r['2 workers'][0]:.1f}) | "
                f"{r['1 worker'][1] / r['2 workers'][1]:.2f}x | "
                f"{r['serial'][1] / r['2 workers'][1]:.2f}x |"
            )
        print(f"same results in every configuration: ledger root and violations {expect}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
