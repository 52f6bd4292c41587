"""scripts/sysdeps.sh waits for apt's locks instead of failing at once."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "sysdeps.sh"
HOLD = """
import fcntl, os, sys, time
fds = [os.open(p, os.O_RDWR | os.O_CREAT, 0o640) for p in sys.argv[2:]]
for fd in fds:
    fcntl.lockf(fd, fcntl.LOCK_EX)  # what apt and dpkg take
print("held", flush=True)
time.sleep(float(sys.argv[1]))
"""


def test_sysdeps_waits_for_a_held_apt_lock_then_runs_apt() -> None:
    hold_s = 3.0
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            HOLD,
            str(hold_s),
            "/var/lib/apt/lists/lock",
            "/var/lib/dpkg/lock-frontend",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        t0 = time.monotonic()
        # a package that does not exist: apt runs (after the wait) and refuses it,
        # so nothing is installed on the machine
        res = subprocess.run(
            ["bash", str(SCRIPT), "ceasefire-no-such-package"],
            capture_output=True,
            text=True,
            timeout=300,
        )
        waited_s = time.monotonic() - t0
    finally:
        holder.kill()
        holder.wait()
    assert res.returncode != 0
    assert "Could not get lock" not in res.stderr
    assert "Unable to locate package ceasefire-no-such-package" in res.stderr
    assert waited_s >= hold_s - 0.5
