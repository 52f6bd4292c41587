"""Arrivals (a microphone's time, no direction) join an event only when no other
event explains them (``association.attachment``: ``attach``, ``free_shared_arrivals``)."""

from __future__ import annotations

from grid_rows import arrival_rows, fitted, heard, reports

from ceasefire.fuse.association import GateConfig
from ceasefire.fuse.association.attachment import attach, free_shared_arrivals

T0 = 1_000.0
A = (0.0, 0.0, T0)  # x, y (m), emission time (s)
B = (0.0, 2_000.0, T0 + 3.0)
# on the line through A and B, 1,029 m (3 s of sound) nearer B than A: B's sound,
# 3 s later, reaches it at the same time as A's
SHARED = (0.0, 1_514.5)
ONLY_A = (0.0, -3_000.0)  # B's sound arrives 8.8 s after A's


def test_the_shared_time_is_one_both_events_explain() -> None:
    # the scene's premise, so that the tests below test the rule and not the geometry
    assert abs(heard(SHARED, A) - heard(SHARED, B)) < 1e-3
    assert heard(ONLY_A, B) - heard(ONLY_A, A) > 8.0


def test_an_arrival_two_events_explain_stays_free_and_one_event_takes_its_own() -> None:
    rep = reports(arrival_rows([SHARED, ONLY_A], [heard(SHARED, A), heard(ONLY_A, A)]), [0, 1])
    cl = fitted([A, B], [-1, -1])
    assert attach(rep, cl, GateConfig()) == 1
    assert cl.labels.tolist() == [-1, 0]
    # without the rule the shared arrival joins one of them (the gate passes both)
    cl = fitted([A, B], [-1, -1])
    assert attach(rep, cl, GateConfig(), unique_arrivals=False) == 2
    assert cl.labels[0] in (0, 1)


def test_a_member_arrival_another_event_would_take_is_freed() -> None:
    rep = reports(arrival_rows([SHARED, ONLY_A], [heard(SHARED, A), heard(ONLY_A, A)]), [0, 1])
    cl = fitted([A, B], [0, 0])
    assert free_shared_arrivals(rep, cl, GateConfig()) == 1
    assert cl.labels.tolist() == [-1, 0]


def test_a_member_arrival_stays_when_the_other_event_already_heard_its_microphone() -> None:
    # B already holds another arrival of the same microphone (0.3 s later, within B's
    # gate): an event takes one report per sensor, so B is no alternative for row 0
    t_b_own = heard(SHARED, B) + 0.3
    rows = arrival_rows([SHARED, ONLY_A, SHARED], [heard(SHARED, A), heard(ONLY_A, A), t_b_own])
    cl = fitted([A, B], [0, 0, 1])
    assert free_shared_arrivals(reports(rows, [0, 1, 0]), cl, GateConfig()) == 0
    assert cl.labels.tolist() == [0, 0, 1]
