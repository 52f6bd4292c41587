"""`ceasefire demo --out` never deletes what a user put in the folder."""

from __future__ import annotations

import json
from pathlib import Path

from clirun import Cli


def test_demo_refuses_a_folder_with_a_users_files(tmp_path: Path, cli: Cli) -> None:
    work = tmp_path / "mywork"
    work.mkdir()
    (work / "notes.txt").write_text("a week of field notes")
    r = cli("demo", "--out", work, "--profile", "quiet", "--no-pdf")
    assert r.returncode == 2
    assert "not empty" in r.stderr and "--force" in r.stderr
    assert "Traceback" not in r.stderr
    assert sorted(p.name for p in work.iterdir()) == ["notes.txt"]
    assert (work / "notes.txt").read_text() == "a week of field notes"


def test_demo_refuses_the_current_folder_and_keeps_it(tmp_path: Path, cli: Cli) -> None:
    (tmp_path / "thesis.tex").write_text("\\documentclass{article}")
    r = cli("demo", "--out", ".", "--profile", "quiet", "--no-pdf", cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["thesis.tex"]


def test_demo_with_force_and_rerun_replace_only_the_demos_files(tmp_path: Path, cli: Cli) -> None:
    work = tmp_path / "shared"
    work.mkdir()
    (work / "notes.txt").write_text("keep me")
    first = cli("demo", "--out", work, "--profile", "quiet", "--no-pdf", "--force")
    assert first.returncode == 0, first.stderr
    size1 = json.loads((work / "summary.json").read_text())["days"][0]["ledger_head"]["size"]
    (work / "later.txt").write_text("written after the first demo")
    # the folder is now the demo's: a re-run needs no --force and starts afresh
    again = cli("demo", "--out", work, "--profile", "quiet", "--no-pdf")
    assert again.returncode == 0, again.stderr
    size2 = json.loads((work / "summary.json").read_text())["days"][0]["ledger_head"]["size"]
    assert size2 == size1, "a re-run must start a new ledger, not append the same day again"
    assert (work / "notes.txt").read_text() == "keep me"
    assert (work / "later.txt").read_text() == "written after the first demo"
