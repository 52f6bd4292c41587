"""Python's cyclic garbage collector paused around bulk work.

Loops that make many objects without reference cycles (validated models, row
tuples) trigger the collector's collections, which walk every object the process
holds: on a day's ingest they cost about as much as the validation itself.
Reference counting still frees those objects; the collector runs again at the
next allocation threshold after the loop."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterator


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


def survivors_frozen(*, collect: bool = True) -> None:
    """Every object alive now moved out of the collector's reach (``gc.freeze``),
    after collecting the cycles made since the last call (``collect``; not in a
    freshly forked child: a collection writes into every object it walks, which
    would copy the parent's pages into the child).

    For a pool worker between tasks: what a task leaves alive (its modules'
    caches, the compiled code it loaded) and what the worker inherited stay for
    the worker's life, and a full collection walks them all again each time
    (~0.13 s for a fusion worker's ~260 k objects, 14 % of its CPU on a stress
    slice). Frozen objects are still freed by reference counting; only a cycle
    formed among them later is never collected."""
    if collect:
        gc.collect()
    gc.freeze()


@contextlib.contextmanager
def frozen_as_kept() -> Iterator[Callable[[], None]]:
    """A block that keeps what it makes (a run's day: its parts' violations,
    the ledger's batches) and gives ``keep()``: the young generations' cycles
    collected, then every object alive frozen (``gc.freeze``), so that the
    collector's full collections walk only what was made since. Without it a
    full collection walks the whole day kept so far each time the kept objects
    grow by a quarter (a stress day's run: ~10 % of the main process's CPU).
    On leaving, the objects are unfrozen, unless some were frozen before the
    block (whoever froze them unfreezes)."""
    outer = gc.get_freeze_count() > 0
    try:
        yield _young_frozen
    finally:
        if not outer:
            gc.unfreeze()


def _young_frozen() -> None:
    gc.collect(1)
    gc.freeze()


__all__ = ["collector_paused", "frozen_as_kept", "survivors_frozen"]
