"""WGS84 geodesy, local metric frames, distance to and side of a line."""

from ceasefire.geo.frame import LocalFrame
from ceasefire.geo.geodesy import (
    GEOD,
    azimuth_deg,
    distance_m,
    forward,
    inverse,
    line_length_km,
    polygon_area_km2,
)
from ceasefire.geo.line import LEFT, RIGHT, GeoLine, Nearest

__all__ = [
    "GEOD",
    "LEFT",
    "RIGHT",
    "GeoLine",
    "LocalFrame",
    "Nearest",
    "azimuth_deg",
    "distance_m",
    "forward",
    "inverse",
    "line_length_km",
    "polygon_area_km2",
]
