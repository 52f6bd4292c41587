"""Distance to a line and side of a line."""

from __future__ import annotations

import numpy as np
import pytest

from ceasefire.geo import LEFT, RIGHT, GeoLine, distance_m, forward
from ceasefire.geo import line as line_mod


@pytest.fixture()
def southbound() -> GeoLine:
    # a meridian segment drawn north to south: left is east, right is west
    return GeoLine.from_lonlat([[38.0, 49.0], [38.0, 48.0]])


def test_side_of_a_southbound_line(southbound: GeoLine) -> None:
    n = southbound.nearest([48.5, 48.5], [38.2, 37.8])
    assert list(n.side) == [LEFT, RIGHT]


def test_distance_to_line_is_geodesic_perpendicular(southbound: GeoLine) -> None:
    la, lo = forward(48.5, 38.0, 90.0, 25_000.0)
    n = southbound.nearest(la, lo)
    assert float(n.distance_m[0]) == pytest.approx(25_000.0, abs=30.0)
    # chainage of the foot point: distance from the first vertex along the line
    assert float(n.chainage_m[0]) / 1000 == pytest.approx(
        float(distance_m(49.0, 38.0, 48.5, 38.0)) / 1000, abs=0.2
    )


def test_beyond_the_end_distance_is_to_the_end_vertex(southbound: GeoLine) -> None:
    n = southbound.nearest(47.9, 38.0)
    assert float(n.distance_m[0]) == pytest.approx(
        float(distance_m(47.9, 38.0, 48.0, 38.0)), rel=1e-6
    )


def test_side_at_a_bend_uses_both_segments() -> None:
    # an L: west along 48.6 N, then south along 38 E. Points inside the corner
    # (south-east of the bend) are left of a walker going west then south.
    line = GeoLine.from_lonlat([[39.0, 48.6], [38.0, 48.6], [38.0, 47.6]])
    n = line.nearest([48.5, 48.7, 48.5], [38.1, 37.9, 37.9])
    assert list(n.side) == [LEFT, RIGHT, RIGHT]


def test_normal_points_left(southbound: GeoLine) -> None:
    n = southbound.nearest(48.5, 38.1)
    # for a southbound line, left is east: normal ≈ (+1, 0) in (east, north)
    assert float(n.normal_e[0]) == pytest.approx(1.0, abs=1e-3)
    assert abs(float(n.normal_n[0])) < 1e-3


def test_self_intersection_detected() -> None:
    assert not GeoLine.from_lonlat([[38, 48], [39, 49], [39, 48], [38, 49]]).is_simple
    assert GeoLine.from_lonlat([[38, 48], [39, 49]]).is_simple


def test_buffer_width_is_the_requested_distance(southbound: GeoLine) -> None:
    poly = southbound.buffer(25_000.0, 0.0)
    ring = np.asarray(southbound.to_lonlat_polygon(poly))
    # every vertex of the band is within 25 km (+ rounding) of the line, and on the left
    n = southbound.nearest(ring[:, 1], ring[:, 0])
    assert float(n.distance_m.max()) <= 25_050.0
    far = n.distance_m > 1000
    assert np.all(n.side[far] == LEFT)


@pytest.mark.parametrize(("left_m", "right_m"), [(5000.0, 0.0), (0.0, 5000.0), (2000.0, 3000.0)])
def test_buffer_rings_wind_counter_clockwise_as_rfc7946_asks(
    southbound: GeoLine, left_m: float, right_m: float
) -> None:
    import shapely

    ring = southbound.to_lonlat_polygon(southbound.buffer(left_m, right_m))
    assert ring[0] == ring[-1]
    # shoelace sum over (lon, lat): positive for counter-clockwise
    xy = np.asarray(ring)
    area2 = float(np.sum(xy[:-1, 0] * xy[1:, 1] - xy[1:, 0] * xy[:-1, 1]))
    assert area2 > 0
    assert shapely.LinearRing(ring).is_ccw


@pytest.mark.parametrize("vertices", [3, 200])
def test_sides_alone_are_nearests_sides(vertices: int) -> None:
    # a zigzag (numpy's segment search at 3 vertices, shapely's at 200), with
    # points on both sides, at vertices and beyond both ends
    rng = np.random.default_rng(vertices)
    lat = np.linspace(47.0, 49.0, vertices)
    lon = 38.0 + 0.05 * np.where(np.arange(vertices) % 2 == 0, 1.0, -1.0)
    line = GeoLine(tuple(lat.tolist()), tuple(lon.tolist()))
    qlat = np.concatenate([rng.uniform(46.8, 49.2, 2_000), lat])
    qlon = np.concatenate([rng.uniform(37.7, 38.3, 2_000), lon])
    side = line.sides(qlat, qlon)
    assert side.dtype == np.int8 and np.array_equal(side, line.nearest(qlat, qlon).side)
    assert (side == LEFT).sum() > 500 and (side == RIGHT).sum() > 500


@pytest.mark.parametrize("vertices", [3, 200])
def test_sides_and_distances_are_nearests_where_wanted(vertices: int) -> None:
    # every point's side, and the distance of the wanted ones (NaN for the others):
    # nearest's numbers to the bit, whichever points are wanted
    rng = np.random.default_rng(vertices + 1)
    lat = np.linspace(47.0, 49.0, vertices)
    lon = 38.0 + 0.05 * np.where(np.arange(vertices) % 2 == 0, 1.0, -1.0)
    line = GeoLine(tuple(lat.tolist()), tuple(lon.tolist()))
    qlat = np.concatenate([rng.uniform(46.8, 49.2, 1_500), lat])
    qlon = np.concatenate([rng.uniform(37.7, 38.3, 1_500), lon])
    near = line.nearest(qlat, qlon, repeats=False)
    for wanted in (rng.random(qlat.shape[0]) < 0.4, np.ones(qlat.shape[0], bool)):
        side, dist = line.sides_and_distances(qlat, qlon, wanted, repeats=False)
        assert side.dtype == np.int8 and np.array_equal(side, near.side)
        assert np.array_equal(dist[wanted], near.distance_m[wanted])
        assert np.isnan(dist[~wanted]).all()
    side, dist = line.sides_and_distances(qlat, qlon, np.zeros(qlat.shape[0], bool))
    assert np.array_equal(side, near.side) and np.isnan(dist).all()


def _locate_by_segment(line: GeoLine, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
    """The nearest point on the line one segment at a time, the first strictly
    nearer segment kept: the search ``_locate`` does over all segments at once."""
    c = np.asarray(line.local.coords)
    cum = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(c[:, 0]), np.diff(c[:, 1])))])
    best = np.full(x.shape[0], np.inf)
    s, qx, qy = np.zeros(x.shape[0]), np.zeros(x.shape[0]), np.zeros(x.shape[0])
    for i in range(c.shape[0] - 1):
        dx, dy = c[i + 1, 0] - c[i, 0], c[i + 1, 1] - c[i, 1]
        l2 = max(dx * dx + dy * dy, 1e-18)
        t = np.clip(((x - c[i, 0]) * dx + (y - c[i, 1]) * dy) / l2, 0.0, 1.0)
        px, py = c[i, 0] + t * dx, c[i, 1] + t * dy
        d2 = (x - px) ** 2 + (y - py) ** 2
        better = d2 < best
        best = np.where(better, d2, best)
        s = np.where(better, cum[i] + t * np.sqrt(l2), s)
        qx, qy = np.where(better, px, qx), np.where(better, py, qy)
    return s, qx, qy


def test_all_segments_at_once_find_the_segment_by_segment_nearest_to_the_bit() -> None:
    # a zigzag with a repeated vertex (a zero-length segment); points at the
    # vertices (ties between two segments), beyond both ends, NaN, and more rows
    # than one block
    lat = [47.0, 47.5, 47.5, 48.0, 48.5, 49.0]
    lon = [38.0, 38.1, 38.1, 37.9, 38.1, 38.0]
    line = GeoLine(tuple(lat), tuple(lon))
    rng = np.random.default_rng(7)
    qlat = np.concatenate([rng.uniform(46.5, 49.5, 2 * line_mod._BLOCK + 11), lat, [np.nan]])
    qlon = np.concatenate([rng.uniform(37.5, 38.5, 2 * line_mod._BLOCK + 11), lon, [38.0]])
    x, y = line.frame.to_xy(qlat, qlon)
    got = line_mod._locate(line._seg, x, y)
    want = _locate_by_segment(line, x, y)
    for g, w in zip(got, want, strict=True):
        assert np.array_equal(g, w)
    assert got[0][-1] == 0.0 and got[0][:-1].max() > 0.9 * line._cum_m[-1]


def test_nearest_of_points_said_distinct_is_nearest_to_the_bit() -> None:
    # ``repeats=False`` only skips the frame's search for repeated points: every
    # field of every point must be what the default gives, on points that repeat
    # (where that search pays) and points that do not
    line = GeoLine.from_lonlat([[37.0, 49.0], [38.0, 48.6], [38.2, 47.8], [37.6, 47.2]])
    rng = np.random.default_rng(5)
    posts = np.column_stack([rng.uniform(47.0, 49.2, 25), rng.uniform(36.5, 38.8, 25)])
    pick = rng.integers(0, 25, 1_500)
    cases = [
        (posts[pick, 0], posts[pick, 1]),
        (rng.uniform(47.0, 49.2, 1_500), rng.uniform(36.5, 38.8, 1_500)),
    ]
    for lat, lon in cases:
        a, b = line.nearest(lat, lon, repeats=False), line.nearest(lat, lon)
        for f in ("distance_m", "side", "chainage_m", "normal_e", "normal_n", "lat", "lon"):
            np.testing.assert_array_equal(getattr(a, f), getattr(b, f), err_msg=f)
