"""Unsatisfiable cores and relaxations on a crafted design."""

from __future__ import annotations

from pathlib import Path

from ceasefire.design.check import check_design
from ceasefire.design.designfile import parse_design
from ceasefire.design.eligibility import minimal_cores

COUNCIL = """
council:
  members:
    - {iso3: CHN, permanent: true}
    - {iso3: FRA, permanent: true}
    - {iso3: GBR, permanent: true}
    - {iso3: RUS, permanent: true}
    - {iso3: USA, permanent: true}
    - {iso3: DZA, permanent: false}
    - {iso3: DNK, permanent: false}
    - {iso3: GRC, permanent: false}
    - {iso3: GUY, permanent: false}
    - {iso3: PAK, permanent: false}
    - {iso3: PAN, permanent: false}
    - {iso3: KOR, permanent: false}
    - {iso3: SLE, permanent: false}
    - {iso3: SVN, permanent: false}
    - {iso3: SOM, permanent: false}
"""

CRAFTED = (
    """
design: crafted
draft: {title: test}
"""
    + COUNCIL
    + """
facts: {un_mandate: true}
parties:
  - id: A
    name: Party A
    positions:
      - id: a1
        conditions: ["nato", "un_peacekeepers >= 100"]
  - id: B
    name: Party B
    positions:
      - id: b1
        conditions: ["not nato"]
force:
  required: {troops: 100}
pledges:
  - {country: DEU, troops: 500}
  - {country: NPL, troops: 500}
"""
)


def test_minimal_cores_by_hand() -> None:
    # bad(S) iff S contains {0, 1} or {2}: the cores are exactly those two sets
    def bad(s: frozenset[int]) -> bool:
        return {0, 1} <= s or 2 in s

    assert sorted(minimal_cores(4, bad)) == [(0, 1), (2,)]
    assert minimal_cores(3, lambda s: False) == []


def test_core_names_the_two_conflicting_conditions() -> None:
    report = check_design(parse_design(CRAFTED))
    (r,) = report.combos
    assert r.joint.eligible == []
    assert r.explanation.problem == "empty"
    cores = [{c.label for c in core} for core in r.explanation.cores]
    # "nato" (A) and "not nato" (B) conflict; the peacekeeper threshold plays no part
    assert cores == [{"A/a1: nato", "B/b1: not nato"}]
    best = r.explanation.relaxations[:2]
    assert {b.condition.label for b in best} == {"A/a1: nato", "B/b1: not nato"}
    assert all(b.resolves for b in best)
    last = r.explanation.relaxations[-1]
    assert last.condition.text == "un_peacekeepers >= 100" and not last.resolves
    assert not r.composition.meets_requirement


def test_dropping_the_conflict_admits_the_expected_countries() -> None:
    report = check_design(parse_design(CRAFTED))
    rel = {x.condition.label: x for x in report.combos[0].explanation.relaxations}
    # without "nato": non-NATO countries with >= 100 UN peacekeepers; NPL among them
    assert "NPL" in rel["A/a1: nato"].added
    # without "not nato": NATO members with >= 100 peacekeepers, e.g. DEU (544), not ALB (unknown)
    added = rel["B/b1: not nato"].added
    assert "DEU" in added and "ALB" not in added


def test_override_changes_eligibility(tmp_path: Path) -> None:
    text = CRAFTED.replace("pledges:", "countries:\n  NPL: {nato: true, source: test}\npledges:")
    report = check_design(parse_design(text))
    (r,) = report.combos
    assert r.joint.eligible == []  # still empty: NPL now fails B's condition instead
    a = next(p for p in r.parties if p.who == "A")
    assert "NPL" in a.eligible
