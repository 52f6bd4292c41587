"""Ingest rate against the bare database insert of the same rows (issue 23).

``.venv/bin/python benchmarks/bench_ingest.py [--file F.ndjson] [--records N]
[--backend sqlite|postgresql|both] [--quick]``

For one NDJSON file (default: the first N records of a simulated stress day,
seed 11, made here), side by side in one run, median of three:

- **ingest**: ``pipeline.ingest_into`` into a fresh store (read, validate
  against the contract, sector, duplicate decision, quarantine, commit);
- **bare**: the same rows (the tuples ingest writes, built beforehand and not
  timed) inserted into a fresh store's ``observations`` table by the driver
  alone in one transaction: ``sqlite3`` ``executemany`` on SQLite; on PostGIS
  psycopg ``executemany`` and ``COPY``.

Times are CPU seconds of this process and of its children (the pooled
ingest's workers, ``ceasefire.ingest_pool``) and wall seconds. On SQLite the
database works inside this process, so its CPU is counted; on PostgreSQL the
server's CPU is not, so the wall is the fairer figure there and both are given.

``measure(...) -> dict`` is what ``bench_perf.py`` calls.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from machine import scratch_postgres

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MANDATE = ROOT / "examples" / "frontline-2025" / "mandate.yaml"


def stress_day(seed: int = 11, cache: Path | None = None) -> Path:
    """The observations of a simulated stress day (``ceasefire simulate``, 24 h),
    made once into ``cache`` (default: the temp folder) and reused."""
    day = (cache or Path(tempfile.gettempdir()) / "ceasefire-bench") / f"stress-{seed}"
    obs = day / "observations.ndjson"
    if not obs.exists():
        day.mkdir(parents=True, exist_ok=True)
        cli = Path(sys.executable).with_name("ceasefire")
        subprocess.run(
            [
                str(cli),
                "simulate",
                "-m",
                str(MANDATE),
                "--profile",
                "stress",
                "--hours",
                "24",
                "--seed",
                str(seed),
                "--out",
                str(day),
            ],
            check=True,
            capture_output=True,
        )
    return obs


def stress_records(n: int, out: Path, seed: int = 11) -> Path:
    """The first ``n`` records (in time order) of a simulated stress day, in ``out``."""
    path = out / f"stress-{seed}-{n}.ndjson"
    with stress_day(seed).open("rb") as src, path.open("wb") as dst:
        for k, line in enumerate(src):
            if k >= n:
                break
            dst.write(line)
    return path


def _rows(path: Path, mandate: Any) -> list[tuple[Any, ...]]:
    """The observation rows ingest writes for ``path`` (batch 1, no submitter)."""
    from ceasefire.ingest import ingest_files
    from ceasefire.pipeline import intake_policy, sectors_of
    from ceasefire.store.batch import observation_values

    r = ingest_files([path], policy=intake_policy(mandate))
    obs = r.accepted
    lat = [o.position.lat if o.kind == "sighting" else o.observer.lat for o in obs]
    lon = [o.position.lon if o.kind == "sighting" else o.observer.lon for o in obs]
    sectors = sectors_of(mandate, lat, lon)
    return [
        observation_values(o, 1, s, None, o.model_dump_json())
        for o, s in zip(obs, sectors, strict=True)
    ]


@contextmanager
def _fresh_store(backend: str, tmp: Path) -> Iterator[str]:
    """A fresh, initialised store (the mandate kept): its URL or path."""
    from ceasefire.pipeline import init_store

    if backend == "sqlite":
        target = str(tmp / f"{uuid.uuid4().hex}.db")
        init_store(target, MANDATE).close()
        try:
            yield target
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(target + suffix).unlink(missing_ok=True)
        return
    with scratch_postgres() as url:
        init_store(url, MANDATE).close()
        yield url


def _cpu_s() -> float:
    """CPU seconds of this process and of its reaped children (a pool's workers)."""
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + kids.ru_utime + kids.ru_stime


def _timed(fn: Callable[[], Any]) -> tuple[float, float]:
    c0, w0 = _cpu_s(), time.perf_counter()
    fn()
    return _cpu_s() - c0, time.perf_counter() - w0


def _ingest(target: str, path: Path) -> Callable[[], Any]:
    from ceasefire.pipeline import ingest_into
    from ceasefire.store import Store

    def run() -> None:
        st = Store.open(target)
        try:
            r = ingest_into(st, [path])
            assert r.counts["rejected"] == 0, r.counts
        finally:
            st.close()

    return run


def _bare_sqlite(target: str, rows: list[tuple[Any, ...]]) -> Callable[[], Any]:
    import sqlite3

    from ceasefire.store.batch import OBSERVATION_COLUMNS

    cols = ", ".join(f'"{c}"' for c in OBSERVATION_COLUMNS)
    sql = f"INSERT INTO observations ({cols}) VALUES ({', '.join('?' * len(OBSERVATION_COLUMNS))})"

    def run() -> None:
        con = sqlite3.connect(target, isolation_level=None)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")
        con.execute("BEGIN IMMEDIATE")
        con.execute(
            "INSERT INTO batches (id, files, accepted, rejected, duplicate) "
            "VALUES (1, '[]', 0, 0, 0)"
        )
        con.executemany(sql, rows)
        con.execute("COMMIT")
        con.close()

    return run


def _bare_pg(url: str, rows: list[tuple[Any, ...]], copy: bool) -> Callable[[], Any]:
    import psycopg

    from ceasefire.store.batch import OBSERVATION_COLUMNS

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    cols = ", ".join(f'"{c}"' for c in OBSERVATION_COLUMNS)

    def run() -> None:
        with psycopg.connect(dsn) as con, con.cursor() as cur:
            cur.execute(
                "INSERT INTO batches (id, files, accepted, rejected, duplicate) "
                "VALUES (1, '[]', 0, 0, 0)"
            )
            if copy:
                with cur.copy(f"COPY observations ({cols}) FROM STDIN") as cp:
                    for r in rows:
                        cp.write_row(r)
            else:
                marks = ", ".join(["%s"] * len(OBSERVATION_COLUMNS))
                cur.executemany(f"INSERT INTO observations ({cols}) VALUES ({marks})", rows)

    return run


def _median3(
    make: Callable[[str], Callable[[], Any]], backend: str, tmp: Path, runs: int
) -> dict[str, float]:
    cpu, wall = [], []
    for _ in range(runs):
        with _fresh_store(backend, tmp) as target:
            c, w = _timed(make(target))
        cpu.append(c)
        wall.append(w)
    return {"cpu_s": statistics.median(cpu), "wall_s": statistics.median(wall)}


def measure(
    path: Path | None = None,
    *,
    records: int = 138_000,
    backends: tuple[str, ...] = ("sqlite", "postgresql"),
    runs: int = 3,
    workdir: Path | None = None,
) -> dict[str, Any]:
    """Ingest vs the bare insert of the same rows, per backend: records, CPU and
    wall seconds (median of ``runs``), records per CPU-s, and ``ratio`` = ingest
    rate / bare rate (CPU; ``ratio_wall`` by wall). ``path`` default: the first
    ``records`` of a simulated stress day."""
    from ceasefire.mandate import load_mandate

    with tempfile.TemporaryDirectory(prefix="store-bench-ingest-", dir=workdir) as d:
        tmp = Path(d)
        if path is None:
            path = stress_records(records, tmp)
        rows = _rows(path, load_mandate(MANDATE))
        n = len(rows)
        out: dict[str, Any] = {"file": str(path), "records": n, "runs": runs}
        for backend in backends:
            res: dict[str, Any] = {
                "ingest": _median3(lambda t: _ingest(t, path), backend, tmp, runs)
            }
            if backend == "sqlite":
                res["bare_executemany"] = _median3(
                    lambda t: _bare_sqlite(t, rows), backend, tmp, runs
                )
                anchor = "bare_executemany"
            else:
                res["bare_executemany"] = _median3(
                    lambda t: _bare_pg(t, rows, copy=False), backend, tmp, runs
                )
                res["bare_copy"] = _median3(
                    lambda t: _bare_pg(t, rows, copy=True), backend, tmp, runs
                )
                anchor = "bare_executemany"
            for v in res.values():
                v["per_cpu_s"] = n / v["cpu_s"] if v["cpu_s"] else float("inf")
                v["per_wall_s"] = n / v["wall_s"]
            res["anchor"] = anchor
            res["ratio"] = res["ingest"]["per_cpu_s"] / res[anchor]["per_cpu_s"]
            res["ratio_wall"] = res["ingest"]["per_wall_s"] / res[anchor]["per_wall_s"]
            out[backend] = res
        return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--file", type=Path)
    ap.add_argument("--records", type=int, default=138_000)
    ap.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument("--quick", action="store_true", help="20,000 records, one run")
    a = ap.parse_args()
    backends = ("sqlite", "postgresql") if a.backend == "both" else (a.backend,)
    res = measure(
        a.file,
        records=20_000 if a.quick else a.records,
        backends=backends,
        runs=1 if a.quick else 3,
    )
    print(json.dumps(res, indent=2))
    for b in backends:
        r = res[b]
        ing = r["ingest"]
        line = f"{b}: ingest {ing['per_cpu_s']:,.0f}/CPU-s ({ing['per_wall_s']:,.0f}/s wall)"
        for k in ("bare_executemany", "bare_copy"):
            if k in r:
                line += f"; {k} {r[k]['per_cpu_s']:,.0f}/CPU-s ({r[k]['per_wall_s']:,.0f}/s wall)"
        line += f"; ingest/bare {r['ratio']:.1%} CPU, {r['ratio_wall']:.1%} wall"
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
