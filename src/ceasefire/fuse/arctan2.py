"""numpy's ``arctan2`` inside the compiled loops, to the bit.

The fused events depend on the last bit of each azimuth (a Gauss-Newton fit
stops after a step under 0.5 m: one ulp can cost or save an iteration), so a
compiled loop may compute an angle only as numpy does. numpy's float64
``arctan2`` is not libm's ``atan2`` (what numba's ``math.atan2`` calls) on a
CPU with AVX-512: there numpy calls the vector routine ``__svml_atan28_ha``
(Intel's SVML, linked into numpy and exported by its ``_multiarray_umath``),
which differs from libm by one ulp on ~2 % of random inputs and ~6.5 % of
fusion's. The loops here call that very routine when ``svml`` is true, libm's
``atan2`` otherwise: ``atan2(y, x, svml)`` (one lane of eight, ~27 ns) and
``atan2_into(y, x, out, svml)`` over arrays (eight lanes a call as numpy does,
~2.6 ns a value). :func:`numpy_svml` says which of the two numpy's ``arctan2``
is in this process (``NPY_DISABLE_CPU_FEATURES`` or another CPU switch it to
libm's), comparing them on probe inputs; when neither matches, or without
numba, the callers keep numpy's ``arctan2``. (numba's disk cache keys a loop by
its code and the CPU, not by numpy's build: a numpy without the symbol, on the
same CPU and code, would need that cache cleared.)
"""

from __future__ import annotations

import ctypes
import functools
import importlib
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ceasefire.fuse.compiled import jit

#: numpy's float64 arctan2 on AVX-512 (SVML's high-accuracy variant, 8 lanes)
SVML_ATAN2 = "__svml_atan28_ha"

#: which arctan2 :func:`atan2` calls where ``svml`` is true: bound to the SVML
#: lane (or, without the symbol, libm's, then never chosen) when compiled; and
#: :func:`atan2_into`'s eight lanes (tuples of 8 floats) likewise
_svml_lane: Any = None
_svml_lanes: Any = None
#: :func:`atan2` compiled, for :func:`atan2_into`'s last lanes
_one: Any = None


def svml_address() -> int | None:
    """The address of :data:`SVML_ATAN2` in numpy's extension module, or None
    where numpy does not export it (other CPUs' builds)."""
    try:
        umath = importlib.import_module("numpy._core._multiarray_umath")
        lib = ctypes.CDLL(umath.__file__)
        fn = getattr(lib, SVML_ATAN2)
    except (ImportError, OSError, AttributeError, TypeError):
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


def atan2_into(y: Any, x: Any, out: Any, svml: bool) -> None:
    """``out[i] = atan2(y[i], x[i], svml)`` (:func:`atan2`) for arrays of one
    length, SVML's eight lanes a call (each lane is computed alone: the same
    numbers as one lane a call; compiled only)."""
    n = y.shape[0]
    i = 0
    if svml:
        while i + 8 <= n:
            r = _svml_lanes(
                (y[i], y[i + 1], y[i + 2], y[i + 3], y[i + 4], y[i + 5], y[i + 6], y[i + 7]),
                (x[i], x[i + 1], x[i + 2], x[i + 3], x[i + 4], x[i + 5], x[i + 6], x[i + 7]),
            )
            for k in range(8):
                out[i + k] = r[k]
            i += 8
    for k in range(i, n):
        out[k] = _one(y[k], x[k], svml)


def _libm_lane(y: float, x: float) -> float:
    """libm's ``atan2``: the SVML lane's stand-in where numpy exports none."""
    return math.atan2(y, x)


def _libm_lanes(y: Any, x: Any) -> Any:
    """:func:`_libm_lane` on 8-tuples: the SVML lanes' stand-in."""
    return (
        math.atan2(y[0], x[0]), math.atan2(y[1], x[1]), math.atan2(y[2], x[2]),
        math.atan2(y[3], x[3]), math.atan2(y[4], x[4]), math.atan2(y[5], x[5]),
        math.atan2(y[6], x[6]), math.atan2(y[7], x[7]),
    )  # fmt: skip


def _svml_intrinsics(addr: int) -> tuple[Any, Any]:
    """numba intrinsics calling :data:`SVML_ATAN2` at ``addr``: ``(y, x) ->
    float64`` on lane 0 (the others 0), and 8-tuples to an 8-tuple."""
    import llvmlite.binding as llvm
    from llvmlite import ir
    from numba import types
    from numba.core import cgutils
    from numba.extending import intrinsic

    # the symbol resolved for code compiled now and for code numba loads from
    # its disk cache later in this process
    llvm.add_symbol(SVML_ATAN2, addr)
    vec = ir.VectorType(ir.DoubleType(), 8)
    lanes = [ir.Constant(ir.IntType(32), k) for k in range(8)]

    def call(builder: Any, vy: Any, vx: Any) -> Any:
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(vec, [vec, vec]), SVML_ATAN2
        )
        return builder.call(fn, [vy, vx])

    @intrinsic
    def svml_lane(typingctx: Any, y: Any, x: Any) -> Any:
        def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
            zero = ir.Constant(vec, [0.0] * 8)
            vy = builder.insert_element(zero, args[0], lanes[0])
            vx = builder.insert_element(zero, args[1], lanes[0])
            return builder.extract_element(call(builder, vy, vx), lanes[0])

        return types.float64(types.float64, types.float64), codegen

    eight = types.UniTuple(types.float64, 8)

    @intrinsic
    def svml_lanes(typingctx: Any, y: Any, x: Any) -> Any:
        def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
            vy = vx = ir.Constant(vec, ir.Undefined)
            for k in range(8):
                vy = builder.insert_element(vy, builder.extract_value(args[0], k), lanes[k])
                vx = builder.insert_element(vx, builder.extract_value(args[1], k), lanes[k])
            r = call(builder, vy, vx)
            return context.make_tuple(
                builder, eight, [builder.extract_element(r, lanes[k]) for k in range(8)]
            )

        return eight(eight, eight), codegen

    return svml_lane, svml_lanes


@functools.cache
def _kernels() -> tuple[Callable[[float, float, bool], float], Callable[..., None]] | None:
    """:func:`atan2` and :func:`atan2_into` compiled (once; the SVML lanes bound
    first), or None without numba."""
    j = jit()
    if j is None:
        return None
    addr = svml_address()
    if addr is not None:
        globals()["_svml_lane"], globals()["_svml_lanes"] = _svml_intrinsics(addr)
    else:
        globals()["_svml_lane"], globals()["_svml_lanes"] = j(_libm_lane), j(_libm_lanes)
    one: Callable[[float, float, bool], float] = j(atan2)
    globals()["_one"] = one
    return one, j(atan2_into)


def atan2_kernel() -> Callable[[float, float, bool], float] | None:
    """:func:`atan2` compiled, or None without numba: loops call it as a helper
    (``compiled_calling``)."""
    made = _kernels()
    return None if made is None else made[0]


def atan2_into_kernel() -> Callable[..., None] | None:
    """:func:`atan2_into` compiled, or None without numba."""
    made = _kernels()
    return None if made is None else made[1]


def _probe() -> tuple[np.ndarray, np.ndarray]:
    """Inputs on which SVML's and libm's arctan2 differ (~2 % of random pairs:
    dozens here) and the special values (zeros, infinities, NaN); 4,177 pairs
    (not a multiple of 8: :func:`atan2_into`'s last lanes one by one)."""
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
    kernel, into = atan2_kernel(), atan2_into_kernel()
    j = jit()
    if kernel is None or into is None or j is None:
        return None
    globals()["_atan2"] = kernel
    loop = j(_probe_loop)
    y, x = _probe()
    want = np.arctan2(y, x).view(np.int64)
    for svml in (True, False):
        lanes = np.empty(y.shape[0])
        into(y, x, lanes, svml)
        one = np.asarray(loop(y, x, svml)).view(np.int64)
        if np.array_equal(one, want) and np.array_equal(lanes.view(np.int64), want):
            return svml
    return None


__all__ = [
    "SVML_ATAN2", "atan2", "atan2_into", "atan2_into_kernel", "atan2_kernel", "numpy_svml",
    "svml_address",
]  # fmt: skip
