"""Observation id -> the SHA-256 digests of the observations of that id, held in
a few arrays: a run holds a day's (a million on a stress day) from fusion's
first pass to the day's signing, to put them in its violations' records."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

#: bytes of a SHA-256 digest
DIGEST_BYTES = 32

#: ids compared at once by :meth:`DigestIndex.rows_of` (its index arrays are
#: a few bytes of each id's text: bounded, whatever the caller asks)
LOOKUP_CHUNK = 1 << 16

IP = npt.NDArray[np.intp]


def _utf8(texts: Sequence[str]) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]]:
    """``texts`` joined as UTF-8 (lone surrogates kept, as any JSON text may hold
    them) and each text's end in the join, bytes."""
    joined = "".join(texts)
    if joined.isascii():  # a byte a character: no text encoded twice
        raw = joined.encode("ascii")
        sizes = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    else:
        parts = [t.encode("utf-8", "surrogatepass") for t in texts]
        raw = b"".join(parts)
        sizes = np.fromiter(map(len, parts), dtype=np.int64, count=len(texts))
    return np.frombuffer(raw, dtype=np.uint8), np.cumsum(sizes)


def _ragged(starts: IP, counts: IP) -> IP:
    """``starts[k] + 0 .. counts[k] - 1`` for each ``k``, concatenated."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, np.intp)
    firsts = np.cumsum(counts) - counts
    return np.repeat(starts - firsts, counts) + np.arange(total, dtype=np.intp)


#: ids whose bytes :func:`_reordered` moves at once (its index arrays stay ~10 MB)
REORDER_CHUNK = 1 << 17


def _reordered(
    text: npt.NDArray[np.uint8], ends: npt.NDArray[np.int64], order: IP
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]]:
    """The texts of ``text`` (each ending at ``ends``) in ``order``: their bytes
    joined, and each one's end."""
    sizes = np.diff(ends, prepend=0)
    new_sizes = sizes[order]
    new_ends = np.cumsum(new_sizes)
    out = np.empty(len(text), np.uint8)
    starts = ends - sizes
    for a in range(0, len(order), REORDER_CHUNK):
        k = order[a : a + REORDER_CHUNK]
        size = new_sizes[a : a + REORDER_CHUNK]
        at = _ragged(new_ends[a : a + REORDER_CHUNK] - size, size)
        out[at] = text[_ragged(starts[k], size)]
    return out, new_ends


class DigestIndex:
    """The digests (``DIGEST_BYTES`` each) of observations by their id (without
    the source), ~56 B an id of 8 characters where a dict of ``str`` -> ``bytes``
    takes ~180 B and ~2 objects an id: the ids' hashes sorted (int64), the
    digests and the ids' UTF-8 joined in that order, and each id's end in the
    join. A look-up compares the bytes of the id found with those asked for, so
    hashes that collide give no wrong digest. Ids that several observations
    share (sources may) give each of their digests, in the order given."""

    def __init__(self, oids: Sequence[str], digests: bytes | bytearray | memoryview) -> None:
        """``digests``: ``oids[i]``'s digest at ``[i * DIGEST_BYTES, (i + 1) * DIGEST_BYTES)``."""
        n = len(oids)
        if len(digests) != n * DIGEST_BYTES:
            raise ValueError(f"{len(digests)} bytes of digests for {n} ids")
        hashes = np.fromiter(map(hash, oids), dtype=np.int64, count=n)
        # stable: the digests of a shared id stay in the order given
        order = np.argsort(hashes, kind="stable")
        self._hash: npt.NDArray[np.int64] = hashes[order]
        del hashes
        rows = np.frombuffer(digests, dtype=np.uint8).reshape(n, DIGEST_BYTES)
        self._digests: npt.NDArray[np.uint8] = rows[order]
        # the texts joined in the order given, then their bytes put in hash order:
        # a million ids taken in hash order are as many cache misses (~1 CPU-s)
        text, ends = _utf8(oids)
        self._text, self._ends = _reordered(text, ends, order)

    def __len__(self) -> int:
        return len(self._hash)

    @property
    def digests(self) -> npt.NDArray[np.uint8]:
        """The digests, a row each (``(len(self), DIGEST_BYTES)``), as
        :meth:`rows_of` numbers them."""
        return self._digests

    def rows_of(self, oids: Sequence[str]) -> tuple[IP, IP]:
        """``(asked, row)``: for each id of ``oids`` held, its index in ``oids``
        and the row of each of its digests (:attr:`digests`), in ``oids``'
        order, a shared id's in the order given; an id not held has none."""
        asked: list[IP] = []
        rows: list[IP] = []
        for a in range(0, len(oids), LOOKUP_CHUNK):
            k, r = self._rows_of(oids[a : a + LOOKUP_CHUNK])
            asked.append(k + a)
            rows.append(r)
        if not asked:
            return np.zeros(0, np.intp), np.zeros(0, np.intp)
        return np.concatenate(asked), np.concatenate(rows)

    def _rows_of(self, oids: Sequence[str]) -> tuple[IP, IP]:
        n = len(oids)
        if n == 0 or len(self._hash) == 0:
            return np.zeros(0, np.intp), np.zeros(0, np.intp)
        q = np.fromiter(map(hash, oids), dtype=np.int64, count=n)
        # searched in hash order: each search starts near the last one's end
        # (asked in their own order, ~4x the cache misses)
        order = np.argsort(q)
        lo, hi = np.empty(n, np.intp), np.empty(n, np.intp)
        lo[order] = np.searchsorted(self._hash, q[order], side="left")
        hi[order] = np.searchsorted(self._hash, q[order], side="right")
        # every held id of the same hash is a candidate (one, but for shared
        # ids and colliding hashes), compared by its text's bytes
        asked = np.repeat(np.arange(n, dtype=np.intp), hi - lo)
        row = _ragged(lo, hi - lo)
        q_text, q_ends = _utf8(oids)
        q_size = np.diff(q_ends, prepend=0)
        r_start = np.where(row > 0, self._ends[row - 1], 0)
        size = self._ends[row] - r_start
        keep = size == q_size[asked]
        asked, row, r_start, size = asked[keep], row[keep], r_start[keep], size[keep]
        held = _ragged(r_start, size)
        given = _ragged(q_ends[asked] - size, size)
        differ = self._text[held] != q_text[given]
        # the candidates a byte of differs from the id asked
        owner = np.repeat(np.arange(len(row), dtype=np.intp), size)
        same = np.bincount(owner[differ], minlength=len(row)) == 0
        return asked[same], row[same]

    def digests_of(self, oids: Sequence[str]) -> list[list[bytes]]:
        """Each id's digests (none for an id not held), in ``oids``' order."""
        out: list[list[bytes]] = [[] for _ in oids]
        asked, rows = self.rows_of(oids)
        joined = self._digests[rows].tobytes()
        for j, k in enumerate(asked.tolist()):
            out[k].append(joined[j * DIGEST_BYTES : (j + 1) * DIGEST_BYTES])
        return out


#: a digest as its JSON string and a comma: ``"`` 64 hex digits ``",``
_QUOTED_BYTES = 2 * DIGEST_BYTES + 3
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def quoted_sets(owner: IP, digests: npt.NDArray[np.uint8], n: int) -> tuple[list[bytes], IP]:
    """For each of ``n`` owners, the distinct ``digests`` (rows of
    ``DIGEST_BYTES``) whose ``owner`` it is, sorted, as JSON strings of their
    lowercase hex separated by commas (``b""`` for none; sorted bytes and their
    hex sort alike), and how many there are."""
    if len(owner) == 0:
        return [b""] * n, np.zeros(n, np.intp)
    rows = np.ascontiguousarray(digests, dtype=np.uint8)
    # big-endian words sort as the bytes do; by the first word alone unless
    # two of an owner's share it (the same digest twice, mostly)
    words = rows.view(">u8")
    order = np.lexsort((words[:, 0], owner))
    first, by = words[order, 0], owner[order]
    if ((by[1:] == by[:-1]) & (first[1:] == first[:-1])).any():
        order = np.lexsort((*(words[:, c] for c in range(words.shape[1] - 1, -1, -1)), owner))
    owner, rows = owner[order], rows[order]
    repeated = (owner[1:] == owner[:-1]) & (rows[1:] == rows[:-1]).all(axis=1)
    fresh = np.concatenate([[True], ~repeated])
    owner, rows = owner[fresh], rows[fresh]
    text = np.empty((len(rows), _QUOTED_BYTES), np.uint8)
    text[:, 0] = ord('"')
    text[:, 1 : 2 * DIGEST_BYTES + 1 : 2] = _HEX[rows >> 4]
    text[:, 2 : 2 * DIGEST_BYTES + 2 : 2] = _HEX[rows & 15]
    text[:, -2] = ord('"')
    text[:, -1] = ord(",")
    counts = np.bincount(owner, minlength=n)
    ends = np.cumsum(counts) * _QUOTED_BYTES
    blob = text.tobytes()
    # the last comma of each owner's dropped
    out = [
        blob[e - c * _QUOTED_BYTES : e - 1] if c else b""
        for c, e in zip(counts.tolist(), ends.tolist(), strict=True)
    ]
    return out, counts
