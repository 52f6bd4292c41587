"""The report's reads of a finished run's last day, each against what replaces it
(issue 23: the serial end of the day), CPU seconds, median of three, in one process:

    PYTHONPATH=src .venv/bin/python benchmarks/bench_report_reads.py OUT/store.db

- the day's events read back (JSON and dataclasses) against ``Store.event_counts``
  (the report's five counts in SQL): what ``report_day`` reads once its maps are
  drawn elsewhere (``MapsAhead``);
- the day's violations read back against ``pipeline.held_violations`` (the check
  and sort ``run`` does instead of reading the violations it holds).

Each pair is also checked to agree (the counts with the events', the held
violations with the ones read back).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from ceasefire.mandate import day_bounds
from ceasefire.pipeline import DayResult, held_violations, mandate_of
from ceasefire.report.summary import event_counts
from ceasefire.store import Store

T = TypeVar("T")


def cpu(f: Callable[[], T], repeat: int = 3) -> tuple[float, T]:
    """Median CPU seconds of ``f()`` over ``repeat`` calls, and its last result."""
    times = []
    for _ in range(repeat):
        t = time.process_time()
        r = f()
        times.append(time.process_time() - t)
    return statistics.median(times), r


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("store", type=Path, help="OUT/store.db of a finished run")
    store_path = ap.parse_args().store
    summary: dict[str, Any] = json.loads((store_path.parent / "summary.json").read_text())
    st = Store.open(store_path)
    m = mandate_of(st)
    day = date.fromisoformat(summary["days"][-1]["day"])
    a, b = day_bounds(m, day)
    c_ev, events = cpu(lambda: st.events(a, b))
    c_cnt, counts = cpu(lambda: st.event_counts(a, b))
    assert counts == event_counts(events)
    c_v, vs = cpu(lambda: st.violations(a, b))
    held_day = DayResult(day, 0, 0, list(reversed(vs)), [])
    c_h, held = cpu(lambda: held_violations(m, [held_day]))
    assert held[day] == vs
    st.close()
    print(f"events {len(events):,}: read {c_ev:.2f} CPU-s; Store.event_counts {c_cnt:.2f} CPU-s")
    print(f"violations {len(vs):,}: read {c_v:.2f} CPU-s; held_violations {c_h:.3f} CPU-s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
