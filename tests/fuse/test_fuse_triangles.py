"""Pair support (:func:`~ceasefire.fuse.association.pairs.triangles`) and mutual-best
pairs (:func:`~ceasefire.fuse.association.pairs.mutual_best`) against their
definitions computed directly on small random graphs; their compiled loops
(the adjacency, the seeds' choice) against the numpy code."""

from __future__ import annotations

import numpy as np
import pytest
from pinned_days import pinned_day

from ceasefire.fuse.association import PairConfig, pairs
from ceasefire.fuse.association.pairs import Pairs, bearing_pairs, mutual_best, triangles


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


def test_the_compiled_seed_choice_is_the_numpy_codes(monkeypatch: pytest.MonkeyPatch) -> None:
    # the pinned day's bearing pairs with a share of rows taken, and with scores tied
    pytest.importorskip("numba")
    rep, cl = pinned_day()
    prs = bearing_pairs(rep, PairConfig())
    tri = triangles(prs, rep.n)
    rng = np.random.default_rng(5)
    tied = Pairs(prs.i, prs.j, np.round(prs.chi2), prs.x, prs.y, prs.T)
    cases = [(np.full(rep.n, -1, np.intp), prs), (cl.labels, prs), (cl.labels, tied)]
    cases.append((np.where(rng.random(rep.n) < 0.5, 0, -1).astype(np.intp), tied))
    fast = [pairs.seed_choice(lab, p, tri) for lab, p in cases]
    monkeypatch.setattr(pairs, "seed_kernel", lambda: None)
    slow = [pairs.seed_choice(lab, p, tri) for lab, p in cases]
    for (mb, rows, n), (mb_s, rows_s, n_s) in zip(fast, slow, strict=True):
        assert n == n_s and mb.dtype == mb_s.dtype == rows.dtype == rows_s.dtype
        assert np.array_equal(mb, mb_s) and np.array_equal(rows, rows_s)
    # the premise: many seeds with all rows free, fewer (not none) with some taken
    assert fast[0][0].shape[0] > 100 and 0 < fast[3][0].shape[0] < fast[0][0].shape[0]
    # every row taken: no free pair
    mb, rows, n = pairs.seed_choice(np.zeros(rep.n, np.intp), prs, tri)
    assert n == 0 and mb.shape[0] == rows.shape[0] == 0
