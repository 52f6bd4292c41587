"""The day's pool schedule: each pool task's CPU and span, and its makespan on 2 cores.

``trace``: ``pipeline.run`` of a slice in this process, logging as JSON lines (one
file per process, under ``TRACE/``) each fusion pool task's CPU-s and wall span
(first passes, second passes with judging), the main process's CPU per part and
per step of the ledger's work ahead, the maps process, and the progress marks.

``simulate``: the pool's stages and the day's end replayed on ``--cores`` cores
(processor sharing: n runnable processes on c cores each run at min(1, c / n))
from the trace's CPU costs and the pipeline's dependencies (pooling waits for
every first pass; parts are taken in day order by the main process; at most
``2w + 2`` parts running and ``4w + 2`` held; the end: assessing and signing, then
the report, beside the maps process): the makespan against the bound (work / cores),
for the present policy and variants. On a loaded machine wall time says nothing;
CPU costs and this makespan do (session 21, helper overlap).

    PYTHONPATH=src python benchmarks/pool_schedule.py trace SLICE.ndjson OUT TRACE
    PYTHONPATH=src python benchmarks/pool_schedule.py simulate TRACE [--spool-reads R.json]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MANDATE = ROOT / "examples" / "frontline-2025" / "mandate.yaml"


#: the traced run's clock start, log directory and the wrapped functions (module
#: level: the pool pickles its tasks' functions by name; forked workers inherit these)
_TRACE: dict[str, Any] = {}


def _log(rec: dict[str, Any]) -> None:
    with (_TRACE["where"] / f"{os.getpid()}.jsonl").open("a") as f:
        f.write(json.dumps(rec) + "\n")


def _sched() -> list[float]:
    """This thread's time on a CPU and waiting in the run queue, s, so far
    (``/proc/thread-self/schedstat``; zeros where there is none). The rest of a
    span's wall it slept: blocked on I/O, a pipe, a lock, a sleep, which an idle
    machine does not shorten."""
    try:
        run, queued = Path("/proc/thread-self/schedstat").read_text().split()[:2]
    except (OSError, ValueError):
        return [0.0, 0.0]
    return [int(run) / 1e9, int(queued) / 1e9]


def _timed(kind: str, *args: Any) -> Any:
    t, c, s = time.time(), time.process_time(), _sched()
    got = _TRACE[kind](*args)
    part = {"a": args[0], "b": args[1]} if kind != "maps" else {}
    t0 = _TRACE["t0"]
    _log({"kind": kind, **part, "t0": t - t0, "t1": time.time() - t0,
          "cpu": time.process_time() - c, "s0": s, "s1": _sched()})  # fmt: skip
    return got


def _first(*args: Any) -> Any:
    return _timed("first", *args)


def _fuse(*args: Any) -> Any:
    return _timed("fuse", *args)


def _maps(*args: Any) -> None:
    _timed("maps", *args)


def trace(path: Path, out: Path, where: Path, part_s: float | None = None) -> None:
    """``pipeline.run`` of ``path`` into ``out`` (no PDF), traced into ``where``
    (``part_s``: the parts' length, s, instead of ``pipeline.PART_S``)."""
    from ceasefire import pipeline as pl

    if part_s is not None:
        pl.PART_S = part_s

    where.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    _TRACE.update(t0=t0, where=where, first=pl._part_worker_first)
    _TRACE.update(fuse=pl._part_worker_fuse, maps=pl._draw_maps)
    log = _log
    # the pool's workers look these up in the module: they run the wrapped ones
    wrapped = {"_part_worker_first": _first, "_part_worker_fuse": _fuse, "_draw_maps": _maps}
    for name, fn in wrapped.items():
        setattr(pl, name, fn)
    judged = pl.judged_parts

    def judged_parts(*args: Any, **kw: Any) -> Iterator[Any]:
        it = judged(*args, **kw)
        k = 0
        while True:
            t, c, s = time.time(), time.process_time(), _sched()
            try:
                part = next(it)
            except StopIteration:
                return
            g, gc, gs = time.time(), time.process_time(), _sched()
            log({"kind": "main_get", "k": k, "t0": t - t0, "t1": g - t0, "cpu": gc - c,
                 "s0": s, "s1": gs})  # fmt: skip
            yield part
            log({"kind": "main_part", "k": k, "t0": g - t0, "t1": time.time() - t0,
                 "cpu": time.process_time() - gc, "s0": gs, "s1": _sched()})  # fmt: skip
            k += 1

    pl.judged_parts = judged_parts
    init = pl.DayLog.__init__

    def day_log(self: Any, *args: Any, **kw: Any) -> None:
        init(self, *args, **kw)
        inner = self.ahead

        def steps() -> Iterator[None]:
            while True:
                t, c = time.time(), time.process_time()
                if next(inner, StopIteration) is StopIteration:
                    return
                log({"kind": "aside", "t0": t - t0, "t1": time.time() - t0,
                     "cpu": time.process_time() - c})  # fmt: skip
                yield None

        self.ahead = steps()

    pl.DayLog.__init__ = day_log  # type: ignore[method-assign]
    maps_init, maps_result = pl.MapsAhead.__init__, pl.MapsAhead.result

    def maps_started(self: Any, *args: Any, **kw: Any) -> None:
        self.traced_t = time.time()
        maps_init(self, *args, **kw)

    def maps_done(self: Any) -> Any:
        # a fresh interpreter draws a large day's maps (not the wrapped
        # ``_draw_maps``): its CPU is what this process's children gain while
        # ``result`` reaps it (the pool's workers were reaped before)
        before, s0 = resource.getrusage(resource.RUSAGE_CHILDREN), _sched()
        got = maps_result(self)
        if self._fed is not None:
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
            log({"kind": "maps", "t0": self.traced_t - t0, "t1": time.time() - t0,
                 "cpu": cpu, "s0": s0, "s1": _sched()})  # fmt: skip
        return got

    pl.MapsAhead.__init__ = maps_started  # type: ignore[method-assign]
    pl.MapsAhead.result = maps_done  # type: ignore[method-assign]

    def progress(text: str, done: int | None = None, total: int | None = None) -> None:
        stage = text.split(": ", 1)[-1]
        stage = " ".join(w for w in stage.split(" ")[:2] if not w[:1].isdigit())
        me = resource.getrusage(resource.RUSAGE_SELF)
        log({"kind": "mark", "stage": stage, "t": time.time() - t0,
             "cpu": me.ru_utime + me.ru_stime})  # fmt: skip

    summary = pl.run(MANDATE, [path], out, pdf=False, progress=progress)
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    log({"kind": "end", "t": time.time() - t0, "cpu": me.ru_utime + me.ru_stime,
         "children": kids.ru_utime + kids.ru_stime, "counts": summary.counts})  # fmt: skip


def costs(where: Path) -> dict[str, Any]:
    """A trace's CPU costs, s: first and second passes by part (day order), the main
    process's own work per part (its asides taken out), its asides, pooling, the end."""
    rs = [json.loads(x) for f in where.glob("*.jsonl") for x in f.read_text().splitlines()]
    parts = sorted({r["a"] for r in rs if r["kind"] == "first"})
    at = {a: k for k, a in enumerate(parts)}
    first, second = [0.0] * len(parts), [0.0] * len(parts)
    for r in rs:
        if r["kind"] in ("first", "fuse"):
            (first if r["kind"] == "first" else second)[at[r["a"]]] = r["cpu"]
    asides = sorted((r for r in rs if r["kind"] == "aside"), key=lambda r: r["t0"])
    gets = {r["k"]: r for r in rs if r["kind"] == "main_get"}
    after = {r["k"]: r for r in rs if r["kind"] == "main_part"}
    main = []
    for k in range(len(parts)):
        g = gets[k]
        inside = sum(x["cpu"] for x in asides if g["t0"] <= x["t0"] < g["t1"])
        # the first part's get holds the whole first pass (pooling is counted apart)
        main.append((max(0.0, g["cpu"] - inside) if k else 0.0) + after[k]["cpu"])
    marks: dict[str, dict[str, Any]] = {}
    for r in sorted((r for r in rs if r["kind"] == "mark"), key=lambda r: r["t"]):
        marks.setdefault(r["stage"], r)
    end = next(r for r in rs if r["kind"] == "end")
    maps = [r["cpu"] for r in rs if r["kind"] == "maps"]
    return {
        "first": first,
        "second": second,
        "main": main,
        "asides": [x["cpu"] for x in asides],
        "pooling": marks["second pass,"]["cpu"] - marks["registration pooled"]["cpu"],
        "assess_sign": marks["reports (day)"]["cpu"] - marks["assessing"]["cpu"],
        "report": end["cpu"] - marks["reports (day)"]["cpu"],
        "maps": maps[0] if maps else 0.0,
    }


def gaps(where: Path) -> dict[str, list[float]]:
    """A trace's wall waits of the pool's workers, s: for each task after a
    worker's first one, the time from the end of its task before to its start,
    by the task's pass (``first``, ``fuse``; a ``fuse`` after a ``first`` counts
    pooling). What the worker does then: sends its answer (blocked until the
    parent has read it), frees it, takes its next task."""
    out: dict[str, list[float]] = {"first": [], "fuse": []}
    for f in where.glob("*.jsonl"):
        rs = [json.loads(x) for x in f.read_text().splitlines()]
        rs = sorted((r for r in rs if r["kind"] in out), key=lambda r: r["t0"])
        for before, r in itertools.pairwise(rs):
            out[r["kind"]].append(r["t0"] - before["t1"])
    return out


def sleeps(where: Path) -> dict[str, dict[str, float]]:
    """A trace's wall of the pool's tasks and of the main process's parts,
    split by ``/proc`` schedstat (s, summed): on a CPU (``run``), runnable but
    waiting for one (``queued``: the machine's load), and asleep (``slept``:
    blocked; what an idle machine leaves idle); ``gap`` is a worker's sleep
    between its tasks of a pass (the first of a pass after another pass: the
    barrier, ``barrier``). Traces without schedstat give an empty dict."""
    out: dict[str, dict[str, float]] = {}

    def add(key: str, wall: float, s0: list[float], s1: list[float]) -> None:
        run, queued = s1[0] - s0[0], s1[1] - s0[1]
        d = out.setdefault(key, {"wall": 0.0, "run": 0.0, "queued": 0.0, "slept": 0.0})
        d["wall"] += wall
        d["run"] += run
        d["queued"] += queued
        d["slept"] += wall - run - queued

    for f in where.glob("*.jsonl"):
        rs = [json.loads(x) for x in f.read_text().splitlines()]
        rs = sorted((r for r in rs if "s0" in r), key=lambda r: r["t0"])
        for r in rs:
            add(r["kind"], r["t1"] - r["t0"], r["s0"], r["s1"])
        tasks = [r for r in rs if r["kind"] in ("first", "fuse")]
        for before, r in itertools.pairwise(tasks):
            key = "gap " + r["kind"] if r["kind"] == before["kind"] else "barrier"
            add(key, r["t0"] - before["t1"], before["s1"], r["s0"])
    return out


def replayed(where: Path) -> dict[str, float]:
    """A loaded trace's stages as an idle machine without contention would run
    them, s: each stage's wall (``first pass``: from its first mark to the second
    pass's; ``fusing``: from there to assessing) times the share of a CPU its pool
    tasks got while runnable (schedstat: on a CPU / (on a CPU + queued)). On a
    machine loaded well beyond its cores, each of the run's processes gets that
    share whether or not the others run, so this is the schedule on as many
    cores as processes (``simulate(cores=workers + 2)``): the check of the model's
    dependencies (pooling, parts taken in order, the limits) on a loaded run."""
    rs = [json.loads(x) for f in where.glob("*.jsonl") for x in f.read_text().splitlines()]
    marks: dict[str, float] = {}
    for r in sorted((r for r in rs if r["kind"] == "mark"), key=lambda r: r["t"]):
        marks.setdefault(r["stage"], r["t"])
    out = {}
    spans = {
        "first pass": ("first", marks["first pass,"], marks["second pass,"]),
        "fusing": ("fuse", marks["second pass,"], marks["assessing"]),
    }
    for stage, (kind, a, b) in spans.items():
        tasks = [r for r in rs if r["kind"] == kind and "s0" in r]
        run = sum(r["s1"][0] - r["s0"][0] for r in tasks)
        queued = sum(r["s1"][1] - r["s0"][1] for r in tasks)
        out[stage] = (b - a) * run / (run + queued) if tasks else float("nan")
    return out


def tails(where: Path) -> dict[str, tuple[float, float]]:
    """A trace's pool tails by pass (``first``, ``fuse``): the wall span of the
    pass's tasks, s (first start to last end), and the share of its two-worker
    span the workers spent idle after their own last task of it (a loaded
    machine slows both alike, so the share holds where the seconds do not)."""
    rs = [json.loads(x) for f in where.glob("*.jsonl") for x in f.read_text().splitlines()]
    out = {}
    for kind in ("first", "fuse"):
        tasks = [r for r in rs if r["kind"] == kind]
        ends: dict[str, float] = {}
        for f in where.glob("*.jsonl"):
            mine = [json.loads(x) for x in f.read_text().splitlines()]
            mine = [r for r in mine if r["kind"] == kind]
            if mine:
                ends[f.stem] = max(r["t1"] for r in mine)
        lo, hi = min(r["t0"] for r in tasks), max(r["t1"] for r in tasks)
        out[kind] = (hi - lo, sum(hi - e for e in ends.values()) / (len(ends) * (hi - lo)))
    return out


def work(c: dict[str, Any]) -> float:
    """The CPU-s the simulation schedules."""
    return (
        sum(c["first"]) + sum(c["second"]) + sum(c["main"]) + sum(c["asides"])
        + c["pooling"] + c["assess_sign"] + c["report"] + c["maps"]
    )  # fmt: skip


def second_pass_order(weights: Sequence[float], lookahead: int) -> list[int]:
    """An order for the parts' second passes, given their weights (any unit; parts
    in the day's order): each time, the heaviest of the parts not yet submitted
    among the ``lookahead`` from the first of them on (ties: the earlier part).

    The main process takes the parts in the day's order, so the first part not
    yet submitted waits at most ``lookahead - 1`` submissions (``lookahead`` 1:
    the day's order, the pipeline's). Within that, heavy parts go earlier and the
    day ends on light ones. Modelled here, not shipped: on the stress day's traced
    costs no lookahead gained beyond the model's error (README, session 24, tail)."""
    if lookahead < 1:
        raise ValueError(f"lookahead must be at least 1, found {lookahead}")
    left = list(range(len(weights)))
    order = []
    while left:
        head = left[0]
        window = [k for k in left if k < head + lookahead]
        k = max(window, key=lambda j: (weights[j], -j))
        order.append(k)
        left.remove(k)
    return order


def simulate(
    c: dict[str, Any],
    *,
    cores: int = 2,
    workers: int = 2,
    heaviest_first: bool = True,
    second_order: list[int] | None = None,
    limits: tuple[int, int] | None = None,
    dt: float = 0.002,
) -> tuple[float, dict[str, float], dict[str, float]]:
    """The makespan, s (from the pool's start to the day's end), the idle
    core-seconds by stage, and the stages' walls (s; and as :func:`tails`, the
    pool's tail shares: ``first tail``, ``fuse tail``) of the pipeline's policy
    on these costs.

    ``second_order``: the order the second passes are submitted in (default the
    day's; the main process takes them in the day's order all the same);
    ``limits``: (running, held) parts at most (default ``2w + 2``, ``4w + 2``)."""
    n = len(c["first"])
    first, second, main_k = c["first"], c["second"], c["main"]
    running, held = limits or (2 * workers + 2, 4 * workers + 2)
    order = sorted(range(n), key=lambda k: -first[k]) if heaviest_first else list(range(n))
    pending: list[tuple[str, int]] = [("first", k) for k in order]
    busy: list[list[Any] | None] = [None] * workers
    done: dict[str, set[int]] = {"first": set(), "second": set()}
    asides = list(c["asides"])
    todo = list(range(n)) if second_order is None else list(second_order)
    queue: list[int] = []
    main: list[Any] | None = None
    maps: list[Any] | None = None
    stage, taken, t = "first pass", 0, 0.0
    idle: dict[str, float] = {}
    walls: dict[str, float] = {}
    # by pass: its first task's start, each worker's last end
    began: dict[str, float] = {}
    ended: dict[str, list[float]] = {"first": [0.0] * workers, "second": [0.0] * workers}

    def submit() -> None:
        while todo and len(queue) < held and sum(k not in done["second"] for k in queue) < running:
            k = todo.pop(0)
            queue.append(k)
            pending.append(("second", k))

    while True:
        for i in range(workers):
            if busy[i] is None and pending:
                kind, k = pending.pop(0)
                busy[i] = [kind, k, (first if kind == "first" else second)[k]]
                began.setdefault(kind, t)
        if main is None:
            if stage == "first pass" and len(done["first"]) == n:
                main = ["pooling", c["pooling"]]
            elif stage == "fusing" and taken in done["second"] and not (taken == 0 and asides):
                main = ["part", main_k[taken]]
            elif stage in ("first pass", "fusing") and asides:
                main = ["aside", asides.pop(0)]
        runnable = [x for x in [*busy, main, maps] if x is not None]
        if not runnable:
            if taken < n:
                raise RuntimeError(f"the schedule waits for part {taken}, never submitted")
            walls["end"] = t - walls["first pass"] - walls["fusing"]
            for kind, ends in ended.items():
                span = max(ends) - began[kind]
                name = "fuse" if kind == "second" else kind
                walls[f"{name} tail"] = sum(max(ends) - e for e in ends) / (workers * span)
            return t, idle, walls
        rate = min(1.0, cores / len(runnable))
        idle[stage] = idle.get(stage, 0.0) + max(0, cores - len(runnable)) * dt
        t += dt
        for x in runnable:
            x[-1] -= rate * dt
        for i, job in enumerate(busy):
            if job is not None and job[-1] <= 0:
                done[job[0]].add(job[1])
                ended[job[0]][i] = t
                busy[i] = None
                if job[0] == "second":
                    # the pipeline submits more as any part finishes, too
                    submit()
        if maps is not None and maps[-1] <= 0:
            maps = None
        if main is not None and main[-1] <= 0:
            what, main = main[0], None
            if what == "pooling":
                stage, walls["first pass"] = "fusing", t
                submit()
            elif what == "part":
                queue.remove(taken)
                taken += 1
                submit()
                if taken == n:
                    stage, walls["fusing"] = "end", t - walls["first pass"]
                    main, maps = ["assess", c["assess_sign"]], ["maps", c["maps"]]
            elif what == "assess":
                main = ["report", c["report"]]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    tr = sub.add_parser("trace", help="run a slice, tracing the pool's tasks")
    tr.add_argument("slice", type=Path)
    tr.add_argument("out", type=Path)
    tr.add_argument("trace", type=Path)
    tr.add_argument("--part-s", type=float, default=None, help="the parts' length, s")
    si = sub.add_parser("simulate", help="a trace's schedule on 2 cores")
    si.add_argument("trace", type=Path)
    si.add_argument("--cores", type=int, default=2)
    si.add_argument(
        "--lookahead",
        type=int,
        default=1,
        help="the lookahead the traced run's second passes were ordered by (1: the day's)",
    )
    args = ap.parse_args()
    if args.cmd == "trace":
        trace(args.slice, args.out, args.trace, args.part_s)
        return 0
    c = costs(args.trace)
    for kind, waits in gaps(args.trace).items():
        print(f"workers' waits between {kind} tasks: {len(waits)}, sum {sum(waits):.2f} s wall,"
              f" max {max(waits, default=0.0):.2f}")  # fmt: skip
    for k in range(len(c["first"])):
        print(f"part {k:2d}: first pass {c['first'][k]:5.2f}  second {c['second'][k]:5.2f}"
              f"  main {c['main'][k]:4.2f} CPU-s")  # fmt: skip
    print(
        f"first passes {sum(c['first']):.1f}, second {sum(c['second']):.1f}, main per part "
        f"{sum(c['main']):.1f}, ledger ahead {sum(c['asides']):.1f}, pooling {c['pooling']:.2f}, "
        f"assessing+signing {c['assess_sign']:.2f}, report {c['report']:.2f}, maps {c['maps']:.2f}"
    )
    bound = work(c) / args.cores
    print(f"work {work(c):.1f} CPU-s; bound on {args.cores} cores {bound:.1f} s")
    # the parts' weights: their first passes' CPU (the pipeline counts the rows
    # each reads; the two go together: session 21's table)
    variants: dict[str, dict[str, Any]] = {
        "present (first passes heaviest first)": {},
        "first passes in day order": {"heaviest_first": False},
        "pool of 3 workers": {"workers": 3},
    }
    for look in (2, 3, 4, 5, 6, 8, 10, 13):
        order = second_pass_order(c["first"], look)
        variants[f"second passes, lookahead {look}"] = {
            "second_order": order,
            "limits": (6, max(10, look)),
        }
    for key, d in sorted(sleeps(args.trace).items()):
        print(f"{key:10s} wall {d['wall']:6.1f} s: on a CPU {d['run']:6.1f}, queued "
              f"{d['queued']:6.1f}, asleep {d['slept']:5.2f}")  # fmt: skip
    if any("s0" in json.loads(x) for f in args.trace.glob("*.jsonl")
           for x in f.read_text().splitlines()[:1] + f.read_text().splitlines()[-1:]):  # fmt: skip
        rep = replayed(args.trace)
        traced_order = second_pass_order(c["first"], args.lookahead)
        _, _, walls = simulate(c, cores=4, second_order=traced_order,
                               limits=(6, max(10, args.lookahead)))  # fmt: skip
        print(f"check, the traced stages replayed at their CPU share: first pass "
              f"{rep['first pass']:.1f} s, fusing {rep['fusing']:.1f} s; the model on as "
              f"many cores as processes: {walls['first pass']:.1f} s, "
              f"{walls['fusing']:.1f} s")  # fmt: skip
    traced = tails(args.trace)
    print("traced pool tails (wall span s, idle share after each worker's last task): "
          + ", ".join(f"{k} {w:.1f} s {x:.1%}" for k, (w, x) in traced.items()))  # fmt: skip
    for name, kw in variants.items():
        t, idle, walls = simulate(c, cores=args.cores, **kw)
        spent = ", ".join(f"{k} {v:.1f}" for k, v in idle.items())
        print(f"{name:36s} makespan {t:5.1f} s (bound +{t - bound:.1f}); idle core-s: {spent}")
        print(f"{'':36s} stages {walls['first pass']:.1f} / {walls['fusing']:.1f} / "
              f"{walls['end']:.1f} s; tails first {walls['first tail']:.1%}, "
              f"second {walls['fuse tail']:.1%}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
