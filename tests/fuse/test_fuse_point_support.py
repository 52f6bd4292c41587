"""A pair's support by its own crossing point
(:func:`~ceasefire.fuse.association.pairs.point_support`) and the seed choice's ranks
(:func:`~ceasefire.fuse.association.pairs.seed_ranks`)."""

from __future__ import annotations

import numpy as np
import pytest
from grid_rows import bearing_rows, reports

from ceasefire.fuse.association import PairConfig
from ceasefire.fuse.association.pairs import (
    Pairs,
    bearing_pairs,
    point_support,
    seed_ranks,
    triangles,
)

T0 = 1_000.0
A = (0.0, 0.0, T0)  # x, y (m), emission time (s)
B = (0.0, 6_000.0, T0 + 40.0)  # another sound, 6 km and 40 s away
POSTS = [(-8_000.0, 0.0), (8_000.0, 500.0), (500.0, -9_000.0), (-6_000.0, 7_000.0)]


def _one(p: Pairs, k: int) -> Pairs:
    return Pairs(*(np.asarray(getattr(p, f))[k : k + 1] for f in ("i", "j", "chi2", "x", "y", "T")))


def test_the_bearings_through_a_pairs_point_are_its_support() -> None:
    # four posts heard A, a fifth B; a second report of post 0 (its own observer) of A
    rows = bearing_rows([(o, A) for o in POSTS] + [((8_000.0, 6_000.0), B), (POSTS[0], A)])
    rep = reports(rows, [0, 1, 2, 3, 4, 0])
    p = bearing_pairs(rep, PairConfig())
    k = int(np.flatnonzero((p.i == 0) & (p.j == 1))[0])
    # rows 2 and 3 pass A; row 4 (B) does not, nor row 5 (post 0's own)
    assert point_support(rep, _one(p, k), 0.999).tolist() == [2.0]
    # every pair of A's reports: the others of A, of other observers (post 0's
    # two reports both count for a pair without post 0)
    of_a = (p.i != 4) & (p.j != 4)
    with_0 = of_a & ((p.i == 0) | (p.j == 0) | (p.i == 5) | (p.j == 5))
    got = point_support(rep, p, 0.999)
    assert with_0.any() and (of_a & ~with_0).any()
    assert set(got[with_0].tolist()) == {2.0}
    assert set(got[of_a & ~with_0].tolist()) == {3.0}


def test_a_pairs_point_support_does_not_move_with_the_pairs_offered() -> None:
    rows = bearing_rows([(o, A) for o in POSTS])
    rep = reports(rows, [0, 1, 2, 3])
    p = bearing_pairs(rep, PairConfig())
    assert p.i.shape[0] == 6  # the premise: every two posts pair
    k = int(np.flatnonzero((p.i == 0) & (p.j == 1))[0])
    alone = _one(p, k)
    # offered alone, the pair has no triangle; among all six, two
    assert triangles(alone, 4).tolist() == [0.0]
    assert triangles(p, 4)[k] == 2.0
    assert point_support(rep, alone, 0.999)[0] == point_support(rep, p, 0.999)[k] == 2.0


def test_a_bearing_off_the_point_by_its_sd_counts_and_by_ten_does_not() -> None:
    rows = bearing_rows([(o, A) for o in POSTS[:3]])
    rep = reports(rows, [0, 1, 2])
    # posts 0 and 2 see A at right angles: their point is known to ~150 m (posts 0
    # and 1, nearly opposite, place it only to ~2 km along x)
    p = bearing_pairs(rep, PairConfig())
    p = _one(p, int(np.flatnonzero((p.i == 0) & (p.j == 2))[0]))
    for turn, want in ((1.0, 1.0), (10.0, 0.0)):
        az = rows.az.copy()
        az[1] += np.radians(turn)  # the bearings' sd is 1 degree
        moved = reports(type(rows)(*(az if f == "az" else getattr(rows, f)
                                     for f in rows.__dataclass_fields__)), [0, 1, 2])  # fmt: skip
        assert point_support(moved, p, 0.999).tolist() == [want]


def test_the_seed_ranks_as_named() -> None:
    rows = bearing_rows([(o, A) for o in POSTS])
    rng = rows.rng.copy()
    rng[0] = 8_000.0  # post 0 states its range: its pairs have two dof
    rows = type(rows)(*(rng if f == "rng" else getattr(rows, f) for f in rows.__dataclass_fields__))
    rows = type(rows)(*(np.full(4, 100.0) if f == "sigma_rng" else getattr(rows, f)
                        for f in rows.__dataclass_fields__))  # fmt: skip
    rep = reports(rows, [0, 1, 2, 3])
    p = bearing_pairs(rep, PairConfig())
    tri = triangles(p, 4)
    same, t = seed_ranks(rep, p, tri, PairConfig())
    assert same is p and t is tri
    q, sup = seed_ranks(rep, p, tri, PairConfig(seed_rank="point"))
    dof = np.where(p.i == 0, 2.0, 1.0)
    assert np.allclose(q.chi2, p.chi2 / dof)
    assert sup.tolist() == [2.0] * 6
    with pytest.raises(ValueError, match="seed_rank"):
        seed_ranks(rep, p, tri, PairConfig(seed_rank="points"))
