"""The ladder's notices live: provisional while the day's sightings are not fused,
settled when every sector has closed the day. A settled day's notices are the
batch's (``pipeline.escalations_of`` over the stored violations) however the
worker's steps fell and wherever it was restarted; what was issued and is not
among them was withdrawn on the bus, and nothing was issued twice."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from ceasefire import pipeline
from ceasefire.ledger import Ledger
from ceasefire.mandate import day_bounds, day_of
from ceasefire.model.arrays import AnyObservation
from ceasefire.store import Store
from ceasefire.stream.bus import MemoryBus
from ceasefire.stream.replay import publish_observations
from ceasefire.stream.window import WindowConfig
from ceasefire.stream.worker import SETTLED_KEY, Worker


def _run(
    tmp: Path, mandate_path: Path, models: list[AnyObservation], batch: int, restart_at: int | None
) -> tuple[Store, MemoryBus, Worker]:
    """A worker of every sector over the whole slice, pulling ``batch`` messages per
    sector and poll, replaced by a new one (same store, bus, ledger) after
    ``restart_at`` polls."""

    async def go() -> tuple[Store, MemoryBus, Worker]:
        tmp.mkdir()
        store = pipeline.init_store(tmp / "live.db", mandate_path)
        m = pipeline.mandate_of(store)
        bus = MemoryBus()
        await publish_observations(bus, m, models)
        ledger = Ledger.open(tmp / "ledger")

        def worker() -> Worker:
            return Worker(bus, store, ledger, m, None, WindowConfig(), batch=batch)

        w, polls = worker(), 0
        while await w.poll(0):
            polls += 1
            if polls == restart_at:
                for s in w.read:  # what was handed out and not acknowledged comes again
                    bus.reopen(w.durable(s), bus.subjects.obs(s))
                w = worker()
        return store, bus, w

    return asyncio.run(go())


def _announced(bus: MemoryBus) -> tuple[list[str], list[str]]:
    """Ids issued and ids withdrawn on the escalations subject, in order."""
    issued: list[str] = []
    withdrawn: list[str] = []
    for data, _ in bus.log.get(bus.subjects.escalations, []):
        d = json.loads(data)
        (withdrawn if d.get("withdrawn") else issued).append(d["id"])
    return issued, withdrawn


def test_settled_notices_are_the_batch_s_however_the_steps_fell(
    tmp_path: Path, donbas_mandate_path: Path, heavy_models: list[AnyObservation]
) -> None:
    runs = {
        "large batches": _run(tmp_path / "a", donbas_mandate_path, heavy_models, 500, None),
        "small batches, restarted": _run(tmp_path / "b", donbas_mandate_path, heavy_models, 40, 25),
    }
    got: dict[str, list[str]] = {}
    for name, (store, bus, w) in runs.items():
        m = w.mandate
        day = day_of(m, min(o.time.timestamp() for o in heavy_models))
        assert store.get_meta(SETTLED_KEY) == day.isoformat(), name
        start, end = day_bounds(m, day)
        batch = pipeline.escalations_of(store, m, day, store.violations(start, end), [])
        stored = sorted(x.id for x in store.escalations(-1e18, 1e18))
        assert batch, "the heavy slice engages the ladder's first line"
        assert stored == sorted(x.id for x in batch), name
        issued, withdrawn = _announced(bus)
        assert len(issued) == len(set(issued)), f"{name}: a notice was issued twice"
        assert set(withdrawn) <= set(issued), f"{name}: withdrew what was never issued"
        # issued, less withdrawn, is what the store holds
        assert sorted(set(issued) - set(withdrawn)) == stored, name
        got[name] = stored
        if name.startswith("small"):
            # its steps passed the first raises before the day closed: the
            # provisional ones (without the sightings) were withdrawn at the close
            assert withdrawn, "the provisional path was not exercised"
    assert got["large batches"] == got["small batches, restarted"]
