"""The gates' arithmetic as compiled loops over the rows (numba, the ``fast``
extra), giving the numpy code's arrays to the bit: the normalized residuals and
M = An P Anᵀ of :func:`~ceasefire.fuse.association.gates.normalized`, the marginal
pre-gate (:func:`~ceasefire.fuse.association.gates.marginal_gate`) and the
chi-square / determinant of the gates. The same products, divisions and ``sqrt``
per element, without ~25 array passes, the boolean-mask writes into ``(n, 3, 3)``
stacks and a BLAS call per 3 × 3 product (numpy's stacked ``matmul`` makes one per
matrix). ``arctan2`` stays numpy's (its SIMD code need not round like libm's); its
wrap is emulated exactly. M's sums are fused multiply-adds in order, as OpenBLAS's
x86 kernels add (numpy's ``matmul`` goes through them): the tests compare both
with numpy's and with :func:`_fma` in exact rationals. Without numba, the kernel
functions give None and the numpy code runs."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np

from ceasefire.fuse import cofactor, normal
from ceasefire.fuse.compiled import compiled_calling, getter

#: the cofactor helpers :func:`_quad_loop` calls: rebound to numba's compiled ones
#: when the loop is compiled (a compiled loop calls compiled functions only)
_upper3 = cofactor.upper3
_quadratic3 = cofactor.quadratic3


def _fma(a: float, b: float, c: float) -> float:
    """``a * b + c`` rounded once (IEEE 754's fused multiply-add): the exact value
    in rationals rounded to the nearest float (a zero's sign aside; non-finite
    operands: the plain expression). Compiled, LLVM's ``llvm.fma.f64``
    (:func:`_fma_overload`)."""
    if not (math.isfinite(a) and math.isfinite(b) and math.isfinite(c)):
        return a * b + c
    return float(Fraction(a) * Fraction(b) + Fraction(c))


@functools.cache
def _fma_overload() -> bool:
    """Teach numba to compile :func:`_fma` as LLVM's ``fma`` (once); False without
    numba."""
    try:
        from numba import types
        from numba.extending import intrinsic, overload
    except ImportError:  # pragma: no cover - depends on the install
        return False

    @intrinsic
    def llvm_fma(typingctx: Any, a: Any, b: Any, c: Any) -> Any:
        sig = types.float64(types.float64, types.float64, types.float64)

        def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
            return builder.fma(*args)

        return sig, codegen

    @overload(_fma)
    def _fma_impl(a: Any, b: Any, c: Any) -> Any:
        # numba matches the implementation's parameters to these, annotations too
        def impl(a: Any, b: Any, c: Any) -> Any:
            return llvm_fma(a, b, c)  # type: ignore[call-arg]  # typingctx is numba's

        return impl

    return True


_PI = math.pi
_TWO_PI = 2.0 * math.pi

#: :func:`~ceasefire.fuse.normal.remainder_2pi` (fuse.normal's wrap of the azimuth
#: residual) and ``nan_to_num`` of one number, rebound to numba's compiled ones
#: when a loop is compiled
_rem_2pi = normal.remainder_2pi
_nan_to_num = normal.nan_to_num


def _normalized_loop(
    az: Any,
    sigma_az: Any,
    t: Any,
    sigma_t: Any,
    speed: Any,
    rng: Any,
    sigma_rng: Any,
    g: Any,
    eT: Any,
    cov9: Any,
    dx: Any,
    dy: Any,
    ang: Any,
    c: float,
    sel: Any,
) -> tuple[Any, Any, Any, bool]:
    """Per row ``sel[i]`` of the row arrays (against event ``g[i]``; ``dx``, ``dy``
    the event less the observer, ``ang`` = arctan2(dx, dy) by numpy): the
    (bearing, time, range) residual in units of its sd ``(n, 3)`` (0 where
    absent), M = An P Anᵀ ``(n, 3, 3)`` (An the Jacobian of the prediction in (x,
    y, T) in the same units, a zero row where absent, an sd not finite and
    positive counting as 1; P the event's covariance, ``nan_to_num``'s numbers)
    and the dof (components present); and whether every azimuth residual was in
    the range wrapped here (otherwise the caller computes in numpy). Residuals as
    :func:`~ceasefire.fuse.solve.residuals`, the wrap as
    :func:`~ceasefire.fuse.normal.row_terms`'. M's products as numpy's stacked
    ``matmul`` through OpenBLAS's x86 kernels: each entry the three products added
    in order by fused multiply-adds onto +0."""
    n = g.shape[0]
    rn = np.empty((n, 3))
    M = np.empty((n, 3, 3))
    dof = np.empty(n)
    A = np.empty((3, 3))
    P = np.empty((3, 3))
    AP = np.empty((3, 3))
    wrapped = True
    for i in range(n):
        e = g[i]
        q = sel[i]
        h = math.hypot(dx[i], dy[i])
        rho = h if (h >= 1.0 or h != h) else 1.0  # solve's 1 m floor (NaN kept)
        v = (az[q] - ang[i]) + _PI
        if v <= -_TWO_PI or v >= 2.0 * _TWO_PI:
            wrapped = False
        m = _rem_2pi(v)
        rho2 = rho * rho
        k = speed[q] / (rho * c)
        have = 0
        for j in range(3):
            if j == 0:
                r = m - _PI
                s = sigma_az[q]
                a0 = dy[i] / rho2
                a1 = -dx[i] / rho2
                a2 = 0.0
            elif j == 1:
                r = t[q] - (eT[e] + speed[q] * rho / c)
                s = sigma_t[q]
                a0 = k * dx[i]
                a1 = k * dy[i]
                a2 = 1.0
            else:
                r = rng[q] - rho
                s = sigma_rng[q]
                a0 = dx[i] / rho
                a1 = dy[i] / rho
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
            A[j, 0] = a0 / sd
            A[j, 1] = a1 / sd
            A[j, 2] = a2 / sd
            rn[i, j] = r / sd
        dof[i] = float(have)
        for u in range(3):
            for w in range(3):
                P[u, w] = _nan_to_num(cov9[e, 3 * u + w])
        for u in range(3):
            for w in range(3):
                AP[u, w] = _fma(
                    A[u, 2], P[2, w], _fma(A[u, 1], P[1, w], _fma(A[u, 0], P[0, w], 0.0))
                )
        for u in range(3):
            for w in range(3):
                M[i, u, w] = _fma(
                    AP[u, 2], A[w, 2], _fma(AP[u, 1], A[w, 1], _fma(AP[u, 0], A[w, 0], 0.0))
                )
    return rn, M, dof, wrapped


def _time_geometry(
    dx: float, dy: float, h: float, p00: float, p01: float, p02: float, p11: float,
    p12: float, speed: float, c: float,
) -> tuple[float, float, float, float, float, float, float]:  # fmt: skip
    """The marginal time test's terms at distance ``h`` (m; 1 m at least) that do
    not depend on the row's time or time sd: the variance terms ``t00``, ``t11``,
    ``p22``'s partners ``2 ((t01 + t02) + t12)`` and its magnitude's bound
    ``2 (|t01| + |t02| + |t12|)``, the sound's delay ``b`` (s), ``|t00|`` and
    ``|t11|``. A window's rows share them (one event, one position)."""
    rho = h if (h >= 1.0 or h != h) else 1.0
    f = speed / (rho * c)
    gx = f * dx
    gy = f * dy
    t00 = gx * gx * p00
    t11 = gy * gy * p11
    t01 = gx * gy * p01
    t02 = gx * p02
    t12 = gy * p12
    cross = 2 * ((t01 + t02) + t12)
    e_cross = 2 * (abs(t01) + abs(t02) + abs(t12))
    b = speed * rho / c
    return t00, t11, cross, e_cross, b, abs(t00), abs(t11)


def _time_sides(
    geo: tuple[float, float, float, float, float, float, float], p22: float, sj: float,
    a: float,
) -> tuple[float, float, float]:  # fmt: skip
    """The marginal time test's two sides from :func:`_time_geometry`'s terms:
    ``r_t²`` and ``var_t`` (``a`` = the row's time less the event's, ``sj`` the
    time sd), and a bound on how far either side moves when the distance moves
    by a few units in its last place (its terms' magnitudes by 1e-12, and
    1e-290 where they are subnormal)."""
    t00, t11, cross, e_cross, b, a00, a11 = geo
    st = sj * sj
    var_t = (((st + t00) + t11) + p22) + cross
    r_t = a - b
    e_t = 1e-12 * (abs(a) + abs(b))
    e_var = 1e-12 * ((st + a00 + a11 + abs(p22)) + e_cross)
    return r_t * r_t, var_t, (2.0 * abs(r_t) + e_t) * e_t + e_var + 1e-290


def _marginal_time_loop(
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
    c: float,
    q: float,
) -> tuple[Any, Any, Any, Any]:
    """Per candidate (event ``g[i]``, row ``k[i]``): whether its time residual
    passes ``q`` (the marginal gate's time half, the numpy code's arithmetic in its
    order); and the candidates that passed with a bearing, ``at``, with the event
    less the observer ``dx``, ``dy`` (m): their bearing half needs numpy's
    ``arctan2`` of these (:func:`_marginal_bearing_loop`). The test is first made
    at the distance by ``sqrt`` (~10 ns less than ``hypot``, which agrees with it
    to a unit or two in the last place) and made again at ``hypot``'s only when
    its two sides lie within the bound of :func:`_time_sides` (or are not finite).
    The terms of :func:`_time_geometry` are made again only when the event, the
    event less the observer or the speed factor differs from the previous
    candidate's (windows list each event's rows of one position together): the
    same inputs, so the same numbers (a zero ``dx`` or ``dy`` may differ in sign
    from the one they were made with: then only the sign of a zero term
    differs, which no sum with a nonzero term and no comparison sees)."""
    n = g.shape[0]
    out = np.empty(n, np.bool_)
    at = np.empty(n, np.intp)
    dxs = np.empty(n)
    dys = np.empty(n)
    m = 0
    e_was = -1
    dx_was = dy_was = sp_was = math.nan
    p00 = p01 = p02 = p11 = p12 = p22 = 0.0
    geo = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    for i in range(n):
        e = g[i]
        j = k[i]
        sp = speed[j]
        dx = ex[e] - ox[j]
        dy = ey[e] - oy[j]
        # NaN never equals: such a candidate's terms are always made afresh
        if not (e == e_was and dx == dx_was and dy == dy_was and sp == sp_was):
            e_was, dx_was, dy_was, sp_was = e, dx, dy, sp
            p00 = cov9[e, 0]
            p01 = cov9[e, 1]
            p02 = cov9[e, 2]
            p11 = cov9[e, 4]
            p12 = cov9[e, 5]
            p22 = cov9[e, 8]
            geo = _time_geometry(
                dx, dy, math.sqrt(dx * dx + dy * dy), p00, p01, p02, p11, p12, sp, c
            )
        a = t[j] - eT[e]
        sj = sigma_t[j]
        lhs, var_t, err = _time_sides(geo, p22, sj, a)
        rhs = q * var_t
        if abs(lhs - rhs) > err * (1.0 + q):
            ok = lhs <= rhs
        else:  # near the gate, or not finite: at hypot's distance
            at_h = _time_geometry(dx, dy, math.hypot(dx, dy), p00, p01, p02, p11, p12, sp, c)
            lhs, var_t, err = _time_sides(at_h, p22, sj, a)
            ok = lhs <= q * var_t
        w = az[j]
        if ok and w - w == 0.0:  # a bearing: its residual too
            at[m] = i
            dxs[m] = dx
            dys[m] = dy
            m += 1
        out[i] = ok
    return out, at[:m], dxs[:m], dys[:m]


def _marginal_bearing_loop(
    out: Any,
    at: Any,
    cov9: Any,
    g: Any,
    k: Any,
    az: Any,
    sigma_az: Any,
    dx: Any,
    dy: Any,
    ang: Any,
    q: float,
) -> bool:
    """The marginal gate's bearing half, in place on ``out``, for the candidates
    ``at`` (:func:`_marginal_time_loop`'s, ``ang`` = arctan2(dx, dy) by numpy);
    returns whether every azimuth residual was in the range wrapped here
    (otherwise the caller computes in numpy)."""
    wrapped = True
    for u in range(at.shape[0]):
        i = at[u]
        e = g[i]
        j = k[i]
        h = math.hypot(dx[u], dy[u])
        rho = h if (h >= 1.0 or h != h) else 1.0
        rho2 = rho * rho
        ax = dy[u] / rho2
        ay = -dx[u] / rho2
        sa = sigma_az[j] * sigma_az[j]
        var_az = (sa + ax * ax * cov9[e, 0]) + ay * ay * cov9[e, 4]
        var_az = var_az + 2 * ax * ay * cov9[e, 1]
        # numpy's float remainder by 2 pi, exact on (-2 pi, 4 pi) (see
        # fuse.normal); outside, the whole call goes back to numpy
        v = (az[j] - ang[u]) + _PI
        if v <= -_TWO_PI or v >= 2.0 * _TWO_PI:
            wrapped = False
        m = _rem_2pi(v)
        r_az = m - _PI
        out[i] = r_az * r_az <= q * var_az
    return wrapped


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


@getter
def quad_kernel() -> Callable[..., tuple[Any, Any]] | None:
    """:func:`_quad_loop` compiled (on first use), or None without the ``fast``
    extra."""
    return compiled_calling(_quad_loop, _upper3=cofactor.upper3, _quadratic3=cofactor.quadratic3)


@getter
def marginal_kernels() -> tuple[Callable[..., Any], Callable[..., bool]] | None:
    """:func:`_marginal_time_loop` and :func:`_marginal_bearing_loop` compiled (on
    first use), or None without the ``fast`` extra."""
    time_loop = compiled_calling(
        _marginal_time_loop, _time_geometry=_time_geometry, _time_sides=_time_sides
    )
    bearing_loop = compiled_calling(_marginal_bearing_loop, _rem_2pi=normal.remainder_2pi)
    if time_loop is None or bearing_loop is None:
        return None
    return time_loop, bearing_loop


@getter
def normalized_kernel() -> Callable[..., tuple[Any, Any, Any, bool]] | None:
    """:func:`_normalized_loop` compiled (on first use), or None without the
    ``fast`` extra."""
    if not _fma_overload():
        return None
    return compiled_calling(
        _normalized_loop, _rem_2pi=normal.remainder_2pi, _nan_to_num=normal.nan_to_num
    )
