"""Hostile and careless input (issue 24's findings, issue 22's ingest items):
every record ends accepted, rejected with a reason, or duplicate; one bad
record never costs the rest of its file; nothing that a database refuses
(a NUL, invalid UTF-8) gets past the readers."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from ceasefire.ingest import IngestResult, ingest_files, write_quarantine
from ceasefire.model.errors import ObservationError

try:
    from ceasefire.model.observation import IntakePolicy
except ImportError:
    IntakePolicy = None
from ceasefire.pipeline import ingest_into
from ceasefire.store import Store

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def bearing(i: int, **change: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "id": f"b{i}",
        "source": "op-7",
        "time": "2025-06-01T10:00:03.500+03:00",
        "kind": "bearing",
        "observer": {"lat": 48.1, "lon": 37.7, "alt_m": 210.0},
        "bearing_deg": 95.0,
        "bearing_sigma_deg": 5.0,
        "range_m": 3000.0,
        "range_sigma_m": 300.0,
    }
    rec.update(change)
    return rec


def _ndjson_bytes(tmp_path: Path, lines: list[bytes], name: str = "o.ndjson") -> Path:
    p = tmp_path / name
    p.write_bytes(b"\n".join(lines) + b"\n")
    return p


def _line(rec: dict[str, Any]) -> bytes:
    return json.dumps(rec).encode()


def _accounted(r: IngestResult) -> None:
    c = r.counts
    assert c["accepted"] + c["rejected"] + c["duplicate"] == c["input"]
    assert all(x.reason for x in r.rejected)


def _sandwich(tmp_path: Path, bad: bytes) -> IngestResult:
    """A bad line between two good ones: the good ones survive, the bad one is
    rejected on its own line number."""
    p = _ndjson_bytes(tmp_path, [_line(bearing(1)), bad, _line(bearing(3))])
    r = ingest_files([p])
    _accounted(r)
    assert [o.id for o in r.accepted] == ["b1", "b3"]
    assert [x.line for x in r.rejected] == [2]
    return r


# ── ingest crashes ────────────────────────────────────────────────────────────
def test_deeply_nested_ndjson_line_is_rejected_not_a_crash(tmp_path: Path) -> None:
    r = _sandwich(tmp_path, b'{"id": "x", "observer": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
    assert "nested" in r.rejected[0].reason


def test_moderately_nested_line_is_rejected_at_the_depth_limit(tmp_path: Path) -> None:
    r = _sandwich(tmp_path, b'{"id": "x", "evidence": ' + b"[" * 20 + b"]" * 20 + b"}")
    assert "nested more than 8 levels" in r.rejected[0].reason


def test_deeply_nested_geojson_feature_costs_only_that_feature(tmp_path: Path) -> None:
    good = json.dumps({"type": "Feature", "geometry": None, "properties": bearing(1)})
    deep = '{"type": "Feature", "properties": {"x": ' + "[" * 50_000 + "]" * 50_000 + "}}"
    good3 = json.dumps({"type": "Feature", "geometry": None, "properties": bearing(3)})
    p = tmp_path / "o.geojson"
    p.write_text(f'{{"type": "FeatureCollection", "features": [{good}, {deep}, {good3}]}}')
    r = ingest_files([p])
    _accounted(r)
    assert [o.id for o in r.accepted] == ["b1", "b3"]
    assert r.rejected[0].line == 2 and "nested" in r.rejected[0].reason


def test_integer_of_5000_digits_is_rejected(tmp_path: Path) -> None:
    r = _sandwich(tmp_path, _line(bearing(2))[:-1] + b', "count": ' + b"9" * 5000 + b"}")
    assert "5000 digits" in r.rejected[0].reason


def test_huge_integer_in_a_geojson_feature_costs_only_that_feature(tmp_path: Path) -> None:
    feats = [
        json.dumps({"type": "Feature", "geometry": None, "properties": bearing(1)}),
        '{"type": "Feature", "geometry": null, "properties": {"id": ' + "7" * 5000 + "}}",
    ]
    p = tmp_path / "o.geojson"
    p.write_text('{"type": "FeatureCollection", "features": [' + ",".join(feats) + "]}")
    r = ingest_files([p])
    assert r.counts == {"input": 2, "accepted": 1, "rejected": 1, "duplicate": 0}
    assert "5000 digits" in r.rejected[0].reason


COLS = ["id", "source", "time", "kind", "observer_lat", "observer_lon", "bearing_deg"]
COLS += ["bearing_sigma_deg"]


def _csv_row(i: int, **change: str) -> list[str]:
    cells = [f"c{i}", "op", "2025-06-01T07:00:00Z", "bearing", "48.1", "37.7", "95", "4"]
    row = dict(zip(COLS, cells, strict=True))
    row.update(change)
    return list(row.values())


def _csv(tmp_path: Path, rows: list[list[str]], name: str = "o.csv") -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLS)
    w.writerows(rows)
    p = tmp_path / name
    p.write_text(buf.getvalue(), encoding="utf-8")
    return p


def test_csv_row_with_extra_cells_is_rejected_with_its_reason(tmp_path: Path) -> None:
    p = _csv(tmp_path, [_csv_row(1), [*_csv_row(2), "surplus"], _csv_row(3)])
    r = ingest_files([p])
    _accounted(r)
    assert [o.id for o in r.accepted] == ["c1", "c3"]
    assert r.rejected[0].line == 3
    assert "9 cells, more than the 8 columns of the header" in r.rejected[0].reason


def test_csv_row_with_missing_cells_is_rejected_not_accepted(tmp_path: Path) -> None:
    p = _csv(tmp_path, [_csv_row(1), _csv_row(2)[:6], _csv_row(3)])
    r = ingest_files([p])
    _accounted(r)
    assert [o.id for o in r.accepted] == ["c1", "c3"]
    assert r.rejected[0].line == 3
    assert "6 cells, fewer than the 8 columns" in r.rejected[0].reason
    assert "bearing_deg" in r.rejected[0].reason


def test_csv_cell_beyond_the_field_limit_costs_only_its_row(tmp_path: Path) -> None:
    p = _csv(tmp_path, [_csv_row(1), _csv_row(2, source="x" * 200_000), _csv_row(3)])
    r = ingest_files([p])
    _accounted(r)
    assert [o.id for o in r.accepted] == ["c1", "c3"]
    assert r.rejected[0].line == 3 and "longer than" in r.rejected[0].reason


def test_binary_csv_is_a_clear_error(tmp_path: Path) -> None:
    p = tmp_path / "o.csv"
    p.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(ObservationError, match=r"o\.csv:1.*binary file"):
        ingest_files([p])


def test_csv_with_no_kind_column_is_a_clear_error(tmp_path: Path) -> None:
    p = tmp_path / "o.csv"
    p.write_text("a,b\n1,2\n")
    with pytest.raises(ObservationError, match="no 'kind' column"):
        ingest_files([p])


# ── NUL and invalid UTF-8 reach no database ───────────────────────────────────
def test_nul_in_a_value_is_rejected_with_its_reason(tmp_path: Path) -> None:
    r = _sandwich(tmp_path, _line(bearing(2, source="op\u00007")))
    assert "field 'source': a NUL character (U+0000)" in r.rejected[0].reason


def test_raw_nul_byte_in_a_csv_cell_is_rejected(tmp_path: Path) -> None:
    p = _csv(tmp_path, [_csv_row(1), _csv_row(2, source="op\x007"), _csv_row(3)])
    r = ingest_files([p])
    assert [o.id for o in r.accepted] == ["c1", "c3"]
    assert "column 'source': a NUL character" in r.rejected[0].reason
    assert "\x00" not in r.rejected[0].raw and "\\x00" in r.rejected[0].raw


def test_invalid_utf8_is_rejected_not_replaced(tmp_path: Path) -> None:
    # two ids that differ only in an invalid byte would both become "b\ufffd"
    a = _line(bearing(0, id="b@")).replace(b"@", b"\xff")
    b = _line(bearing(0, id="b@")).replace(b"@", b"\xfe")
    p = _ndjson_bytes(tmp_path, [_line(bearing(1)), a, b])
    r = ingest_files([p])
    _accounted(r)
    assert r.counts == {"input": 3, "accepted": 1, "rejected": 2, "duplicate": 0}
    assert "invalid UTF-8: byte 0xff" in r.rejected[0].reason
    assert "invalid UTF-8: byte 0xfe" in r.rejected[1].reason
    assert all("\ufffd" not in o.id for o in r.accepted)


def test_invalid_utf8_in_geojson_and_csv_is_rejected(tmp_path: Path) -> None:
    feats = [
        {"type": "Feature", "geometry": None, "properties": bearing(i, id=f"g{i}@")}
        for i in range(3)
    ]
    raw = json.dumps({"type": "FeatureCollection", "features": feats}).encode()
    p = tmp_path / "o.geojson"
    p.write_bytes(raw.replace(b"g1@", b"g1\xc3"))
    r = ingest_files([p])
    assert [o.id for o in r.accepted] == ["g0@", "g2@"]
    assert "invalid UTF-8" in r.rejected[0].reason
    c = _csv(tmp_path, [_csv_row(1), _csv_row(2, id="c2@"), _csv_row(3)])
    c.write_bytes(c.read_bytes().replace(b"c2@", b"c2\xe2\x82"))
    r = ingest_files([c])
    assert [o.id for o in r.accepted] == ["c1", "c3"] and "invalid UTF-8" in r.rejected[0].reason


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        st = Store.create(tmp_path / "s.db")
        yield st
        st.close()
        return
    name = "cf_harden_" + uuid.uuid4().hex[:10]
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"CREATE DATABASE {name}"))
    st = Store.create(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}")
    yield st
    st.close()
    with admin.connect() as c:
        c.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
    admin.dispose()


def test_nul_and_bad_bytes_never_reach_the_store(tmp_path: Path, store: Store) -> None:
    lines = [
        _line(bearing(1)),
        _line(bearing(2, source="op\u00007")),  # escaped NUL in a value
        _line(bearing(3))[:-1] + b', "x\x00": 1}',  # raw NUL byte in a key
        _line(bearing(4, id="b4@")).replace(b"@", b"\xff"),  # invalid UTF-8
        _line(bearing(5, id="b5\udc80")).replace(b"\\udc80", b"\\ud800"),  # lone surrogate
        _line(bearing(6)),
    ]
    p = _ndjson_bytes(tmp_path, lines)
    r = ingest_into(store, [p], tmp_path / "q.ndjson")
    assert r.counts == {"input": 6, "accepted": 2, "rejected": 4, "duplicate": 0}
    assert sorted(store.known_keys()) == [("op-7", "b1"), ("op-7", "b6")]
    q = [json.loads(x) for x in (tmp_path / "q.ndjson").read_text("utf-8").splitlines()]
    assert [x["line"] for x in q] == [2, 3, 4, 5]
    assert "\\xff" in q[2]["raw"] and "surrogate" in q[3]["reason"]


# ── bad values accepted before ────────────────────────────────────────────────
@pytest.mark.parametrize(
    ("change", "expect"),
    [
        ({"time": "90"}, "not ISO 8601"),
        ({"time": 720}, "found a int; expected ISO 8601"),
        ({"time": 1.7e9}, "epoch numbers are not accepted"),
        ({"time": "1970-01-01T00:00:00Z"}, "year 1970 is outside"),
        ({"time": "0001-01-01T00:00:00Z"}, "year 1 is outside"),
        ({"time": "9999-12-31T23:59:59Z"}, "year 9999 is outside"),
        ({"time": "2025-06-01"}, "not ISO 8601"),
        ({"time": "2025-06-01T07:00:00"}, "not ISO 8601"),
        ({"time": "2025-02-30T07:00:00Z"}, "not a valid date"),
        ({"observer": {"lat": 48.1, "lon": 37.7, "alt_m": 1e308}}, "observer.alt_m"),
        ({"observer": {"lat": 48.1, "lon": 37.7, "alt_m": -1e308}}, "observer.alt_m"),
        ({"range_sigma_m": 1e300}, "range_sigma_m"),
        ({"bearing_deg": True}, "field 'bearing_deg': Input should be a valid number"),
        ({"bearing_deg": "95"}, "field 'bearing_deg': Input should be a valid number"),
        ({"observer": {"lat": "48.1", "lon": 37.7}}, "observer.lat"),
        ({"id": 17}, "field 'id': Input should be a valid string"),
        ({"time_sigma_s": False}, "time_sigma_s"),
        ({"evidence": [{"uri": "../../etc/passwd", "sha256": "a" * 64}]}, "not an absolute URI"),
        (
            {"evidence": [{"uri": "javascript:alert(1)", "sha256": "a" * 64}]},
            "scheme 'javascript' is not allowed",
        ),
        ({"evidence": [{"uri": "file:///etc/passwd", "sha256": "a" * 64}]}, "scheme 'file'"),
    ],
)
def test_bad_values_are_rejected(tmp_path: Path, change: dict[str, Any], expect: str) -> None:
    r = _sandwich(tmp_path, _line(bearing(2, **change)))
    assert expect in r.rejected[0].reason


@pytest.mark.parametrize(
    "literal", [b"NaN", b"Infinity", b"-Infinity", b"1e999", b"-1e400", b"1" + b"0" * 60]
)
def test_non_finite_and_overlong_numbers_are_rejected(tmp_path: Path, literal: bytes) -> None:
    line = _line(bearing(2)).replace(b'"alt_m": 210.0', b'"alt_m": ' + literal)
    r = _sandwich(tmp_path, line)
    assert "finite" in r.rejected[0].reason or "at most 40" in r.rejected[0].reason


def test_sighting_count_takes_no_boolean_or_text(tmp_path: Path) -> None:
    s = {
        "id": "s",
        "source": "uav",
        "time": "2025-06-01T07:10:00Z",
        "kind": "sighting",
        "position": {"lat": 48.0, "lon": 37.9},
        "position_sigma_m": 30.0,
        "object": "tank",
    }
    p = _ndjson_bytes(
        tmp_path,
        [_line({**s, "id": f"s{i}", "count": c}) for i, c in enumerate([2, True, "3", 2.0])],
    )
    r = ingest_files([p])
    assert [o.id for o in r.accepted] == ["s0"]
    assert all("field 'count'" in x.reason for x in r.rejected)


def test_evidence_schemes_and_years_follow_the_policy(tmp_path: Path) -> None:
    ev = [{"uri": "s3://mission-evidence/a.jpg", "sha256": "a" * 64}]
    p = _ndjson_bytes(
        tmp_path, [_line(bearing(1, evidence=ev)), _line(bearing(2, time="2014-06-01T00:00:00Z"))]
    )
    assert ingest_files([p]).counts["accepted"] == 1  # s3 refused by default, 2014 taken
    policy = IntakePolicy(years=(2015, 2030), evidence_schemes=("https", "s3"))
    r = ingest_files([p], policy=policy)
    assert [o.id for o in r.accepted] == ["b1"]
    assert "year 2014 is outside the mission's years 2015-2030" in r.rejected[0].reason


def test_duplicate_keys_in_one_object_are_rejected(tmp_path: Path) -> None:
    r = _sandwich(tmp_path, b'{"id": "b2", "id": "b9", "source": "op-7"}')
    assert "key 'id' appears twice" in r.rejected[0].reason


# ── line ends, byte-order marks ───────────────────────────────────────────────
def test_bare_cr_neither_splits_a_record_nor_shifts_line_numbers(tmp_path: Path) -> None:
    lines = [
        _line(bearing(1)),
        _line(bearing(2)).replace(b'"source"', b'\r"source"'),  # CR as whitespace: fine
        _line(bearing(3, source="op\r7")).replace(b"\\r", b"\r"),  # raw CR in a string
        b"garbage",
        _line(bearing(5)) + b"\r",  # CR LF line end
    ]
    p = _ndjson_bytes(tmp_path, lines)
    r = ingest_files([p])
    _accounted(r)
    assert r.counts["input"] == 5
    assert [o.id for o in r.accepted] == ["b1", "b2", "b5"]
    assert [x.line for x in r.rejected] == [3, 4]


@pytest.mark.parametrize("bad", [b"\x0b", b"\x0c", b" \x0c\t"])
def test_a_line_of_other_white_space_is_rejected_not_skipped(tmp_path: Path, bad: bytes) -> None:
    # JSON's white space is space, tab, CR and LF: a line of a vertical tab or form
    # feed is no blank line, and no record may vanish without a reason
    r = _sandwich(tmp_path, bad)
    assert r.counts["input"] == 3
    assert "not JSON" in r.rejected[0].reason


def test_blank_lines_of_json_white_space_are_skipped(tmp_path: Path) -> None:
    p = _ndjson_bytes(tmp_path, [_line(bearing(1)), b"", b" \t\r", _line(bearing(3))])
    r = ingest_files([p])
    assert r.counts["input"] == 2 and [o.id for o in r.accepted] == ["b1", "b3"]


def test_bare_cr_in_a_csv_row_is_rejected_on_its_own_line(tmp_path: Path) -> None:
    p = _csv(tmp_path, [_csv_row(1), _csv_row(2), _csv_row(3), ["garbage"]])
    p.write_bytes(p.read_bytes().replace(b"c2,op", b"c2\r,op"))
    r = ingest_files([p])
    _accounted(r)
    assert [o.id for o in r.accepted] == ["c1", "c3"]
    assert [(x.line, "carriage return" in x.reason) for x in r.rejected] == [
        (3, True),
        (5, False),
    ]


def test_byte_order_mark_is_accepted_in_every_format(tmp_path: Path) -> None:
    bom = b"\xef\xbb\xbf"
    nd = _ndjson_bytes(tmp_path, [bom + _line(bearing(1)), _line(bearing(2))])
    gj = tmp_path / "o.geojson"
    fc = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "geometry": None, "properties": bearing(3)}],
    }
    gj.write_bytes(bom + json.dumps(fc).encode())
    cs = _csv(tmp_path, [_csv_row(4)])
    cs.write_bytes(bom + cs.read_bytes())
    r = ingest_files([nd, gj, cs])
    assert r.counts == {"input": 4, "accepted": 4, "rejected": 0, "duplicate": 0}


def test_oversized_line_is_rejected_and_the_next_line_read(tmp_path: Path) -> None:
    big = _line(bearing(2, source="x" * 300_000))
    r = _sandwich(tmp_path, big)
    assert "a record of 300," in r.rejected[0].reason and "expected at most" in r.rejected[0].reason
    assert len(r.rejected[0].raw) < 2_000


def test_quarantine_of_hostile_records_is_valid_utf8_json(tmp_path: Path) -> None:
    bad = [b"\xff\xfe\x00", b"[" * 5000, _line(bearing(9, source="a\u0000b")), b"\x00" * 10]
    p = _ndjson_bytes(tmp_path, [_line(bearing(1)), *bad])
    r = ingest_files([p])
    q = write_quarantine(tmp_path / "q.ndjson", r)
    rows = [json.loads(x) for x in q.read_bytes().decode("utf-8").splitlines()]
    assert [x["line"] for x in rows] == [2, 3, 4, 5]
    assert all("\x00" not in x["raw"] for x in rows)


def test_a_stray_quote_in_csv_costs_only_its_row(tmp_path: Path) -> None:
    p = _csv(tmp_path, [_csv_row(1), _csv_row(2), _csv_row(3), _csv_row(4)])
    p.write_bytes(p.read_bytes().replace(b"c2,op", b'c2,"op'))
    r = ingest_files([p])
    _accounted(r)
    assert [o.id for o in r.accepted] == ["c1", "c3", "c4"]
    assert r.rejected[0].line == 3 and "quoted cell is not closed" in r.rejected[0].reason


def test_a_geojson_feature_with_unbalanced_brackets_costs_only_itself(tmp_path: Path) -> None:
    feats = [
        json.dumps({"type": "Feature", "geometry": None, "properties": bearing(i)})
        for i in range(1, 5)
    ]
    feats[1] = '{"type": "Feature", "properties": {"id": [[[1, 2}'  # never balance
    p = tmp_path / "o.geojson"
    p.write_text('{"type": "FeatureCollection", "features": [\n' + ",\n".join(feats) + "\n]}\n")
    r = ingest_files([p])
    _accounted(r)
    assert [o.id for o in r.accepted] == ["b1", "b3", "b4"]
    assert [x.line for x in r.rejected] == [2]


def test_pretty_printed_geojson_and_a_broken_feature_in_it(tmp_path: Path) -> None:
    fc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": None, "properties": bearing(i)} for i in range(1, 4)
        ],
    }
    p = tmp_path / "o.geojson"
    p.write_text(json.dumps(fc, indent=2))
    assert ingest_files([p]).counts["accepted"] == 3
    text = p.read_text()
    p.write_text(text.replace('"id": "b2"', '"id": [[["b2"', 1))
    r = ingest_files([p])
    _accounted(r)
    assert [o.id for o in r.accepted] == ["b1", "b3"] and r.rejected[0].line == 2


def test_a_csv_line_of_white_space_is_rejected_not_skipped(tmp_path: Path) -> None:
    # The fuzz test's find: a row cut to one byte then flipped to a tab was
    # dropped as blank (str.strip), and so were lines of NBSP or U+001C.
    p = _csv(tmp_path, [_csv_row(1), _csv_row(2), _csv_row(3)])
    lines = p.read_bytes().split(b"\n")
    lines[2:2] = [b"\t", "\u00a0".encode(), b"\x1c", b""]
    p.write_bytes(b"\n".join(lines))
    r = ingest_files([p])
    _accounted(r)
    assert [o.id for o in r.accepted] == ["c1", "c2", "c3"]
    assert [x.line for x in r.rejected] == [3, 4, 5]  # line 6 is empty: no record
    assert "only spaces or tabs" in r.rejected[0].reason
    assert all("1 cells, fewer than the 8 columns" in x.reason for x in r.rejected[1:])


def _collection(feats: list[str], tail: str = "\n]}\n") -> str:
    return '{"type": "FeatureCollection", "features": [\n' + ",\n".join(feats) + tail


def _features(n: int) -> list[str]:
    return [
        json.dumps({"type": "Feature", "geometry": None, "properties": bearing(i)})
        for i in range(1, n + 1)
    ]


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        ("]", "']' closes the features array, but features follow"),  # array closed early
        ("]}", "']' closes the features array, but features follow"),  # and the collection
        ("}", "expected ',' or ']' after feature 2"),
        ("} x", "expected ',' or ']' after feature 2"),
    ],
)
def test_a_geojson_feature_that_closes_the_collection_early_costs_only_itself(
    tmp_path: Path, damage: str, reason: str
) -> None:
    feats = _features(5)
    feats[1] += damage
    p = tmp_path / "o.geojson"
    p.write_text(_collection(feats))
    r = ingest_files([p])
    _accounted(r)
    assert r.counts["input"] == 5  # one record per feature written
    assert [o.id for o in r.accepted] == ["b1", "b3", "b4", "b5"]
    assert [(x.line, x.file) for x in r.rejected] == [(2, str(p))]
    assert reason in r.rejected[0].reason


@pytest.mark.parametrize("tail", ["\n]", "\n]}}\n", "\n]} trailing\n", "\n", "\n], 7}"])
def test_a_damaged_end_of_a_geojson_collection_is_a_record_not_a_file_error(
    tmp_path: Path, tail: str
) -> None:
    p = tmp_path / "o.geojson"
    p.write_text(_collection(_features(3), tail))
    r = ingest_files([p])
    _accounted(r)
    assert [o.id for o in r.accepted] == ["b1", "b2", "b3"]
    assert [x.line for x in r.rejected] == [4]  # after the last feature, named by line
    assert "after feature 3, at line 5" in r.rejected[0].reason or tail == "\n"


def test_damage_before_the_first_feature_is_still_a_file_error(tmp_path: Path) -> None:
    p = tmp_path / "o.geojson"
    p.write_text(_collection(_features(2)).replace('"features":', '"features"', 1))
    with pytest.raises(ObservationError, match="':'") as exc:
        ingest_files([p])
    assert "o.geojson" in str(exc.value)


def test_a_broken_geojson_feature_moved_off_its_line_costs_only_itself(tmp_path: Path) -> None:
    # The campaign's find: a line break and spaces put into the start of a
    # feature whose brackets never balance; the reader looked for the next
    # feature at the damaged one's indentation, found none, and gave it the
    # rest of the file (4,173 features in one rejected record).
    feats = _features(6)
    feats[2] = '\n   {"type": "Feature", "properties": {"id": [[[1, 2}'
    p = tmp_path / "o.geojson"
    p.write_text(_collection(feats))
    r = ingest_files([p])
    _accounted(r)
    assert [o.id for o in r.accepted] == ["b1", "b2", "b4", "b5", "b6"]
    assert [x.line for x in r.rejected] == [3]
