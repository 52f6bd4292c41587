"""numpy's ``arctan2`` inside the compiled loops, to the bit.

The fused events depend on the last bit of each azimuth (a Gauss-Newton fit
stops after a step under 0.5 m: one ulp can cost or save an iteration), so a
compiled loop may compute an angle only as numpy does. numpy's float64
``arctan2`` is not libm's ``atan2`` (what numba's ``math.atan2`` calls) on a
CPU with AVX-512: there numpy calls the vector routine ``__svml_atan28_ha``
(Intel's SVML, linked into numpy and exported by its ``_multiarray_umath``),
which differs from libm by one ulp on ~2 % of random inputs and ~6.5 % of
fusion's. :func:`atan2_kernel` gives the compiled loops a scalar ``atan2(y, x,
svml)`` that calls that very routine (one lane of eight) when ``svml`` is
true, libm's otherwise, and :func:`numpy_svml` says which of the two numpy's
``arctan2`` is in this process (``NPY_DISABLE_CPU_FEATURES`` or another CPU
switch it to libm's), by comparing them on probe inputs. When neither matches
numpy, or without numba, the callers keep numpy's ``arctan2``.
"""

from __future__ import annotations

import ctypes
import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ceasefire.fuse.compiled import jit

#: numpy's float64 arctan2 on AVX-512 (SVML's high-accuracy variant, 8 lanes)
SVML_ATAN2 = "__svml_atan28_ha"

#: which arctan2 :func:`atan2` calls where ``svml`` is true: bound to the SVML
#: lane (or, without the symbol, libm's, then never chosen) when compiled
_svml_lane: Any = None


def svml_address() -> int | None:
    """The address of :data:`SVML_ATAN2` in numpy's extension module, or None
    where numpy does not export it (other CPUs' builds)."""
    from numpy._core import _multiarray_umath

    try:
        lib = ctypes.CDLL(_multiarray_umath.__file__)
        fn = getattr(lib, SVML_ATAN2)
    except (OSError, AttributeError):
        return None
    addr = ctypes.cast(fn, ctypes.c_void_p).value
    return None if addr is None else int(addr)


def atan2(y: float, x: float, svml: bool) -> float:
    """``arctan2(y, x)`` (rad) as numpy's SVML routine computes it when ``svml``,
    as libm's ``atan2`` otherwise (compiled only: :func:`atan2_kernel`)."""
    if svml:
        r: float = _svml_lane(y, x)
        return r
    return math.atan2(y, x)


def _libm_lane(y: float, x: float) -> float:
    """libm's ``atan2``: the SVML lane's stand-in where numpy exports none."""
    return math.atan2(y, x)


def _svml_intrinsic(addr: int) -> Any:
    """A numba intrinsic ``(y, x) -> float64`` calling :data:`SVML_ATAN2` at
    ``addr`` on lane 0 (the others 0: each lane is computed alone)."""
    import llvmlite.binding as llvm
    from llvmlite import ir
    from numba import types
    from numba.core import cgutils
    from numba.extending import intrinsic

    # the symbol resolved for code compiled now and for code numba loads from
    # its disk cache later in this process
    llvm.add_symbol(SVML_ATAN2, addr)

    @intrinsic  # type: ignore[misc]
    def svml_lane(typingctx: Any, y: Any, x: Any) -> Any:
        sig = types.float64(types.float64, types.float64)

        def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
            vec = ir.VectorType(ir.DoubleType(), 8)
            fn = cgutils.get_or_insert_function(
                builder.module, ir.FunctionType(vec, [vec, vec]), SVML_ATAN2
            )
            zero = ir.Constant(vec, [0.0] * 8)
            lane0 = ir.Constant(ir.IntType(32), 0)
            vy = builder.insert_element(zero, args[0], lane0)
            vx = builder.insert_element(zero, args[1], lane0)
            return builder.extract_element(builder.call(fn, [vy, vx]), lane0)

        return sig, codegen

    return svml_lane


@functools.cache
def atan2_kernel() -> Callable[[float, float, bool], float] | None:
    """:func:`atan2` compiled (once; its SVML lane bound first), or None without
    numba. Loops call it as a helper (``compiled_calling``)."""
    j = jit()
    if j is None:
        return None
    addr = svml_address()
    globals()["_svml_lane"] = _svml_intrinsic(addr) if addr is not None else j(_libm_lane)
    made: Callable[[float, float, bool], float] = j(atan2)
    return made


def _probe() -> tuple[np.ndarray, np.ndarray]:
    """Inputs on which SVML's and libm's arctan2 differ (~2 % of random pairs:
    dozens here) and the special values (zeros, infinities, NaN)."""
    rng = np.random.default_rng(20261207)
    n = 4096
    y = rng.normal(size=n) * 10.0 ** rng.uniform(-6, 6, n)
    x = rng.normal(size=n) * 10.0 ** rng.uniform(-6, 6, n)
    sp = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 1e-310, 1e308])
    return np.concatenate([y, np.repeat(sp, sp.size)]), np.concatenate([x, np.tile(sp, sp.size)])


def _probe_loop(y: Any, x: Any, svml: bool) -> Any:
    out = np.empty(y.shape[0])
    for i in range(y.shape[0]):
        out[i] = _atan2(y[i], x[i], svml)
    return out


_atan2: Any = atan2


@functools.cache
def numpy_svml() -> bool | None:
    """Whether numpy's ``arctan2`` in this process is SVML's routine (True) or
    libm's (False), to the bit on the probe inputs; None when it is neither or
    without numba (then no compiled loop may compute an angle)."""
    kernel = atan2_kernel()
    j = jit()
    if kernel is None or j is None:
        return None
    globals()["_atan2"] = kernel
    loop = j(_probe_loop)
    y, x = _probe()
    want = np.arctan2(y, x).view(np.int64)
    for svml in (True, False):
        got = np.asarray(loop(y, x, svml)).view(np.int64)
        if np.array_equal(got, want):
            return svml
    return None


__all__ = ["SVML_ATAN2", "atan2", "atan2_kernel", "numpy_svml", "svml_address"]
