import numpy as np

from ceasefire.fuse.finite import finite_or_nan_as, nan_as


def test_nan_as_is_nan_to_num() -> None:
    x = np.array([1.5, np.nan, np.inf, -np.inf, -2.0, 0.0])
    got = nan_as(x, 1.0)
    np.testing.assert_array_equal(got, np.nan_to_num(x, nan=1.0))
    assert got is not x and np.isnan(x[1])  # the input is left as it was


def test_nan_as_keeps_shape_and_signed_zeros() -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(size=(40, 2, 2)) * 10.0 ** rng.integers(-300, 300, (40, 2, 2))
    x[rng.random(x.shape) < 0.2] = np.nan
    x[0, 0, 0], x[1, 1, 1], x[2, 0, 1] = -0.0, np.inf, -np.inf
    got = nan_as(x, 1e8)
    want = np.nan_to_num(x, nan=1e8)
    assert got.shape == x.shape
    # the same bits, -0.0 kept as numpy keeps it
    assert got.tobytes() == want.tobytes()


def test_finite_or_nan_as() -> None:
    x = np.array([1.0, -3.0, 2.5])
    assert finite_or_nan_as(x, 30.0) is x  # all finite: read as it is
    y = np.array([1.0, np.nan, np.inf])
    got = finite_or_nan_as(y, 30.0)
    assert got is not y
    np.testing.assert_array_equal(got, np.nan_to_num(y, nan=30.0))
    # another dtype is converted, as np.nan_to_num's float64 callers expect
    z = finite_or_nan_as(np.array([np.nan, 2.0], dtype=np.float32), 30.0)
    assert z.dtype == np.float64
    np.testing.assert_array_equal(z, [30.0, 2.0])
