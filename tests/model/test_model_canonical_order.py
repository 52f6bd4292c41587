"""The canonical order of observations (model/arrays.py, ``canonical_order``): by
time, then source, then id, then as given, which is ``np.lexsort`` of the three
(the strings compared only where times are equal)."""

from __future__ import annotations

import numpy as np
import pytest

from ceasefire.model.arrays import canonical_order


def _lexsort(t: np.ndarray, source: np.ndarray, ids: np.ndarray) -> np.ndarray:
    return np.lexsort((ids.astype(str), source.astype(str), t))


def _names(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    """``n`` names drawn among ``k`` of lengths 1-8 (an object array, as the
    stores' columns are)."""
    pool = ["".join(rng.choice(list("ab0-/"), rng.integers(1, 9))) for _ in range(k)]
    return np.array([pool[i] for i in rng.integers(0, k, n)], dtype=object)


@pytest.mark.parametrize("seed", range(20))
def test_the_order_is_lexsort_of_time_source_and_id(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 400))
    # times among few values (many ties), among many (few), or with -0.0 and inf
    kind = seed % 3
    if kind == 0:
        t = rng.integers(0, 12, n).astype(float) + 1.75e9
    elif kind == 1:
        t = rng.uniform(0, 1e4, n)
        t[rng.random(n) < 0.1] = 5.0
    else:
        t = rng.choice([0.0, -0.0, np.inf, -np.inf, 1.0], n)
    source, ids = _names(rng, n, 6), _names(rng, n, 30)
    got = canonical_order(t, source, ids)
    assert got.dtype == np.intp
    assert np.array_equal(got, _lexsort(t, source, ids))
    # the premise of the many-ties cases: full ties too (equal time, source and id)
    if kind == 0 and n > 200:
        keys = list(zip(t.tolist(), source.tolist(), ids.tolist(), strict=True))
        assert len(set(keys)) < n


def test_nan_times_go_last_ordered_by_source_and_id() -> None:
    t = np.array([3.0, np.nan, 1.0, np.nan, np.nan, 1.0])
    source = np.array(["b", "b", "a", "a", "b", "c"], dtype=object)
    ids = np.array(["1", "2", "3", "4", "0", "5"], dtype=object)
    got = canonical_order(t, source, ids)
    # 1.0 (a/3, c/5), 3.0 (b/1), then the NaN times by source and id: a/4, b/0, b/2
    assert got.tolist() == [2, 5, 0, 3, 4, 1]
    assert np.array_equal(got, _lexsort(t, source, ids))
