"""The fusion grid's covariances rotated to east/north: the same numbers whether
the points are searched for repeats or said distinct."""

from __future__ import annotations

import numpy as np

from ceasefire.fuse.frame import Grid


def test_cov_to_en_of_points_said_distinct_is_the_searched_ones() -> None:
    rng = np.random.default_rng(4)
    grid = Grid.about(np.array([47.6, 48.9]), np.array([37.1, 39.0]))
    posts = np.column_stack([rng.uniform(47.6, 48.9, 20), rng.uniform(37.1, 39.0, 20)])
    a = rng.normal(0.0, 300.0, (200, 2, 2))
    cov = a @ a.transpose(0, 2, 1)
    for lat, lon in (
        (rng.uniform(47.6, 48.9, 200), rng.uniform(37.1, 39.0, 200)),  # distinct
        (posts[rng.integers(0, 20, 200), 0], posts[rng.integers(0, 20, 200), 1]),  # repeats
    ):
        want = grid.cov_to_en(cov, lat, lon)
        got = grid.cov_to_en(cov, lat, lon, repeats=False)
        assert got.tobytes() == want.tobytes()
        # a rotation: the trace is kept (to rounding), the matrix is not the grid's
        np.testing.assert_allclose(np.trace(got, axis1=1, axis2=2), np.trace(cov, axis1=1, axis2=2))
        assert not np.array_equal(got, cov)
