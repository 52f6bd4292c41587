"""Sectors as partitions, and the store's idempotent live writes."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ceasefire import pipeline
from ceasefire.mandate import load_mandate
from ceasefire.model.arrays import AnyObservation
from ceasefire.stream.sectors import SectorMap


def test_positions_beyond_the_line_ends_go_to_the_nearest_sector(donbas_mandate_path: Path) -> None:
    sm = SectorMap.of(load_mandate(donbas_mandate_path))
    km = np.array([-5.0, 0.0, 94.9, 95.0, 284.1, 400.0])
    assert sm.sector_of_km(km).tolist() == [
        "luhansk",
        "luhansk",
        "luhansk",
        "donetsk-north",
        "donetsk-south",
        "donetsk-south",
    ]


def test_a_worker_reads_the_neighbours_within_its_halo(donbas_mandate_path: Path) -> None:
    sm = SectorMap.of(load_mandate(donbas_mandate_path))
    assert sm.read_sectors(["luhansk"], 60.0) == ["luhansk", "donetsk-north"]
    assert sm.read_sectors(["luhansk"], 90.0) == ["luhansk", "donetsk-north", "donetsk-south"]
    assert sm.read_sectors(["donetsk-south"], 0.0) == ["donetsk-south"]


def test_observations_and_results_delivered_twice_are_stored_once(
    tmp_path: Path, donbas_mandate_path: Path, heavy_models: list[AnyObservation]
) -> None:
    store = pipeline.init_store(tmp_path / "s.db", donbas_mandate_path)
    part = heavy_models[:300]
    assert store.add_new_observations("x", part[:200], []) == 200
    assert store.add_new_observations("x", part, []) == 100  # 200 redelivered
    assert store.add_new_observations("x", part, []) == 0
    assert store.counts()["accepted"] == 300
    ev = pipeline.fuse_day  # the batch's own stage on the same observations
    m = pipeline.mandate_of(store)
    day = pipeline.stored_days(store, m)[0]
    _, events = ev(store, m, day)
    violations, _, _ = pipeline.assess_day(store, m, day, events)
    before = len(store.violations(-1e18, 1e18))
    assert store.add_new_results(events, violations) == 0  # already there
    assert len(store.violations(-1e18, 1e18)) == before
