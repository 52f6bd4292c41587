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
