"""The bearings' kept candidate pairs (:class:`~.gates.KeptPairs`): the memo's
look-up of each event's estimate and the pool's upkeep after a search, as two
compiled loops (numba, the ``fast`` extra) instead of ~35 numpy calls a search
(~840 searches a fuse of the bearing row, one per reassignment pass). The numpy
code in :func:`~.gates._kept_search` runs without numba.

The loops give the numpy code's arrays, with one exception that changes no
pair: the slots are ordered by hash with a stable sort (numpy's default sort
is not stable), so when two slots have the same hash, a look-up may find the
other one and search that event again: its rows and gates are the same (they
depend on the estimate only, which the key holds), only where they lie in the
pool differs, and every reader takes the pairs in no pool order."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ceasefire.fuse import arctan2, gauss_newton
from ceasefire.fuse.association import jacobian, windows
from ceasefire.fuse.compiled import compiled, compiled_calling, getter


def _lookup_loop(
    x: Any, y: Any, T: Any, cov9: Any, c: float, keys: Any, hashes: Any, lookup: Any,
    m_start: Any, m_count: Any, m_pstart: Any, m_pcount: Any,
) -> tuple[Any, Any, Any, Any, Any, Any, Any, Any, Any, Any, Any, Any, Any]:  # fmt: skip
    """The fitted events ``ok`` (every covariance entry finite) with their key
    (the bits of x, y, T and the covariance, ``(n, 12)``) and hash (x's bits xor
    T's); each looked up among the memo's slots (``keys``, ``hashes`` sorted,
    ``lookup`` their slots; none when empty): the events found (``hits``, into
    ``ok``) with their segment's start and count (and those of its passing rows,
    ``m_pstart``, ``m_pcount``), the others (``miss``) with their x, y, T and
    predicted time sd (T's and position's / ``c``, s)."""
    n = x.shape[0]
    ok = np.empty(n, np.intp)
    m = 0
    for e in range(n):
        fine = True
        for u in range(9):
            v = cov9[e, u]
            if v - v != 0.0:
                fine = False
                break
        if fine:
            ok[m] = e
            m += 1
    ok = ok[:m]
    vals = np.empty((m, 12))
    for i in range(m):
        e = ok[i]
        vals[i, 0] = x[e]
        vals[i, 1] = y[e]
        vals[i, 2] = T[e]
        for u in range(9):
            vals[i, 3 + u] = cov9[e, u]
    bits = vals.view(np.uint64)
    hsh = np.empty(m, np.uint64)
    for i in range(m):
        hsh[i] = bits[i, 0] ^ bits[i, 2]
    n_slots = hashes.shape[0]
    hit = np.zeros(m, np.bool_)
    slot = np.zeros(m, np.intp)
    n_hit = 0
    if n_slots:
        for i in range(m):
            h = hsh[i]
            lo, hi = 0, n_slots  # searchsorted, side left
            while lo < hi:
                mid = (lo + hi) >> 1
                if hashes[mid] < h:
                    lo = mid + 1
                else:
                    hi = mid
            at = min(lo, n_slots - 1)
            s = lookup[at]
            slot[i] = s
            same = hashes[at] == h
            if same:
                for u in range(12):
                    if keys[s, u] != bits[i, u]:
                        same = False
                        break
            hit[i] = same
            n_hit += same
    hits = np.empty(n_hit, np.intp)
    miss = np.empty(m - n_hit, np.intp)
    hit_start = np.empty(n_hit, np.intp)
    hit_count = np.empty(n_hit, np.intp)
    hit_pstart = np.empty(n_hit, np.intp)
    hit_pcount = np.empty(n_hit, np.intp)
    a = b = 0
    for i in range(m):
        if hit[i]:
            hits[a] = i
            hit_start[a] = m_start[slot[i]]
            hit_count[a] = m_count[slot[i]]
            hit_pstart[a] = m_pstart[slot[i]]
            hit_pcount[a] = m_pcount[slot[i]]
            a += 1
        else:
            miss[b] = i
            b += 1
    nm = miss.shape[0]
    ex, ey, eT, sd_ev = np.empty(nm), np.empty(nm), np.empty(nm), np.empty(nm)
    for j in range(nm):
        e = ok[miss[j]]
        ex[j] = x[e]
        ey[j] = y[e]
        eT[j] = T[e]
        sd_ev[j] = math.sqrt(cov9[e, 8]) + math.sqrt(cov9[e, 0] + cov9[e, 4]) / c
    return (
        ok, bits, hsh, hits, miss, hit_start, hit_count, hit_pstart, hit_pcount, ex, ey, eT,
        sd_ev,
    )  # fmt: skip


def _grown(n: int) -> int:
    """A pool buffer's size for ``n`` entries: half as large again (room for a few
    searches' new segments at ~1.5x the memory)."""
    return n + n // 2 + 1


def _pool_loop(
    ok: Any, bits: Any, hsh: Any, hits: Any, miss: Any, hit_start: Any, hit_count: Any,
    hit_pstart: Any, hit_pcount: Any, buf_rows: Any, buf_pass: Any, used: int,
    buf_prows: Any, p_used: int, gg: Any, miss_rows: Any, miss_pass: Any, slack: int,
) -> tuple[Any, Any, Any, Any, Any, int, Any, Any, Any, int, Any, Any, Any]:  # fmt: skip
    """The pool after a search: the hits' segments (copied out into a new pool
    when the pool holds more than ``slack`` times the live pairs), then the
    searched events' rows ``miss_rows`` (event ``gg`` of ``miss``, together, in
    the order found) with their gates; per slot (hits, then misses) its event,
    start, count and key; the slots by hash (a stable sort) and their hashes.
    The pool is ``buf_rows[:used]``, ``buf_pass[:used]``: the new rows are
    appended in place while the buffers have room (a pool holds several
    searches' rows: copying it whole on every search was a fifth of the
    search's CPU on the stress row), else into buffers half as large again as
    needed; the rows before ``used`` are never written, so the segments an
    earlier search returned stay as they were. Beside it the pool of the
    passing rows alone, ``buf_prows[:p_used]``, each slot's passing rows in
    order at its ``pstart``, ``pcount`` (hits' from ``hit_pstart``,
    ``hit_pcount``), kept alike: reassignment's edges read the passing pairs
    only (on the stress row an eighth of the pool). Returns (events, start,
    count, rows buffer, passes buffer, rows used, pstart, pcount, passing rows
    buffer, passing rows used, keys, lookup, sorted hashes)."""
    nh, nm = hits.shape[0], miss.shape[0]
    n_miss = np.zeros(nm, np.intp)
    p_miss = np.zeros(nm, np.intp)
    for i in range(gg.shape[0]):
        n_miss[gg[i]] += 1
        p_miss[gg[i]] += miss_pass[i]
    live = 0
    p_live = 0
    for i in range(nh):
        live += hit_count[i]
        p_live += hit_pcount[i]
    n_new = miss_rows.shape[0]
    p_new = 0
    for j in range(nm):
        p_new += p_miss[j]
    start = np.empty(nh + nm, np.intp)
    pstart = np.empty(nh + nm, np.intp)
    if used > slack * (live + n_new):
        # mostly dead segments: the live ones copied out (into new buffers: the
        # old ones hold the segments an earlier search returned)
        size = _grown(live + n_new)
        rows = np.empty(size, np.intp)
        passes = np.empty(size, np.bool_)
        prows = np.empty(_grown(p_live + p_new), np.intp)
        p = 0
        q = 0
        for i in range(nh):
            start[i] = p
            for a in range(hit_start[i], hit_start[i] + hit_count[i]):
                rows[p] = buf_rows[a]
                passes[p] = buf_pass[a]
                p += 1
            pstart[i] = q
            for a in range(hit_pstart[i], hit_pstart[i] + hit_pcount[i]):
                prows[q] = buf_prows[a]
                q += 1
    else:
        if used + n_new <= buf_rows.shape[0]:
            rows, passes = buf_rows, buf_pass
        else:
            size = _grown(used + n_new)
            rows = np.empty(size, np.intp)
            passes = np.empty(size, np.bool_)
            rows[:used] = buf_rows[:used]
            passes[:used] = buf_pass[:used]
        if p_used + p_new <= buf_prows.shape[0]:
            prows = buf_prows
        else:
            prows = np.empty(_grown(p_used + p_new), np.intp)
            prows[:p_used] = buf_prows[:p_used]
        for i in range(nh):
            start[i] = hit_start[i]
            pstart[i] = hit_pstart[i]
        p = used
        q = p_used
    q0 = q
    for j in range(n_new):
        r = miss_rows[j]
        rows[p + j] = r
        passes[p + j] = miss_pass[j]
        if miss_pass[j]:
            prows[q] = r
            q += 1
    q = q0
    n_used = p + n_new
    count = np.empty(nh + nm, np.intp)
    pcount = np.empty(nh + nm, np.intp)
    events = np.empty(nh + nm, np.intp)
    n_slots = nh + nm
    keys = np.empty((n_slots, 12), np.uint64)
    h = np.empty(n_slots, np.uint64)
    for i in range(nh):
        count[i] = hit_count[i]
        pcount[i] = hit_pcount[i]
        events[i] = hits[i]
    for j in range(nm):
        start[nh + j] = p
        count[nh + j] = n_miss[j]
        pstart[nh + j] = q
        pcount[nh + j] = p_miss[j]
        events[nh + j] = miss[j]
        p += n_miss[j]
        q += p_miss[j]
    for s in range(n_slots):
        for u in range(12):
            keys[s, u] = bits[events[s], u]
        h[s] = hsh[events[s]]
    lookup = np.argsort(h, kind="mergesort")
    sorted_h = h[lookup]
    out_events = np.empty(n_slots, np.intp)
    for s in range(n_slots):
        out_events[s] = ok[events[s]]
    return (
        out_events, start, count, rows, passes, n_used, pstart, pcount, prows, q, keys, lookup,
        sorted_h,
    )  # fmt: skip


@getter
def kept_kernels() -> tuple[Callable[..., Any], Callable[..., Any]] | None:
    """:func:`_lookup_loop` and :func:`_pool_loop` compiled (on first use), or
    None without numba."""
    lookup, pool = compiled(_lookup_loop), compiled_calling(_pool_loop, _grown=_grown)
    if lookup is None or pool is None:
        return None
    return lookup, pool


#: the loops :func:`_search_loop` calls, rebound to their compiled dispatchers by
#: :func:`search_kernel`
_lookup: Any = _lookup_loop
_pool: Any = _pool_loop
_grid: Any = windows._grid_loop
_windows: Any = windows._windows_loop
_time: Any = jacobian._marginal_time_loop
_bearing: Any = jacobian._marginal_bearing_loop
_atan2_into: Any = arctan2.atan2_into

#: the windows' grid cell per reach (:func:`~.windows.windows`')
CELL = windows._CELL

#: :func:`_search_loop`'s outcomes: the search done; no pair (no fitted event or
#: no row: the memo as it was); given up (an azimuth residual the marginal
#: gate's loop does not wrap: the caller runs the search call by call)
DONE, NO_PAIRS, GAVE_UP = 0, 1, 2


def _search_loop(
    x: Any, y: Any, T: Any, cov9: Any, c: float, keys: Any, hashes: Any, lookup: Any,
    m_start: Any, m_count: Any, m_pstart: Any, m_pcount: Any, fs: Any, starts: Any, ends: Any,
    px: Any, py: Any, tk: Any, f_lo: Any, sig_max: Any, tab: Any, offs: Any, t0s: Any,
    inv_ws: Any, reach: float, cell: float, ox: Any, oy: Any, t: Any, az: Any, speed: Any,
    sigma_t: Any, sigma_az: Any, q: float, atan2_at: int, have_pool: bool, buf_rows: Any,
    buf_pass: Any, buf_prows: Any, used: int, p_used: int, slack: int,
) -> tuple[int, Any, Any, Any, Any, Any, Any, Any, int, int]:  # fmt: skip
    """:func:`~.gates._kept_compiled` as one call: the memo's look-up
    (:func:`_lookup_loop`), the windows of the events missed
    (:func:`~.windows.windows` by event: its grid, then its loop), their marginal
    gate (:func:`~.gates.marginal_gate`: the time loop, numpy's ``arctan2`` by
    its routine at ``atan2_at``, the bearing loop) and the pool's upkeep
    (:func:`_pool_loop`), each the very loop the calls one by one make, on the
    same arrays. The rows ``ox`` .. ``sigma_az`` are the memo's ``by_run``;
    ``cell`` the windows' grid cell per reach. Returns the outcome (:data:`DONE`,
    :data:`NO_PAIRS`, :data:`GAVE_UP`), each slot's event, start, count, passing
    start and count as one ``(5, S)`` array, the keys, the lookup, the sorted
    hashes, the three pool buffers and the rows and passing rows used in them."""
    ok, bits, hsh, hits, miss, hit_start, hit_count, hit_pstart, hit_pcount, ex, ey, eT, sd_ev = (
        _lookup(x, y, T, cov9, c, keys, hashes, lookup, m_start, m_count, m_pstart, m_pcount)
    )  # fmt: skip
    none = np.zeros(0, np.intp)
    if ok.shape[0] == 0 or fs.shape[0] == 0:
        return (
            NO_PAIRS, np.zeros((5, 0), np.intp), keys, none, hashes, none, np.zeros(0, np.bool_),
            none, 0, 0,
        )  # fmt: skip
    # windows(): the events with a finite position on a grid of cells
    n_m = ex.shape[0]
    on = np.empty(n_m, np.intp)
    n_on = 0
    for i in range(n_m):
        if ex[i] - ex[i] == 0.0 and ey[i] - ey[i] == 0.0:
            on[n_on] = i
            n_on += 1
    on = on[:n_on]
    if n_on == 0:
        gg, at = none, none
    else:
        w = cell * reach + 1.0
        x0, y0, x1, y1 = ex[on[0]], ey[on[0]], ex[on[0]], ey[on[0]]
        for j in range(1, n_on):
            i = on[j]
            x0, x1 = min(x0, ex[i]), max(x1, ex[i])
            y0, y1 = min(y0, ey[i]), max(y1, ey[i])
        nx = ny = 1
        many = w - w != 0.0
        if not many:
            # the cells' counts as floats (exact below 2^53): an integer count
            # past int64 is never made
            fx, fy = (x1 - x0) // w + 1.0, (y1 - y0) // w + 1.0
            top = 4.0 * n_m + 1024.0
            many = fx > top or fy > top or fx * fy > top
            if not many:
                nx, ny = int(fx), int(fy)
        if many:
            # no grid (an unbounded reach, events scattered far): one cell of all
            on, w, nx, ny = np.arange(n_m), math.inf, 1, 1
            x0 = y0 = 0.0
        lim = float(max(nx, ny) + 2)
        by_cell, cell_start, pcx, pcy = _grid(ex, ey, on, x0, y0, w, nx, ny, px, py, lim)
        gg, at = _windows(
            px, py, starts, ends, tk, f_lo, sig_max, ex, ey, eT, sd_ev, reach, c, by_cell,
            cell_start, nx, ny, pcx, pcy, tab, offs, t0s, inv_ws, np.zeros((0, 9)),
            np.zeros(0), np.zeros(0), 0.0, True, none, none, none,
        )  # fmt: skip
    # marginal_gate() of the pairs found, on the rows in the runs' order
    g_ev = np.empty(gg.shape[0], np.intp)
    for i in range(gg.shape[0]):
        g_ev[i] = ok[miss[gg[i]]]
    passes, at_b, dx, dy = _time(x, y, T, cov9, g_ev, at, ox, oy, t, az, speed, sigma_t, c, q)
    ang = np.empty(dx.shape[0])
    _atan2_into(dx, dy, ang, atan2_at)
    if not _bearing(passes, at_b, cov9, g_ev, at, az, sigma_az, dx, dy, ang, q):
        return (
            GAVE_UP, np.zeros((5, 0), np.intp), keys, none, hashes, none, np.zeros(0, np.bool_),
            none, 0, 0,
        )  # fmt: skip
    miss_rows = np.empty(at.shape[0], np.intp)
    for i in range(at.shape[0]):
        miss_rows[i] = fs[at[i]]
    # the pool is the buffers' first rows; none is read without hits (then new
    # buffers: the old ones hold the segments earlier searches returned)
    fresh = hits.shape[0] == 0 or not have_pool
    pool_rows = none if fresh else buf_rows
    pool_pass = np.zeros(0, np.bool_) if fresh else buf_pass
    pool_prows = none if fresh else buf_prows
    n_in = 0 if fresh else used
    p_in = 0 if fresh else p_used
    (
        events, start, count, rows, flags, n_used, pstart, pcount, prows, q_used, new_keys,
        new_lookup, sorted_h,
    ) = _pool(
        ok, bits, hsh, hits, miss, hit_start, hit_count, hit_pstart, hit_pcount, pool_rows,
        pool_pass, n_in, pool_prows, p_in, gg, miss_rows, passes, slack,
    )  # fmt: skip
    slots = np.empty((5, events.shape[0]), np.intp)
    for s in range(events.shape[0]):
        slots[0, s] = events[s]
        slots[1, s] = start[s]
        slots[2, s] = count[s]
        slots[3, s] = pstart[s]
        slots[4, s] = pcount[s]
    return DONE, slots, new_keys, new_lookup, sorted_h, rows, flags, prows, n_used, q_used


@getter
def search_kernel() -> tuple[Callable[..., Any], int] | None:
    """:func:`_search_loop` compiled (on first use) and the address of numpy's
    ``arctan2`` routine (its ``atan2_at``), or None without numba or where no
    compiled ``arctan2`` gives numpy's."""
    kept, wins, marg = kept_kernels(), windows._kernels(), jacobian.marginal_kernels()
    fit, into = gauss_newton.fit_kernel(), arctan2.atan2_into_kernel()
    if kept is None or wins is None or marg is None or fit is None or into is None:
        return None
    loop = compiled_calling(
        _search_loop, _lookup=kept[0], _pool=kept[1], _grid=wins[2], _windows=wins[0],
        _time=marg[0], _bearing=marg[1], _atan2_into=into,
    )  # fmt: skip
    return None if loop is None else (loop, fit[1])
