"""Explanation's cheap pre-gate (:func:`ceasefire.fuse.explain._pair_residuals`)
as compiled loops over the (report, point) pairs (numba, the ``fast`` extra):
the spherical distance and azimuth of each pair, the range bound and the bearing
bound, without the numpy code's temporary arrays per pair (the stress slice
offers ~4 M pairs in the time window, ~2 % pass). The pre-gate only drops pairs
the exact (geodesic) gate refuses anyway, with margins (2 % of the distance, a
degree of azimuth) far wider than libm's and numpy's rounding differ, so the
pairs it keeps, and the explanations, are the same. Without numba the kernels
are None and the numpy code runs."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ceasefire.fuse.compiled import compiled_calling, getter

#: the mean Earth radius, m (``explain._sphere``'s)
EARTH_R_M = 6_371_008.8


def passes(
    la1: float,
    lo1: float,
    b: float,
    b_sigma: float,
    la2: float,
    lo2: float,
    tr: float,
    lim: float,
    sigma_scale: float,
    sg: float,
) -> bool:
    """One pair: a report at (``la1``, ``lo1``) deg with bearing ``b`` ± ``b_sigma``
    (deg; NaN: none), a point at (``la2``, ``lo2``) whose covariance's trace is
    ``tr`` (m²): on the sphere within ``lim`` (m), the bearing within ``sg``
    bounded σ + 1° (``explain._pair_residuals``' pre-gate)."""
    dy = math.radians(la2 - la1)
    # the distance is at least the latitude's part: most pairs fail on it,
    # before the cosine (hypot(dx, dy) >= |dy| in floating point too)
    if not EARTH_R_M * abs(dy) <= lim:
        return False
    mid = math.radians(0.5 * (la1 + la2))
    dx = math.radians((lo2 - lo1 + 180.0) % 360.0 - 180.0) * math.cos(mid)
    d_s = EARTH_R_M * math.hypot(dx, dy)
    if not d_s <= lim:
        return False
    if not math.isfinite(b):
        return True
    az_s = math.degrees(math.atan2(dx, dy)) % 360.0
    # np.maximum's NaN (a NaN trace fails the bound, as in numpy)
    sd_pos = math.degrees(math.sqrt(0.0 if tr < 0.0 else tr) / max(d_s / 1.02 - 100.0, 1.0))
    sd_b = math.hypot(sigma_scale * b_sigma, sd_pos)
    db = abs((b - az_s + 180.0) % 360.0 - 180.0)
    return db <= sg * sd_b + 1.0


#: :func:`passes`, rebound to its compiled self when a loop is compiled
_passes = passes


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
    the pre-gate (:func:`passes`; range within 1.02 x ``max_range_m`` + 100 m).
    ``pcov``: the points' (P, 3) covariances (ee, nn, en; m²)."""
    n = r.shape[0]
    out = np.zeros(n, np.bool_)
    lim = 1.02 * max_range_m + 100.0
    sg = math.sqrt(gate)
    for k in range(n):
        i = r[k]
        j = pj[k]
        out[k] = _passes(
            lat[i], lon[i], bearing_deg[i], bearing_sigma_deg[i], plat[j], plon[j],
            pcov[j, 0] + pcov[j, 1], lim, sigma_scale, sg,
        )  # fmt: skip
    return out


def _window_near_loop(
    lat: Any,
    lon: Any,
    bearing_deg: Any,
    bearing_sigma_deg: Any,
    rows: Any,
    lo: Any,
    hi: Any,
    order: Any,
    plat: Any,
    plon: Any,
    pcov: Any,
    max_range_m: float,
    sigma_scale: float,
    gate: float,
) -> tuple[Any, Any]:
    """The pairs (index into ``rows``, point ``order[q]`` for ``lo[i] <= q <
    hi[i]``) passing the pre-gate, in that order (``explain._window_pairs``' pairs
    filtered by :func:`_near_loop`, without making them all first)."""
    total = 0
    for i in range(rows.shape[0]):
        total += max(hi[i] - lo[i], 0)
    li = np.empty(total, np.intp)
    pj = np.empty(total, np.intp)
    lim = 1.02 * max_range_m + 100.0
    sg = math.sqrt(gate)
    n = 0
    for i in range(rows.shape[0]):
        w = rows[i]
        la1, lo1, b, bs = lat[w], lon[w], bearing_deg[w], bearing_sigma_deg[w]
        for q in range(lo[i], hi[i]):
            j = order[q]
            if _passes(
                la1, lo1, b, bs, plat[j], plon[j], pcov[j, 0] + pcov[j, 1], lim,
                sigma_scale, sg,
            ):  # fmt: skip
                li[n] = i
                pj[n] = j
                n += 1
    return li[:n].copy(), pj[:n].copy()


@getter
def near_kernel() -> Callable[..., Any] | None:
    """:func:`_near_loop` compiled (on first use), or None without numba."""
    return compiled_calling(_near_loop, _passes=passes)


@getter
def window_near_kernel() -> Callable[..., Any] | None:
    """:func:`_window_near_loop` compiled (on first use), or None without numba."""
    return compiled_calling(_window_near_loop, _passes=passes)


__all__ = ["EARTH_R_M", "near_kernel", "passes", "window_near_kernel"]
