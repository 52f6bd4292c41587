"""numpy's ``arctan2`` inside the compiled loops, to the bit.

The fused events depend on the last bit of each azimuth (a Gauss-Newton fit
stops after a step under 0.5 m: one ulp can cost or save an iteration), so a
compiled loop may compute an angle only as numpy does. numpy's float64
``arctan2`` is not libm's ``atan2`` (what numba's ``math.atan2`` calls) on a
CPU with AVX-512: there numpy calls the vector routine ``__svml_atan28_ha``
(Intel's SVML, linked into numpy and exported by its ``_multiarray_umath``),
which differs from libm by one ulp on ~2 % of random inputs and ~6.5 % of
fusion's. The loops here take the routine's address as an argument ``at`` (an
integer: the address of an ``<8 x double>(<8 x double>, <8 x double>)``
function) and call it through a pointer, libm's ``atan2`` where ``at`` is 0:
``atan2(y, x, at)`` (one lane of eight, ~27 ns) and ``atan2_into(y, x, out,
at)`` over arrays (eight lanes a call as numpy does, ~2.6 ns a value).
:func:`numpy_svml` says which ``at`` gives numpy's ``arctan2`` in this process
(``NPY_DISABLE_CPU_FEATURES`` or another CPU switch it to libm's), comparing
them on probe inputs; when neither matches, or without numba, the callers keep
numpy's ``arctan2``.

The compiled code names no SVML symbol and binds nothing per process: numba's
disk cache keys a loop by its code and the CPU, not by numpy's build, so code
compiled in one process (numpy with or without the routine, or switched to
libm's) must be right when another loads it; only the address passed differs.
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

#: the intrinsics calling an 8-lane routine at an address (:func:`_lane_intrinsics`):
#: ``(at, y, x) -> float64`` on lane 0, and 8-tuples to an 8-tuple; bound
#: when the loops are compiled, the same in every process
_lane_at: Any = None
_lanes_at: Any = None
#: :func:`atan2` compiled, for :func:`atan2_into`'s last lanes
_one: Any = None


#: the instruction sets ``__svml_atan28_ha`` is built for (AVX-512 as Skylake-X
#: has it), by the names of numpy's ``__cpu_features__`` (what the CPU and the
#: system support, whatever ``NPY_DISABLE_CPU_FEATURES`` turns off for numpy)
SVML_NEEDS = ("AVX512F", "AVX512CD", "AVX512BW", "AVX512DQ", "AVX512VL")


def svml_address() -> int | None:
    """The address of :data:`SVML_ATAN2` in numpy's extension module, or None
    where numpy does not export it (other CPUs' builds) or this CPU cannot run
    it (no AVX-512: numpy's x86-64 builds export it all the same, and a call
    would stop the process on an illegal instruction)."""
    try:
        umath = importlib.import_module("numpy._core._multiarray_umath")
        features = getattr(umath, "__cpu_features__", {})
        if not all(features.get(name) for name in SVML_NEEDS):
            return None
        lib = ctypes.CDLL(umath.__file__)
        fn = getattr(lib, SVML_ATAN2)
    except (ImportError, OSError, AttributeError, TypeError):
        return None
    addr = ctypes.cast(fn, ctypes.c_void_p).value
    return None if addr is None else int(addr)


def atan2(y: float, x: float, at: int) -> float:
    """``arctan2(y, x)`` (rad) by the 8-lane routine at address ``at`` (lane 0),
    by libm's ``atan2`` where ``at`` is 0 (compiled only: :func:`atan2_kernel`)."""
    if at != 0:
        r: float = _lane_at(at, y, x)
        return r
    return math.atan2(y, x)


def atan2_into(y: Any, x: Any, out: Any, at: int) -> None:
    """``out[i] = atan2(y[i], x[i], at)`` (:func:`atan2`) for arrays of one
    length, the routine's eight lanes a call (each lane is computed alone: the
    same numbers as one lane a call; compiled only)."""
    n = y.shape[0]
    i = 0
    if at != 0:
        while i + 8 <= n:
            r = _lanes_at(
                at,
                (y[i], y[i + 1], y[i + 2], y[i + 3], y[i + 4], y[i + 5], y[i + 6], y[i + 7]),
                (x[i], x[i + 1], x[i + 2], x[i + 3], x[i + 4], x[i + 5], x[i + 6], x[i + 7]),
            )
            for k in range(8):
                out[i + k] = r[k]
            i += 8
    for k in range(i, n):
        out[k] = _one(y[k], x[k], at)


def _lane_intrinsics() -> tuple[Any, Any]:
    """numba intrinsics calling an ``<8 x double>(<8 x double>, <8 x double>)``
    routine through a pointer made of their first argument (an integer
    address): ``(at, y, x) -> float64`` on lane 0 (the others 0), and
    ``(at, 8-tuple, 8-tuple) -> 8-tuple``. No symbol is declared, so the
    compiled code has no external reference to resolve when numba loads it."""
    from llvmlite import ir
    from numba import types
    from numba.core import errors
    from numba.extending import intrinsic

    vec = ir.VectorType(ir.DoubleType(), 8)
    fnty = ir.FunctionType(vec, [vec, vec])
    lanes = [ir.Constant(ir.IntType(32), k) for k in range(8)]

    def call(builder: Any, at: Any, vy: Any, vx: Any) -> Any:
        return builder.call(builder.inttoptr(at, fnty.as_pointer()), [vy, vx])

    def address(at: Any) -> Any:
        if not isinstance(at, types.Integer):
            raise errors.TypingError(f"an address is an integer, not {at}")
        return types.int64

    @intrinsic
    def lane_at(typingctx: Any, at: Any, y: Any, x: Any) -> Any:
        def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
            ptr = context.cast(builder, args[0], signature.args[0], types.int64)
            zero = ir.Constant(vec, [0.0] * 8)
            vy = builder.insert_element(zero, args[1], lanes[0])
            vx = builder.insert_element(zero, args[2], lanes[0])
            return builder.extract_element(call(builder, ptr, vy, vx), lanes[0])

        address(at)
        return types.float64(at, types.float64, types.float64), codegen

    eight = types.UniTuple(types.float64, 8)

    @intrinsic
    def lanes_at(typingctx: Any, at: Any, y: Any, x: Any) -> Any:
        def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
            ptr = context.cast(builder, args[0], signature.args[0], types.int64)
            vy = vx = ir.Constant(vec, ir.Undefined)
            for k in range(8):
                vy = builder.insert_element(vy, builder.extract_value(args[1], k), lanes[k])
                vx = builder.insert_element(vx, builder.extract_value(args[2], k), lanes[k])
            r = call(builder, ptr, vy, vx)
            return context.make_tuple(
                builder, eight, [builder.extract_element(r, lanes[k]) for k in range(8)]
            )

        address(at)
        return eight(at, eight, eight), codegen

    return lane_at, lanes_at


@functools.cache
def _kernels() -> tuple[Callable[[float, float, int], float], Callable[..., None]] | None:
    """:func:`atan2` and :func:`atan2_into` compiled (once; the intrinsics bound
    first, the same whatever numpy this process has), or None without numba."""
    j = jit()
    if j is None:
        return None
    globals()["_lane_at"], globals()["_lanes_at"] = _lane_intrinsics()
    one: Callable[[float, float, int], float] = j(atan2)
    globals()["_one"] = one
    return one, j(atan2_into)


def atan2_kernel() -> Callable[[float, float, int], float] | None:
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


def _probe_loop(y: Any, x: Any, at: int) -> Any:
    out = np.empty(y.shape[0])
    for i in range(y.shape[0]):
        out[i] = _atan2(y[i], x[i], at)
    return out


_atan2: Any = atan2


@functools.cache
def numpy_svml() -> int | None:
    """The ``at`` argument of :func:`atan2` that gives numpy's ``arctan2`` in this
    process, to the bit on the probe inputs: SVML's routine's address
    (:func:`svml_address`), or 0 where numpy's is libm's; None when neither
    matches or without numba (then no compiled loop may compute an angle)."""
    kernel, into = atan2_kernel(), atan2_into_kernel()
    j = jit()
    if kernel is None or into is None or j is None:
        return None
    globals()["_atan2"] = kernel
    loop = j(_probe_loop)
    y, x = _probe()
    want = np.arctan2(y, x).view(np.int64)
    addr = svml_address()
    for at in (0,) if addr is None else (addr, 0):
        lanes = np.empty(y.shape[0])
        into(y, x, lanes, at)
        one = np.asarray(loop(y, x, at)).view(np.int64)
        if np.array_equal(one, want) and np.array_equal(lanes.view(np.int64), want):
            return at
    return None


__all__ = [
    "SVML_ATAN2", "SVML_NEEDS", "atan2", "atan2_into", "atan2_into_kernel", "atan2_kernel",
    "numpy_svml", "svml_address",
]  # fmt: skip
