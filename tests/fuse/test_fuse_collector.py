"""``fuse`` runs with Python's cyclic collector paused (it makes no reference
cycles) and leaves it as it found it."""

from __future__ import annotations

import gc
from typing import Any

import pytest
from fuse_scenes import T0, Scene

from ceasefire.fuse import engine, fuse


def _obs() -> Any:
    sc = Scene()
    for k in range(3):
        sc.bearing(f"L{k}", f"post{k}", (1_000.0 * k, 0.0), (-1_500.0, 2_500.0), T0 + 60.0 * k)
    return sc.arrays()


def _watched(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether the collector was on, each time ``fuse`` fused its tiles."""
    seen: list[bool] = []
    tiles = engine.fuse_tiles

    def fuse_tiles(*args: Any, **kw: Any) -> Any:
        seen.append(gc.isenabled())
        return tiles(*args, **kw)

    monkeypatch.setattr(engine, "fuse_tiles", fuse_tiles)
    return seen


def test_the_tiles_are_fused_with_the_collector_off_then_it_is_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen = _watched(monkeypatch)
    assert gc.isenabled()
    assert fuse(_obs())
    assert seen == [False]
    assert gc.isenabled()


def test_a_collector_off_before_stays_off(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _watched(monkeypatch)
    gc.disable()
    try:
        fuse(_obs())
        assert seen == [False]
        assert not gc.isenabled()
    finally:
        gc.enable()
