"""Bearing triangulation: ray intersection, the Stansfield (pseudo-linear) start,
and the iterated maximum-likelihood fix with its covariance (inverse Fisher
information). Local-frame functions take metres and bearings in degrees
clockwise from grid north; :func:`triangulate_wgs84` works on WGS84 degrees."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ceasefire.fuse.frame import Grid
from ceasefire.fuse.solve import Rows, fit
from ceasefire.model.results import Ellipse, ellipse_from_cov

F8 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Fix:
    """A position estimate: ``x``/``y`` m in the frame used (or ``lat``/``lon`` degrees
    when from WGS84), ``cov_m2`` = (var_east, var_north, cov_en) m², ``chi2``/``dof``."""

    x: float
    y: float
    cov_m2: tuple[float, float, float]
    chi2: float
    dof: int
    lat: float | None = None
    lon: float | None = None
    time_s: float | None = None

    @property
    def ellipse(self) -> Ellipse:
        """The 95 % ellipse."""
        return ellipse_from_cov(self.cov_m2)


def intersect_rays(
    ox1: F8, oy1: F8, az1_rad: F8, ox2: F8, oy2: F8, az2_rad: F8
) -> tuple[F8, F8, F8, F8, F8]:
    """Intersection of rays from (ox1, oy1) and (ox2, oy2) along grid azimuths (rad).

    Returns ``(x, y, r1, r2, sin_angle)``: the crossing point (m), the distances
    along each ray (negative when behind the observer) and the sine of the
    crossing angle (0 for parallel rays, where x, y, r are NaN)."""
    u1x, u1y = np.sin(az1_rad), np.cos(az1_rad)
    u2x, u2y = np.sin(az2_rad), np.cos(az2_rad)
    den = u1x * u2y - u1y * u2x
    dx, dy = ox2 - ox1, oy2 - oy1
    with np.errstate(divide="ignore", invalid="ignore"):
        r1 = np.where(den != 0, (dx * u2y - dy * u2x) / den, np.nan)
        r2 = np.where(den != 0, (dx * u1y - dy * u1x) / den, np.nan)
    return ox1 + r1 * u1x, oy1 + r1 * u1y, r1, r2, den


def stansfield(
    ox: F8, oy: F8, az_rad: F8, sigma_rad: F8, iterations: int = 2
) -> tuple[float, float]:
    """Stansfield's weighted pseudo-linear estimate of the crossing point of bearing
    lines (m): minimizes sum w (n·(p - o))² with w = 1/(sigma rho)², rho re-estimated."""
    nx, ny = np.cos(az_rad), -np.sin(az_rad)
    w = 1.0 / np.asarray(sigma_rad, float) ** 2
    rho = np.ones_like(w)
    p = np.array([np.nan, np.nan])
    for _ in range(iterations + 1):
        ww = w / rho**2
        A = np.array(
            [
                [np.sum(ww * nx * nx), np.sum(ww * nx * ny)],
                [np.sum(ww * nx * ny), np.sum(ww * ny * ny)],
            ]
        )
        rhs = np.array(
            [np.sum(ww * nx * (nx * ox + ny * oy)), np.sum(ww * ny * (nx * ox + ny * oy))]
        )
        if abs(np.linalg.det(A)) < 1e-30 * max(float(np.trace(A)) ** 2, 1e-300):
            return float("nan"), float("nan")
        p = np.linalg.solve(A, rhs)
        rho = np.maximum(np.hypot(p[0] - ox, p[1] - oy), 1.0)
    return float(p[0]), float(p[1])


def triangulate(
    ox: npt.ArrayLike,
    oy: npt.ArrayLike,
    bearing_deg: npt.ArrayLike,
    sigma_deg: npt.ArrayLike,
    range_m: npt.ArrayLike | None = None,
    range_sigma_m: npt.ArrayLike | None = None,
) -> Fix:
    """ML fix from bearings (deg from grid north) at observers (m), with optional
    ranges (m, NaN where absent): Stansfield start, Gauss-Newton refinement,
    covariance = inverse Fisher information at the solution."""
    ox_a = np.atleast_1d(np.asarray(ox, float))
    oy_a = np.atleast_1d(np.asarray(oy, float))
    n = ox_a.shape[0]
    az = np.radians(np.broadcast_to(np.asarray(bearing_deg, float), (n,)))
    saz = np.radians(np.broadcast_to(np.asarray(sigma_deg, float), (n,)))
    nan = np.full(n, np.nan)
    rng = nan if range_m is None else np.broadcast_to(np.asarray(range_m, float), (n,)).copy()
    srng = (
        nan
        if range_sigma_m is None
        else np.broadcast_to(np.asarray(range_sigma_m, float), (n,)).copy()
    )
    has_r = np.isfinite(rng)
    if n >= 2 and np.sum(np.isfinite(az)) >= 2:
        x0, y0 = stansfield(ox_a, oy_a, az, saz)
    else:
        x0, y0 = float("nan"), float("nan")
    if not np.isfinite(x0) and has_r.any():
        k = int(np.argmax(has_r))
        x0 = ox_a[k] + rng[k] * np.sin(az[k])
        y0 = oy_a[k] + rng[k] * np.cos(az[k])
    if not np.isfinite(x0):
        raise ValueError("bearings do not determine a position (parallel or single without range)")
    # time is absent: a 2-parameter problem; pin T with a dummy exact time row
    rows = Rows(
        np.append(ox_a, 0.0),
        np.append(oy_a, 0.0),
        np.append(az, np.nan),
        np.append(saz, 1.0),
        np.append(nan, 0.0),
        np.append(nan, 1.0),
        np.append(np.zeros(n), 0.0),
        np.append(rng, np.nan),
        np.append(srng, 1.0),
    )
    g = np.zeros(n + 1, np.intp)
    f = fit(rows, g, 1, np.array([x0]), np.array([y0]), np.array([0.0]), 343.0)
    if not f.ok[0]:
        raise ValueError("bearings do not determine a position (degenerate geometry)")
    c = f.cov[0]
    return Fix(
        float(f.x[0]),
        float(f.y[0]),
        (float(c[0, 0]), float(c[1, 1]), float(c[0, 1])),
        float(f.chi2[0]),
        int(f.dof[0]),
    )


def triangulate_wgs84(
    lat: npt.ArrayLike,
    lon: npt.ArrayLike,
    bearing_deg: npt.ArrayLike,
    sigma_deg: npt.ArrayLike,
    range_m: npt.ArrayLike | None = None,
    range_sigma_m: npt.ArrayLike | None = None,
) -> Fix:
    """:func:`triangulate` for observers in WGS84 degrees and true bearings; the fix
    has ``lat``/``lon`` and ``cov_m2`` in true east/north at the fix."""
    grid = Grid.about(lat, lon)
    ox, oy = grid.to_xy(lat, lon)
    b = np.asarray(bearing_deg, float) + np.degrees(grid.convergence_rad(lat, lon))
    f = triangulate(ox, oy, b, sigma_deg, range_m, range_sigma_m)
    la, lo = grid.to_latlon(np.array([f.x]), np.array([f.y]))
    cov = np.array([[[f.cov_m2[0], f.cov_m2[2]], [f.cov_m2[2], f.cov_m2[1]]]])
    en = grid.cov_to_en(cov, la, lo)[0]
    return Fix(
        f.x,
        f.y,
        (float(en[0, 0]), float(en[1, 1]), float(en[0, 1])),
        f.chi2,
        f.dof,
        float(la[0]),
        float(lo[0]),
    )
