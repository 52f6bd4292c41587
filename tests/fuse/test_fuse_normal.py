"""The compiled normal equations (numba, the ``fast`` extra) equal numpy's to the
bit: rows with and without bearings, ranges and sound delay, angles on both
sides of the wrap, events with no rows."""

from __future__ import annotations

import numpy as np
import pytest

from ceasefire.fuse.solve import Rows, _normal_numpy, fit

C = 343.0


def _rows(n: int, seed: int) -> tuple[Rows, np.ndarray]:
    rng = np.random.default_rng(seed)
    az = rng.uniform(-np.pi, np.pi, n)
    az[rng.random(n) < 0.3] = np.nan  # arrivals
    r = rng.uniform(500, 30_000, n)
    r[rng.random(n) < 0.6] = np.nan
    rows = Rows(
        rng.uniform(-50e3, 50e3, n), rng.uniform(-20e3, 20e3, n), az,
        rng.uniform(0.002, 0.1, n), rng.uniform(0, 3_600, n), rng.uniform(0.003, 2.0, n),
        rng.choice([0.0, 1.0], n, p=[0.1, 0.9]), r, 0.3 * r,
    )  # fmt: skip
    return rows, rng.integers(0, 400, n)


@pytest.mark.parametrize("seed", [1, 2])
def test_compiled_normal_equations_equal_numpys_to_the_bit(seed: int) -> None:
    pytest.importorskip("numba")
    from ceasefire.fuse.normal import normal_kernel

    rows, g = _rows(20_000, seed)
    G = 410  # the last ten events have no rows
    rng = np.random.default_rng(seed + 10)
    x, y, T = rng.uniform(-60e3, 60e3, G), rng.uniform(-30e3, 30e3, G), rng.uniform(0, 3_600, G)
    x[0], y[0] = rows.ox[g == 0][0], rows.oy[g == 0][0]  # an event on its observer
    ang = np.arctan2(x[g] - rows.ox, y[g] - rows.oy)
    kernel = normal_kernel()
    assert kernel is not None
    got = kernel(
        rows.ox, rows.oy, rows.az, rows.sigma_az, rows.t, rows.sigma_t, rows.speed_factor,
        rows.rng, rows.sigma_rng, g, G, x, y, T, ang, C, np.arange(g.shape[0]),
    )  # fmt: skip
    ref = _normal_numpy(rows, g, G, x, y, T, C)
    assert got[3]  # every azimuth wrapped in the loop
    for a, b in zip(got[:3], ref, strict=True):
        assert a.tobytes() == b.tobytes()
    assert np.all(ref[0][400:] == 0.0)  # the premise: empty events stay empty


def test_an_azimuth_beyond_the_wrapped_range_goes_back_to_numpy() -> None:
    pytest.importorskip("numba")
    from ceasefire.fuse.normal import normal_kernel
    from ceasefire.fuse.solve import _normal

    rows, g = _rows(2_000, 3)
    az = rows.az.copy()
    az[5] = 40.0  # not wrapped: (az - angle + pi) beyond 4 pi
    rows = Rows(
        rows.ox,
        rows.oy,
        az,
        *(getattr(rows, f) for f in Rows.__dataclass_fields__ if f not in ("ox", "oy", "az")),
    )
    G = 400
    rng = np.random.default_rng(4)
    x, y, T = rng.uniform(-60e3, 60e3, G), rng.uniform(-30e3, 30e3, G), rng.uniform(0, 3_600, G)
    kernel = normal_kernel()
    assert kernel is not None
    ang = np.arctan2(x[g] - rows.ox, y[g] - rows.oy)
    assert not kernel(
        rows.ox, rows.oy, rows.az, rows.sigma_az, rows.t, rows.sigma_t, rows.speed_factor,
        rows.rng, rows.sigma_rng, g, G, x, y, T, ang, C, np.arange(g.shape[0]),
    )[3]  # fmt: skip
    for a, b in zip(
        _normal(rows, g, G, x, y, T, C), _normal_numpy(rows, g, G, x, y, T, C), strict=True
    ):
        assert a.tobytes() == b.tobytes()


def test_fit_finds_a_three_bearing_fix() -> None:
    # three observers looking at (1000, 2000) from known places: the fit lands there
    ox, oy = np.array([0.0, 3000.0, -2000.0]), np.array([0.0, 0.0, 4000.0])
    az = np.arctan2(1000.0 - ox, 2000.0 - oy)
    d = np.hypot(1000.0 - ox, 2000.0 - oy)
    rows = Rows(
        ox, oy, az, np.full(3, 0.01), 100.0 + d / C, np.full(3, 0.01), np.ones(3),
        np.full(3, np.nan), np.full(3, np.nan),
    )  # fmt: skip
    f = fit(rows, np.zeros(3, np.intp), 1, np.array([0.0]), np.array([1000.0]), np.array([90.0]), C)
    assert abs(f.x[0] - 1000.0) < 1.0 and abs(f.y[0] - 2000.0) < 1.0 and abs(f.T[0] - 100.0) < 0.01


def test_a_subset_read_in_place_equals_the_gathered_subset() -> None:
    # the fit's iterations pass the rows of the events still moving as indices
    pytest.importorskip("numba")
    from ceasefire.fuse.solve import _normal

    rows, g = _rows(6_000, 6)
    rng = np.random.default_rng(7)
    sel = np.sort(rng.choice(6_000, 2_500, replace=False))
    G = 400
    x, y, T = rng.uniform(-60e3, 60e3, G), rng.uniform(-30e3, 30e3, G), rng.uniform(0, 3_600, G)
    got = _normal(rows, g[sel], G, x, y, T, C, sel)
    ref = _normal_numpy(rows.take(sel), g[sel], G, x, y, T, C)
    for a, b in zip(got, ref, strict=True):
        assert a.tobytes() == b.tobytes()
    assert np.any(got[0] != _normal_numpy(rows, g, G, x, y, T, C)[0])  # the subset matters
