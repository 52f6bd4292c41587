"""A simulated heavy day's first hours, and a worker's run over them, shared by
the live tests."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from liverun import LiveRun, run_live

from ceasefire.mandate import load_mandate
from ceasefire.model.arrays import AnyObservation
from ceasefire.simulate import get_profile, simulate
from ceasefire.simulate.files import write_scenario
from ceasefire.stream.replay import read_file

#: Hours of the heavy day the live tests replay (the full day: the benchmark).
HOURS = 3.0


@pytest.fixture(scope="session")
def heavy_slice(tmp_path_factory: pytest.TempPathFactory, donbas_mandate_path: Path) -> Path:
    """observations.ndjson of the first ``HOURS`` of a heavy day (seed 2015)."""
    m = load_mandate(donbas_mandate_path)
    t0 = datetime(2025, 6, 1, tzinfo=m.tz).timestamp()
    sc = simulate(m, get_profile("heavy"), t0, HOURS, 2015)
    out = tmp_path_factory.mktemp("heavy")
    return write_scenario(out, sc.observations, sc.truth)["observations"]


@pytest.fixture(scope="session")
def heavy_models(heavy_slice: Path) -> list[AnyObservation]:
    return read_file(heavy_slice).accepted


@pytest.fixture(scope="session")
def live_reference(
    tmp_path_factory: pytest.TempPathFactory,
    donbas_mandate_path: Path,
    heavy_models: list[AnyObservation],
) -> LiveRun:
    """One worker of every sector over the whole slice on an in-memory bus, never
    killed, 500 messages per subject and poll (the CLI worker's batch)."""
    return run_live(tmp_path_factory.mktemp("reference"), donbas_mandate_path, heavy_models, 500)
