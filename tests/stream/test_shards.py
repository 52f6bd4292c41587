"""Workers sharing a sector's tiles (``Shard``): two shards of every sector over an
in-memory bus, polled in turn, store, sign and announce exactly one worker's
violations and settled notices, each once; a worker whose number of shards
disagrees with the store's is refused."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from liverun import LiveRun

from ceasefire import pipeline
from ceasefire.ledger import Ledger
from ceasefire.model.arrays import AnyObservation
from ceasefire.model.errors import PipelineError
from ceasefire.store import Store
from ceasefire.stream.bus import MemoryBus
from ceasefire.stream.replay import publish_observations
from ceasefire.stream.window import Shard, WindowConfig
from ceasefire.stream.worker import SETTLED_KEY, Worker

# with the other users of the heavy slice and the reference live run (session
# fixtures, tests/stream/conftest.py) on one worker: they are made once, not twice
pytestmark = pytest.mark.xdist_group("live-heavy")


def _two_shards(tmp: Path, mandate_path: Path, models: list[AnyObservation]) -> tuple:
    async def go() -> tuple[Store, MemoryBus, Ledger, list[Worker]]:
        store = pipeline.init_store(tmp / "live.db", mandate_path)
        m = pipeline.mandate_of(store)
        bus = MemoryBus()
        await publish_observations(bus, m, models)
        ledger = Ledger.open(tmp / "ledger")
        # uneven batches: one shard's watermark runs ahead of the other's
        workers = [
            Worker(bus, store, ledger, m, None, WindowConfig(), batch=b, shard=Shard(i, 2))
            for i, b in ((0, 300), (1, 70))
        ]
        busy = True
        while busy:
            busy = False
            for w in workers:
                busy = bool(await w.poll(0)) or busy
        for w in workers:  # the last steps and the settled day, once every mark is in
            await w.advance()
        return store, bus, ledger, workers

    return asyncio.run(go())


def test_two_shards_give_one_worker_s_results(
    tmp_path: Path,
    donbas_mandate_path: Path,
    heavy_models: list[AnyObservation],
    live_reference: LiveRun,
) -> None:
    store, bus, ledger, workers = _two_shards(tmp_path, donbas_mandate_path, heavy_models)
    ref = live_reference.store
    want = sorted(v.id for v in ref.violations(-1e18, 1e18))
    got = [v.id for v in store.violations(-1e18, 1e18)]
    assert want, "the heavy slice makes violations"
    assert sorted(got) == want
    # each shard fused about half of them (the split is by tile, not by sector)
    made = [w.stats.violations for w in workers]
    assert sum(made) == len(want) and min(made) > 0.25 * len(want), made
    assert store.counts()["accepted"] == len(heavy_models)
    # each shard took in every message: the second copy is no defect
    assert not store.quarantine_rows()
    assert sorted(str(ledger.record(i)["id"]) for i in range(ledger.size)) == want
    announced = [json.loads(d)["id"] for d, _ in bus.log.get(bus.subjects.violations, [])]
    assert sorted(announced) == want, "a violation was announced twice or never"
    # the day is settled, with one worker's notices
    assert store.get_meta(SETTLED_KEY) == ref.get_meta(SETTLED_KEY)
    assert sorted(x.id for x in store.escalations(-1e18, 1e18)) == sorted(
        x.id for x in ref.escalations(-1e18, 1e18)
    )


def test_a_worker_with_another_number_of_shards_is_refused(
    tmp_path: Path, donbas_mandate_path: Path, heavy_models: list[AnyObservation]
) -> None:
    async def go() -> None:
        store = pipeline.init_store(tmp_path / "live.db", donbas_mandate_path)
        m = pipeline.mandate_of(store)
        bus = MemoryBus()
        await publish_observations(bus, m, heavy_models[:50])
        ledger = Ledger.open(tmp_path / "ledger")
        await Worker(bus, store, ledger, m, shard=Shard(0, 2)).poll(0)
        for other in (Shard(0, 3), None):
            with pytest.raises(PipelineError, match="shard"):
                await Worker(bus, store, ledger, m, shard=other).poll(0)

    asyncio.run(go())
