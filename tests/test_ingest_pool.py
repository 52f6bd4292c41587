"""The pooled ingest (``ceasefire.ingest_pool``): the same batch as the serial
path, with hostile lines cut across ranges and chunks, several files, and
records stored before."""

from __future__ import annotations

import hashlib
import json
import math
import sqlite3
from array import array
from pathlib import Path
from typing import Any

import pytest

from ceasefire import ingest_pool, pipeline
from ceasefire.ingest import IngestResult
from ceasefire.ingest.limits import MAX_RECORD_BYTES, plain_object

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
MANDATE = EXAMPLES / "frontline-2025" / "mandate.yaml"


def bearing(i: int, **change: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "id": f"b{i}",
        "source": "op-7",
        "time": "2025-06-01T10:00:03.500+03:00",
        "kind": "bearing",
        "observer": {"lat": 48.1 + i * 1e-4, "lon": 37.7, "alt_m": 210.0},
        "bearing_deg": 95.0,
        "bearing_sigma_deg": 5.0,
    }
    rec.update(change)
    return rec


def _line(rec: dict[str, Any]) -> bytes:
    return json.dumps(rec).encode()


def _files(tmp_path: Path) -> tuple[Path, Path, dict[str, tuple[str, int]]]:
    """Two NDJSON files of good, bad and repeated records; where each bad one is."""
    first = [b"\xef\xbb\xbf" + _line(bearing(0))]  # a byte-order mark, line 1
    first += [_line(bearing(i)) for i in range(1, 12)]
    first += [b"", b"  \t", _line(bearing(12))]  # blank lines are no records
    first += [b"\xff" + _line(bearing(13))[1:]]  # line 16: invalid UTF-8
    first += [_line(bearing(14, bearing_deg=400.0))]  # line 17: out of range
    first += [_line(bearing(3))]  # line 18: the same as line 4
    first += [_line(bearing(5, bearing_deg=90.0))]  # line 19: conflicts with line 6
    first += [b'{"id": "x", ' + b"a" * (MAX_RECORD_BYTES + 10)]  # line 20: too long
    first += [_line(bearing(i)) for i in range(15, 30)]
    first += [b"not json"]  # line 36
    second = [_line(bearing(i)) for i in range(30, 40)]
    second += [_line(bearing(20))]  # line 11: stored from the first file
    second += [_line(bearing(99))]  # line 12: stored by an earlier batch
    second += [_line(bearing(i)) for i in range(40, 45)]
    a, b = tmp_path / "a.ndjson", tmp_path / "b.ndjson"
    a.write_bytes(b"\n".join(first) + b"\n")
    b.write_bytes(b"\n".join(second))  # no line end after the last
    where = {
        "utf8": (str(a), 16),
        "range": (str(a), 17),
        "long": (str(a), 20),
        "json": (str(a), 36),
        "same": (str(a), 18),
        "conflict": (str(a), 19),
        "earlier": (str(b), 11),
        "stored": (str(b), 12),
    }
    return a, b, where


def _ingest(tmp_path: Path, name: str, files: list[Path], workers: int) -> IngestResult:
    d = tmp_path / name
    d.mkdir()
    store = pipeline.init_store(d / "store.db", MANDATE)
    old = tmp_path / "old.ndjson"
    old.write_bytes(_line(bearing(99)) + b"\n")
    pipeline.ingest_into(store, [old], workers=1)
    r = pipeline.ingest_into(store, files, d / "q.ndjson", workers=workers)
    store.close()
    return r


def _tables(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    con = sqlite3.connect(db)
    names = [n for (n,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    out = {n: con.execute(f'SELECT * FROM "{n}" ORDER BY rowid').fetchall() for n in names}
    con.close()
    return out


@pytest.mark.parametrize("range_bytes", [1, 700, 1 << 20])
def test_pooled_ingest_is_the_serial_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, range_bytes: int
) -> None:
    a, b, where = _files(tmp_path)
    # chunks of 7 records and ranges of a line or a few: both cut across each
    # other, the files and the repeated records
    monkeypatch.setattr(pipeline, "INGEST_CHUNK", 7)
    monkeypatch.setattr(ingest_pool, "RANGE_BYTES", range_bytes)
    monkeypatch.setattr(ingest_pool, "MIN_LINES", 0)
    pooled_runs: list[int] = []

    def spied(*args: Any, **kw: Any) -> IngestResult:
        pooled_runs.append(kw["workers"])
        return ingest_pool.ingest_pooled(*args, **kw)

    monkeypatch.setattr(pipeline, "ingest_pooled", spied)
    serial = _ingest(tmp_path, "serial", [a, b], workers=1)
    assert pooled_runs == []
    pooled = _ingest(tmp_path, "pooled", [a, b], workers=2)
    assert pooled_runs == [2]

    # what the serial path finds, found by the pool at the same lines
    rejected = {(r.file, r.line): r.reason for r in pooled.rejected}
    assert set(rejected) == {where[k] for k in ("utf8", "range", "long", "json")}
    assert "UTF-8" in rejected[where["utf8"]]
    assert "bearing_deg" in rejected[where["range"]]
    assert "bytes; expected at most" in rejected[where["long"]]
    assert rejected[where["json"]].startswith("not JSON")
    dups = {(d.file, d.line): d.conflicting for d in pooled.duplicates}
    assert dups == {
        where["same"]: False,
        where["conflict"]: True,
        where["earlier"]: False,
        where["stored"]: False,
    }
    assert pooled.counts == {"input": 51, "accepted": 43, "rejected": 4, "duplicate": 4}
    assert pooled.streamed == 43 and not pooled.accepted

    assert pooled.rejected == serial.rejected
    assert pooled.duplicates == serial.duplicates
    assert pooled.counts == serial.counts
    s, p = tmp_path / "serial", tmp_path / "pooled"
    assert (p / "q.ndjson").read_bytes() == (s / "q.ndjson").read_bytes()
    st, pt = _tables(s / "store.db"), _tables(p / "store.db")
    assert len(pt["observations"]) == 44  # the earlier batch's one, then 43
    assert [r[:2] for r in pt["observations"][:2]] == [("op-7", "b99"), ("op-7", "b0")]
    assert pt == st


@pytest.mark.parametrize("repeat", [False, True])
def test_an_id_of_two_sources_is_two_records_in_a_chunk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, repeat: bool
) -> None:
    """A chunk's repeat check looks at ids first: the same ids from two sources
    are distinct records, all stored; a (source, id) given twice among them is
    the serial path's duplicate."""
    monkeypatch.setattr(ingest_pool, "MIN_LINES", 0)
    recs = [bearing(i) for i in range(6)] + [bearing(i, source="op-8") for i in range(4)]
    if repeat:
        recs.append(bearing(2, source="op-8", bearing_deg=90.0))
    path = tmp_path / "a.ndjson"
    path.write_bytes(b"\n".join(_line(r) for r in recs) + b"\n")
    got = {}
    for workers in (1, 2):
        d = tmp_path / f"w{workers}"
        d.mkdir()
        store = pipeline.init_store(d / "store.db", MANDATE)
        r = pipeline.ingest_into(store, [path], d / "q.ndjson", workers=workers)
        store.close()
        got[workers] = (r.counts, r.duplicates, _tables(d / "store.db"))
    counts, dups, tables = got[2]
    assert counts == {"input": 10 + repeat, "accepted": 10, "rejected": 0, "duplicate": repeat}
    assert [(d.source, d.id, d.line, d.conflicting) for d in dups] == (
        [("op-8", "b2", 11, True)] if repeat else []
    )
    keys = [r[:2] for r in tables["observations"]]
    assert keys == [("op-7", f"b{i}") for i in range(6)] + [("op-8", f"b{i}") for i in range(4)]
    assert got[2] == got[1]


@pytest.mark.parametrize("workers", [1, 2])
def test_ahead_is_called_once_the_pool_has_read_every_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    """``ahead`` (what ``run`` loads fusion's loops by) is called once, after the
    last record is read and before the batch ends; never without the pool."""
    a, b, _ = _files(tmp_path)
    monkeypatch.setattr(ingest_pool, "MIN_LINES", 0)
    store = pipeline.init_store(tmp_path / "store.db", MANDATE)
    seen: list[str] = []
    stored: list[int] = []

    def ahead() -> None:
        seen.append("ahead")
        # the batch is not committed yet: another connection sees no record
        con = sqlite3.connect(tmp_path / "store.db")
        stored.append(con.execute("SELECT count(*) FROM observations").fetchone()[0])
        con.close()

    r = pipeline.ingest_into(
        store,
        [a, b],
        workers=workers,
        progress=lambda text, *_: seen.append(text),
        ahead=ahead,
    )
    store.close()
    assert r.counts["accepted"] == 44
    if workers == 1:
        assert "ahead" not in seen
        return
    assert seen.count("ahead") == 1 and stored == [0]
    at = seen.index("ahead")
    assert seen[at - 1] == "storing observations"
    assert "reading observations" not in seen[at:]


def test_the_pool_only_where_it_pays(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ingest_pool, "MIN_LINES", 10)
    nd, csv = tmp_path / "a.ndjson", tmp_path / "a.csv"
    assert ingest_pool.pool_pays([nd], 10, workers=2)
    assert not ingest_pool.pool_pays([nd], 9, workers=2)
    assert not ingest_pool.pool_pays([nd], 10, workers=1)
    assert not ingest_pool.pool_pays([nd, csv], 10, workers=2)
    assert not ingest_pool.pool_pays([nd], None, workers=2)


def test_kept_models_come_from_the_serial_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b, _ = _files(tmp_path)
    monkeypatch.setattr(ingest_pool, "MIN_LINES", 0)
    store = pipeline.init_store(tmp_path / "store.db", MANDATE)
    r = pipeline.ingest_into(store, [a, b], keep=True, workers=2)
    store.close()
    assert len(r.accepted) == r.counts["accepted"] == 44 and r.streamed == 0
    assert r.accepted_from[0] == (str(a), 1, 1)


def test_indexes_made_aside_leave_the_same_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ceasefire.store import store as store_module

    monkeypatch.setattr(store_module, "DEFER_INDEX_ROWS", 10)
    monkeypatch.setattr(ingest_pool, "MIN_LINES", 0)
    a, b, _ = _files(tmp_path)
    out = {}
    for aside in (False, True):
        d = tmp_path / f"aside-{aside}"
        d.mkdir()
        store = pipeline.init_store(d / "store.db", MANDATE)
        r = pipeline.ingest_into(store, [a, b], d / "q.ndjson", workers=2, indexes_aside=aside)
        # a batch of ~60 lines into an empty store defers its indexes: aside, a child makes them
        assert (store._index_build is not None) is aside
        store.close()
        con = sqlite3.connect(d / "store.db")
        schema = sorted(con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"))
        con.close()
        out[aside] = (r.counts, _tables(d / "store.db"), schema, (d / "q.ndjson").read_bytes())
    assert out[True] == out[False]
    assert any(row[1] == "ix_observations_latlon" for row in out[True][2])


@pytest.mark.parametrize("kept", [100_000, 1])
def test_a_worker_gives_each_place_its_sector_however_often_it_comes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kept: int
) -> None:
    """A worker keeps the sectors of the places it has seen (most reports come
    from a few fixed observers): places repeated within and across ranges, and
    new ones late, get the serial path's sectors; also when it may keep only
    ``kept`` places and forgets the rest."""
    monkeypatch.setattr(ingest_pool, "_PLACES_KEPT", kept)
    places = [(47.0, 35.8), (48.0, 37.5), (49.2, 37.9), (50.5, 30.0)]  # four sectors
    recs = [
        bearing(i, observer={"lat": places[i % 3][0], "lon": places[i % 3][1]}) for i in range(40)
    ]
    recs += [
        bearing(i, observer={"lat": places[i % 4][0], "lon": places[i % 4][1]})
        for i in range(40, 50)
    ]
    recs.insert(10, bearing(7, bearing_deg=1.0))  # a duplicate: not stored
    f = tmp_path / "places.ndjson"
    f.write_bytes(b"\n".join(_line(r) for r in recs) + b"\n")
    monkeypatch.setattr(pipeline, "INGEST_CHUNK", 7)
    monkeypatch.setattr(ingest_pool, "RANGE_BYTES", 900)  # a few records a range
    monkeypatch.setattr(ingest_pool, "MIN_LINES", 0)
    _ingest(tmp_path, "serial", [f], workers=1)
    _ingest(tmp_path, "pooled", [f], workers=2)
    st = _tables(tmp_path / "serial" / "store.db")
    pt = _tables(tmp_path / "pooled" / "store.db")
    assert pt == st
    con = sqlite3.connect(tmp_path / "pooled" / "store.db")
    got = dict(con.execute("SELECT id, sector FROM observations").fetchall())
    con.close()
    assert len(got) == 51  # the earlier batch's b99 and 50 of these
    assert len({got[f"b{i}"] for i in range(40, 44)}) == 4
    assert {got[f"b{i}"] for i in range(0, 40, 3)} == {got["b0"]}


def test_plain_lines_the_models_refuse_are_the_serial_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Compact lines that a worker validates straight from their bytes, and the
    ones among them the models refuse or whose keys repeat: each rejected at
    its line with the serial path's reason. Two lines that are one valid
    array's two elements when joined (a string left open by the first, closed by
    the second) are two rejections, as each alone is."""
    compact = [
        json.dumps(bearing(i, observer={"lat": 48.1, "lon": 37.7}), separators=(",", ":")).encode()
        for i in range(20)
    ]
    head, tail = compact[5][:-1], compact[6]  # the second hides in the first's open string
    lines = [
        *compact[:4],
        json.dumps(bearing(30, observer={"lat": 123.0, "lon": 37.7}), separators=(",", ":")),
        b'{"id":"dup",' + compact[4][1:],  # a key named twice
        head + b',"weapon":"undetermined',
        b'{"},' + tail,
        *compact[7:],
    ]
    data = [x if isinstance(x, bytes) else x.encode() for x in lines]
    assert all(plain_object(x) for x in data)  # every line a worker's bytes
    f = tmp_path / "plain.ndjson"
    f.write_bytes(b"\n".join(data) + b"\n")
    monkeypatch.setattr(pipeline, "INGEST_CHUNK", 7)
    monkeypatch.setattr(ingest_pool, "RANGE_BYTES", 700)
    monkeypatch.setattr(ingest_pool, "MIN_LINES", 0)
    serial = _ingest(tmp_path, "serial", [f], workers=1)
    pooled = _ingest(tmp_path, "pooled", [f], workers=2)
    assert [(r.line, r.reason) for r in pooled.rejected] == [
        (r.line, r.reason) for r in serial.rejected
    ]
    assert [r.line for r in pooled.rejected] == [5, 6, 7, 8]
    assert "observer.lat" in pooled.rejected[0].reason
    assert "appears twice" in pooled.rejected[1].reason
    assert (
        pooled.counts
        == serial.counts
        == {
            "input": 21,
            "accepted": 17,
            "rejected": 4,
            "duplicate": 0,
        }
    )
    s, p = tmp_path / "serial", tmp_path / "pooled"
    assert (p / "q.ndjson").read_bytes() == (s / "q.ndjson").read_bytes()
    assert _tables(p / "store.db") == _tables(s / "store.db")


@pytest.mark.parametrize("range_bytes", [1, 700, 1 << 20])
def test_the_digests_a_batch_gathers_are_its_stored_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, range_bytes: int
) -> None:
    """The digests the workers hash are those the store's read gives for the
    rows the batch stored: not the rejected records, nor the duplicates in a
    chunk, across chunks or of a stored record (``b99``, an earlier batch's,
    is in the store's read only); ranges and chunks cut across each other."""
    a, b, _ = _files(tmp_path)
    monkeypatch.setattr(pipeline, "INGEST_CHUNK", 7)
    monkeypatch.setattr(ingest_pool, "RANGE_BYTES", range_bytes)
    monkeypatch.setattr(ingest_pool, "MIN_LINES", 0)
    store = pipeline.init_store(tmp_path / "store.db", MANDATE)
    old = tmp_path / "old.ndjson"
    old.write_bytes(_line(bearing(99)) + b"\n")
    pipeline.ingest_into(store, [old], workers=1)
    hashed = ingest_pool.StoredDigests()
    r = pipeline.ingest_into(store, [a, b], workers=2, digests=hashed)
    stored = store.observation_digests(-math.inf, math.inf)
    store.close()
    assert len(hashed) == r.counts["accepted"] == 43
    keys, hexes = hashed.take(-math.inf, math.inf, math.inf)
    assert "op-7/b99" in stored
    del stored["op-7/b99"]
    assert len(keys) == len(hexes) == len(set(keys)) == 43
    assert dict(zip(keys, hexes, strict=True)) == stored
    # in the order stored: the first file's records by line, then the second's
    assert keys[:3] == ["op-7/b0", "op-7/b1", "op-7/b2"] and keys[-1] == "op-7/b44"
    assert len(hashed) == 0  # all forgotten (kept from +inf)


def test_digests_taken_by_time_keep_those_the_next_day_needs() -> None:
    """``take`` gives the records of ``[lo, hi)`` by their times, in their
    order, and keeps those at or after ``keep_from`` for the next take; keys
    of any text (a line end in an id) come back as they were given."""
    hashed = ingest_pool.StoredDigests()
    times = [5.0, 1.0, 9.0, 10.0, 3.0, 12.0]
    keys = [f"s{i}/é{i}" * (i + 1) for i in range(6)]  # unequal lengths, not ASCII
    keys[3] = "s3/a\nb"  # a line end: what a chunk's keys are joined by
    digests = [hashlib.sha256(k.encode()).digest() for k in keys]
    # two chunks: all of the first stored, the second's 1st, 2nd and 4th
    hashed.add(keys[:3], array("d", times[:3]), b"".join(digests[:3]), None)
    hashed.add(
        [*keys[3:5], "x/never", keys[5]],
        array("d", [*times[3:5], 7.0, times[5]]),
        b"".join([*digests[3:5], bytes(32), digests[5]]),
        [0, 1, 3],
    )
    assert len(hashed) == 6 and hashed.keys() == keys
    got = hashed.take(3.0, 10.0, 9.0)
    assert got == ([keys[i] for i in (0, 2, 4)], [digests[i].hex() for i in (0, 2, 4)])
    assert hashed.keys() == [keys[2], keys[3], keys[5]]
    got = hashed.take(9.0, 12.5, 12.5)
    assert got == ([keys[2], keys[3], keys[5]], [digests[i].hex() for i in (2, 3, 5)])
    assert len(hashed) == 0 and hashed.keys() == []


def test_spilled_digests_are_let_go_and_come_back_as_they_were() -> None:
    """``spill`` empties the buffers (a fork then holds none of them); the next
    use reads them back: the same keys, times and digests, taken by time as
    ``take`` (hex) and ``take_raw`` (bytes) give them, and more added after."""

    def filled() -> ingest_pool.StoredDigests:
        d = ingest_pool.StoredDigests()
        keys = [f"src-{i % 3}/o{i:05d}" for i in range(300)] + ["s/a\nb"]
        times = array("d", [float((i * 37) % 301) for i in range(301)])
        d.add(keys, times, b"".join(hashlib.sha256(k.encode()).digest() for k in keys), None)
        return d

    kept, spilled = filled(), filled()
    spilled.spill()
    assert spilled.texts == [] and len(spilled.times) == 0 and len(spilled.digests) == 0
    assert len(spilled) == 301 and spilled == kept  # read back by ``len``
    spilled.spill()
    raw = spilled.take_raw(50.0, 200.0, 100.0)
    keys, hexes = kept.take(50.0, 200.0, 100.0)
    assert raw[0] == keys and raw[1] == bytes.fromhex("".join(hexes)) and len(keys) == 150
    spilled.spill()
    more = (["z/1"], array("d", [500.0]), hashlib.sha256(b"z").digest(), None)
    spilled.add(*more)
    kept.add(*more)
    assert spilled == kept and spilled.keys()[-1] == "z/1"
    spilled.spill()
    assert spilled.take(0.0, 1e9, 1e9) == kept.take(0.0, 1e9, 1e9)
    assert len(spilled) == 0
    spilled.spill()  # nothing to spill: nothing written
    assert spilled._spilled is None


def test_a_worker_hashes_only_when_the_digests_are_gathered(tmp_path: Path) -> None:
    """A range's keys and digests are made only for a batch that gathers them
    (``run``'s); each digest is the SHA-256 of its row's body, the stored text."""
    path = tmp_path / "a.ndjson"
    path.write_bytes(b"".join(_line(bearing(i)) + b"\n" for i in range(3)))
    ingest_pool._worker_init(None, None)
    size = path.stat().st_size
    _, plain = ingest_pool._range_items(str(path), 0, size, 1, None)
    assert len(plain.rows) == 3 and plain.keys == [] and plain.digests == b""
    _, hashed = ingest_pool._range_items(str(path), 0, size, 1, None, None, True)
    assert hashed.rows == plain.rows
    assert (
        hashed.keys == [f"{r[0]}/{r[1]}" for r in hashed.rows] == ["op-7/b0", "op-7/b1", "op-7/b2"]
    )
    assert hashed.digests == b"".join(hashlib.sha256(r[-1].encode()).digest() for r in hashed.rows)
