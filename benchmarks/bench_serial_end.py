"""The run's serial pieces that session 16 shortened, each both ways in one process.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_serial_end.py OUT/notices.json DAY.ndjson

- ``notices.json`` (any output JSON of ``ceasefire run``): ``json.dumps(indent=2,
  sort_keys=True, ensure_ascii=False)`` (the standard library's pure-Python
  indented encoder) against ``report.jsonfile.json_text``; the bytes checked equal.
- An ingest worker's answer for the first byte range of an NDJSON file
  (``ingest_pool._range_items``): pickled and unpickled with every record's text
  (as before) and with the rejected records' text only (as now).

CPU seconds (``time.process_time``), median of ``--repeat`` rounds.
"""

from __future__ import annotations

import argparse
import json
import pickle
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ceasefire import ingest_pool
from ceasefire.ingest.readers import ndjson_ranges, read_ndjson_range
from ceasefire.report.jsonfile import json_text


def _cpu(fn: Callable[[], Any], repeat: int) -> float:
    """Median CPU seconds of ``fn()`` over ``repeat`` rounds."""
    times = []
    for _ in range(repeat):
        t = time.process_time()
        fn()
        times.append(time.process_time() - t)
    return statistics.median(times)


def notices(path: Path, repeat: int) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))

    def stdlib() -> bytes:
        return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()

    assert json_text(data) == stdlib() == path.read_bytes()
    before, after = _cpu(stdlib, repeat), _cpu(lambda: json_text(data), repeat)
    mb = path.stat().st_size / 1e6
    print(
        f"{path.name}: {mb:.1f} MB, json.dumps {before:.3f} CPU-s, json_text {after:.3f} "
        f"CPU-s ({before / after:.1f}x), the same bytes"
    )


def range_items(path: Path, repeat: int) -> None:
    a, b = next(iter(ndjson_ranges(path, ingest_pool.RANGE_BYTES)))
    ingest_pool._worker_init(None, None)
    lines, part = ingest_pool._range_items(str(path), a, b, 1, None)
    texts = {r.line: r.raw for r in read_ndjson_range(path, a, b, plain=True)[0]}
    # as the workers sent them before session 17: a tuple per record, with
    # every record's text (session 15) or the rejected ones' only (session 16)
    items: list[Any] = [
        (line, None, row, None) for line, row in zip(part.at, part.rows, strict=True)
    ]
    items += [(line, raw, None, why) for line, raw, why in part.bad]
    every = [(line, texts[line], row, why) for line, _, row, why in items]
    for name, its in (
        ("every text", every),
        ("rejected texts only", items),
        ("columns (session 17)", part),
    ):
        blob = pickle.dumps((lines, its), protocol=pickle.HIGHEST_PROTOCOL)
        dumps = _cpu(lambda its=its: pickle.dumps((lines, its), pickle.HIGHEST_PROTOCOL), repeat)
        loads = _cpu(lambda blob=blob: pickle.loads(blob), repeat)
        print(
            f"range of {len(part):,} records, {name}: {len(blob) / 1e6:.2f} MB, "
            f"pickled {dumps * 1e3:.1f} ms (worker), unpickled {loads * 1e3:.1f} ms (main)"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notices", type=Path, help="an output JSON file of `ceasefire run`")
    ap.add_argument("ndjson", type=Path, help="an NDJSON observation file")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    notices(args.notices, args.repeat)
    range_items(args.ndjson, args.repeat)


if __name__ == "__main__":
    main()
