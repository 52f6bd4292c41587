"""The ray cost loop alone (issue 23, session 29): every call of the compiled
loop (``raycost.ray_cost_kernel``) in one fuse of a fusion row
(``bench_fuse_speed.ROWS``), captured once by this tree's code and replayed by
this tree's loop and another tree's, each side in its own process, alternated,
so that the rest of fusion's noise on a loaded machine does not hide the loop's.

    .venv/bin/python benchmarks/bench_ray_cost.py --row dense --base /work/wt/base/src
        [--rounds 3] [--runs 3]

Printed per side and run: CPU seconds (``time.process_time``) of the calls by kind
(``rr`` ray x ray, ``rp`` ray x point, ``pr`` point x ray, ``pp`` point x point;
``+s``: the sides asked too), their medians and ratios, and whether every run of
both sides returned the same arrays as the capture (least costs and sides, to
the bit). The rays' priors, broadcast along the rays, are replayed broadcast, as
fusion passes them (the loop is compiled for that layout).
"""

from __future__ import annotations

import argparse
import os
import pickle
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from tree_side import child_answer, run_child  # noqa: E402

#: a captured array broadcast along its first axis: its first row and its shape
_BROADCAST = "broadcast"


def _kept(x: Any) -> Any:
    """An argument as captured: a copy, or a broadcast array's first row."""
    import numpy as np

    if not isinstance(x, np.ndarray):
        return x
    if x.ndim == 3 and x.shape[0] > 1 and x.strides[0] == 0:
        return (_BROADCAST, np.array(x[:1]), x.shape)
    return np.array(x)


def _given(x: Any) -> Any:
    import numpy as np

    if isinstance(x, tuple) and len(x) == 3 and x[0] == _BROADCAST:
        return np.broadcast_to(x[1], x[2])
    return x


def capture(row: str, into: Path) -> Path:
    """The loop's calls in one fuse of ``row``, pickled as ``[(args, costs,
    sides)]``; made once."""
    out = into / f"ray-cost-calls-{row}.pkl"
    if out.exists():
        return out
    import numpy as np
    from bench_fuse_speed import _contact_line, scene

    from ceasefire.fuse import FuseConfig, fuse, raypairs

    obs, _ = scene(row)
    kernel = raypairs.ray_cost_kernel()
    if kernel is None:
        raise SystemExit("the ray cost loop is not compiled here (no numba)")
    calls: list[Any] = []

    def recorded(*args: Any) -> Any:
        kept = [_kept(a) for a in args]
        costs = kernel(*args)
        calls.append((kept, np.array(costs), np.array(args[-1])))
        return costs

    getter = raypairs.ray_cost_kernel
    raypairs.ray_cost_kernel = lambda: recorded  # type: ignore[assignment]
    try:
        fuse(obs, FuseConfig(workers=1, contact_line_lonlat=_contact_line()))
    finally:
        raypairs.ray_cost_kernel = getter
    out.write_bytes(pickle.dumps(calls))
    return out


def _kind(args: list[Any]) -> str:
    ray_l, ray_i = args[0].shape[1] > 1, args[8].shape[1] > 1
    kind = {(True, True): "rr", (True, False): "rp", (False, True): "pr"}.get((ray_l, ray_i), "pp")
    return kind + ("+s" if args[32] else "")


def replay(calls_path: Path, runs: int) -> dict[str, Any]:
    """Every captured call replayed once per run after a warm-up (this process's
    loop): CPU seconds per kind per run, and whether every output was the capture's."""
    import numpy as np

    from ceasefire.fuse.raycost import ray_cost_kernel

    kernel = ray_cost_kernel()
    assert kernel is not None
    calls = [
        ([_given(a) for a in args], c, s) for args, c, s in pickle.loads(calls_path.read_bytes())
    ]

    def one() -> tuple[dict[str, float], bool]:
        cpu: dict[str, float] = {}
        same = True
        for args, costs, sides in calls:
            a = [*args[:-1], np.zeros_like(sides)]
            t0 = time.process_time()
            got = kernel(*a)
            k = _kind(a)
            cpu[k] = cpu.get(k, 0.0) + time.process_time() - t0
            same = same and np.array_equal(got, costs, equal_nan=True)
            same = same and np.array_equal(a[-1], sides, equal_nan=True)
        return cpu, same

    one()
    got = [one() for _ in range(runs)]
    return {"cpu": [g[0] for g in got], "same": all(g[1] for g in got), "calls": len(calls)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--row", default="dense")
    ap.add_argument("--base", type=Path, help="the other tree's src/")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--_child", type=Path, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a._child:
        print(child_answer(replay(a._child, a.runs)))
        return 0
    calls = capture(a.row, Path(tempfile.gettempdir()))
    sides = {"this": ROOT / "src"} | ({"base": a.base.resolve()} if a.base else {})
    total: dict[str, list[float]] = {k: [] for k in sides}
    same = True
    print(f"load {os.getloadavg()[0]:.1f}", flush=True)
    for r in range(a.rounds):
        for name, src in sides.items():
            got = run_child(__file__, src, [str(calls), "--runs", str(a.runs)], f"side {src}")
            same = same and bool(got["same"])
            for cpu in got["cpu"]:
                total[name].append(sum(cpu.values()))
            parts = ", ".join(f"{k} {v:.3f}" for k, v in sorted(got["cpu"][-1].items()))
            print(f"round {r} {name}: {got['calls']} calls, CPU-s all "
                  f"{[round(sum(c.values()), 3) for c in got['cpu']]}; last run {parts}",
                  flush=True)  # fmt: skip
    med = {k: statistics.median(v) for k, v in total.items()}
    ratio = f"; this / base {med['this'] / med['base']:.2f}" if "base" in med else ""
    print(f"median CPU-s {', '.join(f'{k} {v:.3f}' for k, v in med.items())}{ratio}; "
          f"same outputs as captured: {same}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
