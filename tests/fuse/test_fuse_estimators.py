"""Estimators on cases with known answers: exact ray intersections, noiseless
triangulation and TDOA, covariance against Monte Carlo spread."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ceasefire.fuse import intersect_rays, multilaterate, stansfield, triangulate
from ceasefire.fuse.triangulate import triangulate_wgs84
from ceasefire.geo import forward, inverse

C = 343.0


def test_two_rays_cross_at_the_known_point() -> None:
    # observer A at the origin looking north-east (45°), B 2 km east looking north-west (315°):
    # the rays meet at (1000, 1000), sqrt(2) km from each
    x, y, r1, r2, sn = intersect_rays(
        np.array([0.0]), np.array([0.0]), np.radians([45.0]),
        np.array([2000.0]), np.array([0.0]), np.radians([315.0]),
    )  # fmt: skip
    assert x[0] == pytest.approx(1000.0, abs=1e-6)
    assert y[0] == pytest.approx(1000.0, abs=1e-6)
    assert r1[0] == pytest.approx(1000.0 * math.sqrt(2), abs=1e-6)
    assert r2[0] == pytest.approx(1000.0 * math.sqrt(2), abs=1e-6)
    assert abs(sn[0]) == pytest.approx(1.0)


def test_rays_crossing_behind_an_observer_have_negative_range() -> None:
    # A looks south (180°) but the crossing of the two lines is north of it
    _, _, r1, r2, _ = intersect_rays(
        np.array([0.0]), np.array([0.0]), np.radians([180.0]),
        np.array([2000.0]), np.array([1000.0]), np.radians([270.0]),
    )  # fmt: skip
    assert r1[0] == pytest.approx(-1000.0)
    assert r2[0] == pytest.approx(2000.0)


def test_noiseless_bearings_triangulate_exactly() -> None:
    target = np.array([3_000.0, 4_000.0])
    ox = np.array([0.0, 8_000.0, -2_000.0, 5_000.0])
    oy = np.array([0.0, 0.0, 9_000.0, 10_000.0])
    az = np.degrees(np.arctan2(target[0] - ox, target[1] - oy))
    fix = triangulate(ox, oy, az, 1.0)
    assert fix.x == pytest.approx(3_000.0, abs=1e-3)
    assert fix.y == pytest.approx(4_000.0, abs=1e-3)
    assert fix.chi2 == pytest.approx(0.0, abs=1e-9)
    assert fix.dof == 2
    sx, sy = stansfield(ox, oy, np.radians(az), np.radians(np.ones(4)))
    assert (sx, sy) == pytest.approx((3_000.0, 4_000.0), abs=1e-3)


def test_triangulation_covariance_matches_monte_carlo_spread() -> None:
    rng = np.random.default_rng(7)
    target = np.array([2_000.0, 6_000.0])
    ox = np.array([0.0, 7_000.0, -4_000.0])
    oy = np.array([0.0, 1_000.0, 2_000.0])
    sigma = np.array([2.0, 3.0, 1.5])
    az0 = np.degrees(np.arctan2(target[0] - ox, target[1] - oy))
    nominal = triangulate(ox, oy, az0, sigma)
    pts = []
    for _ in range(2000):
        f = triangulate(ox, oy, az0 + rng.normal(0.0, sigma), sigma)
        pts.append((f.x, f.y))
    emp = np.cov(np.array(pts).T)
    ve, vn, cen = nominal.cov_m2
    # the ML estimator is efficient here: the spread matches the inverse Fisher
    # information within sampling error (~3 % on variances for 2000 draws) + small bias
    assert emp[0, 0] == pytest.approx(ve, rel=0.12)
    assert emp[1, 1] == pytest.approx(vn, rel=0.12)
    assert emp[0, 1] == pytest.approx(cen, abs=0.12 * math.sqrt(ve * vn))
    # 95 % ellipses hold the truth about 95 % of the time
    d = np.array(pts) - target
    P = np.array([[ve, cen], [cen, vn]])
    m2 = np.einsum("ni,ij,nj->n", d, np.linalg.inv(P), d)
    assert np.mean(m2 <= 5.991) == pytest.approx(0.95, abs=0.02)


def test_single_bearing_with_range_gives_the_point_and_an_honest_ellipse() -> None:
    fix = triangulate([0.0], [0.0], [90.0], [2.0], [5_000.0], [500.0])
    assert fix.x == pytest.approx(5_000.0, abs=1e-6)
    assert fix.y == pytest.approx(0.0, abs=1e-6)
    # along the ray (east) the range sd, across it range × bearing sd
    assert fix.cov_m2[0] == pytest.approx(500.0**2, rel=1e-6)
    assert fix.cov_m2[1] == pytest.approx((5_000.0 * math.radians(2.0)) ** 2, rel=1e-6)


def test_single_bearing_without_range_has_no_fix() -> None:
    with pytest.raises(ValueError):
        triangulate([0.0], [0.0], [90.0], [2.0])


def test_wgs84_triangulation_recovers_a_geodesic_point() -> None:
    # target 10 km at 60° from a first observer; two more observers tens of km away
    lat0, lon0 = 48.2, 38.1
    tl, to = forward(lat0, lon0, 60.0, 10_000.0)
    obs_lat = np.array([lat0, 48.35, 48.0])
    obs_lon = np.array([lon0, 38.5, 38.45])
    az, _ = inverse(obs_lat, obs_lon, np.full(3, tl), np.full(3, to))
    fix = triangulate_wgs84(obs_lat, obs_lon, az, 1.0)
    _, err = inverse(fix.lat, fix.lon, tl, to)
    assert float(err) < 1.0


def test_tdoa_recovers_source_and_emission_time() -> None:
    sx = np.array([0.0, 2_000.0, 0.0, 2_500.0, -1_500.0])
    sy = np.array([0.0, 0.0, 2_000.0, 2_500.0, 1_000.0])
    src, T = np.array([4_000.0, 7_000.0]), 1_000.0
    t = T + np.hypot(src[0] - sx, src[1] - sy) / C
    fix = multilaterate(sx, sy, t, 0.003, C)
    assert fix.x == pytest.approx(4_000.0, abs=1e-3)
    assert fix.y == pytest.approx(7_000.0, abs=1e-3)
    assert fix.time_s == pytest.approx(1_000.0, abs=1e-6)
    assert fix.dof == 2


def test_tdoa_with_three_sensors_solves_the_quadratic() -> None:
    sx = np.array([0.0, 3_000.0, 0.0])
    sy = np.array([0.0, 0.0, 3_000.0])
    src, T = np.array([1_200.0, 800.0]), 50.0
    t = T + np.hypot(src[0] - sx, src[1] - sy) / C
    fix = multilaterate(sx, sy, t, 0.003, C)
    assert (fix.x, fix.y) == pytest.approx((1_200.0, 800.0), abs=1e-2)
    assert fix.time_s == pytest.approx(50.0, abs=1e-5)


def test_tdoa_covariance_matches_monte_carlo_spread() -> None:
    rng = np.random.default_rng(3)
    sx = np.array([0.0, 2_000.0, 0.0, 2_000.0])
    sy = np.array([0.0, 0.0, 2_000.0, 2_000.0])
    src, T, sd = np.array([3_000.0, 4_000.0]), 0.0, 0.003
    t0 = T + np.hypot(src[0] - sx, src[1] - sy) / C
    nominal = multilaterate(sx, sy, t0, sd, C)
    pts = np.array(
        [
            (f.x, f.y)
            for f in (multilaterate(sx, sy, t0 + rng.normal(0, sd, 4), sd, C) for _ in range(1500))
        ]
    )
    emp = np.cov(pts.T)
    assert emp[0, 0] == pytest.approx(nominal.cov[0, 0], rel=0.15)
    assert emp[1, 1] == pytest.approx(nominal.cov[1, 1], rel=0.15)
