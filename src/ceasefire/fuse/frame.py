"""Projection of observations into one local metric frame (x east, y north, m)
with grid-convergence corrected bearings, and back to WGS84 with covariances
rotated to true east/north."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ceasefire.geo import LocalFrame
from ceasefire.geo.frame import per_distinct_point

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
        if not ok.all():
            la, lo = la[ok], lo[ok]
        return Grid(LocalFrame.about(la, lo))

    def to_xy(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> tuple[F8, F8]:
        """(x, y) in m."""
        return self.frame.to_xy(lat, lon)

    def to_latlon(self, x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[F8, F8]:
        """(lat, lon) in degrees."""
        return self.frame.to_latlon(x, y)

    def convergence_rad(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> F8:
        """Grid azimuth of true north at each point, rad (add it to a true bearing)."""
        return self.xy_and_convergence(lat, lon)[2]

    def _xy_conv(self, la: F8, lo: F8) -> tuple[F8, F8, F8]:
        """(x, y, convergence) of the points (any equal shapes): they and the points
        ``_STEP_DEG`` north of them in one call of the projection, which is
        pointwise: the numbers of a call each (a call costs ~5 us before its
        points; a (2, ...) input is not deduplicated again by ``to_xy``)."""
        x, y = self.frame.to_xy(np.stack([la, la + _STEP_DEG]), np.stack([lo, lo]))
        return x[0], y[0], np.arctan2(x[1] - x[0], y[1] - y[0])

    def xy_and_convergence(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> tuple[F8, F8, F8]:
        """:meth:`to_xy` and :meth:`convergence_rad` of the same points (m, m, rad):
        both elementwise, so made once per distinct position (reports repeat their
        observer's: ~260 positions among 60 k reports of a stress tile) and spread
        back, the same numbers by one sort of the points instead of three."""
        return per_distinct_point(self._xy_conv, np.asarray(lat, float), np.asarray(lon, float))

    def cov_to_en(
        self, cov_xy: F8, lat: npt.ArrayLike, lon: npt.ArrayLike, *, repeats: bool = True
    ) -> F8:
        """Covariances ``(n, 2, 2)`` in grid axes → true east/north axes at each point.
        ``repeats`` False: the caller knows the points are (nearly all) distinct
        (fused positions), so the convergence is made at every one without the
        search for repeats (the same numbers: it is pointwise)."""
        if repeats:
            g = self.convergence_rad(lat, lon)
        else:
            g = self._xy_conv(np.asarray(lat, float), np.asarray(lon, float))[2]
        c, s = np.cos(g), np.sin(g)
        rot = np.empty((g.shape[0], 2, 2))
        rot[:, 0, 0] = c
        rot[:, 0, 1] = -s
        rot[:, 1, 0] = s
        rot[:, 1, 1] = c
        return np.einsum("nij,njk,nlk->nil", rot, cov_xy, rot)
