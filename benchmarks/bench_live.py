"""Live: a slice of the stress day through the bus (NATS JetStream on 127.0.0.1:4222).

For one worker and for two (``--split shards``: both of every sector, tile k fused by
worker k % 2; ``--split sectors``: luhansk + donetsk-north | donetsk-south):
- latency: from the publication of a violation's last observation to its
  announcement on ``<prefix>.violations`` (p50, p99; wall seconds), replayed at
  ``--speed`` (10: ten times real time);
- throughput: the same slice published as fast as the bus takes it; observations
  per wall second from the first publication to the last announcement, and the
  workers' CPU seconds. With ``--prefill`` the slice is on the bus before the
  workers start, and the time runs from their start (the workers' own throughput:
  a publisher replaying in Python takes ~1,000 messages a second and would bound it).

    .venv/bin/python benchmarks/bench_live.py [--hours 0.5] [--start-h 12] [--speed 10]
        [--tile-s S] [--workers 1,2] [--split shards|sectors] [--repeat 3]
        [--finality tile|event] [--step-s 60] [--live-only | --fast-only] [--json FILE]

The anchor is the window horizon (``stream.window.horizon_s``): the target is p99
≤ horizon / speed + 5 s of wall time (the horizon is replayed time). A violation
emitted at T in tile [lo, hi) is final when the watermark passes hi + horizon, so
its wait after its last report (heard at about T + 0-90 s) is up to
``tile_s + horizon`` of replayed time: the tile size is the price of live = batch.
Each run reports that wait too (per violation: its tile's end plus the horizon,
less its last report's time, over the speed; "the floor") and the latency over
it (the workers' own delay: fusing, committing, queueing behind other tiles).
With ``--finality event`` the floor is the step that emitted the violation (the
announcement's ``step_end_s``) less its last report's time: the event's own bound
plus up to a step (docs/live.md, "Event finality").
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

import numpy as np

from ceasefire import pipeline
from ceasefire.fuse.config import FuseConfig
from ceasefire.ledger import Ledger
from ceasefire.mandate import load_mandate
from ceasefire.model.arrays import AnyObservation
from ceasefire.simulate import get_profile, simulate
from ceasefire.simulate.files import write_scenario
from ceasefire.stream.bus import Subjects
from ceasefire.stream.natsbus import NatsBus
from ceasefire.stream.replay import publish_observations, read_file
from ceasefire.stream.window import WindowConfig, horizon_s, live_fuse_config

ROOT = Path(__file__).resolve().parents[1]
MANDATE = ROOT / "examples" / "donbas-2015" / "mandate.yaml"
CLI = str(Path(sys.executable).parent / "ceasefire")
NATS = os.environ.get("CEASEFIRE_NATS", "nats://127.0.0.1:4222")
#: how several workers share the work: each worker's (own sectors, shard)
SPLITS: dict[str, list[tuple[list[str], str | None]]] = {
    "one": [([], None)],
    # by sectors: the fusion splits as the sectors' fire does (uneven)
    "sectors": [(["luhansk", "donetsk-north"], None), (["donetsk-south"], None)],
    # by tiles: every worker of every sector, tile k fused by shard k % 2 (even)
    "shards": [([], "0/2"), ([], "1/2")],
}


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


async def _run(
    models: list[AnyObservation],
    split: str,
    speed: float,
    tile_s: float | None,
    fcfg: FuseConfig,
    prefill: bool = False,
    finality: str = "tile",
    step_s: float = 60.0,
) -> dict:
    prefix = f"bench{uuid.uuid4().hex[:10]}"
    tmp = Path(tempfile.mkdtemp(prefix="bench-live-"))
    store = tmp / "live.db"
    pipeline.init_store(store, MANDATE).close()
    # one ledger (one key) for every worker, made before they start (workers
    # starting at once also share one: it is created under its lock)
    Ledger.open(tmp / "ledger").close()
    bus = await NatsBus.connect(NATS, Subjects(prefix))
    received: dict[str, tuple[float, list[str], float, float]] = {}
    done = asyncio.Event()

    async def watch() -> None:
        async for data in bus.violations(from_start=True):
            v = json.loads(data)
            # the step that made it final (event finality: its watermark step)
            step = float(v.get("step_end_s", "nan"))
            received[v["id"]] = (time.time(), list(v["observation_ids"]), float(v["time_s"]), step)
            if done.is_set():
                return

    watcher = asyncio.ensure_future(watch())
    m = load_mandate(MANDATE)
    if prefill:  # the whole slice on the bus before any worker starts
        res = await publish_observations(bus, m, models, speed=0.0)
    cpu0 = _children_cpu()
    procs = []
    for sectors, shard in SPLITS[split]:
        args = [CLI, "worker", "--nats", NATS, "--prefix", prefix, "--store", str(store)]
        args += ["--ledger", str(tmp / "ledger"), "--idle-exit", "20"]
        if tile_s is not None:
            args += ["--tile-s", str(tile_s)]
        if finality != "tile":
            args += ["--finality", finality, "--step-s", str(step_s)]
        for s in sectors:
            args += ["--sector", s]
        if shard is not None:
            args += ["--shard", shard]
        log = open(tmp / f"worker-{len(procs)}.log", "wb")  # noqa: SIM115 (closed with the run)
        env = {**os.environ, "COLUMNS": "400"}  # the closing lines unwrapped
        procs.append(subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env))
    t0 = time.time()
    if not prefill:
        res = await publish_observations(bus, m, models, speed=speed)
    each: list[float] = []  # every worker's own CPU, s
    for i, p in enumerate(procs):
        _, status, ru = await asyncio.to_thread(os.wait4, p.pid, 0)
        p.returncode = rc = os.waitstatus_to_exitcode(status)
        each.append(ru.ru_utime + ru.ru_stime)
        if rc != 0:  # a worker that died spoils the run: say so, with its log
            print(f"worker {i} exited with {rc}: see {tmp / f'worker-{i}.log'}", flush=True)
    cpu = _children_cpu() - cpu0
    stage_lines = [
        line
        for i in range(len(procs))
        for line in (tmp / f"worker-{i}.log").read_text(errors="replace").splitlines()
        if "by stage" in line or " received, " in line
    ]
    done.set()
    await asyncio.sleep(1.0)
    watcher.cancel()
    sent = {k.split("/", 1)[1]: t for k, t in res.sent_at.items()}
    obs_s = {o.id: o.time.timestamp() for o in models}
    lat, floor = [], []
    h = horizon_s(fcfg)
    stream_end_s = max(obs_s.values())  # the replay's last tick closes every tile
    for t, ids, v_s, step_end in received.values():
        last_id = max((o for o in ids if o in sent), key=lambda o: sent[o], default=None)
        if last_id is None:
            continue
        lat.append(t - sent[last_id])
        # by design: the violation's tile is final once the replay passes its end
        # plus the horizon; that much replayed time after its last report
        tile_end = (np.floor(v_s / fcfg.tile_s) + 1) * fcfg.tile_s
        final_s = min(tile_end + h, stream_end_s)
        if finality == "event":  # its step: the first past its bound (or a later regroup)
            final_s = min(step_end, stream_end_s)
        floor.append(max(final_s - obs_s[last_id], 0.0) / speed if speed else 0.0)
    last = max((x[0] for x in received.values()), default=t0)
    excess = np.asarray(lat) - np.asarray(floor)
    await bus.delete_streams()
    await bus.close()
    return {
        "violations": len(received),
        "p50_s": float(np.percentile(lat, 50)) if lat else float("nan"),
        "p99_s": float(np.percentile(lat, 99)) if lat else float("nan"),
        "floor_p50_s": float(np.percentile(floor, 50)) if lat else float("nan"),
        "floor_p99_s": float(np.percentile(floor, 99)) if lat else float("nan"),
        "over_floor_p50_s": float(np.percentile(excess, 50)) if lat else float("nan"),
        "over_floor_p99_s": float(np.percentile(excess, 99)) if lat else float("nan"),
        "wall_s": last - t0,
        "obs_per_s": len(models) / max(last - t0, 1e-9),
        "worker_cpu_s": cpu,
        # the busiest worker's CPU: the run's length on free cores, one per worker
        "max_worker_cpu_s": max(each),
        "each_worker_cpu_s": each,
        "load": os.getloadavg()[0],
        "workers": stage_lines,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hours", type=float, default=1 / 3)
    ap.add_argument("--speed", type=float, default=10.0)
    ap.add_argument("--tile-s", type=float, default=None, help="default: the batch's")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", default="1,2", help="worker counts to run (1, 2)")
    ap.add_argument(
        "--split", choices=["shards", "sectors"], default="shards", help="how 2 workers share"
    )
    ap.add_argument("--repeat", type=int, default=1, help="rounds of the fast runs (median)")
    ap.add_argument(
        "--prefill",
        action="store_true",
        help="fast runs: publish the slice before the workers start, and time the workers "
        "from their start to the last announcement (the publisher is not the limit)",
    )
    ap.add_argument("--live-only", action="store_true", help="skip the as-fast-as-possible runs")
    ap.add_argument("--fast-only", action="store_true", help="skip the runs at --speed")
    ap.add_argument("--start-h", type=float, default=12.0, help="slice start, local hour")
    ap.add_argument("--json", type=Path, default=None, help="write the rows here")
    ap.add_argument(
        "--finality",
        choices=["tile", "event"],
        default="tile",
        help="the workers' finality (event: docs/live.md, 'Event finality')",
    )
    ap.add_argument("--step-s", type=float, default=60.0, help="event finality: step, s")
    a = ap.parse_args()
    m = load_mandate(MANDATE)
    # default midday: the day's busy hours
    t0 = datetime(2025, 6, 1, tzinfo=m.tz).timestamp() + a.start_h * 3600.0
    sc = simulate(m, get_profile("stress"), t0, a.hours, a.seed)
    path = write_scenario(Path(tempfile.mkdtemp()), sc.observations, sc.truth)["observations"]
    models = read_file(path).accepted
    fcfg = live_fuse_config(m, WindowConfig(tile_s=a.tile_s))
    h = horizon_s(fcfg)
    print(
        f"stress slice: {len(models)} observations, {a.hours:.2f} h from {a.start_h:g}:00 local, "
        f"seed {a.seed}"
    )
    print(
        f"window horizon {h:.0f} s = {h / a.speed:.1f} s wall at {a.speed:g}x; "
        f"tile {fcfg.tile_s:g} s"
    )
    out: dict[str, dict] = {}
    splits = [_split(x, a.split) for x in a.workers.split(",")]
    # every run at --speed first, then the fast ones (a long slice may be cut short)
    for split in splits if not a.fast_only else []:
        live = asyncio.run(
            _run(models, split, a.speed, a.tile_s, fcfg, False, a.finality, a.step_s)
        )
        out[f"live-{split}"] = live
        print(
            f"{_label(split)}: {live['violations']} violations; latency at {a.speed:g}x "
            f"p50 {live['p50_s']:.1f} s, p99 {live['p99_s']:.1f} s "
            f"(target <= {h / a.speed + 5:.1f} s); {a.finality} finality's wait by design "
            f"p50 {live['floor_p50_s']:.1f} s, p99 {live['floor_p99_s']:.1f} s; over it "
            f"p50 {live['over_floor_p50_s']:.1f} s, p99 {live['over_floor_p99_s']:.1f} s; "
            f"{live['obs_per_s']:.0f} obs/s over {live['wall_s']:.0f} s, "
            f"workers' CPU {live['worker_cpu_s']:.1f} s",
            flush=True,
        )
        if a.json:
            a.json.write_text(json.dumps(out, indent=1))
    # as fast as possible: the worker counts interleaved, --repeat rounds (the
    # machine's load drifts: side by side, then the median)
    fast: dict[str, list[dict]] = {}
    for r in range(a.repeat if not a.live_only else 0):
        for split in splits:
            row = asyncio.run(
                _run(models, split, 0.0, a.tile_s, fcfg, a.prefill, a.finality, a.step_s)
            )
            fast.setdefault(split, []).append(row)
            print(
                f"{_label(split)} as fast as possible (round {r + 1}): {row['violations']} "
                f"violations, {row['obs_per_s']:.0f} obs/s, workers' CPU "
                f"{row['worker_cpu_s']:.1f} s (each: "
                + ", ".join(f"{c:.1f}" for c in row["each_worker_cpu_s"])
                + f"), load {row['load']:.1f}",
                flush=True,
            )
            for line in row["workers"]:
                print("  " + line, flush=True)
            out[f"fast-{split}"] = {"rounds": fast[split]}
            if a.json:
                a.json.write_text(json.dumps(out, indent=1))
    med = {k: float(np.median([x["obs_per_s"] for x in v])) for k, v in fast.items()}
    busiest = {k: float(np.median([x["max_worker_cpu_s"] for x in v])) for k, v in fast.items()}
    for k, v in med.items():
        cpu = float(np.median([x["worker_cpu_s"] for x in fast[k]]))
        print(
            f"{_label(k)}: median {v:.0f} obs/s, workers' CPU {cpu:.1f} s, "
            f"the busiest worker's {busiest[k]:.1f} s"
        )
    if "one" in med:
        for k in med:
            if k != "one":
                print(
                    f"throughput {_label(k)} / one worker: x{med[k] / med['one']:.2f} "
                    f"(wall, on the shared cores); by the busiest worker's CPU "
                    f"x{busiest['one'] / busiest[k]:.2f} (on free cores, one each)"
                )


def _split(n: str, split: str) -> str:
    if n.strip() == "1":
        return "one"
    if n.strip() == "2":
        return split
    raise SystemExit(f"--workers: 1 or 2, not {n!r}")


def _label(split: str) -> str:
    return "1 worker" if split == "one" else f"2 workers by {split}"


if __name__ == "__main__":
    main()
