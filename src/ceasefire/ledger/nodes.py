"""Every perfect-subtree hash of the tree, stored in post-order in one append-only file.

Leaf ``i`` sits at position ``2i - popcount(i)``; the node of level ``k`` that
covers leaves ``[j·2**k, (j+1)·2**k)`` follows the last leaf it covers, at
``2e - popcount(e) + k`` with ``e = (j+1)·2**k - 1`` (a Merkle mountain
range layout). A tree of ``n`` leaves holds ``2n - popcount(n)`` hashes, and
appending leaves only appends to the file. Any RFC 9162 subtree is at most
``log2 n`` reads away, so proofs on a 10-million-leaf log cost microseconds.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence

from ceasefire.ledger.merkle import EMPTY_ROOT, node_hash

__all__ = ["NodeFile", "entries_for", "leaves_for_entries", "node_position", "peaks_of"]

HASH = 32


def node_position(level: int, j: int) -> int:
    """Post-order position of the level-``level`` node number ``j``."""
    e = ((j + 1) << level) - 1
    return 2 * e - e.bit_count() + level


def entries_for(n: int) -> int:
    """How many hashes a tree of ``n`` leaves stores."""
    return 2 * n - n.bit_count()


def leaves_for_entries(count: int) -> int:
    """The largest leaf count whose nodes fit in ``count`` stored hashes."""
    n = (count + 64) // 2
    while n > 0 and entries_for(n) > count:
        n -= 1
    return n


def peaks_of(n: int) -> list[tuple[int, int]]:
    """``(level, j)`` of the perfect subtrees that make up ``n`` leaves, left to right."""
    out = []
    start = 0
    for k in range(n.bit_length() - 1, -1, -1):
        if n >> k & 1:
            out.append((k, start >> k))
            start += 1 << k
    return out


def fold(parts: Sequence[bytes]) -> bytes:
    """Fold perfect subtrees (left to right) into the RFC 9162 hash of their union."""
    if not parts:
        return EMPTY_ROOT
    acc = parts[-1]
    for part in reversed(parts[:-1]):
        acc = node_hash(part, acc)
    return acc


class NodeFile:
    """Read and extend the post-order node file through a file descriptor."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def node(self, level: int, j: int) -> bytes:
        """The stored hash of one perfect subtree."""
        pos = node_position(level, j) * HASH
        data = os.pread(self.fd, HASH, pos)
        if len(data) != HASH:
            raise IndexError(f"node (level {level}, {j}) at byte {pos} is beyond the node file")
        return data

    def leaf(self, i: int) -> bytes:
        """The stored hash of leaf ``i``."""
        return self.node(0, i)

    def subtree(self, lo: int, hi: int) -> bytes:
        """``MTH(D[lo:hi])`` for an RFC subtree (``lo`` aligned to its size's power of two)."""
        parts = []
        start = lo
        m = hi - lo
        for k in range(m.bit_length() - 1, -1, -1):
            if m >> k & 1:
                parts.append(self.node(k, start >> k))
                start += 1 << k
        return fold(parts)

    def root(self, n: int) -> bytes:
        """``MTH`` of the first ``n`` leaves."""
        return self.subtree(0, n)

    def peaks(self, n: int) -> list[tuple[int, bytes]]:
        """``(level, hash)`` of the peaks of ``n`` leaves."""
        return [(k, self.node(k, j)) for k, j in peaks_of(n)]


def extend(
    peaks: list[tuple[int, bytes]], leaf_hashes: Sequence[bytes]
) -> tuple[bytes, list[tuple[int, bytes]]]:
    """Append leaves to a tree given by its peaks: the post-order bytes to store, new peaks."""
    out: list[bytes] = []
    stack = list(peaks)
    sha = hashlib.sha256
    for h in leaf_hashes:
        out.append(h)
        level = 0
        while stack and stack[-1][0] == level:
            h = sha(b"\x01" + stack.pop()[1] + h).digest()
            level += 1
            out.append(h)
        stack.append((level, h))
    return b"".join(out), stack
