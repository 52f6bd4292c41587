"""The C heap's free pages given back to the system (glibc's ``malloc_trim``).

Python frees most small objects into its own arenas and the rest to the C
allocator, which keeps freed memory inside its heap for reuse: a process that
let go of a large working set (an ingest, a fused part) keeps it resident, and
a process forked from it then counts those pages in its own resident set too.
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Callable


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none (musl, macOS)."""
    try:
        # the symbols this process has loaded (no search: find_library runs ldconfig)
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError, TypeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def trimmed() -> bool:
    """Give the C heap's free whole pages back to the system (``malloc_trim(0)``:
    the top of the heap and, glibc 2.8 on, free pages inside it). True if the
    C library released any memory; False if it did not, or has no such call."""
    trim = _malloc_trim()
    return bool(trim(0)) if trim is not None else False


__all__ = ["trimmed"]
