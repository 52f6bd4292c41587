"""Attachment's search and choice (:func:`~.attachment.attach`) as three compiled
loops (numba, the ``fast`` extra) instead of ~60 numpy calls and ten compiled
calls an attach (~560 a fuse of the bearing row, each its own
``time_candidates``, ``slot_free``, ``same_phase``, ``gated`` and choice):
:func:`_candidates_loop` (the free rows' observer runs, the fitted events, the
windows, the slot and phase tests, the marginal gate's time half),
:func:`_bearing_gate_loop` (its bearing half), :func:`_choose_loop` (the joint
innovation gate, each row's best event, the arrivals two events explain, each
(event, observer)'s best row, the labels written). Between them numpy's
``arctan2`` (its SIMD code need not round like libm's, which numba's would
call), of the very arrays the numpy code passes it. Each loop calls the very
loops the numpy-side code calls (:mod:`.windows`, :mod:`.gates`,
:mod:`.jacobian`, :mod:`.byrow`), and the arithmetic between them is the numpy
code's, element by element in its order: the same labels. Without numba (or
without the fused multiply-add :func:`~.jacobian.normalized_kernel` needs)
:func:`attach_kernels` gives None and :mod:`.attachment` runs the numpy code."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ceasefire.fuse import cofactor, normal
from ceasefire.fuse.association import byrow, gates, jacobian, windows
from ceasefire.fuse.association.reports import F8
from ceasefire.fuse.compiled import compiled_calling, getter

#: the loops these call, rebound to their compiled dispatchers by
#: :func:`attach_kernels` (a compiled loop calls compiled functions only)
_fitted = gates._fitted_loop
_slot_free = gates._slot_free_loop
_held_observers = gates.held_observers
_direction = gates._direction_loop
_grid = windows._grid_loop
_tables = windows._tables_loop
_windows = windows._windows_loop
_time = jacobian._marginal_time_loop
_bearing = jacobian._marginal_bearing_loop
_normalized = jacobian._normalized_loop
_quad = jacobian._quad_loop
_best = byrow._best_loop
_first = byrow.first
_upper3 = cofactor.upper3
_quadratic3 = cofactor.quadratic3
_nan_to_num = normal.nan_to_num

#: the windows' grid cells, as a multiple of the reach (:mod:`.windows`)
GRID_CELL = windows._CELL


def _min_nan(a: float, b: float) -> float:
    """``np.minimum``'s answer for two floats (a NaN wins)."""
    if a != a:
        return a
    if b != b:
        return b
    return a if a <= b else b


def _max_nan(a: float, b: float) -> float:
    """``np.maximum``'s answer for two floats (a NaN wins)."""
    if a != a:
        return a
    if b != b:
        return b
    return a if a >= b else b


def _owners(
    labels: Any, src: Any, fs: Any, starts: Any, ends: Any, ok: Any, n_ev: int
) -> tuple[Any, Any, Any]:  # fmt: skip
    """The slot rule's tables for :func:`~.windows._windows_loop`: per run
    ``fs[starts[u]:ends[u]]`` (rows), its rows' one observer ``src`` (-1 when
    several, or negative); per observer ``s``, the events that hold a row of it
    (``labels``), as indices into ``ok`` (the events searched; others left out),
    ``own_ev[own_start[s]:own_start[s + 1]]`` (a counting sort of the rows by
    observer). As :func:`~.gates._slot_free_loop` reads ``labels`` and ``src``:
    a window of the run on such an event holds only pairs it would drop."""
    n_runs = starts.shape[0]
    run_src = np.empty(n_runs, np.intp)
    for u in range(n_runs):
        s0 = src[fs[starts[u]]]
        for i in range(starts[u] + 1, ends[u]):
            if src[fs[i]] != s0:
                s0 = -1
                break
        run_src[u] = s0 if s0 >= 0 else -1
    sub = np.full(n_ev, -1, np.intp)
    for i in range(ok.shape[0]):
        sub[ok[i]] = i
    # each row's searched event (-1: none), then the slot table turned about: the
    # rows sorted by observer, each giving its event
    n_src = 0
    row_ev = np.full(labels.shape[0], -1, np.intp)
    for r in range(labels.shape[0]):
        n_src = max(n_src, src[r] + 1)
        e = labels[r]
        if e >= 0 and e < n_ev:
            row_ev[r] = sub[e]
    own_start, own_ev = _held_observers(src, row_ev, row_ev < 0, n_src)
    return run_src, own_start, own_ev


def _candidates_loop(
    labels: Any, run_order: Any, position_id: Any, ox: Any, oy: Any, t: Any, speed: Any,
    sigma_t: Any, az: Any, src: Any, direction: Any, ex_all: Any, ey_all: Any, eT_all: Any,
    cov9_all: Any, reach_m: float, c: float, q: float, same_phase_only: bool, undet: int,
    cell: float,
) -> tuple[Any, Any, Any, Any, Any, Any]:  # fmt: skip
    """The candidates ``(g, k)`` of attach's free rows (``labels`` < 0) that pass
    the slot test (and the phase test with ``same_phase_only``), as
    ``time_candidates(rep, free, ev, pregate=True)``, ``slot_free`` and
    ``same_phase`` give them; then the marginal gate's time half
    (:func:`~.jacobian._marginal_time_loop`: per candidate whether it passed, the
    bearings among them ``at`` with the event less the observer ``dx``, ``dy``).
    The runs are ``run_order`` filtered (``observer_run_bounds`` of increasing
    rows); the windows' grid as ``windows.windows`` sets it up (``cell``: its
    ``_CELL``)."""
    n = labels.shape[0]
    n_ev = ex_all.shape[0]
    none_i = np.zeros(0, np.intp)
    none_f = np.zeros(0)
    none = (none_i, none_i, np.zeros(0, np.bool_), none_i, none_f, none_f)
    # the fitted events and their terms (gates._event_terms)
    fit = _fitted(cov9_all)
    n_ok = 0
    for e in range(n_ev):
        n_ok += fit[e]
    n_free = 0
    for r in range(n):
        n_free += labels[r] < 0
    if n_ok == 0 or n_free == 0:
        return none
    ok = np.empty(n_ok, np.intp)
    j = 0
    for e in range(n_ev):
        if fit[e]:
            ok[j] = e
            j += 1
    ex = np.empty(n_ok)
    ey = np.empty(n_ok)
    eT = np.empty(n_ok)
    sd_ev = np.empty(n_ok)
    cov9 = np.empty((n_ok, 9))
    for i in range(n_ok):
        e = ok[i]
        ex[i] = ex_all[e]
        ey[i] = ey_all[e]
        eT[i] = eT_all[e]
        sd_ev[i] = math.sqrt(cov9_all[e, 8]) + math.sqrt(cov9_all[e, 0] + cov9_all[e, 4]) / c
        for u in range(9):
            cov9[i, u] = cov9_all[e, u]
    # the free rows by position, then time, and their runs (gates._run_arrays)
    fs = np.empty(n_free, np.intp)
    j = 0
    for p in range(n):
        r = run_order[p]
        if labels[r] < 0:
            fs[j] = r
            j += 1
    n_runs = 1
    for i in range(1, n_free):
        n_runs += position_id[fs[i]] != position_id[fs[i - 1]]
    starts = np.empty(n_runs, np.intp)
    ends = np.empty(n_runs, np.intp)
    starts[0] = 0
    j = 1
    for i in range(1, n_free):
        if position_id[fs[i]] != position_id[fs[i - 1]]:
            starts[j] = i
            ends[j - 1] = i
            j += 1
    ends[n_runs - 1] = n_free
    px = np.empty(n_runs)
    py = np.empty(n_runs)
    f_lo = np.empty(n_runs)
    f_hi = np.empty(n_runs)
    sig_max = np.empty(n_runs)
    sd_hi = np.empty(n_runs)
    for u in range(n_runs):
        r0 = fs[starts[u]]
        px[u] = ox[r0]
        py[u] = oy[r0]
        lo = hi = speed[r0]
        smax = sigma_t[r0]
        amax = abs(sigma_t[r0])
        for i in range(starts[u] + 1, ends[u]):
            r = fs[i]
            lo = _min_nan(lo, speed[r])
            hi = _max_nan(hi, speed[r])
            smax = _max_nan(smax, sigma_t[r])
            amax = _max_nan(amax, abs(sigma_t[r]))
        f_lo[u] = lo
        f_hi[u] = hi
        sig_max[u] = smax
        sd_hi[u] = amax
    tk = np.empty(n_free)
    for i in range(n_free):
        tk[i] = t[fs[i]]
    # the windows' grid (windows.windows)
    n_fin = 0
    for i in range(n_ok):
        n_fin += (ex[i] - ex[i] == 0.0) and (ey[i] - ey[i] == 0.0)
    if n_fin == 0:
        return none
    fin = np.empty(n_fin, np.intp)
    j = 0
    for i in range(n_ok):
        if (ex[i] - ex[i] == 0.0) and (ey[i] - ey[i] == 0.0):
            fin[j] = i
            j += 1
    w = cell * reach_m + 1.0
    x0 = x1 = ex[fin[0]]
    y0 = y1 = ey[fin[0]]
    for i in range(1, n_fin):
        x0 = min(x0, ex[fin[i]])
        x1 = max(x1, ex[fin[i]])
        y0 = min(y0, ey[fin[i]])
        y1 = max(y1, ey[fin[i]])
    finite_w = w - w == 0.0
    # the cell counts as floats: a Python int never overflows, an int64 could
    nxf = (x1 - x0) // w + 1.0 if finite_w else 1.0
    nyf = (y1 - y0) // w + 1.0 if finite_w else 1.0
    if not finite_w or nxf * nyf > 4.0 * n_ok + 1024.0:
        fin = np.arange(n_ok)
        w = math.inf
        nx = ny = 1
        x0 = y0 = 0.0
    else:
        nx = int(nxf)
        ny = int(nyf)
    lim = float(max(nx, ny) + 2)
    by_cell, cell_start, pcx, pcy = _grid(ex, ey, fin, x0, y0, w, nx, ny, px, py, lim)
    tab, offs, t0s, inv_ws = _tables(tk, starts, ends)
    run_src, own_start, own_ev = _owners(labels, src, fs, starts, ends, ok, n_ev)
    gg, kk = _windows(
        px, py, starts, ends, tk, f_lo, sig_max, ex, ey, eT, sd_ev, reach_m, c, by_cell,
        cell_start, nx, ny, pcx, pcy, tab, offs, t0s, inv_ws, cov9, f_hi, sd_hi, q, False,
        run_src, own_start, own_ev,
    )  # fmt: skip
    m = gg.shape[0]
    g = np.empty(m, np.intp)
    k = np.empty(m, np.intp)
    g_max = -1
    for i in range(m):
        g[i] = ok[gg[i]]
        k[i] = fs[kk[i]]
        g_max = max(g_max, g[i])
    # one report per observer per event; the phase the row names (gates.slot_free,
    # gates.same_phase)
    l_max = -1
    for r in range(n):
        l_max = max(l_max, labels[r])
    keep = _slot_free(g, k, labels, src, max(l_max, g_max) + 1)
    if same_phase_only:
        edir = _direction(direction, labels, n_ev, undet)
        for i in range(m):
            dk = direction[k[i]]
            de = edir[g[i]]
            keep[i] = keep[i] and ((de == dk) | (dk == undet) | (de == undet))
    n_keep = 0
    for i in range(m):
        n_keep += keep[i]
    g2 = np.empty(n_keep, np.intp)
    k2 = np.empty(n_keep, np.intp)
    j = 0
    for i in range(m):
        if keep[i]:
            g2[j] = g[i]
            k2[j] = k[i]
            j += 1
    passed, at, dx, dy = _time(ex_all, ey_all, eT_all, cov9_all, g2, k2, ox, oy, t, az, speed,
                               sigma_t, c, q)  # fmt: skip
    return g2, k2, passed, at, dx, dy


def _bearing_gate_loop(
    passed: Any, at: Any, cov9: Any, g: Any, k: Any, az: Any, sigma_az: Any, dx: Any,
    dy: Any, ang: Any, q: float, ex: Any, ey: Any, ox: Any, oy: Any,
) -> tuple[bool, Any, Any, Any, Any]:  # fmt: skip
    """The marginal gate's bearing half (:func:`~.jacobian._marginal_bearing_loop`,
    ``ang`` = numpy's arctan2 of ``dx``, ``dy``) on :func:`_candidates_loop`'s
    answer; returns whether every azimuth was wrapped here (else the caller runs
    the numpy code), the candidates that passed and their event less the observer
    (m), as ``gates.normalized`` makes them (its ``arctan2``'s arguments)."""
    wrapped = _bearing(passed, at, cov9, g, k, az, sigma_az, dx, dy, ang, q)
    m = 0
    for i in range(g.shape[0]):
        m += passed[i]
    g2 = np.empty(m, np.intp)
    k2 = np.empty(m, np.intp)
    dx2 = np.empty(m)
    dy2 = np.empty(m)
    j = 0
    for i in range(g.shape[0]):
        if passed[i]:
            e = g[i]
            r = k[i]
            g2[j] = e
            k2[j] = r
            dx2[j] = ex[e] - ox[r]
            dy2[j] = ey[e] - oy[r]
            j += 1
    return wrapped, g2, k2, dx2, dy2


def _choose_loop(
    g: Any, k: Any, dx: Any, dy: Any, ang: Any, az: Any, sigma_az: Any, t: Any, sigma_t: Any,
    speed: Any, rng: Any, sigma_rng: Any, eT: Any, cov9: Any, c: float, reach_m: float,
    q_of_dof: Any, src: Any, unique_arrivals: bool, labels: Any,
) -> int:  # fmt: skip
    """The rest of attach on the candidates that passed the marginal gate
    (:func:`_bearing_gate_loop`'s, ``ang`` = numpy's arctan2 of ``dx``, ``dy``):
    the joint innovation chi-square (``gates.row_chi2``: :mod:`.jacobian`'s loops)
    within ``q_of_dof`` (the gate's quantile by dof 0..3) and the reach, each
    row's best event by chi-square less dof (``byrow.best_of_rows``), an arrival
    two events explain left free, each (event, observer)'s best row (lowest score,
    then row: ``np.lexsort((k, score, key))``'s first). ``labels`` written in
    place; returns how many joined, or -1 when an azimuth was not wrapped here
    (nothing written: the caller runs the numpy code)."""
    n = labels.shape[0]
    m = g.shape[0]
    rn, M, dof, wrapped = _normalized(az, sigma_az, t, sigma_t, speed, rng, sigma_rng, g, eT,
                                      cov9, dx, dy, ang, c, k)  # fmt: skip
    if not wrapped:
        return -1
    signs = np.empty(m)
    floor = np.empty(m)
    signs.fill(1.0)
    floor.fill(0.02)
    chi2, _ = _quad(M, rn, signs, floor, False)
    # the attach gates (gates.gated)
    n_keep = 0
    keep = np.empty(m, np.bool_)
    for i in range(m):
        rho = math.hypot(dx[i], dy[i])
        d = dof[i]
        qd = q_of_dof[min(max(int(d), 0), q_of_dof.shape[0] - 1)]
        keep[i] = (chi2[i] <= qd) and (rho <= reach_m) and (d > 0)
        n_keep += keep[i]
    gk = np.empty(n_keep, np.intp)
    kk = np.empty(n_keep, np.intp)
    score = np.empty(n_keep)
    j = 0
    for i in range(m):
        if keep[i]:
            gk[j] = g[i]
            kk[j] = k[i]
            score[j] = chi2[i] - dof[i]
            j += 1
    if n_keep == 0:
        return 0
    # each row: its best event
    sel = _best(kk, score, gk, n)
    if unique_arrivals:
        # an arrival (a time, no direction) that two events explain stays free
        n_cand = np.zeros(n, np.intp)
        for i in range(n_keep):
            n_cand[kk[i]] += 1
        j = 0
        for u in range(sel.shape[0]):
            r = kk[sel[u]]
            if not (n_cand[r] > 1 and az[r] - az[r] != 0.0):
                sel[j] = sel[u]
                j += 1
        sel = sel[:j]
    # each (event, observer): its best row (lowest score, NaN last, then row)
    s = sel.shape[0]
    n_src = 0
    for r in range(n):
        n_src = max(n_src, src[r] + 1)
    key = np.empty(s, np.int64)
    for u in range(s):
        key[u] = np.int64(gk[sel[u]]) * n_src + src[kk[sel[u]]]
    order = np.argsort(key, kind="mergesort")
    joined = 0
    a = 0
    while a < s:
        b = a + 1
        while b < s and key[order[b]] == key[order[a]]:
            b += 1
        best = sel[order[a]]
        for v in range(a + 1, b):
            i = sel[order[v]]
            if _first(score[i], score[best], kk[i], kk[best]):
                best = i
        labels[kk[best]] = gk[best]
        joined += 1
        a = b
    return joined


def _pulled_loop(
    ok: Any, x: Any, y: Any, T: Any, old_x: Any, old_y: Any, old_T: Any, old_cov9: Any,
    g: Any, q: float,
) -> Any:  # fmt: skip
    """Per event ``g[i]``: its refit failed (``ok`` false) or its estimate moved
    out of the former one's region, ``dᵀ P⁻¹ d > q`` with d the move in (x, y, T)
    and P the former covariance (both NaN as 0, infinities as the largest
    floats: ``nan_to_num``; by :mod:`~ceasefire.fuse.cofactor`'s cofactors, inf
    where det P <= 0), as ``attachment.pulled_away`` computes it in numpy."""
    n = g.shape[0]
    out = np.empty(n, np.bool_)
    for i in range(n):
        e = g[i]
        d0 = _nan_to_num(x[e] - old_x[e])
        d1 = _nan_to_num(y[e] - old_y[e])
        d2 = _nan_to_num(T[e] - old_T[e])
        cof = _upper3(
            _nan_to_num(old_cov9[e, 0]), _nan_to_num(old_cov9[e, 1]),
            _nan_to_num(old_cov9[e, 2]), _nan_to_num(old_cov9[e, 4]),
            _nan_to_num(old_cov9[e, 5]), _nan_to_num(old_cov9[e, 8]),
        )  # fmt: skip
        det = cof[6]
        m2 = _quadratic3(cof, d0, d1, d2) / det if det > 0 else np.inf
        out[i] = not ok[e] or not m2 <= q
    return out


@getter
def pulled_kernel() -> Callable[..., Any] | None:
    """:func:`_pulled_loop` compiled (on first use), or None without numba."""
    return compiled_calling(
        _pulled_loop, _upper3=cofactor.upper3, _quadratic3=cofactor.quadratic3,
        _nan_to_num=normal.nan_to_num,
    )  # fmt: skip


@functools.lru_cache(maxsize=8)
def gate_quantiles(p: float) -> F8:
    """The attach gate's chi-square quantile at ``p`` for dof 0..3 (a row's
    components: bearing, time, range), as ``gates.quantile`` gives each."""
    q = np.asarray(gates.quantile(p, np.arange(4)), np.float64)
    q.setflags(write=False)
    return q


@getter
def attach_kernels() -> tuple[Callable[..., Any], Callable[..., Any], Callable[..., Any]] | None:
    """:func:`_candidates_loop`, :func:`_bearing_gate_loop` and :func:`_choose_loop`
    compiled (on first use), each calling the compiled loops of the modules it
    repeats; or None without numba or its fused multiply-add."""
    fitted, slot = gates._fitted_kernel(), gates._slot_kernels()
    win, marginal = windows._kernels(), jacobian.marginal_kernels()
    normalized, quad, best = (
        jacobian.normalized_kernel(),
        jacobian.quad_kernel(),
        byrow.best_kernel(),
    )
    if (
        fitted is None or slot is None or win is None or marginal is None or normalized is None
        or quad is None or best is None
    ):  # fmt: skip
        return None
    window_loop, tables_loop, grid_loop = win
    front = compiled_calling(
        _candidates_loop, _fitted=fitted, _slot_free=slot[0], _direction=slot[1],
        _grid=grid_loop, _tables=tables_loop, _windows=window_loop, _time=marginal[0],
        _min_nan=_min_nan, _max_nan=_max_nan, _owners=_owners,
        _held_observers=gates.held_observers,
    )  # fmt: skip
    middle = compiled_calling(_bearing_gate_loop, _bearing=marginal[1])
    back = compiled_calling(
        _choose_loop, _normalized=normalized, _quad=quad, _best=best, _first=byrow.first
    )
    if front is None or middle is None or back is None:
        return None
    return front, middle, back


__all__ = ["GRID_CELL", "attach_kernels", "gate_quantiles", "pulled_kernel"]
