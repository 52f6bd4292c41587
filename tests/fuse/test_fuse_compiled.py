"""Fusion's compiled loops loaded from numba's disk cache ahead of use
(``fuse.compiled.load_cached``): what a process loads is what an earlier one
compiled and saved for this code, and nothing is compiled by the loading."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("numba")

# each step in a fresh interpreter: a loop's dispatcher, once made, keeps what
# it loaded; the cache in a folder of the test's own (NUMBA_CACHE_DIR)
STEP = """
import json, sys
import numpy as np
from ceasefire.fuse import compiled
from ceasefire.fuse.association import gates
step = sys.argv[1]
out = {}
if step == "compile":
    # one signature of one loop compiled, and saved in the cache
    out["fitted"] = gates._fitted_kernel()(np.zeros((3, 9))).tolist()
else:
    out["loaded"] = compiled.load_cached()
    kernel = gates._fitted_kernel()
    out["signatures"] = [str(s) for s in kernel.signatures]
    out["listed"] = any(get is gates._fitted_kernel for get in compiled._GETTERS)
    out["fitted"] = kernel(np.array([[0.0] * 8 + [float("nan")]])).tolist()
    out["compiled_since"] = sum(kernel.stats.cache_misses.values())
print(json.dumps(out))
"""


def _step(step: str, cache: Path) -> dict[str, object]:
    env = dict(os.environ) | {"NUMBA_CACHE_DIR": str(cache)}
    out = subprocess.run(
        [sys.executable, "-c", STEP, step], capture_output=True, text=True, check=True, env=env
    )
    got: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return got


def test_an_empty_cache_loads_nothing_and_compiles_nothing(tmp_path: Path) -> None:
    got = _step("load", tmp_path)
    assert got["loaded"] == 0
    assert got["signatures"] == []  # load_cached made the dispatcher, compiled nothing
    assert got["listed"] is True
    # the call after it compiles its own signature: the loop works as before
    assert got["fitted"] == [False]
    assert got["compiled_since"] == 1


def test_a_saved_signature_is_loaded_before_any_call(tmp_path: Path) -> None:
    assert _step("compile", tmp_path)["fitted"] == [True, True, True]
    got = _step("load", tmp_path)
    # the gates' loop saved one signature (a C-ordered 2-D float64 array); other
    # loops of the getters listed saved none here
    assert got["loaded"] == 1
    assert got["signatures"] == ["(Array(float64, 2, 'C', False, aligned=True),)"]
    # called with those types: no compile (the loaded one serves)
    assert got["fitted"] == [False]
    assert got["compiled_since"] == 0


def _twice(x: float) -> float:
    return 2.0 * x


def _plus_one(x: float) -> float:
    return x + 1.0


def _sum_loop(xs: object) -> float:
    total = 0.0
    for x in xs:  # type: ignore[attr-defined]
        total += _twice_h(x) + _plus_one_h(x)  # noqa: F821 (bound by compiled_calling)
    return total


def test_a_helper_named_inlined_is_written_into_the_loop_the_others_called() -> None:
    import numpy as np

    from ceasefire.fuse.compiled import compiled_calling

    loop = compiled_calling(
        _sum_loop, inlined=("_twice_h",), _twice_h=_twice, _plus_one_h=_plus_one
    )
    assert loop is not None
    assert loop(np.array([1.0, 2.0, 3.0])) == 2.0 * 6.0 + 6.0 + 3.0
    assert globals()["_twice_h"].targetoptions["inline"] == "always"
    assert globals()["_plus_one_h"].targetoptions["inline"] == "never"
