"""`run` starts the last day's maps interpreter before it imports the pipeline
and hands it to ``pipeline.run``; a failure before that ends it."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ceasefire import maps_child, pipeline
from ceasefire.cli import app
from ceasefire.model.errors import PipelineError


def test_run_hands_the_interpreter_it_started_to_the_pipeline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    obs = tmp_path / "obs.ndjson"
    obs.write_text("{}\n")
    monkeypatch.setattr(maps_child, "MIN_BYTES", 1)
    handed: list[subprocess.Popen[bytes] | None] = []

    def fake_run(*_: Any, maps_early: subprocess.Popen[bytes] | None = None, **__: Any) -> None:
        handed.append(maps_early)
        assert maps_early is not None and maps_early.returncode is None
        raise PipelineError("stopped here")

    monkeypatch.setattr(pipeline, "run", fake_run)
    got = CliRunner().invoke(
        app, ["run", "-m", "m.yaml", "-o", str(obs), "--out", str(tmp_path / "out")]
    )
    assert got.exit_code != 0
    [child] = handed
    # the run failed before drawing: its interpreter does not wait on
    assert child is not None and child.returncode is not None and child.returncode != 0


def test_small_observations_hand_no_interpreter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    obs = tmp_path / "obs.ndjson"
    obs.write_text("{}\n")
    handed: list[object] = []

    def fake_run(*_: Any, maps_early: object = "unset", **__: Any) -> None:
        handed.append(maps_early)
        raise PipelineError("stopped here")

    monkeypatch.setattr(pipeline, "run", fake_run)
    CliRunner().invoke(app, ["run", "-m", "m.yaml", "-o", str(obs), "--out", str(tmp_path / "o")])
    assert handed == [None]
