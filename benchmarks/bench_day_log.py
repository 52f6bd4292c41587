"""The day log's work ahead (``pipeline.DayLog``'s, done by ``run``'s main process in
fusion's pool waits) on a run's stored day, from the ingest's digests as ``run``
holds them: CPU-s of each step, and a digest of the ledger it wrote.

    # in each tree (its src on PYTHONPATH), alternated, on a ``ceasefire run``'s store:
    .venv/bin/python benchmarks/bench_day_log.py OUT/store.db [--repeat 3]

Steps: ``take`` (the day's keys and digests taken from ``StoredDigests``, as
``take_raw`` gives them), ``records`` (the day's ``observations`` records made and
appended: the ahead's rest less ``index``), ``index`` (the digests by id,
``DigestIndex``, for the violations' records: made again alone and timed);
medians over ``--repeat`` rounds. ``--lookup`` instead times the index's look-up
alone on synthetic ids (900 k of 11 characters asked of 1 M held; min of 3).
The digests are the store's (``Store.observation_digests``: what the ingest's
workers hashed), added to a ``StoredDigests`` in chunks of ``pipeline.INGEST_CHUNK``
rows in stored order.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import tempfile
import time
from array import array
from pathlib import Path

from bench_main_parts import medians

STEPS = ("take", "records", "index")


def held_digests(store_db: Path) -> tuple[object, object, float, float]:
    """``(StoredDigests, day, lo, hi)`` of the store's day as ``run`` holds them."""
    from ceasefire import pipeline as pl
    from ceasefire.ingest_pool import StoredDigests
    from ceasefire.mandate import day_bounds
    from ceasefire.store import Store

    store = Store.open(store_db)
    mandate = pl.mandate_of(store)
    day = pl.stored_days(store, mandate)[0]
    start, end = day_bounds(mandate, day)
    lo, hi = start, end + pl.LATE_MARGIN_S
    digests = store.observation_digests(lo, hi)
    store.close()
    keys = list(digests)
    raw = bytes.fromhex("".join(digests.values()))
    held = StoredDigests()
    step = pl.INGEST_CHUNK
    for a in range(0, len(keys), step):
        part = keys[a : a + step]
        held.add(part, array("d", [lo] * len(part)), raw[a * 32 : (a + len(part)) * 32], None)
    return held, day, lo, hi


def one_round(store_db: Path) -> tuple[dict[str, float], str]:
    from ceasefire import pipeline as pl
    from ceasefire.ledger import Ledger
    from ceasefire.store import Store

    held, day, lo, hi = held_digests(store_db)
    cpu = time.process_time
    t = dict.fromkeys(STEPS, 0.0)
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        shutil.copy(store_db, d / "store.db")
        store = Store.open(d / "store.db")
        log = pl.DayLog(Ledger.open(d / "ledger"), store, day, lo, hi, (held, hi))  # type: ignore[arg-type]
        c0 = cpu()
        next(log.ahead)  # the digests taken
        c1 = cpu()
        for _ in log.ahead:  # the records appended, then the index made
            pass
        c2 = cpu()
        # the index made again alone, to tell it from the records
        keys, raw = held_digests(store_db)[0].take_raw(lo, hi, hi)  # type: ignore[attr-defined]
        c3 = cpu()
        index = pl._digests_by_id((keys, raw))
        c4 = cpu()
        t["take"], t["index"] = c1 - c0, c4 - c3
        t["records"] = c2 - c1 - t["index"]
        assert len(index) == len(log._index)
        h = hashlib.sha256((d / "ledger" / "records.log").read_bytes())
        h.update(str(len(log._index)).encode())
        store.close()
    return t, h.hexdigest()[:16]


def lookup() -> str:
    """``digests_of`` (and ``rows_of`` where the tree has it) of 900 k ids asked of
    1 M held, CPU-s, min of 3."""
    import os
    import random

    from ceasefire.ledger.digest_index import DigestIndex

    rng = random.Random(1)
    oids = [f"o{rng.getrandbits(40):010x}" for _ in range(1_000_000)]
    index = DigestIndex(oids, os.urandom(32 * len(oids)))
    asked = oids[:]
    rng.shuffle(asked)
    asked = asked[:900_000]
    out = []
    for name in ("digests_of", "rows_of"):
        if not hasattr(index, name):
            continue
        best = float("inf")
        for _ in range(3):
            c = time.process_time()
            getattr(index, name)(asked)
            best = min(best, time.process_time() - c)
        out.append(f"{name} {best:.3f}")
    return ", ".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("store_db", type=Path, nargs="?")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--lookup", action="store_true", help="time the index's look-up alone")
    args = ap.parse_args()
    if args.lookup:
        print(f"CPU-s: {lookup()}")
        return 0
    if args.store_db is None:
        ap.error("a store (OUT/store.db) is needed without --lookup")
    rounds = [one_round(args.store_db) for _ in range(args.repeat)]
    print(medians(rounds, STEPS))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
