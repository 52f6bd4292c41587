"""Attachment that holds together (``association.attachment.guarded_attach``) and
the last offer of free bearings to located events (``late_attach``)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
from fuse_scenes import T0, Scene, latlon

from ceasefire.fuse import FuseConfig, fuse
from ceasefire.fuse.association import (
    AssociationConfig,
    AttachConfig,
    GateConfig,
    Reports,
    late_attach,
)
from ceasefire.fuse.solve import Rows
from ceasefire.geo import inverse
from ceasefire.model.results import Event
from ceasefire.model.vocab import SENSES

EVENT = (0.0, 0.0)
NEAR = [(-8_000.0, -3_000.0), (7_000.0, -5_000.0), (1_000.0, 9_000.0)]


def _attaching(**kw: bool) -> FuseConfig:
    return FuseConfig(association=AssociationConfig(attach=AttachConfig(**kw)))


def _miss_m(e: Event, xy: tuple[float, float]) -> float:
    assert e.lat is not None and e.lon is not None
    la, lo = latlon(*xy)
    return float(inverse(la, lo, e.lat, e.lon)[1])


def _two_bearings_and_two_bad_arrivals(guarded: bool) -> list[Event]:
    cfg = _attaching(guarded=guarded, late=False)
    return fuse(_two_bearings_and_two_bad_arrivals_scene().arrays(), cfg)


def _two_bearings_and_two_bad_arrivals_scene() -> Scene:
    """Two posts' bearings fix an explosion; two microphones north of it report
    arrivals 2 s late and 2 s early. Each arrival alone passes the attach gate (the
    two-bearing fix predicts their times to about 1.4 s), but no position fits both
    at 3 ms: taken together they pull the fix away."""
    sc = Scene()
    sc.bearing("B1", "post1", NEAR[0], EVENT, T0, sigma_deg=2.0, time_sigma_s=1.0)
    sc.bearing("B2", "post2", NEAR[1], EVENT, T0, sigma_deg=2.0, time_sigma_s=1.0)
    sc.arrival("A1", "micA", (-3_000.0, 6_000.0), EVENT, T0, noise_t_s=2.0)
    sc.arrival("A2", "micB", (4_000.0, 6_000.0), EVENT, T0, noise_t_s=-2.0)
    return sc


def test_an_event_gives_back_reports_that_pull_its_fit_away() -> None:
    # the two arrivals are given back; the event then takes the one that fits it
    # best (alone, a 2 s error within the fix's own uncertainty is not detectable)
    events = _two_bearings_and_two_bad_arrivals(guarded=True)
    assert len(events) == 1
    e = events[0]
    assert {"B1", "B2"} <= set(e.observation_ids)
    assert len({"A1", "A2"} & set(e.observation_ids)) == 1
    assert _miss_m(e, EVENT) < 500.0


def test_given_back_reports_are_not_taken_again_without_best_one() -> None:
    events = fuse(
        _two_bearings_and_two_bad_arrivals_scene().arrays(),
        _attaching(guarded_best_one=False, late=False),
    )
    assert [set(e.observation_ids) for e in events] == [{"B1", "B2"}]
    assert _miss_m(events[0], EVENT) < 100.0


def test_without_the_guard_the_bad_arrivals_break_the_fix() -> None:
    # the former behaviour, kept as a knob: the fix moves and a bearing is lost
    events = _two_bearings_and_two_bad_arrivals(guarded=False)
    located = [e for e in events if e.lat is not None]
    assert len(events) == 2 and len(located) == 1
    assert _miss_m(located[0], EVENT) > 1_000.0


def _with_far_bearing(sigma_deg: float, late: bool, sigma_t_s: float = 1.0) -> list[Event]:
    """Three posts within 10 km fix an explosion; a camera 45 km away (beyond the
    association's 1.2 x 30 km) reports its bearing and, 131 s later, its sound."""
    sc = Scene()
    for k, o in enumerate(NEAR):
        sc.bearing(f"B{k}", f"post{k}", o, EVENT, T0, sigma_deg=sigma_deg, time_sigma_s=sigma_t_s)
    far = (45_000.0 * math.sin(math.radians(100.0)), 45_000.0 * math.cos(math.radians(100.0)))
    sc.bearing("F", "cam", far, EVENT, T0, sigma_deg=1.0, time_sigma_s=0.2)
    return fuse(sc.arrays(), _attaching(late=late))


def test_a_far_bearing_joins_the_event_it_points_at() -> None:
    events = _with_far_bearing(sigma_deg=1.0, late=True)
    assert len(events) == 1
    assert set(events[0].observation_ids) == {"B0", "B1", "B2", "F"}
    assert _miss_m(events[0], EVENT) < 100.0


def test_without_the_late_offer_the_far_bearing_is_a_lone_event() -> None:
    events = _with_far_bearing(sigma_deg=1.0, late=False)
    assert sorted(len(e.observation_ids) for e in events) == [1, 3]
    lone = next(e for e in events if e.observation_ids == ("F",))
    assert "no_position" in lone.flags


def test_a_far_bearing_is_not_given_to_a_wide_fix() -> None:
    # 10-degree bearings timed to 10 s fix the event only to a few km (flagged
    # wide_fix): many rays through that area fit it, so the far report stays its own
    events = _with_far_bearing(sigma_deg=10.0, late=True, sigma_t_s=10.0)
    wide = [e for e in events if e.lat is not None]
    assert len(wide) == 1 and "wide_fix" in wide[0].flags
    assert "F" not in wide[0].observation_ids


def _with_far_misnamed_bearing(any_phase: bool, late_by_s: float = 0.0) -> list[Event]:
    """Three posts fix an explosion; a camera 45 km away reports its bearing,
    ``late_by_s`` after its sound would reach it, but names it a firing, outgoing
    (a misread: the bearing and time are the explosion's when ``late_by_s`` is 0)."""
    sc = Scene()
    for k, o in enumerate(NEAR):
        sc.bearing(f"B{k}", f"post{k}", o, EVENT, T0, sigma_deg=1.0)
    far = (45_000.0 * math.sin(math.radians(100.0)), 45_000.0 * math.cos(math.radians(100.0)))
    sc.bearing(
        "F", "cam", far, EVENT, T0, sigma_deg=1.0, time_sigma_s=0.2, noise_t_s=late_by_s,
        event="firing", direction="outgoing",
    )  # fmt: skip
    cfg = FuseConfig(
        association=AssociationConfig(attach=AttachConfig(late_any_phase=any_phase)),
        ray_pairs=False,  # association alone: no pairing of the lone bearing as a launch ray
    )
    return fuse(sc.arrays(), cfg)


def test_a_far_bearing_naming_the_wrong_phase_joins_the_event_it_fits() -> None:
    # its bearing and time fit the explosion to within its noise: the misread kind
    # does not make it a round of its own
    events = _with_far_misnamed_bearing(any_phase=True)
    assert len(events) == 1
    assert set(events[0].observation_ids) == {"B0", "B1", "B2", "F"}
    assert events[0].kind == "explosion"  # three explosions outvote one firing


def test_the_phase_rule_kept_the_misnamed_bearing_apart() -> None:
    # the former behaviour (late_any_phase False): the firing stays a lone report
    events = _with_far_misnamed_bearing(any_phase=False)
    assert sorted(len(e.observation_ids) for e in events) == [1, 3]


def test_a_far_bearing_of_another_time_stays_apart_whatever_it_names() -> None:
    # 10 s late at a stated 0.2 s (50 sigma): a launch's sound and its impact's are
    # a flight apart, so the time, not the named phase, keeps the phases apart
    events = _with_far_misnamed_bearing(any_phase=True, late_by_s=10.0)
    assert sorted(len(e.observation_ids) for e in events) == [1, 3]
    assert "F" not in next(e for e in events if len(e.observation_ids) == 3).observation_ids


def _offer_to_a_fix(
    late_by_s: float, *, seen: bool = True, observer: int = 3, phase: int = 1, slack_s: float = 10.0
) -> int:
    """Three posts (observers 0-2) hold an explosion fixed at (0, 0) at T = 0 to 50 m
    and 0.05 s; one more bearing of observer ``observer`` (3: a camera absent from the
    event) 20 km east points at it, ``late_by_s`` off, stated to 0.2 s, naming phase
    ``phase`` (1 incoming). The late offer with a seen report's clock slack of
    ``slack_s``; returns the extra bearing's label (-1: it stayed free)."""
    c = FuseConfig().speed_of_sound_m_s
    obs = [*NEAR, (20_000.0, 0.0)]
    ox = np.array([o[0] for o in obs])
    oy = np.array([o[1] for o in obs])
    az = np.arctan2(-ox, -oy)
    d = np.hypot(ox, oy)
    speed = np.array([1.0, 1.0, 1.0, 0.0 if seen else 1.0])
    t = speed * d / c
    t[3] += late_by_s
    sig_t = np.array([1.0, 1.0, 1.0, 0.2])
    rows = Rows(
        ox, oy, az, np.full(4, np.radians(1.0)), t, sig_t, speed, np.full(4, np.nan),
        np.full(4, np.nan),
    )  # fmt: skip
    src = np.array([0, 1, 2, observer], np.intp)
    direction = np.array([1, 1, 1, phase], np.int8)
    rep = Reports(rows, src, direction, c, 30_000.0)
    labels = np.array([0, 0, 0, -1], np.intp)
    cfg = replace(AttachConfig(), late_seen_slack_s=slack_s)
    late_attach(
        rep, labels, np.zeros(1), np.zeros(1), np.zeros(1), np.eye(2)[None] * 50.0**2,
        np.array([0.05]), GateConfig(), cfg, 10_000.0,
    )  # fmt: skip
    return int(labels[3])


def test_a_camera_seconds_off_joins_the_fix_it_is_absent_from() -> None:
    # 4 s off at a stated 0.2 s (20 sigma): the plain offer refuses it; with a
    # camera's clock slack of 10 s it fits, and it is this round seen by a camera
    # whose clock is off (no report of it is in the event)
    assert _offer_to_a_fix(4.0, slack_s=0.0) == -1
    assert _offer_to_a_fix(4.0) == 0


def test_the_clock_slack_is_for_seen_reports_of_the_named_phase_only() -> None:
    # a heard report's clock is registration's to read; a report naming the other
    # phase is kept out of the slack offer; an observer already in the event has
    # reported this round: its second report, seconds later, is another round
    assert _offer_to_a_fix(4.0, seen=False) == -1
    assert _offer_to_a_fix(4.0, phase=0) == -1
    assert _offer_to_a_fix(4.0, observer=1) == -1
    # far beyond the slack (60 s, a flight time): another event
    assert _offer_to_a_fix(60.0) == -1


def test_the_engine_gives_no_slack_where_no_clock_was_found_off() -> None:
    # three posts fix an explosion, with right clocks: registration finds nothing
    # off, so a camera 4 s late (20 sigma) stays a report of its own
    sc = Scene()
    for k, o in enumerate(NEAR):
        sc.bearing(f"B{k}", f"post{k}", o, EVENT, T0, sigma_deg=1.0)
    sc.bearing(
        "C", "cam", (20_000.0, 0.0), EVENT, T0, sigma_deg=1.0, time_sigma_s=0.2,
        noise_t_s=4.0, light=True,
    )  # fmt: skip
    arr = sc.arrays()
    seen = np.array([SENSES.index("seen" if i == "C" else "heard") for i in arr.id], np.int8)
    events = fuse(replace(arr, sense=seen), FuseConfig(ray_pairs=False))
    assert sorted(len(e.observation_ids) for e in events) == [1, 3]
    assert "C" not in next(e for e in events if len(e.observation_ids) == 3).observation_ids
