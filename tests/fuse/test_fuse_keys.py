"""The one-sort key sets give what numpy's own ``unique`` / ``isin`` give, on
keys with many repeats, negatives, one element and none."""

from __future__ import annotations

import numpy as np
import pytest

from ceasefire.fuse.keys import (
    first_max_of_runs,
    isin_keys,
    isin_sorted,
    lexsort_int_float_int,
    ranges,
    row_ranks,
    stable_argsort,
    unique,
    unique_index,
    unique_inverse,
)

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


@pytest.mark.parametrize("span", [3, 2**16 - 1, 2**16, 2**20])
def test_the_stable_order_is_numpys_on_either_side_of_the_radix_span(span: int) -> None:
    # many ties (stability decides their order) and negative keys; keys spanning at
    # most 2**16 values (``span`` up to 2**16) take the 16-bit radix path, wider
    # ones numpy's own sort
    rng = np.random.default_rng(span)
    a = rng.integers(-5, span - 5, 5_000)
    a[:2] = -5, span - 6  # the whole span is used
    order = stable_argsort(a)
    assert order.dtype == np.intp
    assert np.array_equal(order, np.argsort(a, kind="stable"))
    for name in sorted(CASES):
        assert np.array_equal(stable_argsort(CASES[name]), np.argsort(CASES[name], kind="stable"))


def test_unique_inverse_of_a_sorted_array_needs_no_sort() -> None:
    from ceasefire.fuse.keys import unique_inverse_sorted

    a = np.sort(np.random.default_rng(3).integers(0, 50, 2_000))
    want = np.unique(a, return_inverse=True)
    got = unique_inverse_sorted(a)
    assert np.array_equal(want[0], got[0]) and np.array_equal(want[1].ravel(), got[1])


def test_pairs_by_row_equal_the_sorted_distinct_keys() -> None:
    # events arrive in any order per row (the kernel sorts each row's run), with
    # duplicates (a member that is also a time candidate)
    from ceasefire.fuse.association.byrow import by_row

    rng = np.random.default_rng(4)
    n_rows, n_ev = 3_000, 400
    k = rng.integers(0, n_rows, 40_000)
    g = rng.integers(0, n_ev, 40_000)
    k = np.concatenate([k, k[:5_000]])
    g = np.concatenate([g, g[:5_000]])
    key = np.unique(k.astype(np.int64) * (n_ev + 1) + g)
    got_g, got_k = by_row(g, k, n_rows, n_ev)
    assert np.array_equal(got_k, key // (n_ev + 1)) and np.array_equal(got_g, key % (n_ev + 1))


def test_each_rows_best_pair_is_the_first_of_its_row_in_the_lexsort() -> None:
    # scores with ties (a few values), -0.0 next to 0.0 and NaNs: ties go to the
    # lowest event, NaN last, as in np.lexsort
    from ceasefire.fuse.association.byrow import best_of_rows

    rng = np.random.default_rng(5)
    n_rows, n = 2_000, 30_000
    k = rng.integers(0, n_rows - 100, n)  # the last 100 rows have no pair
    g = rng.integers(0, 500, n)
    score = rng.integers(-3, 4, n).astype(float)
    score[rng.random(n) < 0.1] = np.nan
    score[score == 0.0] = np.where(rng.random(int((score == 0.0).sum())) < 0.5, -0.0, 0.0)
    order = np.lexsort((g, score, k))
    first = np.ones(n, bool)
    first[1:] = k[order][1:] != k[order][:-1]
    want = order[first]
    got = best_of_rows(k, score, g, n_rows)
    assert np.array_equal(got, want)
    assert got.shape[0] == np.unique(k).shape[0] < n_rows


@pytest.mark.parametrize("n_cols", [2, 3])
def test_row_ranks_are_numpys_unique_inverse_along_rows(n_cols: int) -> None:
    rng = np.random.default_rng(4)
    # 300 distinct records repeated over 20 k rows, ties in the first column,
    # +0.0 and -0.0 (equal: one record)
    table = rng.uniform(-1e5, 1e5, (300, n_cols))
    table[:40, 0] = table[40:80, 0]
    table[80, 0], table[81, 0] = 0.0, -0.0
    table[81, 1:] = table[80, 1:]
    rows = table[rng.integers(0, 300, 20_000)]
    cols = [rows[:, i].copy() for i in range(n_cols)]
    want = np.unique(rows, axis=0, return_inverse=True)[1].ravel()
    got = row_ranks(*cols)
    assert np.array_equal(got, want)
    assert got.max() == 298  # the premise: the two zeros are one record
    # a NaN: numpy's own answer
    cols[0][5] = np.nan
    want = np.unique(np.column_stack(cols), axis=0, return_inverse=True)[1].ravel()
    assert np.array_equal(row_ranks(*cols), want)


def test_ranges_are_the_segments_concatenated() -> None:
    # segments [5, 8), [] and [0, 2) of a flat array, as a loop would list them
    got = ranges(np.array([5, 9, 0]), np.array([3, 0, 2]))
    assert got.tolist() == [5, 6, 7, 0, 1]
    assert got.dtype == np.intp
    assert ranges(np.zeros(0, np.intp), np.zeros(0, np.intp)).shape == (0,)


@pytest.mark.parametrize("size", [5_000, 2**40])
def test_membership_among_unsorted_keys_by_table_or_sort(size: int) -> None:
    # a small key space goes through a table of flags, a wide one through a sort
    rng = np.random.default_rng(7)
    keys = rng.integers(0, size, 3_000)  # unsorted, with repeats when the space is small
    a = np.concatenate([rng.integers(0, size, 4_000), keys[:500], [0, size - 1]])
    got = isin_keys(a, keys, size)
    assert np.array_equal(got, np.isin(a, keys))
    assert got[4_000:4_500].all()  # the keys themselves are in
    assert not isin_keys(a, keys[:0], size).any()


@pytest.mark.parametrize(
    "lo, hi",
    [(-50, 50), (0, 2**11), (-(2**40), 2**40), (0, 2**61), (-(2**62), 2**62)],
)
def test_unique_of_many_64_bit_keys_is_numpys_whatever_their_span(lo: int, hi: int) -> None:
    # at least 4,096 keys of int64 take the compiled radix sort when their span
    # fits 62 bits (one digit, several, the widest), numpy's sort past that
    rng = np.random.default_rng(hi % 1_000)
    a = rng.integers(lo, hi, 20_000, dtype=np.int64)
    a[::7] = a[3]  # many repeats, spread over the array
    a[5], a[9] = lo, hi - 1
    got = unique(a)
    assert got.dtype == np.int64
    assert np.array_equal(got, np.unique(a))
    # other integer types keep numpy's path and their type
    small = a.astype(np.int32) if hi <= 2**31 else (a >> 33).astype(np.int32)
    assert unique(small).dtype == np.int32
    assert np.array_equal(unique(small), np.unique(small))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lexsort_int_float_int_is_numpys_lexsort_ties_and_nans_included(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 3_000
    major = rng.integers(0, 40, n)
    # few distinct floats: many ties in (major, mid) that only the minor key breaks
    mid = rng.integers(0, 5, n).astype(np.float64)
    mid[rng.random(n) < 0.05] = np.nan
    minor = rng.integers(-(2**40), 2**40, n)  # wide: the merge sort, not the radix
    got = lexsort_int_float_int(major, mid, minor)
    assert np.array_equal(got, np.lexsort((minor, mid, major)))
    small = rng.integers(0, 300, n)
    assert np.array_equal(
        lexsort_int_float_int(small, mid, small[::-1].copy()),
        np.lexsort((small[::-1], mid, small)),
    )
    assert lexsort_int_float_int(major[:0], mid[:0], minor[:0]).shape == (0,)


def test_first_max_of_runs_is_the_first_of_each_run_in_lexsort_order() -> None:
    rng = np.random.default_rng(5)
    key = np.sort(rng.integers(0, 200, 4_000))
    count = rng.integers(0, 4, 4_000)  # many tied counts within a run
    o = np.lexsort((-count, key))
    first = np.ones(o.shape[0], bool)
    first[1:] = key[o][1:] != key[o][:-1]
    got = first_max_of_runs(key, count)
    assert np.array_equal(got, o[first])
    # the first of the largest, not any: a run [1, 3, 3] takes its second position
    assert first_max_of_runs(np.array([4, 4, 4, 9]), np.array([1, 3, 3, 0])).tolist() == [1, 3]
    assert first_max_of_runs(key[:0], count[:0]).shape == (0,)
