"""Reassignment's edges before scoring (``association.edges``): the compiled
passes (numba, the ``fast`` extra) give the numpy code's pairs, on random
pairs with held slots, phases, unfitted events and a focus; and a held slot
turns a pair away."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest

from ceasefire.fuse.association import Clusters, Reports, edges
from ceasefire.fuse.association.gates import KeptPairs, event_direction, fitted
from ceasefire.fuse.association.reports import DIR_UNDET
from ceasefire.fuse.solve import Rows


def _scene(seed: int) -> tuple[Reports, Clusters]:
    rng = np.random.default_rng(seed)
    n, n_ev, n_src = 3_000, 200, 60
    az = np.where(rng.random(n) < 0.7, rng.uniform(-np.pi, np.pi, n), np.nan)
    one = np.ones(n)
    rows = Rows(one, one, az, one, np.sort(rng.uniform(0, 3_600, n)), one, one, one, one)
    rep = Reports(rows, rng.integers(0, n_src, n), rng.integers(0, 3, n).astype(np.int8), 343.0,
                  30_000.0)  # fmt: skip
    cov = np.tile(np.eye(3), (n_ev, 1, 1))
    cov[rng.random(n_ev) < 0.1] = np.nan  # unfitted events
    labels = np.where(rng.random(n) < 0.6, rng.integers(0, n_ev, n), -1)
    z = np.zeros(n_ev)
    return rep, Clusters(labels.astype(np.intp), z, z, z, cov)


@contextmanager
def _numpy_only() -> Iterator[None]:
    """The numpy code, as without numba."""
    saved = edges.open_kernel
    edges.open_kernel = lambda: None  # type: ignore[assignment]
    try:
        yield
    finally:
        edges.open_kernel = saved


@pytest.mark.parametrize("seed", [1, 2])
def test_the_compiled_passes_give_the_numpy_codes_arrays(seed: int) -> None:
    pytest.importorskip("numba")
    rep, cl = _scene(seed)
    rng = np.random.default_rng(seed + 10)
    b = np.flatnonzero(rep.is_bearing)
    m = 20_000
    g = rng.integers(0, cl.n, m).astype(np.intp)
    k = b[rng.integers(0, b.shape[0], m)].astype(np.intp)
    passes = rng.random(m) < 0.5
    for focus in (None, (rng.random(cl.n) < 0.2, rng.random(rep.n) < 0.05)):
        fg, fk, fm = edges.moving_pairs(rep, cl, g, k, passes, focus)
        fast = edges.open_edges(rep, cl, fg, fk, fm)
        with _numpy_only():
            slow = edges.open_edges(rep, cl, fg, fk, fm)
        # the compiled loop with no room for its table of held slots: their lists
        kernel = edges.open_kernel()
        assert kernel is not None
        edir = event_direction(rep.direction, cl.labels, cl.n)
        listed = kernel(
            fg, fk, cl.labels, rep.src, fm, edir, rep.direction, fitted(cl), DIR_UNDET, 0
        )
        # the premise: many pairs kept, many dropped, at both steps
        assert 1_000 < fg.shape[0] < m + b.shape[0]
        assert 0 < int(fast.sum()) < fg.shape[0]
        assert np.array_equal(fast, slow)
        assert np.array_equal(listed, slow)


def test_a_held_slot_turns_a_pair_away() -> None:
    # event 0 holds an arrival of observer 3 (held: arrivals never move); a bearing
    # of observer 3 may not join it, one of observer 4 may, and event 1 (no member
    # of observer 3) may take either
    nan = np.nan
    rows = Rows(*(np.array(v, float) for v in (
        [0, 0, 0], [0, 0, 0], [nan, 0.5, 0.7], [1, 1, 1], [1, 2, 3], [1, 1, 1], [1, 1, 1],
        [nan] * 3, [nan] * 3,
    )))  # fmt: skip
    rep = Reports(rows, np.array([3, 3, 4]), np.full(3, 2, np.int8), 343.0, 30_000.0)
    z = np.zeros(2)
    cl = Clusters(np.array([0, -1, -1]), z, z, z, np.tile(np.eye(3), (2, 1, 1)))
    g, k = np.array([0, 1, 0, 1]), np.array([1, 1, 2, 2])
    moving = np.array([False, True, True])
    assert edges.open_edges(rep, cl, g, k, moving).tolist() == [False, True, True, True]


@pytest.mark.parametrize("seed", [3, 4])
def test_the_moving_pairs_read_from_kept_segments_are_the_expanded_pairs(seed: int) -> None:
    # segments scattered in a pool with dead stretches between them, in no event
    # order: the same pairs (as a set: repeats are allowed, reassignment's by_row
    # drops them) as from the expanded arrays
    rep, cl = _scene(seed)
    rng = np.random.default_rng(seed + 20)
    b = np.flatnonzero(rep.is_bearing)
    events = rng.permutation(np.flatnonzero(rng.random(cl.n) < 0.8)).astype(np.intp)
    count = rng.integers(0, 60, events.shape[0]).astype(np.intp)
    gap = rng.integers(0, 30, events.shape[0])
    start = (np.cumsum(count + gap) - count).astype(np.intp)
    pool = b[rng.integers(0, b.shape[0], int(start[-1] + count[-1]))].astype(np.intp)
    kept = KeptPairs(events, start, count, pool, rng.random(pool.shape[0]) < 0.5)
    for focus in (None, (rng.random(cl.n) < 0.2, rng.random(rep.n) < 0.05)):
        fg, fk, fm = edges.moving_kept(rep, cl, kept, focus)
        sg, sk, sm = edges.moving_pairs(rep, cl, *kept.expand(), focus)
        assert 1_000 < fg.shape[0] < int(count.sum()) + b.shape[0]  # some kept, some not
        pairs = set(zip(fg.tolist(), fk.tolist(), strict=True))
        assert pairs == set(zip(sg.tolist(), sk.tolist(), strict=True))
        assert np.array_equal(fm, sm)


@pytest.mark.parametrize("seed", [7, 8])
def test_a_members_own_pair_is_written_once(seed: int) -> None:
    """Segments of distinct rows (as a search makes them) holding most members'
    own pairs, passing: the compiled pairs hold no repeat, where the numpy code
    writes a member's own pair once from its segment and once as a member."""
    pytest.importorskip("numba")
    rep, cl = _scene(seed)
    rng = np.random.default_rng(seed + 40)
    b = np.flatnonzero(rep.is_bearing)
    events = rng.permutation(cl.n).astype(np.intp)
    segs = [rng.choice(b, int(rng.integers(0, 60)), replace=False) for _ in range(cl.n)]
    # most members' rows in their own event's segment
    for r in b[cl.labels[b] >= 0]:
        e = int(cl.labels[r])
        if rng.random() < 0.8 and r not in segs[e]:
            segs[e] = np.append(segs[e], r)
    parts = [segs[e] for e in events.tolist()]
    count = np.array([p.shape[0] for p in parts], np.intp)
    start = (np.cumsum(count) - count).astype(np.intp)
    pool = np.concatenate(parts).astype(np.intp)
    passes = (rng.random(pool.shape[0]) < 0.5) | (cl.labels[pool] == np.repeat(events, count))
    kept = KeptPairs(events, start, count, pool, passes)
    for focus in (None, (rng.random(cl.n) < 0.3, rng.random(rep.n) < 0.05)):
        fg, fk, _ = edges.moving_kept(rep, cl, kept, focus)
        sg, sk, _ = edges.moving_pairs(rep, cl, *kept.expand(), focus)
        fast = list(zip(fg.tolist(), fk.tolist(), strict=True))
        slow = list(zip(sg.tolist(), sk.tolist(), strict=True))
        assert len(set(slow)) < len(slow) - 100  # the premise: the numpy code repeats
        assert len(set(fast)) == len(fast)
        assert set(fast) == set(slow)


@pytest.mark.parametrize("seed", [5, 6])
def test_a_members_own_pair_is_kept_whether_or_not_it_passes_the_pre_gate(seed: int) -> None:
    """The pairs that fail the pre-gate are not read, yet as a set the moving pairs
    are every moving row's passing pairs and every moving member's pair with its own
    event (reassignment reads them as a set: ``by_row``), whether that pair passed."""
    rep, cl = _scene(seed)
    rng = np.random.default_rng(seed + 30)
    b = np.flatnonzero(rep.is_bearing)
    events = rng.permutation(cl.n).astype(np.intp)
    count = rng.integers(0, 60, events.shape[0]).astype(np.intp)
    start = (np.cumsum(count) - count).astype(np.intp)
    pool = b[rng.integers(0, b.shape[0], int(count.sum()))].astype(np.intp)
    # members' own pairs in their segments, half of them failing the pre-gate
    g_all = np.repeat(events, count)
    own = np.flatnonzero(cl.labels[b] >= 0)[: events.shape[0]]
    for r in b[own]:
        at = np.flatnonzero(g_all == cl.labels[r])
        if at.shape[0]:
            pool[at[0]] = r
    passes = rng.random(pool.shape[0]) < 0.3
    kept = KeptPairs(events, start, count, pool, passes)
    focus = (rng.random(cl.n) < 0.3, rng.random(rep.n) < 0.05)
    fg, fk, moving = edges.moving_kept(rep, cl, kept, focus)
    on = moving[pool] & (passes | (cl.labels[pool] == g_all))
    mem = b[(cl.labels[b] >= 0) & moving[b]]
    want = set(zip(g_all[on].tolist(), pool[on].tolist(), strict=True))
    want |= set(zip(cl.labels[mem].tolist(), mem.tolist(), strict=True))
    failed_own = on & ~passes
    assert int(failed_own.sum()) > 10  # the premise: members' own pairs that failed
    assert set(zip(fg.tolist(), fk.tolist(), strict=True)) == want
