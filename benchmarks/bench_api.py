"""The mission service under load (issue 17).

1. Ingest: ``--clients`` concurrent clients POST the heavy simulated day (Donbas
   mandate, 24 h, seed 1) as NDJSON batches of ``--batch`` observations to a real
   ``ceasefire serve`` (its own process) for ``--seconds``; the day is posted again
   with fresh ids while time remains. Sustained observations/s (accepted ones,
   acknowledged after commit) and p50/p99 POST latency; the server's CPU seconds.
2. Query: a stress-day slice (``--stress-hours`` of the stress profile) ingested,
   fused and assessed into PostGIS, then ``GET /violations?bbox=...`` for random
   boxes of about 20 km: p50/p99 latency.

Targets (the anchor): >= 2,000 observations/s sustained for a minute with p99 < 200 ms.
Usage: ``.venv/bin/python benchmarks/bench_api.py [--backend postgresql|sqlite|both]
[--seconds 60] [--clients 4] [--batch 200] [--stress-hours 2] [--no-query]``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

import httpx
from machine import scratch_postgres

from ceasefire.mandate import load_mandate
from ceasefire.pipeline import assess_day, fuse_day, ingest_into, init_store, stored_days
from ceasefire.service import hash_token, new_token
from ceasefire.simulate import get_profile, observation_lines, simulate, write_scenario
from ceasefire.store import Store

ROOT = Path(__file__).resolve().parents[1]
MANDATE = ROOT / "examples" / "donbas-2015" / "mandate.yaml"
TARGET_OBS_S = 2000.0
TARGET_P99_MS = 200.0


@contextmanager
def database(backend: str, tmp: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield str(tmp / f"bench-{uuid.uuid4().hex[:6]}.db")
        return
    with scratch_postgres() as url:
        yield url


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def server(store: str, tmp: Path) -> Iterator[tuple[str, int]]:
    """``ceasefire serve`` in its own process on a free loopback port."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    exe = Path(sys.executable).parent / "ceasefire"
    proc = subprocess.Popen(
        [
            str(exe),
            "serve",
            "--store",
            store,
            "--port",
            str(port),
            "--no-pdf",
            "--ledger",
            str(tmp / "ledger"),
            "--audit",
            str(tmp / "audit"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/api/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(url + "/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("the server did not start")
            time.sleep(0.3)
        yield url, proc.pid
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def add_user(store: str, role: str) -> str:
    st = Store.open(store)
    token = new_token()
    st.add_user(f"bench-{role}-{uuid.uuid4().hex[:6]}", role, hash_token(token))
    st.close()
    return token


def heavy_lines() -> list[str]:
    m = load_mandate(MANDATE)
    t0 = datetime(2025, 6, 1, tzinfo=m.tz).timestamp()
    return observation_lines(simulate(m, get_profile("heavy"), t0, 24.0, 1).observations)


def ingest_bench(backend: str, args: argparse.Namespace, lines: list[str]) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="cf-bench-") as d, database(backend, Path(d)) as url:
        tmp = Path(d)
        init_store(url, MANDATE).close()
        token = add_user(url, "monitor")
        batches = [lines[i : i + args.batch] for i in range(0, len(lines), args.batch)]
        with server(url, tmp) as (api, pid):
            lat: list[float] = []
            accepted = 0
            lock = threading.Lock()
            counter = iter(range(10**9))
            stop_at = time.monotonic() + args.seconds

            def client() -> None:
                nonlocal accepted
                headers = {
                    "Authorization": f"Bearer {token}",
                    "Content-Type": "application/x-ndjson",
                }
                with httpx.Client(base_url=api, headers=headers, timeout=120) as c:
                    while time.monotonic() < stop_at:
                        with lock:
                            k = next(counter)
                        rnd, b = divmod(k, len(batches))
                        body = "\n".join(batches[b]) + "\n"
                        if rnd:
                            body = body.replace('"id": "', f'"id": "r{rnd}-').replace(
                                '"id":"', f'"id":"r{rnd}-'
                            )
                        t = time.perf_counter()
                        r = c.post("/observations", content=body)
                        dt = time.perf_counter() - t
                        r.raise_for_status()
                        with lock:
                            lat.append(dt)
                            accepted += r.json()["accepted"]

            cpu0 = _cpu_s(pid)
            t0 = time.perf_counter()
            threads = [threading.Thread(target=client) for _ in range(args.clients)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - t0
            cpu = _cpu_s(pid) - cpu0
        lat.sort()
        return {
            "obs_s": accepted / wall,
            "accepted": accepted,
            "wall_s": wall,
            "server_cpu_s": cpu,
            "obs_per_cpu_s": accepted / cpu if cpu else float("nan"),
            "p50_ms": 1000 * statistics.median(lat),
            "p99_ms": 1000 * lat[min(len(lat) - 1, int(0.99 * len(lat)))],
            "requests": len(lat),
        }


def query_bench(args: argparse.Namespace) -> dict[str, float]:
    m = load_mandate(MANDATE)
    with (
        tempfile.TemporaryDirectory(prefix="cf-bench-") as d,
        database("postgresql", Path(d)) as url,
    ):
        tmp = Path(d)
        t0 = datetime(2025, 6, 1, 8, tzinfo=m.tz).timestamp()
        sc = simulate(m, get_profile("stress"), t0, args.stress_hours, 1)
        obs_file = write_scenario(tmp / "sim", sc.observations, sc.truth)["observations"]
        st = init_store(url, MANDATE)
        t = time.perf_counter()
        n = ingest_into(st, [obs_file]).counts["accepted"]
        ingest_s = time.perf_counter() - t
        for day in stored_days(st, m):
            _, events = fuse_day(st, m, day)
            assess_day(st, m, day, events)
        nv = len(st.violation_times(0, 4e9))
        st.close()
        token = add_user(url, "chief")
        rng = random.Random(7)
        with (
            server(url, tmp) as (api, _pid),
            httpx.Client(
                base_url=api, headers={"Authorization": f"Bearer {token}"}, timeout=60
            ) as c,
        ):
            feats = c.get("/violations", params={"limit": 10000}).json()["features"]
            pts = [f["geometry"]["coordinates"] for f in feats if f["geometry"]]
            lat: list[float] = []
            returned = []
            for _ in range(args.queries):
                lon, la = rng.choice(pts)
                box = f"{lon - 0.15:.4f},{la - 0.1:.4f},{lon + 0.15:.4f},{la + 0.1:.4f}"
                t = time.perf_counter()
                r = c.get("/violations", params={"bbox": box, "day": date(2025, 6, 1).isoformat()})
                lat.append(time.perf_counter() - t)
                r.raise_for_status()
                returned.append(r.json()["numberReturned"])
        lat.sort()
        return {
            "stress_observations": n,
            "ingest_obs_s_direct": n / ingest_s,
            "violations_stored": nv,
            "p50_ms": 1000 * statistics.median(lat),
            "p99_ms": 1000 * lat[min(len(lat) - 1, int(0.99 * len(lat)))],
            "mean_returned": statistics.mean(returned),
        }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", choices=["postgresql", "sqlite", "both"], default="both")
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--stress-hours", type=float, default=2.0)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--no-query", action="store_true")
    args = ap.parse_args()
    lines = heavy_lines()
    print(
        f"heavy day: {len(lines):,} observations; {args.clients} clients, batches of "
        f"{args.batch}, {args.seconds:g} s"
    )
    backends = ["postgresql", "sqlite"] if args.backend == "both" else [args.backend]
    out: dict[str, object] = {}
    for b in backends:
        r = ingest_bench(b, args, lines)
        out[f"ingest_{b}"] = r
        print(
            f"POST /observations on {b:10s}: {r['obs_s']:,.0f} obs/s sustained over "
            f"{r['wall_s']:.0f} s ({r['accepted']:,} accepted, {r['requests']:,} requests), "
            f"p50 {r['p50_ms']:.0f} ms, p99 {r['p99_ms']:.0f} ms; server CPU "
            f"{r['server_cpu_s']:.1f} s = {r['obs_per_cpu_s']:,.0f} obs per CPU s; ratio to the "
            f"anchor: {r['obs_s'] / TARGET_OBS_S:.2f} x 2,000 obs/s, p99 "
            f"{r['p99_ms'] / TARGET_P99_MS:.2f} x 200 ms"
        )
    if not args.no_query:
        q = query_bench(args)
        out["query_postgis"] = q
        print(
            f"GET /violations?bbox on PostGIS ({args.stress_hours:g} h stress slice: "
            f"{q['stress_observations']:,.0f} observations, {q['violations_stored']:,.0f} "
            f"violations): p50 {q['p50_ms']:.1f} ms, p99 {q['p99_ms']:.1f} ms, "
            f"{q['mean_returned']:.0f} features a box on average"
        )
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
