"""The report stage alone, side by side with a base: ``pipeline.report_day`` on
the store of a finished run (issue 23: the day's wall outside fusion).

    .venv/bin/python benchmarks/bench_report_stage.py --store OUT/store.db \
        --base /path/to/base-worktree [--repeat 3] [--pdf] [--ahead]

``OUT`` is the ``--out`` of a ``ceasefire run`` (its ``summary.json`` gives the
day and the ledger head the report shows); the whole stress day's is the case
that matters (``bench_perf.py --rows run`` deletes its own, so make one with
``ceasefire run -m examples/frontline-2025/mandate.yaml OBS --out OUT --no-pdf``).
Each repeat runs this code and the base's (its ``src`` first on
``PYTHONPATH``) one after the other, each in a fresh process: wall, CPU
(the process and its children: the map process), peak PSS of the process tree
(sampled from ``/proc`` every 50 ms) and the report's stages (store reads,
rendering), and the CPU of the report's own process alone (``main CPU``:
the serial part). ``--ahead``: the maps drawn by a forked process from the
store (``pipeline.MapsAhead``, started just before ``report_day``, as ``run``
does for a large day) rather than by ``report_day`` itself. The reports of the
two codes are compared byte for byte.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_memory import _pss_kb, _tree  # noqa: E402

FILES = ("map.png", "map-internal.png", "report.html", "report-internal.html", "report.pdf")


def _child(store_path: Path, out: Path, pdf: bool, ahead: bool) -> None:
    """``report_day`` of the run's last day into ``out`` (``ahead``: its maps
    drawn by ``MapsAhead``); prints its stages as JSON."""
    from datetime import date

    t0 = time.perf_counter()
    from ceasefire.pipeline import MapsAhead, mandate_of, report_day
    from ceasefire.store import Store

    imported = time.perf_counter()
    summary = json.loads((store_path.parent / "summary.json").read_text())
    last = summary["days"][-1]
    store = Store.open(store_path)
    mandate = mandate_of(store)
    day = date.fromisoformat(last["day"])
    maps = MapsAhead(str(store_path), mandate, day, out) if ahead else None
    report_day(store, mandate, day, out, head=last["ledger_head"], pdf=pdf, maps=maps)
    store.close()
    own = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            {
                "import_s": imported - t0,
                "report_s": time.perf_counter() - imported,
                "main_cpu_s": own.ru_utime + own.ru_stime,
            }
        )
    )


def report_once(
    store_path: Path, out: Path, pythonpath: str | None, pdf: bool, ahead: bool = False
) -> dict[str, Any]:
    """One ``report_day`` in a fresh process: wall, CPU and peak PSS of its tree."""
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--child",
            str(store_path),
            str(out),
            str(int(pdf)),
            str(int(ahead)),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    peak = [0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], sum(_pss_kb(p) for p in _tree(proc.pid)))
            time.sleep(0.05)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    stdout, _ = proc.communicate()
    stop.set()
    th.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"report_day failed ({proc.returncode})")
    child = json.loads(stdout.strip().splitlines()[-1])
    return {
        "report_wall_s": child["report_s"],
        "import_s": child["import_s"],
        "main_cpu_s": child["main_cpu_s"],
        "cpu_s": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
        "peak_pss_mb": peak[0] / 1024,
        "load": os.getloadavg()[0],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", type=Path, required=True, help="a finished run's store.db")
    ap.add_argument("--base", type=Path, default=None, help="a base worktree, run side by side")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--pdf", action="store_true", help="also the PDF (WeasyPrint)")
    ap.add_argument("--ahead", action="store_true", help="the maps drawn ahead, as run does")
    ap.add_argument("--json", type=Path, default=None)
    if len(sys.argv) == 6 and sys.argv[1] == "--child":
        _child(Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4] == "1", sys.argv[5] == "1")
        return 0
    args = ap.parse_args()
    codes = {"new": None} | ({"base": str(args.base / "src")} if args.base else {})
    runs: dict[str, list[dict[str, Any]]] = {k: [] for k in codes}
    with tempfile.TemporaryDirectory(prefix="bench-report-") as d:
        for i in range(args.repeat):
            for name, pp in codes.items():
                r = report_once(args.store, Path(d) / f"{name}-{i}", pp, args.pdf, args.ahead)
                runs[name].append(r)
                print(
                    f"  {name}: report {r['report_wall_s']:.1f} s wall, CPU {r['cpu_s']:.1f} s"
                    f" (main {r['main_cpu_s']:.1f} s)"
                    f" (with start-up and imports {r['import_s']:.1f} s), peak PSS "
                    f"{r['peak_pss_mb']:,.0f} MB, load {r['load']:.1f}",
                    flush=True,
                )
        same = {
            f: (Path(d) / "new-0" / f).read_bytes() == (Path(d) / "base-0" / f).read_bytes()
            for f in FILES
            if args.base and (Path(d) / "new-0" / f).exists()
        }
    print(f"machine: {os.cpu_count()} CPUs, median of {args.repeat}")
    print("| code | report wall s | CPU s (tree) | main CPU s | peak PSS MB | loads |")
    print("|---|---|---|---|---|---|")
    for name, rs in runs.items():
        loads = ", ".join(f"{r['load']:.1f}" for r in rs)
        print(
            f"| {name} | {statistics.median(r['report_wall_s'] for r in rs):.1f} | "
            f"{statistics.median(r['cpu_s'] for r in rs):.1f} | "
            f"{statistics.median(r['main_cpu_s'] for r in rs):.1f} | "
            f"{statistics.median(r['peak_pss_mb'] for r in rs):,.0f} | "
            f"{loads} |"
        )
    if same:
        print("same bytes as the base: " + ", ".join(f"{f} {ok}" for f, ok in same.items()))
    if args.json:
        args.json.write_text(json.dumps({"runs": runs, "same": same}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
