"""Geodesy checked against pyproj's Geod and known distances."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Geod

from ceasefire.geo import LocalFrame, azimuth_deg, distance_m, forward, polygon_area_km2

GEOD = Geod(ellps="WGS84")


def test_distance_and_azimuth_match_pyproj_on_known_points() -> None:
    # Donetsk airport -> Avdiivka, and a north-south meridian degree
    lat1, lon1, lat2, lon2 = 48.075, 37.726, 48.145, 37.745
    az, _, d = GEOD.inv(lon1, lat1, lon2, lat2)
    assert distance_m(lat1, lon1, lat2, lon2) == pytest.approx(d, abs=1e-6)
    assert azimuth_deg(lat1, lon1, lat2, lon2) == pytest.approx(az % 360, abs=1e-9)
    # one degree of latitude at 48°N is about 111.2 km on WGS84
    assert distance_m(48.0, 38.0, 49.0, 38.0) == pytest.approx(111_200, rel=2e-3)


def test_cardinal_bearings() -> None:
    lat, lon = 48.5, 38.0
    north = forward(lat, lon, 0.0, 5000.0)
    east = forward(lat, lon, 90.0, 5000.0)
    assert north[0] > lat and north[1] == pytest.approx(lon, abs=1e-9)
    assert azimuth_deg(lat, lon, *east) == pytest.approx(90.0, abs=1e-6)
    assert azimuth_deg(lat, lon, lat - 0.01, lon) == pytest.approx(180.0, abs=1e-9)
    # west is 270, not -90: bearings are in [0, 360)
    assert azimuth_deg(lat, lon, lat, lon - 0.01) == pytest.approx(270.0, abs=0.01)


def test_forward_then_inverse_round_trip_vectorized() -> None:
    rng = np.random.default_rng(1)
    az = rng.uniform(0, 360, 100)
    d = rng.uniform(10, 50_000, 100)
    la, lo = forward(48.0, 38.0, az, d)
    assert np.allclose(distance_m(48.0, 38.0, la, lo), d, atol=1e-4)


def test_local_frame_preserves_distance_from_origin_and_round_trips() -> None:
    f = LocalFrame(48.0, 38.0)
    la, lo = forward(48.0, 38.0, 37.0, 120_000.0)
    x, y = f.to_xy(la, lo)
    assert float(np.hypot(x, y)) == pytest.approx(120_000.0, rel=1e-9)
    # azimuth from the origin is preserved by the azimuthal projection
    assert np.degrees(np.arctan2(x, y)) == pytest.approx(37.0, abs=1e-6)
    la2, lo2 = f.to_latlon(x, y)
    assert float(la2) == pytest.approx(float(la), abs=1e-9)
    assert float(lo2) == pytest.approx(float(lo), abs=1e-9)


def test_polygon_area_of_a_2km_square() -> None:
    la_n, _ = forward(48.0, 38.0, 0, 1000)
    la_s, _ = forward(48.0, 38.0, 180, 1000)
    _, lo_e = forward(48.0, 38.0, 90, 1000)
    _, lo_w = forward(48.0, 38.0, 270, 1000)
    lats = [la_s, la_s, la_n, la_n]
    lons = [lo_w, lo_e, lo_e, lo_w]
    assert polygon_area_km2(lats, lons) == pytest.approx(4.0, rel=1e-3)
