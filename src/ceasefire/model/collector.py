"""Python's cyclic garbage collector paused around bulk work.

Loops that make many objects without reference cycles (validated models, row
tuples) trigger the collector's collections, which walk every object the process
holds: on a day's ingest they cost about as much as the validation itself.
Reference counting still frees those objects; the collector runs again at the
next allocation threshold after the loop."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic collector off inside the block, then as it was (also on an
    exception)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


__all__ = ["collector_paused"]
