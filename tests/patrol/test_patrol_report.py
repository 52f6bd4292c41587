"""The daily report's patrol section shows the plan's coverage figures."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

from ceasefire.mandate import parse_mandate
from ceasefire.patrol import Plan, Sortie, parse_fleet
from ceasefire.patrol.coverage import coverage
from ceasefire.report import render_report
from ceasefire.report.context import ReportContext

MANDATE = """\
mission: {name: test, authority: {body: UNSC, resolution: test}}
parties: [{id: A, name: A}, {id: B, name: B}]
contact_line: {left: A, right: B, coordinates: [[37.5, 48.0], [37.5, 48.9]]}
sectors:
  - {id: south, from_km: 0, to_km: 50}
  - {id: north, from_km: 50, to_km: 101}
zones: [{id: band, kind: buffer, width_km: {A: 10}, objects: [tank]}]
rules: [{id: w, kind: withdrawal, zone: band, objects: [tank]}]
reporting: {timezone: UTC}
"""
FLEET = """\
name: one drone
drone_types:
  - {id: d, name: d, cruise_kmh: 100, endurance_h: 6, turnaround_h: 1, range_km: 200,
     swath_km: 2, ceiling_m: 3000, detect_day: {tank: 0.5}}
bases: [{id: b, position: [37.5, 48.0], sector: south, drones: {d: 1}}]
goals: {revisit_h: 3, zones: [{zone: band}]}
"""


def test_patrol_section_in_the_report(tmp_path: Path) -> None:
    m = parse_mandate(MANDATE)
    fleet = parse_fleet(FLEET).doc
    length_m = float(m.contact.local.length)
    v = 100 / 3.6
    t0 = datetime(2025, 6, 1, 10, 0, tzinfo=m.tz).timestamp()
    s = Sortie(
        "s1", "b-d-1", "d", "b",
        [(t0, 48.0, 37.5), (t0 + length_m / v, 48.9, 37.5), (t0 + 2 * length_m / v, 48.0, 37.5)],
    )  # fmt: skip
    cov = coverage(m, Plan("hand", t0, 4.0, fleet, [s]))
    ctx = ReportContext(mandate=m, day=date(2025, 6, 1), events=[], violations=[], patrol=cov)
    html = render_report(ctx, tmp_path, pdf=False)["html"].read_text()
    sec = html[html.index('<section id="patrol">') : html.index('<section id="record">')]
    rows = dict(re.findall(r'data-sector="(\w+)"><td>\w+</td><td class="num">(\d+) %', sec))
    # the hand case of test_patrol_coverage: the south half within 3 h, the north not
    assert rows == {"south": "100", "north": "0"}
    assert "10 % of" in sec  # a tenth of the band under the swath
    assert "1 sorties of 1 drones" in sec
    without = render_report(
        ReportContext(mandate=m, day=date(2025, 6, 1), events=[], violations=[]),
        tmp_path / "plain",
        pdf=False,
    )["html"].read_text()
    assert 'id="patrol"' not in without
