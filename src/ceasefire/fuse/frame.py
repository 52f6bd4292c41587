"""Projection of observations into one local metric frame (x east, y north, m)
with grid-convergence corrected bearings, and back to WGS84 with covariances
rotated to true east/north."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ceasefire.geo import LocalFrame
from ceasefire.geo.frame import DEDUP_MIN, distinct_points

F8 = npt.NDArray[np.float64]

_STEP_DEG = 1e-4


@dataclass(frozen=True)
class Grid:
    """A :class:`LocalFrame` plus the convergence of its grid against true north."""

    frame: LocalFrame

    @staticmethod
    def about(lat: npt.ArrayLike, lon: npt.ArrayLike) -> Grid:
        """A grid about the middle of the points (degrees)."""
        la = np.asarray(lat, float)
        lo = np.asarray(lon, float)
        ok = np.isfinite(la) & np.isfinite(lo)
        if not ok.any():
            return Grid(LocalFrame(0.0, 0.0))
        return Grid(LocalFrame.about(la[ok], lo[ok]))

    def to_xy(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> tuple[F8, F8]:
        """(x, y) in m."""
        return self.frame.to_xy(lat, lon)

    def to_latlon(self, x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[F8, F8]:
        """(lat, lon) in degrees."""
        return self.frame.to_latlon(x, y)

    def convergence_rad(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> F8:
        """Grid azimuth of true north at each point, rad (add it to a true bearing)."""
        la = np.asarray(lat, float)
        lo = np.asarray(lon, float)
        x0, y0 = self.frame.to_xy(la, lo)
        x1, y1 = self.frame.to_xy(la + _STEP_DEG, lo)
        return np.arctan2(x1 - x0, y1 - y0)

    def xy_and_convergence(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> tuple[F8, F8, F8]:
        """:meth:`to_xy` and :meth:`convergence_rad` of the same points (m, m, rad):
        both elementwise, so made once per distinct position (reports repeat their
        observer's: ~260 positions among 60 k reports of a stress tile) and spread
        back, the same numbers by one sort of the points instead of three."""
        la = np.asarray(lat, float)
        lo = np.asarray(lon, float)
        if la.ndim == 1 and la.shape[0] >= DEDUP_MIN and la.shape == lo.shape:
            first, back = distinct_points(la, lo)
            if first.shape[0] * 2 <= la.shape[0]:
                x, y = self.to_xy(la[first], lo[first])
                g = self.convergence_rad(la[first], lo[first])
                return x[back], y[back], g[back]
        x, y = self.to_xy(la, lo)
        return x, y, self.convergence_rad(la, lo)

    def cov_to_en(self, cov_xy: F8, lat: npt.ArrayLike, lon: npt.ArrayLike) -> F8:
        """Covariances ``(n, 2, 2)`` in grid axes → true east/north axes at each point."""
        g = self.convergence_rad(lat, lon)
        c, s = np.cos(g), np.sin(g)
        rot = np.empty((g.shape[0], 2, 2))
        rot[:, 0, 0] = c
        rot[:, 0, 1] = -s
        rot[:, 1, 0] = s
        rot[:, 1, 1] = c
        return np.einsum("nij,njk,nlk->nil", rot, cov_xy, rot)
