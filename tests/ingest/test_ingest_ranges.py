"""NDJSON read by byte ranges (``readers.ndjson_ranges``, ``read_ndjson_range``):
the same records as one read of the whole file, line numbers included."""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import pytest

from ceasefire.ingest import readers
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


def test_ranges_read_a_line_at_a_time_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A range longer than ``WHOLE_RANGE_BYTES`` is read by lines, not at once:
    the same records and line counts."""
    p = tmp_path / "o.ndjson"
    data = b"\n".join(LINES)
    p.write_bytes(data)
    ranges = list(ndjson_ranges(p, 17))
    at_once = [read_ndjson_range(p, a, b, plain=True) for a, b in ranges]
    monkeypatch.setattr(readers, "WHOLE_RANGE_BYTES", 0)
    by_lines = [read_ndjson_range(p, a, b, plain=True) for a, b in ranges]
    assert [([_fields(r) for r in rs], n) for rs, n in by_lines] == [
        ([_fields(r) for r in rs], n) for rs, n in at_once
    ]


EDGES = [
    b"x" * MAX_RECORD_BYTES,  # the longest line kept whole
    b"y" * (MAX_RECORD_BYTES - 1) + b"\r",
    b"z" * (MAX_RECORD_BYTES + 1),  # cut, with its line end in the first read
    b"w" * (MAX_RECORD_BYTES + 2),
    b"\xef\xbb\xbf" + b"v" * MAX_RECORD_BYTES,
    b"\r",
    b"",
]


@pytest.mark.parametrize("first", range(len(EDGES)))
@pytest.mark.parametrize("last", range(len(EDGES)))
@pytest.mark.parametrize("ending", [b"\n", b"\r\n", b""])
def test_split_lines_are_the_line_reader(first: int, last: int, ending: bytes) -> None:
    """The lines of bytes held in memory are those ``readline`` finds, long
    lines, byte-order marks and CRs included, with or without a last LF."""
    data = EDGES[first] + b"\n" + b"\n".join(EDGES) + b"\n" + EDGES[last] + ending
    for bom in (True, False):
        assert list(readers._split_lines(data, bom)) == list(readers._lines(io.BytesIO(data), bom))


def _plain(size: int) -> bytes:
    """A plain line (``limits.plain_object``) of ``size`` bytes."""
    return b'{"id":"' + b"p" * (size - 9) + b'"}'


PLAIN = [
    b'{"id":"a","kind":"arrival"}',
    _plain(MAX_RECORD_BYTES - 1),  # the longest plain line taken as bytes
    _plain(MAX_RECORD_BYTES),  # with its LF one byte too long: rejected
    b'{"id":"b"}\r',  # CR LF: the slow path strips the CR
    b'{"id":"\xc3\xa9"}',  # plain but not ASCII
    b'{"id": "c" }',  # a quote followed by a blank: not plain
    b'{"id":"d","id":"e"}',  # plain: the validator counts the keys
]
#: The lines of ``PLAIN`` and ``LINES`` that are plain ASCII lines (from 1).
PLAIN_AT, LINES_AT = [1, 2, 7], [9, 11]


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
@pytest.mark.parametrize("last", [b"", _plain(40), _plain(MAX_RECORD_BYTES)])
@pytest.mark.parametrize("whole", [True, False])
def test_plain_items_are_the_range_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bom: bytes, last: bytes, whole: bool
) -> None:
    """``iter_ndjson_plain``: each plain ASCII line as its bytes, whose
    ``plain_record`` is the record ``iter_ndjson_range`` reads; every other
    line's record as it reads it; the same line counts (read at once, and by
    lines for a range longer than ``WHOLE_RANGE_BYTES``)."""
    p = tmp_path / "o.ndjson"
    data = bom + b"\n".join([*PLAIN, *LINES, *PLAIN]) + b"\n" + last
    p.write_bytes(data)
    if not whole:
        monkeypatch.setattr(readers, "WHOLE_RANGE_BYTES", 0)
    for size in (1, 100, 1 << 22):
        for a, b in ndjson_ranges(p, size):
            items, n = readers.iter_ndjson_plain(p, a, b)
            records, lines = readers.iter_ndjson_range(p, a, b, plain=True)
            got = list(items)
            assert n == lines
            assert [
                _fields(readers.plain_record(str(p), i, x) if isinstance(x, bytes) else x)
                for i, x in got
            ] == [_fields(r) for r in records]
            assert all(x.line == i for i, x in got if not isinstance(x, bytes))
    # which lines came as bytes (one range: the file at once)
    items, _ = readers.iter_ndjson_plain(p, 0, len(data))
    as_bytes = [i for i, x in items if isinstance(x, bytes)]
    k = len(PLAIN) + len(LINES)
    expect = [*PLAIN_AT, *(len(PLAIN) + i for i in LINES_AT), *(k + i for i in PLAIN_AT)]
    expect = expect if whole else []
    if bom:  # line 1 holds the mark: not ASCII
        expect = [i for i in expect if i != 1]
    assert as_bytes == expect
