"""``engine._any_of``: membership of a few codes by comparisons, as ``np.isin``."""

from __future__ import annotations

import numpy as np

from ceasefire.fuse.engine import LAUNCH_KINDS, _any_of


def test_any_of_is_isin() -> None:
    rng = np.random.default_rng(2)
    codes = rng.integers(-1, 12, 500).astype(np.int8)
    for wanted in ([], [3], [0, 5, 11], LAUNCH_KINDS.tolist(), [-1, 99]):
        got = _any_of(codes, wanted)
        assert got.dtype == np.bool_
        assert np.array_equal(got, np.isin(codes, wanted))
    assert _any_of(np.zeros(0, np.int8), [1]).shape == (0,)
