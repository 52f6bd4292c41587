"""Merges and splits scored by the likelihood of the whole association
(``association.joint``)."""

from __future__ import annotations

import math

import numpy as np
from grid_rows import C, bearing_rows, fitted, reports

from ceasefire.fuse.association import AssociationConfig
from ceasefire.fuse.association.joint import (
    JointConfig,
    Observers,
    detection_terms,
    free_log_density,
    merge_proposals,
    row_log_norm,
    split_proposals,
)
from ceasefire.fuse.association.pairs import bearing_pairs
from ceasefire.fuse.solve import Rows

T0 = 1_000.0
A = (0.0, 0.0, T0)
POSTS = [(-8_000.0, 0.0), (8_000.0, 500.0), (500.0, -9_000.0), (-500.0, 9_000.0)]
ON = JointConfig(on=True)


def _gain(rep_rows: Rows, cfg: JointConfig, n: int) -> np.ndarray:
    rep = reports(rep_rows, list(range(n)))
    return -row_log_norm(rep) - free_log_density(rep, cfg)


def test_a_bearing_row_normalizes_over_time_and_azimuth() -> None:
    rep = reports(bearing_rows([(POSTS[0], A)]), [0])
    # two Gaussian components: 0.2 s and 1 degree
    want = math.log(2.0 * math.pi) + math.log(0.2) + math.log(math.radians(1.0))
    assert abs(row_log_norm(rep)[0] - want) < 1e-12


def test_free_density_is_clutter_per_second_and_radian_without_rounds() -> None:
    rep = reports(bearing_rows([(POSTS[0], A)]), [0])
    # 3600 * 2 pi clutter reports per hour: one per second and radian
    cfg = JointConfig(rounds_per_day_km2=0.0, clutter_per_h=3_600.0 * 2.0 * math.pi)
    assert abs(free_log_density(rep, cfg)[0]) < 1e-12
    # a round heard by this observer alone adds lambda p0 pi l50^2 / 4 per s and radian:
    # one round per s and km² is 1e-6 per s and m², l50 2 m gives pi / 4 * 4 m²
    lone = JointConfig(rounds_per_day_km2=86_400.0, clutter_per_h=0.0, p0=1.0, l50_m=2.0)
    assert abs(free_log_density(rep, lone)[0] - math.log(1e-6 * math.pi)) < 1e-9


def test_detection_counts_reporters_and_active_silent_observers_only() -> None:
    cfg = JointConfig(p0=0.8, l50_m=4_000.0, active_s=600.0)
    # observer 0 reports the event 4 km away; observer 1, 4 km away, reported 100 s
    # after the sound reached it (active, silent); observer 2 only an hour later
    ox = np.array([-4_000.0, 4_000.0, 0.0])
    oy = np.array([0.0, 0.0, 4_000.0])
    arrive = T0 + 4_000.0 / C
    t = np.array([arrive, arrive + 100.0, arrive + 3_600.0])
    n = 3
    rows = Rows(ox, oy, np.array([np.pi / 2, -np.pi / 2, np.pi]), np.full(n, 0.02), t,
                np.full(n, 1.0), np.ones(n), np.full(n, np.nan), np.full(n, np.nan))  # fmt: skip
    rep = reports(rows, [0, 1, 2])
    got = detection_terms(
        rep, Observers.of(rep), np.array([0.0]), np.array([0.0]), np.array([T0]),
        [np.array([0])], cfg,
    )  # fmt: skip
    # at l50 the chance is p0 / 2
    want = math.log(0.4) + math.log(1.0 - 0.4)
    assert abs(got[0] - want) < 1e-9


def test_two_events_of_one_round_merge() -> None:
    rep = reports(bearing_rows([(p, A) for p in POSTS]), [0, 1, 2, 3])
    cl = fitted([A, (A[0] + 30.0, A[1], A[2])], [0, 0, 1, 1])
    cl.refit(rep)
    free_gain = -row_log_norm(rep) - free_log_density(rep, ON)
    assert merge_proposals(rep, cl, Observers.of(rep), ON, free_gain) == 1
    assert len(set(cl.labels.tolist())) == 1


def test_two_rounds_seconds_apart_at_one_place_stay_apart() -> None:
    # the same point, emitted 5 s apart: each pair of bearings fits its own time
    # to 0.2 s, their union misfits by ~25 sd
    B = (A[0], A[1], A[2] + 5.0)
    rep = reports(bearing_rows([(POSTS[0], A), (POSTS[1], A), (POSTS[2], B), (POSTS[3], B)]),
                  [0, 1, 2, 3])  # fmt: skip
    cl = fitted([A, B], [0, 0, 1, 1])
    cl.refit(rep)
    free_gain = -row_log_norm(rep) - free_log_density(rep, ON)
    assert merge_proposals(rep, cl, Observers.of(rep), ON, free_gain) == 0
    assert cl.labels.tolist() == [0, 0, 1, 1]


def test_a_foreign_member_and_its_free_partner_split_off() -> None:
    # round A heard by posts 0-2; round B (1 km north, 3 s later) by p3 and p4;
    # A's event holds p3's bearing of B (7 degrees, 7 sd, off A), p4's is free
    B = (0.0, 1_000.0, T0 + 3.0)
    p3, p4 = (-6_000.0, 4_000.0), (9_000.0, 9_000.0)
    rows = bearing_rows([(POSTS[0], A), (POSTS[1], A), (POSTS[2], A), (p3, B), (p4, B)])
    rep = reports(rows, [0, 1, 2, 3, 4])
    cl = fitted([A], [0, 0, 0, 0, -1])
    cl.refit(rep)
    pairs = bearing_pairs(rep, AssociationConfig().pairs)
    free_gain = -row_log_norm(rep) - free_log_density(rep, ON)
    assert split_proposals(rep, cl, pairs, Observers.of(rep), ON, free_gain) == 1
    lab = cl.labels.tolist()
    assert lab[0] == lab[1] == lab[2] and lab[3] == lab[4] and lab[0] != lab[3]


def test_no_split_leaves_an_event_that_cannot_stand() -> None:
    # A's event of two bearings: taking one away leaves a lone bearing
    B = (0.0, 1_000.0, T0 + 3.0)
    p4 = (9_000.0, 9_000.0)
    rep = reports(bearing_rows([(POSTS[0], A), (POSTS[3], B), (p4, B)]), [0, 3, 4])
    cl = fitted([A], [0, 0, -1])
    cl.refit(rep)
    pairs = bearing_pairs(rep, AssociationConfig().pairs)
    free_gain = -row_log_norm(rep) - free_log_density(rep, ON)
    assert split_proposals(rep, cl, pairs, Observers.of(rep), ON, free_gain) == 0
    assert cl.labels.tolist() == [0, 0, -1]
