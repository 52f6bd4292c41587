"""An ingest batch written in chunks: duplicates decided by the store's key
(in the chunk, in an earlier chunk, in an earlier batch), the batch atomic, and
what the pipeline reads back from the stored text and columns."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from ceasefire.ingest import ingest_files
from ceasefire.pipeline import ingest_into, observation_digests
from ceasefire.store import Store
from ceasefire.store import store as store_module
from ceasefire.store.batch import BatchWriter


def _rec(i: int, **change: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "id": f"o{i}",
        "source": f"mic-{i % 3}",
        "time": f"2025-06-01T07:00:{i:02d}Z",
        "kind": "arrival",
        "observer": {"lat": 48.0 + (i % 3) * 0.01, "lon": 38.0},
    }
    rec.update(change)
    return rec


def _file(path: Path, recs: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        st = Store.create(tmp_path / "s.db")
        yield st
        st.close()
        return
    st = Store.create(request.getfixturevalue("pg_url"))
    yield st
    st.close()


def test_chunks_decide_duplicates_in_the_chunk_the_batch_and_the_store(
    store: Store, tmp_path: Path
) -> None:
    models = ingest_files([_file(tmp_path / "a.ndjson", [_rec(i) for i in range(6)])]).accepted
    with store.batch_writer(["a"]) as w:
        first = w.add(models[:4])
    assert first.stored == [0, 1, 2, 3] and first.duplicates == []
    changed = ingest_files([_file(tmp_path / "c.ndjson", [_rec(2, time_sigma_s=0.5)])]).accepted
    with store.batch_writer(["b"]) as w:
        # 0: new; 1: o5 new; 2: o5 again in the chunk; 3: o1 stored before,
        # the same; 4: o2 stored before, different content
        out = w.add([models[4], models[5], models[5], models[1], changed[0]])
        # o4 again, in a later chunk of the same batch
        later = w.add([models[4]])
    assert out.stored == [0, 1]
    assert out.duplicates == [(2, False, True), (3, False, False), (4, True, False)]
    assert later.stored == [] and later.duplicates == [(0, False, True)]
    assert w.accepted == 2
    assert store.counts()["accepted"] == 6
    assert len(store.observations(0, 4e9)) == 6


def _stored_rows(path: Path) -> list[tuple[Any, ...]]:
    """(rowid, source, id, batch, body) of each stored observation, by rowid."""
    con = sqlite3.connect(path)
    rows = con.execute(
        "SELECT rowid, source, id, batch, body FROM observations ORDER BY rowid"
    ).fetchall()
    con.close()
    return rows


def test_sqlite_chunks_meeting_stored_records_store_the_others_in_order(tmp_path: Path) -> None:
    """A chunk with records stored before stores its others as a chunk of only
    them would: the same rows and rowids, in the chunk's order, no gaps."""
    models = ingest_files([_file(tmp_path / "a.ndjson", [_rec(i) for i in range(8)])]).accepted
    changed = ingest_files([_file(tmp_path / "c.ndjson", [_rec(3, time_sigma_s=0.5)])]).accepted
    st = Store.create(tmp_path / "dups.db")
    with st.batch_writer(["a"]) as w:
        w.add([models[1], models[3]])
    with st.batch_writer(["b"]) as w:
        first = w.add([models[0], models[5]])
        # o1 stored by batch 1 (same), o5 by the chunk before (same), o3 by batch 1
        # (other content): the new ones around them keep their order
        out = w.add([models[2], models[1], models[6], models[5], changed[0], models[7]])
    st.close()
    assert first.stored == [0, 1]
    assert out.stored == [0, 2, 5]
    assert out.duplicates == [(1, False, False), (3, False, True), (4, True, False)]
    assert w.accepted == 5
    plain = Store.create(tmp_path / "plain.db")
    with plain.batch_writer(["a"]) as w:
        w.add([models[1], models[3]])
    with plain.batch_writer(["b"]) as w:
        w.add([models[0], models[5]])
        w.add([models[2], models[6], models[7]])
    plain.close()
    got = _stored_rows(tmp_path / "dups.db")
    assert got == _stored_rows(tmp_path / "plain.db")
    assert [r[0] for r in got] == list(range(1, 8))
    assert [r[2] for r in got] == ["o1", "o3", "o0", "o5", "o2", "o6", "o7"]


def test_sqlite_rowids_at_their_largest_still_tell_duplicates(tmp_path: Path) -> None:
    """Past the largest rowid SQLite picks rowids at random, so the rows a
    chunk stored are not those after the largest before it: the writer then
    rolls the chunk back and looks its keys up, with the same outcome."""
    models = ingest_files([_file(tmp_path / "a.ndjson", [_rec(i) for i in range(5)])]).accepted
    st = Store.create(tmp_path / "s.db")
    with st.batch_writer(["a"]) as w:
        w.add([models[0], models[1]])
    con = sqlite3.connect(tmp_path / "s.db")
    con.execute("UPDATE observations SET rowid = 9223372036854775807 WHERE id = 'o1'")
    con.commit()
    con.close()
    with st.batch_writer(["b"]) as w:
        out = w.add([models[2], models[1], models[3], models[0], models[4]])
    st.close()
    assert out.stored == [0, 2, 4]
    assert out.duplicates == [(1, False, False), (3, False, False)]
    assert sorted(r[2] for r in _stored_rows(tmp_path / "s.db")) == [f"o{i}" for i in range(5)]


@pytest.fixture
def pg_store(pg_url: str) -> Iterator[Store]:
    st = Store.create(pg_url)
    yield st
    st.close()


def _pg_rows(st: Store) -> list[tuple[Any, ...]]:
    o = st.t.observations
    with st.engine.connect() as conn:
        q = select(o.c.source, o.c.id, o.c.batch, o.c.body).order_by(o.c.id)
        return [tuple(r) for r in conn.execute(q)]


def test_postgresql_chunks_meeting_stored_records_are_not_rolled_back(
    pg_store: Store, tmp_path: Path
) -> None:
    """On PostgreSQL the insert returns the keys it stored: a chunk meeting
    stored records keeps its other rows without a rollback to its savepoint,
    and its duplicates are told by the stored rows' batch and body."""
    models = ingest_files([_file(tmp_path / "a.ndjson", [_rec(i) for i in range(8)])]).accepted
    changed = ingest_files([_file(tmp_path / "c.ndjson", [_rec(3, time_sigma_s=0.5)])]).accepted
    rollbacks: list[Any] = []
    event.listen(pg_store.engine, "rollback_savepoint", lambda *a: rollbacks.append(a))
    with pg_store.batch_writer(["a"]) as w:
        w.add([models[1], models[3]])
    with pg_store.batch_writer(["b"]) as w:
        first = w.add([models[0], models[5]])
        out = w.add([models[2], models[1], models[6], models[5], changed[0], models[7]])
    assert rollbacks == []
    assert first.stored == [0, 1]
    assert out.stored == [0, 2, 5]
    assert out.duplicates == [(1, False, False), (3, False, True), (4, True, False)]
    assert w.accepted == 5
    got = _pg_rows(pg_store)
    assert [(r[1], r[2]) for r in got] == [
        ("o0", 2), ("o1", 1), ("o2", 2), ("o3", 1), ("o5", 2), ("o6", 2), ("o7", 2),
    ]  # fmt: skip
    # o3 keeps batch 1's content, not the changed record's
    assert got[3][1] == "o3" and json.loads(got[3][3]).get("time_sigma_s") != 0.5


def test_postgresql_a_skipped_row_not_found_is_inserted_again(
    pg_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A row the insert skipped whose stored match the lookup does not see (a
    concurrent writer's row under another isolation level) is not lost: it is
    tried again under a savepoint and ends stored or a duplicate."""
    models = ingest_files([_file(tmp_path / "a.ndjson", [_rec(i) for i in range(4)])]).accepted
    with pg_store.batch_writer(["a"]) as w:
        w.add([models[1]])
    real = BatchWriter._stored
    hidden: list[tuple[str, str]] = []

    def blind_once(self: BatchWriter, keys: list[tuple[str, str]]) -> Any:
        found = real(self, keys)
        if not hidden and found:
            hidden.append(next(iter(found)))
            del found[hidden[0]]
        return found

    monkeypatch.setattr(BatchWriter, "_stored", blind_once)
    with pg_store.batch_writer(["b"]) as w:
        out = w.add([models[0], models[1], models[2], models[3]])
    assert hidden == [("mic-1", "o1")]
    assert out.stored == [0, 2, 3]
    assert out.duplicates == [(1, False, False)]
    assert [(r[1], r[2]) for r in _pg_rows(pg_store)] == [
        ("o0", 2), ("o1", 1), ("o2", 2), ("o3", 2),
    ]  # fmt: skip


def test_a_batch_that_raises_leaves_nothing(store: Store, tmp_path: Path) -> None:
    models = ingest_files([_file(tmp_path / "a.ndjson", [_rec(i) for i in range(3)])]).accepted
    with pytest.raises(RuntimeError), store.batch_writer(["a"]) as w:
        w.add(models)
        w.quarantine([{"status": "rejected", "file": "a", "line": 9, "reason": "x", "raw": "y"}])
        raise RuntimeError("a crash between chunks")
    assert len(store.observations(0, 4e9)) == 0
    assert store.counts()["accepted"] == 0 and store.quarantine_rows() == []


@pytest.mark.parametrize("fails", [False, True])
def test_a_sqlite_batch_writes_with_a_larger_page_cache_then_puts_it_back(
    tmp_path: Path, fails: bool
) -> None:
    """The batch's connection holds ``BATCH_CACHE_KIB`` of page cache while it
    writes (memory only), and its own size again after, also when it raises."""
    st = Store.create(tmp_path / "s.db")
    models = ingest_files([_file(tmp_path / "a.ndjson", [_rec(i) for i in range(3)])]).accepted
    raw: Any = None
    with st._write_engine.connect() as conn:
        own = conn.connection.driver_connection.execute("PRAGMA cache_size").fetchone()[0]
    assert own != -store_module.BATCH_CACHE_KIB
    failing = pytest.raises(RuntimeError) if fails else contextlib.nullcontext()
    with failing, st.batch_writer(["a"]) as w:
        raw = w.conn.connection.driver_connection
        assert raw.execute("PRAGMA cache_size").fetchone()[0] == -store_module.BATCH_CACHE_KIB
        w.add(models)
        if fails:
            raise RuntimeError("a crash between chunks")
    assert raw.execute("PRAGMA cache_size").fetchone()[0] == own  # the pooled connection's
    assert len(st.observations(0, 4e9)) == (0 if fails else 3)
    st.close()


def test_streamed_ingest_across_chunks_counts_and_names_every_record(tmp_path: Path) -> None:
    from ceasefire.ingest import read_records
    from ceasefire.pipeline import ingest_records

    store = Store.create(tmp_path / "s.db")
    recs = [_rec(i) for i in range(7)]
    ingest_into(store, [_file(tmp_path / "old.ndjson", [recs[6]])])
    lines = [*recs, recs[1], {"id": "bad"}, recs[5]]  # o6 stored before; o1, o5 twice
    p = _file(tmp_path / "new.ndjson", lines)
    r = ingest_records(store, [str(p)], read_records(p, plain=True), keep=False, chunk=3)
    assert r.counts == {"input": 10, "accepted": 6, "rejected": 1, "duplicate": 3}
    assert r.accepted == []  # streamed: counted, not kept
    reasons = {q["line"]: q["reason"] for q in store.quarantine_rows() if q["batch"] == 2}
    assert reasons == {
        7: "same source and id as a stored record",
        8: "same source and id as an earlier record",
        9: reasons[9],
        10: "same source and id as an earlier record",
    }
    assert "field" in reasons[9]
    assert store.counts() == {"accepted": 7, "rejected": 1, "duplicate": 3}
    store.close()


def test_digests_and_observers_come_from_the_store_as_from_the_models(
    store: Store, tmp_path: Path
) -> None:
    recs = [_rec(i) for i in range(9)]
    recs.append(
        {
            "id": "s1",
            "source": "drone",
            "time": "2025-06-01T07:00:30Z",
            "kind": "sighting",
            "position": {"lat": 48.2, "lon": 38.2},
            "position_sigma_m": 20.0,
            "object": "tank",
        }
    )
    p = _file(tmp_path / "a.ndjson", recs)
    ingest_into(store, [p])
    models = ingest_files([p]).accepted
    assert store.observation_digests(0, 4e9) == observation_digests(models)
    observers, n = store.observers(0, 4e9)
    assert n == 10
    # three microphones (the drone's sighting is no observer)
    assert observers == [(f"mic-{k}", 48.0 + k * 0.01, 38.0) for k in range(3)]


def _indexes(conn: Any) -> list[str]:
    """The observations' indexes as the database states them."""
    if conn.dialect.name == "sqlite":
        sql = "SELECT sql FROM sqlite_master WHERE tbl_name = 'observations' AND type = 'index'"
    else:
        sql = "SELECT indexdef FROM pg_indexes WHERE tablename = 'observations'"
    return sorted(str(r[0]) for r in conn.exec_driver_sql(sql))


def test_a_large_batch_makes_the_indexes_at_its_end(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ceasefire.store import store as store_module

    monkeypatch.setattr(store_module, "DEFER_INDEX_ROWS", 3)
    models = ingest_files([_file(tmp_path / "a.ndjson", [_rec(i) for i in range(8)])]).accepted
    with store.engine.connect() as c:
        before = _indexes(c)
    sqlite = store.engine.dialect.name == "sqlite"
    assert len(before) >= 4  # the time, sector, submitter and place indexes

    with store.batch_writer(["a"], rows_hint=6) as w:
        during = _indexes(w.conn)
        w.add(models[:6])
    # SQLite: none but the key's while the batch ran; PostgreSQL: left alone
    assert during == ([i for i in before if i == "None"] if sqlite else before)
    with store.engine.connect() as c:
        assert _indexes(c) == before
    assert len(store.observations(0, 2e9)) == 6

    # a batch that fails leaves the indexes and the rows as they were
    with pytest.raises(RuntimeError), store.batch_writer(["b"], rows_hint=6) as w:
        w.add(models[6:])
        raise RuntimeError("cut")
    with store.engine.connect() as c:
        assert _indexes(c) == before
    assert len(store.observations(0, 2e9)) == 6

    # a store that holds more than the batch keeps its indexes while it runs
    with store.batch_writer(["c"], rows_hint=3) as w:
        assert _indexes(w.conn) == before
        w.add(models[6:])
    assert len(store.observations(0, 2e9)) == 8


def _index_names(store: Store) -> list[str]:
    """The observations' indexes in the order the schema lists them (SQLite)."""
    with store.engine.connect() as c:
        rows = c.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'index' "
            "AND tbl_name = 'observations' ORDER BY rowid"
        )
        return [str(r[0]) for r in rows]


def _autocheckpoint(store: Store) -> int:
    with store.engine.connect() as c:
        return int(c.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one())


def test_a_large_batch_leaves_the_indexes_but_time_to_a_child_process(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ceasefire.store import store as store_module

    monkeypatch.setattr(store_module, "DEFER_INDEX_ROWS", 3)
    models = ingest_files([_file(tmp_path / "a.ndjson", [_rec(i) for i in range(8)])]).accepted
    with store.engine.connect() as c:
        before = _indexes(c)
    with store.batch_writer(["a"], rows_hint=6, indexes_aside=True) as w:
        w.add(models[:6])
    build = store._index_build
    if store.engine.dialect.name != "sqlite":  # PostgreSQL keeps its indexes: nothing aside
        assert build is None
        with store.engine.connect() as c:
            assert _indexes(c) == before
        return
    assert build is not None
    assert sorted(name for name, _ in build.indexes) == [
        "ix_observations_latlon",
        "ix_observations_sector_time",
        "ix_observations_submitter",
    ]
    # the child alone makes them (this process has not written since the batch)
    assert build.wait() is None
    with store.engine.connect() as c:
        assert _indexes(c) == before
    # the batch's connection checkpoints again as it did before the batch
    assert _autocheckpoint(store) == 1000
    assert len(store.observations(0, 2e9)) == 6


def test_indexes_a_child_did_not_make_are_made_by_the_next_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ceasefire.store import indexes
    from ceasefire.store import store as store_module

    monkeypatch.setattr(store_module, "DEFER_INDEX_ROWS", 3)
    monkeypatch.setattr(indexes, "_CHILD", "import sys; sys.exit('no disk')")
    store = Store.create(tmp_path / "s.db")
    before = _index_names(store)
    models = ingest_files([_file(tmp_path / "a.ndjson", [_rec(i) for i in range(8)])]).accepted
    with store.batch_writer(["a"], rows_hint=6, indexes_aside=True) as w:
        w.add(models[:6])
    build = store._index_build
    assert build is not None
    assert _index_names(store) == [n for n in before if n not in dict(build.indexes)]
    assert "ix_observations_time" in _index_names(store)
    store.set_meta("k", "v")  # waits for the child, which failed: made here
    assert store._index_build is None
    assert sorted(_index_names(store)) == sorted(before)
    before = _index_names(store)
    # a failed batch starts no child and leaves the store as it was
    with pytest.raises(RuntimeError), store.batch_writer(["b"], rows_hint=6, indexes_aside=True):
        raise RuntimeError("cut")
    assert store._index_build is None
    assert _index_names(store) == before
    assert _autocheckpoint(store) == 1000
    store.close()


def test_indexes_lost_with_the_child_are_made_again_when_the_store_is_created_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash after a batch's commit kills its index child too: ``ceasefire run`` or
    ``init`` on the same store (``Store.create``) makes what is missing, keeping the rows."""
    from ceasefire.store import indexes
    from ceasefire.store import store as store_module

    monkeypatch.setattr(store_module, "DEFER_INDEX_ROWS", 3)
    monkeypatch.setattr(indexes, "_CHILD", "import sys; sys.exit('killed')")
    store = Store.create(tmp_path / "s.db")
    before = _index_names(store)
    models = ingest_files([_file(tmp_path / "a.ndjson", [_rec(i) for i in range(8)])]).accepted
    with store.batch_writer(["a"], rows_hint=6, indexes_aside=True) as w:
        w.add(models[:6])
    missing = [n for n, _ in store._index_build.indexes] if store._index_build else []
    assert len(missing) == 3
    # the process dies here: nothing waits for the child, nothing makes its indexes
    store._index_build = None
    store.engine.dispose()
    assert sorted(set(before) - set(_index_names(Store.open(tmp_path / "s.db")))) == sorted(missing)
    again = Store.create(tmp_path / "s.db")
    assert sorted(_index_names(again)) == sorted(before)
    assert len(again.observations(0, 2e9)) == 6
    again.close()


@pytest.mark.parametrize(
    "rec",
    [
        _rec(1),
        _rec(2, event="flare", time_sigma_s=0.25),
        _rec(3, event="shot", sense="seen"),
        _rec(4, kind="bearing", bearing_deg=10.5, bearing_sigma_deg=3.0, event="flare"),
        _rec(
            5,
            kind="bearing",
            bearing_deg=0.0,
            bearing_sigma_deg=1.0,
            range_m=900.0,
            range_sigma_m=50.0,
            sense="heard",
            direction="outgoing",
            weapon="mortar",
        ),
        {
            **{k: v for k, v in _rec(6).items() if k != "observer"},
            "kind": "sighting",
            "position": {"lat": 48.1, "lon": 37.9, "alt_m": 120.0},
            "position_sigma_m": 40.0,
            "object": "tank",
            "count": 3,
            "party": "east",
        },
    ],
)
def test_a_row_holds_each_column_of_its_model(rec: dict[str, Any]) -> None:
    from ceasefire.model.observation import OBSERVATION_ADAPTER
    from ceasefire.store.batch import OBSERVATION_COLUMNS, observation_values

    o = OBSERVATION_ADAPTER.validate_python(rec)
    row = dict(zip(OBSERVATION_COLUMNS, observation_values(o, 4, "S2", "me", "B"), strict=True))
    place = o.position if o.kind == "sighting" else o.observer
    want = {c: getattr(o, c, None) for c in OBSERVATION_COLUMNS}  # the kinds' own fields
    want.update(
        time_s=o.time.timestamp(),
        time_sigma_s=o.effective_time_sigma_s(),
        sense=o.effective_sense(),
        lat=place.lat,
        lon=place.lon,
        alt_m=place.alt_m,
        sector="S2",
        submitted_by="me",
        batch=4,
        body="B",
    )
    assert row == want
    assert row["time_sigma_s"] == rec.get(
        "time_sigma_s", {"arrival": 0.005, "bearing": 1.5, "sighting": 5.0}[rec["kind"]]
    )


_KINDS = [
    _rec(1),  # an arrival without event: NULL event and every bearing/sighting column
    _rec(2, event="shot", observer={"lat": 48.0, "lon": 38.0, "alt_m": 12.5}),
    _rec(3, kind="bearing", bearing_deg=10.5, bearing_sigma_deg=3.0),  # no range
    _rec(4, kind="bearing", bearing_deg=1.0, bearing_sigma_deg=1.0, range_m=9e2, range_sigma_m=5e1),
    {
        **{k: v for k, v in _rec(5).items() if k != "observer"},
        "kind": "sighting",
        "position": {"lat": 48.1, "lon": 37.9},
        "position_sigma_m": 40.0,
        "object": "tank",
    },
]


def test_a_rows_nulls_are_sqlite_null_where_they_are_none() -> None:
    import math

    from ceasefire.model.observation import OBSERVATION_ADAPTER
    from ceasefire.store.batch import SQLITE_NULL, observation_values

    assert math.isnan(SQLITE_NULL)
    # empty columns with no sector or submitter: an arrival has 14 (12 with an
    # event and an altitude), a bearing 9 (7 with a range), a sighting 11
    empty = [14, 12, 9, 7, 11]
    for rec, n in zip(_KINDS, empty, strict=True):
        o = OBSERVATION_ADAPTER.validate_python(rec)
        for sector, submitter in ((None, None), ("S2", "me")):
            plain = observation_values(o, 4, sector, submitter, "B")
            nulls = observation_values(o, 4, sector, submitter, "B", SQLITE_NULL)
            assert [x is SQLITE_NULL for x in nulls] == [x is None for x in plain]
            assert [x for x in nulls if x is not SQLITE_NULL] == [x for x in plain if x is not None]
            assert sum(x is SQLITE_NULL for x in nulls) == n - 2 * (sector is not None)


def test_sqlite_stores_a_rows_nan_nulls_as_the_none_rows_nulls(tmp_path: Path) -> None:
    """What the pooled ingest's rows (NaN for NULL) store equals what rows with
    None store, by value and type: NULL, never a real number."""
    from ceasefire.model.observation import OBSERVATION_ADAPTER
    from ceasefire.store.batch import SQLITE_NULL, observation_rows

    models = [OBSERVATION_ADAPTER.validate_python(r) for r in _KINDS]
    sectors = [None, "S1", None, "S2", None]
    got = []
    for name, null in (("none", None), ("nan", SQLITE_NULL)):
        store = Store.create(tmp_path / f"{name}.db")
        with store.batch_writer(["a"], submitted_by=None) as w:
            assert w.null is SQLITE_NULL  # what the writer makes its own rows with
            rows = observation_rows(models, sectors, w.batch, None, null)
            assert w.add_rows(rows).stored == list(range(len(models)))
        store.close()
        con = sqlite3.connect(tmp_path / f"{name}.db")
        cols = [r[1] for r in con.execute("PRAGMA table_info(observations)")]
        sel = ", ".join(f'"{c}", typeof("{c}")' for c in cols)
        got.append(con.execute(f"SELECT rowid, {sel} FROM observations ORDER BY rowid").fetchall())
        con.close()
    assert got[0] == got[1]
    # every kind's empty columns NULL (see the test above), but the two sectors given
    assert sum(row.count("null") for row in got[1]) == 14 + 12 + 9 + 7 + 11 - 2
