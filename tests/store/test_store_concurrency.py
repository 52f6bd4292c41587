"""Concurrent ingests on SQLite and PostgreSQL give the store one serial run gives
(the duplicate decision is made inside the write), and no writer dies."""

from __future__ import annotations

import json
import multiprocessing as mp
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from ceasefire.pipeline import ingest_into, init_store
from ceasefire.store import Store


def _lines(n: int) -> list[str]:
    return [
        json.dumps(
            {
                "id": f"o{i:05d}",
                "source": f"op{i % 7}",
                "time": f"2025-06-01T07:{(i // 60) % 60:02d}:{i % 60:02d}Z",
                "kind": "arrival",
                "observer": {"lat": 48.3 + 0.001 * (i % 50), "lon": 38.0 + 0.001 * (i % 40)},
            }
        )
        for i in range(n)
    ]


def _files(tmp_path: Path) -> list[Path]:
    """Three files that overlap (records 400-1399 are in two or three of them)."""
    lines = _lines(1600)
    parts = [lines[0:1000], lines[400:1400], [*lines[800:1600], "not json"]]
    out = []
    for k, part in enumerate(parts):
        p = tmp_path / f"f{k}.ndjson"
        p.write_text("\n".join(part) + "\n")
        out.append(p)
    return out


def _ingest(target: str, path: str, barrier: Any, queue: Any) -> None:
    store = Store.open(target)
    barrier.wait()
    try:
        r = ingest_into(store, [Path(path)])
        queue.put(("ok", r.counts))
    except Exception as exc:  # report any death to the parent
        queue.put(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        store.close()


def _content(store: Store) -> list[tuple[str, str, str, str | None]]:
    o = store.t.observations
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(o.c.source, o.c.id, o.c.body, o.c.sector).order_by(o.c.source, o.c.id)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_three_overlapping_ingests_at_once_equal_one_serial_run(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, donbas_mandate_path: Path
) -> None:
    files = _files(tmp_path)
    if backend == "sqlite":
        par_target, ser_target = str(tmp_path / "par.db"), str(tmp_path / "ser.db")
    else:
        par_target = request.getfixturevalue("pg_url")
        ser_target = str(tmp_path / "ser.db")
    init_store(par_target, donbas_mandate_path).close()
    serial = init_store(ser_target, donbas_mandate_path)
    for f in files:
        ingest_into(serial, [f])

    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(3)
    queue = ctx.Queue()
    procs = [ctx.Process(target=_ingest, args=(par_target, str(f), barrier, queue)) for f in files]
    for p in procs:
        p.start()
    results = [queue.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert all(status == "ok" for status, _ in results), results
    counts = [c for _, c in results]
    # every record ends accepted, rejected or duplicate, in each writer
    for c in counts:
        assert c["accepted"] + c["rejected"] + c["duplicate"] == c["input"]
    # 1,600 distinct valid records, 2,800 valid records in all, one unreadable line
    assert sum(c["accepted"] for c in counts) == 1600
    assert sum(c["duplicate"] for c in counts) == 1200
    assert sum(c["rejected"] for c in counts) == 1

    parallel = Store.open(par_target)
    assert _content(parallel) == _content(serial)
    assert (
        parallel.counts()
        == serial.counts()
        == {
            "accepted": 1600,
            "rejected": 1,
            "duplicate": 1200,
        }
    )
    assert len(parallel.quarantine_rows()) == 1201
    parallel.close()
    serial.close()


def test_rerun_of_a_file_stores_nothing_twice_and_names_the_lines(tmp_path: Path) -> None:
    p = tmp_path / "a.ndjson"
    lines = _lines(5)
    p.write_text("\n".join(lines) + "\n")
    store = Store.create(tmp_path / "s.db")
    assert ingest_into(store, [p]).counts["accepted"] == 5
    changed = json.loads(lines[2])
    changed["observer"]["lat"] = 48.9
    p.write_text("\n".join([*lines[:2], json.dumps(changed), *lines[3:]]) + "\n")
    r = ingest_into(store, [p])
    assert r.counts == {"input": 5, "accepted": 0, "rejected": 0, "duplicate": 5}
    dup = sorted(r.duplicates, key=lambda d: d.line)
    assert [d.line for d in dup] == [1, 2, 3, 4, 5]
    assert [d.conflicting for d in dup] == [False, False, True, False, False]
    rows = store.quarantine_rows()
    assert [(q["line"], q["reason"]) for q in rows if "different" in q["reason"]] == [
        (3, "same source and id as a stored record with different content")
    ]
