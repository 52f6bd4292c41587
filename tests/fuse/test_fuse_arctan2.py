"""The compiled loops' ``atan2`` gives numpy's ``arctan2`` to the bit, whichever
routine numpy runs in the process (SVML's on an AVX-512 CPU, libm's when numpy's
AVX-512 code is switched off), and whichever process compiled the code numba
loads from its disk cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
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


def _loop(y: np.ndarray, x: np.ndarray, at: int) -> np.ndarray:
    out = np.empty(y.shape[0])
    for i in range(y.shape[0]):
        out[i] = _atan2(y[i], x[i], at)
    return out


def _compiled_angles(y: np.ndarray, x: np.ndarray, at: int) -> np.ndarray:
    from ceasefire.fuse.compiled import compiled_calling

    made = compiled_calling(_loop, _atan2=arctan2.atan2_kernel())
    assert made is not None
    return np.asarray(made(y, x, at))


@pytest.mark.parametrize("seed", [1, 2])
def test_the_compiled_atan2_is_numpys_to_the_bit(seed: int) -> None:
    pytest.importorskip("numba")
    at = arctan2.numpy_svml()
    assert at is not None
    y, x = _inputs(seed)
    want = np.arctan2(y, x)
    got = _compiled_angles(y, x, at)
    assert got.view(np.int64).tolist() == want.view(np.int64).tolist()
    # eight lanes a call, the last (length not a multiple of 8) one by one
    into = arctan2.atan2_into_kernel()
    assert into is not None and y.shape[0] % 8 != 0
    lanes = np.empty(y.shape[0])
    into(y, x, lanes, at)
    assert lanes.view(np.int64).tolist() == want.view(np.int64).tolist()
    addr = arctan2.svml_address()
    if addr is not None:
        other = _compiled_angles(y, x, 0 if at else addr)
        # the premise: SVML's and libm's routines differ (by an ulp, on some
        # inputs), so the choice matters; libm's is what numba's math.atan2 is
        differ = other.view(np.int64) != want.view(np.int64)
        assert 0.001 < differ.mean() < 0.2
        ulps = np.abs(other.view(np.int64)[differ] - want.view(np.int64)[differ])
        assert ulps.max() == 1


def test_no_svml_address_where_the_cpu_lacks_avx512(monkeypatch: pytest.MonkeyPatch) -> None:
    # numpy's x86-64 builds export the routine on every CPU; called without
    # AVX-512 it would stop the process on an illegal instruction
    from numpy._core import _multiarray_umath as umath

    features = dict(getattr(umath, "__cpu_features__", {}))
    for name in arctan2.SVML_NEEDS:
        monkeypatch.setattr(umath, "__cpu_features__", {**features, name: False})
        assert arctan2.svml_address() is None, name
    monkeypatch.setattr(umath, "__cpu_features__", {})
    assert arctan2.svml_address() is None


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
    assert out.stdout.strip().splitlines()[-1] == "0"  # libm's: no address


#: run in a child: numpy's routine as this child sees it, the compiled
#: angles against numpy's, whether numba loaded them from its disk cache, and
#: whether the code compiled here (if any) declares an SVML symbol
_CHILD = """
import json, sys
import numpy as np
from ceasefire.fuse import arctan2
if sys.argv[1] == "nosym":  # numpy without the routine, as another build has
    arctan2.svml_address = lambda: None
at = arctan2.numpy_svml()
kernels = (arctan2.atan2_kernel(), arctan2.atan2_into_kernel())
rng = np.random.default_rng(5)
y = rng.normal(size=20_003) * 10.0 ** rng.uniform(-8, 8, 20_003)
x = rng.normal(size=20_003) * 10.0 ** rng.uniform(-8, 8, 20_003)
out = np.empty(y.size)
kernels[1](y, x, out, at if at is not None else 0)
hits = sum(sum(k.stats.cache_hits.values()) for k in kernels)
misses = sum(sum(k.stats.cache_misses.values()) for k in kernels)
names = via = None
if hits == 0:
    irs = [ir for k in kernels for ir in k.inspect_llvm().values()]
    names, via = any("__svml" in ir for ir in irs), all("inttoptr" in ir for ir in irs)
print(json.dumps({
    "at": at, "same": out.view(np.int64).tolist() == np.arctan2(y, x).view(np.int64).tolist(),
    "hits": hits, "misses": misses, "names_svml": names, "via_pointer": via,
}))
"""


def _child(cache: Path, libm: bool, nosym: bool) -> dict[str, Any]:
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache))
    if libm:
        env["NPY_DISABLE_CPU_FEATURES"] = "X86_V4 AVX512_SKX AVX512_ICL AVX512_SPR"
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, "nosym" if nosym else "-"],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    got: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return got


def test_code_cached_by_one_numpy_routine_is_right_under_the_other(tmp_path: Path) -> None:
    # numba's disk cache keys the loops by their code and the CPU, not by the
    # numpy that compiled them: a libm process that sees no SVML symbol compiles
    # first, then an SVML process and a libm one load that very code
    pytest.importorskip("numba")
    if arctan2.svml_address() is None:
        pytest.skip("numpy exports no SVML routine here")
    first = _child(tmp_path, libm=True, nosym=True)
    assert first["at"] == 0 and first["same"]
    assert first["hits"] == 0 and first["misses"] > 0
    # the compiled code calls the routine through a pointer, names no symbol
    assert first["names_svml"] is False and first["via_pointer"] is True
    svml = _child(tmp_path, libm=False, nosym=False)
    assert svml["at"] not in (None, 0) and svml["same"]
    assert svml["hits"] > 0 and svml["misses"] == 0
    libm = _child(tmp_path, libm=True, nosym=False)
    assert libm["at"] == 0 and libm["same"]
    assert libm["hits"] > 0 and libm["misses"] == 0
