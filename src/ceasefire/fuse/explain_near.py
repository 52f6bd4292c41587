"""Explanation's cheap pre-gate (:func:`ceasefire.fuse.explain._pair_residuals`)
as compiled loops over the (report, point) pairs (numba, the ``fast`` extra):
the spherical distance and azimuth of each pair, the range bound, the time bound
(:func:`time_passes`) and the bearing bound, without the numpy code's temporary
arrays per pair (the stress slice offers ~4 M pairs in the time window, ~2 %
pass). The pre-gate only drops pairs the exact (geodesic) gate refuses anyway,
with margins (2 % of the distance + 100 m, a degree of azimuth, a microsecond)
far wider than libm's and numpy's rounding differ, so the pairs it keeps, and
the explanations, are the same. Without numba the kernels are None and the
numpy code runs."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ceasefire.fuse.compiled import compiled_calling, getter

#: the mean Earth radius, m (``explain._sphere``'s)
EARTH_R_M = 6_371_008.8
#: the sphere's distance bounds the geodesic's (98 % - 100 m to 102 % + 100 m)
#: within this distance (m) and latitude (deg) (``explain._unexplained``'s too)
SPHERE_M, SPHERE_LAT = 100_000.0, 80.0
#: seconds by which the time bound errs towards passing (the exact residual's
#: rounding on times of ~10⁶ s is ~10⁻¹⁰ s)
TIME_SLACK_S = 1e-6


def time_passes(
    t: float,
    sd: float,
    slack: float,
    heard: bool,
    t_lo: float,
    t_hi: float,
    d_s: float,
    la1: float,
    la2: float,
    c: float,
    travel_sd: float,
    sg: float,
) -> bool:
    """One pair's time bound: False when the report at time ``t`` (s; time σ ``sd``
    s, with its scale and floor; clock ``slack`` s) arrives from a point emitted
    within [``t_lo``, ``t_hi``] so far off, for any travel the spherical distance
    ``d_s`` (m) allows (a ``heard`` report's; a seen one travels none), that the
    time term alone exceeds the gate (``sg``: its square root): the exact
    residual (``explain._pair_residuals``) refuses it. ``la1``, ``la2``: the
    report's and the point's latitudes (deg; beyond the sphere's bounds a heard
    report passes); ``c``: the speed of sound (m/s); ``travel_sd``: the
    point's σ in time (s) the report's σ takes in quadrature (0: none). NaN
    anywhere passes (the exact gate refuses those itself)."""
    if heard:
        if not (d_s <= SPHERE_M and abs(la1) <= SPHERE_LAT and abs(la2) <= SPHERE_LAT):
            return True
        early = t_lo + max(0.98 * d_s - 100.0, 0.0) / c - t
        late = t - t_hi - (1.02 * d_s + 100.0) / c
    else:
        early = t_lo - t
        late = t - t_hi
    off = (early if early > late else late) - slack - TIME_SLACK_S
    s = math.hypot(sd, travel_sd) if travel_sd > 0.0 else sd
    return not off > sg * (s if s > 1e-6 else 1e-6) * (1.0 + 1e-9)


#: :func:`time_passes`, rebound to its compiled self when a loop is compiled
_time_passes = time_passes


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
    t: float,
    sd: float,
    slack: float,
    heard: bool,
    t_lo: float,
    t_hi: float,
    c: float,
    travel_sd: bool,
) -> bool:
    """One pair: a report at (``la1``, ``lo1``) deg with bearing ``b`` ± ``b_sigma``
    (deg; NaN: none), a point at (``la2``, ``lo2``) whose covariance's trace is
    ``tr`` (m²): on the sphere within ``lim`` (m), its time within the gate
    (:func:`time_passes` of the report's ``t``, ``sd``, ``slack``, ``heard`` and
    the point's window [``t_lo``, ``t_hi``]; ``travel_sd``: the point's σ over
    the speed of sound joins the report's), the bearing within ``sg`` bounded
    σ + 1° (``explain._pair_residuals``' pre-gate)."""
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
    # the point's σ in time: its position's over the speed of sound
    tsd = math.sqrt(0.0 if tr < 0.0 else tr) / c if travel_sd else 0.0
    if not _time_passes(t, sd, slack, heard, t_lo, t_hi, d_s, la1, la2, c, tsd, sg):
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
    times: Any,
    c: float,
    travel_sd: bool,
) -> Any:
    """For each pair ``k`` (report row ``r[k]``, point ``pj[k]``): whether it passes
    the pre-gate (:func:`passes`; range within 1.02 x ``max_range_m`` + 100 m).
    ``pcov``: the points' (P, 3) covariances (ee, nn, en; m²); ``times``: the
    reports' and the points' times (``explain._times``); ``c``: the speed of sound
    (m/s); ``travel_sd``: as :func:`passes` takes it."""
    t, sd, slack, heard, t_lo, t_hi = times
    n = r.shape[0]
    out = np.zeros(n, np.bool_)
    lim = 1.02 * max_range_m + 100.0
    sg = math.sqrt(gate)
    for k in range(n):
        i = r[k]
        j = pj[k]
        out[k] = _passes(
            lat[i], lon[i], bearing_deg[i], bearing_sigma_deg[i], plat[j], plon[j],
            pcov[j, 0] + pcov[j, 1], lim, sigma_scale, sg, t[i], sd[i], slack[i], heard[i],
            t_lo[j], t_hi[j], c, travel_sd,
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
    times: Any,
    c: float,
    travel_sd: bool,
) -> tuple[Any, Any]:
    """The pairs (index into ``rows``, point ``order[q]`` for ``lo[i] <= q <
    hi[i]``) passing the pre-gate, in that order (``explain._window_pairs``' pairs
    filtered by :func:`_near_loop`, without making them all first)."""
    t, sd, slack, heard, t_lo, t_hi = times
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
        tw, sdw, slw, hw = t[w], sd[w], slack[w], heard[w]
        for q in range(lo[i], hi[i]):
            j = order[q]
            if _passes(
                la1, lo1, b, bs, plat[j], plon[j], pcov[j, 0] + pcov[j, 1], lim,
                sigma_scale, sg, tw, sdw, slw, hw, t_lo[j], t_hi[j], c, travel_sd,
            ):  # fmt: skip
                li[n] = i
                pj[n] = j
                n += 1
    return li[:n].copy(), pj[:n].copy()


@getter
def _passes_of() -> Callable[..., Any] | None:
    """:func:`passes` compiled with its helper bound, or None without numba."""
    return compiled_calling(passes, _time_passes=time_passes)


@getter
def near_kernel() -> Callable[..., Any] | None:
    """:func:`_near_loop` compiled (on first use), or None without numba."""
    p = _passes_of()
    return None if p is None else compiled_calling(_near_loop, _passes=p)


@getter
def window_near_kernel() -> Callable[..., Any] | None:
    """:func:`_window_near_loop` compiled (on first use), or None without numba."""
    p = _passes_of()
    return None if p is None else compiled_calling(_window_near_loop, _passes=p)


__all__ = [
    "EARTH_R_M",
    "SPHERE_LAT",
    "SPHERE_M",
    "TIME_SLACK_S",
    "near_kernel",
    "passes",
    "time_passes",
    "window_near_kernel",
]
