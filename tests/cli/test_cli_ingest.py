"""`ceasefire ingest` as a user runs it: conflicts and bad files reach the terminal."""

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
        timeout=120,
    )


def _rec(i: int, lat: float) -> str:
    return json.dumps(
        {
            "id": f"a{i}",
            "source": "array-2",
            "time": "2015-02-20T07:00:01.5Z",
            "kind": "arrival",
            "observer": {"lat": lat, "lon": 37.8},
        }
    )


def test_conflicting_duplicates_are_counted_on_the_terminal(
    tmp_path: Path, donbas_mandate_path: Path
) -> None:
    store = tmp_path / "s.db"
    assert (
        _run("init", "--mandate", str(donbas_mandate_path), "--store", str(store)).returncode == 0
    )
    obs = tmp_path / "o.ndjson"
    obs.write_text("\n".join([_rec(1, 48.2), _rec(1, 48.2), _rec(1, 48.3), _rec(2, 48.2)]) + "\n")
    r = _run("ingest", str(obs), "--store", str(store))
    assert r.returncode == 0, r.stderr
    assert "1 duplicate(s) conflict" in r.stdout
    assert f"conflicting {obs}:3: array-2/a1" in r.stdout


def test_binary_csv_is_an_error_not_a_traceback(tmp_path: Path, donbas_mandate_path: Path) -> None:
    store = tmp_path / "s.db"
    assert (
        _run("init", "--mandate", str(donbas_mandate_path), "--store", str(store)).returncode == 0
    )
    bad = tmp_path / "photo.csv"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    r = _run("ingest", str(bad), "--store", str(store))
    assert r.returncode != 0
    assert "Traceback" not in r.stderr
    assert "photo.csv:1" in r.stderr and "binary file" in r.stderr
