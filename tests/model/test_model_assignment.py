"""The sparse assignment with unmatched rows and columns allowed."""

from __future__ import annotations

import numpy as np
import pytest

from ceasefire.model.assignment import min_cost_matching


def test_least_total_cost_and_unmatched_when_an_edge_costs_more_than_two_stand_ins() -> None:
    # edges: (r0,c0) 1.0, (r0,c1) 0.5, (r1,c1) 1.0, (r2,c2) 9.0
    rows = np.array([0, 0, 1, 2])
    cols = np.array([0, 1, 1, 2])
    cost = np.array([1.0, 0.5, 1.0, 9.0])
    # with unmatched at 4: r0-c0 and r1-c1 (total 2) beat r0-c1 alone (0.5 + 2 x 4);
    # r2-c2 costs more than leaving both alone (9 > 8)
    assert min_cost_matching(rows, cols, cost, 3, 3, 4.0).tolist() == [0, 2, -1]
    # with unmatched at 5, r2-c2 (9 < 10) is worth taking
    assert min_cost_matching(rows, cols, cost, 3, 3, 5.0).tolist() == [0, 2, 3]
    assert min_cost_matching(rows[:0], cols[:0], cost[:0], 2, 4, 1.0).tolist() == [-1, -1]


def _scipy_reference(rows, cols, cost, n, u):  # type: ignore[no-untyped-def]
    """The same padded problem solved by scipy's LAPJVsp (the former solver)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import min_weight_full_bipartite_matching

    m = rows.shape[0]
    ri = np.concatenate([rows, np.arange(n), n + np.arange(n), n + cols])
    ci = np.concatenate([cols, n + np.arange(n), np.arange(n), n + rows])
    w = np.concatenate([cost, np.full(2 * n, u), np.zeros(m)]) + 1.0
    _, col = min_weight_full_bipartite_matching(coo_matrix((w, (ri, ci)), shape=(2 * n, 2 * n)))
    out = np.full(n, -1)
    for i in np.flatnonzero(col[:n] < n):
        out[i] = int(np.flatnonzero((rows == i) & (cols == col[i]))[0])
    return out


def test_matches_the_scipy_reference_on_random_sparse_problems() -> None:
    # random sparse problems with components of all sizes, some edges worth less
    # than leaving both ends alone: the same optimum as scipy's LAPJVsp
    rng = np.random.default_rng(7)
    for n, m in ((40, 30), (300, 500), (1_500, 2_500)):
        pairs = np.unique(rng.integers(0, n, size=(m, 2)), axis=0)
        rows, cols = pairs[:, 0], pairs[:, 1]
        cost = rng.uniform(-1.0, 12.0, rows.shape[0])  # above 2 x 5: left alone
        got = min_cost_matching(rows, cols, cost, n, n, 5.0)
        assert got.tolist() == _scipy_reference(rows, cols, cost, n, 5.0).tolist()
        taken = got[got >= 0]
        assert np.unique(cols[taken]).shape[0] == taken.shape[0]  # one edge per column


def test_an_edge_of_infinite_cost_is_never_taken() -> None:
    rows, cols = np.array([0, 0]), np.array([0, 1])
    got = min_cost_matching(rows, cols, np.array([np.inf, 3.0]), 1, 2, 5.0)
    assert got.tolist() == [1]


def test_a_huge_unmatched_cost_matches_as_many_as_it_can() -> None:
    # the scorer leaves one alone at 1e4: the most matches first, then the least cost
    # (r0-c0 + r1-c1 at 9 + 9 beat r0-c1 alone at 1, which would leave two ends alone)
    rows, cols = np.array([0, 0, 1]), np.array([0, 1, 1])
    cost = np.array([9.0, 1.0, 9.0])
    assert min_cost_matching(rows, cols, cost, 2, 2, 1e4).tolist() == [0, 2]
    # and at a scale where integer costs must be coarse: 3,000 rows, unmatched 1e12
    n = 3_000
    rows = np.arange(n)
    with pytest.warns(RuntimeWarning, match="resolved to"):
        got = min_cost_matching(rows, rows, np.full(n, 2.0), n, n, 1e12)
    assert (got == rows).all()


def test_costs_too_large_to_resolve_are_reported() -> None:
    # one outlier edge of 1e12 leaves integer costs far coarser than a unit: the two
    # cheap edges (1.0 and 1.4) can no longer be told apart, and the caller is warned
    with pytest.warns(RuntimeWarning, match="resolved to"):
        min_cost_matching([0, 0, 1], [0, 1, 1], [1.0, 1.4, 1e12], 2, 2, 1e12)


def _total(rows, cols, cost, got, n_rows, n_cols, u):  # type: ignore[no-untyped-def]
    """The padded problem's cost of a matching: its edges plus u per one left alone."""
    taken = got[got >= 0]
    return float(cost[taken].sum()) + u * (n_rows + n_cols - 2 * taken.shape[0])


def test_small_components_by_enumeration_give_the_reference_optimum() -> None:
    # many components of 2 to 12 edges (what reassignment offers), costs in whole
    # units so that many components have two best matchings (left to the solver):
    # the least total cost, one edge per row and column
    rng = np.random.default_rng(11)
    rows_l, cols_l = [], []
    n = 0
    for _ in range(400):
        k = int(rng.integers(1, 5))
        pairs = np.unique(rng.integers(0, k, size=(int(rng.integers(2, 10)), 2)), axis=0)
        rows_l.append(n + pairs[:, 0])
        cols_l.append(n + pairs[:, 1])
        n += k
    rows, cols = np.concatenate(rows_l), np.concatenate(cols_l)
    for cost in (rng.uniform(-1.0, 12.0, rows.shape[0]), rng.integers(0, 6, rows.shape[0]) * 2.0):
        got = min_cost_matching(rows, cols, cost, n, n, 5.0)
        ref = _scipy_reference(rows, cols, cost, n, 5.0)
        taken = got[got >= 0]
        assert np.unique(cols[taken]).shape[0] == taken.shape[0]
        assert (rows[taken] == np.flatnonzero(got >= 0)).all()
        assert _total(rows, cols, cost, got, n, n, 5.0) == pytest.approx(
            _total(rows, cols, cost, ref, n, n, 5.0), abs=1e-6
        )


def test_a_small_component_with_two_best_matchings_is_left_to_the_solver() -> None:
    from ceasefire.model.small_matching import small_component_kernel

    kernel = small_component_kernel()
    if kernel is None:  # pragma: no cover - without numba every edge goes to the solver
        pytest.skip("numba not installed")
    # component A: r0-c0 and r0-c1 gain -3 each (a tie); component B: r1-c2 -1,
    # r1-c3 -4, r2-c3 -2 (r1-c3 alone, -4, beats r1-c2 with r2-c3, -3); component
    # C: r3-c4 gains +1 (better left alone)
    r = np.array([0, 0, 1, 1, 2, 3])
    c = np.array([0, 1, 2, 3, 3, 4])
    gain = np.array([-3, -3, -1, -4, -2, 1])
    chosen = np.zeros(6, bool)
    left = np.zeros(6, bool)
    kernel(r, c, gain, 4, 5, chosen, left)
    assert left.tolist() == [True, True, False, False, False, False]
    assert chosen.tolist() == [False, False, False, True, False, False]


@pytest.mark.parametrize(
    ("rows", "cols", "cost", "what"),
    [
        ([0, 2], [0, 0], [1.0, 1.0], "rows must lie in 0..1"),
        ([0, 1], [0, -1], [1.0, 1.0], "cols in 0..1"),
        ([0, 1], [0, 1], [1.0], "one length"),
    ],
)
def test_edges_outside_the_problem_are_refused_before_any_loop(
    rows: list[int], cols: list[int], cost: list[float], what: str
) -> None:
    # the compiled loops index by the edges unchecked: a bad edge must not reach them
    with pytest.raises(ValueError, match=what):
        min_cost_matching(rows, cols, cost, 2, 2, 1.0)
