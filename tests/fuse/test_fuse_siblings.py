"""Burst siblings: free bearings whose observers hold a report of an event seconds
apart, pointing at it, seed a sibling event there (fuse/association/siblings.py)."""

from __future__ import annotations

import numpy as np

from ceasefire.fuse.association.clusters import Clusters
from ceasefire.fuse.association.reports import Reports
from ceasefire.fuse.association.siblings import SiblingConfig, sibling_pairs, sibling_seeds
from ceasefire.fuse.solve import Rows

C = 340.0
# four observers 5 km around a source at the origin: south, west, east, north
OBS = np.array([[0.0, -5_000.0], [-5_000.0, 0.0], [5_000.0, 0.0], [0.0, 5_000.0]])


def _scene() -> tuple[Reports, Clusters]:
    """Rows 0-2: observers 0, 1, 2 hear a launch at the origin at T = 0 (one event);
    rows 3, 4: observers 0 and 1 hear a second launch there at T = 8 s (free); row 5:
    observer 3 (not in the event) hears it (free); row 6: observer 2, 8 s later, but
    its ray points 40 degrees away (free)."""
    who = np.array([0, 1, 2, 0, 1, 3, 2])
    emit = np.array([0.0, 0.0, 0.0, 8.0, 8.0, 8.0, 8.0])
    ox, oy = OBS[who, 0], OBS[who, 1]
    rho = np.hypot(ox, oy)
    az = np.arctan2(-ox, -oy)
    az[6] += np.radians(40.0)
    n = who.shape[0]
    rows = Rows(
        ox, oy, az, np.full(n, np.radians(5.0)), emit + rho / C, np.full(n, 2.0),
        np.ones(n), np.full(n, np.nan), np.full(n, np.nan),
    )  # fmt: skip
    rep = Reports(rows, who.astype(np.intp), np.zeros(n, np.int8), C, 20_000.0)
    labels = np.array([0, 0, 0, -1, -1, -1, -1], np.intp)
    cov = np.diag([100.0**2, 100.0**2, 1.0])[None]
    return rep, Clusters(labels, np.zeros(1), np.zeros(1), np.zeros(1), cov)


def test_sibling_pairs_need_the_observers_slot_and_the_ray() -> None:
    rep, cl = _scene()
    g, k = sibling_pairs(rep, cl, SiblingConfig())
    # row 5's observer is not in the event (it could simply join); row 6 points away
    assert sorted(k.tolist()) == [3, 4]
    assert g.tolist() == [0, 0]


def test_two_observers_seed_a_sibling_at_the_events_place() -> None:
    rep, cl = _scene()
    assert sibling_seeds(rep, cl, SiblingConfig()) == 1
    assert cl.n == 2
    assert cl.labels.tolist() == [0, 0, 0, 1, 1, -1, -1]
    assert (cl.x[1], cl.y[1]) == (0.0, 0.0)
    # the bearings' emission time: each heard 5 km / c after T = 8 s
    assert abs(cl.T[1] - 8.0) < 1e-9
    assert np.isnan(cl.cov[1]).all()  # unfitted until settled


def test_one_observer_or_a_late_report_seeds_nothing() -> None:
    rep, cl = _scene()
    assert sibling_seeds(rep, cl, SiblingConfig(min_observers=3)) == 0
    assert cl.n == 1
    # 8 s apart is beyond a 5 s window
    assert sibling_seeds(rep, cl, SiblingConfig(near_s=5.0)) == 0
    assert cl.labels.tolist() == [0, 0, 0, -1, -1, -1, -1]
