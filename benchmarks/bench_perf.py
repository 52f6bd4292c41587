"""Issue 23 in one command: every row of its table against its anchor, measured
side by side in one run (CPU seconds and wall, peak memory, median of three).

    .venv/bin/python benchmarks/bench_perf.py            # the full table (heavy: ~1 h)
    .venv/bin/python benchmarks/bench_perf.py --quick    # a short run (small inputs, once)
    .venv/bin/python benchmarks/bench_perf.py --rows ledger,fusion
    .venv/bin/python benchmarks/bench_perf.py --rows run --timeline --fractions 1/8 \
        --base /path/to/base-worktree     # where the wall goes, side by side with a base

Rows (``--rows``, default all):

- ``run``: ``ceasefire run`` (``pipeline.run``, no PDF) on the first 1/8, 1/4,
  1/2 and all of a simulated stress day (frontline-2025, seed 11): CPU-µs and
  wall-µs per observation, peak memory (the process tree) per observation
  against the input record's bytes. Target: 1 M observations end to end in
  < 60 s wall on 2 cores; ≤ 2 GB for the stress day, linear.
- ``fusion``: ``fuse`` on the bearing benchmark, at 10× density and on a
  stress 2 h slice, observations per CPU-s and F1, against the straightforward
  numpy pipeline (``baseline_fuse.py``) on the same bearing rows.
- ``ingest``: ``pipeline.ingest_into`` against bare ``sqlite3`` ``executemany``
  of the same rows (138 k records of the stress day).
- ``ledger``: full ``verify`` of 200 k violation records against one SHA-256
  per record and the bare RFC 9162 root of the same records.

With ``--timeline`` the run rows print, instead of the memory table, each stage's wall,
the main process's CPU and the fusion pool's CPU (the stages as ``run``'s progress names
them; ``idle`` and ``stolen``: the machine's idle CPU-s in the stage, all its CPUs,
and those its host took away, from ``/proc/stat``; ``sampler``: this benchmark's own
memory sampler's CPU-s (each PSS read walks the run's page tables: ~13 CPU-ms a resident
GB, two reads a second; a plain ``ceasefire run`` has none of it); ``others``: the rest of
the machine's CPU-s that were not this run's: other processes', the kernel's threads'
(DAMON's ``kdamond``, writeback): on an idle machine, whether a slow regime is the host's
or the kernel's), and with ``--base`` the same for a base
worktree (its ``src`` on ``PYTHONPATH``, its example mandate; this tree's likewise), the
runs alternated; ``--json`` keeps them.

Each row calls the benchmark that owns it (``bench_memory.measure``,
``bench_fuse_speed.fusion_rows``, ``bench_ingest.measure``,
``bench_ledger.verify_vs_anchors``); where one is not there, the row says so
(``run`` and ``fusion`` then fall back to the older ``bench_fuse`` pieces and a
plain ``pipeline.run`` in a child process). Prints the table with the target
column and the ratio to the anchor; ``--json PATH`` keeps every number.
"""

from __future__ import annotations

import argparse
import importlib
import itertools
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

from machine import cpu_model

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

ALL_ROWS = ("run", "fusion", "ingest", "ledger")
#: a heavy day: one million observations end to end within a minute, on 2 cores
TARGET_RUN_WALL_US = 60.0
TARGET_STRESS_DAY_MB = 2048.0


def _optional(name: str) -> Any | None:
    """The benchmark module ``name`` of this folder, or None when it is not here."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        if exc.name != name:
            raise
        return None


def _cpu_s() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


Row = dict[str, Any]


def _row(measure: str, now: str, anchor: str, ratio: str, target: str, met: bool | None) -> Row:
    return {
        "measure": measure,
        "now": now,
        "anchor": anchor,
        "ratio": ratio,
        "target": target,
        "met": met,
    }


# ---------------------------------------------------------------- run + memory


def _stress_day(seed: int, cache: Path) -> Path:
    """A simulated stress day (``ceasefire simulate``, frontline-2025), made once."""
    ingest = _optional("bench_ingest")
    if ingest is not None:
        return Path(ingest.stress_day(seed))
    day = cache / f"stress-{seed}"
    obs = day / "observations.ndjson"
    if not obs.exists():
        cli = Path(sys.executable).with_name("ceasefire")
        mandate = ROOT / "examples" / "frontline-2025" / "mandate.yaml"
        subprocess.run(
            [str(cli), "simulate", "-m", str(mandate), "--profile", "stress", "--hours", "24",
             "--seed", str(seed), "--out", str(day)],
            check=True,
            capture_output=True,
        )  # fmt: skip
    return obs


def _plain_run(path: Path, workdir: Path) -> dict[str, Any]:
    """``ceasefire run --no-pdf`` on ``path`` in a child: CPU, wall, peak RSS (the
    largest child's high-water mark: a lower bound of the tree's peak)."""
    out = workdir / f"run-{path.stem}"
    shutil.rmtree(out, ignore_errors=True)
    cli = Path(sys.executable).with_name("ceasefire")
    mandate = ROOT / "examples" / "frontline-2025" / "mandate.yaml"
    c0, w0 = _cpu_s(), time.perf_counter()
    subprocess.run(
        [str(cli), "run", "-m", str(mandate), "-o", str(path), "--out", str(out), "--no-pdf"],
        check=True,
        capture_output=True,
    )
    cpu, wall = _cpu_s() - c0, time.perf_counter() - w0
    summary = json.loads((out / "summary.json").read_text())
    shutil.rmtree(out, ignore_errors=True)
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "observations": summary["counts"]["accepted"],
        "input_bytes": path.stat().st_size,
        "peak_tree_mb": peak_kb / 1024,
        "cpu_s": cpu,
        "wall_s": wall,
    }


def measure_run(fractions: tuple[float, ...], repeat: int, seed: int = 11) -> list[dict[str, Any]]:
    """``run`` on the first ``fractions`` of a stress day, ``repeat`` times each:
    medians of CPU, wall and peak memory per fraction."""
    memory = _optional("bench_memory")
    with tempfile.TemporaryDirectory(prefix="scale-bench-perf-") as d:
        tmp = Path(d)
        day = _stress_day(seed, Path(tempfile.gettempdir()) / "ceasefire-bench")
        lines = day.read_bytes().splitlines(keepends=True)
        out = []
        for f in fractions:
            n = round(len(lines) * f)
            path = tmp / f"stress-{seed}-{n}.ndjson"
            path.write_bytes(b"".join(lines[:n]))
            runs = [
                memory.run_once(path, tmp) if memory is not None else _plain_run(path, tmp)
                for _ in range(repeat)
            ]
            obs = runs[0]["observations"]
            res = {
                "fraction": f,
                "records": n,
                "observations": obs,
                "input_bytes_per_record": path.stat().st_size / max(n, 1),
                "cpu_s": statistics.median(r["cpu_s"] for r in runs),
                "wall_s": statistics.median(r["wall_s"] for r in runs),
                "peak_mb": statistics.median(r["peak_tree_mb"] for r in runs),
                # bench_memory only: the tree by proportional set size, the main process
                "peak_pss_mb": statistics.median(r.get("peak_tree_pss_mb", 0.0) for r in runs),
                "peak_main_mb": statistics.median(r.get("peak_main_mb", 0.0) for r in runs),
                "stages": runs[0].get("stages", []),
                "memory_from": "bench_memory (process tree, sampled)"
                if memory is not None
                else "largest child's high-water mark",
            }
            res["cpu_us_per_obs"] = res["cpu_s"] / max(obs, 1) * 1e6
            res["wall_us_per_obs"] = res["wall_s"] / max(obs, 1) * 1e6
            res["bytes_per_obs"] = res["peak_mb"] * 2**20 / max(obs, 1)
            out.append(res)
            print(
                f"  run {f:g} of the stress day: {obs:,} obs, {res['cpu_us_per_obs']:.0f} "
                f"CPU-µs/obs, {res['wall_us_per_obs']:.0f} wall-µs/obs, peak "
                f"{res['peak_mb']:,.0f} MB ({res['bytes_per_obs']:,.0f} B/obs; PSS "
                f"{res['peak_pss_mb']:,.0f} MB, main process {res['peak_main_mb']:,.0f} MB)",
                flush=True,
            )
            path.unlink()
    return out


# ------------------------------------------------------------- run timeline


def _proc_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a live process (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children_cpu_s() -> float:
    """CPU seconds of this process's children: the reaped ones' and the live ones'."""
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    live = 0.0
    for task in Path("/proc/self/task").glob("*"):
        try:
            pids = [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
        live += sum(_proc_cpu_s(p) for p in pids)
    return kids.ru_utime + kids.ru_stime + live


def _machine_s() -> tuple[float, float]:
    """The machine's idle (with I/O wait) and stolen CPU seconds since boot, over
    all its CPUs (``/proc/stat``; zeros where there is none): a stage's idle
    cores on an idle machine, and the time the host took its CPUs away (counted
    in no process's CPU)."""
    try:
        f = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    except OSError:
        return 0.0, 0.0
    tick = os.sysconf("SC_CLK_TCK")
    return (int(f[4]) + int(f[5])) / tick, (int(f[8]) if len(f) > 8 else 0) / tick


def _timeline_child(path: Path, out: Path, mandate: Path) -> None:
    """``pipeline.run`` of ``mandate`` on ``path`` (no PDF), printing as JSON each
    stage's start: wall, this process's CPU and its children's (fusion's pool), s."""
    t0 = time.perf_counter()
    marks: list[dict[str, Any]] = []

    def mark(stage: str) -> None:
        me = resource.getrusage(resource.RUSAGE_SELF)
        idle, steal = _machine_s()
        marks.append(
            {
                "stage": stage,
                "at_s": time.perf_counter() - t0,
                "main_cpu_s": me.ru_utime + me.ru_stime,
                "pool_cpu_s": _children_cpu_s(),
                "idle_s": idle,
                "steal_s": steal,
            }
        )

    mark("import")
    from ceasefire.pipeline import run

    def progress(text: str, done: int | None = None, total: int | None = None) -> None:
        stage = text.split(": ", 1)[-1]
        stage = " ".join(w for w in stage.split(" ")[:2] if not w[:1].isdigit())
        if not marks or marks[-1]["stage"] != stage:
            mark(stage)

    summary = run(mandate, [path], out, pdf=False, progress=progress)
    mark("end")
    print(json.dumps({"counts": summary.counts, "marks": marks}))


MANDATE_PATH = ROOT / "examples" / "frontline-2025" / "mandate.yaml"


def timeline_run(path: Path, workdir: Path, tree: Path = ROOT) -> dict[str, Any]:
    """One timed ``pipeline.run`` in a child, of the code and the example mandate of
    ``tree`` (this one, or a base worktree: its ``src`` first on the child's path, so
    neither side runs whatever is installed, and a base reads a mandate its own schema
    knows): wall, CPU, peak tree RSS and the stages' timeline (per stage: wall, main
    CPU, pool CPU, s)."""
    memory = _optional("bench_memory")
    out = workdir / f"tl-{path.stem}"
    shutil.rmtree(out, ignore_errors=True)
    env = dict(os.environ) | {"PYTHONPATH": str(tree / "src")}
    mandate = tree / MANDATE_PATH.relative_to(ROOT)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--timeline-child", str(path), str(out), str(mandate)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    peak = [0, 0]
    # (wall s, RSS kB, PSS kB, this sampler's own CPU-s so far)
    samples: list[tuple[float, int, int, float]] = []
    stop = False

    def sample() -> None:
        # resident sets summed count a forked child's pages shared with its
        # parent twice; the proportional set sizes divide them among the two.
        # Reading a PSS walks the process's page tables (~13 CPU-ms a resident
        # GB): the sampler's own CPU is kept, and told apart from ``others``
        next_pss, pss = 0.0, 0
        while not stop and memory is not None:
            pids = memory._tree(proc.pid)
            rss = sum(memory._status_kb(p, "VmRSS") for p in pids)
            if time.perf_counter() >= next_pss:  # the last PSS read stands between
                pss = sum(memory._pss_kb(p) for p in pids)
                next_pss = time.perf_counter() + memory.PSS_EVERY_S
            peak[0], peak[1] = max(peak[0], rss), max(peak[1], pss)
            samples.append((time.perf_counter() - t0, rss, pss, time.thread_time()))
            time.sleep(0.1)

    import threading

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    stdout, _ = proc.communicate()
    wall = time.perf_counter() - t0
    stop = True
    th.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"the run on {path} failed ({proc.returncode})")
    child = json.loads(stdout.strip().splitlines()[-1])
    marks = child["marks"]
    stages = []
    # the child's clock starts a start-up later than this one's (~0.1-0.3 s)
    shift = wall - marks[-1]["at_s"] if marks else 0.0
    for a, b in itertools.pairwise(marks):
        inside = [x for x in samples if a["at_s"] <= x[0] - shift < b["at_s"]]
        before_a = [x[3] for x in samples if x[0] - shift < a["at_s"]]
        sampler = inside[-1][3] - (before_a[-1] if before_a else 0.0) if inside else 0.0
        stages.append(
            {
                "stage": a["stage"],
                "wall_s": b["at_s"] - a["at_s"],
                "main_cpu_s": b["main_cpu_s"] - a["main_cpu_s"],
                "pool_cpu_s": b["pool_cpu_s"] - a["pool_cpu_s"],
                "idle_s": b.get("idle_s", 0.0) - a.get("idle_s", 0.0),
                "steal_s": b.get("steal_s", 0.0) - a.get("steal_s", 0.0),
                "peak_mb": max((x[1] for x in inside), default=0) / 1024,
                "peak_pss_mb": max((x[2] for x in inside), default=0) / 1024,
                "sampler_cpu_s": sampler,
            }
        )
    shutil.rmtree(out, ignore_errors=True)
    return {
        "observations": child["counts"]["accepted"],
        "wall_s": wall,
        "cpu_s": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
        "peak_tree_mb": peak[0] / 1024,
        "peak_tree_pss_mb": peak[1] / 1024,
        "start_s": marks[0]["at_s"],
        "stages": stages,
    }


def measure_timeline(
    fractions: tuple[float, ...], repeat: int, base: Path | None, seed: int = 11
) -> list[dict[str, Any]]:
    """:func:`timeline_run` on the first ``fractions`` of the stress day, this code
    and (``base``: a worktree of the base commit) the base's, alternated, ``repeat``
    times each: medians of wall and CPU, the median run's timeline."""
    out = []
    with tempfile.TemporaryDirectory(prefix="scale-bench-tl-") as d:
        tmp = Path(d)
        day = _stress_day(seed, Path(tempfile.gettempdir()) / "ceasefire-bench")
        lines = day.read_bytes().splitlines(keepends=True)
        for f in fractions:
            n = round(len(lines) * f)
            path = tmp / f"stress-{seed}-{n}.ndjson"
            path.write_bytes(b"".join(lines[:n]))
            codes = {"new": ROOT} | ({"base": base} if base else {})
            runs: dict[str, list[dict[str, Any]]] = {k: [] for k in codes}
            for _ in range(repeat):
                for name, tree in codes.items():
                    r = timeline_run(path, tmp, tree)
                    r["load"] = os.getloadavg()[0]
                    runs[name].append(r)
                    print(
                        f"  {name} 1/{round(1 / f)}: {r['observations']:,} obs, wall "
                        f"{r['wall_s']:.1f} s, CPU {r['cpu_s']:.1f} s "
                        f"({r['cpu_s'] / r['wall_s']:.2f} cores), peak {r['peak_tree_mb']:,.0f} MB"
                        f" (PSS {r['peak_tree_pss_mb']:,.0f} MB)"
                        f", load {r['load']:.1f}",
                        flush=True,
                    )
            for name, rs in runs.items():
                mid = sorted(rs, key=lambda r: r["wall_s"])[len(rs) // 2]
                res = {
                    "code": name,
                    "fraction": f,
                    "observations": mid["observations"],
                    "wall_s": statistics.median(r["wall_s"] for r in rs),
                    "cpu_s": statistics.median(r["cpu_s"] for r in rs),
                    "peak_mb": statistics.median(r["peak_tree_mb"] for r in rs),
                    "peak_pss_mb": statistics.median(r["peak_tree_pss_mb"] for r in rs),
                    "walls": [round(r["wall_s"], 1) for r in rs],
                    "loads": [round(r["load"], 1) for r in rs],
                    "timeline": mid,
                }
                out.append(res)
                print(f"  {name} 1/{round(1 / f)} timeline (median run by wall):")
                head = (
                    f"{'stage':<28} {'wall s':>7} {'main CPU':>9} {'pool CPU':>9} {'cores':>6}"
                    f" {'RSS MB':>7} {'PSS MB':>7} {'idle':>6} {'stolen':>6} {'others':>6}"
                    f" {'sampler':>7}"
                )
                print(f"    {head}")
                print(f"    {'start-up':<28} {mid['start_s']:7.1f}")
                for st in mid["stages"]:
                    busy = (st["main_cpu_s"] + st["pool_cpu_s"]) / max(st["wall_s"], 1e-9)
                    # the machine's CPU-s in the stage that were neither idle, stolen,
                    # this run's nor this benchmark's memory sampler's: other
                    # processes', the kernel's threads' (writeback, DAMON)
                    sampler = st.get("sampler_cpu_s", 0.0)
                    others = (
                        (os.cpu_count() or 1) * st["wall_s"]
                        - st.get("idle_s", 0.0)
                        - st.get("steal_s", 0.0)
                        - st["main_cpu_s"]
                        - st["pool_cpu_s"]
                        - sampler
                    )
                    print(
                        f"    {st['stage'][:28]:<28} {st['wall_s']:7.1f} {st['main_cpu_s']:9.1f} "
                        f"{st['pool_cpu_s']:9.1f} {busy:6.2f} {st.get('peak_mb', 0):7,.0f}"
                        f" {st.get('peak_pss_mb', 0):7,.0f} {st.get('idle_s', 0):6.1f}"
                        f" {st.get('steal_s', 0):6.1f} {others:6.1f} {sampler:7.1f}"
                    )
            path.unlink()
    return out


def run_rows(res: list[dict[str, Any]]) -> list[Row]:
    rows = []
    for r in res:
        name = "all" if r["fraction"] == 1 else f"1/{round(1 / r['fraction'])}"
        rows.append(
            _row(
                f"run, stress day {name} ({r['observations']:,} obs): time",
                f"{r['cpu_us_per_obs']:.0f} CPU-µs/obs, {r['wall_us_per_obs']:.0f} wall-µs/obs",
                "—",
                "—",
                f"≤ {TARGET_RUN_WALL_US:.0f} wall-µs/obs (1 M in 60 s)",
                r["wall_us_per_obs"] <= TARGET_RUN_WALL_US,
            )
        )
        whole = r["fraction"] == 1
        rows.append(
            _row(
                f"run, stress day {name}: peak memory",
                f"{r['peak_mb']:,.0f} MB, {r['bytes_per_obs']:,.0f} B/obs",
                f"input record {r['input_bytes_per_record']:.0f} B",
                f"{r['bytes_per_obs'] / r['input_bytes_per_record']:.1f}x",
                f"≤ {TARGET_STRESS_DAY_MB / 1024:.0f} GB" if whole else "B/obs flat (linear)",
                r["peak_mb"] <= TARGET_STRESS_DAY_MB if whole else None,
            )
        )
    return rows


# ---------------------------------------------------------------------- fusion


def _fusion_fallback(names: list[str], repeat: int) -> dict[str, dict[str, Any]]:
    """The fusion rows from ``bench_fuse``'s pieces (before ``bench_fuse_speed``):
    a 2 h stress slice and a 72 h heavy day's bearing reports, fuse vs baseline."""
    import numpy as np
    from baseline_fuse import baseline_fuse
    from bench_fuse import score_groups
    from fuse_sim import MANDATE
    from fuse_sim import load as load_sim

    from ceasefire.fuse import FuseConfig, fuse
    from ceasefire.fuse.engine import _rows
    from ceasefire.fuse.frame import Grid
    from ceasefire.mandate import load_mandate

    c = load_mandate(MANDATE).contact
    cfg = FuseConfig(workers=1, contact_line_lonlat=tuple(zip(c.lons, c.lats, strict=True)))
    inputs = {"bearing": ("heavy", 72.0, 11), "stress": ("stress", 2.0, 13)}
    out: dict[str, dict[str, Any]] = {}
    for name in names:
        if name not in inputs:
            continue
        profile, hours, seed = inputs[name]
        obs, truth, _ = load_sim(profile, hours=hours, seed=seed)
        _, src = np.unique(obs.source.astype(str), return_inverse=True)
        is_arr = (obs.kind == 1).astype(np.intp)
        cpu, events = [], []
        for _ in range(repeat):
            c0 = _cpu_s()
            events = fuse(obs, cfg)
            cpu.append(_cpu_s() - c0)
        idx = {str(k): i for i, k in enumerate(obs.id)}
        groups = [
            np.array([idx[o] for o in e.observation_ids])
            for e in events
            if "single_observer" not in e.flags
        ]
        sc = score_groups(groups, truth, src.ravel(), is_arr)
        now = {"obs": len(obs), "cpu_s": statistics.median(cpu), "f1": sc["f1"]}
        now["obs_per_cpu_s"] = now["obs"] / now["cpu_s"]
        out[name] = {"target_obs_per_cpu_s": 50_000, "now": now}
        if name != "bearing":
            continue  # the baseline has no answer on a stress slice (giant components)
        b = np.flatnonzero(np.isfinite(obs.bearing_deg))
        rw = _rows(obs.take(b), Grid(truth.frame), FuseConfig())
        bcpu, bl = [], []
        for _ in range(repeat):
            c0 = _cpu_s()
            bl = baseline_fuse(
                rw.ox, rw.oy, rw.t, rw.sigma_t, src.ravel()[b], np.degrees(rw.az),
                obs.bearing_sigma_deg[b],
            )  # fmt: skip
            bcpu.append(_cpu_s() - c0)
        inside = np.full(len(obs), -2)
        inside[b] = truth.round_of_obs[b]
        masked = type(truth)(
            truth.launch_xy, truth.impact_xy, truth.launch_t, truth.impact_t, inside,
            truth.phase_of_obs, truth.frame,
        )  # fmt: skip
        bsc = score_groups([b[g] for g, _, _ in bl], masked, src.ravel(), is_arr)
        anchor = {"obs": len(b), "cpu_s": statistics.median(bcpu), "f1": bsc["f1"]}
        anchor["obs_per_cpu_s"] = anchor["obs"] / anchor["cpu_s"]
        out[name]["anchor"] = anchor
    return out


def measure_fusion(names: list[str], repeat: int) -> dict[str, dict[str, Any]]:
    speed = _optional("bench_fuse_speed")
    if speed is not None:
        return dict(speed.fusion_rows(rows=names, repeat=repeat))
    print("  (bench_fuse_speed.py not here: bench_fuse's pieces, no 10x density row)")
    return _fusion_fallback(names, repeat)


def fusion_rows(res: dict[str, dict[str, Any]]) -> list[Row]:
    label = {
        "bearing": "fusion, bearing benchmark",
        "dense": "fusion, 10x density",
        "stress": "fusion, stress 2 h slice",
    }
    rows = []
    for name, r in res.items():
        now, anchor = r["now"], r.get("anchor")
        target = r["target_obs_per_cpu_s"]
        rows.append(
            _row(
                f"{label.get(name, name)} ({now['obs']:,} obs)",
                f"{now['obs_per_cpu_s'] / 1e3:.1f} k obs/CPU-s, F1 {now['f1']:.3f}",
                f"numpy {anchor['obs_per_cpu_s'] / 1e3:.2f} k, F1 {anchor['f1']:.3f}"
                if anchor
                else "—",
                f"{now['obs_per_cpu_s'] / anchor['obs_per_cpu_s']:.1f}x" if anchor else "—",
                f"≥ {target / 1e3:.0f} k obs/CPU-s, F1 ≥ anchor",
                now["obs_per_cpu_s"] >= target and (anchor is None or now["f1"] >= anchor["f1"]),
            )
        )
    return rows


# ---------------------------------------------------------------------- ingest


def measure_ingest(records: int, repeat: int) -> dict[str, Any] | None:
    ingest = _optional("bench_ingest")
    if ingest is None:
        print("  (bench_ingest.py not here: the ingest row is left out)")
        return None
    return dict(ingest.measure(records=records, backends=("sqlite",), runs=repeat))


def ingest_rows(res: dict[str, Any] | None) -> list[Row]:
    if res is None:
        return [_row("ingest", "not measured (bench_ingest.py missing)", "", "", "", None)]
    s = res["sqlite"]
    a = s[s["anchor"]]
    return [
        _row(
            f"ingest, SQLite ({res['records']:,} records)",
            f"{s['ingest']['per_cpu_s'] / 1e3:.1f} k records/CPU-s",
            f"bare sqlite3 executemany {a['per_cpu_s'] / 1e3:.0f} k/CPU-s",
            f"{100 * s['ratio']:.1f} % (wall {100 * s['ratio_wall']:.1f} %)",
            "≥ 30 % of bare",
            s["ratio"] >= 0.30,
        )
    ]


# ---------------------------------------------------------------------- ledger


def measure_ledger(records: int, repeat: int) -> dict[str, Any]:
    import bench_ledger

    with tempfile.TemporaryDirectory(prefix="scale-bench-perf-ledger-") as d:
        _, _, path = bench_ledger.bench_append(Path(d), records, batch=5_000)
        return dict(bench_ledger.verify_vs_anchors(path, repeats=repeat))


def ledger_rows(v: dict[str, Any]) -> list[Row]:
    return [
        _row(
            f"ledger verify ({v['records']:,} violation records)",
            f"{v['verify_cpu'] / 1e3:.0f} k records/CPU-s ({v['verify_wall'] / 1e3:.0f} k/s wall)",
            f"SHA-256 per record {v['sha_cpu'] / 1e3:.0f} k/s; bare RFC 9162 root "
            f"{v['root_cpu'] / 1e3:.0f} k/s",
            f"{v['sha_cpu'] / v['verify_cpu']:.1f}x / {v['root_cpu'] / v['verify_cpu']:.1f}x "
            "slower",
            "≥ 200 k records/s",
            v["verify_cpu"] >= 200_000,
        )
    ]


# ----------------------------------------------------------------------- table


def print_table(rows: list[Row]) -> None:
    cols = ("measure", "now", "anchor", "ratio", "target", "met")

    def cell(r: Row, c: str) -> str:
        if c == "met":
            return {True: "yes", False: "no", None: ""}[r["met"]]
        return str(r[c])

    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join(cell(r, c) for c in cols) + " |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small inputs, each measured once")
    ap.add_argument("--rows", default=",".join(ALL_ROWS), help=f"of {', '.join(ALL_ROWS)}")
    ap.add_argument("--repeat", type=int, default=None, help="runs per measure (default 3)")
    ap.add_argument("--json", type=Path, default=None, help="also write every number here")
    ap.add_argument(
        "--fractions",
        default=None,
        help="run rows: shares of the stress day (default 1/8,1/4,1/2,1; --quick 1/64)",
    )
    ap.add_argument(
        "--timeline",
        action="store_true",
        help="run rows: each stage's wall, main and pool CPU (instead of the memory table)",
    )
    ap.add_argument(
        "--base", type=Path, default=None, help="timeline: a base worktree, run side by side"
    )
    if len(sys.argv) == 5 and sys.argv[1] == "--timeline-child":
        _timeline_child(Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]))
        return 0
    args = ap.parse_args()
    wanted = [r.strip() for r in args.rows.split(",") if r.strip()]
    unknown = sorted(set(wanted) - set(ALL_ROWS))
    if unknown:
        ap.error(f"unknown rows {unknown}; expected some of {', '.join(ALL_ROWS)}")
    repeat = args.repeat or (1 if args.quick else 3)
    fractions = (
        tuple(float(Fraction(x)) for x in args.fractions.split(","))
        if args.fractions
        else ((1 / 64,) if args.quick else (1 / 8, 1 / 4, 1 / 2, 1.0))
    )
    print(
        f"machine: {cpu_model()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"load {os.getloadavg()[0]:.1f}; median of {repeat}",
        flush=True,
    )
    steps: dict[str, tuple[Callable[[], Any], Callable[[Any], list[Row]]]] = {
        "run": (
            lambda: (
                measure_timeline(fractions, repeat, args.base)
                if args.timeline
                else measure_run(fractions, repeat)
            ),
            (lambda _res: []) if args.timeline else run_rows,
        ),
        "fusion": (
            lambda: measure_fusion(
                ["stress"] if args.quick else ["bearing", "dense", "stress"], repeat
            ),
            fusion_rows,
        ),
        "ingest": (lambda: measure_ingest(20_000 if args.quick else 138_000, repeat), ingest_rows),
        "ledger": (lambda: measure_ledger(50_000 if args.quick else 200_000, repeat), ledger_rows),
    }
    table: list[Row] = []
    raw: dict[str, Any] = {}
    for name in wanted:
        measure, rows = steps[name]
        print(f"{name} ...", flush=True)
        t = time.perf_counter()
        raw[name] = measure()
        print(f"{name}: {time.perf_counter() - t:.0f} s", flush=True)
        table += rows(raw[name])
    print()
    print_table(table)
    if args.json is not None:
        args.json.write_text(json.dumps({"rows": table, "raw": raw}, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
