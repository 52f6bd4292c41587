"""Event finality's steps: a live window's CPU per report, event mode against tiles,
this tree against a base (``--base SRC``: another checkout's ``src``), side by side.

Each run is a subprocess (``--one``): a simulated slice (``--profile``, ``--hours``
from ``--start-h`` local, seed 2015) held by one window of every sector at once
and stepped to the end (every report on time); CPU seconds of the stepping alone,
and the events' digest (the same events from base and tree, or the run says not).
Rounds interleave the configurations; the median of ``--repeat`` is reported.

    .venv/bin/python benchmarks/bench_steps.py [--profile quiet] [--hours 6]
        [--start-h 0] [--repeat 3] [--base /path/to/base/src] [--json FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MANDATE = ROOT / "examples" / "donbas-2015" / "mandate.yaml"


def one(obs_file: Path, finality: str) -> dict[str, float | int | str]:
    """Step one window over the slice; the stepping's CPU and the events."""
    from ceasefire.mandate import load_mandate
    from ceasefire.stream.replay import read_file
    from ceasefire.stream.sectors import SectorMap
    from ceasefire.stream.window import LiveWindow, WindowConfig

    m = load_mandate(MANDATE)
    models = read_file(obs_file).accepted
    sm = SectorMap.of(m)
    w = LiveWindow(m, list(sm.ids), sm, WindowConfig(finality=finality))  # type: ignore[arg-type]
    w.add(models)
    end = max(o.time.timestamp() for o in models) + 86_400.0
    ids: list[str] = []
    c0 = time.process_time()
    while (st := w.next_step(end)) is not None:
        ids += [e.id for e in st.events]
        w.commit(st)
    cpu = time.process_time() - c0
    digest = hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()[:16]
    return {"reports": len(models), "events": len(ids), "cpu_s": cpu, "digest": digest}


def slice_file(tmp: Path, profile: str, hours: float, start_h: float) -> Path:
    from ceasefire.mandate import load_mandate
    from ceasefire.simulate import get_profile, simulate
    from ceasefire.simulate.files import write_scenario

    m = load_mandate(MANDATE)
    t0 = datetime(2025, 6, 1, tzinfo=m.tz).timestamp() + start_h * 3600.0
    sc = simulate(m, get_profile(profile), t0, hours, 2015)
    return write_scenario(tmp, sc.observations, sc.truth)["observations"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--profile", default="quiet")
    ap.add_argument("--hours", type=float, default=6.0)
    ap.add_argument("--start-h", type=float, default=0.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--base", type=Path, help="a base checkout's src (PYTHONPATH)")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--one", nargs=2, metavar=("FILE", "FINALITY"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        print(json.dumps(one(Path(a.one[0]), a.one[1])))
        return 0
    trees = {"tree": ROOT / "src"} | ({"base": a.base} if a.base else {})
    runs: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory() as t:
        f = slice_file(Path(t), a.profile, a.hours, a.start_h)
        for r in range(a.repeat):
            for name, src in trees.items():
                for fin in ("event", "tile"):
                    env = {**os.environ, "PYTHONPATH": str(src)}
                    cmd = [sys.executable, __file__, "--one", str(f), fin]
                    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
                    row = json.loads(out.stdout.strip().splitlines()[-1])
                    runs.setdefault(f"{name} {fin}", []).append(row)
                    print(f"round {r + 1} {name} {fin}: {row}", flush=True)
    summary = {}
    for k, rows in runs.items():
        cpu = float(np.median([x["cpu_s"] for x in rows]))
        n = rows[0]["reports"]
        summary[k] = {
            "reports": n,
            "events": rows[0]["events"],
            "digest": rows[0]["digest"],
            "cpu_s_median": round(cpu, 2),
            "cpu_ms_per_report": round(1000.0 * cpu / max(n, 1), 3),
        }
        print(f"{k}: {summary[k]}")
    if "base event" in summary:
        same = summary["base event"]["digest"] == summary["tree event"]["digest"]
        ratio = summary["base event"]["cpu_s_median"] / summary["tree event"]["cpu_s_median"]
        print(f"event mode, base / tree CPU: x{ratio:.2f}; the same events: {same}")
    for name in trees:
        r = summary[f"{name} event"]["cpu_s_median"] / summary[f"{name} tile"]["cpu_s_median"]
        print(f"{name}: event / tile CPU x{r:.2f}")
    if a.json:
        a.json.write_text(
            json.dumps({"args": {k: str(v) for k, v in vars(a).items()}, **summary}, indent=1)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
