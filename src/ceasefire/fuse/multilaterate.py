"""TDOA multilateration of acoustic arrivals, solving jointly for the emission
time: a closed-form start (Chan-Ho style differencing of the range equations,
linear for four or more sensors, a quadratic in the emission time for three)
refined by Gauss-Newton; covariance = inverse Fisher information."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ceasefire.fuse.solve import Rows, fit
from ceasefire.model.vocab import SPEED_OF_SOUND_M_S

F8 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class TdoaFix:
    """Source position (m), emission time (s), covariance ``(3, 3)`` over
    (x, y, T), chi2 and dof of the fit."""

    x: float
    y: float
    time_s: float
    cov: F8
    chi2: float
    dof: int

    @property
    def cov_m2(self) -> tuple[float, float, float]:
        """(var_x, var_y, cov_xy) of the position, m²."""
        return (float(self.cov[0, 0]), float(self.cov[1, 1]), float(self.cov[0, 1]))


def tdoa_start(
    sx: F8, sy: F8, t_s: F8, c: float = SPEED_OF_SOUND_M_S
) -> list[tuple[float, float, float]]:
    """Closed-form candidate solutions ``(x, y, T)`` of the range equations
    ``|p - s_i| = c (t_i - T)``; one for four or more sensors, up to two for three."""
    sx = np.asarray(sx, float)
    sy = np.asarray(sy, float)
    t = np.asarray(t_s, float)
    n = sx.shape[0]
    if n < 3:
        return []
    mx, my, t0 = sx.mean(), sy.mean(), t.min()
    X, Y, tt = sx - mx, sy - my, t - t0
    # 2 (s_i - s_0)·p - 2 c² (t_i - t_0) T = |s_i|² - |s_0|² - c² (t_i² - t_0²)
    A = np.column_stack([2 * (X[1:] - X[0]), 2 * (Y[1:] - Y[0]), -2 * c * c * (tt[1:] - tt[0])])
    rhs = (X[1:] ** 2 + Y[1:] ** 2) - (X[0] ** 2 + Y[0] ** 2) - c * c * (tt[1:] ** 2 - tt[0] ** 2)
    if n >= 4:
        sol, *_ = np.linalg.lstsq(A, rhs, rcond=None)
        return [(float(sol[0] + mx), float(sol[1] + my), float(sol[2] + t0))]
    # three sensors: p = a + b T from the two linear equations, then the range equation of 0
    M = A[:, :2]
    if abs(np.linalg.det(M)) < 1e-9:
        return []
    a = np.linalg.solve(M, rhs)
    b = np.linalg.solve(M, -A[:, 2])
    da = a - np.array([X[0], Y[0]])
    # |da + b T|² = c² (tt0 - T)²
    qa = b @ b - c * c
    qb = 2 * da @ b + 2 * c * c * tt[0]
    qc = da @ da - c * c * tt[0] ** 2
    if abs(qa) < 1e-12:
        roots = np.array([-qc / qb]) if qb != 0 else np.array([])
    else:
        disc = qb * qb - 4 * qa * qc
        if disc < 0:
            return []
        sq = np.sqrt(disc)
        roots = np.array([(-qb - sq) / (2 * qa), (-qb + sq) / (2 * qa)])
    out = []
    for T in roots:
        if tt.min() + 1e-6 >= T:
            p = a + b * T
            out.append((float(p[0] + mx), float(p[1] + my), float(T + t0)))
    return out


def multilaterate(
    sx: npt.ArrayLike,
    sy: npt.ArrayLike,
    t_s: npt.ArrayLike,
    sigma_s: npt.ArrayLike,
    c: float = SPEED_OF_SOUND_M_S,
) -> TdoaFix:
    """ML source position and emission time from arrival times ``t_s`` (s, sd
    ``sigma_s``) at sensors (m). Raises ValueError when the arrivals do not
    determine a solution."""
    sx_a = np.atleast_1d(np.asarray(sx, float))
    sy_a = np.atleast_1d(np.asarray(sy, float))
    t = np.atleast_1d(np.asarray(t_s, float))
    n = sx_a.shape[0]
    st = np.broadcast_to(np.asarray(sigma_s, float), (n,)).copy()
    starts = tdoa_start(sx_a, sy_a, t, c)
    if not starts:
        raise ValueError(f"{n} arrivals do not determine a source (need 3, non-degenerate)")
    nan = np.full(n, np.nan)
    rows = Rows(sx_a, sy_a, nan, nan, t, st, np.ones(n), nan, nan)
    best: TdoaFix | None = None
    for x0, y0, T0 in starts:
        f = fit(rows, np.zeros(n, np.intp), 1, np.array([x0]), np.array([y0]), np.array([T0]), c)
        if not f.ok[0]:
            continue
        cand = TdoaFix(
            float(f.x[0]), float(f.y[0]), float(f.T[0]), f.cov[0], float(f.chi2[0]), int(f.dof[0])
        )
        if best is None or cand.chi2 < best.chi2 - 1e-9:
            best = cand
    if best is None:
        raise ValueError(f"{n} arrivals give a degenerate geometry")
    return best
