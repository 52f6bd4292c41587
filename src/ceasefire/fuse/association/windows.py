"""The time windows behind :func:`~ceasefire.fuse.association.gates.time_candidates`:
for each observer position and each event within reach of it, the position's
reports perceived within the event's window. Two implementations that give the
same candidates in the same order, to the bit: a numpy loop over positions, and,
with the ``fast`` extra (numba), one compiled loop over (position, event) (the
numpy loop spends its time in per-position call overhead: ~100 positions x ~15
array calls on every pass of attachment and reassignment)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from ceasefire.fuse.compiled import compiled, compiled_calling, getter

F8 = npt.NDArray[np.float64]
IP = npt.NDArray[np.intp]


class TimeGate(NamedTuple):
    """The marginal gate's time half (:func:`~.gates.marginal_gate`), for windows
    whose every pair goes through it: a window then holds only the rows that may
    pass it (:func:`_gate_half`), every pair the gate would take still found, in
    the same order. ``cov9``: per event, its covariance over (x, y in m, T in s),
    row-major ``(n_ev, 9)``; per run, ``f_hi`` its largest speed factor and
    ``sd_hi`` its largest ``|time sd|`` (s); ``q``: the gate's chi-square."""

    cov9: F8
    f_hi: F8
    sd_hi: F8
    q: float


def _gate_half(
    ddx: float, ddy: float, d: float, c: float, f_lo: float, f_hi: float, s: float,
    p00: float, p01: float, p02: float, p11: float, p12: float, p22: float, q: float,
) -> float:  # fmt: skip
    """How far (s) a row's time may lie from ``T + f rho / c`` and still pass the
    marginal time gate ``(t - T - f rho / c)^2 <= q var_t`` of an event at ``(ddx,
    ddy)`` from the position (``d``: their distance, m; ``rho`` = max(d, 1)), for
    any row of speed factor ``f`` in ``[f_lo, f_hi]`` and time sd at most ``s``;
    NaN when no bound is concluded (then the caller keeps its window). ``var_t`` =
    sd^2 + V(f), V(f) = f^2 u + 2 f v + p22 (u = aᵀ Pxy a, v = aᵀ (p02, p12), a =
    (ddx, ddy) / (rho c)): with u >= 0 V is convex in f, largest at an end of
    the range. Widened by 1e-9 of the terms' magnitudes (the gate's own sums
    differ from these by units in the last place: ~1e-16)."""
    rho = d if d >= 1.0 else 1.0
    w = 1.0 / (rho * c)
    ux = ddx * w
    uy = ddy * w
    a00 = ux * ux * p00
    a11 = uy * uy * p11
    a01 = 2.0 * ux * uy * p01
    u = (a00 + a11) + a01
    b02 = ux * p02
    b12 = uy * p12
    v = b02 + b12
    v_lo = f_lo * f_lo * u + 2.0 * f_lo * v
    v_hi = f_hi * f_hi * u + 2.0 * f_hi * v
    fm = abs(f_lo) if abs(f_lo) >= abs(f_hi) else abs(f_hi)
    mag = (s * s + abs(p22)) + fm * fm * (abs(a00) + abs(a11) + abs(a01))
    mag = mag + 2.0 * fm * (abs(b02) + abs(b12))
    vmax = v_lo if v_lo >= v_hi else v_hi
    var = ((s * s + p22) + vmax) + 1e-9 * mag
    # NaN terms, a non-convex V (Pxy not positive) or a negative variance: none
    if not (u >= 0.0 and v_lo == v_lo and v_hi == v_hi and var >= 0.0 and mag < math.inf):
        return math.nan
    return math.sqrt(q * var) * (1.0 + 1e-9)


def _gate_bounds(
    te: float, d: float, c: float, f_lo: float, f_hi: float, h: float
) -> tuple[float, float]:
    """The times (s) within :func:`_gate_half`'s ``h`` of ``te + f rho / c`` for
    some ``f`` in ``[f_lo, f_hi]``, widened by 1e-12 of their terms (thousands of
    units in the last place at epoch times: the gate's residual ``t - T - f rho /
    c`` is rounded differently)."""
    rho = d if d >= 1.0 else 1.0
    delay = rho / c
    pad = 1e-12 * (abs(te) + delay * (abs(f_lo) + abs(f_hi)) + h) + 1e-12
    return te + f_lo * delay - h - pad, te + f_hi * delay + h + pad


def windows_numpy(
    px: F8,
    py: F8,
    starts: IP,
    ends: IP,
    tk: F8,
    f_lo: F8,
    sig_max: F8,
    ex: F8,
    ey: F8,
    eT: F8,
    sd_ev: F8,
    reach_m: float,
    c: float,
    gate: TimeGate | None = None,
) -> tuple[IP, IP]:
    """(event, report) candidates, by position: position ``r`` at ``(px, py)`` owns
    the reports ``starts[r]:ends[r]`` of ``tk`` (perceived times, s, sorted within
    a position), with the smallest speed factor ``f_lo[r]`` and largest time sd
    ``sig_max[r]``; events at ``(ex, ey)`` emitted at ``eT`` with a time sd
    ``sd_ev``. A report is a candidate of an event within ``reach_m`` of its
    position when its time lies in [eT + f_lo d / c - s, eT + d / c + s], s = 4
    (sig_max + sd_ev). With ``gate``, each window is cut to the rows that may
    pass it (:func:`_gate_half`, :func:`_gate_bounds`). Returns event indices and
    report indices (into ``tk``), ordered by position, then event, then time."""
    out_g: list[IP] = []
    out_k: list[IP] = []
    for r in range(starts.shape[0]):
        a0, b0 = int(starts[r]), int(ends[r])
        d = np.hypot(ex - px[r], ey - py[r])
        near = np.flatnonzero(d <= reach_m)
        if near.shape[0] == 0:
            continue
        t = tk[a0:b0]
        slack = 4.0 * (sig_max[r] + sd_ev[near])
        lo = eT[near] + f_lo[r] * d[near] / c - slack
        hi = eT[near] + d[near] / c + slack
        if gate is not None:
            lo, hi = _gate_cut_numpy(
                gate, r, ex[near] - px[r], ey[near] - py[r], d[near], eT[near], near,
                float(f_lo[r]), c, lo, hi,
            )  # fmt: skip
        ia = np.searchsorted(t, lo)
        ib = np.searchsorted(t, hi, side="right")
        cnt = ib - ia
        tot = int(cnt.sum())
        if tot == 0:
            continue
        start = np.repeat(np.cumsum(cnt) - cnt, cnt)
        out_g.append(np.repeat(near, cnt))
        out_k.append(a0 + np.repeat(ia, cnt) + (np.arange(tot) - start))
    if not out_g:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    return np.concatenate(out_g).astype(np.intp), np.concatenate(out_k).astype(np.intp)


def _gate_cut_numpy(
    gate: TimeGate, r: int, ddx: F8, ddy: F8, d: F8, te: F8, near: IP, f_lo: float, c: float,
    lo: F8, hi: F8,
) -> tuple[F8, F8]:  # fmt: skip
    """Windows ``[lo, hi]`` of run ``r`` and events ``near`` cut by
    :func:`_gate_half` and :func:`_gate_bounds` (their arithmetic, elementwise)."""
    cv = gate.cov9[near]
    p00, p01, p02, p11, p12, p22 = (cv[:, j] for j in (0, 1, 2, 4, 5, 8))
    f_hi, s, q = float(gate.f_hi[r]), float(gate.sd_hi[r]), gate.q
    rho = np.where(d >= 1.0, d, 1.0)
    w = 1.0 / (rho * c)
    ux = ddx * w
    uy = ddy * w
    a00 = ux * ux * p00
    a11 = uy * uy * p11
    a01 = 2.0 * ux * uy * p01
    u = (a00 + a11) + a01
    b02 = ux * p02
    b12 = uy * p12
    v = b02 + b12
    v_lo = f_lo * f_lo * u + 2.0 * f_lo * v
    v_hi = f_hi * f_hi * u + 2.0 * f_hi * v
    fm = abs(f_lo) if abs(f_lo) >= abs(f_hi) else abs(f_hi)
    mag = (s * s + np.abs(p22)) + fm * fm * (np.abs(a00) + np.abs(a11) + np.abs(a01))
    mag = mag + 2.0 * fm * (np.abs(b02) + np.abs(b12))
    vmax = np.where(v_lo >= v_hi, v_lo, v_hi)
    var = ((s * s + p22) + vmax) + 1e-9 * mag
    with np.errstate(invalid="ignore"):
        sure = (u >= 0.0) & (v_lo == v_lo) & (v_hi == v_hi) & (var >= 0.0) & (mag < math.inf)
        h = np.where(sure, np.sqrt(np.where(sure, q * var, 0.0)) * (1.0 + 1e-9), math.nan)
        qd = rho / c
        pad = 1e-12 * (np.abs(te) + qd * (abs(f_lo) + abs(f_hi)) + h) + 1e-12
        lo_g = te + f_lo * qd - h - pad
        hi_g = te + f_hi * qd + h + pad
        return np.where(lo_g > lo, lo_g, lo), np.where(hi_g < hi, hi_g, hi)


def _search(t: Any, lo: int, hi: int, v: float, right: bool) -> int:
    """``lo + np.searchsorted(t[lo:hi], v, side)`` on finite sorted ``t`` (a NaN
    ``v`` sorts last, as in numpy)."""
    if v != v:
        return hi
    while lo < hi:
        mid = (lo + hi) >> 1
        if t[mid] < v or (right and t[mid] == v):
            lo = mid + 1
        else:
            hi = mid
    return lo


def _walk(t: Any, lo: int, hi: int, p: int, v: float, right: bool) -> int:
    """:func:`_search`'s answer found by walking from the guess ``p`` (``lo <= p <=
    hi``): exact whatever the guess, quick when it is close."""
    if v != v:
        return hi
    if right:
        while p > lo and t[p - 1] > v:
            p -= 1
        while p < hi and t[p] <= v:
            p += 1
    else:
        while p > lo and t[p - 1] >= v:
            p -= 1
        while p < hi and t[p] < v:
            p += 1
    return p


def _slice(v: float, t0: float, inv_w: float, nb: int) -> int:
    """The slice of time ``v`` among ``nb`` slices from ``t0`` (``inv_w`` slices per
    second), clamped to ``0..nb-1`` (NaN: 0); monotone in ``v`` (a subtraction, a
    product by a positive number and a truncation all keep the order), so rows
    between two times lie in the slices between theirs."""
    x = (v - t0) * inv_w
    x = x if x > 0.0 else 0.0
    x = x if x < nb - 1.0 else nb - 1.0
    return int(x)


def _fill_slices(t: Any, a0: int, b0: int, nb: int, table: Any, o: int) -> tuple[float, float]:
    """:func:`_slices`' table written into ``table[o:o + nb + 1]``; returns its
    ``(t0, inv_w)``."""
    t0 = t[a0]
    span = t[b0 - 1] - t0
    inv_w = nb / span if span > 0.0 else 0.0
    i = a0
    for b in range(nb):
        while i < b0 and _slice(t[i], t0, inv_w, nb) < b:
            i += 1
        table[o + b] = i
    table[o + nb] = b0
    return t0, inv_w


def _slices(t: Any, a0: int, b0: int, nb: int) -> tuple[Any, float, float]:
    """For the sorted ``t[a0:b0]`` (not empty): ``nb`` equal slices of its time span
    from ``t0`` (``inv_w`` slices per second; all in slice 0 when the span is 0 or
    not finite), and where each slice's times start (``table[b]``: the first index
    whose slice is ``b`` or later; ``table[nb]`` = ``b0``). Rows in slices ``b0..b1``
    number ``table[b1 + 1] - table[b0]``."""
    table = np.empty(nb + 1, np.intp)
    t0, inv_w = _fill_slices(t, a0, b0, nb, table, 0)
    return table, t0, inv_w


def _find(
    t: Any, a0: int, b0: int, table: Any, t0: float, inv_w: float, v: float, right: bool
) -> int:
    """:func:`_search` on ``t[a0:b0]`` through its slices (:func:`_slices`): a
    binary search inside ``v``'s slice, then a walk that makes it exact."""
    if v != v or v > t[b0 - 1]:
        return b0
    if v < t0:
        return a0
    b = _slice(v, t0, inv_w, table.shape[0] - 1)
    p = _search(t, table[b], table[b + 1], v, right)
    return _walk(t, a0, b0, p, v, right)


#: slices per row of a run (:func:`_slices`): the finer, the more windows are
#: seen to be empty without a search (8: attachment's windows 0.35 CPU-s on the
#: stress slice against 0.37 with 4, 0.34 with 16, where reassignment's, whose
#: windows mostly hold rows, pay for building the tables)
_PER_ROW = 8


def _tables_loop(tk: Any, starts: Any, ends: Any) -> tuple[Any, Any, Any, Any]:
    """Every run's slices (:func:`_slices`, ``_PER_ROW`` per row) in one array: run
    ``r``'s table is ``tab[offs[r]:offs[r + 1]]`` (empty for an empty run), its
    ``t0`` and ``inv_w`` are ``t0s[r]`` and ``inv_ws[r]``."""
    n = starts.shape[0]
    offs = np.zeros(n + 1, np.intp)
    for r in range(n):
        m = ends[r] - starts[r]
        offs[r + 1] = offs[r] + (_PER_ROW * m + 1 if m > 0 else 0)
    tab = np.empty(offs[n], np.intp)
    t0s = np.zeros(n)
    inv_ws = np.zeros(n)
    for r in range(n):
        if ends[r] > starts[r]:
            nb = _PER_ROW * (ends[r] - starts[r])
            t0s[r], inv_ws[r] = _fill_slices(tk, starts[r], ends[r], nb, tab, offs[r])
    return tab, offs, t0s, inv_ws


def _windows_loop(
    px: Any,
    py: Any,
    starts: Any,
    ends: Any,
    tk: Any,
    f_lo: Any,
    sig_max: Any,
    ex: Any,
    ey: Any,
    eT: Any,
    sd_ev: Any,
    reach_m: float,
    c: float,
    by_cell: Any,
    cell_start: Any,
    nx: int,
    ny: int,
    pcx: Any,
    pcy: Any,
    tab: Any,
    offs: Any,
    t0s: Any,
    inv_ws: Any,
    cov9: Any,
    f_hi: Any,
    sd_hi: Any,
    gate_q: float,
    by_event: bool,
    run_src: Any,
    own_start: Any,
    own_ev: Any,
) -> tuple[Any, Any]:
    """:func:`windows_numpy` as one loop (compiled by numba): the same windows, by
    the same arithmetic. Only the events of the 3 x 3 grid cells about a position
    (``pcx``, ``pcy``; cells wider than the reach: ``by_cell`` holds each cell's
    events from ``cell_start``) are visited. Each is first tested against a window
    a little wider than its own (by ``sqrt``, not ``hypot``, and widened by far
    more than the rounding of either), in a loop without branches: most such
    windows hold no row of the position, which its slices (:func:`_slices`) tell
    by two lookups (the slices of every position made beforehand:
    :func:`_tables_loop`'s ``tab``, ``offs``, ``t0s``, ``inv_ws``). The others, in
    index order, get the exact distance and window, cut by the gate when
    ``gate_q`` > 0 (:class:`TimeGate`'s ``cov9``, ``f_hi``, ``sd_hi``, ``q``; else
    empty arrays and 0), the cut window told empty by its slices before any
    search where it can be. The windows kept as they are found (arrays doubled when full), then
    expanded: in the order found (by position, each position's events in index
    order), or with ``by_event`` each event's together, in event order (a counting
    sort of the windows: each event's still by position, then time: the order of a
    stable sort of the pairs by event; a position's events then need no order).
    ``run_src`` (empty: no such test): per run, the one observer of all its rows
    (-1 when they are of several); the events that already hold a report of
    observer ``s`` are ``own_ev[own_start[s]:own_start[s + 1]]`` (duplicates
    allowed): a run's windows on those are not made (the slot rule, one report
    per observer per event, would drop each of their pairs)."""
    n_runs = starts.shape[0]
    keep_e = np.empty(ex.shape[0] + 1, np.intp)
    # the merge's other buffer, and where each cell's kept events start (9 cells)
    spare = np.empty(ex.shape[0] + 1, np.intp)
    cuts = np.empty(10, np.intp)
    cap = 1024
    w_e = np.empty(cap, np.intp)
    w_a = np.empty(cap, np.intp)
    w_b = np.empty(cap, np.intp)
    m = 0
    total = 0
    inv_c = 1.0 / c
    wide = 1.000001 * reach_m
    # the events whose slot of the run's observer is taken (False for all between runs)
    held = np.zeros(ex.shape[0], np.bool_)
    for r in range(n_runs):
        a0 = starts[r]
        b0 = ends[r]
        if b0 <= a0:
            continue
        s_own = run_src[r] if run_src.shape[0] > 0 else -1
        if s_own >= 0:
            for p in range(own_start[s_own], own_start[s_own + 1]):
                held[own_ev[p]] = True
        # the position's slices (:func:`_tables_loop`)
        nb = _PER_ROW * (b0 - a0)
        # the run's table is tab[o : o + nb + 1], read in place: a view (or a
        # call passed arrays) costs numba two atomic reference counts
        o = offs[r]
        t0 = t0s[r]
        inv_w = inv_ws[r]
        t_first = tk[a0]
        t_last = tk[b0 - 1]
        f_r = f_lo[r]
        s_r = sig_max[r]
        n_keep = 0
        n_cuts = 0
        for cy in range(pcy[r] - 1, pcy[r] + 2):
            for cx in range(pcx[r] - 1, pcx[r] + 2):
                if cy < 0 or cy >= ny or cx < 0 or cx >= nx:
                    continue
                cell = cy * nx + cx
                cuts[n_cuts] = n_keep
                n_cuts += 1
                for p in range(cell_start[cell], cell_start[cell + 1]):
                    e = by_cell[p]
                    ddx = ex[e] - px[r]
                    ddy = ey[e] - py[r]
                    slack = 4.0 * (s_r + sd_ev[e])
                    da = math.sqrt(ddx * ddx + ddy * ddy)
                    q = da * inv_c
                    te = eT[e]
                    # the exact bounds differ from these by a few units in the last
                    # place of their largest term (sqrt and hypot agree to ~1)
                    pad = 1e-12 * (abs(te) + q + slack) + 1e-12
                    lo = te + f_r * q - slack - pad
                    hi = te + q + slack + pad
                    # NaN or huge bounds: no conclusion, the exact test decides
                    sure = (lo == lo) & (hi == hi) & (pad < 1e300)
                    in_slices = (
                        tab[o + _slice(hi, t0, inv_w, nb) + 1] - tab[o + _slice(lo, t0, inv_w, nb)]
                    )
                    empty = (hi < t_first) | (lo > t_last) | (in_slices == 0)
                    keep_e[n_keep] = e
                    n_keep += (da <= wide) & ~(sure & empty) & ~held[e]
        if s_own >= 0:
            for p in range(own_start[s_own], own_start[s_own + 1]):
                held[own_ev[p]] = False
        if n_keep > 1 and n_cuts > 1 and not by_event:
            # each cell's kept events are in index order (by_cell's): merged pairwise
            # in place of a sort (~5 % of the loop on the stress row)
            cuts[n_cuts] = n_keep
            src_e = keep_e
            dst_e = spare
            flips = 0
            while n_cuts > 1:
                j = 0
                for u in range(0, n_cuts, 2):
                    a = cuts[u]
                    mid = cuts[u + 1]
                    b = cuts[u + 2] if u + 1 < n_cuts else mid
                    i1 = a
                    i2 = mid
                    for p in range(a, b):
                        if i2 >= b or (i1 < mid and src_e[i1] < src_e[i2]):
                            dst_e[p] = src_e[i1]
                            i1 += 1
                        else:
                            dst_e[p] = src_e[i2]
                            i2 += 1
                    cuts[j] = a
                    j += 1
                cuts[j] = n_keep
                n_cuts = j
                src_e, dst_e = dst_e, src_e
                flips += 1
            if flips % 2 == 1:
                keep_e[:n_keep] = spare[:n_keep]
        for i in range(n_keep):
            e = keep_e[i]
            ddx = ex[e] - px[r]
            ddy = ey[e] - py[r]
            # a square a little wider than the reach: hypot only where it may pass
            if abs(ddx) > wide or abs(ddy) > wide:
                continue
            d = math.hypot(ddx, ddy)
            if not d <= reach_m:
                continue
            slack = 4.0 * (sig_max[r] + sd_ev[e])
            lo = eT[e] + f_lo[r] * d / c - slack
            hi = eT[e] + d / c + slack
            lo_g = hi_g = math.nan
            if gate_q > 0.0:
                # the gate's cut first: about half the windows that hold rows hold
                # none the gate may pass, which the slices tell without a search
                h = _gate_half(
                    ddx, ddy, d, c, f_lo[r], f_hi[r], sd_hi[r], cov9[e, 0], cov9[e, 1],
                    cov9[e, 2], cov9[e, 4], cov9[e, 5], cov9[e, 8], gate_q,
                )  # fmt: skip
                lo_g, hi_g = _gate_bounds(eT[e], d, c, f_lo[r], f_hi[r], h)
                lo_c = lo_g if lo_g > lo else lo
                hi_c = hi_g if hi_g < hi else hi
                # the rows in [lo_c, hi_c] lie in the slices between theirs; NaN
                # bounds: no conclusion, the search decides
                if lo_c == lo_c and hi_c == hi_c:
                    if hi_c < t_first or lo_c > t_last or lo_c > hi_c:
                        continue
                    n_in = (
                        tab[o + _slice(hi_c, t0, inv_w, nb) + 1]
                        - tab[o + _slice(lo_c, t0, inv_w, nb)]
                    )
                    if n_in == 0:
                        continue
            # _find(tk, a0, b0, table, t0, inv_w, lo, False) written out (scalar
            # code: no arrays passed to a call)
            if lo != lo or lo > t_last:
                ia = b0
            elif lo < t0:
                ia = a0
            else:
                sb = _slice(lo, t0, inv_w, nb)
                s_lo = tab[o + sb]
                s_hi = tab[o + sb + 1]
                while s_lo < s_hi:
                    mid = (s_lo + s_hi) >> 1
                    if tk[mid] < lo:
                        s_lo = mid + 1
                    else:
                        s_hi = mid
                ia = s_lo
                while ia > a0 and tk[ia - 1] >= lo:
                    ia -= 1
                while ia < b0 and tk[ia] < lo:
                    ia += 1
            if ia >= b0 or tk[ia] > hi:
                continue
            if gate_q > 0.0:
                # a window that holds rows: those that may pass the gate (NaN, no
                # bound, compares false: the window stays)
                hi = hi_g if hi_g < hi else hi
                while ia < b0 and tk[ia] < lo_g:
                    ia += 1
            # the window's end, walked from its start (windows hold few rows)
            if hi != hi:
                ib = b0
            else:
                ib = ia
                while ib < b0 and tk[ib] <= hi:
                    ib += 1
            if ib == ia:
                continue
            if m == cap:
                cap *= 2
                w_e = np.concatenate((w_e, np.empty(cap - m, np.intp)))
                w_a = np.concatenate((w_a, np.empty(cap - m, np.intp)))
                w_b = np.concatenate((w_b, np.empty(cap - m, np.intp)))
            w_e[m] = e
            w_a[m] = ia
            w_b[m] = ib
            m += 1
            total += ib - ia
    out_g = np.empty(total, np.intp)
    out_k = np.empty(total, np.intp)
    if by_event:
        # each event's first pair's place: its windows' sizes summed by event
        at = np.zeros(ex.shape[0] + 1, np.intp)
        for i in range(m):
            at[w_e[i] + 1] += w_b[i] - w_a[i]
        for e in range(ex.shape[0]):
            at[e + 1] += at[e]
        for i in range(m):
            n = at[w_e[i]]
            for k in range(w_a[i], w_b[i]):
                out_g[n] = w_e[i]
                out_k[n] = k
                n += 1
            at[w_e[i]] = n
        return out_g, out_k
    n = 0
    for i in range(m):
        for k in range(w_a[i], w_b[i]):
            out_g[n] = w_e[i]
            out_k[n] = k
            n += 1
    return out_g, out_k


@getter
def _kernels() -> (
    tuple[Callable[..., tuple[Any, Any]], Callable[..., Any], Callable[..., Any]] | None
):
    """:func:`_windows_loop`, :func:`_tables_loop` and :func:`_grid_loop` compiled (on
    first use: numba is imported only when association runs), or None without the
    ``fast`` extra."""
    win = compiled_calling(
        _windows_loop, _slice=_slice, _fill_slices=_fill_slices, _gate_half=_gate_half,
        _gate_bounds=_gate_bounds,
    )  # fmt: skip
    tables = compiled(_tables_loop)  # its helpers are bound above
    grid = compiled(_grid_loop)
    if win is None or tables is None or grid is None:
        return None
    return win, tables, grid


#: every position's time slices (:func:`_tables_loop`: ``tab``, ``offs``, ``t0s``,
#: ``inv_ws``)
Tables = tuple[IP, IP, F8, F8]


def slice_tables(tk: F8, starts: IP, ends: IP) -> Tables | None:
    """The time slices of every run ``tk[starts[r]:ends[r]]`` (sorted times, s) the
    compiled :func:`windows` reads, or None without the ``fast`` extra. They depend
    on the runs' times only: a caller whose runs stay the same across searches
    (:func:`~ceasefire.fuse.association.gates.bearing_candidates`) makes them once
    and passes them to each."""
    k = _kernels()
    return None if k is None else k[1](tk, starts, ends)


#: no slot test in :func:`_windows_loop` (its ``run_src``, ``own_start``, ``own_ev``)
#: (writable, as the other callers' arrays: numba types a read-only array apart)
_NO_RUNS = np.zeros(0, np.intp)

#: grid cells about positions, as a multiple of the reach (plus 1 m): wider than
#: the loop's square (1.000001 x the reach) whatever the rounding
_CELL = 1.001


def _grid_loop(
    ex: Any, ey: Any, ok: Any, x0: float, y0: float, w: float, nx: int, ny: int, px: Any,
    py: Any, lim: float,
) -> tuple[Any, Any, Any, Any]:  # fmt: skip
    """The grid :func:`_windows_loop` reads, in one pass (compiled by numba; as
    numpy expressions it took ~35 array calls a search, most of a small search's
    cost): events ``ok`` put in cells ``w`` wide from ``(x0, y0)``, ``nx`` x ``ny``
    of them (the last row and column take what lies beyond), listed by cell, each
    cell's in index order (``by_cell``, from ``cell_start``: a counting sort, the
    order of a stable sort by cell); and each position's cell (``pcx``, ``pcy``),
    NaN as 0 and clipped to ``[-lim, lim]``."""
    n = ok.shape[0]
    cell = np.empty(n, np.intp)
    cell_start = np.zeros(nx * ny + 1, np.intp)
    for i in range(n):
        e = ok[i]
        cx = int(min(np.floor((ex[e] - x0) / w), nx - 1)) if nx > 1 else 0
        cy = int(min(np.floor((ey[e] - y0) / w), ny - 1)) if ny > 1 else 0
        cell[i] = cy * nx + cx
        cell_start[cy * nx + cx + 1] += 1
    for j in range(nx * ny):
        cell_start[j + 1] += cell_start[j]
    at = cell_start[:-1].copy()
    by_cell = np.empty(n, np.intp)
    for i in range(n):
        by_cell[at[cell[i]]] = ok[i]
        at[cell[i]] += 1
    pcx = np.empty(px.shape[0], np.intp)
    pcy = np.empty(px.shape[0], np.intp)
    for r in range(px.shape[0]):
        vx = np.floor((px[r] - x0) / w)
        vy = np.floor((py[r] - y0) / w)
        vx = 0.0 if vx != vx else vx
        vy = 0.0 if vy != vy else vy
        pcx[r] = int(min(max(vx, -lim), lim))
        pcy[r] = int(min(max(vy, -lim), lim))
    return by_cell, cell_start, pcx, pcy


def windows(
    px: F8,
    py: F8,
    starts: IP,
    ends: IP,
    tk: F8,
    f_lo: F8,
    sig_max: F8,
    ex: F8,
    ey: F8,
    eT: F8,
    sd_ev: F8,
    reach_m: float,
    c: float,
    tables: Tables | None = None,
    gate: TimeGate | None = None,
    by_event: bool = False,
) -> tuple[IP, IP]:
    """:func:`windows_numpy`'s candidates, compiled when numba is installed: the
    events put on a grid of cells a little wider than the reach, each position
    visits only those of the cells about it (most events are out of reach of most
    positions). ``tables``: :func:`slice_tables` of ``tk``, ``starts``, ``ends``
    (made here when None). ``gate``: windows cut to the rows that may pass it
    (:class:`TimeGate`). ``by_event``: the same pairs in a stable order by event
    (each event's by position, then time), as ``stable_argsort`` of the events
    would put them."""
    args = (px, py, starts, ends, tk, f_lo, sig_max, ex, ey, eT, sd_ev, reach_m, c)
    kernels = _kernels()
    if kernels is None:
        g, k = windows_numpy(*args, gate)
        if by_event:
            order = np.argsort(g, kind="stable")
            return g[order], k[order]
        return g, k
    kernel, _, grid = kernels
    ok = (np.isfinite(ex) & np.isfinite(ey)).nonzero()[0]  # others never pass
    if ok.shape[0] == 0 or starts.shape[0] == 0:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    w = _CELL * reach_m + 1.0
    x0, y0 = float(ex[ok].min()), float(ey[ok].min())
    nx = int((float(ex[ok].max()) - x0) // w) + 1 if math.isfinite(w) else 1
    ny = int((float(ey[ok].max()) - y0) // w) + 1 if math.isfinite(w) else 1
    if not math.isfinite(w) or nx * ny > 4 * ex.shape[0] + 1024:
        # no grid (an unbounded reach, events scattered far): one cell of all
        ok, w, nx, ny = np.arange(ex.shape[0]), math.inf, 1, 1
        x0 = y0 = 0.0
    # positions far outside the grid: a cell index that stays an integer
    lim = float(max(nx, ny) + 2)
    by_cell, cell_start, pcx, pcy = grid(ex, ey, ok, x0, y0, w, nx, ny, px, py, lim)
    tables = slice_tables(tk, starts, ends) if tables is None else tables
    assert tables is not None  # the kernel compiled: so is the tables' loop
    if gate is None:
        gate = TimeGate(np.zeros((0, 9)), np.zeros(0), np.zeros(0), 0.0)
    g, k = kernel(
        *args, by_cell, cell_start, nx, ny, pcx, pcy, *tables, *gate, by_event, _NO_RUNS,
        _NO_RUNS, _NO_RUNS,
    )  # fmt: skip
    return np.asarray(g, np.intp), np.asarray(k, np.intp)
