"""Fusion's compiled loops: numba's ``njit`` with the settings every loop uses,
or None without the ``fast`` extra (then the numpy code runs). numba is imported
on the first call only, so importing fusion does not load it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def jit() -> Callable[[F], F] | None:
    """numba's ``njit`` (cached on disk, without the GIL, numpy's error model), or
    None when numba is not installed."""
    try:
        import numba
    except ImportError:  # pragma: no cover - depends on the install
        return None
    compile_: Any = numba.njit(cache=True, nogil=True, error_model="numpy")
    return compile_


def compiled(fn: F) -> F | None:
    """``fn`` compiled by :func:`jit`, or None without numba."""
    j = jit()
    return None if j is None else j(fn)


def compiled_calling(fn: F, **helpers: Callable[..., Any]) -> F | None:
    """``fn`` compiled by :func:`jit`, each of ``helpers`` compiled first and bound
    under its name in ``fn``'s module (a compiled loop calls compiled functions
    only, and finds them among its globals when it is compiled); None without
    numba."""
    j = jit()
    if j is None:
        return None
    for name, helper in helpers.items():
        fn.__globals__[name] = j(helper)
    return j(fn)


__all__ = ["compiled", "compiled_calling", "jit"]
