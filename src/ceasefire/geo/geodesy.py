"""WGS84 geodesy on arrays (pyproj's ``Geod``): distances in m, azimuths in
degrees clockwise from true north."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from pyproj import Geod

GEOD = Geod(ellps="WGS84")
ArrayLike = npt.ArrayLike
F8 = npt.NDArray[np.float64]


def inverse(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike) -> tuple[F8, F8]:
    """Azimuth from point 1 to point 2 (deg, 0-360) and geodesic distance (m)."""
    la1, lo1, la2, lo2 = np.broadcast_arrays(
        *(np.asarray(a, dtype=np.float64) for a in (lat1, lon1, lat2, lon2))
    )
    az, _, dist = GEOD.inv(lo1.ravel(), la1.ravel(), lo2.ravel(), la2.ravel())
    shape = la1.shape
    return (np.asarray(az).reshape(shape) % 360.0, np.asarray(dist).reshape(shape))


def distance_m(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike) -> F8:
    """Geodesic distance, m."""
    return inverse(lat1, lon1, lat2, lon2)[1]


def azimuth_deg(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike) -> F8:
    """Azimuth from point 1 towards point 2, degrees clockwise from north in [0, 360)."""
    return inverse(lat1, lon1, lat2, lon2)[0]


def forward(lat: ArrayLike, lon: ArrayLike, azimuth: ArrayLike, dist_m: ArrayLike) -> tuple[F8, F8]:
    """The point reached from (lat, lon) along ``azimuth`` (deg) after ``dist_m`` (m)."""
    la, lo, az, d = np.broadcast_arrays(
        *(np.asarray(a, dtype=np.float64) for a in (lat, lon, azimuth, dist_m))
    )
    lo2, la2, _ = GEOD.fwd(lo.ravel(), la.ravel(), az.ravel(), d.ravel())
    return np.asarray(la2).reshape(la.shape), np.asarray(lo2).reshape(la.shape)


def polygon_area_km2(lats: ArrayLike, lons: ArrayLike) -> float:
    """Geodesic area of a simple polygon given by its ring, km² (orientation ignored)."""
    area, _ = GEOD.polygon_area_perimeter(np.asarray(lons, float), np.asarray(lats, float))
    return abs(float(area)) / 1e6


def line_length_km(lats: ArrayLike, lons: ArrayLike) -> float:
    """Geodesic length of a polyline, km."""
    return float(GEOD.line_length(np.asarray(lons, float), np.asarray(lats, float))) / 1000.0
