"""``benchmarks/family_launches.py``: where a round's other launch reports are, and
association's two-bearing pair test by gate, on hand-made reports."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from family_launches import pair_test, where_launch

from ceasefire.fuse.association.pairs import PairConfig
from ceasefire.fuse.association.reports import DIR_UNDET, Reports
from ceasefire.fuse.solve import Rows
from ceasefire.model.results import Event

C = 343.0


def _event(eid: str, *obs: str, located: bool = True) -> Event:
    lat = 48.0 if located else None
    lon = 37.0 if located else None
    return Event(eid, "firing", 0.0, lat, lon, None, tuple(obs), len(obs))


def test_where_each_other_launch_report_is() -> None:
    # round r1's launch reports: a1 (in the violation's event e, with its impact
    # report i1), a2 (observer A's too), b1 lone, c1 in sibling r2's located event,
    # d1 in another round's, f1 with clutter, g1 in r1's own other event, h1 in none
    e = _event("e", "a1", "i1")
    sib = _event("s", "c1", "x2", "y2")
    other = _event("o", "d1", "z9", "w9")
    clutter = _event("c", "f1", "q", "q2", located=False)
    own = _event("g", "g1", "g2")
    lone = _event("l", "b1", located=False)
    held = {o: ev for ev in (e, sib, other, clutter, own, lone) for o in ev.observation_ids}
    round_of = {"a1": "r1", "a2": "r1", "b1": "r1", "c1": "r1", "d1": "r1", "f1": "r1",
                "g1": "r1", "g2": "r1", "h1": "r1", "i1": "r1", "k1": "r1", "x2": "r2", "y2": "r2",
                "z9": "r9", "w9": "r9"}  # fmt: skip
    burst = {"r1": 0, "r2": 0, "r9": 1}
    launch = {o for o, r in round_of.items() if r == "r1"} - {"i1"}  # i1: its impact
    # k1: heard by i1's observer, whose impact report (not launch) is in the event
    source = {o: o[0].upper() for o in round_of} | {"q": "Q", "q2": "P", "k1": "I"}

    def where(o: str) -> str:
        return where_launch(o, e, "r1", launch, held, round_of, burst, source)

    assert where("a2") == "same observer"
    assert where("b1") == "left lone"
    assert where("c1") == "a sibling's event (located)"
    assert where("d1") == "another round's event (located)"
    assert where("f1") == "with clutter (unlocated)"
    assert where("g1") == "this round's other event (located)"
    assert where("h1") == "in no event"
    assert where("k1") == "in no event"


def _reports(ox: list[float], oy: list[float], az_deg: list[float], t: list[float],
             src: list[int], direction: list[int]) -> Reports:  # fmt: skip
    n = len(ox)
    rows = Rows(
        np.array(ox, float), np.array(oy, float), np.radians(az_deg), np.full(n, math.radians(2.0)),
        np.array(t, float), np.full(n, 0.5), np.ones(n), np.full(n, np.nan), np.full(n, np.nan),
    )  # fmt: skip
    return Reports(rows, np.array(src, np.intp), np.array(direction, np.int8), C, 20_000.0)


def test_pair_test_by_gate() -> None:
    # a source at (0, 5 km), emitted at t=0: observers at (-5 km, 0) and (5 km, 0) hear
    # it ~20.6 s later on bearings of 45 and -45 degrees
    d = math.hypot(5_000.0, 5_000.0)
    u = DIR_UNDET
    cfg = PairConfig()
    ok = _reports([-5e3, 5e3], [0.0, 0.0], [45.0, -45.0], [d / C, d / C], [0, 1], [u, u])
    assert pair_test(ok, 0, 1, cfg)[0] == "a pair by every gate"
    # the second heard 6 s late: past the gate, not past the sound's way (29 s)
    late = _reports([-5e3, 5e3], [0.0, 0.0], [45.0, -45.0], [d / C, d / C + 6], [0, 1], [u, u])
    test, by = pair_test(late, 0, 1, cfg)
    assert test == "chi-square over the gate" and by > 1.0
    # heard a minute apart: more than the sound's way between them (10 km / c ~29 s)
    far = _reports([-5e3, 5e3], [0.0, 0.0], [45.0, -45.0], [0.0, 60.0], [0, 1], [u, u])
    test, by = pair_test(far, 0, 1, cfg)
    assert test == "times apart" and 25.0 < by < 31.0
    # looking away from each other: they cross behind both
    away = _reports([-5e3, 5e3], [0.0, 0.0], [-135.0, 135.0], [0.0, 0.0], [0, 1], [u, u])
    assert pair_test(away, 0, 1, cfg)[0] == "rays cross behind an observer"
    assert pair_test(ok, 0, 0, cfg)[0] == "one observer"
    apart = _reports([-5e3, 5e3], [0.0, 0.0], [45.0, -45.0], [0.0, 0.0], [0, 1], [0, 1])
    assert pair_test(apart, 0, 1, cfg)[0] == "phases named apart"
