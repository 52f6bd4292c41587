"""Splitting located events of a few bearings alone whose fix lies far from every
observer (:mod:`ceasefire.fuse.association.weak`): which events the config picks,
and that the split frees their rows and leaves the others whole."""

from __future__ import annotations

import numpy as np

from ceasefire.fuse.association import Clusters, Reports
from ceasefire.fuse.association.weak import WeakConfig, split_weak, weak
from ceasefire.fuse.solve import Rows

C = 343.0
SIG_AZ = np.radians(2.0)


def _scene(far_y: float = 28e3) -> tuple[Reports, Clusters]:
    """Event 0: two bearings crossing at right angles, from 10 and 14 km. Event 1:
    two bearings from observers 1 km apart at a point ``far_y`` north of them
    (nearly parallel). Event 2: one bearing and two arrivals, ~30 km from each
    (no test: arrivals). Every report exact."""
    obs = [(-10e3, 10e3), (10e3, 0.0), (30e3, 0.0), (31e3, 0.0)]
    obs += [(-1e3, -25e3), (0.0, -26e3), (1e3, -25e3)]
    pts = [(0.0, 10e3), (0.0, 10e3), (30.5e3, far_y), (30.5e3, far_y)]
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
    rep = Reports(rows, np.arange(n), np.full(n, 2, np.int8), C, 40_000.0)
    labels = np.array([0, 0, 1, 1, 2, 2, 2])[order]
    cl = Clusters(
        labels, np.array([500.0, 30e3, 500.0]), np.array([9e3, far_y - 2e3, 4e3]),
        np.array([100.0, 200.0, 300.0]), np.full((3, 3, 3), np.nan),
    )  # fmt: skip
    return rep, cl


def test_only_the_bearings_far_from_every_observer_are_picked() -> None:
    rep, cl = _scene()
    cl.refit(rep)
    assert np.all(np.isfinite(cl.cov))
    # event 1's fix is ~28 km from both its observers: over the 25 km default
    assert weak(rep, cl, WeakConfig()).tolist() == [False, True, False]
    assert not weak(rep, cl, WeakConfig(min_near_m=None)).any()
    assert not weak(rep, cl, WeakConfig(min_near_m=29e3)).any()
    # at 12 km event 0 (10 and 14 km) stays: its nearest observer is nearer
    assert weak(rep, cl, WeakConfig(min_near_m=12e3)).tolist() == [False, True, False]
    assert weak(rep, cl, WeakConfig(min_near_m=9e3)).tolist() == [True, True, False]
    # more bearings than max_bearings: not tested
    assert not weak(rep, cl, WeakConfig(max_bearings=1)).any()


def test_a_fix_nearer_than_the_floor_stands() -> None:
    rep, cl = _scene(far_y=20e3)
    cl.refit(rep)
    assert not weak(rep, cl, WeakConfig()).any()


def test_the_split_frees_the_event_rows_and_compact_drops_it() -> None:
    rep, cl = _scene()
    cl.refit(rep)
    before = cl.labels.copy()
    assert split_weak(rep, cl, WeakConfig()) == 1
    assert (cl.labels[before == 1] == -1).all()
    assert (cl.labels[before != 1] == before[before != 1]).all()
    cl.compact(rep)
    assert cl.n == 2
    assert sorted(set(cl.labels.tolist())) == [-1, 0, 1]
    # nothing left to split
    assert split_weak(rep, cl, WeakConfig()) == 0
