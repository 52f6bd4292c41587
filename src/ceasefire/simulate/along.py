"""Points along a line by chainage and offsets to one side of it (vectorized)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import shapely

from ceasefire.geo import GeoLine, forward

F8 = npt.NDArray[np.float64]


def line_length_m(line: GeoLine) -> float:
    """Length of ``line`` in its local frame, m (the unit of chainage)."""
    return float(line.local.length)


def point_at(line: GeoLine, chainage_m: npt.ArrayLike) -> tuple[F8, F8, F8, F8]:
    """(lat, lon, normal_e, normal_n) at ``chainage_m`` along ``line``; the unit
    normal points to the line's left."""
    s = np.atleast_1d(np.asarray(chainage_m, dtype=np.float64))
    pts = shapely.line_interpolate_point(line.local, s)
    lat, lon = line.frame.to_latlon(shapely.get_x(pts), shapely.get_y(pts))
    near = line.nearest(lat, lon)
    return lat, lon, near.normal_e, near.normal_n


def offset_point(
    line: GeoLine, chainage_m: npt.ArrayLike, side: npt.ArrayLike, dist_m: npt.ArrayLike
) -> tuple[F8, F8]:
    """The point ``dist_m`` from ``line`` at ``chainage_m`` on ``side`` (+1 left,
    -1 right), along the local normal (geodesic ``forward``)."""
    lat, lon, ne, nn = point_at(line, chainage_m)
    sd = np.broadcast_to(np.asarray(side, dtype=np.float64), lat.shape)
    az = np.degrees(np.arctan2(sd * ne, sd * nn)) % 360.0
    return forward(lat, lon, az, np.broadcast_to(np.asarray(dist_m, float), lat.shape))


def normal_azimuth_deg(line: GeoLine, chainage_m: npt.ArrayLike, side: npt.ArrayLike) -> F8:
    """Azimuth (deg) of the normal pointing to ``side`` at ``chainage_m``."""
    _, _, ne, nn = point_at(line, chainage_m)
    sd = np.broadcast_to(np.asarray(side, dtype=np.float64), ne.shape)
    return np.degrees(np.arctan2(sd * ne, sd * nn)) % 360.0
