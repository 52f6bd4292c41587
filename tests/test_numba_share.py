"""The test harness's shared numba compiles (``tests/numba_share.py``): a process
that needs a loop another is compiling waits for it and loads it from numba's
disk cache; a loop calling a compiled helper takes both locks without waiting
on itself."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import numba_share

pytest.importorskip("numba")

KERNELS = """
import numba

@numba.njit(cache=True)
def helper(x):
    return x * 2.0

@numba.njit(cache=True)
def caller(x):
    return helper(x) + 1.0
"""

#: a child: the locks installed (or not), ``caller`` called, numba's own counts
CHILD = """
import json, sys
from pathlib import Path
sys.path[:0] = [sys.argv[1], sys.argv[2]]
import numba_share
if sys.argv[3] == "locks":
    numba_share.install(Path(sys.argv[4]))
import kernels
out = kernels.caller(1.5)
stats = {
    name: [sum(k.stats.cache_hits.values()), sum(k.stats.cache_misses.values())]
    for name, k in (("caller", kernels.caller), ("helper", kernels.helper))
}
print(json.dumps({"out": out, "stats": stats}))
"""


def _child(tmp: Path, mode: str) -> subprocess.Popen[str]:
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp / "cache"))
    here = str(Path(__file__).parent)
    args = [sys.executable, "-c", CHILD, str(tmp), here, mode, str(tmp / "locks")]
    return subprocess.Popen(
        args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _result(p: subprocess.Popen[str]) -> dict[str, object]:
    out, err = p.communicate(timeout=300)
    assert p.returncode == 0, err[-2000:]
    got: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return got


def test_a_loop_being_compiled_elsewhere_is_waited_for_then_loaded(tmp_path: Path) -> None:
    (tmp_path / "kernels.py").write_text(KERNELS)
    (tmp_path / "locks").mkdir()
    held = numba_share.lock_path(tmp_path / "locks", str(tmp_path / "kernels.py"), "caller")
    fd = os.open(held, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # as a process compiling ``caller`` holds it
        waiting = _child(tmp_path, "locks")
        time.sleep(3.0)
        assert waiting.poll() is None, "the child compiled what another process holds"
        # the other process's compile, saved in the cache (no locks: it is the holder)
        first = _result(_child(tmp_path, "plain"))
        assert first["out"] == 4.0 and first["stats"] == {"caller": [0, 1], "helper": [0, 1]}
    finally:
        os.close(fd)
    got = _result(waiting)
    # the caller loaded from the cache (its helper's code inside it): nothing compiled
    assert got["out"] == 4.0 and got["stats"] == {"caller": [1, 0], "helper": [0, 0]}


def test_without_a_holder_a_caller_and_its_helper_compile_under_their_locks(
    tmp_path: Path,
) -> None:
    (tmp_path / "kernels.py").write_text(KERNELS)
    (tmp_path / "locks").mkdir()
    got = _result(_child(tmp_path, "locks"))
    assert got["out"] == 4.0 and got["stats"] == {"caller": [0, 1], "helper": [0, 1]}
    made = {p.name for p in (tmp_path / "locks").iterdir()}
    names = {
        numba_share.lock_path(tmp_path / "locks", str(tmp_path / "kernels.py"), q).name
        for q in ("caller", "helper")
    }
    assert made == names


def test_lock_files_differ_by_tree_and_by_loop() -> None:
    d = Path("/locks")
    a = numba_share.lock_path(d, "/a/src/m.py", "loop")
    assert a == numba_share.lock_path(d, "/a/src/m.py", "loop")
    assert a != numba_share.lock_path(d, "/b/src/m.py", "loop")
    assert a != numba_share.lock_path(d, "/a/src/m.py", "other")
    assert a.parent == d and a.suffix == ".lock"
