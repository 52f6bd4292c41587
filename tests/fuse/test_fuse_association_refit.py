"""Incremental upkeep of association's events (``Clusters.refit`` with its memo,
``reassignment.partition``): a refit moves only the events whose members changed
since the last one, and gives those the numbers a refit of every event gives."""

from __future__ import annotations

import numpy as np
from grid_rows import bearing_rows, fitted, reports

from ceasefire.fuse.association import Reports
from ceasefire.fuse.association.clusters import Clusters
from ceasefire.fuse.association.reassignment import partition

T0 = 1_000.0
EVENTS = [(0.0, 0.0, T0), (0.0, 3_000.0, T0 + 4.0), (6_000.0, 1_000.0, T0 + 9.0)]
POSTS = [(-8_000.0, 0.0), (8_000.0, 500.0), (500.0, -9_000.0), (-3_000.0, 9_000.0)]


def _scene() -> tuple[Reports, Clusters]:
    """Every post heard every event (bearings with a little noise, so that a fit
    moves); each event holds its own reports, estimates started 30 m off."""
    pairs = [(p, e) for e in EVENTS for p in POSTS]
    rows = bearing_rows(pairs)
    rng = np.random.default_rng(5)
    noisy = rows.az + rng.normal(0.0, np.radians(0.5), rows.az.shape[0])
    rows = type(rows)(**{**rows.__dict__, "az": noisy})
    rep = reports(rows, np.tile(np.arange(len(POSTS)), len(EVENTS)))
    labels = np.repeat(np.arange(len(EVENTS)), len(POSTS)).tolist()
    cl = fitted([(x + 30.0, y - 30.0, t) for x, y, t in EVENTS], labels)
    return rep, cl


def _full(cl: Clusters, rep: Reports) -> Clusters:
    """The same state refitted without the memo (every event)."""
    c = cl.copy()
    c.refit(rep)
    return c


def test_a_refit_moves_only_the_events_whose_members_changed() -> None:
    rep, cl = _scene()
    cl.refit(rep)
    before = cl.snapshot()
    # the last report of event 0 leaves it for nothing: events 1 and 2 unchanged
    cl.labels[len(POSTS) - 1] = -1
    want = _full(cl, rep)
    f = cl.refit(rep)
    for name in ("x", "y", "T"):
        got, old, full = getattr(cl, name), getattr(before, name), getattr(want, name)
        assert got[0] == full[0]  # refitted: a full refit's number, to the bit
        assert np.array_equal(got[1:], old[1:])  # kept as they were
        # a full refit would have stepped them again (by under 0.5 m)
        assert np.allclose(full[1:], old[1:], atol=0.5, rtol=0.0)
    assert np.array_equal(f.chi2[1:], before.memo.chi2[1:])  # type: ignore[union-attr]
    assert f.dof.tolist() == [2 * (len(POSTS) - 1) - 3] + [2 * len(POSTS) - 3] * 2
    # nothing changed since: the next refit moves nothing
    r = cl.refits
    cl.refit(rep)
    assert not cl.refitted_since(r).any()


def test_an_event_given_back_its_estimate_is_refitted() -> None:
    rep, cl = _scene()
    old = cl.copy()
    cl.refit(rep)
    fit_x = cl.x.copy()
    cl.restore(old, np.array([2]))  # its start again, same members
    r = cl.refits
    cl.refit(rep)
    assert cl.refitted_since(r).tolist() == [False, False, True]
    assert cl.x[2] == fit_x[2]  # from the same start, the same fit


def test_compaction_carries_the_memo_over_to_the_new_numbers() -> None:
    rep, cl = _scene()
    cl.refit(rep)
    # event 0 loses all but one report and cannot stand: compact drops it
    cl.labels[1 : len(POSTS)] = -1
    cl.refit(rep)
    kept = cl.snapshot()
    cl.compact(rep)
    assert cl.n == 2
    r = cl.refits
    f = cl.refit(rep)
    assert not cl.refitted_since(r).any()
    assert np.array_equal(cl.x, kept.x[1:]) and np.array_equal(f.T, kept.T[1:])


def test_partition_names_one_grouping_alike_whatever_the_numbering() -> None:
    a = np.array([1, 1, 0, -1, 0, 2])
    b = np.array([0, 0, 2, -1, 2, 1])  # the same groups, numbered otherwise
    assert partition(a).tolist() == partition(b).tolist() == [0, 0, 2, -1, 2, 5]
    c = np.array([0, 0, 2, -1, 1, 1])  # row 4 moved
    assert (partition(c) != partition(a)).sum() == 2
    assert partition(np.full(3, -1)).tolist() == [-1, -1, -1]


def test_a_refit_with_nothing_moved_gives_the_same_numbers_in_new_arrays() -> None:
    rep, cl = _scene()
    for _ in range(3):  # until every event converged
        f0 = cl.refit(rep)
    assert f0.converged.all() and f0.ok.all()
    memo = cl.memo
    assert memo is not None
    stamp, r = memo.stamp.copy(), cl.refits
    f = cl.refit(rep)
    assert cl.refits == r + 1 and not cl.refitted_since(r).any()
    assert np.array_equal(cl.memo.stamp, stamp)  # type: ignore[union-attr]
    for name in ("x", "y", "T", "cov", "chi2", "dof", "ok", "converged"):
        assert np.array_equal(getattr(f, name), getattr(f0, name), equal_nan=name == "cov")
        assert getattr(f, name) is not getattr(f0, name)
    # the fit returned before is not the clusters' state: changing that leaves it
    x0 = f0.x.copy()
    cl.x[0] += 1.0
    assert np.array_equal(f0.x, x0)
    # one member moved: its event alone refitted
    cl.labels[0] = -1
    cl.refit(rep)
    assert cl.refitted_since(r + 1).tolist() == [True, False, False]
