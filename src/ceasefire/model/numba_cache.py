"""numba's disk cache stamped by the code its loops are made of: numba stamps
a loop's cache with its own file only, but a loop that calls a helper of
another file has the helper compiled into it, so after a change to the helper
alone it would load the old one (a checkout that changed one file). Here each
loop of the package's compiled folders is also stamped by a digest of every
module in them, so any change there compiles anew; other packages' caches are
left to numba."""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path
from typing import Any

#: The folders whose modules the compiled loops are made of and read constants
#: from: the package's ``fuse``, ``model`` and ``geo``.
STAMPED: tuple[Path, ...] = tuple(
    Path(__file__).resolve().parents[1] / name for name in ("fuse", "model", "geo")
)


@functools.cache
def folder_digest(folders: tuple[Path, ...]) -> str:
    """SHA-256 (hex) of the relative path and bytes of every ``.py`` file under
    ``folders``, in sorted order (~1 MB: a few ms, once a process)."""
    h = hashlib.sha256()
    for root in folders:
        for path in sorted(root.rglob("*.py")):
            h.update(str(path.relative_to(root.parent)).encode() + b"\0")
            h.update(path.read_bytes() + b"\0")
    return h.hexdigest()


@functools.cache
def stamp_caches(folders: tuple[Path, ...] = STAMPED) -> bool:
    """numba's cache locators for files under ``folders`` made to stamp a loop's
    cache with :func:`folder_digest` beside numba's own stamp (its file's), put
    ahead of numba's own; once a process. False where numba's caching is not
    laid out as 0.68's (its locators are not public API): then numba's own
    stamp alone, and a changed helper needs its caller's cache removed."""
    try:
        from numba.core import caching
    except ImportError:  # pragma: no cover - depends on the install
        return False
    impl: Any = getattr(caching, "CacheImpl", None)
    bases = [getattr(caching, n, None) for n in _LOCATORS]
    if impl is None or not isinstance(getattr(impl, "_locator_classes", None), list):
        return False
    if any(b is None for b in bases):
        return False
    roots = tuple(str(f.resolve()) + os.sep for f in folders)

    def stamped(base: Any) -> Any:
        class Stamped(base):
            @classmethod
            def from_function(cls, py_func: Any, py_file: str) -> Any:
                if not str(Path(py_file).resolve()).startswith(roots):
                    return None
                return super().from_function(py_func, py_file)

            def get_source_stamp(self) -> Any:
                return (super().get_source_stamp(), folder_digest(folders))

        Stamped.__name__ = Stamped.__qualname__ = "Stamped" + base.__name__
        return Stamped

    impl._locator_classes[:0] = [stamped(b) for b in bases]
    return True


#: numba's locators of files (a user's cache folder, the source's, the user's
#: own), in numba's order, each given a stamped twin by :func:`stamp_caches`
_LOCATORS = ("UserProvidedCacheLocator", "InTreeCacheLocator", "UserWideCacheLocator")


__all__ = ["STAMPED", "folder_digest", "stamp_caches"]
