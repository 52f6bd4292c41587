"""The fleet document: the examples load; errors name file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from ceasefire.mandate import load_mandate
from ceasefire.model.errors import FleetError
from ceasefire.patrol import load_fleet, parse_fleet

ROOT = Path(__file__).resolve().parents[2]

GOOD = """\
name: test wing
drone_types:
  - id: s100
    name: Camcopter
    cruise_kmh: 100
    endurance_h: 6
    turnaround_h: 1
    range_km: 150
    swath_km: 2
    ceiling_m: 5500
    detect_day: {tank: 0.8}
bases:
  - {id: b1, position: [37.56, 48.72], sector: donetsk, drones: {s100: 2}}
goals:
  zones: [{zone: demilitarized}]
"""


@pytest.mark.parametrize("example", ["frontline-2025", "donbas-2015"])
def test_examples_load_and_match_their_mandate(example: str) -> None:
    m = load_mandate(ROOT / "examples" / example / "mandate.yaml")
    f = load_fleet(ROOT / "examples" / example / "fleet.yaml", m)
    assert f.doc.size >= 5
    assert {b.sector for b in f.doc.bases} <= {s.id for s in m.doc.sectors}
    # an S-100 flies 6 h at 102 km/h (Schiebel's figures, cited in the file)
    s100 = f.doc.drone_type("s100")
    assert (s100.cruise_kmh, s100.endurance_h) == (102, 6)


def test_negative_speed_names_line_and_field() -> None:
    text = GOOD.replace("cruise_kmh: 100", "cruise_kmh: -5")
    with pytest.raises(FleetError) as ei:
        parse_fleet(text, source="wing.yaml")
    e = ei.value
    assert (e.file, e.line, e.field) == ("wing.yaml", 5, "drone_types[0].cruise_kmh")
    assert "greater than 0" in str(e) and "-5" in str(e)


def test_probability_above_one_is_refused() -> None:
    with pytest.raises(FleetError) as ei:
        parse_fleet(GOOD.replace("tank: 0.8", "tank: 1.5"), source="wing.yaml")
    assert ei.value.field == "drone_types[0].detect_day.tank"
    assert ei.value.line == 11


def test_unknown_drone_type_at_a_base() -> None:
    with pytest.raises(FleetError) as ei:
        parse_fleet(GOOD.replace("drones: {s100: 2}", "drones: {s200: 2}"), source="wing.yaml")
    assert ei.value.field == "bases[0].drones"
    assert ei.value.line == 13
    assert "s200" in str(ei.value) and "s100" in str(ei.value)


def test_unknown_class_in_detection_table() -> None:
    with pytest.raises(FleetError) as ei:
        parse_fleet(GOOD.replace("tank: 0.8", "tanks: 0.8"), source="wing.yaml")
    assert ei.value.field is not None and ei.value.field.startswith("drone_types[0].detect_day")


def test_checked_against_the_mandate(frontline_mandate_path: Path, tmp_path: Path) -> None:
    m = load_mandate(frontline_mandate_path)
    p = tmp_path / "wing.yaml"
    p.write_text(GOOD.replace("sector: donetsk", "sector: luhansk"), encoding="utf-8")
    with pytest.raises(FleetError) as ei:
        load_fleet(p, m)
    assert (ei.value.field, ei.value.line) == ("bases[0].sector", 13)
    assert "kharkiv" in str(ei.value)
    p.write_text(GOOD.replace("{zone: demilitarized}", "{zone: nowhere}"), encoding="utf-8")
    with pytest.raises(FleetError) as ei:
        load_fleet(p, m)
    assert ei.value.field == "goals.zones[0].zone"
    # a base in Lviv is far beyond a 150 km range from the line
    p.write_text(GOOD.replace("[37.56, 48.72]", "[24.03, 49.84]"), encoding="utf-8")
    with pytest.raises(FleetError, match="beyond the 150 km range"):
        load_fleet(p, m)


def test_not_yaml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FleetError) as ei:
        parse_fleet("name: [unclosed\n", source="bad.yaml")
    assert ei.value.file == "bad.yaml" and ei.value.line is not None
    with pytest.raises(FleetError, match="cannot read"):
        load_fleet(tmp_path / "missing.yaml")


def test_misspelled_key_is_named_with_the_key_meant() -> None:
    # "endurance_hours" is unknown and "endurance_h" then missing: the misspelling is named
    with pytest.raises(FleetError) as ei:
        parse_fleet(GOOD.replace("endurance_h: 6", "endurance_hours: 6"), source="wing.yaml")
    e = ei.value
    assert (e.file, e.line, e.field) == ("wing.yaml", 6, "drone_types[0].endurance_hours")
    assert "unknown key 'endurance_hours'; did you mean 'endurance_h'?" in str(e)
    assert "more problems" in str(e)
