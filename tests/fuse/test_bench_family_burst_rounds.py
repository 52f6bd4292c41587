"""``benchmarks/family_burst_rounds.py``'s reading of a burst against the truth: which
rounds are one burst, where each round's reports went (own event, a sibling's,
elsewhere, none), and one observer's reports crossed between two rounds' events."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from family_burst_rounds import (
    M_PER_DEG,
    bursts_of,
    crossings,
    event_rounds,
    events_per_round,
    placement,
    split_rounds,
)

from ceasefire.model.results import Event

KEY = "launch_observations"


def _round(rid: str, t: float, north_m: float = 0.0, obs: tuple[str, ...] = ()) -> dict[str, Any]:
    at = {"lat": 48.0 + north_m / M_PER_DEG, "lon": 37.0, "time": t}
    return {"id": rid, "launch": at, "impact": at, KEY: list(obs)}


def _event(eid: str, *obs: str) -> Event:
    return Event(eid, "firing", 0.0, 48.0, 37.0, None, tuple(obs), len(obs))


def test_bursts_chain_rounds_from_one_spot_seconds_apart() -> None:
    # B 10 m and 5 s after A joins it; D 1 km away starts its own; E (t=10, A's spot)
    # joins A's burst past D; C 45 s after E is too late
    r = [_round("A", 0.0), _round("B", 5.0, 10.0), _round("D", 6.0, 1_000.0),
         _round("E", 10.0), _round("C", 55.0)]  # fmt: skip
    got = [[x["id"] for x in b] for b in bursts_of(r)]
    assert got == [["A", "B", "E"], ["D"], ["C"]]


def test_event_round_is_the_majority_of_its_phase_reports() -> None:
    round_of = {"a1": "r1", "b1": "r1", "a2": "r2"}
    events = [_event("e1", "a1", "b1", "a2"), _event("e2", "a2"), _event("e3", "zz")]
    assert event_rounds(events, round_of) == {"e1": "r1", "e2": "r2"}


def test_placement_own_sibling_elsewhere_free() -> None:
    burst = [
        _round("r1", 0.0, obs=("a1", "b1", "c1")),
        _round("r2", 5.0, obs=("a2", "b2")),
        _round("r3", 9.0, obs=("a3",)),  # only in r1's event: no event of its own
        _round("r4", 12.0),  # heard by nobody
        _round("r5", 15.0, obs=("a5",)),  # in no event
    ]
    round_of = {o: r["id"] for r in burst for o in r[KEY]} | {"z1": "r9", "z2": "r9"}
    events = [_event("e1", "a1", "b1", "b2", "a3"), _event("e2", "a2"),
              _event("e3", "c1", "z1", "z2")]  # fmt: skip
    of_event = event_rounds(events, round_of)
    event_of = {o: e.id for e in events for o in e.observation_ids}
    kind_of = {o: {"a": "cam", "b": "post", "c": "mic"}[o[0]] for o in round_of if o[0] != "z"}
    got = placement(burst, KEY, event_of, of_event, kind_of)
    assert (got["own"], got["sibling"], got["elsewhere"], got["free"]) == (3, 2, 1, 1)
    assert (got["sibling: post"], got["sibling: cam"], got["elsewhere: mic"]) == (1, 1, 1)
    assert got["rounds with an event"] == 2
    assert got["rounds without, in a sibling"] == 1
    assert got["rounds without"] == 1
    assert got["rounds unheard"] == 1


def test_crossings_count_one_observers_reports_in_reversed_rounds() -> None:
    burst = [
        _round("r1", 0.0, obs=("c1", "p1", "m1")),
        _round("r2", 5.0, obs=("c2", "m2", "x2", "y2")),
        _round("r3", 9.0, obs=("p3",)),
    ]
    round_of = {o: r["id"] for r in burst for o in r[KEY]}
    # e1 is r1's (p1, m1 against m2, c2), e2 r2's (x2, y2 against c1), e3 r3's
    events = [_event("e1", "p1", "m1", "m2", "c2"), _event("e2", "c1", "x2", "y2"),
              _event("e3", "p3")]  # fmt: skip
    of_event = event_rounds(events, round_of)
    assert of_event == {"e1": "r1", "e2": "r2", "e3": "r3"}
    event_of = {o: e.id for e in events for o in e.observation_ids}
    source = {"c1": "cam-1", "c2": "cam-1", "p1": "post-1", "p3": "post-1",
              "m1": "mic-1", "m2": "mic-1", "x2": "post-2", "y2": "post-3"}  # fmt: skip
    time = {"c1": 100.0, "c2": 105.0, "p1": 100.0, "p3": 109.0, "m1": 100.0, "m2": 105.0,
            "x2": 105.0, "y2": 105.0}  # fmt: skip
    got = crossings(burst, KEY, event_of, of_event, source, time)
    # cam-1: its first report in r2's event, its second in r1's: crossed; post-1 in
    # order; mic-1's two reports share one event, post-2 and post-3 have one report
    # each: no pair
    assert (got["pairs"], got["crossed"]) == (2, 1)


def test_events_per_round_counts_a_second_event_as_surplus() -> None:
    burst = [_round("r1", 0.0), _round("r2", 5.0), _round("r3", 9.0)]
    got = events_per_round(burst, {"e1": "r1", "e2": "r1", "e3": "r2", "e4": "r9"})
    assert got == {"rounds with 2+ events": 1, "rounds with 1 events": 1, "rounds with 0 events": 1}


def test_split_rounds_tell_other_rounds_impacts_from_a_surplus() -> None:
    # 4 rounds 4 s apart from one spot, heard by cam-1, post-1 and post-2 (post-2
    # missed r2); each round's launch reports are the majority of two events, and
    # what the two carry on the impact side decides whether one is too many
    burst = [_round(f"r{k}", 4.0 * k) for k in (1, 2, 3, 4)]
    launch_round = {f"e{k}": f"r{(k + 1) // 2}" for k in range(1, 9)} | {"e9": "r9"}
    impact_round = {
        "e1": "r1", "e2": "r2",  # r1: its own impact and r2's: no event too many
        "e3": "r3", "e4": "r4",  # r2: r3's and r4's impacts: its launch went astray
        "e5": "r3",  # r3: e6 holds no impact report: a surplus launch event
        "e7": "r4", "e8": "r4",  # r4: both hold r4's impact: a surplus
        "e9": "r1",  # outside the burst
    }  # fmt: skip
    events = [_event(f"e{k}", f"o{k}") for k in range(1, 10)]
    got = split_rounds(burst, events, launch_round, impact_round)
    assert got == {
        "split rounds": 4,
        "split: own impact and others'": 1,
        "split: impacts of other rounds": 1,
        "split: a surplus": 2,
    }
    # one event a round: nothing split
    one = {f"e{k}": f"r{k}" for k in (1, 2, 3, 4)}
    assert split_rounds(burst, events, one, impact_round) == {}
