"""Sides of the contact line along rays (one side test per ray plus crossings)
agree with a side test of every sample point."""

from __future__ import annotations

import numpy as np
import pytest

from ceasefire.fuse.frame import Grid
from ceasefire.fuse.linesides import LineSides
from ceasefire.geo import GeoLine

# a bent line about 150 km long through eastern Ukraine (lon, lat)
LINE = GeoLine.from_lonlat([(37.2, 48.9), (37.8, 48.4), (37.6, 47.9), (38.3, 47.5)])


def test_ray_sides_match_a_side_test_of_every_sample() -> None:
    grid = Grid.about(np.array(LINE.lats), np.array(LINE.lons))
    sides = LineSides.of(LINE, grid)
    rng = np.random.default_rng(3)
    n = 400
    # observers within ~8 km of the line, bearings in every direction
    mid_la, mid_lo = np.array(LINE.lats), np.array(LINE.lons)
    k = rng.integers(0, len(mid_la) - 1, n)
    f = rng.uniform(0, 1, n)
    la = mid_la[k] + f * (mid_la[k + 1] - mid_la[k]) + rng.normal(0, 0.05, n)
    lo = mid_lo[k] + f * (mid_lo[k + 1] - mid_lo[k]) + rng.normal(0, 0.07, n)
    ox, oy = grid.to_xy(la, lo)
    az = rng.uniform(-np.pi, np.pi, n)
    dist = np.geomspace(150.0, 30_000.0, 24)
    got = sides.rays(ox, oy, az, dist)
    px = ox[:, None] + dist[None, :] * np.sin(az)[:, None]
    py = oy[:, None] + dist[None, :] * np.cos(az)[:, None]
    want = sides.points(px.ravel(), py.ravel()).reshape(n, dist.shape[0])
    # many rays cross the line; samples must agree except within metres of it (where
    # the densified line and the geodesic one differ) and where the ray has passed
    # around an end of the line (no crossing, yet the nearest point's side turns)
    assert (want[:, 0] != want[:, -1]).sum() > 50
    la_s, lo_s = grid.to_latlon(px.ravel(), py.ravel())
    nr = LINE.nearest(la_s, lo_s)
    near = (nr.distance_m < 50.0).reshape(n, -1)
    past_end = np.minimum(nr.chainage_m, LINE.length_km * 1000.0 - nr.chainage_m) < 1_000.0
    around = np.cumsum(past_end.reshape(n, -1), axis=1) > 0
    keep = ~near & ~around
    assert keep.mean() > 0.9
    assert np.array_equal(got[keep], want[keep])


def test_ray_sides_start_from_the_origins_sides_when_given() -> None:
    # the origins' sides found once by the caller give the same sides; the sides
    # given are the ones used (flipped origins flip every sample)
    grid = Grid.about(np.array(LINE.lats), np.array(LINE.lons))
    sides = LineSides.of(LINE, grid)
    rng = np.random.default_rng(5)
    n = 200
    ox, oy = rng.normal(0.0, 20_000.0, n), rng.normal(0.0, 20_000.0, n)
    az = rng.uniform(-np.pi, np.pi, n)
    dist = np.geomspace(150.0, 30_000.0, 24)
    found = sides.rays(ox, oy, az, dist)
    assert np.array_equal(sides.rays(ox, oy, az, dist, sides.points(ox, oy)), found)
    assert np.array_equal(sides.rays(ox, oy, az, dist, -sides.points(ox, oy)), -found)
    assert (found[:, 0] != found[:, -1]).sum() > 10


def test_sides_of_repeated_points_are_each_points_own() -> None:
    # lone bearings' origins repeat their observers' positions: from 32 points each
    # distinct one is tested once, and every point gets the side it has alone
    grid = Grid.about(np.array(LINE.lats), np.array(LINE.lons))
    sides = LineSides.of(LINE, grid)
    rng = np.random.default_rng(8)
    posts_x, posts_y = rng.normal(0.0, 20_000.0, 9), rng.normal(0.0, 20_000.0, 9)
    for n in (5, 32, 120):
        at = rng.integers(0, 9, n)
        x, y = posts_x[at], posts_y[at]
        want = np.array([sides.points(x[i : i + 1], y[i : i + 1])[0] for i in range(n)])
        got = sides.points(x, y)
        assert got.dtype == np.intp
        assert np.array_equal(got, want)
    assert set(sides.points(posts_x, posts_y).tolist()) == {-1, 1}  # both sides occur


def test_the_compiled_crossings_are_the_numpy_codes(monkeypatch: pytest.MonkeyPatch) -> None:
    # rays from around the line in every direction, many crossing it (some twice
    # at its bends): the compiled loop counts the crossings the numpy code counts
    pytest.importorskip("numba")
    from ceasefire.fuse import linesides

    grid = Grid.about(np.array(LINE.lats), np.array(LINE.lons))
    sides = LineSides.of(LINE, grid)
    rng = np.random.default_rng(8)
    n = 500
    ox, oy = rng.normal(0.0, 30_000.0, n), rng.normal(0.0, 30_000.0, n)
    az = rng.uniform(-np.pi, np.pi, n)
    dist = np.geomspace(150.0, 60_000.0, 24)
    assert linesides.flips_kernel() is not None
    got = sides.rays(ox, oy, az, dist)
    monkeypatch.setattr(linesides, "flips_kernel", lambda: None)
    want = sides.rays(ox, oy, az, dist)
    assert np.array_equal(got, want)
    # the premise: rays whose side turns along them, once and more than once
    turns = (np.diff(want, axis=1) != 0).sum(axis=1)
    assert (turns == 1).sum() > 50 and (turns >= 2).any()


def test_the_lines_vertices_are_made_once_per_grid_origin_while_frames_are_shared() -> None:
    # two tiles' grids about one origin share the line's vertices (the numbers made
    # without sharing); another origin's are its own; the shared ones are read only
    from ceasefire.geo.frame import frames_shared

    la, lo = np.array(LINE.lats), np.array(LINE.lons)
    alone = LineSides.of(LINE, Grid.about(la, lo))
    assert LineSides.of(LINE, Grid.about(la, lo)).px is not alone.px  # not shared
    with frames_shared():
        a = LineSides.of(LINE, Grid.about(la, lo))
        b = LineSides.of(LINE, Grid.about(la[::-1].copy(), lo[::-1].copy()))  # the same box
        other = LineSides.of(LINE, Grid.about(la + 0.05, lo))
    assert b.px is a.px and b.py is a.py and other.px is not a.px
    assert a.px.tobytes() == alone.px.tobytes() and a.py.tobytes() == alone.py.tobytes()
    assert not a.px.flags.writeable
    assert not np.array_equal(other.px, a.px)
