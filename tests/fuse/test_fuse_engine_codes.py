"""``engine._any_of``: membership of a few codes by comparisons, as ``np.isin``;
``engine._distinct_per_group``: each group's distinct sources, as a set of names."""

from __future__ import annotations

import numpy as np

from ceasefire.fuse.engine import LAUNCH_KINDS, _any_of, _distinct_per_group, _name_codes


def test_any_of_is_isin() -> None:
    rng = np.random.default_rng(2)
    codes = rng.integers(-1, 12, 500).astype(np.int8)
    for wanted in ([], [3], [0, 5, 11], LAUNCH_KINDS.tolist(), [-1, 99]):
        got = _any_of(codes, wanted)
        assert got.dtype == np.bool_
        assert np.array_equal(got, np.isin(codes, wanted))
    assert _any_of(np.zeros(0, np.int8), [1]).shape == (0,)


def test_distinct_sources_per_group_are_the_sets_of_their_names() -> None:
    rng = np.random.default_rng(4)
    # names alike by value in other objects, and two that numpy's strings would merge
    pool = ["obs-1", "obs-2", "".join(["obs", "-1"]), "a", "a\x00", "b" * 30]
    source = np.array([pool[i] for i in rng.integers(0, len(pool), 400)], dtype=object)
    labels = rng.integers(-1, 40, 400).astype(np.intp)
    got = _distinct_per_group(labels, _name_codes(source), 45)
    want = [len({source[i] for i in np.flatnonzero(labels == g)}) for g in range(45)]
    assert got.tolist() == want
    assert max(want) >= 4 and want[44] == 0  # the premise: several names, empty groups
    assert _distinct_per_group(np.full(3, -1, np.intp), np.zeros(3, np.intp), 2).tolist() == [0, 0]
