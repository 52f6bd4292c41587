"""NDJSON read by byte ranges (``readers.ndjson_ranges``, ``read_ndjson_range``):
the same records as one read of the whole file, line numbers included."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from ceasefire.ingest.limits import MAX_RECORD_BYTES
from ceasefire.ingest.readers import RawRecord, ndjson_ranges, read_ndjson_range, read_records

LINES = [
    b'\xef\xbb\xbf{"id": "a", "kind": "bearing"}',  # a byte-order mark on line 1
    b"",
    b'{"id": "b"}\r',  # CR LF
    b'{"id": "c\rd"}',  # a bare CR is no line end
    b"  \t",
    b'{"id": "' + b"x" * (MAX_RECORD_BYTES + 5) + b'"}',  # too long, read away
    b"\xff\xfe not UTF-8",
    b"\x0b",
    b'{"id": "e"}',
    b"[1, 2]",
    b'{"id": "f", "id": "g"}',
]


def _fields(r: RawRecord) -> tuple[object, ...]:
    return (r.file, r.line, r.raw, r.data, r.error, r.end_line, r.json)


@pytest.mark.parametrize("ending", [b"\n", b""])
@pytest.mark.parametrize("size", [1, 17, 64, 1 << 20])
def test_ranges_read_as_the_whole_file(tmp_path: Path, size: int, ending: bytes) -> None:
    p = tmp_path / "o.ndjson"
    data = b"\n".join(LINES) + ending
    p.write_bytes(data)
    ranges = list(ndjson_ranges(p, size))
    # contiguous, covering the file, each a run of whole lines
    assert ranges[0][0] == 0 and ranges[-1][1] == len(data)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))
    assert all(data[b - 1 : b] == b"\n" for _, b in ranges[:-1])
    got: list[RawRecord] = []
    before = 0
    for a, b in ranges:
        records, lines = read_ndjson_range(p, a, b, plain=True)
        assert lines == data[a:b].count(b"\n") + (not data[a:b].endswith(b"\n"))
        for r in records:
            r.line += before
            r.end_line += before
        got += records
        before += lines
    assert before == len(LINES)
    whole = list(read_records(p, plain=True))
    assert [_fields(r) for r in got] == [_fields(r) for r in whole]
    # the blank lines (2, 5) are no records; line 8 (a vertical tab) is one
    assert [r.line for r in whole] == [1, 3, 4, 6, 7, 8, 9, 10, 11]
