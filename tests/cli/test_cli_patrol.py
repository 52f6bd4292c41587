"""`ceasefire patrol` as a user runs it: a real subprocess of the console script."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

EXE = shutil.which("ceasefire", path=str(Path(sys.executable).parent))
ROOT = Path(__file__).resolve().parents[2]
DONBAS = ROOT / "examples" / "donbas-2015"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    assert EXE is not None, "the ceasefire console script is not installed in this environment"
    return subprocess.run(
        [EXE, *args],
        capture_output=True,
        text=True,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
        timeout=300,
    )


def test_plan_writes_every_file_and_the_table(tmp_path: Path) -> None:
    out = tmp_path / "patrol"
    r = _run(
        "patrol", "plan", "-m", str(DONBAS / "mandate.yaml"), "-f", str(DONBAS / "fleet.yaml"),
        "--out", str(out), "--time-limit", "0.3",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    for name in ("plan.json", "routes.geojson", "routes.kml", "schedule.csv", "coverage.json"):
        assert (out / name).stat().st_size > 0, name
    assert (out / "coverage.png").read_bytes()[:4] == b"\x89PNG"
    cov = json.loads((out / "coverage.json").read_text())
    rows = list(csv.DictReader((out / "schedule.csv").open()))
    assert len(rows) == cov["sorties"] > 0
    # the table's last row gives the zone shares of coverage.json, in per cent
    share = cov["zones"]["security-addendum"]["share"]
    assert f"{share:.1%}" in r.stdout
    assert {"luhansk", "donetsk-north", "donetsk-south"} <= set(cov["line"]["sectors"])


def test_bad_fleet_is_one_clear_line(tmp_path: Path) -> None:
    bad = tmp_path / "fleet.yaml"
    bad.write_text(
        (DONBAS / "fleet.yaml").read_text().replace("endurance_h: 6", "endurance_h: six", 1)
    )
    r = _run("patrol", "plan", "-m", str(DONBAS / "mandate.yaml"), "-f", str(bad))
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert "fleet.yaml:" in r.stderr and "drone_types[0].endurance_h" in r.stderr
