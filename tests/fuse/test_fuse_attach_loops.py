"""Attachment by its compiled loops (``association.attach_loops``, numba, the
``fast`` extra): the labels and counts of the numpy code (``attach_numpy``) on
the pinned days with members freed, under every option, through the late offer,
and on the edge cases its set-up branches on (no event, no free row, nothing
fitted, an unbounded reach, events scattered far, an azimuth it does not
wrap)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from pinned_days import pinned_day

from ceasefire.fuse.association import (
    AttachConfig,
    Clusters,
    GateConfig,
    Reports,
    attach_loops,
    attachment,
)
from ceasefire.fuse.association.attach_loops import attach_kernels, gate_quantiles
from ceasefire.fuse.association.gates import quantile


def _freed(key: str, seed: int, share: float = 0.2) -> tuple[Reports, Clusters]:
    """Pinned day ``key`` with a ``share`` of its members freed (attach has work)."""
    rep, cl = pinned_day(key)
    rng = np.random.default_rng(seed)
    cl.labels[(cl.labels >= 0) & (rng.random(rep.n) < share)] = -1
    return rep, cl


def _both(
    rep: Reports, cl: Clusters, gates: GateConfig, unique: bool = True, phase: bool = True
) -> tuple[int, Clusters]:
    """Attach by the compiled loops on ``cl`` and by numpy on a copy; asserts the
    same count and labels; returns the count and the compiled side's clusters."""
    slow = Clusters(cl.labels.copy(), cl.x, cl.y, cl.T, cl.cov)
    n = attachment.attach(rep, cl, gates, unique, phase)
    n_slow = attachment.attach_numpy(rep, slow, gates, unique, phase)
    assert n == n_slow
    assert cl.labels.dtype == slow.labels.dtype and np.array_equal(cl.labels, slow.labels)
    return n, cl


@pytest.mark.parametrize("key", ["heavy2015", "quiet2"])
@pytest.mark.parametrize("unique", [True, False])
@pytest.mark.parametrize("phase", [True, False])
@pytest.mark.parametrize("p", [0.999, 0.99999])
def test_the_compiled_attach_joins_what_the_numpy_code_joins(
    key: str, unique: bool, phase: bool, p: float
) -> None:
    pytest.importorskip("numba")
    assert attach_kernels() is not None
    rep, cl = _freed(key, 1)
    before = cl.labels.copy()
    n, cl = _both(rep, cl, GateConfig(attach_p=p), unique, phase)
    joined = (before < 0) & (cl.labels >= 0)
    # the premise: real work, bearings and arrivals both joining, rows left free
    assert n == int(joined.sum()) > 30
    assert joined[rep.is_bearing].any() and joined[~rep.is_bearing].any()
    assert (cl.labels < 0).any()
    # one report per observer per event still
    m = cl.labels >= 0
    slots = cl.labels[m].astype(np.int64) * rep.n_src + rep.src[m]
    assert np.unique(slots).shape[0] == slots.shape[0]


def test_the_unique_arrival_rule_matters_on_the_pinned_day() -> None:
    # the premise of comparing both settings: they join different arrivals
    pytest.importorskip("numba")
    rep, cl = _freed("heavy2015", 2)
    a, b = cl.copy(), cl.copy()
    attachment.attach(rep, a, GateConfig(), True)
    attachment.attach(rep, b, GateConfig(), False)
    assert not np.array_equal(a.labels, b.labels)


def test_the_late_offer_by_the_compiled_attach_is_the_numpy_codes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("numba")
    rep, cl = _freed("heavy2015", 3, 0.3)
    cov_xy = np.ascontiguousarray(cl.cov[:, :2, :2])
    sd_t = np.sqrt(cl.cov[:, 2, 2])
    cfg = AttachConfig(late_seen_slack_s=10.0)
    args = (cl.x, cl.y, cl.T, cov_xy, sd_t, GateConfig(), cfg, 5_000.0)
    fast = cl.labels.copy()
    n = attachment.late_attach(rep, fast, *args)
    monkeypatch.setattr(attachment, "attach_kernels", lambda: None)
    slow = cl.labels.copy()
    assert attachment.late_attach(rep, slow, *args) == n > 0
    assert np.array_equal(fast, slow)


def test_nothing_to_attach_joins_nothing() -> None:
    pytest.importorskip("numba")
    rep, cl = pinned_day()
    gates = GateConfig()
    # no event
    assert attachment.attach(rep, Clusters.empty(rep.n), gates) == 0
    # no free row
    full = Clusters(np.zeros(rep.n, np.intp), cl.x, cl.y, cl.T, cl.cov)
    assert _both(rep, full, gates)[0] == 0
    # events not fitted
    _, freed = _freed("heavy2015", 4)
    nan = Clusters(freed.labels.copy(), freed.x, freed.y, freed.T, np.full_like(freed.cov, np.nan))
    assert _both(rep, nan, gates)[0] == 0


def test_one_free_row_and_one_event() -> None:
    pytest.importorskip("numba")
    rep, cl = pinned_day()
    g = int(np.bincount(cl.labels[cl.labels >= 0]).argmax())
    rows = np.flatnonzero(cl.labels == g)
    sub = rep.take(rows)
    one = Clusters(np.zeros(rows.shape[0], np.intp), cl.x[g : g + 1], cl.y[g : g + 1],
                   cl.T[g : g + 1], cl.cov[g : g + 1])  # fmt: skip
    one.labels[0] = -1
    assert _both(sub, one, GateConfig())[0] == 1  # it rejoins its own event
    assert np.all(one.labels == 0)


def test_an_unbounded_reach_and_far_events_take_the_one_cell_grid() -> None:
    pytest.importorskip("numba")
    rep, cl = _freed("heavy2015", 5)
    gates = GateConfig()
    wide = Reports(rep.rows, rep.src, rep.direction, rep.c, np.inf, rep.min_tdoa_sensors)
    assert _both(wide, cl.copy(), gates)[0] > 30
    # half the events moved 10^9 m away: more grid cells than events, one cell then
    far = cl.copy()
    far.x[::2] += 1e9
    n, _ = _both(rep, far, gates)
    assert n > 0


def test_an_azimuth_the_loops_do_not_wrap_goes_to_the_numpy_code() -> None:
    pytest.importorskip("numba")
    rep, cl = _freed("heavy2015", 6)
    az = rep.rows.az.copy()
    free_b = np.flatnonzero((cl.labels < 0) & np.isfinite(az))
    az[free_b[:20]] += 40 * np.pi  # the same direction, twenty turns on
    odd = Reports(replace(rep.rows, az=az), rep.src, rep.direction, rep.c, rep.max_range_m)
    n, cl = _both(odd, cl, GateConfig())
    assert n > 30 and (cl.labels[free_b[:20]] >= 0).any()


def test_the_gate_table_is_the_quantile_of_each_dof() -> None:
    for p in (0.999, 0.99999):
        q = gate_quantiles(p)
        assert q.shape == (4,) and not q.flags.writeable
        for d in range(4):
            assert q[d] == quantile(p, np.array([float(d)]))[0]
        assert q[0] == q[1] < q[2] < q[3]


def test_the_compiled_pull_test_is_the_numpy_codes(monkeypatch: pytest.MonkeyPatch) -> None:
    # the guarded attach's test after its refit, on the pinned day's events grown by
    # an attach, with a former estimate unfitted (NaN), one singular and one
    # infinite among them
    pytest.importorskip("numba")
    rep, cl = _freed("heavy2015", 7)
    old = cl.copy()
    attachment.attach(rep, cl, GateConfig())
    old.cov[0] = np.nan
    old.cov[1] = 0.0
    old.cov[2, 0, 0] = np.inf
    old.x[3] = np.nan
    g = np.arange(cl.n)
    fast = attachment.pulled_away(rep, cl.copy(), old, g)
    monkeypatch.setattr(attachment, "pulled_kernel", lambda: None)
    with np.errstate(all="ignore"):  # numpy's products of the infinite estimate
        slow = attachment.pulled_away(rep, cl.copy(), old, g)
    assert fast.dtype == slow.dtype == np.bool_
    assert np.array_equal(fast, slow)
    # the premise: both answers occur, and the odd former estimates are pulled
    assert fast.any() and not fast.all()
    assert fast[:2].all()


def test_the_slot_tables_list_each_runs_one_observer_and_each_observers_events() -> None:
    # the plain function (its compiled twin runs in attach): rows 0..6, runs of
    # rows [0, 1] (observer 2), [2, 3, 4] (observers 0 and 1), [5] (observer 1),
    # [6] (a negative code); events 0..3, event 2 not searched (not in ok)
    labels = np.array([0, -1, 1, 2, -1, 0, 7, -1, 3], np.intp)
    src = np.array([2, 2, 0, 1, 0, 1, -1, 0, 0], np.intp)
    fs = np.array([1, 0, 2, 4, 3, 5, 6], np.intp)
    starts, ends = np.array([0, 2, 5, 6], np.intp), np.array([2, 5, 6, 7], np.intp)
    ok = np.array([0, 1, 3], np.intp)
    run_src, own_start, own_ev = attach_loops._owners(labels, src, fs, starts, ends, ok, 4)
    assert run_src.tolist() == [2, -1, 1, -1]
    # observer 0 holds events 1 (row 2) and 3 (row 8: its place in ok is 2); observer
    # 1: event 0 (row 5), event 2 is not searched; observer 2: event 0 (row 0); the
    # label 7 (no such event) and the negative observer are left out
    own = [sorted(own_ev[own_start[s] : own_start[s + 1]].tolist()) for s in range(3)]
    assert own_start.shape == (4,) and own == [[1, 2], [0], [0]]


def test_a_second_observer_at_one_position_joins_the_events_the_first_holds() -> None:
    # a copy of one observer's reports under a new observer code, at its very
    # positions: each run there holds two observers, whose windows on the events
    # the first holds must stay (the copy's rows join those events)
    pytest.importorskip("numba")
    rep, cl = _freed("heavy2015", 8)
    a = int(np.bincount(rep.src[rep.is_bearing]).argmax())
    mine = np.flatnonzero(rep.src == a)
    idx = np.concatenate([np.arange(rep.n), mine])
    new_src = np.concatenate([rep.src, np.full(mine.shape[0], rep.n_src, rep.src.dtype)])
    two = Reports(
        rep.rows.take(idx), new_src, rep.direction[idx], rep.c, rep.max_range_m,
        rep.min_tdoa_sensors,
    )  # fmt: skip
    labels = np.concatenate([cl.labels, np.full(mine.shape[0], -1, cl.labels.dtype)])
    both = Clusters(labels, cl.x, cl.y, cl.T, cl.cov)
    held = np.unique(labels[mine][labels[mine] >= 0])
    _, out = _both(two, both, GateConfig())
    took = out.labels[rep.n :]
    # the premise: copies joined events the first observer holds
    assert np.isin(took[took >= 0], held).sum() > 10
