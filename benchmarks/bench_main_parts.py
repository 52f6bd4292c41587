"""The main process's work on each judged part of ``run``'s fusing stage, replayed
side by side: what the main does with a part the pool hands over, without the pool.

    # once: run the pipeline on NDJSON, keeping each judged part's spool pickle
    .venv/bin/python benchmarks/bench_main_parts.py capture OBS.ndjson DIR
    # then, in each tree (its src on PYTHONPATH), alternated:
    .venv/bin/python benchmarks/bench_main_parts.py replay DIR [--repeat 3]

``capture`` leaves ``DIR/parts/NN.fused.pkl`` and the run's outputs (``DIR/out``,
its ``store.db`` among them). ``replay`` pickles the parts again with this tree's
code (the workers' side), then, in a copy of the store emptied of the day's events
and violations and a fresh ledger whose day's observation records are in already,
times per part (CPU-s, summed over the parts): ``taken`` (the pickle loaded, as
``pipeline._taken``), ``event_rows`` and ``violation_rows`` (stored), ``texts`` (the
GeoJSON features written) and ``log`` (``DayLog.violations``, and its close);
medians over ``--repeat`` rounds, with digests of the ledger and GeoJSON it wrote
(equal across trees when the code's outputs are).
"""

from __future__ import annotations

import argparse
import hashlib
import pickle
import shutil
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
MANDATE = HERE.parent / "examples" / "frontline-2025" / "mandate.yaml"
PIECES = ("taken", "event_rows", "violation_rows", "texts", "log")


def capture(observations: Path, folder: Path) -> int:
    """``pipeline.run`` on ``observations`` into ``folder/out``; each judged part's
    pickle copied to ``folder/parts`` as the main takes it. Returns the parts kept."""
    from ceasefire import pipeline as pl

    parts = folder / "parts"
    parts.mkdir(parents=True, exist_ok=True)
    taken = pl._taken
    kept = [0]

    def keeping(value: Any) -> Any:
        if isinstance(value, pl._Handed) and value.path.endswith(".fused.pkl"):
            shutil.copy(value.path, parts / f"{kept[0]:02d}.fused.pkl")
            kept[0] += 1
        return taken(value)

    pl._taken = keeping  # type: ignore[assignment]
    try:
        pl.run(MANDATE, [observations], folder / "out", pdf=False)
    finally:
        pl._taken = taken  # type: ignore[assignment]
    return kept[0]


def replay_once(blobs: list[bytes], store_db: Path) -> tuple[dict[str, float], str]:
    """One round: CPU-s per piece, and a digest of what it wrote."""
    from ceasefire import pipeline as pl
    from ceasefire.ledger import Ledger
    from ceasefire.mandate import day_bounds
    from ceasefire.store import Store

    cpu = time.process_time
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        shutil.copy(store_db, d / "store.db")
        store = Store.open(d / "store.db")
        mandate = pl.mandate_of(store)
        day = pl.stored_days(store, mandate)[0]
        start, end = day_bounds(mandate, day)
        store.replace_events(start, end, [], day=day.isoformat())
        store.replace_violations(start, end, [], day=day.isoformat())
        log = pl.DayLog(Ledger.open(d / "ledger"), store, day, start, end + pl.LATE_MARGIN_S)
        for _ in log.ahead:
            pass
        t = dict.fromkeys(PIECES, 0.0)
        with pl.GeoJSONWriter(d / "e.geojson") as ev, pl.GeoJSONWriter(d / "v.geojson") as vi:
            for blob in blobs:
                path = d / "part.fused.pkl"
                path.write_bytes(blob)
                c0 = cpu()
                part = pl._taken(pl._Handed(str(path)))
                c1 = cpu()
                store.add_event_rows(part.event_rows)
                c2 = cpu()
                store.add_violation_rows(part.violation_rows)
                c3 = cpu()
                ev.write_texts(part.event_features)
                vi.write_texts(part.violation_features)
                c4 = cpu()
                log.violations(part.violations, part.violation_records)
                c5 = cpu()
                for k, a, b in zip(PIECES, (c0, c1, c2, c3, c4), (c1, c2, c3, c4, c5), strict=True):
                    t[k] += b - a
                del part
        c0 = cpu()
        head = log.close([], end)
        t["log"] += cpu() - c0
        store.close()
        h = hashlib.sha256(str(head.get("root_hash")).encode())
        for name in ("ledger/records.log", "e.geojson", "v.geojson"):
            h.update((d / name).read_bytes())
    return t, h.hexdigest()[:16]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="verb", required=True)
    c = sub.add_parser("capture")
    c.add_argument("observations", type=Path)
    c.add_argument("folder", type=Path)
    r = sub.add_parser("replay")
    r.add_argument("folder", type=Path)
    r.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    if args.verb == "capture":
        print(f"{capture(args.observations, args.folder)} parts kept in {args.folder}/parts")
        return 0
    blobs = [
        pickle.dumps(pickle.loads(p.read_bytes()), protocol=pickle.HIGHEST_PROTOCOL)
        for p in sorted((args.folder / "parts").glob("*.fused.pkl"))
    ]
    rounds = [replay_once(blobs, args.folder / "out" / "store.db") for _ in range(args.repeat)]
    print(f"{len(blobs)} parts, {sum(map(len, blobs)) / 1e6:.1f} MB; " + medians(rounds, PIECES))
    return 0


def medians(rounds: list[tuple[dict[str, float], str]], keys: Sequence[str]) -> str:
    """Rounds of ``(CPU-s by piece, outputs' digest)`` as one line: each piece's
    median, their total, and the distinct digests (one when every round agreed)."""
    med = {k: statistics.median(t[k] for t, _ in rounds) for k in keys}
    return (
        f"CPU-s medians of {len(rounds)}: "
        + " ".join(f"{k} {v:.3f}" for k, v in med.items())
        + f" total {sum(med.values()):.3f}; outputs {' '.join(sorted({h for _, h in rounds}))}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
