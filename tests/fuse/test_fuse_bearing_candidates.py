"""Every bearing's candidate events kept across reassignment passes
(:func:`~ceasefire.fuse.association.gates.bearing_candidates`): the pairs of the
direct search (:func:`~ceasefire.fuse.association.gates.time_candidates` of all
bearings) whatever moved, was renumbered or went since the last call, and only
the events whose estimate changed are searched again. On the fixed heavy day of
the identity test (its reports and pinned events)."""

from __future__ import annotations

import numpy as np
import pytest
from pinned_days import pinned_day

from ceasefire.fuse.association import Clusters, Reports
from ceasefire.fuse.association import gates as gates_mod
from ceasefire.fuse.association.gates import (
    bearing_candidates,
    bearing_candidates_gated,
    marginal_gate,
    time_candidates,
)


def _pairs(g: np.ndarray, k: np.ndarray) -> set[tuple[int, int]]:
    return set(zip(g.tolist(), k.tolist(), strict=True))


def _direct(rep: Reports, cl: Clusters) -> set[tuple[int, int]]:
    return _pairs(*time_candidates(rep, np.flatnonzero(rep.is_bearing), cl))


def test_the_kept_windows_are_the_direct_searchs_after_moves_renumbering_and_losses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rep, cl = pinned_day()
    searched: list[int] = []
    real = gates_mod.windows

    def counting(*args: object, **kw: object) -> tuple[np.ndarray, np.ndarray]:
        searched.append(int(np.asarray(args[7]).shape[0]))  # events searched
        return real(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(gates_mod, "windows", counting)
    # the search call by call, whose windows are counted here (the search in one
    # compiled call is those calls': tests/fuse/test_fuse_kept_loops.py)
    monkeypatch.setattr(gates_mod, "search_kernel", lambda: None)
    first = bearing_candidates(rep, cl)
    assert len(first[0]) > 3_000  # the premise: a busy day
    assert _pairs(*first) == _direct(rep, cl)
    assert searched[-1] == cl.n
    # all searched: the direct pairs in a stable order by event (each event's rows
    # by position, then time), the order the kept segments are expanded in
    g0, k0 = time_candidates(rep, np.flatnonzero(rep.is_bearing), cl)
    by_event = np.argsort(g0, kind="stable")
    assert np.array_equal(first[0], g0[by_event]) and np.array_equal(first[1], k0[by_event])
    # unchanged: nothing searched, the same pairs
    assert _pairs(*bearing_candidates(rep, cl)) == _pairs(*first)
    assert searched[-1] == 0
    # 7 events moved (one by a single bit of T: a different estimate), one made
    # unfitted, and the events renumbered: only the moved are searched
    rng = np.random.default_rng(3)
    moved = rng.choice(cl.n, 7, replace=False)
    cl.x[moved[:6]] += rng.uniform(-3_000.0, 3_000.0, 6)
    cl.T[moved[6]] = np.nextafter(cl.T[moved[6]], np.inf)
    cl.cov[moved[0] - 1] = np.nan
    perm = rng.permutation(cl.n)
    cl = Clusters(cl.labels, cl.x[perm], cl.y[perm], cl.T[perm], cl.cov[perm])
    got = bearing_candidates(rep, cl)
    assert searched[-1] == 7 - int(moved[0] - 1 in moved)
    assert _pairs(*got) == _direct(rep, cl)
    # no pair twice; by event
    assert len(_pairs(*got)) == got[0].shape[0]
    assert bool(np.all(np.diff(got[0]) >= 0))


def test_two_events_with_one_estimate_share_their_windows() -> None:
    rep, cl = pinned_day()
    twin = Clusters(
        cl.labels, np.r_[cl.x, cl.x[:3]], np.r_[cl.y, cl.y[:3]], np.r_[cl.T, cl.T[:3]],
        np.concatenate([cl.cov, cl.cov[:3]]),
    )  # fmt: skip
    bearing_candidates(rep, cl)
    assert _pairs(*bearing_candidates(rep, twin)) == _direct(rep, twin)


def test_the_kept_gates_are_the_marginal_gates_of_the_pairs_after_a_covariance_change() -> None:
    rep, cl = pinned_day()
    g, k, passes = bearing_candidates_gated(rep, cl)
    assert 0 < int(passes.sum()) < passes.shape[0]  # the gate decides some pairs
    assert np.array_equal(passes, marginal_gate(rep.rows, g, k, cl, rep.c))
    # the covariance alone changed (x, y, T, the time sd kept): the window is the
    # same, the gate not; those events are searched again and gated anew
    hit = np.unique(g[~passes])[:20]
    cl.cov[hit, 0, 1] = cl.cov[hit, 1, 0] = 0.0
    cl.cov[hit, 0, 0] *= 1e-6
    cl.cov[hit, 1, 1] = cl.cov[hit, 1, 1] + cl.cov[hit, 0, 0] * (1e6 - 1.0)
    g2, k2, passes2 = bearing_candidates_gated(rep, cl)
    assert _pairs(g2, k2) == _direct(rep, cl)
    assert np.array_equal(passes2, marginal_gate(rep.rows, g2, k2, cl, rep.c))
    assert not np.array_equal(passes2[np.isin(g2, hit)], passes[np.isin(g, hit)])


def test_the_kept_pairs_stay_the_direct_searchs_while_the_pool_is_rebuilt() -> None:
    # a third of the events move before every search: the pool gains their new
    # segments each time and is rebuilt from the live ones when mostly dead
    rep, cl = pinned_day()
    rng = np.random.default_rng(5)
    sizes = []
    for _ in range(8):
        got = bearing_candidates(rep, cl)
        assert _pairs(*got) == _direct(rep, cl)
        assert len(_pairs(*got)) == got[0].shape[0]
        memo = rep.window_memo
        assert memo.rows is not None
        sizes.append(memo.rows.shape[0] / got[0].shape[0])
        moved = rng.random(cl.n) < 0.35
        cl.x[moved] += rng.uniform(-500.0, 500.0, int(moved.sum()))
    assert max(sizes) > 1.5  # the premise: dead segments pile up
    assert max(sizes) <= gates_mod._POOL_SLACK + 1  # and are let go
