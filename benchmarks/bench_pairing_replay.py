"""Launch pairing and ray pairs alone (issue 23, session 16): every
``pair_launches`` and ``pair_rays`` call of the day's second pass on a slice of
the stress day, captured once and replayed by this tree's code and another
tree's, each side in its own process, so that the rest of fusion's noise on a
loaded machine does not hide the parts' own CPU.

    .venv/bin/python benchmarks/bench_pairing_replay.py --stress 1/8 --base /work/wt/base/src
        [--rounds 3] [--runs 3]

The calls are captured by running ``tiles.fuse_tile`` on every tile of
``bench_second_pass.prepare``'s inputs (this tree's code) with the two functions
wrapped, pickled under TMPDIR. Each side then replays all calls ``--runs`` times
after one warm-up (numba's caches loaded); the sides alternate for ``--rounds``.
Printed: each side's CPU seconds (``time.process_time``) of launch pairing and of
ray pairs per run, their medians and ratios, and whether every run of both sides
returned the same arrays (SHA-256 of their bytes).
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
from fractions import Fraction
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from tree_side import child_answer, run_child  # noqa: E402


def capture(fraction: Fraction, into: Path) -> Path:
    """The pairing calls of the second pass of the first ``fraction`` of the stress
    day, pickled as ``{"launch": [(args, kwargs)], "rays": [...]}``; made once."""
    out = into / f"pairing-calls-{fraction.numerator}-{fraction.denominator}.pkl"
    if out.exists():
        return out
    sys.path.insert(0, str(HERE))
    from bench_second_pass import prepare

    from ceasefire.fuse import engine, tiles

    inputs = prepare(fraction, into)
    calls: dict[str, list[Any]] = {"launch": [], "rays": []}
    launch, rays = engine.pair_launches, engine.pair_rays

    def pair_launches(*a: Any, **k: Any) -> Any:
        calls["launch"].append((a, k))
        return launch(*a, **k)

    def pair_rays(*a: Any, **k: Any) -> Any:
        calls["rays"].append((a, k))
        return rays(*a, **k)

    jobs, firsts, reg, cfg, _ = pickle.loads(inputs.read_bytes())
    engine.pair_launches, engine.pair_rays = pair_launches, pair_rays  # type: ignore[assignment]
    try:
        for part, tile, _ in jobs:
            tiles.fuse_tile(part, tile, cfg, reg, firsts.get(tile))
    finally:
        engine.pair_launches, engine.pair_rays = launch, rays  # type: ignore[assignment]
    out.write_bytes(pickle.dumps(calls))
    return out


def replay(calls_path: Path, runs: int) -> dict[str, Any]:
    """Every captured call replayed once per run after a warm-up (this process's
    code): CPU seconds of each kind per run, the outputs' digest per run."""
    import numpy as np

    from ceasefire.fuse.pairing import pair_launches
    from ceasefire.fuse.raypairs import pair_rays

    calls = pickle.loads(calls_path.read_bytes())

    def one() -> tuple[float, float, str]:
        outs: list[Any] = []
        t0 = time.process_time()
        outs += [pair_launches(*a, **k) for a, k in calls["launch"]]
        t1 = time.process_time()
        outs += [pair_rays(*a, **k) for a, k in calls["rays"]]
        t2 = time.process_time()
        h = hashlib.sha256()
        for o in outs:
            for x in o:
                h.update(np.ascontiguousarray(x).tobytes())
        return t1 - t0, t2 - t1, h.hexdigest()

    one()
    got = [one() for _ in range(runs)]
    return {
        "launch": [g[0] for g in got],
        "rays": [g[1] for g in got],
        "digests": [g[2] for g in got],
        "calls": {k: len(v) for k, v in calls.items()},
    }


def _side(src: Path, calls: Path, runs: int) -> dict[str, Any]:
    return run_child(__file__, src, [str(calls), "--runs", str(runs)], f"the side in {src}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stress", type=Fraction, default=Fraction(1, 8))
    ap.add_argument("--base", type=Path, help="the other tree's src/")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--_child", type=Path, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a._child:
        print(child_answer(replay(a._child, a.runs)))
        return 0
    calls = capture(a.stress, Path(tempfile.gettempdir()))
    sides = {"this": ROOT / "src"} | ({"base": a.base.resolve()} if a.base else {})
    cpu: dict[str, dict[str, list[float]]] = {k: {"launch": [], "rays": []} for k in sides}
    digests: set[str] = set()
    print(f"load {os.getloadavg()[0]:.1f}", flush=True)
    for r in range(a.rounds):
        for name, src in sides.items():
            got = _side(src, calls, a.runs)
            for kind in ("launch", "rays"):
                cpu[name][kind] += got[kind]
            digests.update(got["digests"])
            print(f"round {r} {name}: calls {got['calls']}, CPU-s launch "
                  f"{[round(c, 3) for c in got['launch']]} rays "
                  f"{[round(c, 3) for c in got['rays']]}", flush=True)  # fmt: skip
    for kind in ("launch", "rays"):
        med = {k: statistics.median(v[kind]) for k, v in cpu.items()}
        line = ", ".join(f"{k} {v:.3f}" for k, v in med.items())
        ratio = f"; {med['base'] / med['this']:.2f} x" if "base" in med else ""
        print(f"{kind}: median CPU-s {line}{ratio}")
    print(f"same outputs: {len(digests) == 1}; load {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
