"""The Merkle tree of RFC 9162 §2.1 (the RFC 6962 tree of Certificate Transparency).

Leaves hash as ``SHA-256(0x00 || data)``, interior nodes as
``SHA-256(0x01 || left || right)``, and a tree of ``n`` leaves splits at the
largest power of two smaller than ``n``. Proof generation takes a
``subtree(lo, hi)`` callable that returns ``MTH(D[lo:hi])`` for the subtrees
the RFC recursion visits (the store answers it from precomputed nodes);
verification is pure and needs only hashes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

__all__ = [
    "EMPTY_ROOT",
    "consistency_path",
    "inclusion_path",
    "largest_pow2_below",
    "leaf_hash",
    "levels_of",
    "mth",
    "node_hash",
    "root_from_inclusion",
    "subtree_from_levels",
    "verify_consistency",
    "verify_inclusion",
]

#: MTH({}) = SHA-256 of the empty string.
EMPTY_ROOT = hashlib.sha256(b"").digest()

_sha256 = hashlib.sha256
Subtree = Callable[[int, int], bytes]


def leaf_hash(data: bytes) -> bytes:
    """``SHA-256(0x00 || data)``."""
    return _sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)``."""
    return _sha256(b"\x01" + left + right).digest()


def largest_pow2_below(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (n >= 2)."""
    if n < 2:
        raise ValueError(f"n = {n}; expected n >= 2")
    return 1 << ((n - 1).bit_length() - 1)


def mth(leaf_hashes: Sequence[bytes]) -> bytes:
    """Reference ``MTH`` over leaf hashes, written as the RFC's recursion (small trees)."""
    n = len(leaf_hashes)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaf_hashes[0]
    k = largest_pow2_below(n)
    return node_hash(mth(leaf_hashes[:k]), mth(leaf_hashes[k:]))


def next_level(level: bytes) -> bytes:
    """Hash adjacent pairs of a level (concatenated 32-byte hashes); an odd last one is left."""
    sha = _sha256
    return b"".join(
        [sha(b"\x01" + level[i : i + 64]).digest() for i in range(0, len(level) - 63, 64)]
    )


def levels_of(leaves: bytes) -> list[bytes]:
    """Every perfect-subtree hash: ``levels[k]`` holds the aligned subtrees of 2**k leaves."""
    levels = [leaves]
    while len(levels[-1]) >= 64:
        levels.append(next_level(levels[-1]))
    return levels


def subtree_from_levels(levels: Sequence[bytes], lo: int, hi: int) -> bytes:
    """``MTH(D[lo:hi])`` for an RFC subtree (``lo`` aligned), from ``levels_of``."""
    if hi <= lo:
        return EMPTY_ROOT
    parts: list[bytes] = []
    start = lo
    m = hi - lo
    for k in range(m.bit_length() - 1, -1, -1):
        if m >> k & 1:
            j = start >> k
            parts.append(levels[k][32 * j : 32 * j + 32])
            start += 1 << k
    acc = parts[-1]
    for part in reversed(parts[:-1]):
        acc = node_hash(part, acc)
    return acc


def inclusion_path(index: int, size: int, subtree: Subtree) -> list[bytes]:
    """``PATH(index, D[size])`` of RFC 9162 §2.1.3.1, leaf-side first."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside a tree of size {size}")
    path: list[bytes] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = largest_pow2_below(hi - lo)
        if index < lo + k:
            path.append(subtree(lo + k, hi))
            hi = lo + k
        else:
            path.append(subtree(lo, lo + k))
            lo = lo + k
    path.reverse()
    return path


def consistency_path(old: int, new: int, subtree: Subtree) -> list[bytes]:
    """``PROOF(old, D[new])`` of RFC 9162 §2.1.4.1 (empty when old is 0 or equal to new)."""
    if not 0 <= old <= new:
        raise ValueError(f"sizes {old} -> {new}; expected 0 <= old <= new")
    if old == 0 or old == new:
        return []
    proof: list[bytes] = []
    lo, hi, m, complete = 0, new, old, True
    while m != hi - lo:
        k = largest_pow2_below(hi - lo)
        if m <= k:
            proof.append(subtree(lo + k, hi))
            hi = lo + k
        else:
            proof.append(subtree(lo, lo + k))
            lo, m, complete = lo + k, m - k, False
    if not complete:
        proof.append(subtree(lo, hi))
    proof.reverse()
    return proof


def root_from_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes]) -> bytes | None:
    """The root an inclusion path leads to (RFC 9162 §2.1.3.2), or None if it is malformed."""
    if not 0 <= index < size or len(leaf) != 32 or any(len(p) != 32 for p in path):
        return None
    fn, sn = index, size - 1
    r = leaf
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def verify_inclusion(
    index: int, size: int, leaf: bytes, path: Sequence[bytes], root: bytes
) -> bool:
    """True if ``path`` proves leaf hash ``leaf`` at ``index`` in the tree ``(size, root)``."""
    return root_from_inclusion(index, size, leaf, path) == root


def verify_consistency(
    old: int, old_root: bytes, new: int, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """True if ``proof`` shows tree ``(old, old_root)`` is a prefix of ``(new, new_root)``.

    RFC 9162 §2.1.4.2; the empty tree is a prefix of every tree.
    """
    if old < 0 or new < old or any(len(p) != 32 for p in proof):
        return False
    if old == 0:
        return not proof and old_root == EMPTY_ROOT
    if old == new:
        return not proof and old_root == new_root
    path = list(proof)
    if old & (old - 1) == 0:  # a power of two: the old root is the first node
        path.insert(0, old_root)
    if not path:
        return False
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0
