"""The day's second pass alone (issue 23, session 16): on a slice of the stress day,
every batch tile fused by ``tiles.fuse_tile`` with the pooled registration and its
first association (reused where the registration does not matter: on the stress
day every tile), serially, against another tree's code on the very same inputs.

    .venv/bin/python benchmarks/bench_second_pass.py --stress 1/8 --base /work/wt/base/src
        [--rounds 3] [--runs 3]

The first pass (``tiles.tile_first`` per tile, ``tiles.pooled``) runs once, in this
process, and is pickled under TMPDIR; each side then runs in its own process
(``PYTHONPATH`` its ``src``), ``--runs`` times, the first run counted as warm-up
(numba's caches loaded); the sides alternate for ``--rounds``. Printed: each side's
CPU seconds (``time.process_time``) of every counted run, their medians, the ratio,
and whether every run of both sides gave the same events (SHA-256 of their
``repr``: every field, positions to the bit).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import pickle
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from tree_side import child_answer, run_child  # noqa: E402


def prepare(fraction: Fraction, into: Path) -> Path:
    """The first pass of the first ``fraction`` of the stress day (frontline-2025,
    ``register_over`` run, the batch's tiles), pickled as (jobs, firsts,
    registration, config, observations) into ``into``; made once."""
    out = into / f"second-pass-{fraction.numerator}-{fraction.denominator}.pkl"
    if out.exists():
        return out
    sys.path.insert(0, str(HERE))
    from bench_first_pass import FRONTLINE, _stress

    from ceasefire.fuse import tiles
    from ceasefire.mandate import load_mandate
    from ceasefire.pipeline import fuse_config

    with tempfile.TemporaryDirectory() as d:
        obs = tiles.canonical(_stress(fraction, Path(d)))
    cfg = tiles.batch_cut(
        replace(fuse_config(load_mandate(FRONTLINE)), register_over="run", workers=1)
    )
    jobs = list(tiles._jobs(obs, cfg, None))
    parts, firsts = [], {}
    for part, tile, _ in jobs:
        p, f = tiles.tile_first(part, tile, cfg, None)
        parts.append(p)
        if f is not None:
            firsts[tile] = f
    reg = tiles.pooled(parts, cfg.association.registration)
    out.write_bytes(pickle.dumps((jobs, firsts, reg, cfg, len(obs))))
    return out


def second_pass(inputs: Path, runs: int) -> dict[str, Any]:
    """Every tile of ``inputs`` fused once per run (this process's code): CPU
    seconds per run, the events' digest per run, the observations and events."""
    from ceasefire.fuse import tiles

    jobs, firsts, reg, cfg, n = pickle.loads(inputs.read_bytes())
    cpu: list[float] = []
    digests: list[str] = []
    events = 0
    for _ in range(runs):
        t = time.process_time()
        out = []
        for part, tile, _ in jobs:
            out += tiles.fuse_tile(part, tile, cfg, reg, firsts.get(tile))
        cpu.append(time.process_time() - t)
        digests.append(hashlib.sha256(repr(out).encode()).hexdigest())
        events = len(out)
    return {"cpu_runs": cpu, "digests": digests, "obs": n, "events": events}


def _side(src: Path, inputs: Path, runs: int) -> dict[str, Any]:
    return run_child(__file__, src, [str(inputs), "--runs", str(runs)], f"the side in {src}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stress", type=Fraction, default=Fraction(1, 8))
    ap.add_argument("--base", type=Path, help="the other tree's src/")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--_child", type=Path, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.runs < 2:
        ap.error("--runs must be at least 2: each side's first run warms it and is not counted")
    if a._child:
        print(child_answer(second_pass(a._child, a.runs)))
        return 0
    inputs = prepare(a.stress, Path(tempfile.gettempdir()))
    sides = {"this": ROOT / "src"} | ({"base": a.base.resolve()} if a.base else {})
    cpu: dict[str, list[float]] = {k: [] for k in sides}
    digests: set[str] = set()
    print(f"load {os.getloadavg()[0]:.1f}", flush=True)
    for r in range(a.rounds):
        for name, src in sides.items():
            got = _side(src, inputs, a.runs)
            cpu[name] += got["cpu_runs"][1:]
            digests.update(got["digests"])
            print(f"round {r} {name}: {got['obs']:,} obs, {got['events']:,} events, CPU-s "
                  f"{[round(c, 2) for c in got['cpu_runs']]}", flush=True)  # fmt: skip
    med = {k: statistics.median(v) for k, v in cpu.items()}
    for k, v in med.items():
        print(f"{k}: median {v:.2f} CPU-s over {len(cpu[k])} counted runs")
    if "base" in med:
        print(f"speed-up {med['base'] / med['this']:.2f} x; same events: {len(digests) == 1}")
    print(f"load {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
