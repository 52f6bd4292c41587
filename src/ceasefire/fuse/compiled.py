"""Fusion's compiled loops: numba's ``njit`` with the settings every loop uses,
or None without the ``fast`` extra (then the numpy code runs). numba is imported
on the first call only, so importing fusion does not load it."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from ceasefire.model.numba_cache import stamp_caches

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

#: Every :func:`getter` of the modules imported, for :func:`load_cached`.
_GETTERS: list[Callable[[], object]] = []


def jit(inline: bool = False) -> Callable[[F], F] | None:
    """numba's ``njit`` (cached on disk, without the GIL, numpy's error model), or
    None when numba is not installed. ``inline``: the function's body written
    into each compiled function that calls it (numba's ``inline="always"``)."""
    try:
        import numba
    except ImportError:  # pragma: no cover - depends on the install
        return None
    stamp_caches()
    compile_: Any = numba.njit(
        cache=True, nogil=True, error_model="numpy", inline="always" if inline else "never"
    )
    return compile_


def compiled(fn: F) -> F | None:
    """``fn`` compiled by :func:`jit`, or None without numba."""
    j = jit()
    return None if j is None else j(fn)


def compiled_calling(
    fn: F, inlined: tuple[str, ...] = (), **helpers: Callable[..., Any]
) -> F | None:
    """``fn`` compiled by :func:`jit`, each of ``helpers`` compiled first and bound
    under its name in ``fn``'s module (a compiled loop calls compiled functions
    only, and finds them among its globals when it is compiled); those named in
    ``inlined`` written into ``fn`` (``jit(inline=True)``: for a helper called in
    a hot inner loop, whose call numba's compiler does not inline itself). A
    helper that is compiled already (a loop another getter made, its own helpers
    bound) is bound as it is. None without numba."""
    j, written = jit(), jit(inline=True)
    if j is None or written is None:
        return None
    for name, helper in helpers.items():
        done = hasattr(helper, "py_func")  # a numba dispatcher
        fn.__globals__[name] = helper if done else (written if name in inlined else j)(helper)
    return j(fn)


def getter(fn: Callable[[], T]) -> Callable[[], T]:
    """``fn`` (of no arguments: a module's compiled loops, made on first use)
    made once (``functools.cache``) and listed for :func:`load_cached`."""
    once = functools.cache(fn)
    _GETTERS.append(once)
    return once


def load_cached() -> int:
    """Call every :func:`getter` listed and load their loops' signatures from
    numba's disk cache, those its index holds for this code and this machine
    (none compiled: only a data file removed since the index was read would
    be), so that processes forked afterwards find them loaded (a pool worker
    would pay ~0.3-0.7 CPU-s to load its own). Returns how many were loaded: 0
    without numba, or where numba's cache is not laid out as 0.68's (its index
    is not public API; the workers then load theirs)."""
    from ceasefire.model.matching_setup import setup_kernel
    from ceasefire.model.small_matching import small_component_kernel
    from ceasefire.model.unique_matching import unique_matching_kernel

    loaded = 0
    # the model's matching loops fusion calls (the model cannot list them)
    getters: list[Callable[[], object]] = [
        *_GETTERS,
        small_component_kernel,
        unique_matching_kernel,
        setup_kernel,
    ]
    for get in getters:
        made = get()
        for loop in made if isinstance(made, tuple) else (made,):
            loaded += _load_signatures(loop)
    return loaded


def _load_signatures(loop: Any) -> int:
    """The signatures of one compiled ``loop`` (a numba dispatcher) that its
    disk cache holds for this code, loaded; how many (0 if ``loop`` is none)."""
    try:
        cache, ctx = loop._cache, loop.targetctx
        index = cache._cache_file._load_index()
        codegen = ctx.codegen()
        # a key names the signature, the machine and the code's hash: a key of
        # another machine or an older code would be compiled, not loaded
        sigs = [key[0] for key in index if key == cache._index_key(key[0], codegen)]
    except (AttributeError, TypeError, IndexError, OSError):
        return 0
    loaded = 0
    for sig in sigs:
        try:
            loop.compile(sig)
        except Exception:  # a worker that needs it meets the error itself
            continue
        loaded += 1
    return loaded


class LoadAhead:
    """:func:`load_cached` on a thread of this process, started now; its caller
    must :meth:`join` it before this process forks or compiles a loop itself
    (a fork while the thread holds numba's or an import's lock would leave the
    child waiting on it)."""

    def __init__(self) -> None:
        self.loaded = 0
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="numba-load-ahead", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self.loaded = load_cached()
        except Exception as e:  # raised again by join, in the caller
            self._error = e

    def join(self) -> int:
        """Wait for the loads; how many signatures were loaded. A failure is
        the caller's to see: raised here."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self.loaded


__all__ = ["LoadAhead", "compiled", "compiled_calling", "getter", "jit", "load_cached"]
