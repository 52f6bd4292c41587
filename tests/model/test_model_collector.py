"""The collector's helpers: paused around bulk work, survivors frozen between tasks."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from ceasefire.model.collector import collector_paused, frozen_as_kept, survivors_frozen
from ceasefire.report.render import frozen_heap


class _Node:
    def __init__(self) -> None:
        self.other: object = None


@pytest.fixture
def unfrozen() -> Iterator[None]:
    """Whatever a test freezes is given back to the collector afterwards."""
    before = gc.get_freeze_count()
    yield
    if gc.get_freeze_count() > before:
        gc.unfreeze()


def test_paused_inside_and_restored_after_an_error() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        assert not gc.isenabled()
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_survivors_are_frozen_and_earlier_cycles_collected(unfrozen: None) -> None:
    # a cycle nobody holds: only the collector can free it
    dead = _Node()
    dead.other = _Node()
    dead.other.other = dead  # type: ignore[attr-defined]
    gone = weakref.ref(dead)
    del dead
    alive = _Node()
    survivors_frozen()
    assert gone() is None
    assert gc.get_freeze_count() > 0
    # the frozen are out of the collector's generations, not out of memory
    assert all(o is not alive for o in gc.get_objects())
    assert isinstance(alive, _Node)


def test_freezing_without_collecting_leaves_cycles_alone(unfrozen: None) -> None:
    dead = _Node()
    dead.other = dead
    kept = weakref.ref(dead)
    del dead
    survivors_frozen(collect=False)
    gc.collect()
    # frozen before it was collected: the cycle stays (the price of not walking
    # an inherited heap)
    assert kept() is not None


def test_a_frozen_object_is_still_freed_by_reference_counting(unfrozen: None) -> None:
    x = _Node()
    ref = weakref.ref(x)
    survivors_frozen()
    del x
    assert ref() is None


def test_kept_objects_frozen_as_they_come_and_given_back_after(unfrozen: None) -> None:
    gc.collect()
    assert gc.get_freeze_count() == 0
    with frozen_as_kept() as keep:
        kept = [_Node() for _ in range(100)]
        # a cycle dropped before keep() is collected, not frozen for good
        a, b = _Node(), _Node()
        a.other, b.other = b, a
        gone = weakref.ref(a)
        del a, b
        keep()
        assert gone() is None
        assert gc.get_freeze_count() >= len(kept)
        # a fork's freeze inside the block leaves the block's objects frozen
        with frozen_heap():
            pass
        assert gc.get_freeze_count() >= len(kept)
    assert gc.get_freeze_count() == 0


def test_kept_objects_left_frozen_under_an_outer_freeze(unfrozen: None) -> None:
    gc.freeze()
    before = gc.get_freeze_count()
    with frozen_as_kept() as keep:
        kept = [_Node() for _ in range(10)]
        keep()
    assert gc.get_freeze_count() >= before + len(kept)
