"""The time windows behind :func:`~ceasefire.fuse.association.gates.time_candidates`:
for each observer position and each event within reach of it, the position's
reports perceived within the event's window. Two implementations that give the
same candidates in the same order, to the bit: a numpy loop over positions, and,
with the ``fast`` extra (numba), one compiled loop over (position, event) (the
numpy loop spends its time in per-position call overhead: ~100 positions x ~15
array calls on every pass of attachment and reassignment)."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

F8 = npt.NDArray[np.float64]
IP = npt.NDArray[np.intp]


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
) -> tuple[IP, IP]:
    """(event, report) candidates, by position: position ``r`` at ``(px, py)`` owns
    the reports ``starts[r]:ends[r]`` of ``tk`` (perceived times, s, sorted within
    a position), with the smallest speed factor ``f_lo[r]`` and largest time sd
    ``sig_max[r]``; events at ``(ex, ey)`` emitted at ``eT`` with a time sd
    ``sd_ev``. A report is a candidate of an event within ``reach_m`` of its
    position when its time lies in [eT + f_lo d / c - s, eT + d / c + s], s = 4
    (sig_max + sd_ev). Returns event indices and report indices (into ``tk``),
    ordered by position, then event, then time."""
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
    by_x: Any,
    near_lo: Any,
    near_hi: Any,
) -> tuple[Any, Any]:
    """:func:`windows_numpy` as one loop (compiled by numba), the same arithmetic
    in the same order. The exact distance (``hypot``) only for events inside the
    square about the position; the windows kept as they are found (arrays
    doubled when full), then expanded. Only the events ``by_x[near_lo[r]:near_hi[r]]``
    (``by_x`` orders the events by x; the span holds every event the square
    about position ``r`` may hold, and more) are visited, in index order: the
    others fail the square's test."""
    n_runs = starts.shape[0]
    cap = 1024
    w_e = np.empty(cap, np.intp)
    w_a = np.empty(cap, np.intp)
    w_b = np.empty(cap, np.intp)
    m = 0
    total = 0
    for r in range(n_runs):
        a0 = starts[r]
        b0 = ends[r]
        for e in np.sort(by_x[near_lo[r] : near_hi[r]]):
            ddx = ex[e] - px[r]
            ddy = ey[e] - py[r]
            # a square a little wider than the reach: hypot only where it may pass
            if abs(ddx) > 1.000001 * reach_m or abs(ddy) > 1.000001 * reach_m:
                continue
            d = math.hypot(ddx, ddy)
            if not d <= reach_m:
                continue
            slack = 4.0 * (sig_max[r] + sd_ev[e])
            lo = eT[e] + f_lo[r] * d / c - slack
            hi = eT[e] + d / c + slack
            ia = _search(tk, a0, b0, lo, False)
            ib = _search(tk, a0, b0, hi, True)
            if ib <= ia:
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
    n = 0
    for i in range(m):
        for k in range(w_a[i], w_b[i]):
            out_g[n] = w_e[i]
            out_k[n] = k
            n += 1
    return out_g, out_k


@functools.cache
def windows_kernel() -> Callable[..., tuple[Any, Any]] | None:
    """:func:`_windows_loop` compiled (on first use: numba is imported only when
    association runs), or None without the ``fast`` extra."""
    global _search
    try:
        import numba
    except ImportError:  # pragma: no cover - depends on the install
        return None
    jit = numba.njit(cache=True, nogil=True, error_model="numpy")
    # the loop calls _search: compiled first, under the name the loop looks up
    _search = jit(_search)
    return jit(_windows_loop)


#: the x span searched about a position, as a multiple of the reach (plus 1 m):
#: wider than the loop's square (1.000001 x the reach) whatever the rounding
_SPAN = 1.001


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
) -> tuple[IP, IP]:
    """:func:`windows_numpy`'s candidates, compiled when numba is installed: the
    events sorted by x once, each position visits only those within its span of x
    (a front is far longer than the reach: most events are out of reach of most
    positions)."""
    args = (px, py, starts, ends, tk, f_lo, sig_max, ex, ey, eT, sd_ev, reach_m, c)
    kernel = windows_kernel()
    if kernel is None:
        return windows_numpy(*args)
    by_x = np.argsort(ex, kind="stable").astype(np.intp)
    xs = ex[by_x]  # NaN last: never inside a span (nor does a NaN event pass)
    span = _SPAN * reach_m + 1.0
    near_lo = np.searchsorted(xs, px - span, side="left").astype(np.intp)
    near_hi = np.searchsorted(xs, px + span, side="right").astype(np.intp)
    g, k = kernel(*args, by_x, near_lo, near_hi)
    return np.asarray(g, np.intp), np.asarray(k, np.intp)
