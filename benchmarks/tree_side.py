"""One side of a side-by-side measure: a benchmark script run again as a child
process with another tree's ``src/`` first on ``PYTHONPATH``, its answer the
last line of its output, as JSON, naming the package it imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any


def run_child(script: str, src: Path, args: list[str], what: str) -> dict[str, Any]:
    """``python script --_child ARGS`` with ``src`` on ``PYTHONPATH``: the JSON
    object of its last output line (:func:`child_answer`). Raises RuntimeError,
    naming ``what``, when the child fails or imported the package from elsewhere."""
    env = dict(os.environ, PYTHONPATH=str(src))
    out = subprocess.run(
        [sys.executable, script, "--_child", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{what} failed: {out.stderr[-2000:]}")
    got = dict(json.loads(out.stdout.strip().splitlines()[-1]))
    if not str(got["package"]).startswith(str(src)):
        raise RuntimeError(f"the child imported {got['package']}, not {src}")
    return got


def child_answer(result: dict[str, Any]) -> str:
    """The child's answer line: ``result`` and the folder of the package it ran."""
    import ceasefire

    return json.dumps({**result, "package": str(Path(ceasefire.__file__).parent)})
