"""Observation id -> the SHA-256 digests of the observations of that id, held in
a few arrays: a run holds a day's (a million on a stress day) from fusion's
first pass to the day's signing, to put them in its violations' records."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

#: bytes of a SHA-256 digest
DIGEST_BYTES = 32


class DigestIndex:
    """The digests (``DIGEST_BYTES`` each) of observations by their id (without
    the source), ~56 B an id of 8 characters where a dict of ``str`` -> ``bytes``
    takes ~180 B and ~2 objects an id: the ids' hashes sorted (int64), the
    digests and the ids joined in that order, and each id's end in the join.
    A look-up compares the id found with the one asked for, so hashes that
    collide give no wrong digest. Ids that several observations share (sources
    may) give each of their digests, in the order given."""

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
        in_order = list(map(oids.__getitem__, order.tolist()))
        self._text = "".join(in_order)
        self._ends: npt.NDArray[np.int64] = np.cumsum(
            np.fromiter(map(len, in_order), dtype=np.int64, count=n)
        )

    def __len__(self) -> int:
        return len(self._hash)

    def digests_of(self, oids: Sequence[str]) -> list[list[bytes]]:
        """Each id's digests (none for an id not held), in ``oids``' order."""
        n = len(oids)
        if n == 0 or len(self._hash) == 0:
            return [[] for _ in range(n)]
        q = np.fromiter(map(hash, oids), dtype=np.int64, count=n)
        lo = np.searchsorted(self._hash, q, side="left")
        hi = np.searchsorted(self._hash, q, side="right")
        at = np.minimum(lo, len(self._hash) - 1)
        ends = self._ends[at]
        starts = np.where(at > 0, self._ends[at - 1], 0)
        joined = self._digests[at].tobytes()
        text = self._text
        out: list[list[bytes]] = []
        for k, (oid, a, b, s, e) in enumerate(
            zip(oids, lo.tolist(), hi.tolist(), starts.tolist(), ends.tolist(), strict=True)
        ):
            if b - a == 1:
                same = text[s:e] == oid
                out.append([joined[k * DIGEST_BYTES : (k + 1) * DIGEST_BYTES]] if same else [])
            else:  # none, or a shared id or colliding hashes: each compared
                out.append(self._slow(oid, a, b))
        return out

    def _slow(self, oid: str, a: int, b: int) -> list[bytes]:
        got = []
        for k in range(a, b):
            s = int(self._ends[k - 1]) if k else 0
            if self._text[s : int(self._ends[k])] == oid:
                got.append(self._digests[k].tobytes())
        return got
