"""The typed index: the leaf indices of the intervention records (``type``
starting ``intervention-``), so that listing them reads those records only.

``DIR/typed.bin`` (derived from ``records.log``, like ``index.bin``)::

    bytes 0-7   uint64be  records covered: the index is complete below this leaf
    then        uint64be  leaf index of each intervention record, ascending

A writer extends it with each batch it appends (an fsync only when the batch
holds an intervention, before the count moves past it), and brings a lagging or
missing file up to date when it opens the ledger. A count that lags after a crash
is safe (the records after it are scanned again); an index that disagrees with
its records is refused and rebuilt. Candidates are found by the marker below in
the records' canonical bytes (RFC 8785 writes ``"type":"intervention-`` for a
top-level type of that prefix) and confirmed by parsing the record.
"""

from __future__ import annotations

import bisect
import itertools
import mmap
import os
import struct
from collections.abc import Sequence
from typing import Any

__all__ = ["MARKER", "NAME", "PREFIX", "is_typed", "marked", "read_index", "write_index"]

NAME = "typed.bin"
PREFIX = "intervention-"
MARKER = b'"type":"' + PREFIX.encode()

_u64 = struct.Struct(">Q")


def is_typed(record: dict[str, Any]) -> bool:
    """True for a record the index lists."""
    return str(record.get("type", "")).startswith(PREFIX)


def marked(buf: bytes | mmap.mmap, offsets: Sequence[int], base: int) -> list[int]:
    """Positions ``k`` (into ``offsets``) of the records in ``buf`` that hold the
    marker: ``buf[0]`` lies at file offset ``base``, record ``k`` starts at
    ``offsets[k]`` (ascending) and ends where the next one starts (or at the end)."""
    out: list[int] = []
    pos = buf.find(MARKER)
    while pos >= 0:
        k = bisect.bisect_right(offsets, base + pos) - 1
        if k >= 0:
            out.append(k)
        if k + 1 >= len(offsets):
            break
        pos = buf.find(MARKER, offsets[k + 1] - base)
    return out


def read_index(fd: int) -> tuple[int, list[int]] | None:
    """``(covered, leaf indices)`` from an open ``typed.bin``; None when it is
    empty or not well formed (entries not ascending, or at or past ``covered``)."""
    size = os.fstat(fd).st_size
    if size < 8 or size % 8:
        return None
    raw = os.pread(fd, size, 0)
    covered = _u64.unpack_from(raw, 0)[0]
    entries = [_u64.unpack_from(raw, 8 * k)[0] for k in range(1, size // 8)]
    # entries at or past ``covered`` were written by an append whose count did not
    # follow (a crash in between): the records past ``covered`` are scanned again
    entries = [e for e in entries if e < covered]
    if any(b <= a for a, b in itertools.pairwise(entries)):
        return None
    return covered, entries


def write_index(fd: int, covered: int, entries: Sequence[int], keep: int) -> None:
    """Make the file say ``covered`` and ``entries``, of which the first ``keep``
    are already there: the new entries are written and made durable before the
    count (a count past an entry not on disk would hide that entry)."""
    new = entries[keep:]
    if new:
        os.pwrite(fd, b"".join(_u64.pack(e) for e in new), 8 + 8 * keep)
    os.ftruncate(fd, 8 + 8 * len(entries))
    if new:
        os.fsync(fd)
    os.pwrite(fd, _u64.pack(covered), 0)
