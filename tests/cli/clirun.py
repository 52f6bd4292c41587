"""The CLI as a user runs it: a real subprocess of the installed console script."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

EXE = shutil.which("ceasefire", path=str(Path(sys.executable).parent))

Cli = Callable[..., subprocess.CompletedProcess[str]]


def run_cli(
    *args: str | Path,
    cwd: Path | None = None,
    timeout: float = 300,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``ceasefire ARGS`` in a subprocess (wide terminal, no colour); the test
    process's ``PYTHONPATH`` is kept, so tests run from a git worktree with its
    ``src`` on the path exercise that tree's code, not the installed one."""
    assert EXE is not None, "the ceasefire console script is not installed in this environment"
    return subprocess.run(
        [EXE, *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={
            "COLUMNS": "200",
            "PATH": "/usr/bin:/bin",
            "NO_COLOR": "1",
            "HOME": os.environ.get("HOME", "/tmp"),
            **({"PYTHONPATH": os.environ["PYTHONPATH"]} if "PYTHONPATH" in os.environ else {}),
            **(env or {}),
        },
        timeout=timeout,
    )
