"""Pair support (:func:`~ceasefire.fuse.association.pairs.triangles`) and mutual-best
pairs (:func:`~ceasefire.fuse.association.pairs.mutual_best`) against their
definitions computed directly on small random graphs."""

from __future__ import annotations

import numpy as np
import pytest

from ceasefire.fuse.association import pairs
from ceasefire.fuse.association.pairs import Pairs, mutual_best, triangles


def _graph(seed: int, n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, n, m), rng.integers(0, n, m)
    key = np.unique(np.minimum(a, b) * n + np.maximum(a, b))
    key = key[key // n != key % n]  # no row paired with itself
    return key // n, key % n


def test_a_pairs_support_is_the_count_of_rows_paired_with_both() -> None:
    n = 120
    i, j = _graph(1, n, 900)
    z = np.zeros(i.shape[0])
    got = triangles(Pairs(i, j, z, z, z, z), n)
    A = np.zeros((n, n), np.int64)
    A[i, j] = A[j, i] = 1
    want = (A @ A)[i, j]
    assert got.dtype == np.float64
    assert np.array_equal(got, want.astype(float))
    assert want.max() >= 3 and (want == 0).any()  # the premise: supports vary


def test_mutual_best_pairs_are_each_ends_first_choice() -> None:
    n = 60
    i, j = _graph(2, n, 400)
    rng = np.random.default_rng(3)
    score = rng.integers(0, 5, i.shape[0]).astype(float)  # ties: the lower pair wins
    got = mutual_best(i, j, score)
    best = {}
    for p in range(i.shape[0]):
        for r in (int(i[p]), int(j[p])):
            if r not in best or score[p] < score[best[r]]:
                best[r] = p
    want = np.array([best[int(i[p])] == p and best[int(j[p])] == p for p in range(i.shape[0])])
    assert np.array_equal(got, want)
    assert 0 < int(want.sum()) < i.shape[0]


def test_the_compiled_support_is_the_sparse_products(monkeypatch: pytest.MonkeyPatch) -> None:
    # the adjacency by a compiled counting sort against scipy's A @ A, a pair listed
    # twice (either way round) counting once, as the sparse pattern holds it
    pytest.importorskip("numba")
    n = 200
    i, j = _graph(4, n, 2_000)
    i = np.concatenate([i, j[:50], i[60:70]])
    j = np.concatenate([j, i[:50], j[60:70]])
    z = np.zeros(i.shape[0])
    fast = triangles(Pairs(i, j, z, z, z, z), n)
    monkeypatch.setattr(pairs, "triangles_kernel", lambda: None)
    slow = triangles(Pairs(i, j, z, z, z, z), n)
    assert fast.dtype == slow.dtype == np.float64
    assert np.array_equal(fast, slow)
    assert slow.max() >= 3
    # a row with no pair and a graph of one pair
    one = Pairs(np.array([3]), np.array([7]), *(np.zeros(1),) * 4)
    assert np.array_equal(triangles(one, 10), np.zeros(1))
