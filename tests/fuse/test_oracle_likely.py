"""``benchmarks/oracle_likely.py``: the likelihood oracle, on a hand-made case of
two posts, two mortar rounds fired ten seconds apart and one stray report; and
with fusion's events in place of the rounds."""

from __future__ import annotations

import sys
from datetime import UTC
from pathlib import Path

import numpy as np
import pytest

from ceasefire.geo import inverse
from ceasefire.model.arrays import ObservationArrays
from ceasefire.model.results import Event
from ceasefire.model.vocab import DIRECTIONS, EVENT_KINDS, KINDS, SPEED_OF_SOUND_M_S, WEAPONS
from ceasefire.simulate.observers import SENSOR_INDEX, SENSORS, Observers
from ceasefire.simulate.rounds import Rounds

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from oracle_likely import Hypotheses, LikelyOracle, World, agreement, assign, relabelled

POSTS = {"post-001": (48.00, 37.00), "post-002": (48.00, 37.20)}
MORTAR = WEAPONS.index("mortar")


def _rounds() -> Rounds:
    """Two mortar rounds from 4 km apart, fired 10 s apart; 40 s of flight."""
    return Rounds(
        weapon=np.array([MORTAR, MORTAR], np.int8),
        side=np.array([1, 1], np.int8),
        launch_lat=np.array([48.04, 48.04]),
        launch_lon=np.array([37.05, 37.10]),
        launch_s=np.array([1_000.0, 1_010.0]),
        impact_lat=np.array([48.07, 48.07]),
        impact_lon=np.array([37.08, 37.13]),
        impact_s=np.array([1_040.0, 1_050.0]),
        chainage_m=np.array([0.0, 4_000.0]),
    )


def _world() -> World:
    lat = np.array([p[0] for p in POSTS.values()])
    lon = np.array([p[1] for p in POSTS.values()])
    obs = Observers(
        source=np.array(list(POSTS), dtype=object),
        sensor=np.full(2, SENSOR_INDEX["post"], np.int8),
        lat=lat,
        lon=lon,
        t0_s=np.zeros(2),
        t1_s=np.full(2, 10_000.0),
    )
    return World(_rounds(), obs, None, SENSORS, 1.0, UTC, 0.0, 10_000.0)


def _report(source: str, to: tuple[float, float, float] | None, **over: float) -> dict:  # type: ignore[type-arg]
    """A post's report of a point (lat, lon, emission time), heard, 2° off; or of
    nothing (``to`` None: ``over`` gives its time and bearing)."""
    la, lo = POSTS[source]
    r = {"source": source, "lat": la, "lon": lo, "event": EVENT_KINDS.index("firing"),
         "direction": DIRECTIONS.index("outgoing"), "weapon": MORTAR}  # fmt: skip
    if to is not None:
        az, d = inverse(la, lo, to[0], to[1])
        r["time_s"] = to[2] + float(d) / SPEED_OF_SOUND_M_S + 0.5
        r["bearing_deg"] = (float(az) + 2.0) % 360.0
    r.update(over)
    return r


def _arrays(reports: list[dict]) -> ObservationArrays:  # type: ignore[type-arg]
    n = len(reports)

    def col(k: str, dtype: type) -> np.ndarray:
        return np.array([r[k] for r in reports], dtype=dtype)

    nan = np.full(n, np.nan)
    return ObservationArrays(
        id=np.array([f"o{i}" for i in range(n)], dtype=object),
        source=col("source", object),
        kind=np.full(n, KINDS.index("bearing"), np.int8),
        time_s=col("time_s", float),
        time_sigma_s=np.full(n, 2.0),
        lat=col("lat", float),
        lon=col("lon", float),
        bearing_deg=col("bearing_deg", float),
        bearing_sigma_deg=np.full(n, 5.0),
        range_m=nan,
        range_sigma_m=nan,
        event=col("event", np.int8),
        direction=col("direction", np.int8),
        weapon=col("weapon", np.int8),
        position_sigma_m=nan,
        object=np.full(n, -1, np.int8),
        count=np.zeros(n, np.int32),
        party=np.full(n, None, dtype=object),
    )


def test_each_report_goes_to_its_round_and_a_stray_one_to_clutter() -> None:
    r = _rounds()
    launch = [(r.launch_lat[i], r.launch_lon[i], r.launch_s[i]) for i in range(2)]
    impact = [(r.impact_lat[i], r.impact_lon[i], r.impact_s[i]) for i in range(2)]
    boom = {"event": EVENT_KINDS.index("explosion"), "direction": DIRECTIONS.index("incoming")}
    reports = [
        _report("post-001", launch[0]),
        _report("post-001", launch[1]),  # 10 s later, from 4 km east: the other round
        _report("post-002", launch[1]),
        _report("post-002", impact[0], **boom),
        # stray: no round then in that direction, no weapon named
        _report("post-002", None, time_s=3_000.0, bearing_deg=200.0, event=boom["event"],
                direction=DIRECTIONS.index("undetermined"), weapon=WEAPONS.index("undetermined")),
    ]  # fmt: skip
    obs = _arrays(reports)
    got = assign(obs, _world())
    assert got.phase.tolist() == [0, 2, 2, 1, -1]
    assert got.log_best[4] == -np.inf and np.isfinite(got.log_clutter[4])
    assert (got.log_best[:4] > got.log_clutter[:4]).all()
    # the stray report has nothing else to be: no phase is possible at its time
    assert got.margin()[4] == np.inf
    # round 1's launch from post-001 could have been round 0's, but far less likely
    assert np.isfinite(got.log_second[1]) and got.margin()[1] > np.log(100.0)


def test_a_report_that_names_a_weapon_is_no_clutter_and_the_groups_follow() -> None:
    r = _rounds()
    # a report of round 0's launch 40° off (8 σ of a post): clutter, as said...
    off = _report("post-001", (r.launch_lat[0], r.launch_lon[0], r.launch_s[0]))
    off["bearing_deg"] = (off["bearing_deg"] + 40.0) % 360.0
    plain = dict(off, event=EVENT_KINDS.index("undetermined"), weapon=WEAPONS.index("undetermined"))
    obs = _arrays([off, plain])
    got = assign(obs, _world())
    # ... unless it names a weapon: clutter never does (the simulator's clutter)
    assert got.phase.tolist() == [0, -1]
    truth = {
        "rounds": [
            {"launch": {"lat": 48.04, "lon": 37.05, "time": 1_000.0}, "impact": {},
             "launch_observations": ["o0", "o1"], "impact_observations": []},
        ]
    }  # fmt: skip
    oracle = LikelyOracle(truth, obs, _world())
    assert oracle.group == {"o0": 0}
    assert oracle.lat.shape == (4,)  # every phase of both rounds is a point
    got_agree = agreement(truth, obs, oracle.assignment)
    assert {k: got_agree[k] for k in list(got_agree)[-6:]} == {
        "reports": 2, "right": 1, "real_as_clutter": 1, "clutter_as_real": 0,
        "other_phase": 0, "other_round": 0,
    }  # fmt: skip
    # the 40° report is round 0's by a wide margin over round 1 (no clutter possible)
    assert oracle.assignment.margin()[0] > np.log(100.0)


def _events(r: Rounds, ids: dict[str, tuple[str, ...]]) -> list[Event]:
    """Fusion's events as it might give them: round 0 paired (its impact located
    100 m north of the truth, 0.5 s late, its launch at the truth), round 1's launch
    alone with no weapon named, and a lone bearing without position."""
    return [
        Event(
            "e0", "explosion", float(r.impact_s[0]) + 0.5, float(r.impact_lat[0]) + 0.0009,
            float(r.impact_lon[0]), (100.0**2, 100.0**2, 0.0), ids["e0"], 2, weapon="mortar",
            launch_lat=float(r.launch_lat[0]), launch_lon=float(r.launch_lon[0]),
            launch_cov_m2=(50.0**2, 30.0**2, 0.0),
        ),
        Event(
            "e1", "firing", float(r.launch_s[1]), float(r.launch_lat[1]),
            float(r.launch_lon[1]), (80.0**2, 80.0**2, 0.0), ids["e1"], 2,
        ),
        Event("e2", "firing", 5_000.0, None, None, None, ("o9",), 1, flags=("no_position",)),
    ]  # fmt: skip


def test_the_systems_events_stand_for_the_rounds() -> None:
    r = _rounds()
    launch = [(r.launch_lat[i], r.launch_lon[i], r.launch_s[i]) for i in range(2)]
    impact = (r.impact_lat[0], r.impact_lon[0], r.impact_s[0])
    boom = {"event": EVENT_KINDS.index("explosion"), "direction": DIRECTIONS.index("incoming")}
    # a third round no event stands for: fired at 3,000 s, 5 km south of post-002
    lost = (47.955, 37.20, 3_000.0)
    reports = [
        _report("post-001", launch[0]),  # o0: round 0's launch
        _report("post-001", impact, **boom),  # o1, o2: its impact
        _report("post-002", impact, **boom),
        _report("post-001", launch[1]),  # o3, o4: round 1's launch
        _report("post-002", launch[1]),
        _report("post-001", lost),  # o5: the lost round, a weapon named: never clutter
    ]
    obs = _arrays(reports)
    ids = {"e0": ("o0", "o1", "o2"), "e1": ("o3", "o4")}
    events = _events(r, ids)

    h = Hypotheses.of_events(events, obs)
    # e0's launch, e0's impact, e1 (a launch); the lone bearing stands for nothing
    assert h.is_launch.tolist() == [True, False, True]
    # the launch's time: its report's less the sound's travel (0.5 s late)
    assert h.t[0] == pytest.approx(r.launch_s[0] + 0.5, abs=1e-6)
    assert h.t[1] == events[0].time_s and h.t[2] == r.launch_s[1]
    assert h.weapon.tolist() == [MORTAR] * 3  # e1 names none: the weapon most named
    assert h.var_m2.tolist() == pytest.approx([0.5 * (50.0**2 + 30.0**2), 100.0**2, 80.0**2])
    # a mean of two reports at 2 s; the launch's is a median's (of one report)
    assert h.t_var_s2.tolist() == pytest.approx([2.0 * np.pi, 2.0, 2.0])

    # events or clutter: the lost round's report names a weapon, so it is no clutter,
    # and no event is possible then: it stays free, with nothing to choose
    alone = assign(obs, _world().estimated(events, obs))
    assert alone.phase.tolist() == [0, 1, 1, 2, 2, -1]
    assert alone.log_clutter[5] == -np.inf and alone.log_best[5] == -np.inf
    # with rounds fusion did not locate as an alternative, it is of one of them
    w = _world().estimated(events, obs, others=True)
    assert w.other_per_s == pytest.approx(3 / 10_000.0)
    got = assign(obs, w)
    assert got.phase.tolist() == [0, 1, 1, 2, 2, -1]
    assert np.isfinite(got.log_clutter[5])
    # named by the truth: hypothesis 0 is round 0's launch (phase 0), 1 its impact,
    # 2 round 1's launch (phase 2)
    truth = {
        "rounds": [
            {"launch_observations": ["o0"], "impact_observations": ["o1", "o2"]},
            {"launch_observations": ["o3", "o4"], "impact_observations": []},
            {"launch_observations": ["o5"], "impact_observations": []},
        ]
    }
    named = relabelled(truth, obs, got)
    assert named.phase.tolist() == [0, 1, 1, 2, 2, -1]
    agree = agreement(truth, obs, named)
    assert (agree["right"], agree["real_as_clutter"]) == (5, 1)
    # a hypothesis given only clutter gets a label beyond every true phase
    stray = relabelled({"rounds": []}, obs, got)
    assert stray.phase.tolist() == [0, 1, 1, 2, 2, -1]
    # no event at all: every report free, nothing to name
    none = assign(obs, _world().estimated([], obs))
    assert relabelled(truth, obs, none).phase.tolist() == [-1] * 6
