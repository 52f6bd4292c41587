"""The CLI as a user runs it: a real subprocess of the installed console script."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXE = shutil.which("ceasefire", path=str(Path(sys.executable).parent))


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    assert EXE is not None, "the ceasefire console script is not installed in this environment"
    return subprocess.run(
        [EXE, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
        timeout=120,
    )


def test_mandate_check_prints_the_summary(donbas_mandate_path: Path) -> None:
    r = _run("mandate", "check", str(donbas_mandate_path))
    assert r.returncode == 0, r.stderr
    assert "284.2 km" in r.stdout
    assert "UA 25, RU 25" in r.stdout
    assert "withdrawal-heavy-mlrs" in r.stdout


def test_mandate_check_error_names_file_line_field(
    tmp_path: Path, donbas_mandate_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        donbas_mandate_path.read_text().replace(
            "width_km: {UA: 35, RU: 35}", "width_km: {UA: -35, RU: 35}"
        )
    )
    r = _run("mandate", "check", str(bad))
    assert r.returncode == 2
    err = " ".join(r.stderr.split())
    assert str(bad) in err and "zones[1].width_km" in err and "expected >= 0" in err
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("kind", ["observation"])
def test_schema_is_valid_json(kind: str) -> None:
    r = _run("schema", kind)
    assert r.returncode == 0
    schema = json.loads(r.stdout)
    assert schema["discriminator"]["propertyName"] == "kind"
