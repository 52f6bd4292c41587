"""Corroboration's search of nearby activity (:func:`ceasefire.fuse.corroborate._near`)
as one compiled loop (numba, the ``fast`` extra): for each query point, whether a
point lies within a box of half-width ``r`` in (x, y, scaled time) and within the
disc of radius ``r`` beyond ``min_m``. The numpy code builds two k-d trees and a
pair list a call (two calls a tile); the loop walks the points sorted by time from
each query's place, with the k-d trees' very test (the greatest of the three
absolute differences at most ``r``) and the same disc (``hypot``), so it finds the
same points. Without numba the kernel is None and the k-d trees run."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ceasefire.fuse.compiled import compiled_calling, getter


def _near_sorted_loop(
    qx: Any, qy: Any, qs: Any, px: Any, py: Any, ps: Any, order: Any, r: float, min_m: float
) -> Any:
    """For each query ``i`` (``qx``, ``qy``, scaled time ``qs``; m): whether a point
    ``j`` has ``max(|Δx|, |Δy|, |Δs|) <= r`` and ``min_m < hypot(Δx, Δy) <= r``.
    ``ps``: the points' scaled times sorted ascending, ``order``: their indices into
    ``px``, ``py`` (``ps[k]`` is point ``order[k]``'s)."""
    n = qx.shape[0]
    m = ps.shape[0]
    found = np.zeros(n, np.bool_)
    for i in range(n):
        x, y, s = qx[i], qy[i], qs[i]
        # from the first point not before the query, both ways while the time is
        # within r (the rounded difference grows with the distance in the order)
        start = np.searchsorted(ps, s)
        k = start
        while k < m and not found[i]:
            if not abs(ps[k] - s) <= r:
                break
            found[i] = _hit(x, y, px[order[k]], py[order[k]], r, min_m)
            k += 1
        k = start - 1
        while k >= 0 and not found[i]:
            if not abs(ps[k] - s) <= r:
                break
            found[i] = _hit(x, y, px[order[k]], py[order[k]], r, min_m)
            k -= 1
    return found


def hit(x: float, y: float, px: float, py: float, r: float, min_m: float) -> bool:
    """A point at (``px``, ``py``) within the box and the disc (beyond ``min_m``) of a
    query at (``x``, ``y``), m (the numpy code's ``d = hypot(px - qx, py - qy)``)."""
    dx = px - x
    dy = py - y
    if not (abs(dx) <= r and abs(dy) <= r):
        return False
    d = math.hypot(dx, dy)
    return d <= r and d > min_m


#: :func:`hit`, rebound to its compiled self when the loop is compiled
_hit = hit


@getter
def near_sorted_kernel() -> Callable[..., Any] | None:
    """:func:`_near_sorted_loop` compiled (on first use), or None without numba."""
    return compiled_calling(_near_sorted_loop, inlined=("_hit",), _hit=hit)


__all__ = ["hit", "near_sorted_kernel"]
