"""The time windows of candidate search: the compiled loop (numba, the ``fast``
extra) gives the numpy loop's candidates, in the same order, and both find
what the definition says on a small hand-made case."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ceasefire.fuse.association.windows import _kernels, windows_numpy

C = 343.0


def test_a_report_in_its_events_window_is_a_candidate_and_one_outside_is_not() -> None:
    # one position at the origin with reports at 10, 12.9 and 20 s (sd 0.01 s); an
    # event 3430 m away emitted at 0 s is heard at 10 s (window 10 +- 4 x 0.02 s);
    # a second event beyond the 5 km reach is never a candidate
    px, py = np.array([0.0]), np.array([0.0])
    starts, ends = np.array([0]), np.array([3])
    tk = np.array([10.0, 12.9, 20.0])
    g, k = windows_numpy(
        px, py, starts, ends, tk, np.array([1.0]), np.array([0.01]),
        np.array([3430.0, 9000.0]), np.array([0.0, 0.0]), np.array([0.0, 0.0]),
        np.array([0.01, 0.01]), 5_000.0, C,
    )  # fmt: skip
    assert g.tolist() == [0] and k.tolist() == [0]


def test_the_compiled_loop_gives_the_numpy_loops_candidates() -> None:
    pytest.importorskip("numba")
    from ceasefire.fuse.association.windows import windows

    rng = np.random.default_rng(5)
    n_pos, n_ev = 40, 3000
    sizes = rng.integers(0, 60, n_pos)
    ends = np.cumsum(2 * sizes)
    starts = ends - 2 * sizes
    # half of each position's reports in a burst: the compiled loop searches long
    # runs through slices of their time span
    tk = np.concatenate(
        [np.sort(np.r_[rng.uniform(0, 3_600, s), rng.uniform(900, 960, s)]) for s in sizes]
    )
    args = (
        rng.uniform(-60e3, 60e3, n_pos), rng.uniform(-20e3, 20e3, n_pos), starts, ends, tk,
        rng.choice([0.0, 1.0], n_pos), rng.uniform(0.005, 2.0, n_pos),
        rng.uniform(-700e3, 700e3, n_ev), rng.uniform(-25e3, 25e3, n_ev),
        rng.uniform(0, 3_600, n_ev), rng.uniform(0.0, 5.0, n_ev), 36_000.0, C,
    )  # fmt: skip
    # events along a front far longer than the reach (most out of reach of a
    # position: the compiled loop visits only those within its span of x), some
    # exactly at the square's edge, one unfitted (NaN)
    ex = args[7]
    ex[:20] = args[0][:20] + np.where(np.arange(20) % 2, 1.0, -1.0) * 1.000001 * 36_000.0
    ex[20] = np.nan
    g0, k0 = windows_numpy(*args)
    assert _kernels() is not None
    g1, k1 = windows(*args)
    assert g0.shape[0] > 100  # the premise: many candidates to compare
    assert np.array_equal(g0, g1) and np.array_equal(k0, k1)
    # by event: the pairs of a stable sort by event (each event's by position, then
    # time), with the gate too
    order = np.argsort(g0, kind="stable")
    assert not np.array_equal(order, np.arange(order.shape[0]))  # the premise
    g2, k2 = windows(*args, by_event=True)
    assert np.array_equal(g2, g0[order]) and np.array_equal(k2, k0[order])


def test_slices_made_once_give_the_windows_of_slices_made_per_search() -> None:
    # the kept search passes the runs' slices it made once; a run with no rows has
    # an empty table and the others each position's own slices
    pytest.importorskip("numba")
    from ceasefire.fuse.association import windows as w

    rng = np.random.default_rng(9)
    sizes = np.array([0, 5, 1, 40, 0, 17])
    ends = np.cumsum(sizes)
    starts = ends - sizes
    tk = np.concatenate([np.sort(rng.uniform(0, 600, s)) for s in sizes])
    tables = w.slice_tables(tk, starts, ends)
    assert tables is not None
    tab, offs, t0s, inv_ws = tables
    for r in range(sizes.shape[0]):
        if sizes[r] == 0:
            assert offs[r + 1] == offs[r]
            continue
        table, t0, inv_w = w._slices(tk, int(starts[r]), int(ends[r]), 8 * int(sizes[r]))
        assert np.array_equal(tab[offs[r] : offs[r + 1]], table)
        assert (t0s[r], inv_ws[r]) == (t0, inv_w)
    n_ev = 400
    args = (
        rng.uniform(-20e3, 20e3, 6), rng.uniform(-20e3, 20e3, 6), starts, ends, tk,
        np.ones(6), rng.uniform(0.01, 1.0, 6), rng.uniform(-30e3, 30e3, n_ev),
        rng.uniform(-30e3, 30e3, n_ev), rng.uniform(0, 600, n_ev), rng.uniform(0, 2, n_ev),
        36_000.0, C,
    )  # fmt: skip
    g0, k0 = windows_numpy(*args)
    g1, k1 = w.windows(*args, tables)
    assert g0.shape[0] > 0
    assert np.array_equal(g0, g1) and np.array_equal(k0, k1)


def test_a_search_through_slices_is_numpys_searchsorted() -> None:
    # ties, bursts, values on, below and beyond the run, NaN and infinities
    pytest.importorskip("numba")
    from ceasefire.fuse.association import windows as w

    assert w._kernels() is not None
    rng = np.random.default_rng(8)
    t = np.sort(np.r_[np.round(rng.uniform(0, 100, 300)), rng.uniform(40, 41, 200), [7.0] * 30])
    t = np.r_[-5.0, t]  # the run is t[1:]
    a0, b0 = 1, t.shape[0]
    vs = np.r_[t[a0:], rng.uniform(-10, 110, 500), [np.nan, np.inf, -np.inf, -5.0, 200.0]]
    # as few slices as rows, and the loop's many per row
    for nb in (b0 - a0, 8 * (b0 - a0), 1):
        table, t0, inv_w = w._slices(t, a0, b0, nb)
        for right in (False, True):
            side = "right" if right else "left"
            want = a0 + np.searchsorted(t[a0:], vs, side=side)
            got = [w._find(t, a0, b0, table, t0, inv_w, float(v), right) for v in vs]
            assert np.array_equal(want, got), (nb, side)


def test_windows_that_end_exactly_on_a_report_at_epoch_times() -> None:
    # times of day in epoch seconds (1.7e9: a unit in the last place is 2.4e-7 s)
    # and events whose window, without slack, ends or starts exactly on a report,
    # or just misses one: the compiled loop's first test (by sqrt, widened) must not
    # drop a window the exact arithmetic keeps
    pytest.importorskip("numba")
    from ceasefire.fuse.association.windows import windows

    rng = np.random.default_rng(12)
    n_pos = 30
    sizes = rng.integers(1, 80, n_pos)
    ends = np.cumsum(sizes)
    day = 1.7e9
    tk = np.concatenate([np.sort(day + np.round(rng.uniform(0, 3_600, s) * 4) / 4) for s in sizes])
    px, py = rng.uniform(-30e3, 30e3, n_pos), rng.uniform(-10e3, 10e3, n_pos)
    # per position, events 3430 m east (heard 10 s later, to the bit) emitted 10 s
    # before its last report: to the last place (twice), 1e-6 s and one unit in the
    # last place either way (without slack only the first two hold it)
    pos = np.repeat(np.arange(n_pos), 6)
    row = ends[pos] - 1
    shift = np.tile([0.0, 0.0, 1e-6, -1e-6, 2.4e-7, -2.4e-7], n_pos)
    ex = np.r_[px[pos] + 3_430.0, rng.uniform(-60e3, 60e3, 400)]
    ey = np.r_[py[pos], rng.uniform(-20e3, 20e3, 400)]
    eT = np.r_[tk[row] - 10.0 + shift, day + rng.uniform(0, 3_600, 400)]
    sd = np.r_[np.zeros(pos.shape[0]), rng.uniform(0.0, 3.0, 400)]
    for f_lo, sig in ((1.0, 0.0), (0.0, 0.0), (1.0, 0.003)):
        args = (
            px, py, ends - sizes, ends, tk, np.full(n_pos, f_lo), np.full(n_pos, sig),
            ex, ey, eT, sd, 36_000.0, C,
        )  # fmt: skip
        g0, k0 = windows_numpy(*args)
        g1, k1 = windows(*args)
        assert g0.shape[0] > n_pos  # the premise: the edge cases are candidates
        assert np.array_equal(g0, g1) and np.array_equal(k0, k1), (f_lo, sig)


@pytest.mark.parametrize("reach", [np.inf, 1.0, 36_000.0])
def test_the_compiled_loop_without_a_grid_and_on_a_fine_one(reach: float) -> None:
    # an unbounded reach (one cell of every event) and a reach so short that the
    # grid would be too fine (one cell too): the numpy loop's candidates still
    pytest.importorskip("numba")
    from ceasefire.fuse.association.windows import windows

    rng = np.random.default_rng(9)
    sizes = rng.integers(0, 40, 20)
    ends = np.cumsum(sizes)
    tk = np.concatenate([np.sort(rng.uniform(0, 3_600, s)) for s in sizes])
    ex = rng.uniform(-2e6, 2e6, 500)
    ex[:3] = [np.nan, np.inf, -np.inf]
    ey = rng.uniform(-25e3, 25e3, 500)
    # positions on events (within any reach)
    args = (
        ex[10:30].copy(), ey[10:30].copy(), ends - sizes, ends, tk, rng.choice([0.0, 1.0], 20),
        rng.uniform(0.005, 2.0, 20), ex, ey,
        rng.uniform(0, 3_600, 500), rng.uniform(0.0, 200.0, 500), reach, C,
    )  # fmt: skip
    with np.errstate(invalid="ignore"):
        g0, k0 = windows_numpy(*args)
    g1, k1 = windows(*args)
    assert g0.shape[0] > 0
    assert np.array_equal(g0, g1) and np.array_equal(k0, k1)


def _grid_numpy(
    ex: np.ndarray, ey: np.ndarray, ok: np.ndarray, x0: float, y0: float, w: float, nx: int,
    ny: int, px: np.ndarray, py: np.ndarray, lim: float,
) -> tuple[np.ndarray, ...]:  # fmt: skip
    """The grid as numpy expressions (the compiled loop's reference)."""
    cx = np.minimum(np.floor((ex[ok] - x0) / w), nx - 1).astype(np.intp) if nx > 1 else 0 * ok
    cy = np.minimum(np.floor((ey[ok] - y0) / w), ny - 1).astype(np.intp) if ny > 1 else 0 * ok
    cell = cy * nx + cx
    order = np.argsort(cell, kind="stable")
    cell_start = np.searchsorted(cell[order], np.arange(nx * ny + 1)).astype(np.intp)

    def cell_of(p: np.ndarray, p0: float) -> np.ndarray:
        with np.errstate(invalid="ignore"):  # inf / inf: NaN, as 0
            v = np.floor((p - p0) / w)
        v[np.isnan(v)] = 0.0
        return np.minimum(np.maximum(v, -lim), lim).astype(np.intp)

    return ok[order].astype(np.intp), cell_start, cell_of(px, x0), cell_of(py, y0)


@pytest.mark.parametrize("seed", range(4))
def test_the_compiled_grid_is_numpys(seed: int) -> None:
    kernels = _kernels()
    if kernels is None:
        pytest.skip("numba not installed")
    rng = np.random.default_rng(seed)
    ex, ey = rng.normal(0.0, 40_000.0, (2, 300))
    ex[:5] = np.nan
    ey[5:8] = np.inf
    px, py = rng.normal(0.0, 80_000.0, (2, 120))
    px[:3], py[3:6], px[6] = np.nan, -np.inf, 1e300
    ok = np.flatnonzero(np.isfinite(ex) & np.isfinite(ey))
    w = 1.001 * 30_000.0 + 1.0
    x0, y0 = float(ex[ok].min()), float(ey[ok].min())
    nx = int((float(ex[ok].max()) - x0) // w) + 1
    ny = int((float(ey[ok].max()) - y0) // w) + 1
    for args in (
        (ex, ey, ok, x0, y0, w, nx, ny, px, py, float(max(nx, ny) + 2)),
        (ex, ey, np.arange(300), 0.0, 0.0, math.inf, 1, 1, px, py, 3.0),  # one cell
    ):
        got = kernels[2](*args)
        want = _grid_numpy(*args)
        assert nx > 2 and ny > 2
        for a, b in zip(got, want, strict=True):
            assert a.dtype == np.intp and np.array_equal(a, b)


def test_windows_cut_by_the_gate_are_the_same_in_numpy_and_compiled() -> None:
    # the gate's bound made by both loops' arithmetic: the same cut windows, inside
    # the whole ones; covariances positive, not positive (cut only where V is
    # convex along the line of sight), NaN (no cut), runs with both speed factors,
    # a run whose gate has no time sd (no cut), epoch times
    pytest.importorskip("numba")
    from ceasefire.fuse.association.windows import TimeGate, windows

    rng = np.random.default_rng(21)
    n_pos, n_ev = 40, 2_000
    sizes = rng.integers(0, 80, n_pos)
    ends = np.cumsum(sizes)
    day = 1.7e9
    tk = np.concatenate([np.sort(day + rng.uniform(0, 1_800, s)) for s in sizes])
    f_lo = rng.choice([0.0, 1.0], n_pos)
    f_hi = np.where(rng.random(n_pos) < 0.3, 1.0, f_lo)
    sig = rng.uniform(0.005, 1.0, n_pos)
    L = rng.normal(0.0, 1.0, (n_ev, 3, 3)) * np.array([200.0, 200.0, 0.5])[:, None]
    cov = L @ L.transpose(0, 2, 1)
    cov[:10, 0, 0] = -cov[:10, 0, 0]  # not positive
    cov[10:15] = np.nan
    args = (
        rng.uniform(-30e3, 30e3, n_pos), rng.uniform(-5e3, 5e3, n_pos), ends - sizes, ends, tk,
        f_lo, sig, rng.uniform(-40e3, 40e3, n_ev), rng.uniform(-8e3, 8e3, n_ev),
        day + rng.uniform(-100, 1_800, n_ev), rng.uniform(0.0, 3.0, n_ev), 36_000.0, C,
    )  # fmt: skip
    sd_hi = sig.copy()
    sd_hi[3] = np.nan
    gate = TimeGate(cov.reshape(-1, 9), f_hi, sd_hi, 16.27)
    g_all, k_all = windows(*args)
    with np.errstate(invalid="ignore"):
        g0, k0 = windows_numpy(*args, gate)
    g1, k1 = windows(*args, gate=gate)
    assert np.array_equal(g0, g1) and np.array_equal(k0, k1)
    # a cut, within the whole windows (each pair once in both)
    assert 0 < g1.shape[0] < 0.7 * g_all.shape[0]
    whole = set(zip(g_all.tolist(), k_all.tolist(), strict=True))
    assert set(zip(g1.tolist(), k1.tolist(), strict=True)) <= whole
    # events and runs without a bound keep their whole windows
    assert np.isin([10, 12], g_all).all()
    for e in (10, 12):
        assert np.array_equal(k1[g1 == e], k_all[g_all == e])

    def of_run3(g: np.ndarray, k: np.ndarray) -> np.ndarray:
        on = (k >= ends[3] - sizes[3]) & (k < ends[3])
        return np.column_stack([g[on], k[on]])

    assert of_run3(g_all, k_all).shape[0] > 0
    assert np.array_equal(of_run3(g1, k1), of_run3(g_all, k_all))


def test_windows_the_gate_empties_are_told_so_and_the_others_kept_whole() -> None:
    # sharp events (x, y sd 5 m, T sd 2 ms) heard by runs of reports every 0.25 s,
    # each event's report within 1 ms of its arrival or 0.1 s off it: the whole
    # window (4 x (sd + sd_ev) ~ 0.1 s a side) holds rows, the gate's cut (~12 ms a
    # side) holds only the near report, or none when it is off; the compiled loop
    # tells those empty by their slices and must keep every pair numpy keeps, in
    # numpy's order, events spread over a 3 x 3 grid of cells about each run
    pytest.importorskip("numba")
    from ceasefire.fuse.association.windows import TimeGate, windows

    rng = np.random.default_rng(33)
    n_pos, n_ev, reach = 12, 600, 20_000.0
    day = 1.7e9
    px, py = rng.uniform(-30e3, 30e3, (2, n_pos))
    ex, ey = rng.uniform(-40e3, 40e3, (2, n_ev))
    eT = day + rng.uniform(0, 600, n_ev)
    cov = np.zeros((n_ev, 3, 3))
    cov[:, 0, 0] = cov[:, 1, 1] = 25.0
    cov[:, 2, 2] = 4e-6
    sd_ev = np.sqrt(cov[:, 2, 2]) + np.sqrt(cov[:, 0, 0] + cov[:, 1, 1]) / C
    tks, sizes = [], []
    for r in range(n_pos):
        d = np.hypot(ex - px[r], ey - py[r])
        heard = eT + d / C
        near = heard[(d <= reach) & (rng.random(n_ev) < 0.8)]
        side = rng.choice([-1.0, 1.0], near.shape[0])
        off = np.where(rng.random(near.shape[0]) < 0.5, 1e-3, 0.1) * side
        t = np.sort(np.r_[near + off, day + np.arange(0, 700, 0.25)])
        tks.append(t)
        sizes.append(t.shape[0])
    tk = np.concatenate(tks)
    ends = np.cumsum(sizes)
    sig = np.full(n_pos, 0.005)
    args = (
        px, py, ends - np.array(sizes), ends, tk, np.ones(n_pos), sig, ex, ey, eT, sd_ev,
        reach, C,
    )  # fmt: skip
    gate = TimeGate(cov.reshape(-1, 9), np.ones(n_pos), sig.copy(), 16.27)
    g_all, _ = windows(*args)
    with np.errstate(invalid="ignore"):
        g0, k0 = windows_numpy(*args, gate)
    g1, k1 = windows(*args, gate=gate)
    # the premises: events whose whole windows hold rows and whose cut ones do not,
    # and cut windows that hold rows
    assert np.setdiff1d(g_all, g0).shape[0] > 10 and g0.shape[0] > 100
    assert np.array_equal(g0, g1) and np.array_equal(k0, k1)
