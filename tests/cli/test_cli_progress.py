"""Long commands tell their progress: counts and time left, as log lines when
the output is not a terminal."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from clirun import Cli

from ceasefire.cli.common import StageProgress

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_log_lines_give_counts_and_the_time_left(capsys: pytest.CaptureFixture[str]) -> None:
    now = [0.0]
    with StageProgress("run", every_s=30.0, clock=lambda: now[0]) as progress:
        assert not progress.live  # pytest captures the output: not a terminal
        progress("2025-06-01: fusing 10,000 observations, tile", 0, 40)
        now[0] = 10.0
        progress("2025-06-01: fusing 10,000 observations, tile", 5, 40)  # within 30 s: quiet
        now[0] = 60.0
        progress("2025-06-01: fusing 10,000 observations, tile", 10, 40)
        now[0] = 75.0
        progress("2025-06-01: assessing 900 events (day)", 0, 1)  # a new stage: at once
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        "[0 s] 2025-06-01: fusing 10,000 observations, tile 0/40 (0 %)",
        # a quarter done in a minute: three minutes to go
        "[1 min 00 s] 2025-06-01: fusing 10,000 observations, tile 10/40 (25 %), "
        "about 3 min 00 s left",
        "[1 min 15 s] 2025-06-01: assessing 900 events (day) 0/1 (0 %)",
    ]


def test_run_logs_each_stage_with_counts_when_not_on_a_terminal(
    tmp_path: Path, cli: Cli, donbas_mandate_path: Path
) -> None:
    r = cli(
        "run",
        "--mandate",
        donbas_mandate_path,
        "-o",
        EXAMPLES / "observations" / "bearings.ndjson",
        "-o",
        EXAMPLES / "observations" / "bearings.csv",
        "--out",
        tmp_path / "out",
        "--no-pdf",
        env={"CEASEFIRE_PROGRESS_EVERY_S": "0"},
    )
    assert r.returncode == 0, r.stderr
    log = [re.sub(r"^\[[^]]*\] ", "", line) for line in r.stderr.splitlines()]
    # 8 NDJSON lines + 8 CSV rows under a header
    assert "reading observations 0/16 (0 %)" in log
    assert "reading observations 16/16 (100 %)" in log
    # the day is fused part by part (pipeline.day_parts): the last part ends the
    # count at 100 %
    parts = [ln for ln in log if ln.startswith("2025-06-01: fusing 16 observations, part ")]
    assert re.fullmatch(r".*part (\d+)/\1 \(100 %\)", parts[-1]), parts[-1]
    assert any(line.startswith("2025-06-01: assessing 2 events") for line in log)
    assert any(line.startswith("reports (day) 0/1") for line in log)
