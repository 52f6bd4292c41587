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


@pytest.mark.parametrize("n", [100, 3_000])
def test_positions_made_once_are_each_points_own(n: int) -> None:
    # 3,000 reports at 200 positions (made once per position) and 100 reports
    # (each on its own), one position NaN: the same numbers either way
    rng = np.random.default_rng(4)
    at = rng.integers(0, 200, n)
    lat = (48.0 + rng.uniform(0, 0.8, 200))[at]
    lon = (37.0 + rng.uniform(0, 1.5, 200))[at]
    lat[at == at[0]] = np.nan
    grid = Grid.about(lat, lon)
    x, y, gam = grid.xy_and_convergence(lat, lon)
    x0, y0 = grid.to_xy(lat, lon)
    for got, want in ((x, x0), (y, y0), (gam, grid.convergence_rad(lat, lon))):
        assert np.array_equal(got, want, equal_nan=True)
    assert np.isnan(x[0]) and np.isfinite(x[at != at[0]]).all()
    # north of the frame's origin the grid's north leans off true north
    assert np.nanmax(np.abs(gam)) > 0.0
