"""``merging.shares_observer``: whether two events hold a row of one observer,
against the sets of their observers (free rows, repeats, events without rows)."""

from __future__ import annotations

import numpy as np
import pytest

from ceasefire.fuse.association.merging import shares_observer


@pytest.mark.parametrize("seed", range(5))
def test_shared_observers_are_the_sets_intersection(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_ev, n_src, n = 40, 12, 300
    labels = rng.integers(-1, n_ev - 5, n).astype(np.intp)  # the last 5 events: no rows
    src = rng.integers(0, n_src, n).astype(np.intp)
    a = rng.integers(0, n_ev, 200).astype(np.intp)
    b = rng.integers(0, n_ev, 200).astype(np.intp)
    seen = [set(src[labels == e].tolist()) for e in range(n_ev)]
    want = [bool(seen[i] & seen[j]) for i, j in zip(a.tolist(), b.tolist(), strict=True)]
    got = shares_observer(labels, src, n_src, a, b)
    assert got.dtype == bool and got.tolist() == want
    assert 0 < sum(want) < len(want)


def test_no_pairs_and_no_rows() -> None:
    none = np.zeros(0, np.intp)
    labels = np.array([-1, -1], np.intp)
    assert shares_observer(labels, np.array([0, 1], np.intp), 2, none, none).shape == (0,)
    got = shares_observer(labels, np.array([0, 1], np.intp), 2, np.array([0]), np.array([1]))
    assert got.tolist() == [False]
