"""The maps process's input (``maps_process.draw_fed``, ``main``): the published
map drawn before the observers come, both maps the bytes ``render_maps`` draws."""

from __future__ import annotations

import io
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

import ceasefire
from ceasefire.mandate import Mandate
from ceasefire.report.layers import map_layers
from ceasefire.report.maps_process import draw_fed
from ceasefire.report.render import render_maps
from conftest import build_day_ctx


def _day(donbas: Mandate) -> tuple[Mandate, object, list[tuple[str, float, float]]]:
    ctx = build_day_ctx(donbas)
    assert ctx.observers, "the hand-built day has observers: the two maps differ by them"
    return ctx.mandate, map_layers(ctx.mandate, ctx.events, ctx.violations), list(ctx.observers)


def test_the_published_map_is_drawn_before_the_observers_come(
    tmp_path: Path, donbas: Mandate
) -> None:
    mandate, layers, observers = _day(donbas)
    first = pickle.dumps((mandate, layers, tmp_path / "fed"))
    with pytest.raises(EOFError):
        draw_fed(io.BytesIO(first))
    assert (tmp_path / "fed" / "map.png").exists()
    assert not (tmp_path / "fed" / "map-internal.png").exists()
    got = draw_fed(io.BytesIO(first + pickle.dumps(observers)))
    here = render_maps(mandate, layers, observers, tmp_path / "here")
    assert got.keys() == here.keys() == {"map", "internal_map"}
    for kind in here:
        assert got[kind].read_bytes() == here[kind].read_bytes(), kind
    assert got["map"].read_bytes() != got["internal_map"].read_bytes()


def test_the_process_exits_1_when_its_input_ends_early(tmp_path: Path, donbas: Mandate) -> None:
    mandate, layers, _ = _day(donbas)
    src = str(Path(ceasefire.__file__).resolve().parent.parent)
    done = subprocess.run(
        [sys.executable, "-P", "-m", "ceasefire.report.maps_process"],
        input=pickle.dumps((mandate, layers, tmp_path / "early")),
        env={**os.environ, "PYTHONPATH": src},
        capture_output=True,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert (tmp_path / "early" / "map.png").exists()
    assert not (tmp_path / "early" / "map-internal.png").exists()


def test_a_map_that_cannot_be_drawn_exits_1_without_a_traceback(tmp_path: Path) -> None:
    # the parent redraws the maps and reports the error; the process must not
    # print its own traceback beside the run's messages
    src = str(Path(ceasefire.__file__).resolve().parent.parent)
    done = subprocess.run(
        [sys.executable, "-P", "-m", "ceasefire.report.maps_process"],
        input=pickle.dumps(("not a mandate", None, tmp_path / "bad")),
        env={**os.environ, "PYTHONPATH": src},
        capture_output=True,
        check=False,
    )
    assert done.returncode == 1
    assert b"Traceback" not in done.stderr
    assert not (tmp_path / "bad" / "map.png").exists()
