"""The exact matching kept only when it is provably the one optimum."""

from __future__ import annotations

import itertools

import numpy as np
import numpy.typing as npt
import pytest

from ceasefire.model import assignment
from ceasefire.model.unique_matching import (
    GAVE_UP,
    NOT_UNIQUE,
    UNIQUE,
    unique_matching_kernel,
)

I8 = npt.NDArray[np.int64]


def _kernel():  # type: ignore[no-untyped-def]
    kernel = unique_matching_kernel()
    if kernel is None:  # pragma: no cover - without numba every problem goes to the solver
        pytest.skip("numba not installed")
    return kernel


def _every_optimum(r: I8, c: I8, w: I8, n_rows: int) -> tuple[int, list[tuple[int, ...]]]:
    """The largest total weight and every matching (per row its edge, -1 alone) with it."""
    by_row = [[-1, *np.flatnonzero(r == i).tolist()] for i in range(n_rows)]
    best, arg = -(10**9), []
    for pick in itertools.product(*by_row):
        cols = [int(c[e]) for e in pick if e >= 0]
        if len(set(cols)) < len(cols):
            continue
        total = int(sum(int(w[e]) for e in pick if e >= 0))
        if total > best:
            best, arg = total, [pick]
        elif total == best:
            arg.append(pick)
    return best, arg


def test_unique_exactly_when_enumeration_finds_one_optimum() -> None:
    # small random graphs with integer weights of few values (many ties, some
    # edges worth less than nothing): the matching is optimal, and called the one
    # optimum exactly when enumeration finds a single best matching
    kernel = _kernel()
    rng = np.random.default_rng(5)
    seen = {UNIQUE: 0, NOT_UNIQUE: 0}
    for _ in range(1_500):
        n_rows, n_cols = int(rng.integers(1, 6)), int(rng.integers(1, 6))
        m = int(rng.integers(1, 10))
        pairs = np.unique(
            np.column_stack([rng.integers(0, n_rows, m), rng.integers(0, n_cols, m)]), axis=0
        )
        r, c = pairs[:, 0].astype(np.int64), pairs[:, 1].astype(np.int64)
        w = rng.integers(-2, 5, r.shape[0]).astype(np.int64)
        got = np.empty(n_rows, np.int64)
        status = kernel(r, c, w, n_rows, n_cols, 10**9, got)
        best, optima = _every_optimum(r, c, w, n_rows)
        assert status in seen
        seen[status] += 1
        assert int(w[got[got >= 0]].sum()) == best
        assert (status == UNIQUE) == (len(optima) == 1)
        if status == UNIQUE:
            assert tuple(got.tolist()) == optima[0]
    assert min(seen.values()) > 100  # both answers were exercised


def test_a_tie_between_two_pairs_is_not_unique() -> None:
    # r0 may take c0 or c1 at the same weight: two optima
    kernel = _kernel()
    got = np.empty(1, np.int64)
    r, c = np.array([0, 0], np.int64), np.array([0, 1], np.int64)
    assert kernel(r, c, np.array([3, 3], np.int64), 1, 2, 10**9, got) == NOT_UNIQUE
    assert kernel(r, c, np.array([3, 4], np.int64), 1, 2, 10**9, got) == UNIQUE
    assert got.tolist() == [1]
    # a pair weighing exactly nothing may be taken or not: two optima
    assert kernel(r[:1], c[:1], np.array([0], np.int64), 1, 1, 10**9, got) == NOT_UNIQUE


def test_the_search_gives_up_past_its_budget() -> None:
    kernel = _kernel()
    n = 50
    r = np.repeat(np.arange(n), n).astype(np.int64)
    c = np.tile(np.arange(n), n).astype(np.int64)
    w = (np.arange(n * n) % 97 + 1).astype(np.int64)
    got = np.empty(n, np.int64)
    assert kernel(r, c, w, n, n, 10, got) == GAVE_UP
    assert kernel(r, c, w, n, n, 10**9, got) in (UNIQUE, NOT_UNIQUE)


def test_min_cost_matching_gives_the_solvers_matching(monkeypatch: pytest.MonkeyPatch) -> None:
    # random sparse problems, with real costs (almost surely one optimum, settled
    # without the solver) and with whole-unit costs (ties: left to the solver): the
    # very matching the solver gives (the same call with every problem solved)
    _kernel()
    rng = np.random.default_rng(3)
    problems = []
    for n, m, whole in ((300, 900, False), (2_000, 7_000, False), (300, 900, True)):
        pairs = np.unique(rng.integers(0, n, size=(m, 2)), axis=0)
        rows, cols = pairs[:, 0], pairs[:, 1]
        if whole:
            cost = rng.integers(0, 12, rows.shape[0]) * 1.0
        else:
            cost = rng.uniform(-1.0, 12.0, rows.shape[0])
        r_ids, r_sub = np.unique(rows, return_inverse=True)
        c_ids, c_sub = np.unique(cols, return_inverse=True)
        sub = assignment._unique(
            r_sub.ravel(), c_sub.ravel(), cost, r_ids.shape[0], c_ids.shape[0], 5.0, 1e6
        )
        assert (sub is None) == whole  # real costs: one optimum; whole units: ties
        got = assignment.min_cost_matching(rows, cols, cost, n, n, 5.0)
        problems.append((rows, cols, cost, n, got))
    monkeypatch.setattr(assignment, "_unique", lambda *args: None)
    for rows, cols, cost, n, got in problems:
        assert got.tolist() == assignment.min_cost_matching(rows, cols, cost, n, n, 5.0).tolist()
