"""The one-sort key sets give what numpy's own ``unique`` / ``isin`` give, on
keys with many repeats, negatives, one element and none."""

from __future__ import annotations

import numpy as np
import pytest

from ceasefire.fuse.keys import isin_sorted, unique, unique_index, unique_inverse

CASES = {
    "repeats": np.random.default_rng(3).integers(-50, 50, 2_000),
    "wide": np.random.default_rng(4).integers(0, 2**40, 3_000),
    "one": np.array([7]),
    "none": np.zeros(0, np.int64),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_unique_and_its_inverse_and_first_index_are_numpys(name: str) -> None:
    a = CASES[name]
    assert np.array_equal(unique(a), np.unique(a))
    u, inv = unique_inverse(a)
    ref_u, ref_inv = np.unique(a, return_inverse=True)
    assert np.array_equal(u, ref_u) and np.array_equal(inv, ref_inv.ravel())
    assert np.array_equal(u[inv], a)
    u, first = unique_index(a)
    ref_u, ref_first = np.unique(a, return_index=True)
    assert np.array_equal(u, ref_u) and np.array_equal(first, ref_first)


def test_membership_in_a_sorted_table() -> None:
    a = np.array([5, -3, 9, 10, 0, 5, 11])
    table = unique(np.array([10, 5, 5, -3]))
    assert isin_sorted(a, table).tolist() == [True, True, False, True, False, True, False]
    assert not isin_sorted(a, table[:0]).any()
    # a key range far wider than the keys (searched, not tabled) answers alike
    wide = unique(np.array([10, 5, -3, 2**50]))
    assert isin_sorted(a, wide).tolist() == [True, True, False, True, False, True, False]
    rng = np.random.default_rng(9)
    keys, tab = rng.integers(0, 5_000, 3_000), unique(rng.integers(0, 5_000, 800))
    assert np.array_equal(isin_sorted(keys, tab), np.isin(keys, tab))
