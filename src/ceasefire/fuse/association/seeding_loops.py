"""Ray seeding's windows (:func:`~.seeding.reach_seeds`: each bearing's densest
window of ranges along its ray, taken by size, each arrival once) as one
compiled loop (numba, the ``fast`` extra), with the far seeds' check
(:class:`~.seeding.FarCheck`) in it: in numpy the loop makes ~15 calls a window
and the check ~40 a seed; the far pass took ~1.2 of ~7 CPU-s a fuse of the
stress row (~2,200 far seeds), compiled ~0.3.

The loop takes the windows in the numpy code's order and does its arithmetic
element by element in its order (the median of a window's sorted ranges, the
bearings' sines and cosines computed by numpy), and the check is
:class:`~.seeding.FarCheck`'s, test for test (the law's by
:mod:`.hearing_loops`): the same seeds. Without numba :func:`windows_kernel`
gives None and :mod:`.seeding` runs the numpy loop."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ceasefire.fuse.association import hearing_loops
from ceasefire.fuse.compiled import compiled_calling, getter

#: the law's check, rebound to its compiled dispatcher by :func:`windows_kernel`
#: (a compiled loop calls compiled functions only)
_law_loss: Any = hearing_loops._law_loss_loop


def _far_ok(
    bk: int, rows_a: Any, x: float, y: float, T: float, sd_m: float, ox: Any, oy: Any,
    c: float, sensor_m: float, far_arrivals: int, limit_nats: float, mic: Any, lx: Any,
    ly: Any, lsig: Any, lspeed: Any, lkey: Any, t0: float, span: float, quiet_s: float,
    alive_s: float, L: Any, p0: float, cutoff: float, mark: Any,
) -> bool:  # fmt: skip
    """:class:`~.seeding.FarCheck` of the seed of bearing row ``bk`` and arrival
    rows ``rows_a`` at (``x``, ``y``) (m), ``T`` (s), off by up to ``sd_m`` (m),
    its tests in its order: some arrival beyond ``sensor_m`` of the bearing's
    observer; at least ``far_arrivals`` arrivals; the law's loss (``mic``: each
    row's microphone, -1 none; the listeners' arrays and the law's numbers as
    :func:`~.hearing_loops._law_loss_loop` takes them) at most ``limit_nats``."""
    reaches = False
    for r in rows_a:
        if math.hypot(ox[r] - ox[bk], oy[r] - oy[bk]) > sensor_m:
            reaches = True
            break
    if not reaches or rows_a.shape[0] < far_arrivals:
        return False
    if not math.isfinite(limit_nats):
        return True
    heard = np.empty(rows_a.shape[0] + 1, np.intp)
    heard[0] = mic[bk]
    for i in range(rows_a.shape[0]):
        heard[i + 1] = mic[rows_a[i]]
    loss = _law_loss(
        lx, ly, lsig, lspeed, lkey, t0, span, c, x, y, T, heard, sd_m / c, quiet_s, alive_s,
        L, p0, cutoff, mark,
    )  # fmt: skip
    return loss <= limit_nats


def _windows_loop(
    best: Any, hi_idx: Any, b: Any, a: Any, r: Any, tol: Any, sin_b: Any, cos_b: Any,
    src: Any, used: Any, need: int, ox: Any, oy: Any, t: Any, speed: Any, c: float,
    far: bool, sensor_m: float, far_arrivals: int, limit_nats: float, mic: Any, lx: Any,
    ly: Any, lsig: Any, lspeed: Any, lkey: Any, t0: float, span: float, quiet_s: float,
    alive_s: float, L: Any, p0: float, cutoff: float,
) -> tuple[Any, Any, Any, Any, Any, Any]:  # fmt: skip
    """:func:`~.seeding.reach_seeds`' windows loop: the windows starting at
    ``best`` (in the order taken; ending before ``hi_idx``) of the candidates
    (bearing row ``b``, arrival row ``a``, range ``r`` sorted per bearing, the
    window's ``tol``); ``sin_b``, ``cos_b`` the sine and cosine of each
    window's bearing (numpy's, shape of ``best``). A window seeds when it holds
    ``need`` free arrivals of distinct sensors (``src``; a sensor's first
    arrival in the window only), its bearing is free, and (``far``) its seed
    passes :func:`_far_ok`; its rows are marked in ``used`` (in place).
    Returns per seed its bearing row, member count, x, y, T (m, m, s), and the
    member rows, seed after seed."""
    n = best.shape[0]
    seed_b = np.empty(n, np.intp)
    n_mem = np.empty(n, np.intp)
    xs, ys, Ts = np.empty(n), np.empty(n), np.empty(n)
    width = 0
    for i in range(n):
        width += hi_idx[best[i]] - best[i]
    mem = np.empty(width, np.intp)
    # per sensor, the last window (+1) that met it: a sensor's first arrival only
    met = np.zeros(src.max() + 1 if src.shape[0] else 0, np.intp)
    mark = np.zeros(lx.shape[0], np.bool_)
    m = 0
    s = 0
    for i in range(n):
        k = best[i]
        bk = b[k]
        kept = 0
        for j in range(k, hi_idx[k]):
            row = a[j]
            if met[src[row]] == i + 1:
                continue
            met[src[row]] = i + 1
            if not used[row]:
                mem[m + kept] = row
                kept += 1
        if kept < need or used[bk]:
            continue
        # the window's ranges are sorted: its median is numpy's
        cnt = hi_idx[k] - k
        half = k + cnt // 2
        rk = r[half] if cnt % 2 else (r[half - 1] + r[half]) / 2.0
        x = ox[bk] + rk * sin_b[i]
        y = oy[bk] + rk * cos_b[i]
        T_ = t[bk] - speed[bk] * rk / c
        rows_a = mem[m : m + kept]
        if far and not _far_ok(
            bk, rows_a, x, y, T_, tol[k], ox, oy, c, sensor_m, far_arrivals, limit_nats, mic,
            lx, ly, lsig, lspeed, lkey, t0, span, quiet_s, alive_s, L, p0, cutoff, mark,
        ):  # fmt: skip
            continue
        for row in rows_a:
            used[row] = True
        used[bk] = True
        seed_b[s] = bk
        n_mem[s] = kept
        xs[s], ys[s], Ts[s] = x, y, T_
        s += 1
        m += kept
    return seed_b[:s], n_mem[:s], xs[:s], ys[:s], Ts[:s], mem[:m]


@getter
def windows_kernel() -> Callable[..., Any] | None:
    """:func:`_windows_loop` compiled (on first use), or None without numba."""
    law = hearing_loops.law_loss_kernel()
    if law is None:
        return None
    return compiled_calling(_windows_loop, _far_ok=_far_ok, _law_loss=law)
