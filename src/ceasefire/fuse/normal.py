"""The normal equations of the batched fit (:func:`ceasefire.fuse.solve.fit`) as
one compiled loop over the rows (numba, the ``fast`` extra), giving the numpy
code's Fisher information, gradient and chi-square to the bit: the same
arithmetic in the same order (each measurement type summed per event in row
order, as ``np.bincount`` sums, then the types added bearing, time, range). The
azimuth to each row is computed by numpy's ``arctan2`` before the loop (its SIMD
code need not round like libm's). Without numba, :func:`normal_kernel` is None
and the numpy code runs."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ceasefire.fuse.compiled import compiled_calling, getter, jit

_PI = math.pi
_TWO_PI = 2.0 * math.pi
#: numpy's ``nan_to_num`` of an infinity
_BIG = float(np.finfo(np.float64).max)


def remainder_2pi(v: float) -> float:
    """numpy's float remainder ``v % (2 pi)`` for ``v`` in (-2 pi, 4 pi) and NaN:
    fmod's exact result without the call (a call per row costs more than the rest
    of the row): v itself on (-2 pi, 2 pi) and for NaN, v - 2 pi on [2 pi, 4 pi)
    (exact: Sterbenz); then + 2 pi when negative, +0.0 when zero. The callers
    check the range."""
    m = v - _TWO_PI if v >= _TWO_PI else v
    m = m + _TWO_PI if m < 0.0 else m
    return 0.0 if m == 0.0 else m


def nan_to_num(v: float) -> float:
    """numpy's ``nan_to_num`` of one number: NaN as 0, infinities as the largest
    finite numbers."""
    if v != v:
        return 0.0
    if v > _BIG:
        return _BIG
    if v < -_BIG:
        return -_BIG
    return v


#: :func:`remainder_2pi` as :func:`row_terms` calls it: numba's compiled one once
#: :func:`bind_helpers` ran (a loop that calls row_terms compiles it afterwards)
_rem_2pi = remainder_2pi


@functools.cache
def bind_helpers() -> bool:
    """Bind :func:`row_terms`'s helper, compiled, in this module (once): numba
    compiles row_terms into a loop (here or in ``gauss_newton``) only when the
    functions it calls are compiled ones. False without numba."""
    j = jit()
    if j is None:
        return False
    globals()["_rem_2pi"] = j(remainder_2pi)
    return True


def row_terms(
    acc: Any,
    e: int,
    dx: float,
    dy: float,
    rho: float,
    v: float,
    t: float,
    t_event: float,
    rng: float,
    speed: float,
    sigma_az: float,
    sigma_t: float,
    sigma_rng: float,
    c: float,
) -> None:
    """Add one row's terms to ``acc[e]`` (``(3, 10)`` per event: per type k,
    bearing, time, range, H's upper triangle 00, 01, 02, 11, 12, 22, b 0, 1, 2 and
    chi2): the event at ``(dx, dy)`` (m) from the observer, ``rho`` the distance
    clipped at 1 m, ``v`` = observed - computed azimuth + pi (rad, in (-2 pi, 4 pi)),
    ``t``, ``t_event``: the report's and the event's time (s). Shared by the compiled loops
    (:func:`_normal_loop`, ``gauss_newton``), so they sum the same terms alike. The
    azimuth residual wraps as numpy's float remainder does, (a + pi) % (2 pi) - pi
    (:func:`remainder_2pi`)."""
    r_az = _rem_2pi(v) - _PI
    r_t = t - (t_event + speed * rho / c)
    r_rng = rng - rho
    rho2 = rho * rho
    for k in range(3):
        r = r_az if k == 0 else (r_t if k == 1 else r_rng)
        # not finite (inf - inf and NaN are NaN): no row, and its Jacobian's
        # divisions are not made (most rows have one or two measurements)
        if r - r != 0.0:
            continue
        if k == 0:
            sd = sigma_az
            a0 = dy / rho2
            a1 = -dx / rho2
            a2 = 0.0
        elif k == 1:
            sd = sigma_t
            f = speed / (rho * c)
            a0 = f * dx
            a1 = f * dy
            a2 = 1.0
        else:
            sd = sigma_rng
            a0 = dx / rho
            a1 = dy / rho
            a2 = 0.0
        w = 1.0 / (sd * sd)
        wa0 = w * a0
        wa1 = w * a1
        wa2 = w * a2
        acc[e, k, 0] += wa0 * a0
        acc[e, k, 1] += wa0 * a1
        acc[e, k, 2] += wa0 * a2
        acc[e, k, 3] += wa1 * a1
        acc[e, k, 4] += wa1 * a2
        acc[e, k, 5] += wa2 * a2
        acc[e, k, 6] += wa0 * r
        acc[e, k, 7] += wa1 * r
        acc[e, k, 8] += wa2 * r
        acc[e, k, 9] += w * r * r


#: the row's terms, rebound to numba's compiled helper when a loop is compiled
_row_terms = row_terms


def _normal_loop(
    ox: Any,
    oy: Any,
    az: Any,
    sigma_az: Any,
    t: Any,
    sigma_t: Any,
    speed: Any,
    rng: Any,
    sigma_rng: Any,
    g: Any,
    n: int,
    x: Any,
    y: Any,
    T: Any,
    ang: Any,
    c: float,
    idx: Any,
) -> tuple[Any, Any, Any, bool]:
    """Fisher information ``(n, 3, 3)``, gradient ``(n, 3)`` and chi-square ``(n,)``
    of rows labelled ``g`` for events ``(x, y, T)``; ``ang`` = arctan2(dx, dy) per
    row; ``idx``: row ``i`` of the loop reads the observation arrays at ``idx[i]``
    (a subset without gathering nine arrays); and whether every azimuth residual
    was in the range wrapped here (otherwise the caller computes in numpy). Per
    event e and type k (bearing, time, range), ``acc[e, k]`` holds H's upper
    triangle (00, 01, 02, 11, 12, 22), b (0, 1, 2) and chi2."""
    acc = np.zeros((n, 3, 10))
    ok = True
    for i in range(g.shape[0]):
        e = g[i]
        j = idx[i]
        dx = x[e] - ox[j]
        dy = y[e] - oy[j]
        h = math.hypot(dx, dy)
        rho = h if (h >= 1.0 or h != h) else 1.0
        # a row outside the range row_terms wraps sends the call back to numpy
        v = (az[j] - ang[i]) + _PI
        if v <= -_TWO_PI or v >= 2.0 * _TWO_PI:
            ok = False
        _row_terms(
            acc, e, dx, dy, rho, v, t[j], T[e], rng[j], speed[j],
            sigma_az[j], sigma_t[j], sigma_rng[j], c,
        )  # fmt: skip
    H = np.zeros((n, 3, 3))
    b = np.zeros((n, 3))
    chi2 = np.zeros(n)
    up = ((0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2))
    for e in range(n):
        for u in range(6):
            i0, j0 = up[u]
            v = ((0.0 + acc[e, 0, u]) + acc[e, 1, u]) + acc[e, 2, u]
            H[e, i0, j0] = v
            H[e, j0, i0] = v
        for u in range(3):
            b[e, u] = ((0.0 + acc[e, 0, 6 + u]) + acc[e, 1, 6 + u]) + acc[e, 2, 6 + u]
        chi2[e] = ((0.0 + acc[e, 0, 9]) + acc[e, 1, 9]) + acc[e, 2, 9]
    return H, b, chi2, ok


@getter
def normal_kernel() -> Callable[..., tuple[Any, Any, Any, bool]] | None:
    """:func:`_normal_loop` compiled (on first use: numba is imported only when a
    fit runs), or None without the ``fast`` extra."""
    if not bind_helpers():
        return None
    return compiled_calling(_normal_loop, _row_terms=row_terms)
