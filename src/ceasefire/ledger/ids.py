"""The id index: record id → leaf index, over ``ids.bin`` (8-byte id digests, one per record).

Single lookups scan the memory-mapped digests with numpy; batch appends use
a sorted in-memory copy (built once, then kept current with a small dict of
recent digests). A digest match is only a candidate: the caller confirms it
against the stored record's id.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

__all__ = ["IdIndex"]

#: Recent digests kept in a dict before they are merged into the sorted copy.
MERGE_AT = 1_000_000


class IdIndex:
    """Candidate leaf indices for id digests."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._keys: np.ndarray | None = None  # sorted digests (uint64)
        self._order: np.ndarray | None = None  # their leaf indices
        self._size = 0  # records covered by the sorted copy plus the recent dict
        self._recent: dict[int, list[int]] = {}

    def _read(self, start: int, stop: int) -> np.ndarray:
        if stop <= start:
            return np.zeros(0, dtype="<u8")
        return np.fromfile(self.path, dtype="<u8", count=stop - start, offset=8 * start)

    def candidates(self, digest: bytes, n: int) -> list[int]:
        """Leaf indices ``< n`` whose id digest equals ``digest``."""
        if self._keys is None or self._size != n:
            if n == 0:
                return []
            arr = np.memmap(self.path, dtype="<u8", mode="r", shape=(n,))
            key = np.frombuffer(digest, dtype="<u8")[0]
            return [int(i) for i in np.flatnonzero(arr == key)]
        return self.find_many([digest], n)[0]

    def find_many(self, digests: Sequence[bytes], n: int) -> list[list[int]]:
        """For each digest, the leaf indices ``< n`` that carry it (vectorized)."""
        self._catch_up(n)
        assert self._keys is not None and self._order is not None
        q = np.frombuffer(b"".join(digests), dtype="<u8")
        lo = np.searchsorted(self._keys, q, side="left")
        hi = np.searchsorted(self._keys, q, side="right")
        out: list[list[int]] = [[] for _ in digests]
        for j in np.flatnonzero(hi > lo).tolist():
            out[j] = [int(i) for i in self._order[lo[j] : hi[j]]]
        if self._recent:
            for j, key in enumerate(q.tolist()):
                found = self._recent.get(key)
                if found:
                    out[j] = out[j] + found
        return out

    def _catch_up(self, n: int) -> None:
        if self._keys is None or self._size > n:
            self.build(n)
        elif self._size < n:
            self.add(self._read(self._size, n).tobytes(), self._size)

    def build(self, n: int) -> None:
        """Sort the first ``n`` digests in memory."""
        arr = self._read(0, n)
        order = np.argsort(arr, kind="stable")
        self._keys = arr[order]
        self._order = order.astype(np.int64)
        self._size = n
        self._recent = {}

    def add(self, digests: bytes, first_index: int) -> None:
        """Digests appended at ``first_index`` onward (kept only if the sorted copy exists)."""
        if self._keys is None:
            return
        if first_index != self._size:
            self.reset()
            return
        arr = np.frombuffer(digests, dtype="<u8")
        recent = self._recent
        for i, key in enumerate(arr.tolist(), start=first_index):
            got = recent.get(key)
            if got is None:
                recent[key] = [i]
            else:
                got.append(i)
        self._size = first_index + len(arr)
        if len(recent) > MERGE_AT:
            self.build(self._size)

    def reset(self) -> None:
        """Forget the sorted copy (after the files changed under us)."""
        self._keys = None
        self._order = None
        self._size = 0
        self._recent = {}
