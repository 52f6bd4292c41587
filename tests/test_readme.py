"""The README's first hour: a quick start at the top, example files that exist
and ingest cleanly, and a Python snippet that runs as written."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_readme_opens_with_a_quick_start() -> None:
    headings = re.findall(r"^## (.+)$", README, flags=re.M)
    assert headings[0] == "Quick start"
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    for needed in (
        "Python ≥ 3.11",
        "make demo",
        "make test",
        ".venv/bin/ceasefire",
        "source .venv/bin/activate",
        "```python",
    ):
        assert needed in quick, needed
    for name in re.findall(r"examples/observations/[\w.]+", quick):
        assert (ROOT / name).is_file(), name
    assert {"bearings.ndjson", "bearings.csv", "sightings.geojson"} <= {
        p.name for p in (ROOT / "examples" / "observations").iterdir()
    }
    # the score history lives with the benchmarks, the README keeps a pointer
    assert "What moved the scores in session" not in README
    bench = (ROOT / "benchmarks" / "README.md").read_text(encoding="utf-8")
    assert "What moved the scores in session 7" in bench


def test_the_python_snippet_runs_as_written(tmp_path: Path) -> None:
    snippet = re.search(r"```python\n(.*?)```", README, flags=re.S)
    assert snippet is not None
    # from a copy of the repository's examples, as a user at the root would run it
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    r = subprocess.run(
        [sys.executable, "-c", snippet.group(1)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "{'input': 19, 'accepted': 19, 'rejected': 0, 'duplicate': 0}"
    # each round fired from 6 km behind the line on the RU side lands 3 km across it,
    # and the tank stands 8 km from the line inside the Addendum's 15 km band
    rules = sorted(line.split()[:2] for line in lines[1:4])
    assert rules == [["ceasefire", "RU"], ["ceasefire", "RU"], ["withdrawal-addendum", "RU"]]
    assert lines[4] == "19 observations, 3 events, 3 violations"
    assert (tmp_path / "py-out" / "violations.geojson").is_file()
