"""Bearings freed late are paired once more (fuse/associate.py ``_final_pairs``)."""

from __future__ import annotations

import numpy as np
from grid_rows import bearing_rows, fitted

from ceasefire.fuse import FuseConfig
from ceasefire.fuse.associate import Clusters, _final_pairs, _triangles, bearing_pairs

T0 = 1_000.0
A = (0.0, 0.0, T0)  # x, y (m), emission time (s)
B = (0.0, 6_000.0, T0 + 40.0)
POSTS = [(-8_000.0, 0.0), (8_000.0, 500.0), (500.0, -9_000.0)]


def _empty(n: int) -> Clusters:
    return Clusters(
        np.full(n, -1, np.intp), np.zeros(0), np.zeros(0), np.zeros(0), np.zeros((0, 3, 3))
    )


def test_two_free_bearings_of_one_sound_become_an_event_there() -> None:
    # two posts heard A; the third post's report is of B, which nothing else heard
    rows = bearing_rows([(POSTS[0], A), (POSTS[1], A), (POSTS[2], B)])
    src = np.arange(3, dtype=np.intp)
    direction = np.full(3, 2, np.int8)
    cfg = FuseConfig()
    pairs = bearing_pairs(rows, src, direction, np.arange(3), cfg)
    cl = _empty(3)
    assert _final_pairs(rows, src, direction, cl, pairs, _triangles(pairs, 3), cfg) is not None
    assert cl.n == 1
    assert cl.labels.tolist() == [0, 0, -1]
    assert np.hypot(cl.x[0] - A[0], cl.y[0] - A[1]) < 50.0
    assert abs(cl.T[0] - A[2]) < 0.5


def test_bearings_already_in_events_are_not_paired_again() -> None:
    rows = bearing_rows([(POSTS[0], A), (POSTS[1], A)])
    src = np.arange(2, dtype=np.intp)
    direction = np.full(2, 2, np.int8)
    cfg = FuseConfig()
    pairs = bearing_pairs(rows, src, direction, np.arange(2), cfg)
    cl = fitted([A], [0, 0])
    assert _final_pairs(rows, src, direction, cl, pairs, _triangles(pairs, 2), cfg) is None
    assert cl.n == 1 and cl.labels.tolist() == [0, 0]
