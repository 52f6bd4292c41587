"""The normalized residuals and Jacobians behind the gates
(:func:`~ceasefire.fuse.association.gates.normalized`) and the marginal pre-gate
(:func:`~ceasefire.fuse.association.gates.marginal_gate`) as compiled loops over
the rows (numba, the ``fast`` extra), giving the numpy code's arrays to the bit:
the same products, divisions and ``sqrt`` per element, without ~25 array passes
and the boolean-mask writes into ``(n, 3, 3)`` stacks. The residuals come in
computed by numpy (``arctan2`` and the wrap stay numpy's). Without numba,
:func:`jacobian_kernel` is None and the numpy code runs."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ceasefire.fuse import cofactor
from ceasefire.fuse.compiled import compiled, compiled_calling

#: the cofactor helpers :func:`_quad_loop` calls: rebound to numba's compiled ones
#: when the loop is compiled (a compiled loop calls compiled functions only)
_upper3 = cofactor.upper3
_quadratic3 = cofactor.quadratic3


def _jacobian_loop(
    dx: Any,
    dy: Any,
    rho: Any,
    r_az: Any,
    r_t: Any,
    r_rng: Any,
    speed: Any,
    sigma_az: Any,
    sigma_t: Any,
    sigma_rng: Any,
    c: float,
) -> tuple[Any, Any, Any]:
    """Per row: the (bearing, time, range) residual in units of its sd ``(n, 3)``
    (0 where absent), the Jacobian of the prediction in (x, y, T) in the same
    units ``(n, 3, 3)`` (a zero row where absent; an sd that is not finite and
    positive counts as 1) and the dof (components present)."""
    n = dx.shape[0]
    An = np.empty((n, 3, 3))
    rn = np.empty((n, 3))
    dof = np.empty(n)
    for i in range(n):
        rho2 = rho[i] * rho[i]
        k = speed[i] / (rho[i] * c)
        have = 0
        for j in range(3):
            if j == 0:
                r = r_az[i]
                s = sigma_az[i]
                a0 = dy[i] / rho2
                a1 = -dx[i] / rho2
                a2 = 0.0
            elif j == 1:
                r = r_t[i]
                s = sigma_t[i]
                a0 = k * dx[i]
                a1 = k * dy[i]
                a2 = 1.0
            else:
                r = r_rng[i]
                s = sigma_rng[i]
                a0 = dx[i] / rho[i]
                a1 = dy[i] / rho[i]
                a2 = 0.0
            var = s * s
            if r - r != 0.0:  # not finite (inf - inf and NaN are NaN)
                r = 0.0
                a0 = 0.0
                a1 = 0.0
                a2 = 0.0
                var = 1.0
            else:
                have += 1
                if not (var - var == 0.0 and var > 0.0):
                    var = 1.0
            sd = math.sqrt(var)
            An[i, j, 0] = a0 / sd
            An[i, j, 1] = a1 / sd
            An[i, j, 2] = a2 / sd
            rn[i, j] = r / sd
        dof[i] = float(have)
    return rn, An, dof


_PI = math.pi
_TWO_PI = 2.0 * math.pi


def _marginal_loop(
    ex: Any,
    ey: Any,
    eT: Any,
    cov9: Any,
    g: Any,
    k: Any,
    ox: Any,
    oy: Any,
    t: Any,
    az: Any,
    speed: Any,
    sigma_t: Any,
    sigma_az: Any,
    dx: Any,
    dy: Any,
    ang: Any,
    c: float,
    q: float,
) -> tuple[Any, bool]:
    """Per candidate (event ``g[i]``, row ``k[i]``; ``dx``, ``dy`` the event less the
    observer, ``ang`` = arctan2(dx, dy) by numpy): whether its time and bearing
    residuals each pass ``q`` (the marginal gate, the numpy code's arithmetic in
    its order); and whether every azimuth residual was in the range wrapped here
    (otherwise the caller computes in numpy)."""
    n = g.shape[0]
    out = np.empty(n, np.bool_)
    wrapped = True
    for i in range(n):
        e = g[i]
        j = k[i]
        h = math.hypot(dx[i], dy[i])
        rho = h if (h >= 1.0 or h != h) else 1.0
        p00 = cov9[e, 0]
        p01 = cov9[e, 1]
        p02 = cov9[e, 2]
        p11 = cov9[e, 4]
        p12 = cov9[e, 5]
        p22 = cov9[e, 8]
        f = speed[j] / (rho * c)
        gx = f * dx[i]
        gy = f * dy[i]
        st = sigma_t[j] * sigma_t[j]
        var_t = (((st + gx * gx * p00) + gy * gy * p11) + p22) + 2 * (
            (gx * gy * p01 + gx * p02) + gy * p12
        )
        r_t = (t[j] - eT[e]) - speed[j] * rho / c
        ok = r_t * r_t <= q * var_t
        a = az[j]
        if ok and a - a == 0.0:  # a bearing: its residual too
            rho2 = rho * rho
            ax = dy[i] / rho2
            ay = -dx[i] / rho2
            sa = sigma_az[j] * sigma_az[j]
            var_az = (sa + ax * ax * p00) + ay * ay * p11
            var_az = var_az + 2 * ax * ay * p01
            # numpy's float remainder by 2 pi, exact on (-2 pi, 4 pi) (see
            # fuse.normal); outside, the whole call goes back to numpy
            v = (a - ang[i]) + _PI
            if v <= -_TWO_PI or v >= 2.0 * _TWO_PI:
                wrapped = False
            m = v - _TWO_PI if v >= _TWO_PI else v
            m = m + _TWO_PI if m < 0.0 else m
            m = 0.0 if m == 0.0 else m
            r_az = m - _PI
            ok = r_az * r_az <= q * var_az
        out[i] = ok
    return out, wrapped


def _quad_loop(M: Any, rn: Any, sign: Any, floor: Any, add_floor: bool) -> tuple[Any, Any]:
    """Per row, with S = (I + sign M) (+ floor I when ``add_floor``): ``rnᵀ S⁻¹ rn``
    by cofactors (inf where det S <= 0) and det S, the numpy code's
    (:func:`~ceasefire.fuse.association.gates.quad_inv3`) products in its order."""
    n = M.shape[0]
    quad = np.empty(n)
    dets = np.empty(n)
    S = np.empty((3, 3))
    for i in range(n):
        for u in range(3):
            for v in range(3):
                one = 1.0 if u == v else 0.0
                s_uv = one + sign[i] * M[i, u, v]
                if add_floor:
                    s_uv = s_uv + floor[i] * one
                S[u, v] = s_uv
        cof = _upper3(S[0, 0], S[0, 1], S[0, 2], S[1, 1], S[1, 2], S[2, 2])
        det = cof[6]
        q = _quadratic3(cof, rn[i, 0], rn[i, 1], rn[i, 2])
        quad[i] = q / det if det > 0 else np.inf
        dets[i] = det
    return quad, dets


@functools.cache
def quad_kernel() -> Callable[..., tuple[Any, Any]] | None:
    """:func:`_quad_loop` compiled (on first use), or None without the ``fast``
    extra."""
    return compiled_calling(_quad_loop, _upper3=cofactor.upper3, _quadratic3=cofactor.quadratic3)


@functools.cache
def marginal_kernel() -> Callable[..., tuple[Any, bool]] | None:
    """:func:`_marginal_loop` compiled (on first use), or None without the
    ``fast`` extra."""
    return compiled(_marginal_loop)


@functools.cache
def jacobian_kernel() -> Callable[..., tuple[Any, Any, Any]] | None:
    """:func:`_jacobian_loop` compiled (on first use), or None without the ``fast``
    extra."""
    return compiled(_jacobian_loop)
