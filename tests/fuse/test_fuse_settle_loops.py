"""A whole refit, settle or attach pass's upkeep as one compiled call
(``association.settle_loops``, numba, the ``fast`` extra): over a run of
changes (members moved into the wrong events, estimates set from elsewhere,
events left without enough reports, nothing to do) the same estimates, fits,
memo, refit count, prune state and freed members as the methods called one by
one; and a call that would hand over to the numpy code changes nothing."""

from __future__ import annotations

import numpy as np
import pytest
from pinned_days import pinned_day

from ceasefire.fuse.association import GateConfig
from ceasefire.fuse.association import clusters as clusters_mod
from ceasefire.fuse.association.clusters import Clusters
from ceasefire.fuse.association.reports import Reports
from ceasefire.fuse.solve import Fit


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")


def _same_state(a: Clusters, b: Clusters) -> None:
    for name in ("labels", "x", "y", "T", "cov"):
        assert _same(getattr(a, name), getattr(b, name)), name
    assert (a.memo is None) == (b.memo is None)
    if a.memo is not None and b.memo is not None:
        for name in ("labels", "chi2", "dof", "ok", "settled", "stamp"):
            assert _same(getattr(a.memo, name), getattr(b.memo, name)), name
    assert a.refits == b.refits
    assert a.pruned == b.pruned


def _same_fit(f: Fit, g: Fit) -> None:
    for name in ("x", "y", "T", "cov", "chi2", "dof", "ok", "converged"):
        assert _same(getattr(f, name), getattr(g, name)), name


def _unsettle(rep: Reports, cl: Clusters, step: int) -> None:
    """The same change on any copy: bearings put in random events (many fail the
    member gate), estimates moved, and on odd steps a few events left with one
    bearing (the compact drops them)."""
    r = np.random.default_rng(step)
    b = np.flatnonzero(rep.is_bearing & (r.random(rep.n) < 0.04))
    cl.labels[b] = r.integers(-1, cl.n, b.shape[0])
    g = r.integers(0, cl.n, 4)
    cl.x[g] += 300.0
    if cl.memo is not None:
        cl.memo.settled[g] = False
    if step % 2:
        for e in r.integers(0, cl.n, 3):
            rows = np.flatnonzero(cl.labels == e)
            cl.labels[rows[1:]] = -1


@pytest.mark.parametrize("with_gates", [True, False])
def test_a_settle_in_one_call_is_the_methods_one_by_one(
    monkeypatch: pytest.MonkeyPatch, with_gates: bool
) -> None:
    pytest.importorskip("numba")
    gates = GateConfig() if with_gates else None
    rep, fast = pinned_day()
    slow = fast.snapshot()
    dropped, freed = [], []
    for step in range(5):
        n0, members0 = fast.n, int((fast.labels >= 0).sum())
        f = fast.settle(rep, gates)
        with monkeypatch.context() as m:
            m.setattr(clusters_mod, "upkeep_kernel", lambda: None)
            g = slow.settle(rep, gates)
        _same_fit(f, g)
        _same_state(fast, slow)
        # the fit returned is the state's (a later change in place shows in both)
        assert f.x is fast.x and f.chi2 is fast.memo.chi2
        dropped.append(n0 - fast.n)
        freed.append(members0 - int((fast.labels >= 0).sum()))
        for cl in (fast, slow):
            _unsettle(rep, cl, step)
    # the premise: events dropped by the compacts, members freed (by the prunes
    # with gates, by the dropped events without)
    assert max(dropped) > 0 and min(freed[1:]) > 0


def test_a_settle_writes_in_place_only_into_arrays_it_made() -> None:
    """The later steps of a compiled settle (the refits after the prune and the
    compact) write into the arrays its first step copied: the estimates, fit and
    memo a caller holds from before the call stay as they were."""
    pytest.importorskip("numba")
    gates = GateConfig()
    rep, cl = pinned_day()
    f = cl.settle(rep, gates)
    for step in range(3):
        _unsettle(rep, cl, 2 * step + 1)
        assert cl.memo is not None
        held = [f.x, f.y, f.T, f.cov, f.chi2, f.dof, f.ok, f.converged, cl.memo.stamp]
        before = [a.copy() for a in held]
        n0, members0 = cl.n, int((cl.labels >= 0).sum())
        f = cl.settle(rep, gates)
        for a, b in zip(held, before, strict=True):
            assert _same(a, b)
        # the premise: rows freed and events dropped, so every step refitted
        assert int((cl.labels >= 0).sum()) < members0 and cl.n < n0
        assert not any(np.shares_memory(f.x, a) for a in held)


def test_an_attach_passs_refit_and_prune_in_one_call_are_the_methods_one_by_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("numba")
    rep, fast = pinned_day()
    slow = fast.snapshot()
    pruned = []
    for step in range(16):
        if step < 4:  # then passes on what the last left, until one frees none
            for cl in (fast, slow):
                _unsettle(rep, cl, step)
        # step 2: a new gate, every member tested again
        gates = GateConfig(member_p=0.99) if step == 2 else GateConfig()
        f, n = fast.refit_prune(rep, gates)
        with monkeypatch.context() as m:
            m.setattr(clusters_mod, "upkeep_kernel", lambda: None)
            g, k = slow.refit_prune(rep, gates)
        _same_fit(f, g)
        _same_state(fast, slow)
        assert n == k
        pruned.append(n)
        if step >= 4 and n == 0:
            break
    # the premise: members freed (then a compact and a refit), and a pass freeing none
    assert min(pruned[:4]) > 0 and pruned[-1] == 0


def test_a_refit_in_one_call_is_the_methods(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("numba")
    rep, fast = pinned_day()
    slow = fast.snapshot()
    for step in range(4):
        f = fast.refit(rep)
        with monkeypatch.context() as m:
            m.setattr(clusters_mod, "upkeep_kernel", lambda: None)
            g = slow.refit(rep)
        _same_fit(f, g)
        _same_state(fast, slow)
        if step != 2:  # step 3: nothing to refit
            for cl in (fast, slow):
                _unsettle(rep, cl, 2 * step)


def test_a_call_that_hands_over_to_the_numpy_code_changes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("numba")
    rep, cl = pinned_day()
    gates = GateConfig()
    cl.settle(rep, gates)
    # an estimate that no fit makes finite again: the compact hands over
    e = int(cl.labels[cl.labels >= 0][0])
    cl.x[e] = np.nan
    cl.memo.settled[e] = False
    before = cl.snapshot()
    before.pruned = cl.pruned
    labels = cl.labels
    assert cl._upkeep_compiled(rep, gates, clusters_mod.SETTLE_PRUNE) is None
    assert cl.labels is labels
    _same_state(cl, before)
    # and the settle then runs the methods one by one, as without the call
    f = cl.settle(rep, gates)
    with monkeypatch.context() as m:
        m.setattr(clusters_mod, "upkeep_kernel", lambda: None)
        g = before.settle(rep, gates)
    _same_fit(f, g)
    _same_state(cl, before)
    # (the event with no finite estimate dropped, by the numpy compact)
    assert np.isfinite(cl.x).all() and np.isfinite(f.x).all()


def test_covariances_not_in_c_order_settle_as_the_methods_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("numba")
    rep, fast = pinned_day()
    _unsettle(rep, fast, 1)
    # the same numbers, every other double of a wider buffer
    wide = np.zeros((*fast.cov.shape, 2))
    wide[..., 0] = fast.cov
    fast.cov = wide[..., 0]
    assert not fast.cov.flags.c_contiguous
    slow = fast.snapshot()
    assert fast._upkeep_compiled(rep, GateConfig(), clusters_mod.SETTLE_PRUNE) is None
    f = fast.settle(rep, GateConfig())
    with monkeypatch.context() as m:
        m.setattr(clusters_mod, "upkeep_kernel", lambda: None)
        g = slow.settle(rep, GateConfig())
    _same_fit(f, g)
    _same_state(fast, slow)
