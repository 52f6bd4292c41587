"""The compiled loops' ``atan2`` gives numpy's ``arctan2`` to the bit, whichever
routine numpy runs in the process (SVML's on an AVX-512 CPU, libm's when numpy's
AVX-512 code is switched off)."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import numpy as np
import pytest

from ceasefire.fuse import arctan2

#: the compiled atan2, bound when :func:`_loop` is compiled
_atan2: Any = None


def _inputs(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random pairs over 20 decades, fusion-like metre offsets, and the specials."""
    rng = np.random.default_rng(seed)
    n = 100_000
    y = rng.normal(size=n) * 10.0 ** rng.uniform(-10, 10, n)
    x = rng.normal(size=n) * 10.0 ** rng.uniform(-10, 10, n)
    my, mx = rng.uniform(-60e3, 60e3, n), rng.uniform(-60e3, 60e3, n)
    sp = np.array([0.0, -0.0, 5e-324, -1.0, 3.0, np.inf, -np.inf, np.nan, -1e300])
    y = np.concatenate([y, my, np.repeat(sp, sp.size)])
    x = np.concatenate([x, mx, np.tile(sp, sp.size)])
    return y, x


def _loop(y: np.ndarray, x: np.ndarray, svml: bool) -> np.ndarray:
    out = np.empty(y.shape[0])
    for i in range(y.shape[0]):
        out[i] = _atan2(y[i], x[i], svml)
    return out


def _compiled_angles(y: np.ndarray, x: np.ndarray, svml: bool) -> np.ndarray:
    from ceasefire.fuse.compiled import compiled_calling

    made = compiled_calling(_loop, _atan2=arctan2.atan2_kernel())
    assert made is not None
    return np.asarray(made(y, x, svml))


@pytest.mark.parametrize("seed", [1, 2])
def test_the_compiled_atan2_is_numpys_to_the_bit(seed: int) -> None:
    pytest.importorskip("numba")
    svml = arctan2.numpy_svml()
    assert svml is not None
    y, x = _inputs(seed)
    want = np.arctan2(y, x)
    got = _compiled_angles(y, x, svml)
    assert got.view(np.int64).tolist() == want.view(np.int64).tolist()
    # eight lanes a call, the last (length not a multiple of 8) one by one
    into = arctan2.atan2_into_kernel()
    assert into is not None and y.shape[0] % 8 != 0
    lanes = np.empty(y.shape[0])
    into(y, x, lanes, svml)
    assert lanes.view(np.int64).tolist() == want.view(np.int64).tolist()
    other = _compiled_angles(y, x, not svml)
    if svml or arctan2.svml_address() is not None:
        # the premise: SVML's and libm's routines differ (by an ulp, on some
        # inputs), so the choice matters; libm's is what numba's math.atan2 is
        differ = other.view(np.int64) != want.view(np.int64)
        assert 0.001 < differ.mean() < 0.2
        ulps = np.abs(other.view(np.int64)[differ] - want.view(np.int64)[differ])
        assert ulps.max() == 1


def test_numpys_libm_routine_is_recognized_when_its_avx512_code_is_off() -> None:
    # numpy's own switch (its dispatch read at import): arctan2 then is libm's
    pytest.importorskip("numba")
    if arctan2.svml_address() is None:
        pytest.skip("numpy exports no SVML routine here")
    code = "from ceasefire.fuse import arctan2; print(arctan2.numpy_svml())"
    env = dict(os.environ, NPY_DISABLE_CPU_FEATURES="X86_V4 AVX512_SKX AVX512_ICL AVX512_SPR")
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "False"
