"""Side of the contact line in the fusion grid: of points, and of many points
along rays at once (the side at the ray's origin, flipped at each crossing of
the line: one geodesic side test per ray instead of one per sample). Past an end
of the line a ray keeps its side until it crosses, where the nearest-point test
would turn it round the end. The crossings are found by one compiled loop over
(ray, piece of the line) (numba, the ``fast`` extra: the numpy code's crossings,
~4x faster), else by the numpy code."""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ceasefire.fuse.compiled import compiled, getter
from ceasefire.fuse.frame import Grid
from ceasefire.geo import GeoLine
from ceasefire.geo.frame import frames_memo, per_distinct_point

F8 = npt.NDArray[np.float64]
IP = npt.NDArray[np.intp]

#: longest piece of the line between grid vertices, m (the line is straight in its
#: own local frame, nearly straight in the grid)
_PIECE_M = 2_000.0
#: rays x line pieces tested at once (memory bound)
_CHUNK = 4_000_000


@functools.lru_cache(maxsize=8)
def _densified(line: GeoLine) -> tuple[F8, F8]:
    """(lat, lon) ``(m + 1,)`` of the line's vertices and points between them at
    most ``_PIECE_M`` apart (in its own frame), made once per line (read-only)."""
    coords = np.asarray(line.local.coords)
    xs: list[F8] = []
    ys: list[F8] = []
    for (x0, y0), (x1, y1) in itertools.pairwise(coords):
        n = max(1, int(np.ceil(np.hypot(x1 - x0, y1 - y0) / _PIECE_M)))
        f = np.arange(n) / n
        xs.append(x0 + f * (x1 - x0))
        ys.append(y0 + f * (y1 - y0))
    xs.append(coords[-1:, 0])
    ys.append(coords[-1:, 1])
    la, lo = line.frame.to_latlon(np.concatenate(xs), np.concatenate(ys))
    la.flags.writeable = False
    lo.flags.writeable = False
    return la, lo


@dataclass(frozen=True)
class LineSides:
    """The contact line seen from a fusion grid."""

    line: GeoLine
    grid: Grid
    px: F8  # (m + 1,) grid vertices of the densified line
    py: F8

    @staticmethod
    def of(line: GeoLine, grid: Grid) -> LineSides:
        """The line's vertices in ``grid``: made once per grid origin within
        :func:`~ceasefire.geo.frame.frames_shared` (a fuse's tiles repeat their
        grids' origins: the bearing row's 74 tiles have 38), else each time."""
        memo = frames_memo()
        key = ("line_sides", line, grid.frame.lat0, grid.frame.lon0)
        if memo is not None:
            got = memo.get(key)
            if got is not None:
                return LineSides(line, grid, got[0], got[1])
        la, lo = _densified(line)
        # the line's points are distinct: no search for repeats
        px, py = grid.frame.to_xy(la, lo, repeats=False)
        if memo is not None:
            px.flags.writeable = False
            py.flags.writeable = False
            memo[key] = (px, py)
        return LineSides(line, grid, px, py)

    def points(self, x: F8, y: F8) -> IP:
        """Side (+1 left, -1 right) of grid points ``(n,)``."""
        if x.shape[0] == 0:
            return np.zeros(0, np.intp)
        # lone bearings' origins repeat their observers' positions: each distinct
        # one once (the round trip and the side are pointwise: the same sides)
        return per_distinct_point(self._each, x, y)[0]

    def _each(self, x: F8, y: F8) -> tuple[IP]:
        """:meth:`points` of every point (back on the globe, then the line's side)."""
        la, lo = self.grid.to_latlon(x, y)
        return (np.asarray(self.line.sides(la, lo), dtype=np.intp),)

    def rays(self, ox: F8, oy: F8, az: F8, dist: F8, side0: IP | None = None) -> IP:
        """Side ``(n, K)`` of the points at distances ``dist`` ``(K,)`` (ascending, m)
        along rays from ``(ox, oy)`` at grid azimuth ``az`` (rad); ``side0``: the
        origins' :meth:`points` when known."""
        n, k = ox.shape[0], dist.shape[0]
        if side0 is None:
            side0 = self.points(ox, oy)
        flips = np.zeros((n, k + 1), np.intp)
        kernel = flips_kernel()
        if n and k and kernel is not None:
            ex, ey = np.diff(self.px), np.diff(self.py)
            kernel(ox, oy, np.sin(az), np.cos(az), self.px[:-1], self.py[:-1], ex, ey, dist, flips)
        elif n and k:
            ux, uy = np.sin(az), np.cos(az)
            ex, ey = np.diff(self.px), np.diff(self.py)
            m = ex.shape[0]
            step = max(1, _CHUNK // max(m, 1))
            for a in range(0, n, step):
                b = min(a + step, n)
                qx = self.px[None, :-1] - ox[a:b, None]
                qy = self.py[None, :-1] - oy[a:b, None]
                den = ux[a:b, None] * ey[None, :] - uy[a:b, None] * ex[None, :]
                with np.errstate(divide="ignore", invalid="ignore"):
                    t = (qx * ey[None, :] - qy * ex[None, :]) / den
                    s = (qx * uy[a:b, None] - qy * ux[a:b, None]) / den
                hit = (s >= 0) & (s < 1) & (t > 0) & (t <= dist[-1]) & np.isfinite(t)
                ri, pj = np.nonzero(hit)
                np.add.at(flips, (ri + a, np.searchsorted(dist, t[ri, pj])), 1)
        odd = np.cumsum(flips[:, :k], axis=1) % 2
        return np.asarray(side0[:, None] * np.where(odd == 1, -1, 1), dtype=np.intp)


def _flips_loop(
    ox: Any, oy: Any, ux: Any, uy: Any, x0: Any, y0: Any, ex: Any, ey: Any, dist: Any, flips: Any
) -> None:
    """:meth:`LineSides.rays`' crossings as one loop over (ray, piece of the line):
    ``flips[r, h]`` counts ray ``r``'s crossings between ``dist[h - 1]`` and
    ``dist[h]`` (rays from ``(ox, oy)`` along ``(ux, uy)``, pieces from ``(x0, y0)``
    along ``(ex, ey)``, m). The numpy code's arithmetic in its order (products,
    differences and quotients round alike in both: the same crossings), without
    its ``(n, m)`` temporaries."""
    n = ox.shape[0]
    m = ex.shape[0]
    k = dist.shape[0]
    reach = dist[k - 1]
    for r in range(n):
        for j in range(m):
            qx = x0[j] - ox[r]
            qy = y0[j] - oy[r]
            den = ux[r] * ey[j] - uy[r] * ex[j]
            t = (qx * ey[j] - qy * ex[j]) / den
            s = (qx * uy[r] - qy * ux[r]) / den
            if s >= 0 and s < 1 and t > 0 and t <= reach and math.isfinite(t):
                h = 0  # numpy's searchsorted (left): the first distance >= t
                while h < k and dist[h] < t:
                    h += 1
                flips[r, h] += 1


@getter
def flips_kernel() -> Callable[..., None] | None:
    """:func:`_flips_loop` compiled, or None without the ``fast`` extra (the
    numpy code runs)."""
    return compiled(_flips_loop)
