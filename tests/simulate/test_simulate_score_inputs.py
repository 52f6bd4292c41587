"""`score` given the wrong files names the file and what it expected: no traceback."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ceasefire.model.errors import InputError
from ceasefire.simulate.scoring import score_files

TRUTH = {"violations": [], "rounds": {}, "things": {}}
VIOLATIONS = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "geometry": None,
            "properties": {"id": "v1", "rule": "ceasefire", "time": "2025-06-01T09:00:00Z"},
        }
    ],
}
EVENTS = {
    "type": "FeatureCollection",
    "features": [{"type": "Feature", "geometry": None, "properties": {"id": "e1"}}],
}


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name, doc in (
        ("truth.json", TRUTH),
        ("violations.geojson", VIOLATIONS),
        ("events.geojson", EVENTS),
    ):
        out[name] = tmp_path / name
        out[name].write_text(json.dumps(doc))
    out["observations.ndjson"] = tmp_path / "obs.ndjson"
    out["observations.ndjson"].write_text('{"id": "a"}\n{"id": "b"}\n')
    return out


def test_the_right_files_score(files: dict[str, Path]) -> None:
    r = score_files(files["truth.json"], files["violations.geojson"])
    assert r["precision"] == 0.0  # one system violation, nothing true to match


def test_swapped_truth_and_violations(files: dict[str, Path]) -> None:
    with pytest.raises(InputError) as exc:
        score_files(files["violations.geojson"], files["truth.json"])
    assert exc.value.file == str(files["violations.geojson"])
    assert "found a GeoJSON FeatureCollection" in str(exc.value)
    assert "expected the simulator's truth.json" in str(exc.value)


def test_events_given_as_violations(files: dict[str, Path]) -> None:
    with pytest.raises(InputError) as exc:
        score_files(files["truth.json"], files["events.geojson"])
    assert exc.value.field == "features[0].properties"
    assert "no 'rule', 'time'" in str(exc.value)


def test_observations_given_as_violations(files: dict[str, Path]) -> None:
    with pytest.raises(InputError) as exc:
        score_files(files["truth.json"], files["observations.ndjson"])
    assert exc.value.line == 2 and "not one JSON document" in str(exc.value)


def test_violations_given_as_observations(files: dict[str, Path]) -> None:
    bad = files["violations.geojson"].parent / "pretty.geojson"
    bad.write_text(json.dumps(VIOLATIONS, indent=1))
    with pytest.raises(InputError) as exc:
        score_files(files["truth.json"], files["violations.geojson"], observations=bad)
    assert exc.value.file == str(bad) and exc.value.line == 1


def test_the_cli_prints_one_line_not_a_traceback(files: dict[str, Path]) -> None:
    exe = shutil.which("ceasefire", path=str(Path(sys.executable).parent))
    assert exe is not None
    r = subprocess.run(
        [exe, "score", "--truth", files["violations.geojson"], "--violations", files["truth.json"]],
        capture_output=True,
        text=True,
        env={"COLUMNS": "300", "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert r.stderr.startswith(f"error: {files['violations.geojson']}: found a GeoJSON")
