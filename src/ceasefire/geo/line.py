"""A polyline on the ellipsoid (a contact or reference line): geodesic distance
to it, the side of it a point lies on, chainage along it, and one-sided buffers.

Left and right are relative to the line's drawing direction: walking from the
first vertex to the last, left is on the walker's left hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import LineString, Polygon
from shapely.geometry.polygon import orient

from ceasefire.geo.frame import LocalFrame
from ceasefire.geo.geodesy import distance_m, line_length_km

F8 = npt.NDArray[np.float64]
LEFT = 1
RIGHT = -1


#: lines of at most this many segments are searched by numpy (:func:`_locate`)
#: (no point geometries to build); longer ones through shapely
_NUMPY_SEGMENTS = 64


#: rows of query points searched against every segment at once (the ``(rows, k)``
#: temporaries stay in cache; fewer rows per call cost numpy's per-call overhead)
_BLOCK = 2048


@dataclass(frozen=True)
class _Segments:
    """A polyline's segments in its local frame (m), made once per line: starts
    ``ax``, ``ay`` ``(k,)``, steps ``dx``, ``dy``, squared lengths ``l2`` (at least
    1e-18) and lengths ``l``, chainage of each start ``s0``, and unit directions
    ``ux``, ``uy``."""

    ax: F8
    ay: F8
    dx: F8
    dy: F8
    l2: F8
    l: F8  # noqa: E741
    s0: F8
    ux: F8
    uy: F8

    @staticmethod
    def of(coords: F8, cum_m: F8) -> _Segments:
        dx, dy = np.diff(coords[:, 0]), np.diff(coords[:, 1])
        l2 = np.maximum(dx * dx + dy * dy, 1e-18)
        norm = np.hypot(dx, dy)
        with np.errstate(invalid="ignore", divide="ignore"):  # a repeated vertex: NaN
            ux, uy = dx / norm, dy / norm
        return _Segments(
            coords[:-1, 0].copy(), coords[:-1, 1].copy(), dx, dy, l2, np.sqrt(l2),
            cum_m[:-1].copy(), ux, uy,
        )  # fmt: skip


def _locate(seg: _Segments, x: F8, y: F8) -> tuple[F8, F8, F8]:
    """Chainage (m) and nearest point of each (x, y) on the polyline: the closest
    of the clamped projections on every segment (the first segment on a tie; a
    point no segment is at a finite distance from gets 0, 0, 0)."""
    n = x.shape[0]
    s, qx, qy = np.empty(n), np.empty(n), np.empty(n)
    for a in range(0, n, _BLOCK):
        b = min(a + _BLOCK, n)
        xc, yc = x[a:b, None], y[a:b, None]
        t = ((xc - seg.ax) * seg.dx + (yc - seg.ay) * seg.dy) / seg.l2
        np.clip(t, 0.0, 1.0, out=t)
        px = seg.ax + t * seg.dx
        py = seg.ay + t * seg.dy
        d2 = (xc - px) ** 2 + (yc - py) ** 2
        d2[np.isnan(d2)] = np.inf
        k = np.argmin(d2, axis=1)
        r = np.arange(b - a)
        found = d2[r, k] < np.inf
        s[a:b] = np.where(found, seg.s0[k] + t[r, k] * seg.l[k], 0.0)
        qx[a:b] = np.where(found, px[r, k], 0.0)
        qy[a:b] = np.where(found, py[r, k], 0.0)
    return s, qx, qy


@dataclass(frozen=True)
class Nearest:
    """Per query point: geodesic distance to the line (m), side (+1 left, -1 right),
    chainage of the nearest point along the line (m), the unit normal pointing
    left at the nearest point (east, north), and the nearest point (lat, lon)."""

    distance_m: F8
    side: npt.NDArray[np.int8]
    chainage_m: F8
    normal_e: F8
    normal_n: F8
    lat: F8
    lon: F8


@dataclass(frozen=True)
class GeoLine:
    """A polyline of WGS84 vertices (degrees), in drawing order."""

    lats: tuple[float, ...]
    lons: tuple[float, ...]
    frame: LocalFrame = field(init=False, repr=False, compare=False)
    local: LineString = field(init=False, repr=False, compare=False)
    _cum_m: F8 = field(init=False, repr=False, compare=False)
    _seg: _Segments = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.lats) != len(self.lons) or len(self.lats) < 2:
            raise ValueError("a line needs at least two vertices with lat and lon each")
        frame = LocalFrame.about(self.lats, self.lons)
        x, y = frame.to_xy(self.lats, self.lons)
        local = LineString(np.column_stack([x, y]))
        seg = np.hypot(np.diff(x), np.diff(y))
        object.__setattr__(self, "frame", frame)
        object.__setattr__(self, "local", local)
        cum_m = np.concatenate([[0.0], np.cumsum(seg)])
        object.__setattr__(self, "_cum_m", cum_m)
        object.__setattr__(self, "_seg", _Segments.of(np.asarray(local.coords), cum_m))

    @staticmethod
    def from_lonlat(coords: list[list[float]] | list[tuple[float, float]]) -> GeoLine:
        """From GeoJSON-ordered ``[lon, lat]`` pairs."""
        return GeoLine(tuple(float(c[1]) for c in coords), tuple(float(c[0]) for c in coords))

    @property
    def length_km(self) -> float:
        """Geodesic length, km."""
        return line_length_km(self.lats, self.lons)

    @property
    def is_simple(self) -> bool:
        """False when the line crosses itself."""
        return bool(self.local.is_simple)

    def nearest(self, lat: npt.ArrayLike, lon: npt.ArrayLike, *, repeats: bool = True) -> Nearest:
        """Distance, side, chainage and normal for each (lat, lon); vectorized.
        ``repeats``: as :meth:`LocalFrame.to_xy` takes it (False: the points are
        distinct; the same numbers, without searching for repeats)."""
        lat_a = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        lon_a = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        side, s, qx, qy, tx, ty = self._project(lat_a, lon_a, repeats)
        qlat, qlon = self.frame.to_latlon(qx, qy)
        dist = distance_m(lat_a, lon_a, qlat, qlon)
        return Nearest(dist, side, s, -ty, tx, qlat, qlon)

    def sides_and_distances(
        self, lat: npt.ArrayLike, lon: npt.ArrayLike, wanted: npt.NDArray[np.bool_],
        *, repeats: bool = True,
    ) -> tuple[npt.NDArray[np.int8], F8]:  # fmt: skip
        """:meth:`nearest`'s side (+1 left, -1 right) of every (lat, lon) and its
        distance (m) where ``wanted`` (NaN elsewhere): the nearest point is taken
        back to the globe and measured for those only (both pointwise: the same
        numbers). ``repeats``: as :meth:`nearest` takes it."""
        lat_a = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        lon_a = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        side, _, qx, qy, _, _ = self._project(lat_a, lon_a, repeats)
        dist = np.full(lat_a.shape[0], np.nan)
        w = np.flatnonzero(wanted)
        if w.shape[0]:
            qlat, qlon = self.frame.to_latlon(qx[w], qy[w])
            dist[w] = distance_m(lat_a[w], lon_a[w], qlat, qlon)
        return side, dist

    def sides(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> npt.NDArray[np.int8]:
        """:meth:`nearest`'s side alone (+1 left, -1 right) for each (lat, lon),
        without the nearest point's position and geodesic distance."""
        lat_a = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        lon_a = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        return self._project(lat_a, lon_a)[0]

    def _project(
        self, lat_a: F8, lon_a: F8, repeats: bool = True
    ) -> tuple[npt.NDArray[np.int8], F8, F8, F8, F8, F8]:
        """Side, chainage (m), nearest point (local x, y, m) and the unit tangent
        there (local x, y) of each (lat, lon) (``repeats``: :meth:`nearest`'s)."""
        x, y = self.frame.to_xy(lat_a, lon_a, repeats=repeats)
        seg = self._seg
        nseg = seg.ax.shape[0]
        if nseg <= _NUMPY_SEGMENTS:
            s, qx, qy = _locate(seg, x, y)
        else:
            pts = shapely.points(x, y)
            s = np.asarray(shapely.line_locate_point(self.local, pts), dtype=np.float64)
            q = shapely.line_interpolate_point(self.local, s)
            qx, qy = shapely.get_x(q), shapely.get_y(q)
        k = np.clip(np.searchsorted(self._cum_m, s, side="right") - 1, 0, nseg - 1)
        tx, ty = seg.ux[k], seg.uy[k]
        # at an interior vertex the tangent is the mean of both segments' directions
        # (``np.isclose(s, s0, atol=1e-6)`` written out: s0 is finite)
        s0 = self._cum_m[k]
        at_vertex = (np.abs(s - s0) <= 1e-6 + 1e-5 * np.abs(s0)) & (k > 0)
        if np.any(at_vertex):
            kv = k[at_vertex]
            bx = seg.ux[kv] + seg.ux[kv - 1]
            by = seg.uy[kv] + seg.uy[kv - 1]
            nb = np.hypot(bx, by)
            nb[nb == 0] = 1.0
            tx[at_vertex], ty[at_vertex] = bx / nb, by / nb
        cross = tx * (y - qy) - ty * (x - qx)
        side = np.where(cross >= 0, LEFT, RIGHT).astype(np.int8)
        return side, s, qx, qy, tx, ty

    def buffer(self, left_m: float, right_m: float, *, quad_segs: int = 8) -> Polygon:
        """The one-sided band of ``left_m`` to the left and ``right_m`` to the right,
        as a polygon in this line's local frame (m)."""
        parts = []
        if left_m > 0:
            parts.append(self.local.buffer(left_m, quad_segs=quad_segs, single_sided=True))
        if right_m > 0:
            parts.append(self.local.buffer(-right_m, quad_segs=quad_segs, single_sided=True))
        if not parts:
            return Polygon()
        geom = shapely.union_all(parts)
        return geom if isinstance(geom, Polygon) else shapely.convex_hull(geom)

    def to_lonlat_polygon(self, poly: Polygon) -> list[list[float]]:
        """Exterior ring of a local-frame polygon as ``[lon, lat]`` pairs, wound
        counter-clockwise as RFC 7946 (GeoJSON) requires of exterior rings (the
        local frame's x east, y north keep the sense of lon, lat)."""
        x, y = np.asarray(orient(poly, sign=1.0).exterior.coords).T
        lat, lon = self.frame.to_latlon(x, y)
        return [[round(float(a), 6), round(float(b), 6)] for a, b in zip(lon, lat, strict=True)]
