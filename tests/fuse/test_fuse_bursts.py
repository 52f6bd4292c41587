"""``association.bursts.second_rounds``: a battery's second round split off an event
by its observers' slot-blocked free bearings, and only then."""

from __future__ import annotations

import numpy as np

from ceasefire.fuse.association.bursts import BurstConfig, second_rounds
from ceasefire.fuse.association.clusters import Clusters
from ceasefire.fuse.association.reports import Reports
from ceasefire.fuse.solve import Rows

C = 343.0
CFG = BurstConfig(enabled=True)
#: four observers 3-5 km around the battery at (0, 0)
OBS = np.array([[3_000.0, 0.0], [0.0, 4_000.0], [-5_000.0, 0.0], [0.0, -3_500.0]])


def _reports(heard: list[tuple[int, float, float]]) -> Reports:
    """Bearing reports ``(observer, emission time s, bearing error deg)`` of a round at
    (0, 0), each heard at its true time (rows in time order)."""
    heard = sorted(heard, key=lambda h: h[1] + float(np.hypot(*OBS[h[0]])) / C)
    o = np.array([h[0] for h in heard], np.intp)
    ox, oy = OBS[o, 0], OBS[o, 1]
    az = np.arctan2(-ox, -oy) + np.radians([h[2] for h in heard])
    t = np.array([h[1] for h in heard]) + np.hypot(ox, oy) / C
    n = o.shape[0]
    rows = Rows(ox, oy, az, np.full(n, np.radians(1.0)), t, np.full(n, 0.5), np.ones(n),
                np.full(n, np.nan), np.full(n, np.nan))  # fmt: skip
    return Reports(rows, o, np.full(n, 2, np.int8), C, 20_000.0)


def _event(rep: Reports, members: list[int], T: float) -> Clusters:
    labels = np.full(rep.n, -1, np.intp)
    labels[members] = 0
    cov = np.diag([100.0**2, 100.0**2, 0.3**2])[None]
    return Clusters(labels, np.zeros(1), np.zeros(1), np.array([T]), cov)


def _rows_of(rep: Reports, observer: int, t_emit: float) -> int:
    want = t_emit + float(np.hypot(*OBS[observer])) / C
    return int(np.flatnonzero((rep.src == observer) & (np.abs(rep.rows.t - want) < 1e-6))[0])


def test_a_second_round_takes_its_free_bearings_and_its_joined_members() -> None:
    # round A at 100 s heard by observers 0 and 1; round B at 106 s by all four:
    # 2 and 3 (who missed A) sit in A's event, 0's and 1's B reports are free
    rep = _reports([(0, 100.0, 0.3), (1, 100.0, -0.2), (0, 106.0, -0.4), (1, 106.0, 0.5),
                    (2, 106.0, 0.2), (3, 106.0, -0.3)])  # fmt: skip
    a = [_rows_of(rep, 0, 100.0), _rows_of(rep, 1, 100.0)]
    b = [_rows_of(rep, o, 106.0) for o in range(4)]
    cl = _event(rep, [*a, b[2], b[3]], 100.0)
    assert second_rounds(rep, cl, CFG) == 1
    assert cl.n == 2 and abs(cl.T[1] - 106.0) < 0.05 and abs(cl.T[0] - 100.0) < 0.05
    assert sorted(np.flatnonzero(cl.labels == 1).tolist()) == sorted(b)
    assert sorted(np.flatnonzero(cl.labels == 0).tolist()) == sorted(a)


def test_no_split_when_the_two_reports_are_within_their_time_noise() -> None:
    # 1.5 s apart: under 3 sd of two 0.5 s reports' difference (2.1 s)
    rep = _reports([(0, 100.0, 0.3), (1, 100.0, -0.2), (0, 101.5, -0.4), (1, 101.5, 0.5),
                    (2, 101.5, 0.2), (3, 101.5, -0.3)])  # fmt: skip
    a = [_rows_of(rep, 0, 100.0), _rows_of(rep, 1, 100.0)]
    cl = _event(rep, [*a, _rows_of(rep, 2, 101.5), _rows_of(rep, 3, 101.5)], 100.0)
    before = cl.labels.copy()
    assert second_rounds(rep, cl, CFG) == 0
    assert cl.n == 1 and (cl.labels == before).all()


def test_no_split_when_the_free_ray_misses_the_event_or_nothing_moves() -> None:
    # the free bearings point 20 degrees off the event: another source
    rep = _reports([(0, 100.0, 0.3), (1, 100.0, -0.2), (0, 106.0, 20.0), (1, 106.0, -20.0),
                    (2, 100.0, 0.2), (3, 100.0, -0.3)])  # fmt: skip
    cl = _event(rep, [_rows_of(rep, o, 100.0) for o in range(4)], 100.0)
    assert second_rounds(rep, cl, CFG) == 0
    # on the event's ray, but every member of the others fits A: nothing moves, and
    # the lone pair of free bearings is left to the pairing (one round's evidence)
    rep = _reports([(0, 100.0, 0.3), (1, 100.0, -0.2), (0, 106.0, 0.1), (1, 106.0, -0.1),
                    (2, 100.0, 0.2), (3, 100.0, -0.3)])  # fmt: skip
    cl = _event(rep, [_rows_of(rep, o, 100.0) for o in range(4)], 100.0)
    assert second_rounds(rep, cl, CFG) == 0
    assert second_rounds(rep, cl, BurstConfig(enabled=True, gain=-1.0)) == 1
