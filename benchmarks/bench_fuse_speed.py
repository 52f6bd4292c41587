"""Fusion speed (issue 23): observations per CPU second and F1 for three inputs,
next to the anchor (the straightforward numpy pipeline, ``baseline_fuse.py``, on
the same rows) and, with ``--before REV``, next to the code of git revision REV
run in a subprocess on the very same inputs. Median of ``--repeat`` runs (3),
CPU seconds of the process (``time.process_time``) plus its children's.

    .venv/bin/python benchmarks/bench_fuse_speed.py [--before HEAD~3] [--repeat 3]
        [--rows bearing,dense,stress]

Inputs (``ceasefire.simulate`` on the Donbas example, seeds not used to tune
fusion; the contact line passed as the pipeline does):

- ``bearing``: the bearing reports of the heavy profile over 72 h (seed 11);
- ``dense``: the same scene at 10 x the heavy profile's rounds (24 h, seed 12),
  bearing reports;
- ``stress``: every report of a 2 h stress slice (seed 13).

Scoring is ``bench_fuse.score_groups`` (multi-observer events against the rounds
fixable with a check). For ``bench_perf.py``: :func:`measure_fusion` (one input,
one code) and :func:`fusion_rows` (every row, anchor included) return dicts.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import replace
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from baseline_fuse import baseline_fuse  # noqa: E402
from bench_fuse import score_groups  # noqa: E402
from fuse_scenario import Truth  # noqa: E402
from fuse_sim import MANDATE  # noqa: E402
from machine import cpu_model  # noqa: E402
from tree_side import child_answer, run_child  # noqa: E402

#: row name -> (profile, hours, seed, rounds multiplier, bearing reports only)
ROWS: dict[str, tuple[str, float, int, float, bool]] = {
    "bearing": ("heavy", 72.0, 11, 1.0, True),
    "dense": ("heavy", 24.0, 12, 10.0, True),
    "stress": ("stress", 2.0, 13, 1.0, False),
}
#: the issue's targets, observations per CPU second
TARGETS = {"bearing": 50_000, "dense": 20_000, "stress": 50_000}


def _cpu_s() -> float:
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + ch.ru_utime + ch.ru_stime


def scene(row: str) -> tuple[Any, Truth]:
    """Observations and truth of the input ``row`` (see the module docstring)."""
    from fuse_sim import load as load_sim

    from ceasefire.simulate import get_profile

    profile, hours, seed, mult, bearing_only = ROWS[row]
    if mult == 1.0:
        obs, truth, _ = load_sim(profile, hours=hours, seed=seed)
    else:
        # fuse_sim.load with a denser profile: the same scene, more rounds
        import fuse_sim

        base = get_profile(profile)
        dense = replace(base, rounds_per_day=base.rounds_per_day * mult)
        orig = fuse_sim.get_profile
        fuse_sim.get_profile = lambda _name: dense  # type: ignore[assignment]
        try:
            obs, truth, _ = load_sim(profile, hours=hours, seed=seed)
        finally:
            fuse_sim.get_profile = orig  # type: ignore[assignment]
    if bearing_only:
        keep = np.flatnonzero(np.isfinite(obs.bearing_deg))
        obs = obs.take(keep)
        truth = Truth(
            truth.launch_xy,
            truth.impact_xy,
            truth.launch_t,
            truth.impact_t,
            truth.round_of_obs[keep],
            truth.phase_of_obs[keep],
            truth.frame,
        )
    return obs, truth


def _contact_line() -> tuple[tuple[float, float], ...]:
    from ceasefire.mandate import load_mandate

    c = load_mandate(MANDATE).contact
    return tuple(zip(c.lons, c.lats, strict=True))


def _score(groups: list[np.ndarray], obs: Any, truth: Truth) -> dict[str, float]:
    _, src_code = np.unique(obs.source.astype(str), return_inverse=True)
    is_arr = (obs.kind == 1).astype(np.intp)
    return score_groups(groups, truth, src_code.ravel(), is_arr)


def measure_fusion(obs: Any, truth: Truth, repeat: int = 3) -> dict[str, Any]:
    """``fuse`` (one worker, the contact line) on ``obs``, ``repeat`` times: median
    CPU seconds and wall seconds, observations per CPU second, and the F1 of the
    first run (the runs give the same events)."""
    from ceasefire.fuse import FuseConfig, fuse

    cfg = FuseConfig(workers=1, contact_line_lonlat=_contact_line())
    cpu: list[float] = []
    wall: list[float] = []
    events: list[Any] = []
    for _ in range(repeat):
        c0, w0 = _cpu_s(), time.perf_counter()
        events = fuse(obs, cfg)
        cpu.append(_cpu_s() - c0)
        wall.append(time.perf_counter() - w0)
    idx_of = {str(k): i for i, k in enumerate(obs.id)}
    groups = [
        np.array([idx_of[o] for o in e.observation_ids])
        for e in events
        if "single_observer" not in e.flags
    ]
    sc = _score(groups, obs, truth)
    n = len(obs)
    cpu_s = statistics.median(cpu)
    return {
        # the events' every field (positions to the bit): equal digests, same events
        "events_sha256": hashlib.sha256(repr(events).encode()).hexdigest(),
        "obs": n,
        "cpu_s": cpu_s,
        "wall_s": statistics.median(wall),
        "cpu_runs": cpu,
        "wall_runs": wall,
        "obs_per_cpu_s": n / cpu_s,
        "events": len(events),
        "f1": sc["f1"],
        "precision": sc["precision"],
        "recall": sc["recall"],
        "double_rate": sc["double_rate"],
    }


def measure_anchor(obs: Any, truth: Truth, repeat: int = 3) -> dict[str, Any]:
    """The straightforward numpy pipeline (``baseline_fuse``) on the bearing rows of
    ``obs``: median CPU seconds, observations per CPU second (of those rows), F1."""
    from ceasefire.fuse import FuseConfig
    from ceasefire.fuse.engine import _rows
    from ceasefire.fuse.frame import Grid

    b = np.flatnonzero(np.isfinite(obs.bearing_deg))
    part = obs.take(b)
    _, src = np.unique(part.source.astype(str), return_inverse=True)
    rw = _rows(part, Grid(truth.frame), FuseConfig())
    cpu: list[float] = []
    out: list[Any] = []
    for _ in range(repeat):
        c0 = _cpu_s()
        out = baseline_fuse(
            rw.ox,
            rw.oy,
            rw.t,
            rw.sigma_t,
            src.ravel(),
            np.degrees(rw.az),
            part.bearing_sigma_deg,
        )
        cpu.append(_cpu_s() - c0)
    sub = Truth(
        truth.launch_xy,
        truth.impact_xy,
        truth.launch_t,
        truth.impact_t,
        truth.round_of_obs[b],
        truth.phase_of_obs[b],
        truth.frame,
    )
    sc = _score([g for g, _, _ in out], part, sub)
    cpu_s = statistics.median(cpu)
    return {
        "obs": int(b.shape[0]),
        "cpu_s": cpu_s,
        "cpu_runs": cpu,
        "obs_per_cpu_s": b.shape[0] / cpu_s,
        "f1": sc["f1"],
        "double_rate": sc["double_rate"],
    }


def _before_src(rev: str, cache: Path | None = None) -> Path:
    """``src/`` of git revision ``rev``, extracted once under ``cache`` (default:
    ``$CEASEFIRE_BENCH_CACHE`` or the temporary directory, ``ceasefire-before/<sha>``)
    and reused: numba caches its compiled loops beside the sources, by their path and
    modification time, so a fresh extraction recompiles every loop of the before tree
    (minutes idle, twenty under load), while a reused one loads them."""
    sha = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    if not sha:
        raise SystemExit(f"--before {rev}: not a git revision of {ROOT}")
    base = cache or Path(os.environ.get("CEASEFIRE_BENCH_CACHE") or tempfile.gettempdir())
    tree = base / "ceasefire-before" / sha
    if (tree / "src").is_dir():
        return tree / "src"
    got = subprocess.run(["git", "-C", str(ROOT), "archive", sha, "src"], capture_output=True)
    if got.returncode != 0:
        said = got.stderr.decode(errors="replace").strip()
        raise SystemExit(f"--before {rev}: git archive failed ({said})")
    tree.parent.mkdir(parents=True, exist_ok=True)
    # extracted beside, then renamed: a run stopped half-way leaves no partial tree
    # that a later run would take for whole
    part = Path(tempfile.mkdtemp(prefix=f"{sha}.", dir=tree.parent))
    with tarfile.open(fileobj=BytesIO(got.stdout)) as tar:
        tar.extractall(part, filter="data")
    try:
        part.rename(tree)
    except OSError:  # another run extracted it first
        shutil.rmtree(part)
    return tree / "src"


def _measure_before(src: Path, inputs: Path, repeat: int) -> dict[str, Any]:
    """:func:`measure_fusion` with the package found in ``src`` (a subprocess)."""
    return run_child(__file__, src, [str(inputs), "--repeat", str(repeat)], "the previous code")


def fusion_rows(
    rows: list[str] | None = None,
    repeat: int = 3,
    before: str | None = None,
    anchor: bool = True,
) -> dict[str, dict[str, Any]]:
    """Every row (``bearing``, ``dense``, ``stress``): this code, the anchor (rows of
    bearing reports) and, with ``before``, git revision ``before``'s code."""
    res: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="fusespeed-") as tmp:
        src = _before_src(before) if before else None
        for row in rows or list(ROWS):
            obs, truth = scene(row)
            r: dict[str, Any] = {"target_obs_per_cpu_s": TARGETS[row]}
            if src is None:
                r["now"] = measure_fusion(obs, truth, repeat)
            else:
                # one run each in turn (the before in a child), so that a change of
                # the machine's load falls on both alike
                inputs = Path(tmp) / f"{row}.pkl"
                inputs.write_bytes(pickle.dumps((obs, truth)))
                # each side warm: one run here first (numba's caches loaded), and
                # the second of two runs in each child
                measure_fusion(obs, truth, 1)
                now: list[dict[str, Any]] = []
                bef: list[dict[str, Any]] = []
                for _ in range(repeat):
                    now.append(measure_fusion(obs, truth, 1))
                    bef.append(_last_run(_measure_before(src, inputs, 2)))
                r["now"], r["before"] = _merged(now), _merged(bef)
                r["same_events"] = len({m["events_sha256"] for m in now + bef}) == 1
            if anchor and ROWS[row][4]:
                r["anchor"] = measure_anchor(obs, truth, repeat)
            res[row] = r
            _print_row(row, r)
    return res


def _last_run(m: dict[str, Any]) -> dict[str, Any]:
    """:func:`measure_fusion`'s answer for its last run only."""
    return {**m, "cpu_runs": m["cpu_runs"][-1:], "wall_runs": m["wall_runs"][-1:]}


def _merged(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One-run measures of the same code as one: the median CPU and wall, the
    first run's scores."""
    out = dict(runs[0])
    out["cpu_runs"] = [c for m in runs for c in m["cpu_runs"]]
    out["cpu_s"] = statistics.median(out["cpu_runs"])
    out["wall_s"] = statistics.median(w for m in runs for w in m["wall_runs"])
    out["obs_per_cpu_s"] = out["obs"] / out["cpu_s"]
    return out


def _print_row(row: str, r: dict[str, Any]) -> None:
    def one(name: str, m: dict[str, Any]) -> str:
        return (
            f"  {name:<8} {m['obs']:>8,} obs  {m['cpu_s']:8.2f} CPU-s  "
            f"{m['obs_per_cpu_s'] / 1000:7.2f} k obs/CPU-s  F1 {m['f1']:.3f}"
        )

    print(f"{row} (target {r['target_obs_per_cpu_s'] / 1000:g} k obs/CPU-s):", flush=True)
    for name in ("now", "before", "anchor"):
        if name in r:
            print(one(name, r[name]), flush=True)
    if "before" in r:
        print(
            f"  speed-up over before: {r['before']['cpu_s'] / r['now']['cpu_s']:.2f} x "
            f"(runs alternated; CPU-s now {sorted(r['now']['cpu_runs'])}, before "
            f"{sorted(r['before']['cpu_runs'])}); same events: {r['same_events']}"
        )
    if "anchor" in r:
        print(f"  ratio to the anchor: {r['anchor']['cpu_s'] / r['now']['cpu_s']:.2f} x")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", default=",".join(ROWS))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--before", default=None, help="git revision to measure side by side")
    ap.add_argument("--no-anchor", action="store_true")
    ap.add_argument("--_child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args._child:
        obs, truth = pickle.loads(Path(args._child).read_bytes())
        print(child_answer(measure_fusion(obs, truth, args.repeat)))
        return
    print(f"{datetime.now().isoformat(timespec='seconds')}; machine: {os.cpu_count()} cores, "
          f"{cpu_model()}; load {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
    res = fusion_rows(args.rows.split(","), args.repeat, args.before, not args.no_anchor)
    Path("/tmp/bench_fuse_speed_last.json").write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
