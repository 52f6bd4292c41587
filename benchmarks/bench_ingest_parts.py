"""The pooled ingest's parts, CPU per record (issue 23, session 17).

``PYTHONPATH=TREE/src .venv/bin/python benchmarks/bench_ingest_parts.py F.ndjson
[--repeat 3]``, once per tree (a base worktree and this one), on a file of the
stress day. Best of ``repeat``, CPU seconds of this process:

- **read**: ``readers.read_ndjson_range`` over the file's ranges
  (``ingest_pool.RANGE_BYTES``);
- **worker**: a worker's whole task over those ranges
  (``ingest_pool._range_items``: read, validate, sectors, rows) and the
  pickling of what it hands back;
- **unpickling**: the main process's share of that hand-over;
- **sectors**: ``pipeline.sectors_of`` of every record's place.

The day's main process also stores the rows (SQLite, ~12 µs a row): that part is
``bench_ingest.py``'s bare insert, not timed here.
"""

from __future__ import annotations

import argparse
import functools
import pickle
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from ceasefire import ingest_pool, pipeline
from ceasefire.ingest.readers import ndjson_ranges, read_ndjson_range

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
    args = ap.parse_args()
    path: Path = args.ndjson
    m = pipeline.parse_mandate(MANDATE.read_text(), source=str(MANDATE))
    ingest_pool._worker_init(
        pipeline.intake_policy(m), functools.partial(pipeline._model_sectors, m)
    )
    ranges = list(ndjson_ranges(path, ingest_pool.RANGE_BYTES))
    n = sum(read_ndjson_range(path, a, b)[1] for a, b in ranges)

    def read() -> None:
        for a, b in ranges:
            read_ndjson_range(path, a, b, plain=True)

    blobs: list[bytes] = []

    def worker() -> None:
        blobs.clear()
        for a, b in ranges:
            got = ingest_pool._range_items(str(path), a, b, 1, None)
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


if __name__ == "__main__":
    main()
