"""The report maps' fresh interpreter (``python -m ceasefire.report.maps_process``),
started ahead of the day it draws.

The interpreter spends ~1 CPU-s importing matplotlib and the report before it
reads its first input; a run started it only once the last day was stored,
where the run's end then waited for those imports. Started as a run begins,
it imports on the core the run's own imports leave idle and then waits on its
standard input. This module imports the standard library only, so that a
shell can start the interpreter before it imports the pipeline.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

#: observation files of fewer bytes in all start no interpreter ahead: their
#: last day is too small for the maps to be drawn aside (``MapsAhead.start``'s
#: 20,000 events and violations: the stress day's first 123 k observations,
#: 27 MB, hold 21.6 k; some 40 % of that, for days denser in events)
MIN_BYTES = 10 * 2**20


def spawn() -> subprocess.Popen[bytes]:
    """A fresh maps interpreter of this process's package (whichever tree or
    install it is), importing while it waits for its input on a pipe."""
    env = dict(os.environ)
    here = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(x for x in (here, env.get("PYTHONPATH")) if x)
    return subprocess.Popen(
        [sys.executable, "-P", "-m", "ceasefire.report.maps_process"],
        stdin=subprocess.PIPE,
        env=env,
    )


def spawn_for(files: Sequence[str | Path]) -> subprocess.Popen[bytes] | None:
    """:func:`spawn` where ``files`` (a run's observations) are large enough
    for their last day's maps to be drawn aside, else None (or where a file
    cannot be read: the run meets that itself)."""
    try:
        size = sum(Path(f).stat().st_size for f in files)
    except OSError:
        return None
    return spawn() if size >= MIN_BYTES else None


def dismiss(child: subprocess.Popen[bytes] | None) -> None:
    """Ends a maps interpreter that was never fed (still importing, or waiting)."""
    if child is None:
        return
    with contextlib.suppress(OSError):
        child.kill()
    if child.stdin is not None:
        with contextlib.suppress(OSError):
            child.stdin.close()
    child.wait()
