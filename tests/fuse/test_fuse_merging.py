"""``merging.shares_observer``: whether two events hold a row of one observer,
against the sets of their observers (free rows, repeats, events without rows);
the compiled merge's candidate pairs are the k-d tree's and it merges as the
numpy code does."""

from __future__ import annotations

import numpy as np
import pytest
from pinned_days import pinned_day
from scipy.spatial import cKDTree

from ceasefire.fuse.association import Clusters, Reports, merging
from ceasefire.fuse.association.merging import MergeConfig, chebyshev_pairs, merge, shares_observer


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("table_max", [merging.TABLE_MAX, 0])
def test_shared_observers_are_the_sets_intersection(
    monkeypatch: pytest.MonkeyPatch, seed: int, table_max: int
) -> None:
    # (a table too large for the compiled loop: the sorted keys)
    monkeypatch.setattr(merging, "TABLE_MAX", table_max)
    rng = np.random.default_rng(seed)
    n_ev, n_src, n = 40, 12, 300
    labels = rng.integers(-1, n_ev - 5, n).astype(np.intp)  # the last 5 events: no rows
    src = rng.integers(0, n_src, n).astype(np.intp)
    a = rng.integers(0, n_ev, 200).astype(np.intp)
    b = rng.integers(0, n_ev, 200).astype(np.intp)
    seen = [set(src[labels == e].tolist()) for e in range(n_ev)]
    want = [bool(seen[i] & seen[j]) for i, j in zip(a.tolist(), b.tolist(), strict=True)]
    got = shares_observer(labels, src, n_src, a, b)
    assert got.dtype == bool and got.tolist() == want
    assert 0 < sum(want) < len(want)


def test_no_pairs_and_no_rows() -> None:
    none = np.zeros(0, np.intp)
    labels = np.array([-1, -1], np.intp)
    assert shares_observer(labels, np.array([0, 1], np.intp), 2, none, none).shape == (0,)
    got = shares_observer(labels, np.array([0, 1], np.intp), 2, np.array([0]), np.array([1]))
    assert got.tolist() == [False]


@pytest.mark.parametrize("seed", range(9))
def test_chebyshev_pairs_are_the_trees_pairs(seed: int) -> None:
    # random points spread most along x, y or the third coordinate (the sweep's
    # axis), and on even seeds on a grid of the window's quarter: many pairs
    # exactly the window apart, ties along the sweep
    pytest.importorskip("numba")
    rng = np.random.default_rng(seed)
    p = rng.normal(0.0, 3_000.0, (int(rng.integers(2, 120)), 3))
    p[:, seed % 3] *= 4.0
    if seed % 2 == 0:
        p = np.round(p / 500.0) * 500.0
    want = cKDTree(p).query_pairs(2_000.0, p=np.inf, output_type="ndarray")
    got = chebyshev_pairs(p, 2_000.0)
    assert got.dtype == np.intp and got.shape == want.shape
    assert sorted(map(tuple, got.tolist())) == sorted(map(tuple, want.tolist()))
    assert (got[:, 0] < got[:, 1]).all() and want.shape[0] > 0


def _scattered(seed: int) -> tuple[Reports, Clusters]:
    """A pinned day's reports and clusters with events moved onto each other,
    some unfitted (a NaN covariance entry), some with no finite T."""
    rep, cl = pinned_day()
    rng = np.random.default_rng(seed)
    e = rng.integers(0, cl.n, cl.n // 3)
    o = rng.integers(0, cl.n, e.shape[0])
    cl.x[e] = cl.x[o] + rng.normal(0.0, 30.0, e.shape[0])
    cl.y[e] = cl.y[o] + rng.normal(0.0, 30.0, e.shape[0])
    cl.T[e] = cl.T[o] + rng.normal(0.0, 0.05, e.shape[0])
    cl.cov[rng.integers(0, cl.n, 5), 1, 2] = np.nan
    cl.T[rng.integers(0, cl.n, 3)] = np.nan
    return rep, cl


@pytest.mark.parametrize("seed", range(4))
def test_compiled_merge_is_the_numpy_merge(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    pytest.importorskip("numba")
    rep, fast = _scattered(seed)
    slow = fast.copy()
    n = merge(rep, fast, MergeConfig())
    with monkeypatch.context() as m:
        m.setattr(merging, "merge_kernels", lambda: None)
        k = merge(rep, slow, MergeConfig())
    assert n == k and n > 0
    assert np.array_equal(fast.labels, slow.labels)


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
@pytest.mark.parametrize("t_fill", [np.nan, np.inf, -np.inf])
def test_candidates_without_a_finite_earliest_time(
    monkeypatch: pytest.MonkeyPatch, t_fill: float
) -> None:
    # one T not finite: numpy's nanmin decides the earliest (NaN ignored, an
    # infinite one makes every point's third coordinate infinite or NaN)
    pytest.importorskip("numba")
    rep, cl = _scattered(0)
    cl.T[7] = t_fill
    got = merging.merge_candidates(cl, rep.c, 2_000.0)
    with monkeypatch.context() as m:
        m.setattr(merging, "merge_kernels", lambda: None)
        want = merging.merge_candidates(cl, rep.c, 2_000.0)
    order_g, order_w = np.lexsort(got[:2][::-1]), np.lexsort(want[:2][::-1])
    for a, b in zip(got, want, strict=True):
        assert np.array_equal(a[order_g], b[order_w], equal_nan=True)
    assert (got[0].shape[0] > 0) == (t_fill != -np.inf)
