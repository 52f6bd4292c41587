"""Nearly opposite bearing pairs (``fuse/association/pairs.py``, ``opposite_sd``):
two posts hear a source near the line between them; their bearings' noise turns
the nearly opposite rays past each other, so they cross behind a post and no
crossing pairs them; their times' difference still places the source along the
line, and a fit of both bearings and both times pairs them. Times that
disagree, reports seen (no delay), or the option off, pair nothing."""

from __future__ import annotations

import numpy as np
import pytest

from ceasefire.fuse.association.pairs import PairConfig, bearing_pairs, opposite_pairs
from ceasefire.fuse.association.reports import DIR_UNDET, Reports
from ceasefire.fuse.solve import Rows
from ceasefire.fuse.triangulate import intersect_rays

C = 343.0
POSTS = np.array([[0.0, 0.0], [8_000.0, 0.0]])
SOURCE = (2_000.0, 300.0)
T0 = 100.0


def _reports(turn_deg: float = 8.0, late_s: float = 0.0, seen: bool = False) -> Reports:
    """The two posts' bearings of SOURCE (σ 5°, times to 0.05 s), each turned
    ``turn_deg`` anticlockwise (the first's ray up, the second's down, past
    each other); the second heard ``late_s`` late; ``seen``: both perceived by
    light (no delay)."""
    dx, dy = SOURCE[0] - POSTS[:, 0], SOURCE[1] - POSTS[:, 1]
    az = np.arctan2(dx, dy) - np.radians(turn_deg)
    speed = np.zeros(2) if seen else np.ones(2)
    t = T0 + speed * np.hypot(dx, dy) / C + np.array([0.0, late_s])
    rows = Rows(
        POSTS[:, 0].copy(), POSTS[:, 1].copy(), az, np.radians([5.0, 5.0]), t,
        np.array([0.05, 0.05]), speed, np.full(2, np.nan), np.full(2, np.nan),
    )  # fmt: skip
    return Reports(rows, np.array([0, 1]), np.array([DIR_UNDET, DIR_UNDET], np.int8), C, 30_000.0)


def test_turned_apart_the_rays_cross_behind_a_post() -> None:
    rows = _reports().rows
    _, _, r1, r2, _ = intersect_rays(
        rows.ox[:1], rows.oy[:1], rows.az[:1], rows.ox[1:], rows.oy[1:], rows.az[1:]
    )
    assert r1[0] < 0 < r2[0]
    assert bearing_pairs(_reports(), PairConfig(opposite_sd=0.0)).i.shape[0] == 0


def test_their_times_pair_them_near_the_source() -> None:
    p = bearing_pairs(_reports(), PairConfig(opposite_sd=3.0))
    assert (p.i.tolist(), p.j.tolist()) == ([0], [1])
    # the times' difference fixes where along the line (a 20th of a second: 17 m)
    assert np.hypot(p.x[0] - SOURCE[0], p.y[0] - SOURCE[1]) < 500.0
    assert p.T[0] == pytest.approx(T0, abs=0.5)
    # the bearings' turns, 1.6 sd each, are the fit's chi-square
    assert p.chi2[0] == pytest.approx(2 * 1.6**2, rel=0.2)


def test_times_that_disagree_pair_nothing() -> None:
    # the second 11.7 s late: its time less the first's is the posts' distance / c
    # (within the time gate), so the source would be behind the first post, its
    # bearing 180 degrees off
    late = _reports(late_s=11.7)
    assert late.rows.t[1] - late.rows.t[0] == pytest.approx(8_000.0 / C, abs=0.05)
    assert bearing_pairs(late, PairConfig(opposite_sd=3.0)).i.shape[0] == 0
    # 2 s late, the source 340 m nearer the first post: within its bearing
    assert bearing_pairs(_reports(late_s=2.0), PairConfig(opposite_sd=3.0)).i.shape[0] == 1


def test_rays_turned_apart_beyond_the_sd_are_not_tried() -> None:
    # turned 40 degrees each: the rays 70 degrees from opposite, beyond 3 sd (21)
    rep = _reports(turn_deg=40.0)
    assert bearing_pairs(rep, PairConfig(opposite_sd=3.0)).i.shape[0] == 0
    # tried by the fit directly, the bearings' residuals refuse them too
    assert opposite_pairs(rep, np.array([0]), np.array([1]), 0.999).i.shape[0] == 0


def test_seen_reports_carry_no_delay_to_place_the_source() -> None:
    rep = _reports(seen=True)
    assert opposite_pairs(rep, np.array([0]), np.array([1]), 0.999).i.shape[0] == 0
