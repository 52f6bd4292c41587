"""Where a fused part is judged (issue 23: the main process during fusion), CPU
seconds, median of five, in one process, on the events of a finished run's store:

    PYTHONPATH=src .venv/bin/python benchmarks/bench_judged_part.py OUT/store.db [--limit N]

Two ways to turn a part's events into what ``run`` writes (store rows, GeoJSON
text, violations' ledger records), split into the pool worker's side and the
main process's side:

- ``main judges``: the worker pickles the events; the main process unpickles
  them, stores them (``Store.add_events``), judges them (``assess``), stores the
  violations, writes both GeoJSON features and encodes each violation's record
  (session 14's ``run``);
- ``worker judges``: the worker makes :func:`pipeline.judge_part` (rows, text,
  records encoded but for their digests) and pickles it; the main process
  unpickles it, inserts the rows, writes the text and fills in the digests.

Both write into a copy of the store (the rows deleted between rounds); the two
ways' rows and GeoJSON text are checked to be the same.
"""

from __future__ import annotations

import argparse
import io
import json
import pickle
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from ceasefire import pipeline
from ceasefire.assess import assess
from ceasefire.ledger.canonical import canonical_json
from ceasefire.report.geojson import event_feature, violation_feature
from ceasefire.store import Store


def _cpu(f: Callable[[], object]) -> float:
    t = time.process_time()
    f()
    return time.process_time() - t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("store", type=Path, help="a finished run's store.db")
    ap.add_argument("--limit", type=int, default=None, help="the first N events only")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="judged-part-") as d:
        db = Path(d) / "store.db"
        shutil.copy(args.store, db)
        st = Store.open(f"sqlite:///{db}")
        m = pipeline.mandate_of(st)
        events = st.events(0.0, 1e10)[: args.limit]
        day = date(2000, 1, 1)
        iso = day.isoformat()
        texts: dict[str, str] = {}

        def reset() -> None:
            with st._write() as conn:
                conn.exec_driver_sql("DELETE FROM events")
                conn.exec_driver_sql("DELETE FROM violations")

        def old_main(blob: bytes) -> None:
            evs = pickle.loads(blob)
            st.add_events(evs, day=iso, sectors=pipeline._event_sectors(m, evs))
            found = assess(evs, m)
            st.add_violations(found, day=iso)
            out = io.StringIO()
            for e in evs:
                out.write(pipeline.feature_text(event_feature(e)))
            for v in found:
                out.write(pipeline.feature_text(violation_feature(v)))
            for v in found:
                canonical_json(pipeline._violation_record(v, set()))
            texts["main judges"] = out.getvalue()

        def new_main(blob: bytes) -> None:
            part = pickle.loads(blob)
            st.add_event_rows(part.event_rows)
            st.add_violation_rows(part.violation_rows)
            out = io.StringIO()
            for t in part.event_features + part.violation_features:
                out.write(t)
            for r in part.violation_records:
                r.payload(set())
            texts["worker judges"] = out.getvalue()

        ways: dict[str, tuple[Callable[[], bytes], Callable[[bytes], None]]] = {
            "main judges": (lambda: pickle.dumps(events, -1), old_main),
            "worker judges": (
                lambda: pickle.dumps(pipeline.judge_part(events, m, day, st), -1),
                new_main,
            ),
        }
        stored: dict[str, list[tuple[object, ...]]] = {}
        res = {}
        for name, (worker, main_side) in ways.items():
            ws, ms = [], []
            for _ in range(args.repeat):
                reset()
                blob: list[bytes] = []
                ws.append(_cpu(lambda: blob.append(worker())))  # noqa: B023
                ms.append(_cpu(lambda: main_side(blob[0])))  # noqa: B023
            with st.engine.connect() as conn:
                stored[name] = [
                    tuple(r)
                    for t in ("events", "violations")
                    for r in conn.exec_driver_sql(f"SELECT * FROM {t} ORDER BY rowid")
                ]
            res[name] = {"worker_cpu_s": statistics.median(ws), "main_cpu_s": statistics.median(ms)}
        assert stored["main judges"] == stored["worker judges"], "the rows differ"
        assert texts["main judges"] == texts["worker judges"], "the GeoJSON text differs"
        n = len(events)
        print(f"{n:,} events; CPU s, median of {args.repeat}")
        for name, r in res.items():
            w, mm = r["worker_cpu_s"], r["main_cpu_s"]
            print(
                f"  {name:<14} worker {w:6.3f}  main {mm:6.3f} ({mm / n * 1e6:5.1f} µs/event)"
                f"  total {w + mm:6.3f}"
            )
        print(json.dumps({"events": n, **res}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
