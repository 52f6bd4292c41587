"""Where a plain ``ceasefire run`` of a day leaves a core idle, read on a loaded machine.

Runs the CLI of ``TREE`` (its ``src`` first on the path, its example mandate) on
``OBS`` into ``OUT`` and samples every thread of the run's process tree every
50 ms from ``/proc/<pid>/task/<tid>/schedstat`` (time on a CPU, time queued for
one). Per progress stage it prints the wall, the CPU-s, the main process's
CPU-s, the mean number of runnable threads (on a CPU or queued) and, for an
idle machine of ``--cores`` cores, the wall and the idle core-s it predicts:
each 50 ms interval's CPU at ``min(cores, runnable)`` cores. A loaded machine
stretches the wall, not which of the run's threads are runnable together, so
the prediction holds under load where the wall does not (sleeps, on I/O say,
are taken as they came). ``main-only`` is the predicted wall where only the
main process was runnable.

    PYTHONPATH=src .venv/bin/python benchmarks/day_demand.py /work/wt/base OUT_DIR
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

STRESS = Path("/tmp/bench/ceasefire-bench/stress-11/observations.ndjson")
#: seconds between two samples of the process tree
EVERY_S = 0.05


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (``/proc/<pid>/task/<tid>/children``)."""
    out = [pid]
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        try:
            kids = Path(f"/proc/{pid}/task/{tid}/children").read_text().split()
        except OSError:
            continue
        for k in kids:
            out += _tree(int(k))
    return out


def _stage(text: str) -> str:
    """A progress line's stage: its first two words that are not numbers, the day dropped."""
    text = text.split("] ", 1)[-1]
    if text[:4].isdigit():
        text = text.split(": ", 1)[-1]
    return " ".join(w for w in text.split(" ")[:2] if not w[:1].isdigit())


def sample_run(tree: Path, obs: Path, out: Path) -> dict[str, Any]:
    """The run's progress marks ``(s, stage)`` and samples ``(s, dt, cpu, runnable,
    main cpu, main runnable)`` (s; runnable: thread-seconds on a CPU or queued)."""
    env = dict(os.environ, PYTHONPATH=str(tree / "src"))
    mandate = tree / "examples" / "frontline-2025" / "mandate.yaml"
    t0 = time.time()
    cli = [sys.executable, "-c", "from ceasefire.cli import main; main()", "run"]
    args = ["-m", str(mandate), "-o", str(obs), "--no-pdf", "--out", str(out)]
    proc = subprocess.Popen(
        [*cli, *args],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        cwd=tree,
    )
    marks: list[tuple[float, str]] = [(0.0, "start")]

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            if line.startswith("["):
                stage = _stage(line.strip())
                if stage != marks[-1][1]:
                    marks.append((time.time() - t0, stage))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    last: dict[tuple[int, str], tuple[float, float]] = {}
    samples: list[tuple[float, float, float, float, float, float]] = []
    before = 0.0
    while proc.poll() is None:
        time.sleep(EVERY_S)
        now = time.time() - t0
        cpu = run = main_cpu = main_run = 0.0
        for pid in _tree(proc.pid):
            try:
                tids = os.listdir(f"/proc/{pid}/task")
            except OSError:
                continue
            for tid in tids:
                try:
                    on, queued = Path(f"/proc/{pid}/task/{tid}/schedstat").read_text().split()[:2]
                except (OSError, ValueError):
                    continue
                r, q = int(on) / 1e9, int(queued) / 1e9
                r0, q0 = last.get((pid, tid), (0.0, 0.0))
                last[pid, tid] = (r, q)
                cpu += r - r0
                run += r - r0 + q - q0
                if pid == proc.pid:
                    main_cpu += r - r0
                    main_run += r - r0 + q - q0
        samples.append((now, now - before, cpu, run, main_cpu, main_run))
        before = now
    reader.join(timeout=2)
    marks.append((time.time() - t0, "end"))
    if proc.returncode != 0:
        raise RuntimeError(f"the run failed ({proc.returncode})")
    return {"marks": marks, "samples": samples}


def report(got: dict[str, Any], cores: int = 2) -> list[str]:
    """The table of :func:`sample_run`'s result (see the module's text)."""
    lines = [
        f"{'stage':<24}{'wall':>7}{'CPU':>7}{'main':>7}{'runnbl':>7}"
        f"{'idle-wall':>10}{'idle-core':>10}{'main-only':>10}"
    ]
    marks, samples = got["marks"], got["samples"]
    total = [0.0, 0.0, 0.0, 0.0]
    for (a, name), (b, _) in itertools.pairwise(marks):
        inside = [s for s in samples if a <= s[0] < b]
        wall = sum(s[1] for s in inside)
        cpu = sum(s[2] for s in inside)
        main = sum(s[4] for s in inside)
        runnable = sum(s[3] for s in inside) / wall if wall else 0.0
        # each interval's CPU at as many cores as it had runnable threads (at most ``cores``)
        at = [(s, s[2] / max(min(cores, s[3] / s[1]), 1e-9)) for s in inside if s[2] > 0]
        idle_wall = sum(w for _, w in at)
        alone = sum(w for s, w in at if s[3] - s[5] < 0.2 * s[1])
        idle = cores * idle_wall - cpu
        total = [total[0] + wall, total[1] + cpu, total[2] + idle_wall, total[3] + idle]
        lines.append(
            f"{name[:24]:<24}{wall:7.1f}{cpu:7.1f}{main:7.1f}{runnable:7.2f}"
            f"{idle_wall:10.1f}{idle:10.1f}{alone:10.1f}"
        )
    lines.append(
        f"{'total':<24}{total[0]:7.1f}{total[1]:7.1f}{'':14}{total[2]:10.1f}{total[3]:10.1f}"
    )
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("tree", type=Path, help="a worktree: its src and example mandate")
    ap.add_argument("out", type=Path, help="the run's output directory (a fresh one)")
    ap.add_argument("--obs", type=Path, default=STRESS, help="the day's observations")
    ap.add_argument("--cores", type=int, default=2, help="the idle machine's cores")
    ap.add_argument("--json", type=Path, default=None, help="also keep the samples here")
    args = ap.parse_args()
    got = sample_run(args.tree.resolve(), args.obs, args.out)
    print(f"{args.tree}: load {os.getloadavg()[0]:.1f}")
    print("\n".join(report(got, args.cores)))
    if args.json is not None:
        args.json.write_text(json.dumps(got))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
