"""Bearings redistributed among fitted events (``association.reassignment.reassign``):
one least-total-cost assignment undoes a swap that greedy attachment made."""

from __future__ import annotations

import numpy as np
import pytest
from grid_rows import bearing_rows, fitted, reports

from ceasefire.fuse.association import GateConfig, ReassignConfig, reassignment
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


def _counting_solves(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Each solved pass's bearings moved, in order (the pass solved, not recalled)."""
    solved: list[int] = []
    solve = reassignment._pass

    def counted(*args: object) -> int:
        moved = solve(*args)  # type: ignore[arg-type]
        solved.append(moved)
        return moved

    monkeypatch.setattr(reassignment, "_pass", counted)
    return solved


def test_a_pass_given_what_a_recent_one_was_given_leaves_what_it_left(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    solved = _counting_solves(monkeypatch)
    pairs = [(p, s) for p in POSTS for s in (A, B)]
    rep = reports(bearing_rows(pairs), np.repeat(np.arange(3), 2))
    cl = fitted([A, B], [0, 1, 0, 1, 1, 0])
    swapped = cl.labels.copy()
    assert reassign(rep, cl, GateConfig(), ReassignConfig()) == 2
    # the swap back (as a settle could leave it), estimates untouched: recalled
    cl.labels[:] = swapped
    assert reassign(rep, cl, GateConfig(), ReassignConfig()) == 2
    assert cl.labels.tolist() == [0, 1, 0, 1, 0, 1]
    # the fixed point: solved once (nothing moved), then recalled
    assert reassign(rep, cl, GateConfig(), ReassignConfig()) == 0
    assert reassign(rep, cl, GateConfig(), ReassignConfig()) == 0
    assert solved == [2, 0]


def test_a_pass_is_solved_again_when_anything_it_reads_differs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    solved = _counting_solves(monkeypatch)
    pairs = [(p, s) for p in POSTS for s in (A, B)]
    rep = reports(bearing_rows(pairs), np.repeat(np.arange(3), 2))
    cl = fitted([A, B], [0, 1, 0, 1, 0, 1])
    assert reassign(rep, cl, GateConfig(), ReassignConfig()) == 0
    # an estimate one ulp off, a focus, another price, recall off: each solved
    cl.x[0] = np.nextafter(cl.x[0], 1.0)
    assert reassign(rep, cl, GateConfig(), ReassignConfig()) == 0
    focus = (np.array([True, False]), np.zeros(6, bool))
    assert reassign(rep, cl, GateConfig(), ReassignConfig(), focus) == 0
    assert reassign(rep, cl, GateConfig(), ReassignConfig(support_cost=1.0)) == 0
    assert reassign(rep, cl, GateConfig(), ReassignConfig(recall=False)) == 0
    assert len(solved) == 5
    # the same focus and prices again: recalled
    assert reassign(rep, cl, GateConfig(), ReassignConfig(), focus) == 0
    assert len(solved) == 5
    # a label changed: solved (the bearing goes back)
    cl.labels[4] = -1
    assert reassign(rep, cl, GateConfig(), ReassignConfig(), focus) == 1
    assert len(solved) == 6 and cl.labels.tolist() == [0, 1, 0, 1, 0, 1]
