"""Mandate loading: the bundled examples, and invalid documents with their messages."""

from __future__ import annotations

import json
import textwrap
from datetime import date
from pathlib import Path

import pytest
import yaml

from ceasefire.geo import LEFT, forward
from ceasefire.mandate import day_bounds, day_of, load_mandate, parse_mandate
from ceasefire.model.errors import MandateError

MINIMAL = textwrap.dedent(
    """\
    mission:
      name: test
      authority: {body: UN Security Council, resolution: S/RES/0 (2025)}
    parties:
      - {id: UA, name: Ukraine}
      - {id: RU, name: Russia}
    contact_line:
      left: RU
      right: UA
      coordinates: [[38.0, 49.0], [38.0, 48.0]]
    zones:
      - {id: z, kind: buffer, width_km: {UA: 25, RU: 25}}
    rules:
      - {id: ceasefire, kind: ceasefire, events: [explosion]}
      - {id: w, kind: withdrawal, zone: z, objects: [tank]}
    """
)


def _mutate(path: list[str | int], value: object) -> str:
    doc = yaml.safe_load(MINIMAL)
    node = doc
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value
    return yaml.safe_dump(doc, sort_keys=False)


def test_donbas_example_loads_with_the_minsk_numbers(donbas_mandate_path: Path) -> None:
    m = load_mandate(donbas_mandate_path)
    assert m.party_ids == ["UA", "RU"]
    # straight segments through the anchor towns: about 284 km (shared/data/README.md)
    assert m.contact.length_km == pytest.approx(284, abs=2)
    widths = {z.id: z.width_km for z in m.doc.zones if z.kind == "buffer"}
    assert widths["security-artillery"] == {"UA": 25, "RU": 25}
    assert widths["security-mlrs"] == {"UA": 35, "RU": 35}
    assert widths["security-heavy-mlrs"] == {"UA": 70, "RU": 70}
    # 2 x 2 km disengagement squares
    assert m.zone_area_km2("da-zolote")["all"] == pytest.approx(4.0, rel=0.01)
    # RU holds the left (east) of a line drawn north to south: Donetsk city is RU's side
    assert m.contact.nearest(48.0159, 37.8028).side[0] == LEFT
    assert m.side_party(LEFT) == "RU"
    # Kramatorsk (government-controlled) is on the right
    assert m.side_party(int(m.contact.nearest(48.7389, 37.5844).side[0])) == "UA"


def test_frontline_example_has_notify_and_a_three_line_ladder(frontline_mandate_path: Path) -> None:
    m = load_mandate(frontline_mandate_path)
    assert m.doc.response.mode == "notify"
    assert [d.line for d in m.doc.response.escalation] == [1, 2, 3]
    assert m.contact.length_km > 700
    assert m.reference_line("RU") is not m.contact
    assert m.reference_line("UA") is m.contact


def test_buffer_band_area_is_about_width_times_length() -> None:
    m = parse_mandate(MINIMAL)
    areas = m.zone_area_km2("z")
    # a straight 111 km line, 25 km on each side: 25 x 111 km² per band (+ end effects)
    assert areas["UA"] == pytest.approx(25 * m.contact.length_km, rel=0.02)
    assert areas["RU"] == pytest.approx(25 * m.contact.length_km, rel=0.02)


@pytest.mark.parametrize(
    ("path", "value", "field", "expect"),
    [
        (["zones", 0, "width_km", "UA"], -5, "zones[0].width_km", "expected >= 0"),
        (["rules", 0, "parties"], ["XX"], "rules[0].parties", "unknown party 'XX'"),
        (["rules", 1, "objects"], ["howitzer"], "rules[1].objects[0]", "Input should be"),
        (["contact_line", "left"], "XX", "contact_line.left", "unknown party 'XX'"),
        (["rules", 1, "zone"], "nowhere", "rules[1].zone", "unknown zone 'nowhere'"),
        (
            ["contact_line", "coordinates"],
            [[38, 48], [39, 49], [39, 48], [38, 49]],
            "contact_line.coordinates",
            "crosses itself",
        ),
        (
            ["contact_line", "coordinates"],
            [[38, 95], [38, 48]],
            "contact_line.coordinates",
            "latitude 95",
        ),
    ],
)
def test_invalid_mandates_name_file_field_and_expectation(
    path: list[str | int], value: object, field: str, expect: str
) -> None:
    with pytest.raises(MandateError) as info:
        parse_mandate(_mutate(path, value), source="m.yaml")
    msg = str(info.value)
    assert msg.startswith("m.yaml:")
    assert info.value.field == field
    assert expect in msg
    assert info.value.line is not None


def test_yaml_line_number_points_at_the_bad_value(tmp_path: Path) -> None:
    text = MINIMAL.replace("width_km: {UA: 25, RU: 25}", "width_km: {UA: -1, RU: 25}")
    p = tmp_path / "bad.yaml"
    p.write_text(text)
    with pytest.raises(MandateError) as info:
        load_mandate(p)
    expected_line = next(i for i, ln in enumerate(text.splitlines(), 1) if "UA: -1" in ln)
    assert info.value.line == expected_line
    assert str(p) in str(info.value)


def test_missing_file_and_not_yaml(tmp_path: Path) -> None:
    with pytest.raises(MandateError, match="cannot read"):
        load_mandate(tmp_path / "nope.yaml")
    with pytest.raises(MandateError, match="not valid YAML"):
        parse_mandate("mission: [unclosed", source="x.yaml")


def test_line_from_geojson_file(tmp_path: Path) -> None:
    (tmp_path / "line.geojson").write_text(
        '{"type": "Feature", "properties": {}, "geometry": {"type": "LineString",'
        ' "coordinates": [[38.0, 49.0], [38.0, 48.0]]}}'
    )
    text = MINIMAL.replace("coordinates: [[38.0, 49.0], [38.0, 48.0]]", "file: line.geojson")
    (tmp_path / "m.yaml").write_text(text)
    m = load_mandate(tmp_path / "m.yaml")
    assert m.contact.lats == (49.0, 48.0)


def test_day_bounds_follow_cutoff_and_time_zone() -> None:
    m = parse_mandate(MINIMAL + "reporting: {cutoff: '00:00', timezone: Europe/Kyiv}\n")
    start, end = day_bounds(m, date(2025, 7, 1))
    # Kyiv is UTC+3 in summer: the day starts at 21:00 UTC the evening before
    assert end - start == 86400
    assert start == pytest.approx(1751317200.0)  # 2025-06-30T21:00:00Z
    assert day_of(m, start) == date(2025, 7, 1)
    assert day_of(m, end) == date(2025, 7, 2)
    m2 = parse_mandate(MINIMAL + "reporting: {cutoff: '19:30', timezone: UTC}\n")
    _s2, e2 = day_bounds(m2, date(2025, 7, 1))
    assert e2 == pytest.approx(1751398200.0)  # 2025-07-01T19:30Z
    assert day_of(m2, e2 - 1) == date(2025, 7, 1)
    assert day_of(m2, e2 + 1) == date(2025, 7, 2)


def test_reference_line_far_from_contact_moves_the_zone() -> None:
    doc = yaml.safe_load(MINIMAL)
    # RU withdraws from a line 10 km east of the contact line
    _la, lo = forward(48.5, 38.0, 90, 10_000)
    doc["reference_lines"] = {"RU": {"coordinates": [[float(lo), 49.0], [float(lo), 48.0]]}}
    m = parse_mandate(yaml.safe_dump(doc))
    assert m.reference_line("RU").lons[0] == pytest.approx(float(lo))
    assert m.reference_line("UA") is m.contact


def test_the_packaged_donbas_mandate_is_the_example() -> None:
    # `ceasefire demo` falls back on the packaged copy when installed without the
    # source tree: it must be the example, byte for byte
    from importlib import resources
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    example = (root / "examples" / "donbas-2015" / "mandate.yaml").read_bytes()
    packaged = (resources.files("ceasefire") / "data" / "donbas-2015-mandate.yaml").read_bytes()
    assert packaged == example


def test_a_misspelled_key_is_named_with_its_line_and_a_suggestion(tmp_path: Path) -> None:
    text = MINIMAL.replace("{id: z, kind: buffer, width_km:", "{id: z, kind: buffer, widht_km:")
    p = tmp_path / "m.yaml"
    p.write_text(text)
    with pytest.raises(MandateError) as exc:
        load_mandate(p)
    line = 1 + text.splitlines().index("  - {id: z, kind: buffer, widht_km: {UA: 25, RU: 25}}")
    msg = str(exc.value)
    assert f"unknown key 'widht_km' at line {line}; did you mean 'width_km'?" in msg
    assert exc.value.line == line and exc.value.field == "zones[0]"
    assert "Field required" not in msg


def test_a_misspelled_key_far_from_any_other_gets_no_suggestion() -> None:
    text = MINIMAL.replace("zones:\n", "qqqqq: 1\nzones:\n")
    with pytest.raises(MandateError, match=r"unknown key 'qqqqq' at line 11$"):
        parse_mandate(text)


def test_a_mandate_that_is_not_utf8_is_an_error_naming_the_line(tmp_path: Path) -> None:
    p = tmp_path / "latin1.yaml"
    text = MINIMAL.replace("name: test", "name: Mission d'observation à Donetsk")
    p.write_bytes(text.encode("latin-1"))
    with pytest.raises(MandateError) as exc:
        load_mandate(p)
    assert exc.value.file == str(p) and exc.value.line == 2
    assert "0xe0" in str(exc.value) and "UTF-8" in str(exc.value)


def test_a_byte_order_mark_is_accepted_in_the_mandate_and_its_line_file(tmp_path: Path) -> None:
    line = {"type": "LineString", "coordinates": [[38.0, 49.0], [38.0, 48.0]]}
    (tmp_path / "line.geojson").write_bytes(b"\xef\xbb\xbf" + json.dumps(line).encode())
    text = MINIMAL.replace("coordinates: [[38.0, 49.0], [38.0, 48.0]]", "file: line.geojson")
    p = tmp_path / "bom.yaml"
    p.write_bytes(b"\xef\xbb\xbf" + text.encode())
    m = load_mandate(p)
    assert m.doc.mission.name == "test"
    assert m.contact.length_km == pytest.approx(111.2, abs=0.5)  # one degree of latitude
    # the text kept in a store (with its mark) parses too
    assert parse_mandate("\ufeff" + MINIMAL).doc.mission.name == "test"


def test_brackets_nested_past_the_parsers_depth_are_a_mandate_error(
    donbas_mandate_path: Path,
) -> None:
    text = donbas_mandate_path.read_text()
    i = text.index("by: [UA, RU, undetermined]")
    with pytest.raises(MandateError, match="nested deeper") as exc:
        parse_mandate(text[:i] + "[" * 3000 + text[i:], source="deep.yaml")
    assert "deep.yaml" in str(exc.value)


def test_fusion_register_over_reaches_fusion_and_a_bad_value_is_named() -> None:
    from ceasefire.pipeline import fuse_config

    doc = yaml.safe_load(MINIMAL)
    assert fuse_config(parse_mandate(MINIMAL)).register_over == "run"  # the day's, default
    doc["fusion"] = {"register_over": "tile"}  # as the live workers must
    assert fuse_config(parse_mandate(yaml.safe_dump(doc))).register_over == "tile"
    doc["fusion"] = {"register_over": "week"}
    with pytest.raises(MandateError) as info:
        parse_mandate(yaml.safe_dump(doc), source="m.yaml")
    assert info.value.field == "fusion.register_over"
    assert "'day' or 'tile'" in str(info.value)


def test_fusion_finality_and_step_are_read_and_bad_ones_named() -> None:
    doc = yaml.safe_load(MINIMAL)
    f = parse_mandate(MINIMAL).doc.fusion
    assert (f.finality, f.step_s) == ("tile", 60.0)  # the default: today's batch
    doc["fusion"] = {"finality": "event", "step_s": 30}
    f = parse_mandate(yaml.safe_dump(doc)).doc.fusion
    assert (f.finality, f.step_s) == ("event", 30.0)
    doc["fusion"] = {"finality": "event", "step_s": 0}
    with pytest.raises(MandateError) as info:
        parse_mandate(yaml.safe_dump(doc), source="m.yaml")
    assert info.value.field == "fusion.step_s"
    doc["fusion"] = {"finality": "soon"}
    with pytest.raises(MandateError) as info:
        parse_mandate(yaml.safe_dump(doc), source="m.yaml")
    assert info.value.field == "fusion.finality"
    assert "'tile' or 'event'" in str(info.value)
