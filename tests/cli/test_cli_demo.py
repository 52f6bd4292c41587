"""`ceasefire demo --out` never deletes what a user put in the folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from clirun import Cli

from ceasefire.model.errors import PipelineError


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
    from ceasefire.cli.demo import MARK, prepare_out

    work = tmp_path / "shared"
    work.mkdir()
    (work / "notes.txt").write_text("keep me")
    first = cli("demo", "--out", work, "--profile", "quiet", "--no-pdf", "--force")
    assert first.returncode == 0, first.stderr
    summary = json.loads((work / "summary.json").read_text())
    assert summary["days"][0]["ledger_head"]["size"] > 0
    assert (work / MARK).exists() and (work / "notes.txt").read_text() == "keep me"
    (work / "later.txt").write_text("written after the demo")
    # the folder is now the demo's: a re-run needs no --force and starts afresh (a
    # new store and ledger, not the same day appended again), keeping the user's files
    prepare_out(work, force=False)
    assert sorted(p.name for p in work.iterdir()) == [MARK, "later.txt", "notes.txt"]


def test_demo_takes_back_a_folder_an_unmarked_earlier_demo_wrote(tmp_path: Path) -> None:
    from ceasefire.cli.demo import DEMO_OUTPUTS, prepare_out

    old = tmp_path / "demo-out"
    (old / "ledger").mkdir(parents=True)
    for name in ("observations.ndjson", "truth.json", "summary.json", "report.html"):
        (old / name).write_text("{}")
    prepare_out(old, force=False)  # an earlier `make demo`'s folder: replaced
    assert sorted(p.name for p in old.iterdir()) == [".ceasefire-demo"]
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    for name in ("truth.json", "summary.json", "thesis.tex"):
        (mixed / name).write_text("x")
    with pytest.raises(PipelineError, match="not empty"):
        prepare_out(mixed, force=False)
    assert {"truth.json", "thesis.tex"} <= {p.name for p in mixed.iterdir()}
    assert "thesis.tex" not in DEMO_OUTPUTS
