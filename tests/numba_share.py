"""numba's compiles shared between the test processes (the xdist workers, the
pool children they fork): a loop that one process is compiling is waited for by
another, then loaded from numba's disk cache, not compiled a second time; and a
fresh clone's cache warmed at the start of a ``-n 2`` run by two workloads, one
begun by each worker, so that the two compile different loops at once.

Only the test harness uses this (``tests/conftest.py``): the code under test
compiles as it always does."""

from __future__ import annotations

import fcntl
import hashlib
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

#: Where the lock files are: one a loop, named by its source file's absolute
#: path and its qualified name (two trees' loops never wait for each other).
LOCK_DIR = Path("/tmp") / "ceasefire-numba-locks"

#: The keys this process holds (under numba's compiler lock, so one thread's).
_held: set[str] = set()


def lock_path(lock_dir: Path, source: str, qualname: str) -> Path:
    """The lock file of the loop ``qualname`` defined in the file ``source``."""
    key = hashlib.sha256(f"{os.path.abspath(source)}\0{qualname}".encode()).hexdigest()[:32]
    return lock_dir / f"{key}.lock"


@contextmanager
def _flock(path: Path) -> Iterator[None]:
    """An exclusive ``flock`` on ``path`` (created), released on exit."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def install(lock_dir: Path = LOCK_DIR) -> bool:
    """numba's ``Dispatcher.compile`` wrapped, in this process and the ones it
    forks: a loop cached on disk (``cache=True``) is compiled while holding its
    lock file, and numba's own first step under it is to look in the disk cache,
    which holds the loop once another process has compiled it. Taken after
    numba's (process-wide, reentrant) compiler lock, so that two threads of one
    process never wait on each other's files; a loop compiled within the compile
    of another (a helper it calls) takes its own lock, and helpers never call
    their callers, so two processes never wait on each other. False without
    numba; True once installed (twice is once)."""
    try:
        from numba.core import dispatcher, sigutils
        from numba.core.caching import NullCache
        from numba.core.compiler_lock import global_compiler_lock
    except ImportError:  # pragma: no cover - depends on the install
        return False
    cls: Any = dispatcher.Dispatcher
    if getattr(cls.compile, "_shared", False):
        return True
    lock_dir.mkdir(parents=True, exist_ok=True)
    plain = cls.compile

    def compile_(self: Any, sig: Any) -> Any:
        with global_compiler_lock:
            args, _ = sigutils.normalize_signature(sig)
            if isinstance(self._cache, NullCache) or self.overloads.get(tuple(args)):
                return plain(self, sig)
            fn = self.py_func
            path = lock_path(lock_dir, fn.__code__.co_filename, fn.__qualname__)
            key = str(path)
            if key in _held:  # this process is compiling it already
                return plain(self, sig)
            with _flock(path):
                _held.add(key)
                try:
                    return plain(self, sig)
                finally:
                    _held.discard(key)

    compile_._shared = True  # type: ignore[attr-defined]
    cls.compile = compile_
    return True


def cache_is_cold() -> bool:
    """True when numba's disk cache holds none of fusion's loops for this code
    (a fresh clone): nothing loads."""
    try:
        from ceasefire.fuse.compiled import load_cached
    except ImportError:  # pragma: no cover - the tree is broken: the tests will say
        return False
    return load_cached() == 0


def _scene_day(tmp: Path) -> None:
    """The pipeline tests' hand-built scene through the whole day (fusion's
    solve, pairing and cost loops, the model's matchings)."""
    sys.path.insert(0, str(Path(__file__).parent / "pipeline"))
    from scene import build_scene

    from ceasefire import pipeline
    from ceasefire.mandate import load_mandate

    mandate = Path(__file__).resolve().parents[1] / "examples" / "donbas-2015" / "mandate.yaml"
    build_scene(load_mandate(mandate), tmp / "obs.ndjson")
    pipeline.run(mandate, [tmp / "obs.ndjson"], tmp / "out", pdf=False)


def _association_days(tmp: Path) -> None:
    """Association over the stored heavy-day slice (its windows, passes, gates
    and upkeep loops, on a day with acoustic reports)."""
    import numpy as np

    from ceasefire.fuse import FuseConfig
    from ceasefire.fuse.association import Reports, associate
    from ceasefire.fuse.solve import Rows

    fields = ("ox", "oy", "az", "sigma_az", "t", "sigma_t", "speed_factor", "rng", "sigma_rng")
    with np.load(Path(__file__).parent / "fuse" / "data" / "association_days.npz") as d:
        a = {k.split("/", 1)[1]: d[k] for k in d.files if k.startswith("heavy2015/")}
    cfg = FuseConfig()
    rows = Rows(*(a[f"rows/{f}"] for f in fields))
    rep = Reports(
        rows, a["src"], a["phase"], cfg.speed_of_sound_m_s, cfg.max_range_m, cfg.min_tdoa_sensors
    )
    associate(rep, cfg.association)


#: The warm-up's workloads, in the order the first worker runs them (the
#: second runs them backwards, so that each begins with loops of its own).
WORKLOADS: tuple[Callable[[Path], None], ...] = (_scene_day, _association_days)


def warm(tmp: Path, worker: int) -> None:
    """Every workload of :data:`WORKLOADS` run in this process (under the locks
    of :func:`install`), worker 0 from the first, others from the last; each in
    a folder of its own under ``tmp``."""
    order = WORKLOADS if worker == 0 else WORKLOADS[::-1]
    for work in order:
        d = tmp / work.__name__.strip("_")
        d.mkdir(parents=True, exist_ok=True)
        work(d)


__all__ = ["LOCK_DIR", "WORKLOADS", "cache_is_cold", "install", "lock_path", "warm"]
