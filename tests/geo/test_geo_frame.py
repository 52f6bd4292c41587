"""The local frame projects long inputs once per distinct position: the numbers
must be those of projecting every point, to the bit."""

from __future__ import annotations

import numpy as np
from pyproj import Transformer

from ceasefire.geo.frame import LocalFrame, frames_shared


def _each(frame: LocalFrame, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # the frame's own projection, point by point (no deduplication can apply)
    pts = [frame.to_xy(lat[i : i + 1], lon[i : i + 1]) for i in range(lat.shape[0])]
    return np.concatenate([p[0] for p in pts]), np.concatenate([p[1] for p in pts])


def test_repeated_positions_project_as_each_point_alone() -> None:
    rng = np.random.default_rng(7)
    posts = np.column_stack([rng.uniform(47.5, 49.0, 40), rng.uniform(37.0, 39.5, 40)])
    pick = rng.integers(0, 40, 3_000)
    lat, lon = posts[pick, 0].copy(), posts[pick, 1].copy()
    lat[::97] = np.nan  # unknown positions stay unknown, each its own
    lat[5::101] += rng.normal(0, 0.01, lat[5::101].shape)  # and some that move
    frame = LocalFrame(48.2, 38.2)
    x, y = frame.to_xy(lat, lon)
    ex, ey = _each(frame, lat, lon)
    np.testing.assert_array_equal(x, ex)
    np.testing.assert_array_equal(y, ey)
    assert np.isnan(x[::97]).all()


def test_the_frame_is_pyprojs_azimuthal_equidistant() -> None:
    frame = LocalFrame(48.0, 38.0)
    crs = "+proj=aeqd +lat_0=48.0 +lon_0=38.0 +x_0=0 +y_0=0 +ellps=WGS84"
    ref = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    lat = np.repeat([48.1, 47.9, 48.5], 400)
    lon = np.repeat([38.2, 37.7, 38.9], 400)
    x, y = frame.to_xy(lat, lon)
    rx, ry = ref.transform(lon, lat)
    np.testing.assert_allclose(x, rx, atol=1e-6)
    np.testing.assert_allclose(y, ry, atol=1e-6)
    # the origin is (0, 0)
    assert abs(frame.to_xy(np.array([48.0]), np.array([38.0]))[0][0]) < 1e-6


def test_short_inputs_of_repeated_positions_project_as_each_point_alone() -> None:
    # from 32 points (a small fusion tile's reports from a few observers) the
    # positions are projected once each: the numbers of every point alone
    rng = np.random.default_rng(11)
    posts = np.column_stack([rng.uniform(47.5, 49.0, 6), rng.uniform(37.0, 39.5, 6)])
    for n in (8, 31, 32, 40, 200):
        pick = rng.integers(0, 6, n)
        lat, lon = posts[pick, 0].copy(), posts[pick, 1].copy()
        lat[0] = np.nan
        frame = LocalFrame(48.2, 38.2)
        x, y = frame.to_xy(lat, lon)
        ex, ey = _each(frame, lat, lon)
        np.testing.assert_array_equal(x, ex)
        np.testing.assert_array_equal(y, ey)


def _bits(a: np.ndarray) -> np.ndarray:
    return np.asarray(a, dtype=np.float64).view(np.int64)


def test_the_frame_projects_as_the_pipelines_with_unit_steps_to_the_bit() -> None:
    # the frame's one aeqd object, degrees turned by pyproj, gives the numbers of
    # PROJ's pipelines with unit conversion steps (what frames used before) in both
    # directions, far points, antimeridian wraps and non-finite ones included
    rng = np.random.default_rng(3)
    for lat0, lon0 in ((48.255442402914774, 38.360831220753965), (-33.9, 151.2), (0.0, 179.9)):
        aeqd = f"+proj=aeqd +lat_0={lat0} +lon_0={lon0} +x_0=0 +y_0=0 +ellps=WGS84"
        fwd = Transformer.from_pipeline(
            f"+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad +step {aeqd}"
        )
        inv = Transformer.from_pipeline(
            f"+proj=pipeline +step +inv {aeqd} +step +proj=unitconvert +xy_in=rad +xy_out=deg"
        )
        frame = LocalFrame(lat0, lon0)
        near = rng.normal(0.0, 0.5, (2, 20_000))
        lat = np.concatenate([lat0 + near[0], rng.uniform(-89.9, 89.9, 5_000), [np.nan, 91.0]])
        lon = np.concatenate([lon0 + near[1], rng.uniform(-400, 400, 5_000), [lon0, np.inf]])
        x, y = frame.to_xy(lat, lon, repeats=False)
        rx, ry = fwd.transform(lon, lat)
        assert np.array_equal(_bits(x), _bits(rx)) and np.array_equal(_bits(y), _bits(ry))
        near_m = rng.normal(0.0, 50_000.0, (2, 20_000))
        mx = np.concatenate([near_m, rng.uniform(-2e7, 2e7, (2, 5_000))], 1)
        la, lo = frame.to_latlon(mx[0], mx[1])
        rlo, rla = inv.transform(mx[0], mx[1])
        assert np.array_equal(_bits(la), _bits(rla)) and np.array_equal(_bits(lo), _bits(rlo))


def test_the_inverse_undoes_the_projection() -> None:
    frame = LocalFrame(48.0, 38.0)
    lat = np.array([48.3, 47.6, 48.0])
    lon = np.array([38.4, 37.5, 38.0])
    back_lat, back_lon = frame.to_latlon(*frame.to_xy(lat, lon))
    np.testing.assert_allclose(back_lat, lat, atol=1e-9)
    np.testing.assert_allclose(back_lon, lon, atol=1e-9)
    # pyproj's own inverse of the CRS gives the same positions
    crs = "+proj=aeqd +lat_0=48.0 +lon_0=38.0 +x_0=0 +y_0=0 +ellps=WGS84"
    ref = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    rlon, rlat = ref.transform(np.array([1000.0, -25_000.0]), np.array([5000.0, 12_000.0]))
    got_lat, got_lon = frame.to_latlon(np.array([1000.0, -25_000.0]), np.array([5000.0, 12_000.0]))
    np.testing.assert_allclose(got_lat, rlat, atol=1e-10)
    np.testing.assert_allclose(got_lon, rlon, atol=1e-10)
    # equality and hashing stay those of the origin
    assert frame == LocalFrame(48.0, 38.0) and hash(frame) == hash(LocalFrame(48.0, 38.0))


def test_points_said_distinct_project_as_the_search_for_repeats_does() -> None:
    # ``repeats=False`` skips the search; the numbers must not move, whether the
    # points repeat (the search's shortcut applies) or not (it finds none)
    rng = np.random.default_rng(11)
    posts = np.column_stack([rng.uniform(47.5, 49.0, 30), rng.uniform(37.0, 39.5, 30)])
    pick = rng.integers(0, 30, 2_000)
    lat_rep, lon_rep = posts[pick, 0].copy(), posts[pick, 1].copy()
    lat_rep[::89] = np.nan
    lat_new, lon_new = rng.uniform(47.0, 49.5, 2_000), rng.uniform(36.5, 40.0, 2_000)
    frame = LocalFrame(48.2, 38.2)
    for lat, lon in ((lat_rep, lon_rep), (lat_new, lon_new)):
        x, y = frame.to_xy(lat, lon, repeats=False)
        ex, ey = frame.to_xy(lat, lon)
        np.testing.assert_array_equal(x, ex)
        np.testing.assert_array_equal(y, ey)
    # and both are each point's projection alone
    ex, ey = _each(frame, lat_rep[:600], lon_rep[:600])
    x, y = frame.to_xy(lat_rep[:600], lon_rep[:600], repeats=False)
    np.testing.assert_array_equal(x, ex)
    np.testing.assert_array_equal(y, ey)


def test_frames_about_one_origin_are_one_frame_while_shared() -> None:
    # within frames_shared, a frame about the same origin is the one made before
    # (its projections built once); another origin's is its own; outside, each
    # call makes its own frame, which projects alike
    lat = np.array([48.0, 48.4, 47.9])
    lon = np.array([37.5, 38.1, 37.7])
    with frames_shared():
        a = LocalFrame.about(lat, lon)
        b = LocalFrame.about(lat[::-1].copy(), lon[::-1].copy())  # the same box
        c = LocalFrame.about(lat + 0.1, lon)
        x, y = a.to_xy(lat, lon)
    assert b is a and c is not a and c != a
    d = LocalFrame.about(lat, lon)
    assert d is not a and d == a
    assert LocalFrame.about(lat, lon) is not d
    xd, yd = d.to_xy(lat, lon)
    assert np.array_equal(x, xd) and np.array_equal(y, yd)


def test_the_frames_memo_lives_with_the_shared_frames() -> None:
    from ceasefire.geo.frame import frames_memo

    assert frames_memo() is None
    with frames_shared():
        memo = frames_memo()
        assert memo == {}
        assert memo is not None
        memo["k"] = 1
        with frames_shared():  # a scope of its own inside
            assert frames_memo() == {}
        assert frames_memo() is memo
    assert frames_memo() is None
