"""Clusters.compact without the reach check: an event with a position that is not
finite (a NaN distance to its reports) goes, finite ones stay, whether the
distances are computed or known finite beforehand."""

from __future__ import annotations

import numpy as np
import pytest

from ceasefire.fuse.association import Clusters, Reports
from ceasefire.fuse.association.clusters import Memo
from ceasefire.fuse.solve import Rows


def _reports(ox: np.ndarray) -> Reports:
    n = ox.shape[0]
    rows = Rows(
        ox, np.zeros(n), np.full(n, 0.3), np.full(n, 0.01), np.arange(n, dtype=float),
        np.full(n, 0.05), np.ones(n), np.full(n, np.nan), np.full(n, np.nan),
    )  # fmt: skip
    return Reports(rows, np.arange(n), np.full(n, 2, np.int8), 343.0, 30_000.0)


def _compact(rep: Reports, x: np.ndarray) -> Clusters:
    # three events of two bearings each, all fitted
    cl = Clusters(
        np.repeat(np.arange(3), 2), x, np.zeros(3), np.zeros(3), np.tile(np.eye(3), (3, 1, 1))
    )
    cl.compact(rep)
    return cl


def test_an_event_at_a_nan_position_goes_and_the_others_stay() -> None:
    rep = _reports(np.array([0.0, 1e3, 2e3, 3e3, 4e3, 5e3]))
    assert rep.finite_positions
    # finite estimates far beyond the reach stay (the reach is not checked here)
    cl = _compact(rep, np.array([0.0, 1e9, 2e3]))
    assert cl.n == 3 and cl.labels.tolist() == [0, 0, 1, 1, 2, 2]
    cl = _compact(rep, np.array([0.0, np.nan, 2e3]))
    assert cl.n == 2 and cl.labels.tolist() == [0, 0, -1, -1, 1, 1]
    # an infinite estimate: hypot is infinite, not NaN, so within an infinite reach
    cl = _compact(rep, np.array([0.0, np.inf, 2e3]))
    assert cl.n == 3


def test_a_report_at_a_nan_position_takes_its_event_with_it() -> None:
    rep = _reports(np.array([0.0, 1e3, np.nan, 3e3, 4e3, 5e3]))
    assert not rep.finite_positions
    cl = _compact(rep, np.array([0.0, 2e3, 4e3]))
    assert cl.n == 2 and cl.labels.tolist() == [0, 0, -1, -1, 1, 1]


def test_a_dropped_event_frees_its_rows_and_the_others_and_the_memo_renumber() -> None:
    # rows: event 0 (two), a free row, event 1 (unfitted: goes), event 2 (two)
    rep = _reports(np.arange(7) * 1e3)
    labels = np.array([0, 0, -1, 1, 1, 2, 2])
    cov = np.tile(np.eye(3), (3, 1, 1))
    cov[1] = np.nan
    # the last refit saw row 3 free (so its memo labels differ from the labels)
    memo = Memo(
        np.array([0, 0, -1, -1, 1, 2, 2]), np.array([1.0, 2.0, 3.0]), np.array([1, 2, 3]),
        np.ones(3, bool), np.ones(3, bool), np.array([4, 5, 6]),
    )  # fmt: skip
    cl = Clusters(labels, np.zeros(3), np.zeros(3), np.zeros(3), cov, memo)
    cl.compact(rep)
    assert cl.n == 2
    # in place: the caller's array sees the new labels
    assert labels.tolist() == [0, 0, -1, -1, -1, 1, 1] and cl.labels is labels
    assert cl.memo is not None
    assert cl.memo.labels.tolist() == [0, 0, -1, -1, -1, 1, 1]
    assert cl.memo.chi2.tolist() == [1.0, 3.0] and cl.memo.stamp.tolist() == [4, 6]
    # the memo's labels are its own: the old memo's are untouched
    assert memo.labels.tolist() == [0, 0, -1, -1, 1, 2, 2]


def test_member_counts_count_finite_azimuths_as_bearings_and_the_rest_as_arrivals(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ceasefire.fuse.association import clusters

    labels = np.array([0, 0, 1, -1, 1, 2, 2, -1])
    az = np.array([0.1, np.nan, np.inf, 0.3, -0.2, np.nan, -np.inf, 0.5])
    for numba in (True, False):
        if not numba:
            monkeypatch.setattr(clusters, "_members_kernel", lambda: None)
        nb, na = clusters.member_counts(labels, az, 4)
        assert nb.tolist() == [1, 1, 0, 0]
        assert na.tolist() == [1, 1, 2, 0]


def test_an_event_is_fitted_only_when_all_nine_covariance_entries_are_finite(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ceasefire.fuse.association import gates

    cov = np.tile(np.eye(3), (4, 1, 1))
    cov[1, 2, 1] = np.inf
    cov[2, 0, 2] = np.nan
    cov[3, 1, 1] = -1e308
    ev = Clusters(np.zeros(0, np.intp), np.zeros(4), np.zeros(4), np.zeros(4), cov)
    for numba in (True, False):
        if not numba:
            monkeypatch.setattr(gates, "_fitted_kernel", lambda: None)
        assert gates.fitted(ev).tolist() == [True, False, False, True]


def test_dirty_rows_marks_the_events_rows_moved_between_and_lists_their_rows() -> None:
    from ceasefire.fuse.association import clusters

    old = np.array([0, 0, 1, -1, 2, 2, 3, 1])
    labels = np.array([0, 0, -1, 1, 2, 3, 3, 1])
    # row 2 left event 1, row 3 joined it, row 5 moved from event 2 to 3;
    # event 0 was marked already
    dirty = np.array([True, False, False, False])
    rows = clusters.dirty_rows(labels, old, dirty)
    assert dirty.tolist() == [True, True, True, True]
    assert rows.tolist() == [0, 1, 3, 4, 5, 6, 7]
    # nothing moved: only the marked event's rows
    dirty = np.array([False, False, True, False])
    assert clusters.dirty_rows(labels, labels.copy(), dirty).tolist() == [4]
    assert dirty.tolist() == [False, False, True, False]
    # no labels before (or another length): nothing marked
    for before in (None, old[:3]):
        dirty = np.array([False, True, False, False])
        assert clusters.dirty_rows(labels, before, dirty).tolist() == [3, 7]
        assert dirty.tolist() == [False, True, False, False]
