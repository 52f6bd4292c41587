"""A live worker's run over an in-memory bus (a module of its own: the tests
import it; conftest modules share one name)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from ceasefire import pipeline
from ceasefire.ledger import Ledger
from ceasefire.model.arrays import AnyObservation
from ceasefire.store import Store
from ceasefire.stream.bus import MemoryBus
from ceasefire.stream.replay import publish_observations
from ceasefire.stream.window import WindowConfig
from ceasefire.stream.worker import Worker


@dataclass
class LiveRun:
    """A worker's run over an in-memory bus: its store, bus and (last) worker."""

    store: Store
    bus: MemoryBus
    worker: Worker


def run_live(
    tmp: Path,
    mandate_path: Path,
    models: list[AnyObservation],
    batch: int,
    restart_at: int | None = None,
    config: WindowConfig | None = None,
) -> LiveRun:
    """A worker of every sector over all of ``models`` (published at once, then the
    publisher's closing tick), pulling ``batch`` messages per subject and poll,
    replaced by a new one (same store, bus, ledger) after ``restart_at`` polls."""

    async def go() -> LiveRun:
        tmp.mkdir(parents=True, exist_ok=True)
        store = pipeline.init_store(tmp / "live.db", mandate_path)
        m = pipeline.mandate_of(store)
        bus = MemoryBus()
        await publish_observations(bus, m, models)
        ledger = Ledger.open(tmp / "ledger")

        def worker() -> Worker:
            return Worker(bus, store, ledger, m, None, config or WindowConfig(), batch=batch)

        w, polls = worker(), 0
        while await w.poll(0):  # until the worker has nothing left to do
            polls += 1
            if polls == restart_at:
                for s in w.read:  # what was handed out and not acknowledged comes again
                    bus.reopen(w.durable(s), bus.subjects.obs(s))
                w = worker()
        return LiveRun(store, bus, w)

    return asyncio.run(go())
