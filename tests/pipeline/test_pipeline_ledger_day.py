"""The day's observation digests are split over records of bounded size."""

from __future__ import annotations

import hashlib
import json
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import pytest
from scene import build_scene

from ceasefire import ingest_pool, pipeline
from ceasefire.ingest import ingest_files
from ceasefire.ingest_pool import StoredDigests
from ceasefire.ledger import Ledger
from ceasefire.ledger.canonical import canonical_json
from ceasefire.mandate import Mandate, day_bounds, load_mandate
from ceasefire.pipeline import LATE_MARGIN_S, DayLog, ledger_day
from ceasefire.store import Store


def test_observation_digests_are_chunked_and_complete(
    tmp_path: Path, donbas_mandate_path: Path
) -> None:
    m = load_mandate(donbas_mandate_path)
    expect = build_scene(m, tmp_path / "obs.ndjson")
    obs = ingest_files([tmp_path / "obs.ndjson"]).accepted
    assert len(obs) == expect["accepted"] == 12  # 8 bearings, 3 tank sightings, 1 gun
    led = Ledger.open(tmp_path / "ledger")
    head = ledger_day(led, date(2025, 6, 1), 0.0, obs, [], [], chunk=5)
    recs = [led.record(i) for i in range(led.size)]
    parts = [r for r in recs if r["type"] == "observations"]
    # 12 digests in chunks of 5: 3 records, one digest each for every observation
    assert [len(r["digests"]) for r in parts] == [5, 5, 2]
    assert {r["parts"] for r in parts} == {3} and len({r["day_digest"] for r in parts}) == 1
    merged = {k: v for r in parts for k, v in r["digests"].items()}
    assert len(merged) == 12
    for o in obs:
        assert (
            merged[f"{o.source}/{o.id}"] == hashlib.sha256(o.model_dump_json().encode()).hexdigest()
        )
    assert head["size"] == 3
    # a re-run of the same day appends nothing new
    assert ledger_day(led, date(2025, 6, 1), 0.0, obs, [], [], chunk=5)["size"] == 3


def _day_log_records(
    tmp_path: Path,
    name: str,
    store: Store,
    m: Mandate,
    held: StoredDigests | None,
) -> tuple[list[bytes], str]:
    """The records and root of a ledger a :class:`DayLog` of 2025-06-01 wrote
    (its observations only: no violation, no escalation)."""
    day = date(2025, 6, 1)
    start, end = day_bounds(m, day)
    led = Ledger.open(tmp_path / name)
    log = DayLog(led, store, day, start, end + LATE_MARGIN_S, None if held is None else (held, end))
    for _ in log.ahead:
        pass
    log.close([], end)
    return [led.record_bytes(i) for i in range(led.size)], led.root_hash()


def _pooled(tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch) -> StoredDigests:
    monkeypatch.setattr(ingest_pool, "MIN_LINES", 0)
    monkeypatch.setattr(ingest_pool, "RANGE_BYTES", 1000)  # several ranges
    monkeypatch.setattr(pipeline, "INGEST_CHUNK", 5)
    hashed = StoredDigests()
    pipeline.ingest_into(store, [tmp_path / "obs.ndjson"], workers=2, digests=hashed)
    return hashed


def test_a_day_log_takes_the_ingests_digests_in_place_of_the_stores(
    tmp_path: Path, donbas_mandate_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The day's records from the digests the ingest's workers hashed are those
    the store's read gives (same bytes, same root); the store's bodies are not
    read for them."""
    m = load_mandate(donbas_mandate_path)
    build_scene(m, tmp_path / "obs.ndjson")
    store = pipeline.init_store(tmp_path / "store.db", donbas_mandate_path)
    hashed = _pooled(tmp_path, store, monkeypatch)
    assert len(hashed) == 12
    read = _day_log_records(tmp_path, "read", store, m, None)

    def unread(*_: object) -> dict[str, str]:
        raise AssertionError("the store's bodies were read")

    monkeypatch.setattr(store, "observation_digests", unread)
    taken = _day_log_records(tmp_path, "taken", store, m, hashed)
    store.close()
    assert taken == read
    assert [json.loads(r)["type"] for r in read[0]] == ["observations"]
    assert len(json.loads(read[0][0])["digests"]) == 12
    assert len(hashed) == 0  # none after the day's end: none kept


def test_a_day_log_reads_the_store_when_it_holds_more_of_the_day(
    tmp_path: Path, donbas_mandate_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A record of the day stored by an earlier batch is not among the ingest's
    digests: the counts differ, and the store's read gives every digest."""
    m = load_mandate(donbas_mandate_path)
    build_scene(m, tmp_path / "obs.ndjson")
    lines = (tmp_path / "obs.ndjson").read_bytes().splitlines(keepends=True)
    first = json.loads(lines[0])
    earlier = {**first, "id": first["id"] + "-earlier"}
    (tmp_path / "earlier.ndjson").write_text(json.dumps(earlier) + "\n")
    store = pipeline.init_store(tmp_path / "store.db", donbas_mandate_path)
    pipeline.ingest_into(store, [tmp_path / "earlier.ndjson"], workers=1)
    hashed = _pooled(tmp_path, store, monkeypatch)
    assert len(hashed) == 12
    taken = _day_log_records(tmp_path, "taken", store, m, hashed)
    read = _day_log_records(tmp_path, "read", store, m, None)
    store.close()
    assert taken == read
    digests = json.loads(read[0][0])["digests"]
    assert len(digests) == 13 and f"{earlier['source']}/{earlier['id']}" in digests


@pytest.mark.parametrize(
    "odd",
    [None, 'cam-"q"/o1', "mic/a/b", "mic-é/o2", "cam\\x/o3"],
    ids=["plain", "quote", "two-slashes", "non-ascii", "backslash"],
)
def test_an_ingests_digests_give_the_records_of_the_dict(odd: str | None) -> None:
    """From an ingest's (keys, digest bytes), unsorted, the records are the bytes
    of those made from the dict of the same digests, whether they are written
    by arrays (plain keys) or not (a key that JSON escapes, or not one ``/``)."""
    keys = [f"mic-{k % 7:03d}{'ab'[k % 2]}/o{(k * 7919) % 1000:07d}" for k in range(1000)]
    keys = list(dict.fromkeys(keys))
    if odd is not None:
        keys.insert(17, odd)
    raw = b"".join(hashlib.sha256(k.encode()).digest() for k in keys)
    as_dict = {k: hashlib.sha256(k.encode()).hexdigest() for k in keys}
    day = date(2025, 6, 1)
    got = list(pipeline._observation_records(day, (keys, raw), chunk=64))
    want = list(pipeline._observation_records(day, as_dict, chunk=64))
    assert len(got) == len(want) == -(-len(keys) // 64)
    for g, w in zip(got, want, strict=True):
        assert isinstance(w, dict)
        if isinstance(g, pipeline._Encoded):
            assert odd is None  # only plain keys are written by arrays
            assert (g.id, g.payload, g.weight) == (
                w["id"],
                canonical_json(w),
                1 + len(w["digests"]),
            )
        else:
            assert odd is not None
            assert canonical_json(g) == canonical_json(w)
