"""Live: a slice of the stress day through the bus (NATS JetStream on 127.0.0.1:4222).

For one worker and for two (sectors split luhansk + donetsk-north | donetsk-south):
- latency: from the publication of a violation's last observation to its
  announcement on ``<prefix>.violations`` (p50, p99; wall seconds), replayed at
  ``--speed`` (10: ten times real time);
- throughput: the same slice published as fast as the bus takes it; observations
  per wall second from the first publication to the last announcement, and the
  workers' CPU seconds.

    .venv/bin/python benchmarks/bench_live.py [--hours 0.5] [--speed 10] [--tile-s S]
        [--workers 1,2] [--live-only]

The anchor is the window horizon (``stream.window.horizon_s``): the target is p99
≤ horizon / speed + 5 s of wall time (the horizon is replayed time). A violation
emitted at T in tile [lo, hi) is final when the watermark passes hi + horizon, so
its wait after its last report (heard at about T + 0-90 s) is up to
``tile_s + horizon`` of replayed time: the tile size is the price of live = batch.
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
SPLITS = {1: [[]], 2: [["luhansk", "donetsk-north"], ["donetsk-south"]]}


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


async def _run(
    models: list[AnyObservation], n_workers: int, speed: float, tile_s: float | None
) -> dict:
    prefix = f"bench{uuid.uuid4().hex[:10]}"
    tmp = Path(tempfile.mkdtemp(prefix="bench-live-"))
    store = tmp / "live.db"
    pipeline.init_store(store, MANDATE).close()
    # one ledger (one key) for every worker, made before they start (workers
    # starting at once also share one: it is created under its lock)
    Ledger.open(tmp / "ledger").close()
    bus = await NatsBus.connect(NATS, Subjects(prefix))
    received: dict[str, tuple[float, list[str]]] = {}
    done = asyncio.Event()

    async def watch() -> None:
        async for data in bus.violations(from_start=True):
            v = json.loads(data)
            received[v["id"]] = (time.time(), list(v["observation_ids"]))
            if done.is_set():
                return

    watcher = asyncio.ensure_future(watch())
    cpu0 = _children_cpu()
    procs = []
    for sectors in SPLITS[n_workers]:
        args = [CLI, "worker", "--nats", NATS, "--prefix", prefix, "--store", str(store)]
        args += ["--ledger", str(tmp / "ledger"), "--idle-exit", "20"]
        if tile_s is not None:
            args += ["--tile-s", str(tile_s)]
        for s in sectors:
            args += ["--sector", s]
        log = open(tmp / f"worker-{len(procs)}.log", "wb")  # noqa: SIM115 (closed with the run)
        procs.append(subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT))
    t0 = time.time()
    m = load_mandate(MANDATE)
    res = await publish_observations(bus, m, models, speed=speed)
    for i, p in enumerate(procs):
        rc = await asyncio.to_thread(p.wait)
        if rc != 0:  # a worker that died spoils the run: say so, with its log
            print(f"worker {i} exited with {rc}: see {tmp / f'worker-{i}.log'}", flush=True)
    cpu = _children_cpu() - cpu0
    done.set()
    await asyncio.sleep(1.0)
    watcher.cancel()
    sent = {k.split("/", 1)[1]: t for k, t in res.sent_at.items()}
    lat = [t - max(sent[o] for o in ids if o in sent) for t, ids in received.values() if ids]
    last = max((t for t, _ in received.values()), default=t0)
    await bus.delete_streams()
    await bus.close()
    return {
        "violations": len(received),
        "p50_s": float(np.percentile(lat, 50)) if lat else float("nan"),
        "p99_s": float(np.percentile(lat, 99)) if lat else float("nan"),
        "obs_per_s": len(models) / max(last - t0, 1e-9),
        "worker_cpu_s": cpu,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hours", type=float, default=1 / 3)
    ap.add_argument("--speed", type=float, default=10.0)
    ap.add_argument("--tile-s", type=float, default=None, help="default: the batch's")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", default="1,2", help="worker counts to run (1, 2)")
    ap.add_argument("--live-only", action="store_true", help="skip the as-fast-as-possible runs")
    a = ap.parse_args()
    m = load_mandate(MANDATE)
    t0 = datetime(2025, 6, 1, 12, tzinfo=m.tz).timestamp()  # midday: the day's busy hours
    sc = simulate(m, get_profile("stress"), t0, a.hours, a.seed)
    path = write_scenario(Path(tempfile.mkdtemp()), sc.observations, sc.truth)["observations"]
    models = read_file(path).accepted
    fcfg = live_fuse_config(m, WindowConfig(tile_s=a.tile_s))
    h = horizon_s(fcfg)
    print(
        f"stress slice: {len(models)} observations, {a.hours:.2f} h from 12:00 local, seed {a.seed}"
    )
    print(
        f"window horizon {h:.0f} s = {h / a.speed:.1f} s wall at {a.speed:g}x; "
        f"tile {fcfg.tile_s:g} s"
    )
    rows = {}
    for n in (int(x) for x in a.workers.split(",")):
        live = asyncio.run(_run(models, n, a.speed, a.tile_s))
        print(
            f"{n} worker(s): {live['violations']} violations; latency at {a.speed:g}x "
            f"p50 {live['p50_s']:.1f} s, p99 {live['p99_s']:.1f} s "
            f"(target <= {h / a.speed + 5:.1f} s)",
            flush=True,
        )
        if a.live_only:
            continue
        fast = asyncio.run(_run(models, n, 0.0, a.tile_s))
        rows[n] = fast
        print(
            f"{n} worker(s) as fast as possible: {fast['violations']} violations, "
            f"{fast['obs_per_s']:.0f} obs/s, workers' CPU {fast['worker_cpu_s']:.1f} s",
            flush=True,
        )
    if 1 in rows and 2 in rows:
        print(f"throughput two workers / one: x{rows[2]['obs_per_s'] / rows[1]['obs_per_s']:.2f}")


if __name__ == "__main__":
    main()
