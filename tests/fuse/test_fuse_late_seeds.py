"""Near ray seeds once more after the late pairs (``AssociationConfig.late_ray_seeds``):
a bearing still free with the arrivals it explains becomes an event, when it holds
``late_seed_arrivals`` of them."""

from __future__ import annotations

import math

import numpy as np
from fuse_scenes import T0, Scene
from test_fuse_scale import _reports, _rows_of

from ceasefire.fuse.association import AssociationConfig, Reports
from ceasefire.fuse.association.clusters import Clusters
from ceasefire.fuse.association.rounds import late_ray_seeds

SRC = (6_000.0, 6_700.0)


def _array_and_mics() -> Reports:
    """An array (0.5 deg, 5 ms) and its three microphones 2 km around it hear one
    explosion 9 km away (rows sorted by time: the bearing is not necessarily first)."""
    sc = Scene()
    sc.bearing("A", "array-1", (0.0, 0.0), SRC, T0, sigma_deg=0.5, time_sigma_s=0.005)
    for k, a in enumerate((0.3, 2.4, 4.5)):
        m = (2_000.0 * math.sin(a), 2_000.0 * math.cos(a))
        sc.arrival(f"M{k}", f"mic-1{'abc'[k]}", m, SRC, T0)
    return _reports(*_rows_of(sc))


def test_a_free_bearing_and_three_arrivals_become_one_event_at_the_source() -> None:
    rep = _array_and_mics()
    cl = Clusters.empty(rep.n)
    fit = late_ray_seeds(rep, cl, AssociationConfig())
    assert fit is not None
    assert cl.n == 1 and cl.labels.tolist() == [0, 0, 0, 0]
    # noise-free reports: the fix is the source, and its emission time
    assert math.hypot(cl.x[0] - SRC[0], cl.y[0] - SRC[1]) < 50.0
    assert abs(cl.T[0] - T0) < 0.05


def test_late_seeds_asking_more_arrivals_than_heard_leave_the_rows_free() -> None:
    rep = _array_and_mics()
    cl = Clusters.empty(rep.n)
    assert late_ray_seeds(rep, cl, AssociationConfig(late_seed_arrivals=4)) is None
    assert cl.n == 0 and (cl.labels == -1).all()


def test_rows_already_in_an_event_are_not_seeded_again() -> None:
    rep = _array_and_mics()
    cl = Clusters.empty(rep.n)
    late_ray_seeds(rep, cl, AssociationConfig())
    before = cl.labels.copy()
    assert late_ray_seeds(rep, cl, AssociationConfig()) is None
    assert np.array_equal(cl.labels, before) and cl.n == 1
