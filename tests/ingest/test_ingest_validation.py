"""The observation contract: good and bad records in each format, the
nothing-is-lost counts, quarantine, and the generated JSON Schema."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from ceasefire.ingest import ingest_files, write_quarantine
from ceasefire.model import ObservationArrays, observation_json_schema
from ceasefire.model.errors import ObservationError
from ceasefire.model.vocab import DEFAULT_TIME_SIGMA_S, OBJECTS

BEARING: dict[str, Any] = {
    "id": "b1",
    "source": "op-7",
    "time": "2025-06-01T10:00:03.500+03:00",
    "kind": "bearing",
    "observer": {"lat": 48.1, "lon": 37.7},
    "bearing_deg": 95.0,
    "bearing_sigma_deg": 5.0,
    "event": "explosion",
    "direction": "incoming",
    "weapon": "artillery",
}
ARRIVAL: dict[str, Any] = {
    "id": "a1",
    "source": "array-2",
    "time": "2025-06-01T07:00:01.234567Z",
    "kind": "arrival",
    "observer": {"lat": 48.2, "lon": 37.8, "alt_m": 210.0},
    "time_sigma_s": 0.002,
}
SIGHTING: dict[str, Any] = {
    "id": "s1",
    "source": "uav-3",
    "time": "2025-06-01T07:10:00Z",
    "kind": "sighting",
    "position": {"lat": 48.0, "lon": 37.9},
    "position_sigma_m": 30.0,
    "object": "tank",
    "count": 2,
    "party": "RU",
    "evidence": [{"uri": "https://evidence.mission.example/s1.jpg", "sha256": "a" * 64}],
}


def _ndjson(tmp_path: Path, lines: list[str], name: str = "obs.ndjson") -> Path:
    p = tmp_path / name
    p.write_text("\n".join(lines) + "\n")
    return p


def test_good_records_of_every_kind_are_accepted(tmp_path: Path) -> None:
    p = _ndjson(tmp_path, [json.dumps(r) for r in (BEARING, ARRIVAL, SIGHTING)])
    r = ingest_files([p])
    assert r.counts == {"input": 3, "accepted": 3, "rejected": 0, "duplicate": 0}
    arr = ObservationArrays.from_observations(r.accepted)
    # 10:00:03.5 at +03:00 is 07:00:03.5 UTC
    assert arr.time_s[0] == pytest.approx(1748761203.5)
    assert arr.time_sigma_s[0] == DEFAULT_TIME_SIGMA_S["bearing"]
    assert arr.time_sigma_s[1] == 0.002
    assert arr.object[2] == OBJECTS.index("tank") and arr.count[2] == 2
    assert arr.lat[2] == 48.0  # a sighting's position is the object's


@pytest.mark.parametrize(
    ("change", "expect"),
    [
        ({"observer": {"lat": 95, "lon": 37.7}}, "field 'observer.lat'"),
        ({"bearing_sigma_deg": -1}, "field 'bearing_sigma_deg': Input should be greater than 0"),
        ({"time": "2025-06-01T10:00:03"}, "field 'time': not ISO 8601 with seconds and a zone"),
        ({"bearing_deg": 360}, "field 'bearing_deg'"),
        ({"weapon": "howitzer"}, "field 'weapon'"),
        ({"kind": "radar"}, "'kind' must be one of"),
        ({"bearing_deg": "east"}, "field 'bearing_deg'"),
        ({"extra_field": 1}, "field 'extra_field': Extra inputs are not permitted"),
    ],
)
def test_bad_records_are_rejected_with_field_and_reason(
    tmp_path: Path, change: dict[str, Any], expect: str
) -> None:
    p = _ndjson(tmp_path, [json.dumps(BEARING), json.dumps({**BEARING, "id": "b2", **change})])
    r = ingest_files([p])
    assert r.counts["accepted"] == 1 and r.counts["rejected"] == 1
    rej = r.rejected[0]
    assert rej.line == 2 and rej.file == str(p)
    assert expect in rej.reason
    assert json.loads(rej.raw)["id"] == "b2"  # the record itself is kept


def test_nothing_is_lost_counts_add_up_and_quarantine_keeps_everything(tmp_path: Path) -> None:
    lines = [
        json.dumps(BEARING),
        json.dumps(BEARING),  # exact duplicate
        json.dumps({**BEARING, "bearing_deg": 10.0}),  # same key, other content
        "{not json",
        "[1, 2]",
        json.dumps({**BEARING, "id": "b9", "observer": {"lat": 95, "lon": 1}}),
        json.dumps(ARRIVAL),
    ]
    p = _ndjson(tmp_path, lines)
    r = ingest_files([p])
    c = r.counts
    assert c["accepted"] + c["rejected"] + c["duplicate"] == c["input"] == 7
    assert (c["accepted"], c["rejected"], c["duplicate"]) == (2, 3, 2)
    assert [d.conflicting for d in r.duplicates] == [False, True]
    q = write_quarantine(tmp_path / "q.ndjson", r)
    rows = [json.loads(x) for x in q.read_text().splitlines()]
    assert len(rows) == 5
    assert {row["line"] for row in rows} == {2, 3, 4, 5, 6}
    assert all(row["reason"] for row in rows)
    assert "expected a JSON object" in next(x["reason"] for x in rows if x["line"] == 5)


def test_duplicates_across_files_and_against_the_store(tmp_path: Path) -> None:
    a = _ndjson(tmp_path, [json.dumps(BEARING)], "a.ndjson")
    b = _ndjson(tmp_path, [json.dumps(BEARING), json.dumps(ARRIVAL)], "b.ndjson")
    r = ingest_files([a, b])
    assert r.counts == {"input": 3, "accepted": 2, "rejected": 0, "duplicate": 1}
    assert r.duplicates[0].file == str(b)
    # same id from another source is not a duplicate: ids are unique per source
    other = _ndjson(tmp_path, [json.dumps({**BEARING, "source": "op-8"})], "c.ndjson")
    assert ingest_files([a, other]).counts["accepted"] == 2


def test_geojson_feature_collection(tmp_path: Path) -> None:
    def feature(rec: dict[str, Any], key: str) -> dict[str, Any]:
        props = {k: v for k, v in rec.items() if k != key}
        pos = rec[key]
        return {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [pos["lon"], pos["lat"]]},
            "properties": props,
        }

    fc = {
        "type": "FeatureCollection",
        "features": [
            feature(BEARING, "observer"),
            feature(SIGHTING, "position"),
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": []},
                "properties": {},
            },
        ],
    }
    p = tmp_path / "obs.geojson"
    p.write_text(json.dumps(fc))
    r = ingest_files([p])
    assert r.counts == {"input": 3, "accepted": 2, "rejected": 1, "duplicate": 0}
    assert r.accepted[1].position.lat == 48.0  # type: ignore[union-attr]
    assert r.rejected[0].line == 3 and "Point" in r.rejected[0].reason


def test_geojson_that_is_not_a_collection_is_an_error(tmp_path: Path) -> None:
    p = tmp_path / "x.geojson"
    p.write_text('{"type": "Feature"}')
    with pytest.raises(ObservationError, match="FeatureCollection"):
        ingest_files([p])


def test_csv_flat_columns(tmp_path: Path) -> None:
    p = tmp_path / "obs.csv"
    cols = [
        "id",
        "source",
        "time",
        "kind",
        "observer_lat",
        "observer_lon",
        "bearing_deg",
        "bearing_sigma_deg",
        "range_m",
        "event",
        "position_lat",
        "position_lon",
        "position_sigma_m",
        "object",
        "count",
    ]
    with p.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        w.writerow(
            [
                "c1",
                "op",
                "2025-06-01T07:00:00Z",
                "bearing",
                "48.1",
                "37.7",
                "95",
                "4",
                "3000",
                "explosion",
                "",
                "",
                "",
                "",
                "",
            ]
        )
        w.writerow(
            [
                "c2",
                "uav",
                "2025-06-01T07:00:00Z",
                "sighting",
                "",
                "",
                "",
                "",
                "",
                "",
                "48.0",
                "37.9",
                "25",
                "mlrs",
                "3",
            ]
        )
        w.writerow(
            [
                "c3",
                "op",
                "2025-06-01T07:00:00Z",
                "bearing",
                "north",
                "37.7",
                "95",
                "4",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ]
        )
    r = ingest_files([p])
    assert r.counts == {"input": 3, "accepted": 2, "rejected": 1, "duplicate": 0}
    assert r.accepted[0].range_m == 3000.0  # type: ignore[union-attr]
    assert r.accepted[1].count == 3  # type: ignore[union-attr]
    assert r.rejected[0].line == 4 and "observer.lat" in r.rejected[0].reason


def test_unknown_suffix_is_a_clear_error(tmp_path: Path) -> None:
    p = tmp_path / "obs.txt"
    p.write_text("")
    with pytest.raises(ObservationError, match=r"expected \.ndjson"):
        ingest_files([p])


def test_json_schema_is_generated_from_the_models() -> None:
    schema = observation_json_schema()
    kinds = {
        d["properties"]["kind"]["const"]
        for d in schema["$defs"].values()
        if "kind" in d.get("properties", {})
    }
    assert kinds == {"bearing", "arrival", "sighting"}
    bearing = schema["$defs"]["BearingObservation"]
    assert bearing["properties"]["bearing_deg"]["exclusiveMaximum"] == 360.0
    assert "observer" in bearing["required"]
