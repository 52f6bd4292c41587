"""The detection law's check of one proposed source (:func:`~.hearing.silent`
then :func:`~.hearing.loss_nats`) as one compiled loop (numba, the ``fast``
extra), for the far seeds' windows loop (:mod:`.seeding_loops`): in numpy the
two make ~40 calls a seed (~0.3 CPU-ms; ~2,200 far seeds a fuse of the stress
row).

The arithmetic is the numpy code's, element by element in its order, each sum
in numpy's pairwise order (:func:`_pairwise_sum`), with libm's ``hypot``,
``pow``, ``log`` and ``log1p``: the same silent microphones and the same loss
to the bit where numpy's float64 loops round as libm does (they do on AVX2;
``tests/fuse/test_fuse_hearing_loops.py`` compares them). A last-bit
difference elsewhere could decide otherwise only for a loss that close to its
limit."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ceasefire.fuse.compiled import compiled_calling, getter


def _left(key: Any, v: float) -> int:
    """``np.searchsorted(key, v, side="left")`` for sorted ``key``."""
    lo, hi = 0, key.shape[0]
    while lo < hi:
        mid = (lo + hi) >> 1
        if key[mid] < v:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _right(key: Any, v: float) -> int:
    """``np.searchsorted(key, v, side="right")`` for sorted ``key``."""
    lo, hi = 0, key.shape[0]
    while lo < hi:
        mid = (lo + hi) >> 1
        if key[mid] <= v:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _p(d: float, L: float, p0: float, cutoff: float) -> float:
    """The detection probability at distance ``d`` (m) for 50 % distance ``L``
    (m): numpy's ``p0 / (1 + (d / L)**4)`` (libm's ``pow``), 0 beyond ``cutoff``
    x ``L``."""
    if d <= cutoff * L:
        return p0 / (1.0 + math.pow(d / L, 4.0))
    return 0.0


def _block_sum(a: Any, lo: int, n: int) -> float:
    """``a[lo:lo + n]``'s sum for ``n`` <= 128 as numpy's ``sum`` adds a
    contiguous row: one by one below 8 terms, else in eight running sums."""
    if n < 8:
        s = -0.0
        for i in range(lo, lo + n):
            s += a[i]
        return s
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = lo + 8
    end = lo + n - n % 8
    while i < end:
        r0 += a[i]
        r1 += a[i + 1]
        r2 += a[i + 2]
        r3 += a[i + 3]
        r4 += a[i + 4]
        r5 += a[i + 5]
        r6 += a[i + 6]
        r7 += a[i + 7]
        i += 8
    s = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < lo + n:
        s += a[i]
        i += 1
    return s


def _pairwise_sum(a: Any, n: int) -> float:
    """``a[:n]``'s sum as numpy's ``sum`` adds a contiguous row: blocks of up to
    128 (:func:`_block_sum`), halves (the first a multiple of 8) added beyond.
    The halving is walked with a stack, not by recursion (numba's disk cache
    does not reload a recursive function soundly)."""
    if n <= 128:
        return _block_sum(a, 0, n)
    # tasks (lo, n, 0: split or sum; 1: add the two values on top)
    t_lo = np.empty(192, np.intp)
    t_n = np.empty(192, np.intp)
    t_add = np.empty(192, np.bool_)
    vals = np.empty(96)
    nt = 1
    nv = 0
    t_lo[0], t_n[0], t_add[0] = 0, n, False
    while nt:
        nt -= 1
        lo, m, add = t_lo[nt], t_n[nt], t_add[nt]
        if add:
            nv -= 1
            vals[nv - 1] = vals[nv - 1] + vals[nv]
        elif m <= 128:
            vals[nv] = _block_sum(a, lo, m)
            nv += 1
        else:
            half = m // 2
            half -= half % 8
            # popped in reverse: the first half, the second, then their sum
            t_lo[nt], t_n[nt], t_add[nt] = lo, m, True
            t_lo[nt + 1], t_n[nt + 1], t_add[nt + 1] = lo + half, m - half, False
            t_lo[nt + 2], t_n[nt + 2], t_add[nt + 2] = lo, half, False
            nt += 3
    return vals[0]


def _law_loss_loop(
    lx: Any, ly: Any, lsig: Any, lspeed: Any, lkey: Any, t0: float, span: float, c: float,
    x: float, y: float, T: float, heard: Any, slack_s: float, quiet_s: float, alive_s: float,
    L: Any, p0: float, cutoff: float, mark: Any,
) -> float:  # fmt: skip
    """:func:`~.hearing.loss_nats` of the microphones :func:`~.hearing.silent`
    finds for a source at (``x``, ``y``) (m) emitting at ``T`` (s), given the
    microphones that heard it (``heard``, microphone indices, -1: none; a repeat
    counts twice), the listeners' arrays (:class:`~.hearing.Listeners`: ``lx``,
    ``ly``, ``lsig``, ``lspeed``, ``lkey``, ``t0``, ``span``), the sound speed
    ``c`` (m/s), the slack ``slack_s`` (s), the law's 50 % distances ``L`` (m)
    and its numbers (:class:`~.hearing.HearingConfig`). ``mark``: scratch, one
    False per microphone (left so). 0 when none heard or none is silent."""
    n = lx.shape[0]
    hits = np.empty(heard.shape[0], np.intp)
    n_hit = 0
    for h in heard:
        if h >= 0:
            mark[h] = True
            hits[n_hit] = h
            n_hit += 1
    d = np.empty(n)
    quiet = np.empty(n, np.intp)
    n_quiet = 0
    for k in range(n):
        d[k] = math.hypot(lx[k] - x, ly[k] - y)
        if mark[k]:
            continue
        at = k * span + (T + lspeed[k] * d[k] / c - t0)
        w = quiet_s + slack_s + 3.0 * lsig[k]
        before = _left(lkey, at - w)
        after = _right(lkey, at + w)
        if after > before:
            continue  # it reported something near its arrival time
        # listening: a report of its own within alive_s on each side
        if before > _left(lkey, at - alive_s) and _right(lkey, at + alive_s) > after:
            quiet[n_quiet] = k
            n_quiet += 1
    for i in range(n_hit):
        mark[hits[i]] = False
    if n_quiet == 0 or n_hit == 0:
        return 0.0
    terms = np.empty(max(n_hit, n_quiet))
    best = -math.inf
    best_hits = -math.inf
    for j in range(L.shape[0]):
        for i in range(n_hit):
            terms[i] = math.log(_p(d[hits[i]], L[j], p0, cutoff))
        ll_hits = _pairwise_sum(terms, n_hit)
        for i in range(n_quiet):
            terms[i] = math.log1p(-_p(d[quiet[i]], L[j], p0, cutoff))
        ll = ll_hits + _pairwise_sum(terms, n_quiet)
        best = max(best, ll)
        best_hits = max(best_hits, ll_hits)
    if not math.isfinite(best):
        return math.inf
    return best_hits - best


@getter
def law_loss_kernel() -> Callable[..., Any] | None:
    """:func:`_law_loss_loop` compiled (on first use), or None without numba."""
    return compiled_calling(
        _law_loss_loop,
        ("_left", "_right", "_p"),
        _left=_left, _right=_right, _p=_p, _block_sum=_block_sum,
        _pairwise_sum=_pairwise_sum,
    )  # fmt: skip
