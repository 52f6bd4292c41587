"""The pooled ingest's parts, CPU per record (issue 23, session 17).

``PYTHONPATH=TREE/src .venv/bin/python benchmarks/bench_ingest_parts.py F.ndjson
[--repeat 3]``, once per tree (a base worktree and this one), on a file of the
stress day. Best of ``repeat``, CPU seconds of this process:

- **read**: ``readers.read_ndjson_range`` over the file's ranges
  (``ingest_pool.RANGE_BYTES``);
- **worker**: a worker's whole task over those ranges
  (``ingest_pool._range_items``: read, validate, sectors, rows for a SQLite
  store, NULL as ``SQLITE_NULL``) and the pickling of what it hands back;
- **unpickling**: the main process's share of that hand-over;
- **sectors**: ``pipeline.sectors_of`` of every record's place.

The day's main process also stores the rows (SQLite, ~12 µs a row): that part is
``bench_ingest.py``'s bare insert, not timed here. With ``--batch-end``, the
worker's rows are stored (session 18) as the pooled ingest does, in a new store
(``BatchWriter.add_rows`` by chunks of ``pipeline.INGEST_CHUNK``), once with the
batch's indexes made in its transaction and once with those but the time index
left to a child (``indexes_aside``): CPU of this process for the inserts and
for the batch's end (indexes, commit, WAL checkpoint), and the child's CPU.
"""

from __future__ import annotations

import argparse
import functools
import pickle
import resource
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from ceasefire import ingest_pool, pipeline
from ceasefire.ingest.readers import ndjson_ranges, read_ndjson_range
from ceasefire.store import Store
from ceasefire.store.batch import SQLITE_NULL

MANDATE = Path(__file__).resolve().parents[1] / "examples" / "frontline-2025" / "mandate.yaml"


def _best(fn: Callable[[], Any], repeat: int) -> float:
    out = []
    for _ in range(repeat):
        t = time.process_time()
        fn()
        out.append(time.process_time() - t)
    return min(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("ndjson", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--batch-end", action="store_true", help="also store the rows (see above)")
    args = ap.parse_args()
    path: Path = args.ndjson
    m = pipeline.parse_mandate(MANDATE.read_text(), source=str(MANDATE))
    ingest_pool._worker_init(pipeline.intake_policy(m), functools.partial(pipeline.sectors_of, m))
    ranges = list(ndjson_ranges(path, ingest_pool.RANGE_BYTES))
    n = sum(read_ndjson_range(path, a, b)[1] for a, b in ranges)

    def read() -> None:
        for a, b in ranges:
            read_ndjson_range(path, a, b, plain=True)

    blobs: list[bytes] = []

    def worker() -> None:
        blobs.clear()
        for a, b in ranges:
            got = ingest_pool._range_items(str(path), a, b, 1, None, SQLITE_NULL)
            blobs.append(pickle.dumps(got, protocol=pickle.HIGHEST_PROTOCOL))

    def unpickle() -> None:
        for blob in blobs:
            pickle.loads(blob)

    places = [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
    lat = [(d.get("position") or d.get("observer") or {}).get("lat") for d in places]
    lon = [(d.get("position") or d.get("observer") or {}).get("lon") for d in places]
    lat = [float("nan") if x is None else x for x in lat]
    lon = [float("nan") if x is None else x for x in lon]
    parts = {
        "read": _best(read, args.repeat),
        "worker (read, validate, sectors, rows, pickling)": _best(worker, args.repeat),
        "unpickling (main)": _best(unpickle, args.repeat),
        "sectors": _best(lambda: pipeline.sectors_of(m, lat, lon), args.repeat),
    }
    mb = sum(map(len, blobs)) / 1e6
    print(f"{path.name}: {n:,} lines, {len(ranges)} ranges, {mb:.1f} MB handed over")
    for name, cpu in parts.items():
        print(f"  {name:<50} {cpu:6.2f} CPU-s {cpu / n * 1e6:6.2f} µs/record")
    if args.batch_end:
        rows = [row for blob in blobs for row in pickle.loads(blob)[1].rows]
        for aside in (False, True, False, True):
            insert, end, child = _batch_end(rows, aside)
            print(
                f"  store {len(rows):,} rows, indexes {'aside' if aside else 'inline'}: inserts "
                f"{insert:.2f}, end of the batch {end:.2f}, child {child:.2f} CPU-s"
            )


def _batch_end(rows: list[tuple[Any, ...]], aside: bool) -> tuple[float, float, float]:
    """CPU-s of storing ``rows`` as one batch into a new store: the inserts,
    the batch's end here, and the child process's (``aside``)."""
    folder = Path(tempfile.mkdtemp(prefix="cf-batch-end-"))
    try:
        store = Store.create(folder / "store.db")
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.process_time()
        with store.batch_writer(["x"], rows_hint=len(rows), indexes_aside=aside) as w:
            for k in range(0, len(rows), pipeline.INGEST_CHUNK):
                w.add_rows(rows[k : k + pipeline.INGEST_CHUNK], distinct=True)
            t1 = time.process_time()
        t2 = time.process_time()
        store.close()  # waits for the child
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        child = after.ru_utime + after.ru_stime - kids.ru_utime - kids.ru_stime
        return t1 - t0, t2 - t1, child
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
