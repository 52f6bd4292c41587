"""A reassignment pass's matching problem by its compiled loops
(``association.reassign_loops``, numba, the ``fast`` extra): the numpy code's
edges, costs, rows and columns to the bit, on the fixed heavy day of the
identity test with members scrambled, with and without a focus; and a pass by
either gives the same labels."""

from __future__ import annotations

import numpy as np
import pytest
from pinned_days import pinned_day

from ceasefire.fuse.association import (
    Clusters,
    GateConfig,
    ReassignConfig,
    Reports,
    reassign_loops,
    reassignment,
)
from ceasefire.fuse.association.gates import KeptPairs, bearing_candidates_gated, quantile


def _day(seed: int) -> tuple[Reports, Clusters]:
    """The pinned heavy day with ~300 bearings moved to another event among their
    pre-gated candidates and a twentieth freed (the pass has work)."""
    rep, cl = pinned_day()
    rng = np.random.default_rng(seed)
    g, k, passes = bearing_candidates_gated(rep, cl)
    other = np.flatnonzero(passes & (cl.labels[k] != g))
    pick = rng.choice(other, 300, replace=False)
    cl.labels[k[pick]] = g[pick]
    cl.labels[rep.is_bearing & (rng.random(rep.n) < 0.05)] = -1
    # a fresh Reports: the candidate memo starts empty
    return Reports(
        rep.rows, rep.src, rep.direction, rep.c, rep.max_range_m, rep.min_tdoa_sensors
    ), cl


def _focus(rep: Reports, cl: Clusters, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.random(cl.n) < 0.3, rng.random(rep.n) < 0.05


@pytest.mark.parametrize("seed", [1, 2])
def test_the_compiled_problem_is_the_numpy_codes_to_the_bit(seed: int) -> None:
    pytest.importorskip("numba")
    rep, cl = _day(seed)
    gates, cfg = GateConfig(), ReassignConfig()
    kept = KeptPairs.search(rep, cl)
    table = quantile(gates.attach_p, np.arange(1, 65))
    for focus in (None, _focus(rep, cl, seed)):
        fast = reassign_loops.compiled_problem(
            rep, cl.labels, cl, kept, focus, rep.reach_m, cfg.support_cost, table
        )
        slow = reassignment._problem(rep, cl, gates, cfg, kept, focus)
        assert fast is not None
        g, k, _, ri, ci, ur, n_cols, free = fast
        # the premise: a real problem, members and newcomers, kept and dropped edges
        assert g.shape[0] > 1_000
        member = cl.labels[k] == g
        assert 0 < int(member.sum()) < g.shape[0]
        for a, b in zip(fast[:6], slow[:6], strict=True):
            assert a.dtype == b.dtype and np.array_equal(a, b)
        assert (n_cols, free) == slow[6:]
        # rows by bearing, then event; columns one per (event, observer)
        assert np.array_equal(ur[ri], k) and bool(np.all(np.diff(ri) >= 0))
        slot = g * rep.n_src + rep.src[k]
        assert np.unique(slot).shape[0] == n_cols
        assert np.array_equal(np.unique(slot, return_inverse=True)[1].ravel(), ci)


@pytest.mark.parametrize("focused", [False, True])
def test_a_pass_by_the_compiled_loops_moves_the_bearings_the_numpy_code_moves(
    monkeypatch: pytest.MonkeyPatch, focused: bool
) -> None:
    pytest.importorskip("numba")
    rep, cl = _day(3)
    focus = _focus(rep, cl, 3) if focused else None
    before = cl.labels.copy()
    # three ways: the pass in two compiled calls; the problem's three loops and the
    # matching; the numpy code (each on a fresh Reports: its candidate memo empty)
    moved, labels = [], []
    for off in ((), ("compiled_pass",), ("compiled_pass", "compiled_problem")):
        with monkeypatch.context() as m:
            for name in off:
                m.setattr(reassignment, name, lambda *a: None)
            c = Clusters(before.copy(), cl.x, cl.y, cl.T, cl.cov)
            r = Reports(rep.rows, rep.src, rep.direction, rep.c, rep.max_range_m)
            moved.append(reassignment.reassign(r, c, GateConfig(), ReassignConfig(), focus))
            labels.append(c.labels)
    assert moved[0] == moved[1] == moved[2]
    assert moved[0] > (30 if focused else 100)  # the premise: many bearings go back
    assert np.array_equal(labels[0], labels[1]) and np.array_equal(labels[0], labels[2])
    assert int((labels[0] != before).sum()) == moved[0]


def test_the_two_call_pass_gives_back_what_it_cannot_match_untouched() -> None:
    pytest.importorskip("numba")
    rep, cl = _day(4)
    kept = KeptPairs.search(rep, cl)
    kernels = reassign_loops.solve_kernels()
    assert kernels is not None
    scored, solve, atan2_at = kernels
    cov9, rows = cl.cov.reshape(-1, 9), rep.rows
    none = np.zeros(0, bool)
    gk, vals, wrapped = scored(
        kept.events, kept.start, kept.count, kept.rows, kept.passes,
        *reassign_loops.edges.pass_pool(kept), cl.labels, rows.az, none, none, False, rep.src,
        rep.direction, cov9, cl.x, cl.y, rows.ox, rows.oy, reassign_loops.DIR_UNDET,
        reassign_loops.edges.TABLE_MAX, rows.sigma_az, rows.t, rows.sigma_t, rows.speed_factor,
        rows.rng, rows.sigma_rng, cl.T, rep.c, quantile(GateConfig().attach_p, np.arange(1, 65)),
        rep.reach_m, ReassignConfig().support_cost, atan2_at,
    )  # fmt: skip
    assert wrapped and gk.shape[1] > 1_000
    logdet = vals[2] * np.log(vals[1])
    limits = reassign_loops.SETUP_LIMITS
    settled, left = reassign_loops.matching_setup.SETTLED, reassign_loops.matching_setup.LEFT
    # a NaN cost (numpy's max of the costs is NaN: the free cost too), and costs so
    # large that the integer costs would be coarser than a unit: both left to the
    # numpy-side calls, the labels as they were
    nan = logdet.copy()
    nan[7] = np.nan
    huge = vals.copy()
    huge[0, 3] = 1e12
    for v, ld in ((vals, nan), (huge, logdet)):
        labels = cl.labels.copy()
        assert tuple(solve(gk, v, ld, rep.src, cl.n, labels, *limits)) == (left, 0)
        assert np.array_equal(labels, cl.labels)
    # and as given, settled: the moved count is the labels changed
    labels = cl.labels.copy()
    status, moved = solve(gk, vals, logdet, rep.src, cl.n, labels, *limits)
    assert status == settled and moved == int((labels != cl.labels).sum()) > 100


def test_the_compiled_partition_is_the_numpy_codes(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("numba")
    rng = np.random.default_rng(6)
    for labels in (rng.integers(-1, 40, 500), np.full(7, -1), np.zeros(0, np.intp)):
        labels = labels.astype(np.intp)
        fast = reassignment.partition(labels)
        with monkeypatch.context() as m:
            m.setattr(reassignment, "partition_kernel", lambda: None)
            slow = reassignment.partition(labels)
        assert fast.dtype == slow.dtype and np.array_equal(fast, slow)
    # the same grouping under another numbering reads alike
    a = np.array([2, 2, -1, 0, 0, 1])
    assert np.array_equal(
        reassignment.partition(a), reassignment.partition(np.array([5, 5, -1, 3, 3, 4]))
    )
    assert reassignment.partition(a).tolist() == [0, 0, -1, 3, 3, 5]
