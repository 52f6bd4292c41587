"""A part judged where it was fused (``pipeline.judge_part``) carries what the
main process would have made of it: the same store rows, GeoJSON text and
ledger records, whose digests are filled in by the process holding them."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from ceasefire import pipeline
from ceasefire.ledger import Ledger
from ceasefire.ledger.canonical import canonical_json
from ceasefire.model import Violation
from ceasefire.model.errors import LedgerError


def _violation(
    vid: str, notes: tuple[str, ...] = (), oids: tuple[str, ...] = ("obs-2", "obs-1")
) -> Violation:
    return Violation(
        id=vid,
        rule="no-artillery",
        severity="serious",
        kind="artillery",
        time_s=1_748_772_000.25,
        lat=48.1,
        lon=37.9,
        cov_m2=(250_000.0, 160_000.0, -1e-7),
        party="east",
        party_probability=0.8125,
        probabilities={"east": 0.8125, "west": 0.1875},
        event_ids=("ev-1",),
        observation_ids=oids,
        distance_to_line_km=3.5,
        side="west",
        response="notify",
        notes=notes,
    )


def _hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.mark.parametrize(
    "notes",
    [
        (),
        # the key's text inside a string value: escaped there, so not where it is cut
        ('"observation_digests":[]', "ünïcode \\ back"),
    ],
)
def test_encoded_record_is_the_records_canonical_json(notes: tuple[str, ...]) -> None:
    v = _violation("vio-1", notes)
    digests = {_hex("b"), _hex("a"), _hex("c")}
    record = pipeline.ViolationRecord.of(v)
    assert record.id == "vio-1"
    assert record.observation_ids == ("obs-2", "obs-1")
    want = canonical_json(pipeline._violation_record(v, digests))
    assert record.payload({bytes.fromhex(d) for d in digests}) == want
    assert record.payload(set()) == canonical_json(pipeline._violation_record(v, set()))


def test_append_encoded_gives_appends_leaves(tmp_path: Path) -> None:
    records = [{"type": "note", "id": f"r-{i}", "text": "x" * i, "n": i / 3} for i in range(1, 6)]
    plain = Ledger.open(tmp_path / "a")
    plain.append(records[:2])
    plain.append(records[2:])
    encoded = Ledger.open(tmp_path / "b")
    encoded.append_encoded([(str(r["id"]), canonical_json(r)) for r in records[:2]])
    encoded.append_encoded([(str(r["id"]), canonical_json(r)) for r in records[2:]])
    assert (tmp_path / "a" / "records.log").read_bytes() == (
        tmp_path / "b" / "records.log"
    ).read_bytes()
    assert plain.sign_head(1.0).root_hash == encoded.sign_head(1.0).root_hash
    # a re-run of the same batch adds nothing; a repeated id within a batch is refused
    assert encoded.append_encoded([("r-1", canonical_json(records[0]))]) == [0]
    with pytest.raises(LedgerError, match="repeats record 0"):
        encoded.append_encoded([("r-9", b"{}"), ("r-9", b"{}")])


def test_a_day_logs_encoded_records_are_its_records_with_their_digests(tmp_path: Path) -> None:
    """A part's records, their digests looked up and written at once, are the
    records :func:`pipeline._violation_record` makes with each violation's digests
    from a plain dict: ids held twice (two sources), an id given twice, an id not
    held, a violation with no id held."""
    held = ["a", "b", "c", "b", "d"]  # "b" of two sources
    digests = [hashlib.sha256(f"{o}{k}".encode()).digest() for k, o in enumerate(held)]
    found = [
        _violation("vio-1", oids=("c", "a")),
        _violation("vio-2", oids=("b", "x", "b")),
        _violation("vio-3", oids=("zz",)),
        _violation("vio-4", oids=("d", "c", "a", "b")),
    ]
    by_id: dict[str, set[str]] = {}
    for o, d in zip(held, digests, strict=True):
        by_id.setdefault(o, set()).add(d.hex())
    want = [
        canonical_json(
            pipeline._violation_record(v, {d for o in v.observation_ids for d in by_id.get(o, ())})
        )
        for v in found
    ]
    log = pipeline.DayLog.__new__(pipeline.DayLog)
    log.ledger = Ledger.open(tmp_path / "ledger")
    log._batches = pipeline._LedgerBatches(log.ledger)
    log._index = pipeline.DigestIndex(held, b"".join(digests))
    log.ahead = iter(())
    records = [pipeline.ViolationRecord.of(v) for v in found]
    encoded = list(log._encoded(records))
    assert [e.payload for e in encoded] == want
    assert [e.id for e in encoded] == ["vio-1", "vio-2", "vio-3", "vio-4"]
    # a record weighs its distinct digests, and one
    assert [e.weight for e in encoded] == [3, 3, 1, 6]
