"""The framing of ``records.log``: record frames, batch commit frames, and the scanner.

::

    file   = HEADER frame*
    record = "R" uint32be(len) uint32be(crc32(payload)) payload       (9 + len bytes)
    commit = "C" uint64be(size) root[32] uint32be(crc32(preceding 41)) (45 bytes)

One ``append`` writes its records and then one commit frame naming the tree
size and root after the batch, in a single write followed by ``fsync``. A
batch exists only if its commit frame is complete; anything after the last
commit is a torn tail.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field

__all__ = [
    "COMMIT_LEN",
    "HEADER",
    "REC_HEAD",
    "Scan",
    "commit_frame",
    "record_frame",
    "scan",
]

HEADER = b"ceasefire-ledger records v1\n"
REC_TAG = 0x52  # "R"
COMMIT_TAG = 0x43  # "C"
REC_HEAD = 9
COMMIT_LEN = 45
MAX_PAYLOAD = 64 << 20

_rec = struct.Struct(">BII")
_commit = struct.Struct(">BQ32s")
_crc = struct.Struct(">I")


def record_frame(payload: bytes) -> bytes:
    """One record frame."""
    return _rec.pack(REC_TAG, len(payload), zlib.crc32(payload)) + payload


def commit_frame(size: int, root: bytes) -> bytes:
    """The commit frame closing a batch that leaves the tree at ``size`` with ``root``."""
    body = _commit.pack(COMMIT_TAG, size, root)
    return body + _crc.pack(zlib.crc32(body))


@dataclass
class Scan:
    """What a scan of the records file found from some byte offset onward.

    ``offsets``/``payloads`` are the records of complete batches only;
    ``end`` is the byte after the last complete commit (or the start);
    ``problem`` says why the scan stopped before the end of the data, at
    ``problem_offset``; ``pending`` counts records after the last commit.
    """

    start: int
    first_index: int
    offsets: list[int] = field(default_factory=list)
    payloads: list[bytes] = field(default_factory=list)
    commits: list[tuple[int, int, bytes]] = field(default_factory=list)  # offset, size, root
    end: int = 0
    problem: str | None = None
    problem_offset: int = -1
    pending: int = 0


def scan(buf: bytes | memoryview, base: int, first_index: int) -> Scan:
    """Walk frames in ``buf`` (which starts at file offset ``base``; its first record is
    number ``first_index``) and stop at the end or at the first bad frame."""
    out = Scan(start=base, first_index=first_index, end=base)
    mv = memoryview(buf)
    n = len(mv)
    pos = 0
    count = first_index
    pend_off: list[int] = []
    pend_pay: list[bytes] = []
    crc32 = zlib.crc32
    unpack_rec = _rec.unpack_from
    while pos < n:
        tag = mv[pos]
        if tag == REC_TAG:
            if pos + REC_HEAD > n:
                out.problem = "record frame header cut short"
                break
            _, ln, crc = unpack_rec(mv, pos)
            if ln > MAX_PAYLOAD:
                out.problem = f"record frame length {ln} exceeds {MAX_PAYLOAD}"
                break
            end = pos + REC_HEAD + ln
            if end > n:
                out.problem = f"record frame of {ln} bytes cut short at {n - pos - REC_HEAD}"
                break
            payload = bytes(mv[pos + REC_HEAD : end])
            if crc32(payload) != crc:
                out.problem = "record frame checksum does not match its payload"
                break
            pend_off.append(base + pos)
            pend_pay.append(payload)
            count += 1
            pos = end
        elif tag == COMMIT_TAG:
            if pos + COMMIT_LEN > n:
                out.problem = "commit frame cut short"
                break
            body = bytes(mv[pos : pos + COMMIT_LEN - 4])
            (crc,) = _crc.unpack_from(mv, pos + COMMIT_LEN - 4)
            if crc32(body) != crc:
                out.problem = "commit frame checksum does not match"
                break
            _, size, root = _commit.unpack(body)
            if size != count or not pend_off:
                out.problem = (
                    f"commit frame names tree size {size}, but {count} records precede it"
                    if size != count
                    else "commit frame closes an empty batch"
                )
                break
            out.offsets.extend(pend_off)
            out.payloads.extend(pend_pay)
            pend_off, pend_pay = [], []
            out.commits.append((base + pos, size, root))
            pos += COMMIT_LEN
            out.end = base + pos
        else:
            out.problem = f"unknown frame tag 0x{tag:02x}; expected 'R' (record) or 'C' (commit)"
            break
    if out.problem is not None:
        out.problem_offset = base + pos
    out.pending = len(pend_off)
    return out
