"""The settle's upkeep by compiled loops (``association.upkeep_loops``, numba,
the ``fast`` extra): over a run of refits (fresh, after moves, after an estimate
set from elsewhere, with nothing to do, after events were added) the numpy
code's estimates, fits and memo, array for array; over a run of prunes (every
member, then incremental, then under a new gate) the members it frees; over a
run of compacts (events dropped, the rest renumbered) the same events and memo."""

from __future__ import annotations

import numpy as np
import pytest
from pinned_days import pinned_day

from ceasefire.fuse.association import GateConfig
from ceasefire.fuse.association import clusters as clusters_mod


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")


def test_the_compiled_refits_keep_the_numpy_codes_estimates_fits_and_memo(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("numba")
    rep, fast = pinned_day()
    slow = fast.snapshot()
    refitted = []
    for step in range(6):
        f = fast.refit(rep)
        with monkeypatch.context() as m:
            m.setattr(clusters_mod, "refit_kernels", lambda: None)
            # (the whole refit as one compiled call: .settle_loops, not this test's)
            m.setattr(clusters_mod, "upkeep_kernel", lambda: None)
            g = slow.refit(rep)
        for name in ("x", "y", "T", "cov", "chi2", "dof", "ok", "converged"):
            assert _same(getattr(f, name), getattr(g, name)), name
        assert fast.memo is not None and slow.memo is not None
        for name in ("labels", "chi2", "dof", "ok", "settled", "stamp"):
            assert _same(getattr(fast.memo, name), getattr(slow.memo, name)), name
        assert fast.refits == slow.refits
        refitted.append(int((fast.memo.stamp == fast.refits).sum()) - fast.n * (step == 0))
        # the next refit's work: bearings moved or freed, an estimate set from
        # elsewhere, nothing (step 3), new events
        for cl in (fast, slow):
            r = np.random.default_rng(step)
            if step in (0, 1):
                b = np.flatnonzero(rep.is_bearing & (r.random(rep.n) < 0.02))
                cl.labels[b] = r.integers(-1, cl.n, b.shape[0])
            elif step == 2:
                cl.restore(cl.copy(), r.integers(0, cl.n, 5))
            elif step == 4:
                free = np.flatnonzero(cl.labels < 0)[:6]
                cl.add(np.array([0, 0, 0, 1, 1, 1]), free, cl.x[:2], cl.y[:2], cl.T[:2])
    # the premise: every event fitted first, then some each time (those not settled
    # and those changed: the new events add to them)
    assert refitted[0] == 0
    assert min(refitted[1:]) > 0 and refitted[5] > refitted[4]


def test_the_compiled_prunes_free_the_members_the_numpy_code_frees(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("numba")
    gates = GateConfig()
    rep, fast = pinned_day()
    # a twentieth of the bearings put in a random event (many fail the member gate)
    r = np.random.default_rng(9)
    b = np.flatnonzero(rep.is_bearing & (r.random(rep.n) < 0.05))
    fast.labels[b] = r.integers(0, fast.n, b.shape[0])
    slow = fast.snapshot()
    freed = []
    for step in range(4):
        for cl in (fast, slow):
            cl.refit(rep)
        got = fast.prune(rep, gates)
        with monkeypatch.context() as m:
            m.setattr(clusters_mod, "prune_kernels", lambda: None)
            want = slow.prune(rep, gates)
        assert got == want
        assert np.array_equal(fast.labels, slow.labels)
        assert fast.pruned == slow.pruned
        freed.append(got)
        if step == 1:  # a new gate: every member tested again
            gates = GateConfig(member_p=0.99)
    # the premise: members freed on every full test, fewer once incremental
    assert freed[0] > 50 and freed[2] > 0 and freed[1] < freed[0]


def test_the_compiled_compacts_keep_the_numpy_codes_events_and_memo(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("numba")
    rep, fast = pinned_day()
    fast.refit(rep)
    slow = fast.snapshot()
    dropped = []
    for step in range(3):
        # events made to fall: unfitted, or their rows mostly freed
        for cl in (fast, slow):
            q = np.random.default_rng(step)
            cl.cov[q.integers(0, cl.n, 3)] = np.nan
            lone = q.integers(0, cl.n, 3)
            cl.labels[np.isin(cl.labels, lone) & (q.random(rep.n) < 0.9)] = -1
        n0 = fast.n
        fast.compact(rep)
        with monkeypatch.context() as m:
            m.setattr(clusters_mod, "compact_kernel", lambda: None)
            slow.compact(rep)
        for name in ("labels", "x", "y", "T", "cov"):
            assert _same(getattr(fast, name), getattr(slow, name)), name
        assert fast.memo is not None and slow.memo is not None
        for name in ("labels", "chi2", "dof", "ok", "settled", "stamp"):
            assert _same(getattr(fast.memo, name), getattr(slow.memo, name)), name
        dropped.append(n0 - fast.n)
    # the premise: events dropped (and the rest renumbered) on every step
    assert min(dropped) > 0
