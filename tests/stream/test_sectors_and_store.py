"""Sectors as partitions, and the store's idempotent live writes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ceasefire import pipeline
from ceasefire.mandate import load_mandate
from ceasefire.model.arrays import AnyObservation
from ceasefire.stream.sectors import SectorMap

# with the other users of the heavy slice and the reference live run (session
# fixtures, tests/stream/conftest.py) on one worker: they are made once, not twice
pytestmark = pytest.mark.xdist_group("live-heavy")


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


def test_results_derived_twice_are_stored_once(
    tmp_path: Path, donbas_mandate_path: Path, heavy_models: list[AnyObservation]
) -> None:
    store = pipeline.init_store(tmp_path / "s.db", donbas_mandate_path)
    part = heavy_models[:300]
    assert len(store.ingest_batch(["x"], part[:200], []).stored) == 200
    again = store.ingest_batch(["x"], part, [])  # 200 of them redelivered
    assert len(again.stored) == 100 and len(again.duplicates) == 200
    m = pipeline.mandate_of(store)
    day = pipeline.stored_days(store, m)[0]
    _, events = pipeline.fuse_day(store, m, day)
    violations, _, _ = pipeline.assess_day(store, m, day, events)
    assert violations, "the first 300 reports of a heavy day make violations"
    other = pipeline.init_store(tmp_path / "o.db", donbas_mandate_path)
    days = [day.isoformat()] * len(events)
    vdays = [day.isoformat()] * len(violations)
    sectors = [None] * len(events)
    assert other.add_new_results(events, days, sectors, violations, vdays) == len(violations)
    assert other.add_new_results(events, days, sectors, violations, vdays) == 0
    assert sorted(v.id for v in other.violations(-1e18, 1e18)) == sorted(
        v.id for v in store.violations(-1e18, 1e18)
    )


def test_a_worker_s_repeats_are_not_quarantined_but_conflicts_are(
    tmp_path: Path, donbas_mandate_path: Path, heavy_models: list[AnyObservation]
) -> None:
    """A live worker takes in messages another worker stored (halo, other shard) or
    that came again: no quarantine row for those; one whose content differs is kept."""
    store = pipeline.init_store(tmp_path / "s.db", donbas_mandate_path)
    part = heavy_models[:100]
    store.ingest_batch(["x"], part, [])
    changed = part[0].model_copy(update={"time_sigma_s": part[0].time_sigma_s + 1.0})
    out = store.ingest_batch(["x"], [*part[1:], changed], [], quarantine_repeats=False)
    assert out.stored == [] and len(out.duplicates) == 100
    rows = store.quarantine_rows()
    assert [r["status"] for r in rows] == ["duplicate"]
    assert "different content" in rows[0]["reason"]
