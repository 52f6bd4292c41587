"""Coverage figures against a case computed by hand: one straight line, one drone."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from ceasefire.mandate import parse_mandate
from ceasefire.patrol import Plan, Sortie, parse_fleet
from ceasefire.patrol.coverage import coverage, max_gap_s

MANDATE = """\
mission: {name: test, authority: {body: UNSC, resolution: test}}
parties: [{id: A, name: A}, {id: B, name: B}]
contact_line:
  left: A
  right: B
  coordinates: [[37.5, 48.0], [37.5, 48.9]]
sectors:
  - {id: south, from_km: 0, to_km: 50}
  - {id: north, from_km: 50, to_km: 101}
zones:
  - {id: band, kind: buffer, width_km: {A: 10}, objects: [tank]}
rules:
  - {id: w, kind: withdrawal, zone: band, objects: [tank]}
reporting: {timezone: UTC}
"""

FLEET = """\
name: one drone
drone_types:
  - {id: d, name: d, cruise_kmh: 100, endurance_h: 6, turnaround_h: 1, range_km: 200,
     swath_km: 2, ceiling_m: 3000, detect_day: {tank: 0.5}, detect_night: {tank: 0.1}}
bases: [{id: b, position: [37.5, 48.0], sector: south, drones: {d: 1}}]
goals: {revisit_h: 3, zones: [{zone: band}]}
"""


def test_one_drone_out_and_back_along_a_straight_line() -> None:
    m = parse_mandate(MANDATE)
    fleet = parse_fleet(FLEET).doc
    length_m = float(m.contact.local.length)  # ~100.1 km
    v = 100 / 3.6
    t0 = datetime(2025, 6, 1, 10, 0, tzinfo=m.tz).timestamp()  # by day
    s = Sortie(
        "s1",
        "b-d-1",
        "d",
        "b",
        [(t0, 48.0, 37.5), (t0 + length_m / v, 48.9, 37.5), (t0 + 2 * length_m / v, 48.0, 37.5)],
    )
    cov = coverage(m, Plan("hand", t0, 4.0, fleet, [s]), grid_km=1.0)
    # a point x km along is passed at x/v and (2L - x)/v; over a 4 h day that
    # repeats, the longest gap is 4 h - (2L - 2x)/v, within 3 h where x <= L - 50 km:
    # samples at 0.5, 1.5, ... km: 50 of 100
    assert cov["line"]["within_revisit"] == pytest.approx(0.5)
    assert cov["line"]["sectors"]["south"]["within_revisit"] == pytest.approx(1.0)
    assert cov["line"]["sectors"]["north"]["within_revisit"] == pytest.approx(0.0)
    assert cov["line"]["seen"] == pytest.approx(1.0)
    # the second revisit period (3-4 h) has no pass at all
    assert cov["line"]["every_period"] == pytest.approx(0.0)
    # the 2 km swath sees the first km of the 10 km band: depths 0.5 of 0.5 ... 9.5
    assert cov["zones"]["band"]["parties"]["A"] == pytest.approx(0.1)
    assert cov["zones"]["band"]["share"] == pytest.approx(0.1)
    assert "B" not in cov["zones"]["band"]["parties"]
    # two daytime passes at p = 0.5 over that tenth: 0.1 * (1 - 0.5**2)
    assert cov["detection"]["band"]["tank"] == pytest.approx(0.075)
    assert cov["flown_km"] == pytest.approx(2 * length_m / 1000, rel=2e-3)


def test_night_passes_use_the_night_probability() -> None:
    m = parse_mandate(MANDATE)
    fleet = parse_fleet(FLEET).doc
    length_m = float(m.contact.local.length)
    v = 100 / 3.6
    t0 = datetime(2025, 6, 1, 21, 0, tzinfo=m.tz).timestamp()  # night: 20:00-05:00
    s = Sortie(
        "s1", "b-d-1", "d", "b",
        [(t0, 48.0, 37.5), (t0 + length_m / v, 48.9, 37.5), (t0 + 2 * length_m / v, 48.0, 37.5)],
    )  # fmt: skip
    cov = coverage(m, Plan("hand", t0, 4.0, fleet, [s]), grid_km=1.0)
    assert cov["detection"]["band"]["tank"] == pytest.approx(0.1 * (1 - 0.9**2))


def test_max_gap_is_cyclic_and_unseen_is_infinite() -> None:
    sample = np.array([0, 0, 1])
    times = np.array([1.0, 3.0, 2.0])
    gap = max_gap_s(sample, times, 3, 10.0, 0.0)
    # sample 0: gaps 2 and 10 - 3 + 1 = 8; sample 1 once: 10; sample 2 never
    assert gap.tolist() == [8.0, 10.0, np.inf]
