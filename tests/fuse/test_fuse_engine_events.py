"""``engine._event_objects``: fused acoustic groups as Event objects, a paired
impact joining its launch's reports, an unlocated bearing keeping its report's."""

from __future__ import annotations

import math
from dataclasses import fields

import numpy as np

from ceasefire.fuse.config import FuseConfig
from ceasefire.fuse.engine import _EVENT_FIELDS, _Acoustic, _event_objects, _sorted_flags
from ceasefire.fuse.events import (
    EXPLOSION,
    FIRING,
    INCOMING,
    KIND_BY_DIRECTION,
    OUTGOING,
    UND_DIR,
    UND_EVENT,
    UND_WEAPON,
    event_id,
)
from ceasefire.fuse.solve import Rows
from ceasefire.model.arrays import ObservationArrays
from ceasefire.model.results import Event
from ceasefire.model.vocab import WEAPONS

IDS = ["a2", "b1", "a1", "c1"]
SOURCES = ["A", "B", "A", "C"]


def _obs() -> ObservationArrays:
    n = len(IDS)
    f8 = np.zeros(n)
    i8 = np.zeros(n, np.int8)
    return ObservationArrays(
        id=np.array(IDS, object), source=np.array(SOURCES, object), kind=i8,
        time_s=np.array([10.0, 11.0, 2.0, 50.0]), time_sigma_s=f8,
        lat=np.array([48.0, 48.1, 48.2, 48.3]), lon=np.array([37.0, 37.1, 37.2, 37.3]),
        bearing_deg=np.array([90.0, 180.0, 270.0, 45.0]), bearing_sigma_deg=f8, range_m=f8,
        range_sigma_m=f8, event=i8, direction=i8, weapon=i8, position_sigma_m=f8, object=i8,
        count=np.zeros(n, np.int32), party=np.full(n, None, object),
    )  # fmt: skip


def test_a_paired_impact_and_an_unlocated_bearing() -> None:
    # groups: 0 a located impact (rows 0, 1) paired with 1 a located launch (row 2),
    # 2 a lone bearing (row 3) with no position nor time of its own
    nan = math.nan
    mortar = WEAPONS.index("mortar")
    ac = _Acoustic(
        x=np.array([0.0, 5.0, nan]), y=np.array([0.0, 5.0, nan]), T=np.array([12.0, 3.0, nan]),
        cov=np.full((3, 2, 2), nan), sd_t_s=np.full(3, nan),
        members=np.array([0, 1, 2, 3], np.intp), bounds=np.array([0, 2, 3, 4], np.intp),
        first=np.array([0, 2, 3], np.intp),
        kind=np.array([UND_EVENT, FIRING, UND_EVENT], np.intp),
        direction=np.array([OUTGOING, OUTGOING, INCOMING], np.intp),
        weapon=np.array([UND_WEAPON, mortar, UND_WEAPON], np.intp),
        n_obs=np.array([2, 1, 1], np.intp),
        flags=[(), ("single_observer",), ("single_observer", "no_position")],
        rows=Rows(*(np.zeros(4) for _ in range(9))),
    )  # fmt: skip
    cov_en = np.zeros((3, 2, 2))
    cov_en[0] = [[4.0, 1.0], [1.0, 9.0]]
    cov_en[1] = [[16.0, 2.0], [2.0, 25.0]]
    cov_en[2] = nan
    has_pos = np.array([True, True, False])
    events = _event_objects(
        _obs(), ac, np.array([48.5, 48.6, nan]), np.array([37.5, 37.6, nan]), cov_en,
        np.array([10.0, 20.0, np.inf]), has_pos, np.array([1, -1, -1], np.intp),
        np.array([True, False, False]), np.array([0.9, 0.0, 0.0]),
        np.array([False, True, False]), {}, np.full(3, -1, np.intp), np.zeros(3), FuseConfig(),
    )  # fmt: skip
    assert len(events) == 2
    impact, lone = events
    assert impact == Event(
        id=event_id(["A/a2", "B/b1", "A/a1"]),
        kind="explosion",  # a pairing names the phase: the outgoing class does not
        time_s=12.0,
        lat=48.5,
        lon=37.5,
        cov_m2=(4.0, 9.0, 1.0),
        observation_ids=("a1", "a2", "b1"),
        n_observers=2,
        direction="outgoing",
        weapon="mortar",  # the launch's: the impact named none
        launch_lat=48.6,
        launch_lon=37.6,
        launch_cov_m2=(16.0, 25.0, 2.0),
        flags=tuple(sorted(["paired", "pair_close_call", "pair_side_doubt:0.90"])),
    )
    assert lone == Event(
        id=event_id(["C/c1"]),
        kind="explosion",
        time_s=50.0,  # the report's: the group has none
        lat=None,
        lon=None,
        cov_m2=None,
        observation_ids=("c1",),
        n_observers=1,
        direction="incoming",
        weapon="undetermined",
        observer_lat=48.3,
        observer_lon=37.3,
        bearing_deg=45.0,
        flags=tuple(sorted([KIND_BY_DIRECTION, "no_position", "single_observer"])),
    )


def test_events_are_built_in_their_fields_order() -> None:
    assert tuple(f.name for f in fields(Event)) == _EVENT_FIELDS


def test_a_located_event_joined_by_a_lone_bearing_carries_its_ray() -> None:
    # group 0 located (rows 0, 1); group 1 a lone bearing (row 2, a mortar's launch
    # ray) that ray pairing joined to it; group 2 another lone bearing (row 3), alone
    nan = math.nan
    mortar = WEAPONS.index("mortar")
    ac = _Acoustic(
        x=np.array([0.0, nan, nan]), y=np.array([0.0, nan, nan]), T=np.array([12.0, nan, 49.0]),
        cov=np.full((3, 2, 2), nan), sd_t_s=np.full(3, nan),
        members=np.array([0, 1, 2, 3], np.intp), bounds=np.array([0, 2, 3, 4], np.intp),
        first=np.array([0, 2, 3], np.intp),
        kind=np.array([EXPLOSION, FIRING, UND_EVENT], np.intp),
        direction=np.array([INCOMING, OUTGOING, UND_DIR], np.intp),
        weapon=np.array([UND_WEAPON, mortar, UND_WEAPON], np.intp),
        n_obs=np.array([2, 1, 1], np.intp),
        flags=[(), ("single_observer", "no_position"), ("single_observer", "no_position")],
        rows=Rows(*(np.zeros(4) for _ in range(9))),
    )  # fmt: skip
    cov_en = np.full((3, 2, 2), nan)
    cov_en[0] = [[4.0, 1.0], [1.0, 9.0]]
    obs = _obs()
    obs.bearing_deg[3] = nan
    events = _event_objects(
        obs, ac, np.array([48.5, nan, nan]), np.array([37.5, nan, nan]), cov_en,
        np.array([10.0, np.inf, np.inf]), np.array([True, False, False]),
        np.full(3, -1, np.intp), np.zeros(3, bool), np.zeros(3),
        np.array([False, True, False]), {0: [1]}, np.array([2, -1, -1], np.intp),
        np.array([0.25, 0.0, 0.0]), FuseConfig(),
    )  # fmt: skip
    joined, alone = events
    assert joined.observation_ids == ("a1", "a2", "b1")
    assert joined.weapon == "mortar"  # the joined bearing's: the event named none
    assert (joined.observer_lat, joined.observer_lon, joined.bearing_deg) == (48.2, 37.2, 270.0)
    assert joined.flags == ("launch_ray", "pair_side_doubt:0.25", "paired")
    assert joined.launch_lat is None and joined.kind == "explosion"
    assert alone.time_s == 49.0  # the group's own time, not its report's
    assert alone.bearing_deg is None  # a non-finite bearing is none
    assert alone.kind == "undetermined" and alone.flags == ("no_position", "single_observer")


def test_sorted_flags_are_the_sorted_set_remembered() -> None:
    known: dict[tuple[str, ...], tuple[str, ...]] = {}
    got = _sorted_flags(["wide_fix", "paired", "wide_fix"], known)
    assert got == ("paired", "wide_fix")
    assert _sorted_flags(["wide_fix", "paired", "wide_fix"], known) is got
    assert _sorted_flags(["paired", "wide_fix"], known) == got
    assert _sorted_flags([], known) == ()
