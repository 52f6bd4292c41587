"""Explanation's cheap pre-gate (:func:`ceasefire.fuse.explain._pair_residuals`)
as one compiled loop over the (report, point) pairs (numba, the ``fast`` extra):
the spherical distance and azimuth of each pair, the range bound and the bearing
bound, without the numpy code's eight temporary arrays per pair. The pre-gate
only drops pairs the exact (geodesic) gate refuses anyway, with margins (2 % of
the distance, a degree of azimuth) far wider than libm's and numpy's rounding
differ, so the pairs it keeps, and the explanations, are the same. Without
numba, :func:`near_kernel` is None and the numpy code runs."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ceasefire.fuse.compiled import compiled

#: the mean Earth radius, m (``explain._sphere``'s)
EARTH_R_M = 6_371_008.8


def _near_loop(
    lat: Any,
    lon: Any,
    bearing_deg: Any,
    bearing_sigma_deg: Any,
    r: Any,
    plat: Any,
    plon: Any,
    pcov: Any,
    pj: Any,
    max_range_m: float,
    sigma_scale: float,
    gate: float,
) -> Any:
    """For each pair ``k`` (report row ``r[k]``, point ``pj[k]``): whether it passes
    ``explain._pair_residuals``' pre-gate (range on the sphere within 1.02 x
    ``max_range_m`` + 100 m; the bearing within sqrt(``gate``) bounded σ + 1°).
    ``pcov``: the points' (P, 3) covariances (ee, nn, en; m²)."""
    n = r.shape[0]
    out = np.zeros(n, np.bool_)
    lim = 1.02 * max_range_m + 100.0
    sg = math.sqrt(gate)
    for k in range(n):
        i = r[k]
        j = pj[k]
        la1 = lat[i]
        la2 = plat[j]
        mid = math.radians(0.5 * (la1 + la2))
        dx = math.radians((plon[j] - lon[i] + 180.0) % 360.0 - 180.0) * math.cos(mid)
        dy = math.radians(la2 - la1)
        d_s = EARTH_R_M * math.hypot(dx, dy)
        if not d_s <= lim:
            continue
        b = bearing_deg[i]
        if not math.isfinite(b):
            out[k] = True
            continue
        az_s = math.degrees(math.atan2(dx, dy)) % 360.0
        tr = pcov[j, 0] + pcov[j, 1]
        # np.maximum's NaN (a NaN trace fails the bound, as in numpy)
        sd_pos = math.degrees(math.sqrt(0.0 if tr < 0.0 else tr) / max(d_s / 1.02 - 100.0, 1.0))
        sd_b = math.hypot(sigma_scale * bearing_sigma_deg[i], sd_pos)
        db = abs((b - az_s + 180.0) % 360.0 - 180.0)
        out[k] = db <= sg * sd_b + 1.0
    return out


@functools.cache
def near_kernel() -> Callable[..., Any] | None:
    """:func:`_near_loop` compiled (on first use), or None without numba."""
    return compiled(_near_loop)


__all__ = ["EARTH_R_M", "near_kernel"]
