"""The fast path of NDJSON ingest (orjson, pydantic's JSON validation) decides
every record as the strict path does: same value, same acceptance, same reason."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ceasefire.ingest import IngestResult, read_records, validate_records
from ceasefire.ingest.limits import parse_json, parse_line, plain_object


def _bearing(**change: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "id": "b1",
        "source": "op-7",
        "time": "2025-06-01T10:00:03.500+03:00",
        "kind": "bearing",
        "observer": {"lat": 48.1, "lon": 37.7},
        "bearing_deg": 95.0,
        "bearing_sigma_deg": 5.0,
    }
    rec.update(change)
    return rec


def _compact(rec: dict[str, Any]) -> bytes:
    return json.dumps(rec, separators=(",", ":")).encode()


# Lines each written so that the fast path's checks are what stands between it
# and a wrong answer: a repeated key (with and without blanks before its colon),
# a string opening with ':', 41-character and 20-digit numbers, DEL, escapes,
# nesting, blanks around the value.
TRICKY = [
    _compact(_bearing()),
    json.dumps(_bearing()).encode(),  # ", " and ": " separators
    _compact(_bearing()).replace(b'{"id":"b1"', b'{"id":"b1","id":"b9"'),
    _compact(_bearing()).replace(b'{"id":"b1"', b'{"id":"b1","id" :"b9"'),
    _compact(_bearing()).replace(b'{"id":"b1"', b'{"id" :"b1"'),
    _compact(_bearing(id=":b1")),
    _compact(_bearing(id=":b1")).replace(b'"source":"op-7"', b'"source":"op-7","source":"x"'),
    _compact(_bearing()).replace(b"95.0", b"95.00000000000000000000000000000000000001"),
    _compact(_bearing()).replace(b"95.0", b"12345678901234567890"),
    _compact(_bearing(source="op\x7f7")),
    _compact(_bearing(source="op\u00e97")),
    _compact(_bearing(source="op\\u00e97")),
    _compact(_bearing(evidence=[{"uri": "https://e/1", "sha256": "a" * 64}])),
    _compact(_bearing(evidence=[[[[[[[[[[1]]]]]]]]]])),
    _compact(_bearing(bearing_deg=True)),
    _compact(_bearing(bearing_deg="95")),
    _compact(_bearing(bearing_deg=95)),
    _compact(_bearing(extra=1)),
    b" " + _compact(_bearing()),
    _compact(_bearing()) + b" \t",
    _compact(_bearing()) + b" {}",
    _compact(_bearing())[:-1],
]


@pytest.mark.parametrize("line", TRICKY)
def test_parse_line_gives_what_the_strict_decoder_gives(line: bytes) -> None:
    text = line.decode("utf-8")
    try:
        value, end = parse_json(text)
        strict: Any = value if not text[end:].strip() else "error"
    except ValueError:
        strict = "error"
    try:
        fast: Any = parse_line(line)
    except ValueError:
        fast = "error"
    assert fast == strict


def test_the_fast_path_takes_plain_lines_and_leaves_the_rest() -> None:
    assert plain_object(_compact(_bearing()))
    assert plain_object(json.dumps(_bearing()).encode())
    assert not plain_object(b" " + _compact(_bearing()))  # the strict decoder refuses it
    assert not plain_object(_compact(_bearing(source="a\\b")))  # an escape
    assert not plain_object(_compact(_bearing(source="op\x7f7")))  # DEL
    assert not plain_object(_compact(_bearing(id="1234567890123")))  # 13 digits
    assert not plain_object(b'{"id" :"b1"}')  # a blank before a key's colon


@pytest.mark.parametrize("line", TRICKY)
def test_validation_decides_as_the_strict_path(tmp_path: Path, line: bytes) -> None:
    p = tmp_path / "o.ndjson"
    p.write_bytes(line + b"\n")
    slow = validate_records(read_records(p), IngestResult())
    fast = validate_records(read_records(p, plain=True), IngestResult())
    assert [o.model_dump_json() for o in fast.accepted] == [
        o.model_dump_json() for o in slow.accepted
    ]
    assert [(r.line, r.reason, r.raw) for r in fast.rejected] == [
        (r.line, r.reason, r.raw) for r in slow.rejected
    ]


def test_a_repeated_key_is_rejected_on_the_fast_path_too(tmp_path: Path) -> None:
    p = tmp_path / "o.ndjson"
    p.write_bytes(TRICKY[2] + b"\n" + TRICKY[0] + b"\n")
    r = validate_records(read_records(p, plain=True), IngestResult())
    assert [o.id for o in r.accepted] == ["b1"]
    assert [x.line for x in r.rejected] == [1]
    assert "key 'id' appears twice" in r.rejected[0].reason


@pytest.mark.parametrize("enabled", [True, False])
def test_validation_leaves_the_collector_as_it_found_it(tmp_path: Path, enabled: bool) -> None:
    """Validation pauses the cyclic collector for its loop
    (``model.collector.collector_paused``), also when a record fails, and gives it
    back as it was."""
    import gc

    p = tmp_path / "obs.ndjson"
    p.write_bytes(b"\n".join([_compact(_bearing()), b'{"id": 1}', _compact(_bearing(id="b2"))]))
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        res = validate_records(read_records(p, plain=True), IngestResult())
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()
    assert [o.id for o in res.accepted] == ["b1", "b2"] and len(res.rejected) == 1
