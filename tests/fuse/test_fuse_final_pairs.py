"""Bearings freed late are paired once more (``association.rounds.final_pairs``)."""

from __future__ import annotations

import numpy as np
from grid_rows import bearing_rows, fitted, reports

from ceasefire.fuse.association import AssociationConfig, Clusters
from ceasefire.fuse.association.pairs import bearing_pairs, triangles
from ceasefire.fuse.association.rounds import final_pairs

T0 = 1_000.0
A = (0.0, 0.0, T0)  # x, y (m), emission time (s)
B = (0.0, 6_000.0, T0 + 40.0)
POSTS = [(-8_000.0, 0.0), (8_000.0, 500.0), (500.0, -9_000.0)]


def test_two_free_bearings_of_one_sound_become_an_event_there() -> None:
    # two posts heard A; the third post's report is of B, which nothing else heard
    rep = reports(bearing_rows([(POSTS[0], A), (POSTS[1], A), (POSTS[2], B)]), [0, 1, 2])
    cfg = AssociationConfig()
    pairs = bearing_pairs(rep, cfg.pairs)
    cl = Clusters.empty(3)
    assert final_pairs(rep, cl, pairs, triangles(pairs, 3), cfg) is not None
    assert cl.n == 1
    assert cl.labels.tolist() == [0, 0, -1]
    assert np.hypot(cl.x[0] - A[0], cl.y[0] - A[1]) < 50.0
    assert abs(cl.T[0] - A[2]) < 0.5


def test_bearings_already_in_events_are_not_paired_again() -> None:
    rep = reports(bearing_rows([(POSTS[0], A), (POSTS[1], A)]), [0, 1])
    cfg = AssociationConfig()
    pairs = bearing_pairs(rep, cfg.pairs)
    cl = fitted([A], [0, 0])
    assert final_pairs(rep, cl, pairs, triangles(pairs, 2), cfg) is None
    assert cl.n == 1 and cl.labels.tolist() == [0, 0]
