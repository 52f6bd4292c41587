"""The iterations of the batched fit (:func:`ceasefire.fuse.solve.fit`) as one
compiled loop per Gauss-Newton iteration (numba, the ``fast`` extra): normal
equations, 3×3 inverse and step of every moving event, the steps taken and the
converged events stopped, the next iteration's rows gathered. The same
arithmetic in the same order as :mod:`.normal`'s loop, :mod:`.inverse`'s loop
and :func:`~ceasefire.fuse.solve.gn_step`, so the same numbers to the bit; the
azimuth to each row stays numpy's ``arctan2`` (its SIMD code need not round like
libm's), computed between the calls, and only for the rows with an azimuth (a
row without one has no bearing term whatever the angle: arrival groups are
arrivals only). A fit of a few events made ~30 numpy calls per iteration, and
association makes ~15 k such fits on the bearing benchmark.
Without numba, :func:`iteration_kernel` is None and the numpy code runs."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ceasefire.fuse import cofactor, normal
from ceasefire.fuse.compiled import compiled_calling, getter

_PI = math.pi
_TWO_PI = 2.0 * math.pi

#: the cofactors and their regularity test, a row's terms and ``nan_to_num`` of
#: one number, rebound to numba's compiled helpers when the loop is compiled
_upper3 = cofactor.upper3
_regular3 = cofactor.regular3
_row_terms = normal.row_terms
_nan_to_num = normal.nan_to_num


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
    azimuth residual was in the range wrapped here (if not, nothing was changed
    and the caller computes in numpy)."""
    empty = np.zeros(0)
    p = 0
    for a in range(act.shape[0]):
        e = act[a]
        for q in range(bounds[e], bounds[e + 1]):
            azq = az[src[q]]
            if azq != azq:
                continue
            v = (azq - ang[p]) + _PI
            if v <= -_TWO_PI or v >= 2.0 * _TWO_PI:
                return np.zeros(0, np.intp), empty, empty, False
            p += 1
    acc = np.zeros((1, 3, 10))
    H = np.empty((3, 3))
    s = np.empty(3)
    S = np.empty((3, 3))
    cof = np.empty((3, 3))
    inv = np.empty((3, 3))
    bv = np.empty(3)
    step = np.empty(3)
    up = ((0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2))
    n_next = 0
    n_rows = 0
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
            n_next += 1
            for q in range(bounds[e], bounds[e + 1]):
                if az[src[q]] == az[src[q]]:
                    n_rows += 1
    nxt = np.empty(n_next, np.intp)
    ndx = np.empty(n_rows)
    ndy = np.empty(n_rows)
    n_next = 0
    p = 0
    for a in range(act.shape[0]):
        e = act[a]
        if not active[e]:
            continue
        nxt[n_next] = e
        n_next += 1
        for q in range(bounds[e], bounds[e + 1]):
            j = src[q]
            if az[j] == az[j]:
                ndx[p] = x[e] - ox[j]
                ndy[p] = y[e] - oy[j]
                p += 1
    return nxt, ndx, ndy, True


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


__all__ = ["iteration_kernel"]
