"""The store on real SQLite and on the local PostgreSQL server."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from ceasefire.ingest import ingest_files
from ceasefire.model import Event, Violation
from ceasefire.model.errors import StoreError
from ceasefire.store import SCHEMA_VERSION, Store

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _obs_file(tmp_path: Path, n: int) -> Path:
    p = tmp_path / "o.ndjson"
    lines = [
        json.dumps(
            {
                "id": f"o{i}",
                "source": "op",
                "time": f"2025-06-01T07:00:{i:02d}Z",
                "kind": "arrival",
                "observer": {"lat": 48.0, "lon": 38.0},
            }
        )
        for i in range(n)
    ]
    p.write_text("\n".join([*lines, "garbage"]) + "\n")
    return p


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        yield Store.create(tmp_path / "s.db")
        return
    name = "cf_test_" + uuid.uuid4().hex[:10]
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"CREATE DATABASE {name}"))
    st = Store.create(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}")
    yield st
    st.close()
    with admin.connect() as c:
        c.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
    admin.dispose()


def _event(i: int, t: float) -> Event:
    return Event(
        id=f"ev{i}",
        kind="explosion",
        time_s=t,
        lat=48.0,
        lon=38.0,
        cov_m2=(100.0, 400.0, 10.0),
        observation_ids=("a", "b"),
        n_observers=2,
        flags=("paired",),
    )


def test_batches_observations_and_quarantine_round_trip(store: Store, tmp_path: Path) -> None:
    r = ingest_files([_obs_file(tmp_path, 30)], seen=store.known_keys())
    q = [{"status": "rejected", **x.to_dict()} for x in r.rejected]
    store.add_batch(["o.ndjson"], r.accepted, q)
    assert store.counts() == {"accepted": 30, "rejected": 1, "duplicate": 0}
    # 07:00:00..07:00:29 UTC; take [07:00:10, 07:00:20)
    t0 = 1748761200.0
    arr = store.observations(t0 + 10, t0 + 20)
    assert len(arr) == 10 and list(arr.id[:2]) == ["o10", "o11"]
    assert store.quarantine_rows()[0]["reason"].startswith("not JSON")
    # a second ingest of the same file: everything valid is now a duplicate
    r2 = ingest_files([_obs_file(tmp_path, 30)], seen=store.known_keys())
    assert r2.counts["duplicate"] == 30 and r2.counts["accepted"] == 0


def test_results_replace_a_period_as_a_whole(store: Store) -> None:
    store.replace_events(0, 100, [_event(1, 10.0), _event(2, 50.0)])
    store.replace_events(100, 200, [_event(3, 150.0)])
    store.replace_events(0, 100, [_event(4, 20.0)])
    got = store.events(0, 200)
    assert [e.id for e in got] == ["ev4", "ev3"]
    assert got[0].cov_m2 == (100.0, 400.0, 10.0) and got[0].flags == ("paired",)
    v = Violation(
        id="v1",
        rule="ceasefire",
        severity="high",
        kind="explosion",
        time_s=20.0,
        lat=48.0,
        lon=38.0,
        cov_m2=None,
        party="RU",
        party_probability=0.97,
        probabilities={"RU": 0.97, "UA": 0.03},
        event_ids=("ev4",),
        observation_ids=("a",),
        distance_to_line_km=3.2,
        side="left",
        response="record",
    )
    store.replace_violations(0, 100, [v])
    assert store.violations(0, 100) == [v]
    assert store.violation_times(0, 100) == [20.0]


def test_event_counts_in_sql_match_the_events_read_back(store: Store) -> None:
    """The report's event counts come from SQL on both backends: each case
    below is one the definitions tell apart (``explained_by:`` is not the
    ``explained`` flag; a located explained event is a second fix, an
    uncorroborated one is not an explained lone report; an event outside the
    window is not counted), checked against the counts of the events read back."""
    from dataclasses import replace

    lone = replace(_event(0, 0.0), lat=None, lon=None, cov_m2=None, flags=())
    cases = [
        replace(_event(1, 10.0), flags=()),  # located
        replace(lone, id="l2", time_s=11.0, flags=("uncorroborated",)),
        replace(lone, id="l3", time_s=12.0, flags=("uncorroborated", "explained")),
        replace(lone, id="l4", time_s=13.0, flags=("explained", "explained_by:ev1")),
        replace(lone, id="l5", time_s=14.0, flags=("explained_by:ev1",)),
        replace(_event(6, 15.0), flags=("paired", "explained", "explained_by:ev1")),
        replace(lone, id="l7", time_s=16.0, flags=("no_position",)),
    ]
    store.replace_events(0, 200, [*cases, replace(lone, id="late", time_s=150.0)])
    got = store.event_counts(0, 100)
    events = store.events(0, 100)
    assert got == {
        "total": len(events),
        "located": sum(e.has_position for e in events),
        "uncorroborated": sum("uncorroborated" in e.flags for e in events),
        "explained": sum(
            "explained" in e.flags and "uncorroborated" not in e.flags and not e.has_position
            for e in events
        ),
        "fixes_explained": sum("explained" in e.flags and e.has_position for e in events),
    }
    # and by hand, so a wrong reading of both sides would show
    assert got == {
        "total": 7,
        "located": 2,
        "uncorroborated": 2,
        "explained": 1,
        "fixes_explained": 1,
    }
    assert store.event_counts(300, 400) == dict.fromkeys(got, 0)


def test_meta_and_mandate_text(store: Store) -> None:
    assert store.mandate_text() is None
    store.set_meta("mandate", "mission: x")
    store.set_meta("mandate", "mission: y")
    assert store.mandate_text() == "mission: y"


def test_open_missing_or_foreign_or_other_version(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no store at"):
        Store.open(tmp_path / "missing.db")
    foreign = tmp_path / "foreign.db"
    sqlite3.connect(foreign).execute("create table x (a int)").connection.commit()
    with pytest.raises(StoreError, match="not a ceasefire store"):
        Store.open(foreign)
    st = Store.create(tmp_path / "v.db")
    st.set_meta("schema_version", str(SCHEMA_VERSION + 1))
    with pytest.raises(StoreError, match=f"expects {SCHEMA_VERSION}"):
        Store.open(tmp_path / "v.db")


def test_sqlite_store_uses_wal(tmp_path: Path) -> None:
    Store.create(tmp_path / "w.db").set_meta("k", "v")
    mode = sqlite3.connect(tmp_path / "w.db").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_replacing_an_empty_period_by_nothing_writes_nothing(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.replace_events(0, 100, [_event(1, 10.0), _event(2, 50.0)])

    def no_write() -> None:
        raise AssertionError("a write transaction was opened")

    with monkeypatch.context() as m:
        m.setattr(store, "_write", no_write)
        store.replace_events(100, 200, [])  # nothing there: no write
        with pytest.raises(AssertionError):
            store.replace_events(50, 60, [])  # an event there: it must go
    store.replace_events(50, 60, [])
    assert [e.id for e in store.events(0, 200)] == ["ev1"]
