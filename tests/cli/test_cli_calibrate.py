"""`ceasefire calibrate` as a user runs it: a real subprocess on simulated days."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

EXE = shutil.which("ceasefire", path=str(Path(sys.executable).parent))


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    assert EXE is not None, "the ceasefire console script is not installed in this environment"
    return subprocess.run(
        [EXE, *args],
        capture_output=True,
        text=True,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
        timeout=300,
    )


def test_calibrate_fits_on_training_days_and_scores_validation(
    donbas_mandate_path: Path,
) -> None:
    r = _run(
        "calibrate", "-m", str(donbas_mandate_path),
        "--train", "quiet:1:3", "--validate", "quiet:2:3", "--json",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["threshold"] == 0.9  # the mandate's
    assert [(d["day"], d["role"]) for d in out["days"]] == [
        ("quiet seed 1 (3 h)", "train"),
        ("quiet seed 2 (3 h)", "validate"),
    ]
    train = out["days"][0]
    assert train["violations"] > 0
    # the fit starts from the mandate's allowances and may only lower the training
    # loss (up to the rounding of the printed values)
    assert train["log_loss"]["after"] <= train["log_loss"]["before"] + 0.005
    a = out["allowances"]
    assert 0.5 <= a["impact_across_p"] <= 1.0
    assert all(0.0 <= v < 0.5 for k, v in a.items() if k.endswith("error_p"))
    # a 3-hour quiet day holds far too few rounds to fit seven allowances
    assert "do not pin down" in r.stderr


def test_calibrate_prints_the_block_to_paste(donbas_mandate_path: Path) -> None:
    r = _run("calibrate", "-m", str(donbas_mandate_path), "--train", "quiet:1:2")
    assert r.returncode == 0, r.stderr
    block = r.stdout.split("paste into the mandate:")[1].strip().splitlines()
    assert block[:2] == ["attribution:", "  allowances:"]
    assert {line.split(":")[0].strip() for line in block[2:]} == {
        "impact_across_p", "launch_error_p", "close_launch_error_p", "launch_ray_error_p",
        "position_error_p", "ray_error_p", "burst_ray_error_p", "ray_band_m", "short_band_m",
    }  # fmt: skip


def test_calibrate_rejects_a_bad_day_spec(donbas_mandate_path: Path) -> None:
    r = _run("calibrate", "-m", str(donbas_mandate_path), "--train", "heavy")
    assert r.returncode != 0
    assert "--train" in r.stderr and "PROFILE:SEED" in r.stderr
    r = _run("calibrate", "-m", str(donbas_mandate_path), "--train", "windy:1:2")
    assert r.returncode != 0
    assert "unknown profile 'windy'" in r.stderr


def test_calibrate_without_matched_fire_says_so(tmp_path: Path) -> None:
    # a mandate without a ceasefire rule gives no violation with a known shooter
    m = tmp_path / "drones-only.yaml"
    m.write_text(
        "mission: {name: t, authority: {body: UNSC, resolution: x}}\n"
        "parties: [{id: UA, name: Ukraine}, {id: RU, name: Russia}]\n"
        "contact_line: {left: RU, right: UA, coordinates: [[38.0, 49.5], [38.0, 47.5]]}\n"
        "rules:\n  - {id: drones, kind: drone, severity: low}\n"
    )
    r = _run("calibrate", "-m", str(m), "--train", "quiet:1:1")
    assert r.returncode == 2
    assert "drones-only.yaml" in r.stderr and "nothing to fit on" in r.stderr
