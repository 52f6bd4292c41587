"""Property tests: mutated NDJSON, CSV and GeoJSON never crash a reader, and
every record is accounted for (accepted, rejected with a reason, or duplicate).

Budget: a bounded number of examples per format (``FUZZ_EXAMPLES``) so that
``make test`` stays fast; ``benchmarks/fuzz_campaign.py`` runs a million lines.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ceasefire.ingest import IngestResult, ingest_files, write_quarantine
from ceasefire.model.errors import ObservationError

FUZZ_EXAMPLES = 120
FUZZ = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

BASE: list[dict[str, Any]] = [
    {
        "id": "b1",
        "source": "op-7",
        "time": "2025-06-01T10:00:03.500+03:00",
        "kind": "bearing",
        "observer": {"lat": 48.1, "lon": 37.7, "alt_m": 210.0},
        "bearing_deg": 95.0,
        "bearing_sigma_deg": 5.0,
        "range_m": 3000.0,
        "range_sigma_m": 300.0,
        "weapon": "artillery",
        "evidence": [{"uri": "https://e.example/1.jpg", "sha256": "a" * 64}],
    },
    {
        "id": "a1",
        "source": "array-2",
        "time": "2025-06-01T07:00:01.234567Z",
        "kind": "arrival",
        "observer": {"lat": 48.2, "lon": 37.8},
        "time_sigma_s": 0.002,
    },
    {
        "id": "s1",
        "source": "uav-3",
        "time": "2025-06-01T07:10:00Z",
        "kind": "sighting",
        "position": {"lat": 48.0, "lon": 37.9},
        "position_sigma_m": 30.0,
        "object": "tank",
        "count": 2,
        "party": "RU",
    },
]

#: Byte strings that have broken readers before, or that databases refuse.
NASTY = [
    b"\x00",
    b"\xff",
    b"\xc3",
    b"\r",
    b"\n",
    b"\xef\xbb\xbf",
    b'"',
    b",",
    b"[" * 2000,
    b"{",
    b"9" * 5000,
    b"NaN",
    b"1e999",
    b"\\u0000",
    b"\\ud800",
    b"true",
    b"../../etc/passwd",
    b"javascript:",
    b"\xed\xa0\x80",
]

mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 10_000), st.integers(0, 255)),
    st.tuples(st.just("insert"), st.integers(0, 10_000), st.sampled_from(NASTY)),
    st.tuples(st.just("insert"), st.integers(0, 10_000), st.binary(min_size=1, max_size=8)),
    st.tuples(st.just("delete"), st.integers(0, 10_000), st.integers(1, 40)),
    st.tuples(st.just("truncate"), st.integers(0, 10_000), st.just(0)),
)


def _mutate(data: bytes, ops: list[tuple[str, int, Any]]) -> bytes:
    b = bytearray(data)
    for kind, at, arg in ops:
        i = at % (len(b) + 1)
        if kind == "flip" and b:
            b[min(i, len(b) - 1)] = arg
        elif kind == "insert":
            b[i:i] = arg
        elif kind == "delete":
            del b[i : i + arg]
        elif kind == "truncate":
            del b[i:]
    return bytes(b)


def _check(result: IngestResult, tmp: Path) -> None:
    c = result.counts
    assert c["accepted"] + c["rejected"] + c["duplicate"] == c["input"]
    for r in result.rejected:
        assert isinstance(r.reason, str) and r.reason.strip()
        assert "\x00" not in r.raw
    q = write_quarantine(tmp / "q.ndjson", result)
    # NDJSON lines end at "\n" only: str.splitlines would also cut at U+0085 or
    # U+2028, which a quarantined record's raw text may hold unescaped
    for line in q.read_bytes().decode("utf-8").split("\n")[:-1]:
        assert json.loads(line)["reason"]
    for o in result.accepted:  # what is accepted re-validates from its own JSON
        type(o).model_validate_json(o.model_dump_json())


def _lines(records: list[dict[str, Any]]) -> list[bytes]:
    return [json.dumps(r).encode() for r in records]


records = st.lists(st.sampled_from(BASE), min_size=1, max_size=6).map(
    lambda rs: [{**r, "id": f"{r['id']}-{i}"} for i, r in enumerate(rs)]
)


@FUZZ
@given(records, st.lists(st.tuples(st.integers(0, 5), st.lists(mutation, max_size=4)), max_size=6))
def test_mutated_ndjson_lines_are_each_accounted_for(
    recs: list[dict[str, Any]], muts: list[tuple[int, list[tuple[str, int, Any]]]]
) -> None:
    lines = _lines(recs)
    for which, ops in muts:
        i = which % len(lines)
        lines[i] = _mutate(lines[i], ops)
    data = b"\n".join(lines) + b"\n"
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "o.ndjson"
        p.write_bytes(data)
        result = ingest_files([p])
        _check(result, Path(d))
    # an independent count: the non-blank LF-separated lines (BOM and CR LF aside)
    physical = data.split(b"\n")[:-1]
    if physical and physical[0].startswith(b"\xef\xbb\xbf"):
        physical[0] = physical[0][3:]
    expect = [
        n
        for n, ln in enumerate(physical, start=1)
        if (ln[:-1] if ln.endswith(b"\r") else ln).strip()
    ]
    got = sorted(
        [r.line for r in result.rejected]
        + [x.line for x in result.duplicates]
        + [a[1] for a in result.accepted_from]
    )
    assert got == expect


@FUZZ
@given(records, st.lists(st.tuples(st.integers(0, 5), st.lists(mutation, max_size=4)), max_size=6))
# found by this test: a row cut to one byte and that byte flipped to a tab, a
# line of white space that the reader skipped as blank
@example([{**BASE[0], "id": "b1-0"}], [(0, [("truncate", 1, 0), ("flip", 0, 9)])])
def test_mutated_csv_rows_are_each_accounted_for(
    recs: list[dict[str, Any]], muts: list[tuple[int, list[tuple[str, int, Any]]]]
) -> None:
    cols = sorted({k for r in BASE for k in _flat(r)})
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for r in recs:
        flat = _flat(r)
        w.writerow([flat.get(c, "") for c in cols])
    rows = [ln.encode() for ln in buf.getvalue().splitlines()]
    for which, ops in muts:
        i = which % len(rows)
        rows[i] = _mutate(rows[i], ops)
    data = (",".join(cols) + "\n").encode() + b"\n".join(rows) + b"\n"
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "o.csv"
        p.write_bytes(data)
        result = ingest_files([p])
        _check(result, Path(d))
    # every non-blank physical line after the header is covered by exactly one record
    spans = [(r.line, r.end_line) for r in result.rejected] + [
        (a[1], a[2]) for a in result.accepted_from
    ]
    spans += [(x.line, x.end_line) for x in result.duplicates]
    covered = sorted(n for lo, hi in spans for n in range(lo, hi + 1))
    assert len(covered) == len(set(covered))
    physical = data.split(b"\n")[:-1]
    nonblank = {n for n, ln in enumerate(physical, start=1) if n > 1 and ln.strip(b"\r")}
    assert nonblank <= set(covered)


def _flat(r: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in r.items():
        if isinstance(v, dict):
            for kk, vv in v.items():
                out[f"{k}_{kk}"] = str(vv)
        elif isinstance(v, list):
            out[k] = json.dumps(v)
        else:
            out[k] = str(v)
    return out


@FUZZ
@given(records, st.lists(st.tuples(st.integers(0, 5), st.lists(mutation, max_size=3)), max_size=4))
def test_mutated_geojson_features_never_crash_the_reader(
    recs: list[dict[str, Any]], muts: list[tuple[int, list[tuple[str, int, Any]]]]
) -> None:
    feats = [
        json.dumps({"type": "Feature", "geometry": None, "properties": r}).encode() for r in recs
    ]
    for which, ops in muts:
        i = which % len(feats)
        feats[i] = _mutate(feats[i], ops)
    data = b'{"type": "FeatureCollection", "features": [' + b",\n".join(feats) + b"]}"
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "o.geojson"
        p.write_bytes(data)
        try:
            result = ingest_files([p])
        except ObservationError as exc:  # the collection broken before its first feature
            assert "o.geojson" in str(exc)
            assert 0 in {i % len(feats) for i, ops in muts if ops}
            return
        _check(result, Path(d))
    numbers = sorted(
        [r.line for r in result.rejected]
        + [x.line for x in result.duplicates]
        + [a[1] for a in result.accepted_from]
    )
    assert numbers == list(range(1, len(numbers) + 1))  # features in order, none skipped
    untouched = {i % len(feats) for i, ops in muts if ops}
    assert len(numbers) >= 1 or untouched
