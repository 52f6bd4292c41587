"""``observer_runs`` of increasing rows (read off the all-rows order sorted once)
equals the sort of those rows themselves: ties in time, NaN times, one position;
the all-rows order of rows in time order (sorted by position alone) is the
two-key sort's."""

from __future__ import annotations

import numpy as np
import pytest

from ceasefire.fuse.association import Reports
from ceasefire.fuse.association.reports import observer_run_bounds, observer_runs
from ceasefire.fuse.solve import Rows


@pytest.mark.parametrize("seed", [1, 2])
def test_runs_of_increasing_rows_equal_their_own_sort(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 3_000
    post = rng.integers(0, 30, n)
    t = rng.integers(0, 400, n).astype(float)  # many ties
    t[rng.random(n) < 0.02] = np.nan
    rows = Rows(
        post * 1_000.0, post * -500.0, np.full(n, np.nan), np.full(n, np.nan), t,
        np.full(n, 0.003), np.ones(n), np.full(n, np.nan), np.full(n, np.nan),
    )  # fmt: skip
    rep = Reports(rows, post.astype(np.intp), np.full(n, 2, np.int8), 343.0, 30_000.0)
    for idx in (np.flatnonzero(rng.random(n) < 0.4), np.arange(n), np.flatnonzero(post == 7)):
        got, runs = observer_runs(rep, idx)
        order = np.lexsort((t[idx], rep.position_id[idx]))
        assert np.array_equal(got, idx[order])
        pid = rep.position_id[got]
        assert [pid[a] for a, _ in runs] == sorted(set(pid.tolist()))
        assert all(np.all(pid[a:b] == pid[a]) for a, b in runs)
    # not increasing: sorted by itself
    idx = rng.permutation(n)[:500]
    got, _ = observer_runs(rep, idx)
    assert np.array_equal(got, idx[np.lexsort((t[idx], rep.position_id[idx]))])


def test_run_bounds_are_the_runs_as_arrays() -> None:
    rng = np.random.default_rng(3)
    n = 500
    post = rng.integers(0, 9, n)
    rows = Rows(
        post * 1_000.0, post * 0.0, np.full(n, np.nan), np.full(n, np.nan),
        rng.random(n) * 100.0, np.full(n, 0.003), np.ones(n), np.full(n, np.nan),
        np.full(n, np.nan),
    )  # fmt: skip
    rep = Reports(rows, post.astype(np.intp), np.full(n, 2, np.int8), 343.0, 30_000.0)
    for idx in (np.flatnonzero(rng.random(n) < 0.3), rng.permutation(n)[:40], np.arange(1)):
        out, runs = observer_runs(rep, idx)
        got, starts, ends = observer_run_bounds(rep, idx)
        assert np.array_equal(got, out)
        assert starts.dtype == ends.dtype == np.intp
        assert list(zip(starts.tolist(), ends.tolist(), strict=True)) == runs
        assert ends[-1] == idx.shape[0] and starts[0] == 0


@pytest.mark.parametrize("n", [2, 3_000])
def test_the_run_order_of_rows_in_time_order_is_the_two_key_sort(n: int) -> None:
    # rows in time order (ties, -0.0 beside 0.0) take a sort by position alone;
    # one NaN time puts them out of order: the two-key sort
    rng = np.random.default_rng(n)
    post = rng.integers(0, 40, n)
    t = np.sort(rng.integers(-50, 300, n).astype(float))
    t[t == 0.0] = np.where(rng.random(int((t == 0.0).sum())) < 0.5, -0.0, 0.0)
    for times in (t, np.where(np.arange(n) == n // 2, np.nan, t)):
        rows = Rows(
            post * 1_000.0, post * -500.0, np.full(n, np.nan), np.full(n, np.nan), times,
            np.full(n, 0.003), np.ones(n), np.full(n, np.nan), np.full(n, np.nan),
        )  # fmt: skip
        rep = Reports(rows, post.astype(np.intp), np.full(n, 2, np.int8), 343.0, 30_000.0)
        want = np.lexsort((times, rep.position_id))
        assert rep.run_order.dtype == np.intp
        assert np.array_equal(rep.run_order, want)
