"""The kept candidate pairs' memo look-up and pool upkeep by compiled loops
(``association.kept_loops``, numba, the ``fast`` extra): over a run of searches
with events moving, going unfitted and renumbered, the numpy code's pairs and
memo, array for array (the pool rebuilt on the way)."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest
from pinned_days import pinned_day

from ceasefire.fuse.association import Clusters, Reports, kept_loops
from ceasefire.fuse.association import gates as gates_mod
from ceasefire.fuse.association.gates import KeptPairs

MEMO = ("keys", "hashes", "lookup", "start", "count", "rows", "passes")


def test_the_compiled_searches_keep_the_numpy_codes_pairs_and_memo(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("numba")
    rep, cl = pinned_day()
    slow = Reports(rep.rows, rep.src, rep.direction, rep.c, rep.max_range_m)
    rng = np.random.default_rng(8)
    rebuilt = False
    last_pool = 0
    for step in range(10):
        fast = KeptPairs.search(rep, cl)
        with monkeypatch.context() as m:
            m.setattr(gates_mod, "kept_kernels", lambda: None)
            want = KeptPairs.search(slow, cl)
        for f in ("events", "start", "count", "rows", "passes"):
            a, b = getattr(fast, f), getattr(want, f)
            assert a.dtype == b.dtype and np.array_equal(a, b), f
        for f in MEMO:
            a, b = getattr(rep.window_memo, f), getattr(slow.window_memo, f)
            assert a.dtype == b.dtype and np.array_equal(a, b), f
        assert fast.events.shape[0] > 100  # the premise: many events, many pairs
        rows = rep.window_memo.rows
        assert rows is not None
        rebuilt |= step > 0 and rows.shape[0] < last_pool
        last_pool = rows.shape[0]
        # most events move, one goes unfitted, all renumbered
        moved = rng.random(cl.n) < 0.7
        cl.x[moved] += rng.uniform(-500.0, 500.0, int(moved.sum()))
        cl.cov[int(rng.integers(cl.n))] = np.nan
        perm = rng.permutation(cl.n)
        cl = Clusters(cl.labels, cl.x[perm], cl.y[perm], cl.T[perm], cl.cov[perm])
    assert rebuilt  # the premise: the pool was rebuilt from its live segments


def test_the_pool_grows_in_place_and_keeps_the_segments_earlier_searches_returned() -> None:
    # each search appends its new segments to the pool's buffers while they have
    # room (no copy of the pool); a segment once returned keeps its rows and gates
    # whatever later searches append, rebuild, or (none hit) start anew
    pytest.importorskip("numba")
    rep, cl = pinned_day()
    rng = np.random.default_rng(13)
    returned: list[tuple[KeptPairs, list[tuple[np.ndarray, np.ndarray]]]] = []
    in_place = 0
    last: np.ndarray | None = None
    for step in range(12):
        kp = KeptPairs.search(rep, cl)
        segs = [
            (kp.rows[s : s + n].copy(), kp.passes[s : s + n].copy())
            for s, n in zip(kp.start.tolist(), kp.count.tolist(), strict=True)
        ]
        returned.append((kp, segs))
        memo = rep.window_memo
        assert memo.buffers is not None and memo.rows is not None
        assert np.shares_memory(memo.rows, memo.buffers[0])
        if last is not None and np.shares_memory(memo.rows, last):
            in_place += 1
        last = memo.buffers[0]
        if step == 7:
            cl.x += 250.0  # every estimate changed: no hit
        else:
            moved = rng.random(cl.n) < 0.15
            cl.x[moved] += rng.uniform(-500.0, 500.0, int(moved.sum()))
    assert in_place >= 5  # the premise: most searches appended in place
    for kp, segs in returned:
        for (s, n), (r, p) in zip(
            zip(kp.start.tolist(), kp.count.tolist(), strict=True), segs, strict=True
        ):
            assert np.array_equal(kp.rows[s : s + n], r) and np.array_equal(kp.passes[s : s + n], p)


def test_each_segments_passing_rows_are_its_rows_that_pass_and_stay_so() -> None:
    # the compiled search's pool of passing rows, through appends in place, growth,
    # rebuilds and a search with no hit: each segment's passing rows are its rows
    # whose gate passed, in order, on return and after every later search
    pytest.importorskip("numba")
    rep, cl = pinned_day()
    rng = np.random.default_rng(21)
    returned: list[tuple[KeptPairs, list[np.ndarray]]] = []
    sizes: list[int] = []
    for step in range(12):
        kp = KeptPairs.search(rep, cl)
        sizes.append(kp.rows.shape[0])
        assert kp.pass_start is not None and kp.pass_count is not None
        assert kp.pass_rows is not None
        want = [
            kp.rows[s : s + n][kp.passes[s : s + n]]
            for s, n in zip(kp.start.tolist(), kp.count.tolist(), strict=True)
        ]
        got = [
            kp.pass_rows[s : s + n].copy()
            for s, n in zip(kp.pass_start.tolist(), kp.pass_count.tolist(), strict=True)
        ]
        assert all(np.array_equal(a, b) for a, b in zip(got, want, strict=True))
        # the premise: some pairs pass, most do not
        assert 0 < sum(a.shape[0] for a in got) < int(kp.count.sum()) // 2
        returned.append((kp, got))
        if step == 7:
            cl.x += 250.0  # every estimate changed: no hit
        else:
            moved = rng.random(cl.n) < (0.7 if step % 3 == 2 else 0.15)
            cl.x[moved] += rng.uniform(-500.0, 500.0, int(moved.sum()))
    # the premise: the pool grew, and was rebuilt (or started anew) on the way
    assert any(b > a for a, b in itertools.pairwise(sizes))
    assert any(b < a for a, b in itertools.pairwise(sizes))
    for kp, got in returned:
        assert kp.pass_start is not None and kp.pass_count is not None
        assert kp.pass_rows is not None
        for (s, n), a in zip(
            zip(kp.pass_start.tolist(), kp.pass_count.tolist(), strict=True), got, strict=True
        ):
            assert np.array_equal(kp.pass_rows[s : s + n], a)


def test_the_numpy_search_leaves_no_pool_of_passing_rows() -> None:
    # a numpy search after a compiled one on the same memo: its slots are not
    # those the compiled pool of passing rows was kept for, which is dropped
    pytest.importorskip("numba")
    rep, cl = pinned_day()
    KeptPairs.search(rep, cl)
    assert rep.window_memo.pass_rows is not None
    saved = gates_mod.kept_kernels
    gates_mod.kept_kernels = lambda: None  # type: ignore[assignment]
    try:
        kp = KeptPairs.search(rep, cl)
    finally:
        gates_mod.kept_kernels = saved
    assert kp.pass_rows is None and rep.window_memo.pass_rows is None
    # the compiled search after it: every pass pool entry matches again
    kp = KeptPairs.search(rep, cl)
    assert kp.pass_rows is not None and kp.pass_start is not None and kp.pass_count is not None
    for s, n, ps, pn in zip(
        kp.start.tolist(),
        kp.count.tolist(),
        kp.pass_start.tolist(),
        kp.pass_count.tolist(),
        strict=True,
    ):
        assert np.array_equal(kp.pass_rows[ps : ps + pn], kp.rows[s : s + n][kp.passes[s : s + n]])


PASS_MEMO = ("pass_start", "pass_count", "pass_rows")


def _same_search(a: KeptPairs, b: KeptPairs, ma: object, mb: object) -> None:
    """Two searches' pairs and memos, array for array (the passing rows too, and
    the pool buffers up to the rows used)."""
    for f in ("events", "start", "count", "rows", "passes", *PASS_MEMO):
        x, y = getattr(a, f), getattr(b, f)
        assert x.dtype == y.dtype and np.array_equal(x, y), f
    for f in (*MEMO, *PASS_MEMO):
        x, y = getattr(ma, f), getattr(mb, f)
        assert x.dtype == y.dtype and np.array_equal(x, y), f


def test_the_search_in_one_call_is_the_calls_one_by_one(monkeypatch: pytest.MonkeyPatch) -> None:
    # the look-up, windows, marginal gate and pool upkeep as one compiled call
    # against the same loops called one by one, over a run of searches with
    # events moving, going unfitted and renumbered (hits, misses, the pool rebuilt)
    pytest.importorskip("numba")
    rep, cl = pinned_day()
    slow = Reports(rep.rows, rep.src, rep.direction, rep.c, rep.max_range_m)
    rng = np.random.default_rng(9)
    outcomes: list[int] = []
    made = gates_mod.search_kernel()
    assert made is not None
    loop, at = made

    def counted(*a: object) -> tuple[object, ...]:
        got = loop(*a)
        outcomes.append(int(got[0]))
        return tuple(got)

    hits = 0
    for _ in range(8):
        with monkeypatch.context() as m:
            m.setattr(gates_mod, "search_kernel", lambda: (counted, at))
            fast = KeptPairs.search(rep, cl)
        with monkeypatch.context() as m:
            m.setattr(gates_mod, "search_kernel", lambda: None)
            want = KeptPairs.search(slow, cl)
        _same_search(fast, want, rep.window_memo, slow.window_memo)
        assert fast.events.shape[0] > 100  # the premise: many events, many pairs
        moved = rng.random(cl.n) < 0.5
        hits += int((~moved).sum())
        cl.x[moved] += rng.uniform(-500.0, 500.0, int(moved.sum()))
        cl.cov[int(rng.integers(cl.n))] = np.nan
        perm = rng.permutation(cl.n)
        cl = Clusters(cl.labels, cl.x[perm], cl.y[perm], cl.T[perm], cl.cov[perm])
    assert outcomes == [kept_loops.DONE] * 8 and hits > 100


def test_a_search_the_one_call_cannot_gate_is_made_call_by_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # azimuths beyond the marginal gate's wrap: the one call gives up, leaves the
    # memo as it was, and the calls one by one (the gate in numpy) give the numpy
    # code's pairs
    pytest.importorskip("numba")
    rep, cl = pinned_day()
    far = replace(rep.rows, az=rep.rows.az + 20.0)
    fast = Reports(far, rep.src, rep.direction, rep.c, rep.max_range_m)
    slow = Reports(far, rep.src, rep.direction, rep.c, rep.max_range_m)
    made = gates_mod.search_kernel()
    assert made is not None
    loop, at = made
    outcomes: list[int] = []
    memo_keys: list[object] = []

    def counted(*a: object) -> tuple[object, ...]:
        memo_keys.append(fast.window_memo.keys)
        got = loop(*a)
        outcomes.append(int(got[0]))
        return tuple(got)

    with monkeypatch.context() as m:
        m.setattr(gates_mod, "search_kernel", lambda: (counted, at))
        got = KeptPairs.search(fast, cl)
    with monkeypatch.context() as m:
        m.setattr(gates_mod, "kept_kernels", lambda: None)
        want = KeptPairs.search(slow, cl)
    assert outcomes == [kept_loops.GAVE_UP] and memo_keys == [None]
    for f in ("events", "start", "count", "rows", "passes"):
        x, y = getattr(got, f), getattr(want, f)
        assert x.dtype == y.dtype and np.array_equal(x, y), f
    assert got.passes.any() and not got.passes.all()  # the premise: the gate decides
