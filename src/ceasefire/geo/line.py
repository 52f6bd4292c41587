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


#: lines of at most this many segments are searched by numpy, segment by segment
#: (no point geometries to build); longer ones through shapely
_NUMPY_SEGMENTS = 64


def _locate(coords: F8, cum_m: F8, x: F8, y: F8) -> tuple[F8, F8, F8]:
    """Chainage (m) and nearest point of each (x, y) on the polyline ``coords``
    ``(k, 2)``: the closest of the clamped projections on every segment (the
    first segment on a tie)."""
    ax, ay = coords[:-1, 0], coords[:-1, 1]
    dx, dy = np.diff(coords[:, 0]), np.diff(coords[:, 1])
    l2 = np.maximum(dx * dx + dy * dy, 1e-18)
    best_d2 = np.full(x.shape[0], np.inf)
    best_s = np.zeros(x.shape[0])
    best_qx = np.zeros(x.shape[0])
    best_qy = np.zeros(x.shape[0])
    for i in range(dx.shape[0]):
        t = np.clip(((x - ax[i]) * dx[i] + (y - ay[i]) * dy[i]) / l2[i], 0.0, 1.0)
        qx = ax[i] + t * dx[i]
        qy = ay[i] + t * dy[i]
        d2 = (x - qx) ** 2 + (y - qy) ** 2
        better = d2 < best_d2
        best_d2 = np.where(better, d2, best_d2)
        best_s = np.where(better, cum_m[i] + t * np.sqrt(l2[i]), best_s)
        best_qx = np.where(better, qx, best_qx)
        best_qy = np.where(better, qy, best_qy)
    return best_s, best_qx, best_qy


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

    def __post_init__(self) -> None:
        if len(self.lats) != len(self.lons) or len(self.lats) < 2:
            raise ValueError("a line needs at least two vertices with lat and lon each")
        frame = LocalFrame.about(self.lats, self.lons)
        x, y = frame.to_xy(self.lats, self.lons)
        local = LineString(np.column_stack([x, y]))
        seg = np.hypot(np.diff(x), np.diff(y))
        object.__setattr__(self, "frame", frame)
        object.__setattr__(self, "local", local)
        object.__setattr__(self, "_cum_m", np.concatenate([[0.0], np.cumsum(seg)]))

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

    def nearest(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> Nearest:
        """Distance, side, chainage and normal for each (lat, lon); vectorized."""
        lat_a = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        lon_a = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        side, s, qx, qy, tx, ty = self._project(lat_a, lon_a)
        qlat, qlon = self.frame.to_latlon(qx, qy)
        dist = distance_m(lat_a, lon_a, qlat, qlon)
        return Nearest(dist, side, s, -ty, tx, qlat, qlon)

    def sides(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> npt.NDArray[np.int8]:
        """:meth:`nearest`'s side alone (+1 left, -1 right) for each (lat, lon),
        without the nearest point's position and geodesic distance."""
        lat_a = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        lon_a = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        return self._project(lat_a, lon_a)[0]

    def _project(self, lat_a: F8, lon_a: F8) -> tuple[npt.NDArray[np.int8], F8, F8, F8, F8, F8]:
        """Side, chainage (m), nearest point (local x, y, m) and the unit tangent
        there (local x, y) of each (lat, lon)."""
        x, y = self.frame.to_xy(lat_a, lon_a)
        coords = np.asarray(self.local.coords)
        if coords.shape[0] - 1 <= _NUMPY_SEGMENTS:
            s, qx, qy = _locate(coords, self._cum_m, x, y)
        else:
            pts = shapely.points(x, y)
            s = np.asarray(shapely.line_locate_point(self.local, pts), dtype=np.float64)
            q = shapely.line_interpolate_point(self.local, s)
            qx, qy = shapely.get_x(q), shapely.get_y(q)
        d = np.diff(coords, axis=0)
        d /= np.hypot(d[:, 0], d[:, 1])[:, None]
        nseg = d.shape[0]
        k = np.clip(np.searchsorted(self._cum_m, s, side="right") - 1, 0, nseg - 1)
        tx, ty = d[k, 0].copy(), d[k, 1].copy()
        # at an interior vertex the tangent is the mean of both segments' directions
        at_vertex = np.isclose(s, self._cum_m[k], atol=1e-6) & (k > 0)
        if np.any(at_vertex):
            kv = k[at_vertex]
            bx = d[kv, 0] + d[kv - 1, 0]
            by = d[kv, 1] + d[kv - 1, 1]
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
