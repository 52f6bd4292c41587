"""`ceasefire whatif` through the console script on a real store."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import pytest
from scene import build_scene
from typer.testing import CliRunner

from ceasefire import pipeline
from ceasefire.cli import app
from ceasefire.mandate import load_mandate

# every test of the module on one worker: its module fixtures are made once, not
# once a worker
pytestmark = pytest.mark.xdist_group("pipeline-whatif")

EXE = shutil.which("ceasefire", path=str(Path(sys.executable).parent))


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory, donbas_mandate_path: Path) -> Path:
    """The scene run through the pipeline once: its output directory."""
    tmp = tmp_path_factory.mktemp("whatif")
    build_scene(load_mandate(donbas_mandate_path), tmp / "obs.ndjson")
    pipeline.run(donbas_mandate_path, [tmp / "obs.ndjson"], tmp / "out", pdf=False)
    return tmp / "out"


def test_narrower_addendum_zone_drops_the_tank(
    tmp_path: Path, donbas_mandate_path: Path, stored: Path
) -> None:
    out = stored
    alt = tmp_path / "narrow.yaml"
    alt.write_text(
        donbas_mandate_path.read_text().replace(
            "width_km: {UA: 15, RU: 15}", "width_km: {UA: 5, RU: 5}"
        )
    )
    assert EXE is not None
    r = subprocess.run(
        [
            EXE,
            "whatif",
            "--mandate",
            str(alt),
            "--store",
            str(out / "store.db"),
            "--day",
            "2025-06-01",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    rows = {(x["rule"], x["party"]): (x["current"], x["alternative"]) for x in data["rows"]}
    # the tank stands 8 km from the line: inside 15 km, outside 5 km
    assert rows[("withdrawal-addendum", "RU")] == (1, 0)
    assert rows[("ceasefire", "RU")] == (1, 1)
    assert len(data["only_current"]) == 1 and data["only_alternative"] == []


def test_another_ladder_shows_its_engagements_beside_the_current(
    tmp_path: Path, donbas_mandate_path: Path, stored: Path
) -> None:
    out = stored
    # the scene's few violations are far below the JCCC's 100 in 6 h; at 1 the
    # JCCC is seized of the sector where they fall
    text = donbas_mandate_path.read_text()
    alt = tmp_path / "jccc1.yaml"
    alt.write_text(text.replace("threshold: 100, clear_below: 30", "threshold: 1, clear_below: 1"))
    assert text != alt.read_text()
    args = ["whatif", "-m", str(alt), "--store", str(out / "store.db"), "--day", "2025-06-01"]
    r = CliRunner().invoke(app, [*args, "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    rows = data["engagements"]
    # same violations, so only the ladder differs: line 1 only under the alternative
    assert data["only_current"] == [] and data["only_alternative"] == []
    assert rows and {x["line"] for x in rows} == {1}
    assert all(x["raised_a"] == 0 and x["raised_b"] >= 1 for x in rows)
    sectors = {x["sector"] for x in rows}
    assert sectors <= {"luhansk", "donetsk-north", "donetsk-south"}
