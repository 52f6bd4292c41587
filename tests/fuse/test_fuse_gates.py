"""The gates' slot and phase rules (``association.gates``): the compiled loops
(numba, the ``fast`` extra) give the numpy code's answers, on random labels,
observers and phases with ties; and a hand-made case for each rule."""

from __future__ import annotations

import numpy as np
import pytest

from ceasefire.fuse.association import Reports, gates
from ceasefire.fuse.association.reports import DIR_UNDET
from ceasefire.fuse.solve import Rows


def _reports(src: np.ndarray, direction: np.ndarray) -> Reports:
    n = src.shape[0]
    one = np.ones(n)
    rows = Rows(one, one, one, one, np.arange(n, dtype=float), one, one, one, one)
    return Reports(rows, src, direction.astype(np.int8), 343.0, 30_000.0)


def test_a_slot_is_free_unless_the_event_holds_a_report_of_the_observer() -> None:
    # event 0 holds observers 4 and 5, event 1 observer 5, event 2 nothing
    rep = _reports(np.array([4, 5, 5, 4, 6]), np.full(5, DIR_UNDET))
    labels = np.array([0, 0, 1, -1, -1])
    g, k = np.array([0, 0, 1, 1, 2, 2]), np.array([3, 4, 3, 2, 3, 4])
    assert gates.slot_free(rep, g, k, labels).tolist() == [False, True, True, False, True, True]


def test_an_events_phase_is_its_members_majority_ties_to_the_lower_code() -> None:
    # event 0: two incoming, one outgoing; event 1: one each (a tie: incoming);
    # event 2: undetermined members only; event 3: no member
    direction = np.array([0, 0, 1, 0, 1, DIR_UNDET, 1])
    labels = np.array([0, 0, 0, 1, 1, 2, -1])
    assert gates.event_direction(direction, labels, 4).tolist() == [0, 0, DIR_UNDET, DIR_UNDET]


@pytest.mark.parametrize("seed", [1, 2])
def test_the_compiled_slot_and_phase_rules_give_the_numpy_codes_answers(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("numba")
    rng = np.random.default_rng(seed)
    n, n_ev, n_src = 5_000, 400, 80
    rep = _reports(rng.integers(0, n_src, n), rng.integers(0, 3, n))
    labels = np.where(rng.random(n) < 0.6, rng.integers(0, n_ev - 20, n), -1).astype(np.intp)
    g = rng.integers(0, n_ev, 30_000).astype(np.intp)  # events without members too
    k = rng.integers(0, n, 30_000).astype(np.intp)
    fast_slot = gates.slot_free(rep, g, k, labels)
    fast_dir = gates.event_direction(rep.direction, labels, n_ev)
    monkeypatch.setattr(gates, "_slot_kernels", lambda: None)
    slow_slot = gates.slot_free(rep, g, k, labels)
    slow_dir = gates.event_direction(rep.direction, labels, n_ev)
    assert 0 < int(slow_slot.sum()) < slow_slot.shape[0]  # the premise: both answers
    assert len(set(slow_dir.tolist())) == 3  # every phase, undetermined too
    assert np.array_equal(fast_slot, slow_slot)
    assert np.array_equal(fast_dir, slow_dir)


def test_the_slot_table_lists_each_events_observers_but_the_skipped_rows() -> None:
    """The helper both compiled slot tests call (``slot_free``'s loop and
    reassignment's ``open_edges``), run as plain Python: rows 1 and 4 skipped,
    event 0 keeps observer 4 only, event 1 observer 5 (row 2), event 2 observer 6."""
    labels = np.array([0, 0, 1, -1, 1, 2])
    src = np.array([4, 5, 5, 4, 7, 6])
    skip = np.array([False, True, False, False, True, False])
    start, held = gates.held_observers(labels, src, skip, 4)
    assert start.tolist() == [0, 1, 2, 3, 3]
    assert held.tolist() == [4, 5, 6]
    # each event's observers, as the compiled slot tests scan them
    assert [held[start[e] : start[e + 1]].tolist() for e in range(4)] == [[4], [5], [6], []]


class _Fixes:
    """Events' estimates as :class:`~ceasefire.fuse.association.gates.Fixes` reads them."""

    def __init__(self, x: np.ndarray, y: np.ndarray, T: np.ndarray, cov: np.ndarray) -> None:
        self.x, self.y, self.T, self.cov = x, y, T, cov


def _gate_scene(seed: int) -> tuple[Reports, _Fixes]:
    """Events with random covariances (positive, x-y-T correlated, a few with NaN:
    unfitted) and observers' reports of them at epoch times, each at a chosen
    number ``z`` of the marginal time gate's sd from its predicted time: inside,
    outside, and within 1e-12 of the gate either way. Some positions hold both
    sound (speed factor 1) and light (0) reports; one has no time sd."""
    rng = np.random.default_rng(seed)
    c, n_ev, n_obs = 343.0, 120, 25
    ox, oy = rng.uniform(-20e3, 20e3, n_obs), rng.uniform(-5e3, 5e3, n_obs)
    ex, ey = rng.uniform(-25e3, 25e3, n_ev), rng.uniform(-8e3, 8e3, n_ev)
    eT = 1.7e9 + rng.uniform(0.0, 1_800.0, n_ev)
    L = rng.normal(0.0, 1.0, (n_ev, 3, 3)) * np.array([300.0, 300.0, 0.8])[:, None]
    cov = L @ L.transpose(0, 2, 1) + np.diag([25.0, 25.0, 1e-4])
    cov[:3] = np.nan
    n = 3_000
    e = rng.integers(0, n_ev, n)
    obs = rng.integers(0, n_obs, n)
    # one speed factor and time sd per observer (the cut is then as tight as the
    # gate), but a third of them with both speed factors
    f = np.where(obs % 3 == 0, rng.choice([0.0, 1.0], n), (obs % 2).astype(float))
    sig = rng.choice([0.005, 0.2, 1.0], n_obs)[obs]
    sig[obs == 1] = np.nan
    dx, dy = ex[e] - ox[obs], ey[e] - oy[obs]
    rho = np.maximum(np.hypot(dx, dy), 1.0)
    gx, gy = f * dx / (rho * c), f * dy / (rho * c)
    P = np.nan_to_num(cov[e])
    var = sig**2 + gx * gx * P[:, 0, 0] + gy * gy * P[:, 1, 1] + P[:, 2, 2]
    var = var + 2 * (gx * gy * P[:, 0, 1] + gx * P[:, 0, 2] + gy * P[:, 1, 2])
    edge = float(np.sqrt(gates.Q999[2]))
    z = rng.choice([0.0, 2.0, -3.5, 5.0, -8.0, 30.0, edge, -edge], n)
    z *= np.where(rng.random(n) < 0.5, 1.0 + rng.choice([-1e-12, 0.0, 1e-12], n), 1.0)
    t = eT[e] + f * rho / c + z * np.sqrt(np.nan_to_num(var, nan=1.0))
    nan = np.full(n, np.nan)
    rows = Rows(ox[obs], oy[obs], nan, nan, t, sig, f, nan, nan)
    rep = Reports(rows, obs, np.full(n, DIR_UNDET, np.int8), c, 30_000.0)
    return rep, _Fixes(ex, ey, eT, cov)


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_pregated_candidates_keep_every_pair_the_marginal_gate_takes(seed: int) -> None:
    # the cut windows lose only pairs whose time the gate turns away: the pairs
    # that pass are the same, in the same order, and the others a subsequence
    rep, ev = _gate_scene(seed)
    free = np.flatnonzero(np.random.default_rng(seed).random(rep.n) < 0.8)
    g0, k0 = gates.time_candidates(rep, free, ev)
    g1, k1 = gates.time_candidates(rep, free, ev, pregate=True)
    p0 = gates.marginal_gate(rep.rows, g0, k0, ev, rep.c)
    p1 = gates.marginal_gate(rep.rows, g1, k1, ev, rep.c)
    assert np.array_equal(g0[p0], g1[p1]) and np.array_equal(k0[p0], k1[p1])
    # the premise: many pairs pass and many are cut
    assert p0.sum() > 300 and g1.shape[0] < 0.8 * g0.shape[0]
    # order kept: the cut pairs are a subsequence of the whole windows' pairs
    key0, key1 = g0.astype(np.int64) * rep.n + k0, g1.astype(np.int64) * rep.n + k1
    by_key = np.argsort(key0)
    pos = by_key[np.minimum(np.searchsorted(key0[by_key], key1), key0.shape[0] - 1)]
    assert np.array_equal(key0[pos], key1) and np.all(np.diff(pos) > 0)
