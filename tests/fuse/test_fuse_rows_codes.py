"""Association's inputs made with fewer sorts: the observers' codes
(``obsindex.observer_codes``) are ``np.unique``'s, and the grid coordinates and
convergence of repeated positions (``Grid.xy_and_convergence``) are those of
each point on its own."""

from __future__ import annotations

import numpy as np
import pytest

from ceasefire.fuse.frame import Grid
from ceasefire.fuse.obsindex import observer_codes


@pytest.mark.parametrize(
    "names",
    [[], ["b", "a", "b", "ccc", "a"], ["é", "e", "Z", "z", "e"], ["x\x00", "x", "y"]],
)
def test_observer_codes_are_numpys_unique(names: list[str]) -> None:
    # sorted by code point (upper case first, accents last); a trailing NUL is
    # dropped by numpy's strings, so "x\x00" and "x" are one observer there
    src = np.array(names, dtype=object)
    want_names, want_codes = np.unique(src.astype(str), return_inverse=True)
    got_names, got_codes = observer_codes(src)
    assert got_names.dtype == want_names.dtype
    assert np.array_equal(got_names, want_names)
    assert np.array_equal(got_codes, want_codes)


def test_observer_codes_number_names_in_sorted_order() -> None:
    names, codes = observer_codes(np.array(["s2", "s10", "s2", "s1"], dtype=object))
    assert names.tolist() == ["s1", "s10", "s2"]
    assert codes.tolist() == [2, 1, 2, 0]


def _each_point(grid: Grid, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, ...]:
    # the grid's x, y and convergence of every point alone, by the frame's own
    # projection (one call per point, and one per point 1e-4 deg north of it)
    out = []
    for la, lo in zip(lat, lon, strict=True):
        x0, y0 = grid.frame.to_xy(np.array([la]), np.array([lo]))
        x1, y1 = grid.frame.to_xy(np.array([la + 1e-4]), np.array([lo]))
        out.append((x0[0], y0[0], np.arctan2(x1 - x0, y1 - y0)[0]))
    return tuple(np.array(v) for v in zip(*out, strict=True))


@pytest.mark.parametrize("n", [20, 40, 100, 3_000])
def test_positions_made_once_are_each_points_own(n: int) -> None:
    # reports at 200 positions, one position NaN; from 32 reports (a small tile's:
    # 40, 100) the positions are made once each and spread back, and in one call
    # with the points north of them: the same numbers as each point alone
    rng = np.random.default_rng(4)
    at = rng.integers(0, min(200, n // 3), n)
    lat = (48.0 + rng.uniform(0, 0.8, 200))[at]
    lon = (37.0 + rng.uniform(0, 1.5, 200))[at]
    lat[at == at[0]] = np.nan
    grid = Grid.about(lat, lon)
    x, y, gam = grid.xy_and_convergence(lat, lon)
    ex, ey, egam = _each_point(grid, lat, lon)
    for got, want in ((x, ex), (y, ey), (gam, egam)):
        assert np.array_equal(got, want, equal_nan=True)
    assert np.array_equal(grid.convergence_rad(lat, lon), egam, equal_nan=True)
    assert np.isnan(x[0]) and np.isfinite(x[at != at[0]]).all()
    # north of the frame's origin the grid's north leans off true north
    assert np.nanmax(np.abs(gam)) > 0.0


def test_convergence_keeps_the_shape_of_its_input() -> None:
    grid = Grid.about(np.array([48.0, 48.5]), np.array([37.0, 38.0]))
    lat = np.array([[48.1, 48.2, 48.3], [48.4, 48.1, 48.2]])
    lon = np.array([[37.1, 37.2, 37.3], [37.4, 37.1, 37.2]])
    got = grid.convergence_rad(lat, lon)
    assert got.shape == (2, 3)
    assert np.array_equal(got.ravel(), _each_point(grid, lat.ravel(), lon.ravel())[2])


def test_a_grid_about_points_with_unknown_ones_is_about_the_known() -> None:
    # the middle of the known points' bounding box (NaN positions left out)
    grid = Grid.about(np.array([48.0, np.nan, 49.0, 48.2]), np.array([37.0, 36.0, 38.0, np.nan]))
    assert (grid.frame.lat0, grid.frame.lon0) == (48.5, 37.5)
    assert (Grid.about(np.array([np.nan]), np.array([1.0])).frame.lat0) == 0.0
