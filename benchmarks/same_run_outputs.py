"""Whether two ``ceasefire run`` output folders hold the same day: what each run's
own signing key does not make differ.

    .venv/bin/python benchmarks/same_run_outputs.py OUT_A OUT_B

Compared: every store table row by row in rowid order (``observations``,
``events``, ``violations``, ``escalations``, ``quarantine``, ``batches``,
``users``; ``meta`` but for ``mandate_source``, the path the command was given);
the GeoJSON, escalations, notices and quarantine files and the ledger's
``records.log``, ``index.bin``, ``nodes.bin``, ``ids.bin``, ``typed.bin`` byte
for byte; the ledger's size and root (its last signed head). Left out: what the
key makes (the heads' signatures and key ids, the checkpoint, ``days.head``,
the stored reports, which show the key) and ``summary.json`` (output paths).
Prints one line per item and exits 1 when any differs.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
from pathlib import Path

TABLES = (
    "observations",
    "events",
    "violations",
    "escalations",
    "quarantine",
    "batches",
    "users",
)
FILES = (
    "events.geojson",
    "violations.geojson",
    "escalations.json",
    "notices.json",
    "quarantine.ndjson",
    "ledger/records.log",
    "ledger/index.bin",
    "ledger/nodes.bin",
    "ledger/ids.bin",
    "ledger/typed.bin",
)


def table_digest(db: Path, table: str, skip_keys: tuple[str, ...] = ()) -> tuple[int, str]:
    """(rows, SHA-256 of every row's ``repr`` in rowid order) of ``table``."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        h, n = hashlib.sha256(), 0
        for row in con.execute(f'SELECT * FROM "{table}" ORDER BY rowid'):
            if skip_keys and row[0] in skip_keys:
                continue
            h.update(repr(row).encode())
            n += 1
        return n, h.hexdigest()
    finally:
        con.close()


def root(out: Path) -> tuple[int, str]:
    """The ledger's size and root hash at its last signed head."""
    last = (out / "ledger" / "heads.ndjson").read_text().strip().splitlines()[-1]
    head = json.loads(last)
    return int(head["size"]), str(head["root_hash"])


def compare(a: Path, b: Path) -> list[tuple[str, bool, str]]:
    """``(item, same, what)`` for each compared item."""
    out = []
    for table in (*TABLES, "meta"):
        skip = ("mandate_source",) if table == "meta" else ()
        x, y = (table_digest(o / "store.db", table, skip) for o in (a, b))
        out.append((f"table {table}", x == y, f"{x[0]:,} rows" if x == y else f"{x} vs {y}"))
    for name in FILES:
        pa, pb = a / name, b / name
        x, y = (
            hashlib.sha256(p.read_bytes()).hexdigest() if p.exists() else "missing"
            for p in (pa, pb)
        )
        out.append((name, x == y, f"{pa.stat().st_size:,} B" if x == y else f"{x} vs {y}"))
    ra, rb = root(a), root(b)
    what = f"size {ra[0]:,} root {ra[1][:16]}" if ra == rb else f"{ra} vs {rb}"
    out.append(("ledger root", ra == rb, what))
    return out


def main() -> int:
    a, b = Path(sys.argv[1]), Path(sys.argv[2])
    results = compare(a, b)
    for item, same, what in results:
        print(f"{'same' if same else 'DIFFERS':8} {item}: {what}")
    return 0 if all(same for _, same, _ in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
