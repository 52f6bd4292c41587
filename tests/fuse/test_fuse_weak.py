"""Splitting located events of a few nearly parallel bearings
(:mod:`ceasefire.fuse.association.weak`): which events the config picks, and that
the split frees their rows and leaves the others whole."""

from __future__ import annotations

import numpy as np

from ceasefire.fuse.association import Clusters, Reports
from ceasefire.fuse.association.weak import WeakConfig, split_weak, weak
from ceasefire.fuse.solve import Rows

C = 343.0
SIG_AZ = np.radians(2.0)


def _scene() -> tuple[Reports, Clusters]:
    """Event 0: two bearings crossing at right angles 10 km out (a short ellipse).
    Event 1: two bearings from observers 1 km apart at a point 20 km north (their
    directions 2.9 degrees apart: an ellipse many km long). Event 2: one bearing and
    two arrivals at (0, 5 km). Every report exact."""
    obs = [(-10e3, 10e3), (10e3, 0.0), (30e3, 0.0), (31e3, 0.0)]
    obs += [(-3e3, 5e3), (0.0, 0.0), (3e3, 5e3)]
    pts = [(0.0, 10e3), (0.0, 10e3), (30.5e3, 20e3), (30.5e3, 20e3)]
    pts += [(0.0, 5e3)] * 3
    bearing = np.array([1, 1, 1, 1, 1, 0, 0], bool)
    ox, oy = np.array(obs).T
    px, py = np.array(pts).T
    rho = np.hypot(px - ox, py - oy)
    T0 = np.array([100.0, 100.0, 200.0, 200.0, 300.0, 300.0, 300.0])
    n = ox.shape[0]
    rows = Rows(
        ox, oy, np.where(bearing, np.arctan2(px - ox, py - oy), np.nan),
        np.where(bearing, SIG_AZ, np.nan), T0 + rho / C, np.full(n, 1.0), np.ones(n),
        np.full(n, np.nan), np.full(n, np.nan),
    )  # fmt: skip
    order = np.argsort(rows.t, kind="stable")
    rows = rows.take(order)
    rep = Reports(rows, np.arange(n), np.full(n, 2, np.int8), C, 30_000.0)
    labels = np.array([0, 0, 1, 1, 2, 2, 2])[order]
    cl = Clusters(
        labels, np.array([500.0, 30e3, 500.0]), np.array([9e3, 18e3, 4e3]),
        np.array([100.0, 200.0, 300.0]), np.full((3, 3, 3), np.nan),
    )  # fmt: skip
    return rep, cl


def test_only_the_long_ellipse_of_bearings_alone_is_picked() -> None:
    rep, cl = _scene()
    f = cl.refit(rep)
    assert f.ok.all()
    assert not weak(rep, cl, f, WeakConfig()).any()  # off by default
    assert weak(rep, cl, f, WeakConfig(split_a95_m=2_000.0)).tolist() == [False, True, False]
    # a bound above the long ellipse picks nothing
    assert not weak(rep, cl, f, WeakConfig(split_a95_m=1e6)).any()
    # the far observer of event 1 is ~20 km away: a 25 km floor keeps it
    assert not weak(rep, cl, f, WeakConfig(split_a95_m=2_000.0, min_far_m=25e3)).any()
    # every observer of event 1 is ~20 km away, of event 0 10 and 14 km away
    near = weak(rep, cl, f, WeakConfig(split_a95_m=0.0, min_near_m=15e3, max_bearings=4))
    assert near.tolist() == [False, True, False]
    assert not weak(rep, cl, f, WeakConfig(split_a95_m=0.0, min_near_m=25e3)).any()
    # exact reports: no chi-square is over its 99 % quantile
    assert not weak(rep, cl, f, WeakConfig(split_a95_m=0.0, split_p=0.99)).any()


def test_the_split_frees_the_event_rows_and_compact_drops_it() -> None:
    rep, cl = _scene()
    f = cl.refit(rep)
    before = cl.labels.copy()
    assert split_weak(rep, cl, f, WeakConfig(split_a95_m=2_000.0)) == 1
    assert (cl.labels[before == 1] == -1).all()
    assert (cl.labels[before != 1] == before[before != 1]).all()
    cl.compact(rep)
    assert cl.n == 2
    assert sorted(set(cl.labels.tolist())) == [-1, 0, 1]


def test_a_two_bearing_event_with_discordant_times_is_split_by_its_chi_square() -> None:
    rep, cl = _scene()
    # event 1's second bearing heard 15 s late: observers 1 km apart cannot hear
    # one sound 15 s apart (3 s at most at 343 m/s), so the fit's chi-square is large
    late = np.flatnonzero(cl.labels == 1)[1]
    rep.rows.t[late] += 15.0
    f = cl.refit(rep)
    assert weak(rep, cl, f, WeakConfig(split_a95_m=0.0, split_p=0.99)).tolist() == [
        False,
        True,
        False,
    ]
