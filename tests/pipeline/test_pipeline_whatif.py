"""`ceasefire whatif` through the console script on a real store."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from scene import build_scene

from ceasefire import pipeline
from ceasefire.mandate import load_mandate

EXE = shutil.which("ceasefire", path=str(Path(sys.executable).parent))


def test_narrower_addendum_zone_drops_the_tank(tmp_path: Path, donbas_mandate_path: Path) -> None:
    m = load_mandate(donbas_mandate_path)
    build_scene(m, tmp_path / "obs.ndjson")
    out = tmp_path / "out"
    pipeline.run(donbas_mandate_path, [tmp_path / "obs.ndjson"], out, pdf=False)
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
