"""The batched fit (:func:`ceasefire.fuse.solve.fit`) compiled (numba, the
``fast`` extra): :func:`_iteration_loop`, one Gauss-Newton iteration (normal
equations, 3×3 inverse and step of every moving event, the steps taken and the
converged events stopped, the next iteration's rows gathered), and
:func:`_fit_loop`, the whole fit in one call (the grouping, the iterations, the
last normal equations and inverses). The same arithmetic in the same order as
:mod:`.normal`'s loop, :mod:`.inverse`'s loop and
:func:`~ceasefire.fuse.solve.gn_step`, so the same numbers to the bit; the
azimuth to each row is numpy's ``arctan2``: between the iteration calls, or in
the whole fit by numpy's own routine (:mod:`.arctan2`: its SIMD code need not
round like libm's), and only for the rows with an azimuth (a row without one has
no bearing term whatever the angle: arrival groups are arrivals only). A fit of
a few events made ~30 numpy calls per iteration, and association makes ~2,000
fits (~12,600 iterations) on the bearing benchmark.
Without numba, :func:`iteration_kernel` and :func:`fit_kernel` are None and the
numpy code runs."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ceasefire.fuse import arctan2, cofactor, inverse, normal
from ceasefire.fuse.compiled import compiled_calling, getter

_PI = math.pi
_TWO_PI = 2.0 * math.pi

#: the cofactors and their regularity test, a row's terms and ``nan_to_num`` of
#: one number, rebound to numba's compiled helpers when the loop is compiled
_upper3 = cofactor.upper3
_regular3 = cofactor.regular3
_row_terms = normal.row_terms
_nan_to_num = normal.nan_to_num
#: :func:`_fit_loop`'s helpers: one iteration, the normal equations, the 3×3
#: inverses and numpy's arctan2 (:mod:`.arctan2`), bound to the compiled loops
_iterate: Any = None
_normal: Any = None
_inv3: Any = None
_atan2_into: Any = arctan2.atan2_into


def _iteration_loop(
    ox: Any,
    oy: Any,
    az: Any,
    sigma_az: Any,
    t: Any,
    sigma_t: Any,
    speed: Any,
    rng: Any,
    sigma_rng: Any,
    src: Any,
    bounds: Any,
    act: Any,
    x: Any,
    y: Any,
    T: Any,
    ang: Any,
    c: float,
    max_step_m: float,
    tol_m: float,
    active: Any,
) -> tuple[Any, Any, Any, bool]:
    """One iteration for the events ``act`` (ascending), whose rows are
    ``src[bounds[e]:bounds[e + 1]]`` of the row arrays; ``ang`` = arctan2(dx, dy)
    of those rows in that order, the rows whose azimuth is NaN left out. Steps
    ``x``, ``y`` (m), ``T`` (s) in place and clears ``active`` of the events
    whose step was under ``tol_m``. Returns the events still moving, the dx and
    dy (m, for the next ``ang``) of their rows with an azimuth, and whether every
    azimuth residual was in the range wrapped here (if not, the steps taken are
    not the numpy code's: the caller starts again from its own start in numpy)."""
    wrapped = True
    acc = np.zeros((1, 3, 10))
    H = np.empty((3, 3))
    s = np.empty(3)
    S = np.empty((3, 3))
    cof = np.empty((3, 3))
    inv = np.empty((3, 3))
    bv = np.empty(3)
    step = np.empty(3)
    up = ((0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2))
    # at most every event and every angle's row goes on: written in one pass, cut
    n_next = 0
    n_rows = 0
    nxt = np.empty(act.shape[0], np.intp)
    ndx = np.empty(ang.shape[0])
    ndy = np.empty(ang.shape[0])
    p = 0
    for a in range(act.shape[0]):
        e = act[a]
        acc[:] = 0.0
        # the normal equations (normal.row_terms, as normal._normal_loop sums them)
        for q in range(bounds[e], bounds[e + 1]):
            j = src[q]
            dx = x[e] - ox[j]
            dy = y[e] - oy[j]
            h = math.hypot(dx, dy)
            rho = h if (h >= 1.0 or h != h) else 1.0
            # no azimuth: a NaN residual whatever the angle (no bearing term)
            v = az[j]
            if v == v:
                v = (v - ang[p]) + _PI
                p += 1
                if v <= -_TWO_PI or v >= 2.0 * _TWO_PI:
                    wrapped = False
            _row_terms(
                acc, 0, dx, dy, rho, v, t[j], T[e], rng[j], speed[j],
                sigma_az[j], sigma_t[j], sigma_rng[j], c,
            )  # fmt: skip
        for u in range(6):
            i0, j0 = up[u]
            H[i0, j0] = ((0.0 + acc[0, 0, u]) + acc[0, 1, u]) + acc[0, 2, u]
        for u in range(3):
            bv[u] = ((0.0 + acc[0, 0, 6 + u]) + acc[0, 1, 6 + u]) + acc[0, 2, 6 + u]
        # the inverse (inverse._inv3_loop's arithmetic)
        for i in range(3):
            hd = H[i, i]
            s[i] = math.sqrt(hd if (hd >= 1e-300 or hd != hd) else 1e-300)
        for i in range(3):
            for j0 in range(i, 3):
                S[i, j0] = H[i, j0] / s[i] / s[j0]
        tri = (S[0, 0], S[0, 1], S[0, 2], S[1, 1], S[1, 2], S[2, 2])
        cof6 = _upper3(tri[0], tri[1], tri[2], tri[3], tri[4], tri[5])
        A, B, C, D, E, F, det = cof6
        good = _regular3(tri[0], tri[1], tri[2], tri[3], tri[4], tri[5], cof6)
        if good:
            cof[0, 0], cof[0, 1], cof[0, 2] = A, B, C
            cof[1, 0], cof[1, 1], cof[1, 2] = B, D, E
            cof[2, 0], cof[2, 1], cof[2, 2] = C, E, F
            for i in range(3):
                for j0 in range(3):
                    inv[i, j0] = _nan_to_num(cof[i, j0] / det / s[i] / s[j0])
            # solve.gn_step's order
            for i in range(3):
                step[i] = (inv[i, 0] * bv[0] + inv[i, 2] * bv[2]) + inv[i, 1] * bv[1]
        else:
            step[0] = step[1] = step[2] = 0.0
        norm = math.hypot(step[0], step[1])
        shrink = 1.0
        if norm > max_step_m:
            shrink = max_step_m / (norm if (norm >= 1e-9 or norm != norm) else 1e-9)
        x[e] += step[0] * shrink
        y[e] += step[1] * shrink
        T[e] += step[2] * shrink
        if norm < tol_m:
            active[e] = False
        else:
            # the event's next rows written now (it stays where it stepped)
            nxt[n_next] = e
            n_next += 1
            for q in range(bounds[e], bounds[e + 1]):
                j = src[q]
                if az[j] == az[j]:
                    ndx[n_rows] = x[e] - ox[j]
                    ndy[n_rows] = y[e] - oy[j]
                    n_rows += 1
    return nxt[:n_next], ndx[:n_rows], ndy[:n_rows], wrapped


def _offsets(ox: Any, oy: Any, az: Any, src: Any, gs: Any, x: Any, y: Any) -> tuple[Any, Any]:
    """The event less the observer (m), ``(dx, dy)``, of each row ``q`` with an
    azimuth (row ``src[q]`` of event ``gs[q]``), in the rows' order: what the
    azimuths are computed from (a row without one has no bearing term)."""
    n = src.shape[0]
    m = 0
    for q in range(n):
        if az[src[q]] == az[src[q]]:
            m += 1
    dx = np.empty(m)
    dy = np.empty(m)
    m = 0
    for q in range(n):
        j = src[q]
        if az[j] == az[j]:
            dx[m] = x[gs[q]] - ox[j]
            dy[m] = y[gs[q]] - oy[j]
            m += 1
    return dx, dy


def _fit_loop(
    ox: Any, oy: Any, az: Any, sigma_az: Any, t: Any, sigma_t: Any, speed: Any, rng: Any,
    sigma_rng: Any, g: Any, n_groups: int, sel: Any, has_sel: bool, x0: Any, y0: Any, T0: Any,
    c: float, iterations: int, max_step_m: float, tol_m: float, gather_min: int,
    gather_rows: int, atan2_at: int,
) -> tuple[Any, Any, Any, Any, Any, Any, Any, Any, bool]:  # fmt: skip
    """:func:`ceasefire.fuse.solve.fit` in one call: the rows (``sel[i]`` of the
    row arrays when ``has_sel``, else ``i``) grouped by their label ``g`` in a
    stable order (a counting sort: ``g`` in ``0..n_groups-1``), gathered when
    ``fit`` would gather them, the iterations (:func:`_iteration_loop`, the
    azimuths by :mod:`.arctan2`'s numpy ``arctan2``: ``atan2_at`` the routine's
    address, 0 for libm's: :func:`.arctan2.numpy_svml`), the
    last normal equations (:func:`.normal._normal_loop`), the inverses
    (:func:`.inverse._inv3_loop`) and the measurements per event. Returns ``x``,
    ``y`` (m), ``T`` (s), ``cov`` ``(G, 3, 3)``, ``chi2``, ``dof``, ``ok``,
    ``converged`` as ``fit``'s numpy code, and False (the rest unset) when a
    label is out of range or an azimuth residual beyond the wrapped range: the
    caller then fits by that code."""
    n = g.shape[0]
    e0 = np.zeros(0)
    i0 = np.zeros(0, np.int64)
    b0 = np.zeros(0, np.bool_)
    c0 = np.zeros((0, 3, 3))
    bounds = np.zeros(n_groups + 1, np.intp)
    for i in range(n):
        e = g[i]
        if e < 0 or e >= n_groups:
            return e0, e0, e0, c0, e0, i0, b0, b0, False
        bounds[e + 1] += 1
    for e in range(n_groups):
        bounds[e + 1] += bounds[e]
    at = bounds[:-1].copy()
    src = np.empty(n, np.intp)
    gs = np.empty(n, np.intp)
    for i in range(n):
        e = g[i]
        src[at[e]] = sel[i] if has_sel else i
        gs[at[e]] = e
        at[e] += 1
    if n >= gather_min and ox.shape[0] > gather_rows:
        # a layout change only (solve.fit's reason): each event's rows in order
        ox, oy, az, sigma_az = ox[src], oy[src], az[src], sigma_az[src]
        t, sigma_t, speed = t[src], sigma_t[src], speed[src]
        rng, sigma_rng = rng[src], sigma_rng[src]
        src = np.arange(n)
    x = x0.copy()
    y = y0.copy()
    T = T0.copy()
    active = np.ones(n_groups, np.bool_)
    if n_groups > 0:
        act = np.arange(n_groups)
        dx, dy = _offsets(ox, oy, az, src, gs, x, y)
        for _ in range(iterations):
            if act.shape[0] == 0:
                break
            ang = np.empty(dx.shape[0])
            _atan2_into(dx, dy, ang, atan2_at)
            act, dx, dy, wrapped = _iterate(
                ox, oy, az, sigma_az, t, sigma_t, speed, rng, sigma_rng, src, bounds, act,
                x, y, T, ang, c, max_step_m, tol_m, active,
            )  # fmt: skip
            if not wrapped:
                return e0, e0, e0, c0, e0, i0, b0, b0, False
    # the last normal equations: the angle only where a row has an azimuth
    dx, dy = _offsets(ox, oy, az, src, gs, x, y)
    got = np.empty(dx.shape[0])
    _atan2_into(dx, dy, got, atan2_at)
    ang = np.full(n, np.nan)
    m = 0
    for q in range(n):
        if az[src[q]] == az[src[q]]:
            ang[q] = got[m]
            m += 1
    H, _b, chi2, wrapped = _normal(
        ox, oy, az, sigma_az, t, sigma_t, speed, rng, sigma_rng, gs, n_groups, x, y, T, ang,
        c, src,
    )  # fmt: skip
    if not wrapped:
        return e0, e0, e0, c0, e0, i0, b0, b0, False
    cov, ok = _inv3(H)
    converged = np.empty(n_groups, np.bool_)
    for e in range(n_groups):
        ok[e] = ok[e] and math.isfinite(x[e]) and math.isfinite(y[e])
        if not ok[e]:
            cov[e, :, :] = np.nan
        converged[e] = not active[e]
    # the measurements per event (0-3 a row: whole numbers, exact in any order)
    nmeas = np.zeros(n_groups, np.int64)
    for q in range(n):
        j = src[q]
        nmeas[gs[q]] += (
            (1 if math.isfinite(az[j]) else 0)
            + (1 if math.isfinite(t[j]) else 0)
            + (1 if math.isfinite(rng[j]) else 0)
        )
    dof = nmeas - 3
    return x, y, T, cov, chi2, dof, ok, converged, True


@getter
def fit_kernel() -> tuple[Callable[..., tuple[Any, ...]], int] | None:
    """:func:`_fit_loop` compiled (on first use) and the address of numpy's
    ``arctan2`` routine here (its ``atan2_at`` argument, 0 for libm's), or None
    without the ``fast`` extra or when no compiled ``atan2`` gives numpy's
    (:func:`.arctan2.numpy_svml`)."""
    atan2_at = arctan2.numpy_svml()
    iterate, normal_loop, inv3 = iteration_kernel(), normal.normal_kernel(), inverse.inv3_kernel()
    into = arctan2.atan2_into_kernel()
    if atan2_at is None or iterate is None or normal_loop is None or inv3 is None or into is None:
        return None
    loop = compiled_calling(
        _fit_loop, _iterate=iterate, _normal=normal_loop, _inv3=inv3, _atan2_into=into,
        _offsets=_offsets,
    )  # fmt: skip
    return None if loop is None else (loop, atan2_at)


@getter
def iteration_kernel() -> Callable[..., tuple[Any, Any, Any, bool]] | None:
    """:func:`_iteration_loop` compiled (on first use), or None without the
    ``fast`` extra."""
    if not normal.bind_helpers():
        return None
    return compiled_calling(
        _iteration_loop, _upper3=cofactor.upper3, _regular3=cofactor.regular3,
        _row_terms=normal.row_terms,
        _nan_to_num=normal.nan_to_num,
    )  # fmt: skip


__all__ = ["fit_kernel", "iteration_kernel"]
