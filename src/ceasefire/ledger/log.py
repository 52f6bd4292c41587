"""The ledger directory: an append-only records file, its derived indexes, signed heads.

::

    DIR/ledger.json      format, hash, canonicalization and the mission key id
    DIR/records.log      the log itself (see ``frames``): the only source of truth
    DIR/index.bin        uint64be byte offset of each record frame       (derived)
    DIR/ids.bin          8-byte SHA-256 prefix of each record id          (derived)
    DIR/nodes.bin        every perfect-subtree hash, post-order (``nodes``) (derived)
    DIR/typed.bin        leaf index of each intervention record (``typed``)  (derived)
    DIR/heads.ndjson     signed tree heads, one canonical JSON line each
    DIR/mission.pub.pem  the mission public key
    DIR/keys/mission.key the private key when the ledger generated it (0600, dir 0700)
    DIR/torn/            torn tails cut off at open, kept byte for byte
    DIR/lock             flock: one writer at a time, readers share

An append writes its record frames and a commit frame in one write and
fsyncs; only then are the derived files extended. On open the records file
is scanned from the last indexed record: complete batches the derived files
missed are indexed, and bytes after the last commit frame (a torn tail
from a crash mid-append) are moved to ``torn/`` and cut off, so the log
stands at its last complete batch; ``Ledger.recovery`` reports what was
found. Open refuses (VerificationError) instead of cutting when the damage
reaches records that the derived files or a signed head already cover: that
is not a crash but loss or tampering.

There is no update or delete operation.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import struct
import time
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ceasefire.ledger import frames
from ceasefire.ledger.canonical import canonical_json, check_record, id_digest, parse_record
from ceasefire.ledger.heads import SignedTreeHead, sign_tree_head
from ceasefire.ledger.ids import IdIndex
from ceasefire.ledger.kept import KeptHead
from ceasefire.ledger.keys import (
    PRIVATE_KEY_NAME,
    PUBLIC_KEY_NAME,
    generate_key,
    key_id,
    load_private_key,
    load_public_key,
    public_key_pem,
)
from ceasefire.ledger.merkle import consistency_path, inclusion_path, leaf_hash
from ceasefire.ledger.nodes import (
    HASH,
    NodeFile,
    entries_for,
    extend,
    fold,
    leaves_for_entries,
)
from ceasefire.ledger.report import VerifyReport
from ceasefire.ledger.typed import NAME as TYPED
from ceasefire.ledger.typed import is_typed, marked, read_index, write_index
from ceasefire.model.errors import LedgerError, VerificationError

__all__ = ["FORMAT", "Ledger", "TornTail"]

FORMAT = "ceasefire-ledger"
VERSION = 1
LOCK_TIMEOUT_S = 30.0

_u64 = struct.Struct(">Q")

#: ledger.json, apart from the key id.
META: dict[str, Any] = {
    "format": FORMAT,
    "version": VERSION,
    "hash": "SHA-256",
    "tree": "RFC 9162 section 2.1 (RFC 6962 Merkle tree)",
    "canonicalization": "RFC 8785 (JCS)",
    "signature": "Ed25519",
}


@dataclass(frozen=True)
class TornTail:
    """What open found after the last complete write, and what it did about it.

    ``file`` is ``records.log`` (an unfinished batch, cut off and kept in
    ``saved_to``), ``heads.ndjson`` (a cut-short head line, likewise), or a
    derived file (``index.bin``, ``ids.bin``, ``nodes.bin``) that lagged the
    committed records and was rebuilt from ``records.log``.
    """

    file: str
    offset: int
    length: int
    records: int
    reason: str
    saved_to: str | None

    def message(self) -> str:
        """One line for a person."""
        kept = f"; the bytes are kept in {self.saved_to}" if self.saved_to else ""
        if self.file == "records.log":
            return (
                f"torn tail in records.log at byte offset {self.offset}: {self.length} bytes "
                f"({self.records} complete record frame(s) of an unfinished batch; "
                f"{self.reason}) after the last complete batch were cut off{kept}"
            )
        if self.file == "heads.ndjson":
            return (
                f"torn tail in heads.ndjson at byte offset {self.offset}: {self.length} bytes "
                f"of an unfinished head line were cut off{kept}"
            )
        return (
            f"{self.file} ended at byte offset {self.offset}, {self.records} record(s) behind "
            f"the committed log ({self.reason}); rebuilt from records.log"
        )


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Ledger:
    """An append-only, Merkle-hashed, signed log of records in one directory."""

    def __init__(self, path: Path, key_path: Path | None, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self._key_path = key_path
        self._private: Ed25519PrivateKey | None = None
        self._fds: dict[str, int] = {}
        self._lock_fd = -1
        self._exclusive = False  # holding the write lock (typed.bin is written only then)
        self._n = 0
        self._end = 0
        self._peaks: list[tuple[int, bytes]] = []
        self._heads: list[SignedTreeHead] = []
        self._heads_end = 0
        self._ids = IdIndex(self.path / "ids.bin")
        self.recovery: list[TornTail] = []
        self.meta: dict[str, Any] = {}
        self.public_key: Ed25519PublicKey

    # ── opening ───────────────────────────────────────────────────────────────
    @classmethod
    def open(cls, path: Path, key_path: Path | None = None, *, readonly: bool = False) -> Ledger:
        """Open the ledger in directory ``path``, creating it (and a key) if missing.

        ``key_path`` is the private key file, or a directory holding
        ``mission.key``; by default ``path/keys/mission.key``. A new ledger
        without a key gets a freshly generated one there.

        ``readonly`` opens without writing a byte (what ``verify`` needs): no
        ledger is created, and a torn tail or lagging derived file is refused
        (VerificationError naming ``ceasefire ledger repair``) instead of repaired.
        """
        led = cls(Path(path), Path(key_path) if key_path is not None else None, readonly=readonly)
        try:
            led._open()
        except BaseException:
            led.close()
            raise
        return led

    def _resolve_key_path(self) -> Path:
        kp = self._key_path if self._key_path is not None else self.path / "keys"
        if kp.is_dir() or (not kp.exists() and kp.suffix == ""):
            return kp / PRIVATE_KEY_NAME
        return kp

    def _open(self) -> None:
        p = self.path
        meta_path = p / "ledger.json"
        if self.readonly and not meta_path.exists():
            raise LedgerError(f"{p}: no ledger here (no ledger.json)")
        if self.readonly:
            lock = p / "lock"
            self._lock_fd = os.open(lock if lock.exists() else p, os.O_RDONLY)
            with self._locked(exclusive=False):
                self._read_meta()
                for name in ("records.log", "index.bin", "ids.bin", "nodes.bin", "heads.ndjson"):
                    try:
                        self._fds[name] = os.open(p / name, os.O_RDONLY)
                    except FileNotFoundError:
                        raise VerificationError(
                            f"{p / name}: missing; expected every file of the ledger"
                        ) from None
                self._load_heads(repair=False)
                self._recover()
                self._check_heads_covered()
            return
        if not meta_path.exists():
            # a folder of the user's is refused before a byte is written to it; one
            # holding our lock may be a ledger another process is creating
            names = {e.name for e in p.iterdir()} if p.exists() else set()
            if names and "lock" not in names:
                raise LedgerError(
                    f"{p}: directory exists and is not empty but holds no ledger.json; "
                    "expected a ledger directory or a new one"
                )
            p.mkdir(parents=True, exist_ok=True)
        self._lock_fd = os.open(p / "lock", os.O_RDWR | os.O_CREAT, 0o644)
        with self._locked(exclusive=True):
            # created under the lock: two workers starting at once get one ledger and
            # one key, not two keys and a refusal
            if not meta_path.exists():
                if any(e.name != "lock" for e in p.iterdir()):
                    raise LedgerError(
                        f"{p}: holds ledger files but no ledger.json (a creation that did "
                        "not finish?); expected a ledger directory or a new one"
                    )
                self._create()
            self._read_meta()
            for name in ("records.log", "index.bin", "ids.bin", "nodes.bin", "heads.ndjson"):
                self._fds[name] = os.open(p / name, os.O_RDWR | os.O_CREAT, 0o644)
            self._load_heads(repair=True)
            self._recover()
            self._check_heads_covered()
            self._typed_sync(check=True)

    def _create(self) -> None:
        p = self.path
        p.mkdir(parents=True, exist_ok=True)
        kp = self._resolve_key_path()
        if not kp.exists():
            generate_key(kp.parent)
            kp = kp.parent / PRIVATE_KEY_NAME
        private = load_private_key(kp)
        pub = private.public_key()
        (p / PUBLIC_KEY_NAME).write_bytes(public_key_pem(pub))
        fd = os.open(p / "records.log", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            os.write(fd, frames.HEADER)
            os.fsync(fd)
        finally:
            os.close(fd)
        meta = {**META, "key_id": key_id(pub)}
        tmp = p / "ledger.json.tmp"
        tmp.write_bytes(canonical_json(meta) + b"\n")
        os.replace(tmp, p / "ledger.json")
        _fsync_dir(p)

    def _read_meta(self) -> None:
        p = self.path / "ledger.json"
        raw = p.read_bytes()
        try:
            meta = json.loads(raw)
        except ValueError as exc:
            raise VerificationError(
                f"{p}: not JSON ({exc}); expected the ledger's metadata"
            ) from exc
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise VerificationError(f"{p}: format is not {FORMAT!r}")
        version = meta.get("version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise VerificationError(f"{p}: version {version!r}; expected an integer")
        if version != VERSION:
            raise LedgerError(f"{p}: version {meta.get('version')!r}; this code reads {VERSION}")
        if {k: v for k, v in meta.items() if k != "key_id"} != META:
            raise VerificationError(f"{p}: fields differ from those written at creation")
        if raw != canonical_json(meta) + b"\n":
            raise VerificationError(
                f"{p}: bytes differ from the canonical form written at creation"
            )
        self.meta = meta
        pub_path = self.path / PUBLIC_KEY_NAME
        self.public_key = load_public_key(pub_path)
        if pub_path.read_bytes() != public_key_pem(self.public_key):
            raise VerificationError(f"{pub_path}: bytes differ from the key's canonical PEM")
        if key_id(self.public_key) != meta.get("key_id"):
            raise VerificationError(
                f"{pub_path}: key id {key_id(self.public_key)[:16]}… differs from the key id "
                f"{str(meta.get('key_id'))[:16]}… recorded in ledger.json at creation"
            )
        if self._key_path is not None:
            self._private_key()

    def _private_key(self) -> Ed25519PrivateKey:
        if self._private is None:
            kp = self._resolve_key_path()
            if not kp.exists():
                raise LedgerError(
                    f"{kp}: no private key; pass the mission key (key_path / --key) to sign heads"
                )
            key = load_private_key(kp)
            if key_id(key.public_key()) != self.meta["key_id"]:
                raise LedgerError(
                    f"{kp}: key id {key_id(key.public_key())[:16]}… is not this ledger's "
                    f"mission key {self.meta['key_id'][:16]}…"
                )
            self._private = key
        return self._private

    def close(self) -> None:
        """Release file descriptors and the lock."""
        for fd in self._fds.values():
            with contextlib.suppress(OSError):
                os.close(fd)
        self._fds = {}
        if self._lock_fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self._lock_fd)
            self._lock_fd = -1

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()

    def _writable(self) -> None:
        if self.readonly:
            raise LedgerError(f"{self.path}: opened read-only; open it without readonly to write")

    # ── locking and state ─────────────────────────────────────────────────────
    @contextlib.contextmanager
    def _locked(self, exclusive: bool) -> Iterator[None]:
        if self._lock_fd < 0:
            raise LedgerError(f"{self.path}: ledger is closed")
        op = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        deadline = time.monotonic() + LOCK_TIMEOUT_S
        while True:
            try:
                fcntl.flock(self._lock_fd, op | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise LedgerError(
                        f"{self.path / 'lock'}: another process has held the ledger lock for "
                        f"{LOCK_TIMEOUT_S:.0f} s; expected it to finish (is a writer stuck?)"
                    ) from None
                time.sleep(0.02)
        self._exclusive = exclusive
        try:
            yield
        finally:
            self._exclusive = False
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def _fsize(self, name: str) -> int:
        return os.fstat(self._fds[name]).st_size

    def _refresh(self, exclusive: bool = False) -> None:
        """Catch up with appends made by another process (or repair after its crash)."""
        if self._fsize("records.log") != self._end or self._fsize("index.bin") != 8 * self._n:
            self._ids.reset()
            self._recover()
        if self._fsize("heads.ndjson") != self._heads_end:
            self._load_heads(repair=exclusive)
        self._check_heads_covered()

    def _offset(self, i: int) -> int:
        data = os.pread(self._fds["index.bin"], 8, 8 * i)
        if len(data) != 8:
            raise VerificationError(f"index.bin: entry {i} at byte {8 * i} is missing")
        return int(_u64.unpack(data)[0])

    def _recover(self) -> None:
        """Bring the derived files in line with the committed batches of records.log."""
        rec_fd = self._fds["records.log"]
        size = self._fsize("records.log")
        hl = len(frames.HEADER)
        if os.pread(rec_fd, hl, 0) != frames.HEADER:
            raise VerificationError(
                "records.log: header at byte 0 is not 'ceasefire-ledger records v1'"
            )
        n_idx = self._fsize("index.bin") // 8
        n_ids = self._fsize("ids.bin") // 8
        n_nodes = leaves_for_entries(self._fsize("nodes.bin") // HASH)
        n_d = min(n_idx, n_ids, n_nodes)
        start = hl if n_d == 0 else self._offset(n_d - 1)
        if not hl <= start < size and n_d > 0:
            raise VerificationError(
                f"index.bin: record {n_d - 1} at byte offset {start} lies outside records.log "
                f"({size} bytes); records were removed or the index altered"
            )
        buf = os.pread(rec_fd, size - start, start)
        sc = frames.scan(buf, start, max(n_d - 1, 0))
        committed = sc.commits[-1][1] if sc.commits else n_d
        if n_d > 0 and (not sc.commits or committed < n_d):
            where = sc.problem_offset if sc.problem else size
            raise VerificationError(
                f"records.log: the derived index holds {n_d} records, but the batch holding "
                f"record {n_d - 1} (byte offset {start}) has no valid commit frame "
                f"({sc.problem or 'end of file'} at byte offset {where}); "
                "committed records were altered or cut"
            )
        end = sc.end if sc.commits else start
        if end < size:
            if self.readonly:
                raise VerificationError(
                    f"records.log: {size - end} bytes after the last complete batch at byte "
                    f"offset {end} ({sc.problem or 'no commit frame follows'}): an unfinished "
                    "append (a crash) or added bytes; verification changes nothing: "
                    f"`ceasefire ledger repair {self.path}` sets them aside in torn/"
                )
            self._cut_tail(end, size, sc, buf[end - start :], committed)
        # index the committed records the derived files have not seen
        new_off = sc.offsets[1:] if n_d > 0 else sc.offsets
        new_pay = sc.payloads[1:] if n_d > 0 else sc.payloads
        if n_d > 0 and sc.offsets and sc.offsets[0] != start:
            raise VerificationError(f"records.log: scan of record {n_d - 1} went astray")
        want = {"index.bin": 8 * committed, "ids.bin": 8 * committed}
        want["nodes.bin"] = HASH * entries_for(committed)
        for name, nbytes in want.items():
            have = self._fsize(name)
            if have != nbytes and self.readonly:
                raise VerificationError(
                    f"{name}: {have} bytes; the committed log needs {nbytes} (a crash after a "
                    "batch was committed, or damage); verification changes nothing: "
                    f"`ceasefire ledger repair {self.path}` rebuilds it from records.log"
                )
            if have != nbytes:
                per = 8 if name != "nodes.bin" else HASH
                self.recovery.append(
                    TornTail(
                        name,
                        have,
                        0,
                        committed
                        - (n_idx if name == "index.bin" else n_ids if per == 8 else n_nodes),
                        "interrupted after the batch was committed"
                        if have < nbytes
                        else "longer than the log",
                        None,
                    )
                )
        if not self.readonly:  # (sizes were checked equal above when read-only)
            for name, per in (("index.bin", 8), ("ids.bin", 8)):
                os.ftruncate(self._fds[name], per * n_d)
            os.ftruncate(self._fds["nodes.bin"], HASH * entries_for(n_d))
        self._n = n_d
        self._end = end
        self._peaks = NodeFile(self._fds["nodes.bin"]).peaks(n_d)
        if new_pay:
            ids = []
            for i, payload in enumerate(new_pay):
                rec = parse_record(payload, f"records.log record {n_d + i}")
                ids.append(id_digest(rec["id"]))
            self._write_derived(new_off, ids, [leaf_hash(x) for x in new_pay])
        if sc.commits and self._n != committed:
            raise VerificationError(
                f"records.log: recovered {self._n} records, commit says {committed}"
            )
        if sc.commits and self._root() != sc.commits[-1][2]:
            raise VerificationError(
                f"records.log: commit frame at byte offset {sc.commits[-1][0]} names root "
                f"{sc.commits[-1][2].hex()[:16]}… for size {committed}, but the records hash "
                f"to {self._root().hex()[:16]}…"
            )

    def _cut_tail(self, end: int, size: int, sc: frames.Scan, tail: bytes, kept: int) -> None:
        top = max((h.size for h in self._heads), default=0)
        if top > kept:
            raise VerificationError(
                f"records.log: damage at byte offset {sc.problem_offset} ({sc.problem}); the "
                f"complete batches hold {kept} records, but a signed head covers {top}; "
                "signed records were altered or cut, refusing to truncate"
            )
        torn_dir = self.path / "torn"
        torn_dir.mkdir(exist_ok=True)
        digest = hashlib.sha256(tail).hexdigest()[:12]
        dest = torn_dir / f"records-{end}-{len(tail)}-{digest}.bin"
        dest.write_bytes(tail)
        saved = str(dest.relative_to(self.path))
        self._ids.reset()
        reason = sc.problem or "no commit frame follows"
        tt = TornTail(
            "records.log",
            offset=end,
            length=size - end,
            records=sc.pending,
            reason=reason,
            saved_to=saved,
        )
        os.ftruncate(self._fds["records.log"], end)
        os.fsync(self._fds["records.log"])
        self.recovery.append(tt)

    def _write_derived(
        self,
        offsets: Sequence[int],
        ids: Sequence[bytes],
        leaves: Sequence[bytes],
        nodes: tuple[bytes, list[tuple[int, bytes]]] | None = None,
    ) -> None:
        n0 = self._n
        node_bytes, peaks = nodes if nodes is not None else extend(self._peaks, leaves)
        idx = b"".join(_u64.pack(o) for o in offsets)
        idb = b"".join(ids)
        os.pwrite(self._fds["index.bin"], idx, 8 * n0)
        os.pwrite(self._fds["ids.bin"], idb, 8 * n0)
        os.pwrite(self._fds["nodes.bin"], node_bytes, HASH * entries_for(n0))
        for name in ("index.bin", "ids.bin", "nodes.bin"):
            os.fsync(self._fds[name])
        self._peaks = peaks
        self._n = n0 + len(leaves)
        self._ids.add(idb, n0)

    def _load_heads(self, repair: bool) -> None:
        fd = self._fds["heads.ndjson"]
        size = self._fsize("heads.ndjson")
        raw = os.pread(fd, size, 0)
        cut = raw.rfind(b"\n") + 1
        tail = raw[cut:]
        raw = raw[:cut]
        if tail:
            try:
                json.JSONDecoder().raw_decode(tail.decode("utf-8"))
                complete = True
            except ValueError:
                complete = False
            if complete:
                raise VerificationError(
                    f"heads.ndjson: byte offset {cut}: the last line holds a complete head but "
                    "does not end in a newline; expected a torn write to be a cut-short line"
                )
        if tail and self.readonly:
            raise VerificationError(
                f"heads.ndjson: byte offset {cut}: a cut-short head line of {len(tail)} bytes "
                "(a crash while signing, or a head cut off); verification changes nothing: "
                f"`ceasefire ledger repair {self.path}` sets it aside in torn/"
            )
        if tail and repair:  # a crash mid-line; without the write lock, leave it to a writer
            torn_dir = self.path / "torn"
            torn_dir.mkdir(exist_ok=True)
            dest = torn_dir / f"heads-{cut}-{len(tail)}.bin"
            dest.write_bytes(tail)
            os.ftruncate(fd, cut)
            os.fsync(fd)
            self.recovery.append(
                TornTail("heads.ndjson", cut, len(tail), 0, "line without newline", str(dest))
            )
        heads = []
        for line_no, line in enumerate(raw.splitlines(), start=1):
            where = f"heads.ndjson line {line_no}"
            try:
                data = json.loads(line)
            except ValueError as exc:
                raise VerificationError(f"{where}: not JSON ({exc})") from exc
            head = SignedTreeHead.from_dict(data, where)
            if canonical_json(head.stored()) != line:
                raise VerificationError(f"{where}: not the canonical form of a stored head")
            heads.append(head)
        self._heads = heads
        self._heads_end = len(raw)

    def _check_heads_covered(self) -> None:
        top = max((h.size for h in self._heads), default=0)
        if top > self._n:
            raise VerificationError(
                f"heads.ndjson: a signed head covers {top} records, but records.log holds only "
                f"{self._n} committed records; signed records were removed or cut"
            )

    # ── reading ───────────────────────────────────────────────────────────────
    @property
    def size(self) -> int:
        """Number of committed records."""
        with self._locked(exclusive=False):
            self._refresh()
            return self._n

    @property
    def key_id(self) -> str:
        """Hex SHA-256 of the mission public key (SubjectPublicKeyInfo DER)."""
        return str(self.meta["key_id"])

    def public_key_pem(self) -> bytes:
        """The mission public key, PEM."""
        return public_key_pem(self.public_key)

    def _nodes(self) -> NodeFile:
        return NodeFile(self._fds["nodes.bin"])

    def _root(self, size: int | None = None) -> bytes:
        """Root hash (bytes) of the first ``size`` records (default: all)."""
        n = self._n if size is None else size
        if not 0 <= n <= self._n:
            raise LedgerError(f"tree size {n} requested; the log holds {self._n} records")
        if n == self._n:
            return fold([h for _, h in self._peaks])
        return self._nodes().root(n)

    def root_hash(self, size: int | None = None) -> str:
        """Root hash (hex) of the first ``size`` records (default: all)."""
        with self._locked(exclusive=False):
            self._refresh()
            return self._root(size).hex()

    def record_bytes(self, index: int) -> bytes:
        """The stored canonical bytes of record ``index``."""
        with self._locked(exclusive=False):
            self._refresh()
            return self._record_bytes(index)

    def _record_bytes(self, index: int) -> bytes:
        if not 0 <= index < self._n:
            raise LedgerError(f"record index {index}; the log holds {self._n} records")
        off = self._offset(index)
        fd = self._fds["records.log"]
        head = os.pread(fd, frames.REC_HEAD, off)
        if len(head) != frames.REC_HEAD or head[0] != 0x52:
            raise VerificationError(
                f"records.log: record {index} at byte offset {off}: no record frame there"
            )
        ln, crc = struct.unpack(">II", head[1:])
        payload = os.pread(fd, ln, off + frames.REC_HEAD)
        if len(payload) != ln or zlib.crc32(payload) != crc:
            raise VerificationError(
                f"records.log: record {index} at byte offset {off}: checksum does not match"
            )
        return payload

    def record(self, index: int) -> dict[str, Any]:
        """Record ``index`` as a dict."""
        return parse_record(self.record_bytes(index), f"records.log record {index}")

    def _find(self, record_id: str) -> int | None:
        for i in self._ids.candidates(id_digest(record_id), self._n):
            rec = parse_record(self._record_bytes(i), f"records.log record {i}")
            if rec["id"] == record_id:
                return i
        return None

    def index_of(self, record_id: str) -> int:
        """Leaf index of the record with this id; LedgerError if there is none."""
        with self._locked(exclusive=False):
            self._refresh()
            i = self._find(record_id)
        if i is None:
            raise LedgerError(f"{self.path}: no record with id {record_id!r} in the ledger")
        return i

    def contains(self, record_id: str) -> bool:
        """True if a record with this id is in the log."""
        with self._locked(exclusive=False):
            self._refresh()
            return self._find(record_id) is not None

    def contains_many(self, record_ids: Sequence[str]) -> list[bool]:
        """:meth:`contains` of each of ``record_ids``, under one lock and one
        look-up of the ids' index."""
        with self._locked(exclusive=False):
            self._refresh()
            if not record_ids or self._n == 0:
                return [False] * len(record_ids)
            found = self._ids.find_many([id_digest(r) for r in record_ids], self._n)
            return [
                any(self._record_at(i)["id"] == rid for i in candidates)
                for rid, candidates in zip(record_ids, found, strict=True)
            ]

    def intervention_records(self) -> list[dict[str, Any]]:
        """The intervention records (``type`` starting ``intervention-``: requests,
        acknowledgements, outcomes) in ledger order, read through the typed index
        (``typed``): the cost grows with the interventions, not with the log."""
        with self._locked(exclusive=False):
            self._refresh()
            found = self._typed_sync()
            recs = [parse_record(self._record_bytes(i), f"records.log record {i}") for i in found]
            if not all(is_typed(r) for r in recs):  # an index that lies: read the log
                every = (self._record_at(i) for i in self._typed_scan(0, self._n))
                recs = [r for r in every if is_typed(r)]
        return recs

    def _record_at(self, index: int) -> dict[str, Any]:
        """Record ``index`` as a dict, without taking the lock (the caller holds it)."""
        return parse_record(self._record_bytes(index), f"records.log record {index}")

    def leaf_hash(self, index: int) -> bytes:
        """The stored leaf hash of record ``index``."""
        with self._locked(exclusive=False):
            self._refresh()
            if not 0 <= index < self._n:
                raise LedgerError(f"record index {index}; the log holds {self._n} records")
            return self._nodes().leaf(index)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """RFC 9162 inclusion path of leaf ``index`` in the tree of ``size`` leaves."""
        with self._locked(exclusive=False):
            self._refresh()
            n = self._n if size is None else size
            if not 0 <= index < n <= self._n:
                raise LedgerError(
                    f"inclusion of record {index} in a tree of {n}; the log holds {self._n}"
                )
            return inclusion_path(index, n, self._nodes().subtree)

    def consistency_proof(self, old: int, new: int | None = None) -> list[bytes]:
        """RFC 9162 consistency proof from tree size ``old`` to ``new`` (default: all)."""
        with self._locked(exclusive=False):
            self._refresh()
            m = self._n if new is None else new
            if not 0 <= old <= m <= self._n:
                raise LedgerError(f"consistency {old} -> {m}; the log holds {self._n} records")
            return consistency_path(old, m, self._nodes().subtree)

    def heads(self) -> list[SignedTreeHead]:
        """Every signed tree head, oldest first."""
        with self._locked(exclusive=False):
            self._refresh()
            return list(self._heads)

    def latest_head(self) -> SignedTreeHead | None:
        """The last signed head, if any."""
        heads = self.heads()
        return heads[-1] if heads else None

    # ── the typed index ───────────────────────────────────────────────────────
    def _typed_fd(self) -> int | None:
        fd = self._fds.get(TYPED)
        if fd is None:
            try:
                flags = os.O_RDONLY if self.readonly else os.O_RDWR | os.O_CREAT
                fd = self._fds[TYPED] = os.open(self.path / TYPED, flags, 0o644)
            except FileNotFoundError:  # read-only, a ledger from before the index
                return None
        return fd

    def _typed_sync(self, *, check: bool = False) -> list[int]:
        """The leaf indices of the intervention records (under the lock, after a
        refresh): the index's, extended over the records it does not cover yet;
        written back when this process holds the write lock. ``check`` also reads
        each indexed record and rebuilds an index that names another type."""
        fd = self._typed_fd()
        got = read_index(fd) if fd is not None else None
        if got is not None and (
            got[0] > self._n or (check and not all(is_typed(self._record_at(i)) for i in got[1]))
        ):
            got = None  # another log's, or naming records of another type: built again
        covered, entries = got if got is not None else (0, [])
        keep = len(entries)
        if covered < self._n:
            entries = entries + self._typed_scan(covered, self._n)
        stale = fd is not None and (
            covered != self._n or os.fstat(fd).st_size != 8 + 8 * len(entries)
        )
        if stale and fd is not None and self._exclusive and not self.readonly:
            write_index(fd, self._n, entries, keep)
        return entries

    def _typed_scan(self, lo: int, hi: int, chunk: int = 4096) -> list[int]:
        """Leaf indices in ``[lo, hi)`` of the intervention records, found by the
        marker in their canonical bytes (a chunk of records read at a time) and
        confirmed by parsing."""
        out: list[int] = []
        for a in range(lo, hi, chunk):
            b = min(a + chunk, hi)
            raw = os.pread(self._fds["index.bin"], 8 * (b - a), 8 * a)
            offsets = [int(x) for x in np.frombuffer(raw, dtype=">u8")]
            end = self._offset(b) if b < self._n else self._end
            buf = os.pread(self._fds["records.log"], end - offsets[0], offsets[0])
            for k in marked(buf, offsets, offsets[0]):
                if is_typed(self._record_at(a + k)):
                    out.append(a + k)
        return out

    # ── writing ───────────────────────────────────────────────────────────────
    def append(self, records: Sequence[Mapping[str, Any]]) -> list[int]:
        """Append records as one atomic batch; return their leaf indices.

        Each record is a JSON object with a unique non-empty string ``id``
        and a ``type``. The batch is written whole or not at all. A record
        whose id is already in the log with the same canonical bytes is
        skipped (its existing index is returned), so an append interrupted
        by a crash can be run again; the same id with other content is
        refused (LedgerError) and nothing of the batch is written.
        """
        encoded: list[tuple[str, bytes]] = []
        for i, rec in enumerate(records):
            rid = check_record(rec, f"record {i} of the batch")
            try:
                payload = canonical_json(rec)
            except LedgerError as exc:
                raise LedgerError(f"record {i} of the batch (id {rid!r}): {exc}") from exc
            encoded.append((rid, payload))
        return self.append_encoded(encoded)

    def append_encoded(self, records: Sequence[tuple[str, bytes]]) -> list[int]:
        """:meth:`append` of records given as ``(id, canonical_json(record))``,
        encoded already (such as by another process): the same checks of the
        batch's ids and sizes, the same leaves."""
        payloads: list[bytes] = []
        digests: list[bytes] = []
        seen: dict[str, int] = {}
        for i, (rid, payload) in enumerate(records):
            if not isinstance(rid, str) or not rid:
                raise LedgerError(
                    f"record {i} of the batch: id {rid!r}; expected a non-empty string"
                )
            if rid in seen:
                raise LedgerError(
                    f"record {i} of the batch: id {rid!r} repeats record {seen[rid]} of the batch"
                )
            seen[rid] = i
            if len(payload) > frames.MAX_PAYLOAD:
                raise LedgerError(
                    f"record {i} of the batch (id {rid!r}): {len(payload)} bytes; expected at "
                    f"most {frames.MAX_PAYLOAD}"
                )
            payloads.append(payload)
            digests.append(id_digest(rid))
        return self._append_canonical(payloads, list(seen), digests)

    def _append_canonical(
        self, payloads: Sequence[bytes], ids: Sequence[str], digests: Sequence[bytes]
    ) -> list[int]:
        """Append already canonical payloads (the ids must be theirs and unique in the batch)."""
        if not payloads:
            return []
        self._writable()
        with self._locked(exclusive=True):
            self._refresh(exclusive=True)
            n0 = self._n
            found = self._ids.find_many(digests, n0) if n0 else [[] for _ in digests]
            present: dict[int, int] = {}  # position in the batch -> index in the log
            for pos, (rid, cands) in enumerate(zip(ids, found, strict=True)):
                for j in cands:
                    stored = self._record_bytes(j)
                    other = parse_record(stored, f"records.log record {j}")
                    if other["id"] != rid:
                        continue
                    if stored != payloads[pos]:
                        raise LedgerError(
                            f"record id {rid!r} is already in the ledger at index {j} with "
                            "different content; expected the same record (a re-run) or a new "
                            "id (the log is append-only)"
                        )
                    present[pos] = j
            if present:
                keep = [i for i in range(len(payloads)) if i not in present]
                new = self._append_new([payloads[i] for i in keep], [digests[i] for i in keep], n0)
                where = dict(zip(keep, new, strict=True)) | present
                return [where[i] for i in range(len(payloads))]
            return self._append_new(payloads, digests, n0)

    def _append_new(
        self, payloads: Sequence[bytes], digests: Sequence[bytes], n0: int
    ) -> list[int]:
        """Write new records as one batch (under the write lock); their indices."""
        if not payloads:
            return []
        leaves = [leaf_hash(p) for p in payloads]
        offsets = []
        parts = []
        pos = self._end
        for p in payloads:
            offsets.append(pos)
            frame = frames.record_frame(p)
            parts.append(frame)
            pos += len(frame)
        node_bytes, peaks = extend(self._peaks, leaves)
        root = fold([h for _, h in peaks])
        parts.append(frames.commit_frame(n0 + len(payloads), root))
        data = b"".join(parts)
        fd = self._fds["records.log"]
        written = os.pwrite(fd, data, self._end)
        if written != len(data):
            raise LedgerError(f"records.log: short write ({written} of {len(data)} bytes)")
        os.fsync(fd)
        self._end += len(data)
        self._write_derived(offsets, digests, leaves, (node_bytes, peaks))
        self._typed_sync()
        return list(range(n0, self._n))

    def sign_head(self, time_s: float) -> SignedTreeHead:
        """Sign the current tree at ``time_s`` (UTC epoch seconds) and store the head.

        Signing the same size at the same time again returns the stored head.
        """
        self._writable()
        key = self._private_key()
        with self._locked(exclusive=True):
            self._refresh(exclusive=True)
            ms = round(time_s * 1000)
            for h in reversed(self._heads):
                if h.size == self._n and h.timestamp_ms == ms:
                    return h
            head = sign_tree_head(key, self._n, self._root(), time_s)
            line = canonical_json(head.stored()) + b"\n"
            fd = self._fds["heads.ndjson"]
            os.pwrite(fd, line, self._heads_end)
            os.fsync(fd)
            self._heads_end += len(line)
            self._heads.append(head)
            self._write_checkpoint(head)
            return head

    def _write_checkpoint(self, head: SignedTreeHead) -> None:
        """``DIR/checkpoint``: the latest head as a C2SP checkpoint, for witnesses
        (replaced atomically; ``heads.ndjson`` stays the record)."""
        tmp = self.path / "checkpoint.tmp"
        tmp.write_text(head.checkpoint(), encoding="utf-8")
        os.replace(tmp, self.path / "checkpoint")

    # ── proofs and verification ───────────────────────────────────────────────
    def prove(self, record_id: str, head: SignedTreeHead | None = None) -> dict[str, Any]:
        """A self-contained inclusion proof bundle for ``record_id`` (see ``proofs``)."""
        from ceasefire.ledger.proofs import inclusion_bundle

        return inclusion_bundle(self, record_id, head)

    def prove_consistency(
        self, old: SignedTreeHead, new: SignedTreeHead | None = None
    ) -> dict[str, Any]:
        """A consistency proof bundle between two signed heads (default new: the latest)."""
        from ceasefire.ledger.proofs import consistency_bundle

        return consistency_bundle(self, old, new)

    def verify(
        self,
        public_key_pem: bytes | None = None,
        *,
        deep: bool = False,
        kept: Sequence[KeptHead] = (),
    ) -> VerifyReport:
        """Recompute everything and check every signed head, and that the log
        extends every head in ``kept``; see ``verify.verify_ledger``."""
        from ceasefire.ledger.verify import verify_ledger

        return verify_ledger(self, public_key_pem, deep=deep, kept=kept)
