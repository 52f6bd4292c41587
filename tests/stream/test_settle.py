"""The ladder's notices live: provisional while the day's sightings are not fused,
settled when every sector has closed the day. A settled day's notices are the
batch's (``pipeline.escalations_of`` over the stored violations) however the
worker's steps fell and wherever it was restarted; what was issued and is not
among them was withdrawn on the bus, and nothing was issued twice."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path

import pytest
from liverun import LiveRun, run_live

from ceasefire import pipeline
from ceasefire.ledger import Ledger
from ceasefire.mandate import day_bounds, day_of
from ceasefire.model import Escalation
from ceasefire.model.arrays import AnyObservation
from ceasefire.store import Store
from ceasefire.stream.bus import MemoryBus
from ceasefire.stream.replay import publish_observations
from ceasefire.stream.window import WindowConfig
from ceasefire.stream.worker import SETTLED_KEY, Worker, _Notices

# with the other users of the heavy slice and the reference live run (session
# fixtures, tests/stream/conftest.py) on one worker: they are made once, not twice
pytestmark = pytest.mark.xdist_group("live-heavy")


def _announced(bus: MemoryBus) -> tuple[list[str], list[str]]:
    """Ids issued and ids withdrawn on the escalations subject, in order."""
    issued: list[str] = []
    withdrawn: list[str] = []
    for data, _ in bus.log.get(bus.subjects.escalations, []):
        d = json.loads(data)
        (withdrawn if d.get("withdrawn") else issued).append(d["id"])
    return issued, withdrawn


@pytest.fixture(scope="module")
def small_batches(
    tmp_path_factory: pytest.TempPathFactory,
    donbas_mandate_path: Path,
    heavy_models: list[AnyObservation],
) -> LiveRun:
    """40 messages per subject and poll, restarted after 25 polls: steps pass the
    first raises before the day closes."""
    tmp = tmp_path_factory.mktemp("small")
    return run_live(tmp, donbas_mandate_path, heavy_models, 40, 25)


def test_settled_notices_are_the_batch_s_however_the_steps_fell(
    heavy_models: list[AnyObservation], live_reference: LiveRun, small_batches: LiveRun
) -> None:
    runs = {"large batches": live_reference, "small batches, restarted": small_batches}
    got: dict[str, list[str]] = {}
    for name, run in runs.items():
        store, bus, m = run.store, run.bus, run.worker.mandate
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


def test_a_provisional_step_behind_a_settled_day_is_withdrawn_not_stored(
    small_batches: LiveRun,
) -> None:
    """Two workers: one settles a day while the other's provisional step for it is
    in flight; the settled notices stand, the step's others are withdrawn."""
    store, w = small_batches.store, small_batches.worker
    settled = store.escalations(-1e18, 1e18)
    day = store.get_meta(SETTLED_KEY)
    assert settled and day
    stray = replace(settled[0], id="esc-stray", time_s=settled[0].time_s + 1.0)
    a, b = settled[0].time_s, settled[0].time_s + 60.0
    plan = _Notices(issue=[stray, settled[0]], writes=[(a, b, [stray, settled[0]], day)])
    late = w._store_notices(plan)
    assert [x.id for x in late] == ["esc-stray"]
    assert sorted(x.id for x in store.escalations(-1e18, 1e18)) == sorted(x.id for x in settled)


async def _polls(w: Worker) -> int:
    """Poll ``w`` until it has nothing left to do; returns the polls that had work."""
    n = 0
    while await w.poll(0):
        n += 1
    return n


class _KilledError(Exception):
    """Stands for a SIGKILL between announcing a plan's notices and storing them."""


def test_a_worker_killed_between_announcing_and_storing_leaves_nothing_unwithdrawn(
    tmp_path: Path, donbas_mandate_path: Path, heavy_models: list[AnyObservation]
) -> None:
    """A worker announces its first provisional notices and dies before storing
    them; its successor takes the rest of the day in one poll, so the day settles
    before any provisional step is taken again. What the bus carried, less what it
    withdrew, must still be exactly what the store holds: the outbox is finished
    on restart, so the settlement sees (and withdraws) the killed plan's notices."""

    async def go() -> tuple[MemoryBus, Store, list[str], str]:
        store = pipeline.init_store(tmp_path / "live.db", donbas_mandate_path)
        m = pipeline.mandate_of(store)
        bus = MemoryBus()
        await publish_observations(bus, m, heavy_models)
        ledger = Ledger.open(tmp_path / "ledger")
        first = Worker(bus, store, ledger, m, None, WindowConfig(), batch=40)
        killed: list[str] = []

        def die(plan: _Notices) -> list[Escalation]:
            if any(day not in plan.settles for *_, day in plan.writes) and plan.issue:
                killed.extend(x.id for x in plan.issue)
                raise _KilledError
            return Worker._store_notices(first, plan)

        first._store_notices = die  # type: ignore[method-assign]
        with pytest.raises(_KilledError):
            await _polls(first)
        for s in first.read:  # what was handed out and not acknowledged comes again
            bus.reopen(first.durable(s), bus.subjects.obs(s))
        second = Worker(bus, store, ledger, m, None, WindowConfig(), batch=10**6)
        # the premise: the rest of the day in one poll (no provisional step between)
        assert await _polls(second) == 1
        return bus, store, killed, second.outbox_key

    bus, store, killed, outbox = asyncio.run(go())
    assert killed, "no provisional plan was announced"
    stored = sorted(x.id for x in store.escalations(-1e18, 1e18))
    # the case that matters: the killed plan announced a notice the settled day lacks
    assert set(killed) - set(stored)
    issued, withdrawn = _announced(bus)
    assert set(killed) <= set(issued)
    assert sorted(set(issued) - set(withdrawn)) == stored
    assert store.get_meta(outbox) == "", "the finished plan was not cleared"
