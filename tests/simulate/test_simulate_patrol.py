"""The simulator flies a patrol plan: sightings come from where the drones were."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np

from ceasefire.mandate import load_mandate, parse_mandate
from ceasefire.patrol import Plan, Sortie, load_fleet, parse_fleet, plan_patrols
from ceasefire.simulate import get_profile, simulate
from ceasefire.simulate.ground import Thing
from ceasefire.simulate.patrolled import fly_plan

ROOT = Path(__file__).resolve().parents[2]

MANDATE = """\
mission: {name: test, authority: {body: UNSC, resolution: test}}
parties: [{id: A, name: A}, {id: B, name: B}]
contact_line: {left: A, right: B, coordinates: [[37.5, 48.0], [37.5, 48.9]]}
zones: [{id: band, kind: buffer, width_km: {A: 10}, objects: [tank]}]
rules: [{id: w, kind: withdrawal, zone: band, objects: [tank]}]
reporting: {timezone: UTC}
"""
FLEET = """\
name: one drone
drone_types:
  - {id: d, name: d, cruise_kmh: 100, endurance_h: 6, turnaround_h: 1, range_km: 200,
     swath_km: 2, ceiling_m: 3000, detect_day: {tank: 1.0}}
bases: [{id: b, position: [37.5, 48.0], sector: s, drones: {d: 1}}]
"""


def test_only_objects_under_the_flight_are_sighted_when_it_passed() -> None:
    m = parse_mandate(MANDATE)
    fleet = parse_fleet(FLEET).doc
    t0 = datetime(2025, 6, 1, 10, 0, tzinfo=m.tz).timestamp()
    length_m = float(m.contact.local.length)
    v = 100 / 3.6
    s = Sortie("b-d-1-s1", "b-d-1", "d", "b", [(t0, 48.0, 37.5), (t0 + length_m / v, 48.9, 37.5)])
    plan = Plan("hand", t0, 24.0, fleet, [s])
    # the line runs north along 37.5 E; A holds the left (west): 0.5 km and 5 km west
    # of the line half way up, and one that leaves before the drone comes by
    near = Thing("near", "tank", "A", [(t0 - 3600, 48.45, 37.5 - 0.5 / 74.0)], t0 + 86400)
    far = Thing("far", "tank", "A", [(t0 - 3600, 48.45, 37.5 - 5 / 74.0)], t0 + 86400)
    gone = Thing("gone", "tank", "A", [(t0 - 3600, 48.45, 37.5)], t0 + 600)
    got = fly_plan(m, plan, [near, far, gone], t0 - 3600, t0 + 86400, np.random.default_rng(1))
    assert got and {g.thing for g in got} == {0}
    assert {g.source for g in got} == {"b-d-1-s1"}
    # passed half way along the line, at about L/2 / v after take-off (+ up to 5 min)
    t_pass = t0 + length_m / 2 / v
    assert all(t_pass - 60 <= g.time_s <= t_pass + 360 for g in got)


def test_simulated_day_with_a_plan_reports_what_it_caught() -> None:
    m = load_mandate(ROOT / "examples" / "frontline-2025" / "mandate.yaml")
    f = load_fleet(ROOT / "examples" / "frontline-2025" / "fleet.yaml", m)
    t0 = datetime(2025, 6, 1, tzinfo=m.tz).timestamp()
    plan = plan_patrols(m, f, t0, 24.0, time_limit_s=0.3)
    sc = simulate(m, get_profile("heavy"), t0, 24.0, 3, patrol=plan)
    pt = sc.truth["patrol"]
    ids = {s.id for s in plan.sorties}
    assert 0 < pt["caught"] < pt["withdrawal"]
    things = {t["id"]: t for t in sc.truth["things"]}
    weapon = {v["id"]: v for v in sc.truth["violations"] if v["kind"] == "weapon"}
    for vid in pt["caught_ids"]:
        assert things[weapon[vid]["thing"]]["sightings"], vid
    for vid in pt["missed_ids"]:
        assert not weapon[vid]["perceived"]
    # every ground sighting comes from one of the plan's sorties
    sight = sc.observations.kind == 2
    ground = sight & (sc.observations.object != 8)  # not a drone seen by a post
    assert set(sc.observations.source[ground].tolist()) <= ids
