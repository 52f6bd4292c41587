"""Bearings redistributed among fitted events (``association.reassignment.reassign``):
one least-total-cost assignment undoes a swap that greedy attachment made."""

from __future__ import annotations

import numpy as np
from grid_rows import bearing_rows, fitted, reports

from ceasefire.fuse.association import GateConfig, ReassignConfig
from ceasefire.fuse.association.reassignment import reassign

T0 = 1_000.0
A, B = (0.0, 0.0, T0), (0.0, 2_000.0, T0 + 3.0)  # x, y (m), emission time (s)
POSTS = [(-8_000.0, 0.0), (8_000.0, 500.0), (500.0, -9_000.0)]


def test_a_swapped_pair_of_reports_goes_back_to_its_events() -> None:
    # every post heard both rounds; the third post's two reports sit in each
    # other's event (each passes the attach gate of the wrong event on its own)
    pairs = [(p, s) for p in POSTS for s in (A, B)]
    rep = reports(bearing_rows(pairs), np.repeat(np.arange(3), 2))  # phase undetermined
    cl = fitted([A, B], [0, 1, 0, 1, 1, 0])
    moved = reassign(rep, cl, GateConfig(), ReassignConfig())
    assert moved == 2
    assert cl.labels.tolist() == [0, 1, 0, 1, 0, 1]
    # run again, nothing moves: the assignment is a fixed point
    assert reassign(rep, cl, GateConfig(), ReassignConfig()) == 0


def test_a_free_bearing_joins_and_a_report_fitting_nothing_stays_free() -> None:
    far = (20_000.0, 20_000.0, T0 + 500.0)  # a sound no event explains
    said = [(POSTS[0], A), (POSTS[1], A), (POSTS[2], A), (POSTS[2], far)]
    rep = reports(bearing_rows(said), [0, 1, 2, 2])
    cl = fitted([A, B], [0, 0, -1, -1])
    assert reassign(rep, cl, GateConfig(), ReassignConfig()) == 1
    assert cl.labels.tolist() == [0, 0, 0, -1]


def test_a_focused_pass_moves_only_the_bearings_near_the_changed_events() -> None:
    # the swapped pair again; a pass focused on no event leaves the swap in place
    # (the bearings outside the focus hold their slots), one focused on either
    # event undoes it (every bearing involved has a candidate there)
    pairs = [(p, s) for p in POSTS for s in (A, B)]
    rep = reports(bearing_rows(pairs), np.repeat(np.arange(3), 2))
    none, freed = np.zeros(2, bool), np.zeros(6, bool)
    cl = fitted([A, B], [0, 1, 0, 1, 1, 0])
    assert reassign(rep, cl, GateConfig(), ReassignConfig(), (none, freed)) == 0
    assert cl.labels.tolist() == [0, 1, 0, 1, 1, 0]
    assert reassign(rep, cl, GateConfig(), ReassignConfig(), (np.array([True, False]), freed)) == 2
    assert cl.labels.tolist() == [0, 1, 0, 1, 0, 1]


def test_a_focused_pass_offers_the_bearings_freed_since() -> None:
    # a bearing freed by the last settle, all events unchanged: it is offered again
    said = [(POSTS[0], A), (POSTS[1], A), (POSTS[2], A)]
    rep = reports(bearing_rows(said), [0, 1, 2])
    cl = fitted([A, B], [0, 0, -1])
    none = np.zeros(2, bool)
    assert reassign(rep, cl, GateConfig(), ReassignConfig(), (none, np.zeros(3, bool))) == 0
    freed = np.array([False, False, True])
    assert reassign(rep, cl, GateConfig(), ReassignConfig(), (none, freed)) == 1
    assert cl.labels.tolist() == [0, 0, 0]
