"""A free bearing seeded with its best partner another event took
(``AssociationConfig.reclaim_pairs``, ``fuse/association/reclaim.py``)."""

from __future__ import annotations

import math

import numpy as np
from fuse_scenes import T0, Scene
from test_fuse_scale import _reports, _rows_of

from ceasefire.fuse.association import AssociationConfig
from ceasefire.fuse.association.clusters import Clusters
from ceasefire.fuse.association.pairs import PairConfig, Pairs, bearing_pairs
from ceasefire.fuse.association.reclaim import reclaim_seeds, seed_rows
from ceasefire.fuse.association.rounds import reclaim


def _pairs(i: list[int], j: list[int], chi2: list[float]) -> Pairs:
    n = len(i)
    z = np.zeros(n)
    return Pairs(np.array(i, np.intp), np.array(j, np.intp), np.array(chi2), z, z, z)


def test_the_best_pair_of_a_free_bearing_into_an_event_that_keeps_two() -> None:
    # rows 0 and 6 free; 1-4 in event 0 (four bearings); 5 and 7 in event 1 (two)
    labels = np.array([-1, 0, 0, 0, 0, 1, -1, 1], np.intp)
    bearing = np.ones(8, bool)
    pairs = _pairs(
        [0, 0, 1, 0, 5, 2],
        [1, 2, 3, 5, 6, 6],
        [0.5, 0.2, 0.1, 0.05, 0.01, 0.3],
    )
    # (0, 5) is the best of row 0 but event 1 would keep one bearing; (5, 6) alike;
    # (1, 3): no end free; so row 0 takes 2 (0.2 < 0.5) and row 6 would take 2 too
    # (0.3), but 2 is row 0's: the better of the two, and one row per event
    got = reclaim_seeds(labels, bearing, pairs)
    assert got.tolist() == [1]
    assert seed_rows(pairs, got, labels).tolist() == [0, 2]
    # when an event of two may give one: rows 0 and 6 both take 5, (0, 5) at 0.05
    # and (5, 6) at 0.01: the better one only, and row 0 is offered nothing else
    assert reclaim_seeds(labels, bearing, pairs, keep_bearings=1).tolist() == [4]
    # a chi-square cap: (0, 2) at 0.2 under it stays; under 0.2 nothing is left
    assert reclaim_seeds(labels, bearing, pairs, max_chi2=0.25).tolist() == [1]
    assert reclaim_seeds(labels, bearing, pairs, max_chi2=0.1).tolist() == []
    # ... and where an event of two may give one, (5, 6) at 0.01 stands under 0.02
    assert reclaim_seeds(labels, bearing, pairs, 1, 0.02).tolist() == [4]
    # arrivals are no bearings: an event of four rows, two of them arrivals, keeps two
    bearing[[3, 4]] = False
    assert reclaim_seeds(labels, bearing, pairs).tolist() == []
    assert reclaim_seeds(np.full(8, -1, np.intp), bearing, pairs).tolist() == []


A = (0.0, 8_000.0)
B = (1_500.0, 8_500.0)


def test_the_taken_partner_joins_the_free_bearing_at_their_source() -> None:
    sc = Scene()
    for k, xy in enumerate(((-6_000.0, 0.0), (6_000.0, 0.0), (0.0, -3_000.0))):
        sc.bearing(f"a{k}", f"obs-a{k}", xy, A, T0)
    sc.bearing("x", "obs-x", (-4_000.0, 2_000.0), B, T0 + 3.0)
    sc.bearing("o", "obs-o", (5_000.0, 3_000.0), B, T0 + 3.0)
    rows, src, direction = _rows_of(sc)
    rep = _reports(rows, src, direction)
    # the rows are sorted by time: x's and o's by their observers' x
    x_row = int(np.flatnonzero(np.isclose(rep.rows.ox, -4_000.0))[0])
    o_row = int(np.flatnonzero(np.isclose(rep.rows.ox, 5_000.0))[0])
    a_rows = [r for r in range(rep.n) if r not in (x_row, o_row)]
    cl = Clusters.empty(rep.n)
    cl.add(np.zeros(4, np.intp), np.array([*a_rows, o_row]), np.array([A[0]]),
           np.array([A[1]]), np.array([T0]))  # fmt: skip
    cl.settle(rep)
    pairs = bearing_pairs(rep, PairConfig())
    assert reclaim(rep, cl, pairs, AssociationConfig()) is not None
    lab = cl.labels
    # o left A's event for x's, whose fix is round B's source; A's event kept its three
    assert lab[x_row] >= 0 and lab[x_row] == lab[o_row]
    assert len({int(lab[r]) for r in a_rows}) == 1 and lab[a_rows[0]] != lab[x_row]
    g = int(lab[x_row])
    assert math.hypot(cl.x[g] - B[0], cl.y[g] - B[1]) < 100.0
    a = int(lab[a_rows[0]])
    assert math.hypot(cl.x[a] - A[0], cl.y[a] - A[1]) < 100.0


def test_nothing_to_reclaim_leaves_the_events_as_they_are() -> None:
    sc = Scene()
    for k, xy in enumerate(((-6_000.0, 0.0), (6_000.0, 0.0), (0.0, -3_000.0))):
        sc.bearing(f"a{k}", f"obs-a{k}", xy, A, T0)
    rep = _reports(*_rows_of(sc))
    cl = Clusters.empty(rep.n)
    cl.add(np.zeros(3, np.intp), np.arange(3), np.array([A[0]]), np.array([A[1]]),
           np.array([T0]))  # fmt: skip
    cl.settle(rep)
    before = cl.labels.copy()
    assert reclaim(rep, cl, bearing_pairs(rep, PairConfig()), AssociationConfig()) is None
    assert np.array_equal(cl.labels, before)
