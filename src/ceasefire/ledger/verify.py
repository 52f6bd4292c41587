"""Whole-log verification: recompute every leaf, node, index entry and root; check every head.

Nothing stored is trusted: the records file is parsed frame by frame, every
leaf hash and interior node is recomputed and compared with ``nodes.bin``,
the offsets and id digests with ``index.bin`` and ``ids.bin``, every commit
frame's root with the recomputed tree, and every signed head's root and
Ed25519 signature with the trusted public key. The first difference raises
VerificationError naming the file, the record index or byte offset, what
was found and what was expected.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import mmap
import multiprocessing
import os
import struct
import time
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ceasefire.ledger import frames
from ceasefire.ledger.canonical import canonical_json
from ceasefire.ledger.checkpoint import origin_for, parse_checkpoint
from ceasefire.ledger.heads import verify_head
from ceasefire.ledger.kept import KeptHead, check_kept
from ceasefire.ledger.keys import PUBLIC_KEY_NAME, key_id, load_public_key
from ceasefire.ledger.merkle import levels_of, next_level, subtree_from_levels
from ceasefire.ledger.nodes import HASH, entries_for
from ceasefire.ledger.report import VerifyReport
from ceasefire.ledger.typed import NAME as TYPED
from ceasefire.ledger.typed import is_typed, marked, read_index
from ceasefire.model.errors import VerificationError

if TYPE_CHECKING:
    from ceasefire.ledger.log import Ledger

__all__ = ["postorder", "verify_ledger"]


def postorder(levels: list[bytes], n: int) -> np.ndarray:
    """The ``(entries, 32)`` post-order node array that ``nodes.bin`` must hold."""
    out = np.zeros((entries_for(n), HASH), dtype=np.uint8)
    for k, level in enumerate(levels):
        count = len(level) // HASH
        if count == 0:
            continue
        e = ((np.arange(count, dtype=np.int64) + 1) << k) - 1
        pos = 2 * e - np.bitwise_count(e).astype(np.int64) + k
        out[pos] = np.frombuffer(level, dtype=np.uint8).reshape(count, HASH)
    return out


def _position_to_node(pos: int, n: int) -> tuple[int, int]:
    from ceasefire.ledger.nodes import node_position

    for k in range(max(n.bit_length(), 1)):
        lo, hi = 0, (n >> k)
        while lo < hi:
            mid = (lo + hi) // 2
            if node_position(k, mid) < pos:
                lo = mid + 1
            else:
                hi = mid
        if lo < (n >> k) and node_position(k, lo) == pos:
            return k, lo
    return -1, -1


def _first_diff(a: bytes, b: bytes, width: int) -> int:
    m = min(len(a), len(b))
    x = np.frombuffer(a[: m - m % width], dtype=np.uint8).reshape(-1, width)
    y = np.frombuffer(b[: m - m % width], dtype=np.uint8).reshape(-1, width)
    bad = np.flatnonzero((x != y).any(axis=1))
    return int(bad[0]) if len(bad) else m // width


def verify_ledger(
    led: Ledger,
    public_key_pem: bytes | None = None,
    *,
    deep: bool = False,
    kept: Sequence[KeptHead] = (),
) -> VerifyReport:
    """Verify the whole ledger; VerificationError on the first difference.

    ``public_key_pem`` is the key the verifier trusts (published by the
    mission); without it the ledger's own ``mission.pub.pem`` is used and
    the report says so. ``deep`` also checks that every record is stored in
    its canonical form. ``kept`` are heads a party kept from earlier
    (see ``kept``): the log must extend each of them.
    """
    t0 = time.perf_counter()
    notes: list[str] = []
    if public_key_pem is not None:
        trusted = load_public_key(public_key_pem)
        source = "the key given"
        if key_id(trusted) != led.key_id:
            raise VerificationError(
                f"{led.path / 'ledger.json'}: the ledger was created for key "
                f"{led.key_id[:16]}…, but the key given is {key_id(trusted)[:16]}…; "
                "expected the mission key (wrong key, or a re-keyed ledger)"
            )
    else:
        trusted = led.public_key
        source = f"the ledger's own {PUBLIC_KEY_NAME}"
        notes.append(
            f"checked against the ledger's own public key (key id {led.key_id}); compare it "
            "with the key the mission published, or pass that key"
        )
    with led._locked(exclusive=False):
        led._refresh()
        fds = led._fds
        size = os.fstat(fds["records.log"]).st_size
        with mmap.mmap(fds["records.log"], size, prot=mmap.PROT_READ) as mm:
            offsets, levels, idd, commits = _scan_records(
                mm, size, deep, str(led.path / "records.log"), fds["index.bin"]
            )
            _check_unique(idd, lambda i: _id_at(mm, offsets[i]))
        n = len(offsets)
        if n != led._n:
            raise VerificationError(
                f"records.log: {n} committed records found; the ledger opened with {led._n}"
            )
        _compare(
            fds["index.bin"],
            np.asarray(offsets, dtype=">u8").tobytes(),
            8,
            "index.bin",
            "byte offset of record",
        )
        _compare(fds["ids.bin"], bytes(idd), 8, "ids.bin", "id digest of record")
        typed_fd = led._typed_fd()
        if typed_fd is not None:
            with mmap.mmap(fds["records.log"], size, prot=mmap.PROT_READ) as mm:
                _check_typed(typed_fd, mm, offsets, led.path)
        expected_nodes = postorder(levels, n).tobytes()
        stored = os.pread(fds["nodes.bin"], len(expected_nodes) + 1, 0)
        if stored != expected_nodes:
            i = _first_diff(stored, expected_nodes, HASH)
            k, j = _position_to_node(i, n)
            what = f"leaf hash of record {j}" if k == 0 else f"node (level {k}, index {j})"
            if len(stored) != len(expected_nodes) and i * HASH >= min(
                len(stored), len(expected_nodes)
            ):
                raise VerificationError(
                    f"nodes.bin: {len(stored)} bytes; expected {len(expected_nodes)} for "
                    f"{n} records"
                )
            raise VerificationError(
                f"nodes.bin: {what} at byte offset {i * HASH} is "
                f"{stored[i * HASH : i * HASH + HASH].hex()[:16]}…; the records give "
                f"{expected_nodes[i * HASH : i * HASH + HASH].hex()[:16]}…"
            )
        for off, csize, root in commits:
            want = subtree_from_levels(levels, 0, csize)
            if root != want:
                raise VerificationError(
                    f"records.log: commit frame at byte offset {off} names root "
                    f"{root.hex()[:16]}… for size {csize}; the records give {want.hex()[:16]}…"
                )
        heads = list(led._heads)
        prev = 0
        for number, head in enumerate(heads, start=1):
            where = f"heads.ndjson line {number} (size {head.size}, time {head.time})"
            if head.size > n:
                raise VerificationError(f"{where}: signs {head.size} records; the log holds {n}")
            if head.size < prev:
                raise VerificationError(
                    f"{where}: size {head.size} is smaller than the head before it ({prev}); "
                    "expected sizes that never shrink"
                )
            prev = head.size
            want_hex = subtree_from_levels(levels, 0, head.size).hex()
            if head.root_hash != want_hex:
                raise VerificationError(
                    f"{where}: root {head.root_hash[:16]}…, but the first {head.size} records "
                    f"give {want_hex[:16]}…; the log or the head was altered"
                )
            verify_head(head, trusted, where)
        _check_checkpoint_file(led, trusted, heads)
        for kh in kept:
            check_kept(kh, trusted, heads, n, lambda m: subtree_from_levels(levels, 0, m).hex())
        if kept:
            notes.append(f"the log extends the {len(kept)} head(s) kept by the verifier")
        times = [h.timestamp_ms for h in heads]
        if any(b < a for a, b in itertools.pairwise(times)):
            notes.append("some heads carry an earlier time than the head before them (re-runs)")
        root_hex = subtree_from_levels(levels, 0, n).hex()
        signed = max((h.size for h in heads), default=0)
        if n > signed:
            notes.append(f"{n - signed} records after the last signed head are not yet signed")
    return VerifyReport(
        size=n,
        root_hash=root_hex,
        records_bytes=size,
        commits=len(commits),
        heads=len(heads),
        latest_head=heads[-1] if heads else None,
        key_id=key_id(trusted),
        key_source=source,
        unsigned_records=n - signed,
        elapsed_s=time.perf_counter() - t0,
        notes=notes,
    )


def _check_checkpoint_file(led: Ledger, trusted: Any, heads: list[Any]) -> None:
    """``DIR/checkpoint``, when present, is a checkpoint of one of the signed heads."""
    path = led.path / "checkpoint"
    if not path.exists():
        return
    try:
        note = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise VerificationError(f"{path}: cannot read ({exc})") from exc
    size, root = parse_checkpoint(note, trusted, origin_for(key_id(trusted)), str(path))
    if not any((h.size, h.root_hash) == (size, root.hex()) for h in heads):
        raise VerificationError(
            f"{path}: checkpoint of size {size} matches no signed head in heads.ndjson; "
            "a signed head was removed (or the checkpoint replaced)"
        )


def _compare(fd: int, expected: bytes, width: int, name: str, what: str) -> None:
    stored = os.pread(fd, len(expected) + 1, 0)
    if stored == expected:
        return
    i = _first_diff(stored, expected, width)
    if i * width >= min(len(stored), len(expected)):
        raise VerificationError(
            f"{name}: {len(stored)} bytes; expected {len(expected)} ({len(expected) // width} "
            "records)"
        )
    raise VerificationError(
        f"{name}: {what} {i} at byte offset {i * width} is "
        f"{stored[i * width : (i + 1) * width].hex()}; the records give "
        f"{expected[i * width : (i + 1) * width].hex()}"
    )


def _check_unique(idd: bytearray, id_at: Callable[[int], str]) -> None:
    arr = np.frombuffer(bytes(idd), dtype="<u8")
    if len(arr) < 2:
        return
    order = np.argsort(arr, kind="stable")
    s = arr[order]
    dup = np.flatnonzero(s[1:] == s[:-1])
    for d in dup.tolist():
        a, b = int(order[d]), int(order[d + 1])
        if id_at(a) == id_at(b):
            raise VerificationError(
                f"records.log: record {b} repeats the id {id_at(a)!r} of record {a}; "
                "expected unique ids"
            )


_rec = struct.Struct(">BII")
_commit = struct.Struct(">BQ32sI")

#: Below this many records hashing stays in this process.
PARALLEL_MIN = 50_000


def _scan_records(
    mm: mmap.mmap, size: int, deep: bool, path: str, index_fd: int | None = None
) -> tuple[list[int], list[bytes], bytearray, list[tuple[int, int, bytes]]]:
    """Parse every frame; recompute leaf hashes, id digests and every tree level.

    Large logs are cut into aligned power-of-two ranges hashed on every core;
    each worker also builds its range's subtrees, the parent the levels above.
    ``index_fd`` (``index.bin``) only speeds up the frame walk: its offsets are
    checked against the frames, and the frame-by-frame walk decides when they
    do not describe the file.
    """
    found = _frames_by_index(mm, size, index_fd) if index_fd is not None else None
    offsets, commits = found if found is not None else _frames(mm, size)
    n = len(offsets)
    workers = min(os.cpu_count() or 1, 8)
    if n < PARALLEL_MIN or workers < 2:
        err, leaves, idd = _hash_records(mm, offsets, 0, n, deep)
        if err:
            raise VerificationError(err)
        return offsets, levels_of(bytes(leaves)), idd, commits
    global _WORK
    _WORK = (path, offsets, deep)
    step = 1 << max((-(-n // (workers * 4))).bit_length() - 1, 0)
    ranges = [(lo, min(lo + step, n)) for lo in range(0, n, step)]
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            parts = pool.starmap(_hash_range, ranges)
    finally:
        _WORK = None
    idd = bytearray()
    top = step.bit_length() - 1
    joined: list[list[bytes]] = [[] for _ in range(top + 1)]
    for err, lv, ids in parts:
        if err:
            raise VerificationError(err)
        idd += ids
        for k in range(top + 1):
            joined[k].append(lv[k] if k < len(lv) else b"")
    levels = [b"".join(parts_k) for parts_k in joined]
    while len(levels[-1]) >= 64:
        levels.append(next_level(levels[-1]))
    return offsets, levels, idd, commits


_WORK: tuple[str, list[int], bool] | None = None


def _hash_range(lo: int, hi: int) -> tuple[str | None, list[bytes], bytes]:
    """Worker: the levels of records ``[lo, hi)`` and their id digests (state via fork)."""
    assert _WORK is not None
    path, offsets, deep = _WORK
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ) as mm:
        err, leaves, idd = _hash_records(mm, offsets, lo, hi, deep)
    return err, levels_of(bytes(leaves)), bytes(idd)


def _hash_records(
    mm: mmap.mmap, offsets: list[int], lo: int, hi: int, deep: bool
) -> tuple[str | None, bytearray, bytearray]:
    """Check CRCs and record shape; leaf hashes and id digests of records ``[lo, hi)``.

    One plain loop: bulk ``map`` variants measured slower (the JSON parse of
    each record dominates, and holding the parsed records costs more)."""
    leaves = bytearray()
    idd = bytearray()
    crc32 = zlib.crc32
    sha = hashlib.sha256
    scan_once = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
    unpack = _rec.unpack_from
    for n in range(lo, hi):
        pos = offsets[n]
        _, ln, crc = unpack(mm, pos)
        payload = mm[pos + 9 : pos + 9 + ln]
        if crc32(payload) != crc:
            return (
                f"records.log: record {n} at byte offset {pos}: CRC-32 {crc32(payload):08x} "
                f"of the payload; the frame says {crc:08x} (record altered)",
                leaves,
                idd,
            )
        leaves += sha(b"\x00" + payload).digest()
        try:
            text = payload.decode("utf-8")
            obj, end = scan_once(text, 0)
            if end != len(text):
                raise ValueError("trailing data after the JSON value")
            rid = obj["id"]
            if not isinstance(rid, str) or not isinstance(obj["type"], str):
                raise TypeError("id and type must be strings")
        except (ValueError, KeyError, TypeError, StopIteration, AttributeError) as exc:
            return (
                f"records.log: record {n} at byte offset {pos}: not a record with string "
                f"'id' and 'type' ({type(exc).__name__}: {exc})",
                leaves,
                idd,
            )
        idd += sha(rid.encode("utf-8", "surrogatepass")).digest()[:8]
        if deep and canonical_json(obj) != payload:
            return (
                f"records.log: record {n} at byte offset {pos}: not stored in RFC 8785 "
                "canonical form",
                leaves,
                idd,
            )
    return None, leaves, idd


def _frames_by_index(
    mm: mmap.mmap, size: int, index_fd: int
) -> tuple[list[int], list[tuple[int, int, bytes]]] | None:
    """The frame walk of ``_frames`` done in bulk from the offsets ``index.bin``
    claims: the offsets, the record lengths and the commit frames between them
    must tile the file from the header to its end exactly as a walk would find
    them. None when they do not (``_frames`` then walks and names the problem;
    a wrong index is reported when it is compared)."""
    hl = len(frames.HEADER)
    isize = os.fstat(index_fd).st_size
    if isize == 0 or isize % 8 or size < hl or mm[:hl] != frames.HEADER:
        return None
    off = np.frombuffer(os.pread(index_fd, isize, 0), dtype=">u8").astype(np.int64)
    if off[0] != hl or off[-1] + 9 > size or (len(off) > 1 and (np.diff(off) <= 0).any()):
        return None
    buf = np.frombuffer(mm, dtype=np.uint8)
    tags = buf[off]
    ln = buf[(off[:, None] + np.arange(1, 5)).ravel()].reshape(-1, 4).view(">u4")[:, 0]
    del buf  # no buffer export may outlive this call (the mmap is closed after)
    end = off + 9 + ln.astype(np.int64)
    gap = np.append(off[1:], size) - end
    if (tags != 0x52).any() or ((gap != 0) & (gap != frames.COMMIT_LEN)).any() or gap[-1] == 0:
        return None
    commits: list[tuple[int, int, bytes]] = []
    crc32 = zlib.crc32
    for i in np.flatnonzero(gap).tolist():
        pos = int(end[i])
        tag, csize, root, crc = _commit.unpack_from(mm, pos)
        if tag != 0x43 or csize != i + 1 or crc32(mm[pos : pos + frames.COMMIT_LEN - 4]) != crc:
            return None
        commits.append((pos, csize, root))
    return off.tolist(), commits


def _frames(mm: mmap.mmap, size: int) -> tuple[list[int], list[tuple[int, int, bytes]]]:
    """Walk the frame structure: record offsets and commit frames, with structural checks."""
    hl = len(frames.HEADER)
    if size < hl or mm[:hl] != frames.HEADER:
        raise VerificationError("records.log: header at byte 0 is not the ledger header")
    offsets: list[int] = []
    commits: list[tuple[int, int, bytes]] = []
    crc32 = zlib.crc32
    unpack = _rec.unpack_from
    pos = hl
    n = 0
    last_commit_n = 0
    last_commit_end = hl
    while pos < size:
        tag = mm[pos]
        if tag == 0x52:
            if pos + 9 > size:
                raise VerificationError(
                    f"records.log: record {n} at byte offset {pos}: frame header cut short"
                )
            _, ln, _ = unpack(mm, pos)
            if pos + 9 + ln > size:
                raise VerificationError(
                    f"records.log: record {n} at byte offset {pos}: frame of {ln} bytes runs "
                    f"past the end of the file ({size} bytes)"
                )
            offsets.append(pos)
            n += 1
            pos += 9 + ln
        elif tag == 0x43:
            if pos + frames.COMMIT_LEN > size:
                raise VerificationError(f"records.log: commit frame at byte offset {pos} cut short")
            _, csize, root, crc = _commit.unpack_from(mm, pos)
            if crc32(mm[pos : pos + frames.COMMIT_LEN - 4]) != crc:
                raise VerificationError(
                    f"records.log: commit frame at byte offset {pos}: checksum does not match"
                )
            if csize != n or n == last_commit_n:
                raise VerificationError(
                    f"records.log: commit frame at byte offset {pos} names tree size {csize}; "
                    f"{n} records precede it, {n - last_commit_n} since the previous commit"
                )
            commits.append((pos, csize, root))
            last_commit_n = n
            pos += frames.COMMIT_LEN
            last_commit_end = pos
        else:
            raise VerificationError(
                f"records.log: byte offset {pos}: unknown frame tag 0x{tag:02x} after record "
                f"{n - 1}; expected 'R' (record) or 'C' (commit)"
            )
    if n != last_commit_n:
        raise VerificationError(
            f"records.log: {n - last_commit_n} record frame(s) after the last commit frame "
            f"(byte offset {last_commit_end}) belong to no complete batch"
        )
    return offsets, commits


def _check_typed(fd: int, mm: mmap.mmap, offsets: list[int], path: Path) -> None:
    """``typed.bin`` lists exactly the intervention records below the count it
    covers (a count lagging after a crash is no damage)."""
    if os.fstat(fd).st_size == 0:  # made, never written (a crash at once): rebuilt on open
        return
    repair = f"a writer rebuilds it: remove {path / TYPED} and run `ceasefire ledger repair {path}`"
    got = read_index(fd)
    if got is None or got[0] > len(offsets):
        raise VerificationError(
            f"{TYPED}: not an index of this log's {len(offsets)} records; {repair}"
        )
    covered, entries = got

    def typed_at(k: int) -> bool:
        _, ln, _ = _rec.unpack_from(mm, offsets[k])
        return is_typed(json.loads(mm[offsets[k] + 9 : offsets[k] + 9 + ln]))

    want = [k for k in marked(mm, offsets, 0) if k < covered and typed_at(k)]
    if entries != want:
        diff = sorted(set(entries) ^ set(want))[0]
        what = "lists" if diff in entries else "misses"
        raise VerificationError(
            f"{TYPED}: {what} record {diff} (the records give {len(want)} intervention records "
            f"below {covered}, the index {len(entries)}); {repair}"
        )


def _id_at(mm: mmap.mmap, off: int) -> str:
    _, ln, _ = _rec.unpack_from(mm, off)
    return str(json.loads(mm[off + 9 : off + 9 + ln])["id"])
