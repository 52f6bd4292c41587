"""GET /interventions' listing: every record read (``pipeline.interventions``,
session 9) against the ledger's typed index (``Ledger.intervention_records``),
and what keeping the index costs an append.

A ledger in RAM (``/dev/shm`` where there is one) of ``--records`` violation
records in batches of 5,000, an intervention request after each batch. CPU
seconds of this process, median of three; both listings read the same
read-only ledger and must return the same records.

    .venv/bin/python benchmarks/bench_interventions.py [--records 200000]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ceasefire import pipeline
from ceasefire.ledger import Ledger

BATCH = 5_000


def _violation(j: int) -> dict[str, Any]:
    obs = [f"o{j}-{k}" for k in range(6)]
    return {"id": f"v{j:07d}", "type": "violation", "rule": "ceasefire", "observation_ids": obs}


def _cpu(f: Callable[[], Any]) -> tuple[float, Any]:
    runs = []
    for _ in range(3):
        t0 = time.process_time()
        out = f()
        runs.append(time.process_time() - t0)
    return statistics.median(runs), out


def _appends(path: Path, n: int, *, index: bool) -> float:
    """CPU s to append ``n`` violations in batches of 500 (``index``: as shipped)."""
    kept = Ledger._typed_sync
    if not index:
        Ledger._typed_sync = lambda self, check=False: []  # type: ignore[method-assign]
    try:
        led = Ledger.open(path)
        t0 = time.process_time()
        for i in range(0, n, 500):
            led.append([_violation(j) for j in range(i, i + 500)])
        cpu = time.process_time() - t0
        led.close()
    finally:
        Ledger._typed_sync = kept  # type: ignore[method-assign]
    return cpu


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=200_000)
    a = ap.parse_args()
    shm = Path("/dev/shm")
    tmp = Path(tempfile.mkdtemp(prefix="bench-interv-", dir=shm if shm.is_dir() else None))
    led = Ledger.open(tmp / "ledger")
    for i in range(0, a.records, BATCH):
        led.append([_violation(j) for j in range(i, i + BATCH)])
        led.append([{"id": f"req{i}", "type": "intervention-request", "escalation": f"e{i}"}])
    led.close()
    with Ledger.open(tmp / "ledger", readonly=True) as ro:
        full, want = _cpu(lambda: pipeline.interventions(ro))
        typed, got = _cpu(ro.intervention_records)
        assert got == want, "the index lists other records than the log holds"
        print(
            f"{ro.size} records, {len(got)} interventions: every record read "
            f"{full * 1000:.0f} ms, the typed index {typed * 1000:.2f} ms (x{full / typed:.0f})"
        )
    n = 50_000
    with_ix = statistics.median(_appends(tmp / f"a{k}", n, index=True) for k in range(3))
    without = statistics.median(_appends(tmp / f"b{k}", n, index=False) for k in range(3))
    print(
        f"append {n} violations in batches of 500: {with_ix:.2f} CPU-s with the index, "
        f"{without:.2f} without (x{with_ix / without:.2f})"
    )


if __name__ == "__main__":
    main()
