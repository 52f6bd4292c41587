"""Peak memory of ``ceasefire run`` per observation, from 1/8 of the stress day
to the whole day (issue 23: at most 2 GB for the stress day, linear).

``.venv/bin/python benchmarks/bench_memory.py [--fractions 0.125,0.25,0.5,1]
[--seed 11] [--quick]``

Each fraction is the first share of a simulated stress day's records (in time
order), run through :func:`ceasefire.pipeline.run` (no PDF) in a process of its
own. Peak memory is the largest summed resident set of that process and its
children (fusion's worker processes), sampled from ``/proc`` every 50 ms (and
the same with each process's proportional set size, every 0.5 s, while workers
run: forked workers share pages that the resident sets count in each), and the process's
own high-water mark (``VmHWM``); each stage reports the
resident set when it starts, so the table says where the memory goes. The
anchor is the input: the bytes of the records read.

``measure(...) -> dict`` is what ``bench_perf.py`` calls.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_ingest import MANDATE, stress_day  # noqa: E402


def _status_kb(pid: int | str, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


#: s between two reads of the process tree's proportional set sizes: each walks
#: the process's page tables (~13 CPU-ms a resident GB, ~20 ms for a stress day's
#: tree), so reading them every 50 ms took ~40 % of a core from the run measured.
#: The tree's summed resident set, cheap, is read every 50 ms and bounds it above.
PSS_EVERY_S = 0.5


def _pss_kb(pid: int) -> int:
    """Proportional set size (shared pages divided among their processes), kB."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").glob("*") if Path(f"/proc/{p}").exists() else []:
            with contextlib.suppress(OSError):
                todo += [int(c) for c in (task / "children").read_text().split()]
    return out


def _child(path: Path, out: Path) -> None:
    """Run the pipeline on ``path`` and print the stages' resident sets as JSON."""
    from ceasefire.pipeline import run

    stages: list[dict[str, Any]] = []
    t0 = time.perf_counter()

    def progress(text: str, done: int | None = None, total: int | None = None) -> None:
        stage = text.split(":")[-1].strip().split(" ")[0] if ":" in text else text
        if stages and stages[-1]["stage"] == stage:
            return
        stages.append(
            {
                "stage": stage,
                "at_s": round(time.perf_counter() - t0, 1),
                "rss_mb": _status_kb("self", "VmRSS") / 1024,
                "hwm_mb": _status_kb("self", "VmHWM") / 1024,
            }
        )

    try:  # the maps' interpreter started ahead, as the CLI's `run` starts it
        from ceasefire.maps_child import spawn_for
    except ImportError:  # a tree from before it
        early = None
    else:
        early = spawn_for([path])
    if early is None:
        summary = run(MANDATE, [path], out, pdf=False, progress=progress)
    else:
        summary = run(MANDATE, [path], out, pdf=False, progress=progress, maps_early=early)
    stages.append(
        {
            "stage": "end",
            "at_s": round(time.perf_counter() - t0, 1),
            "rss_mb": _status_kb("self", "VmRSS") / 1024,
            "hwm_mb": _status_kb("self", "VmHWM") / 1024,
        }
    )
    print(json.dumps({"counts": summary.counts, "stages": stages}))


def run_once(path: Path, workdir: Path) -> dict[str, Any]:
    """``pipeline.run`` on ``path`` in a child process: its peak memory (tree,
    sampled; own high-water mark), CPU and wall seconds, stages."""
    out = workdir / f"run-{path.stem}"
    # `run` starts a new store: a repeat of the same input runs in a clean folder
    shutil.rmtree(out, ignore_errors=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", str(path), str(out)],
        stdout=subprocess.PIPE,
        text=True,
    )
    peak = [0]
    peak_pss = [0]
    hwm = [0]
    stop = threading.Event()

    def sample() -> None:
        next_pss = 0.0
        while not stop.is_set():
            pids = _tree(proc.pid)
            rss = sum(_status_kb(p, "VmRSS") for p in pids)
            peak[0] = max(peak[0], rss)
            if len(pids) == 1:
                peak_pss[0] = max(peak_pss[0], rss)
            elif time.perf_counter() >= next_pss:
                # forked workers share pages: RSS counts them in each
                peak_pss[0] = max(peak_pss[0], sum(_pss_kb(p) for p in pids))
                next_pss = time.perf_counter() + PSS_EVERY_S
            hwm[0] = max(hwm[0], _status_kb(proc.pid, "VmHWM"))
            time.sleep(0.05)

    th = threading.Thread(target=sample, daemon=True)
    t0 = time.perf_counter()
    th.start()
    stdout, _ = proc.communicate()
    wall = time.perf_counter() - t0
    stop.set()
    th.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    if proc.returncode != 0:
        raise RuntimeError(f"the run on {path} failed ({proc.returncode})")
    child = json.loads(stdout.strip().splitlines()[-1])
    return {
        "observations": child["counts"]["accepted"],
        "input_bytes": path.stat().st_size,
        "peak_tree_mb": peak[0] / 1024,
        "peak_tree_pss_mb": peak_pss[0] / 1024,
        "peak_main_mb": max(hwm[0], int(child["stages"][-1]["hwm_mb"] * 1024)) / 1024,
        "wall_s": wall,
        "cpu_s": cpu,
        "stages": child["stages"],
    }


def measure(
    fractions: tuple[float, ...] = (0.125, 0.25, 0.5, 1.0),
    *,
    seed: int = 11,
    workdir: Path | None = None,
) -> dict[str, Any]:
    """Peak memory per observation of ``pipeline.run`` on the first ``fractions``
    of a simulated stress day (seed ``seed``): per fraction the observations,
    peak MB (process tree, sampled; main process high-water mark), bytes per
    observation (of the peak, and of the peak above the resident set before the
    first record), per input byte, CPU and wall seconds and the stages' resident
    sets."""
    day = stress_day(seed)
    lines = day.read_bytes().splitlines(keepends=True)
    out: dict[str, Any] = {"day": str(day), "records": len(lines), "runs": []}
    with tempfile.TemporaryDirectory(prefix="store-bench-memory-", dir=workdir) as d:
        tmp = Path(d)
        for f in fractions:
            n = round(len(lines) * f)
            path = tmp / f"stress-{seed}-{n}.ndjson"
            path.write_bytes(b"".join(lines[:n]))
            r = run_once(path, tmp)
            r["fraction"] = f
            r["bytes_per_observation"] = r["peak_tree_mb"] * 2**20 / max(r["observations"], 1)
            # above what the process holds before it reads a record (imports, mandate)
            r["start_mb"] = r["stages"][0]["rss_mb"]
            r["bytes_per_observation_above_start"] = (
                (r["peak_tree_mb"] - r["start_mb"]) * 2**20 / max(r["observations"], 1)
            )
            r["peak_per_input_byte"] = r["peak_tree_mb"] * 2**20 / r["input_bytes"]
            out["runs"].append(r)
            print(
                f"{f:g} of the day: {r['observations']:,} observations, peak "
                f"{r['peak_tree_mb']:,.0f} MB (PSS {r['peak_tree_pss_mb']:,.0f} MB, "
                f"main {r['peak_main_mb']:,.0f} MB), "
                f"{r['bytes_per_observation']:,.0f} B per observation "
                f"({r['bytes_per_observation_above_start']:,.0f} above the start's "
                f"{r['start_mb']:,.0f} MB), "
                f"{r['peak_per_input_byte']:.1f}x the input, {r['cpu_s']:.0f} CPU-s, "
                f"{r['wall_s']:.0f} s",
                file=sys.stderr,
                flush=True,
            )
            path.unlink()
    return out


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        _child(Path(sys.argv[2]), Path(sys.argv[3]))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fractions", default="0.125,0.25,0.5,1")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--quick", action="store_true", help="1/16 and 1/8 of the day")
    a = ap.parse_args()
    fr = (0.0625, 0.125) if a.quick else tuple(float(x) for x in a.fractions.split(","))
    print(json.dumps(measure(fr, seed=a.seed), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
