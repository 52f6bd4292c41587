"""``heap.trimmed``: the C heap's free pages given back, where the C library can."""

from __future__ import annotations

import ctypes
from pathlib import Path

import pytest

from ceasefire.model import heap


def _anon_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1])
    raise AssertionError("no RssAnon")


@pytest.mark.skipif(heap._malloc_trim() is None, reason="a C library without malloc_trim")
def test_freed_heap_memory_leaves_the_resident_set() -> None:
    """Blocks of the C heap (above Python's small-object arenas, below the size
    glibc maps apart) freed with every other one kept: the freed pages stay
    resident until trimmed."""
    held = [bytearray(64 * 1024) for _ in range(3000)]  # ~190 MB, written
    for b in held:
        b[::4096] = b"\1" * len(b[::4096])
    del held[::2]
    before = _anon_kb()
    assert heap.trimmed()
    assert _anon_kb() < before - 50_000
    assert all(b[0] == 1 for b in held)  # what is kept is intact


def test_no_trim_where_the_library_has_none(monkeypatch: pytest.MonkeyPatch) -> None:
    heap._malloc_trim.cache_clear()

    class NoTrim:
        def __init__(self, _name: object) -> None:
            pass

    monkeypatch.setattr(ctypes, "CDLL", NoTrim)
    try:
        assert heap._malloc_trim() is None and heap.trimmed() is False
    finally:
        heap._malloc_trim.cache_clear()
