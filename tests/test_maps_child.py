"""The maps' interpreter started ahead (``maps_child``): started only for
observations large enough to be drawn aside, and ended when not fed."""

from __future__ import annotations

from pathlib import Path

import pytest

from ceasefire import maps_child


def test_small_observations_start_no_interpreter(tmp_path: Path) -> None:
    obs = tmp_path / "obs.ndjson"
    obs.write_bytes(b"x" * 1000)
    assert maps_child.spawn_for([obs]) is None


def test_unreadable_observations_start_no_interpreter(tmp_path: Path) -> None:
    assert maps_child.spawn_for([tmp_path / "missing.ndjson"]) is None


def test_large_observations_start_one_and_dismiss_ends_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files of ``MIN_BYTES`` in all (over two files) start an interpreter; one
    never fed is ended by ``dismiss`` (not left waiting on its input)."""
    monkeypatch.setattr(maps_child, "MIN_BYTES", 1000)
    a, b = tmp_path / "a.ndjson", tmp_path / "b.ndjson"
    a.write_bytes(b"x" * 600)
    b.write_bytes(b"x" * 400)
    child = maps_child.spawn_for([a, b])
    assert child is not None
    assert child.poll() is None  # importing, or waiting for its input
    maps_child.dismiss(child)
    assert child.returncode is not None and child.returncode != 0
    maps_child.dismiss(child)  # twice: nothing more to end
    maps_child.dismiss(None)
