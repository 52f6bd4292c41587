"""The id index: record id → leaf index, over ``ids.bin`` (8-byte id digests, one per record).

Single lookups scan the memory-mapped digests with numpy; a batch append
builds a sorted copy once and keeps it current. A digest match is only a
candidate: the caller confirms it against the stored record's id.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["IdIndex"]


class IdIndex:
    """Candidate leaf indices for an id digest."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._keys: np.ndarray | None = None  # sorted digests (uint64)
        self._order: np.ndarray | None = None  # their leaf indices
        self._size = 0  # records covered by the sorted arrays
        self._recent: dict[int, list[int]] = {}
        self._lookups = 0

    def _load(self, n: int) -> np.ndarray:
        if n == 0:
            return np.zeros(0, dtype="<u8")
        return np.fromfile(self.path, dtype="<u8", count=n)

    def candidates(self, digest: bytes, n: int) -> list[int]:
        """Leaf indices ``< n`` whose id digest equals ``digest``."""
        key = int.from_bytes(digest, "little")
        self._lookups += 1
        if self._keys is None and self._lookups > 16:
            self.build(n)
        if self._keys is None or self._order is None or self._size > n:
            if n == 0:
                return []
            arr = np.memmap(self.path, dtype="<u8", mode="r", shape=(n,))
            return [int(i) for i in np.flatnonzero(arr == np.uint64(key))]
        if self._size < n:
            extra = np.fromfile(self.path, dtype="<u8", count=n - self._size, offset=8 * self._size)
            self.add(extra.tobytes(), self._size)
        lo = int(np.searchsorted(self._keys, key, side="left"))
        hi = int(np.searchsorted(self._keys, key, side="right"))
        found = [int(i) for i in self._order[lo:hi]]
        found.extend(self._recent.get(key, []))
        return found

    def build(self, n: int) -> None:
        """Sort the first ``n`` digests in memory for fast repeated lookups."""
        arr = self._load(n)
        order = np.argsort(arr, kind="stable")
        self._keys = arr[order]
        self._order = order.astype(np.int64)
        self._size = n
        self._recent = {}

    def ensure_built(self, n: int) -> None:
        """Build the sorted copy unless it exists."""
        if self._keys is None:
            self.build(n)

    def add(self, digests: bytes, first_index: int) -> None:
        """Record digests appended at ``first_index`` onward (when the sorted copy exists)."""
        if self._keys is None:
            return
        if first_index != self._size:
            self.reset()
            return
        arr = np.frombuffer(digests, dtype="<u8")
        for i, key in enumerate(arr.tolist()):
            self._recent.setdefault(key, []).append(first_index + i)
        self._size = first_index + len(arr)
        if len(self._recent) > 200_000:
            self.build(self._size)

    def reset(self) -> None:
        """Forget the sorted copy (after the files changed under us)."""
        self._keys = None
        self._order = None
        self._size = 0
        self._recent = {}
