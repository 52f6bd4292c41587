"""``publish``: observations onto the bus, one subject per sector, in time order.

A file is replayed at ``speed`` times real time (0: as fast as the bus takes
it). Every ``tick_s`` of replayed time, and once at the end, a clock tick goes
to every sector's subject, so that a quiet sector does not hold its workers'
watermark back; the last tick closes the replayed reporting days: it comes
``close_wait_s`` after the last day's end, when a worker (of the mandate's
tiling) has made that day whole, sightings and tiles, and settles its notices.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ceasefire.ingest import IngestResult, ingest_files
from ceasefire.mandate import Mandate, day_bounds, day_of
from ceasefire.model.arrays import AnyObservation
from ceasefire.model.errors import PipelineError
from ceasefire.pipeline import LATE_MARGIN_S
from ceasefire.stream.bus import TICK, Bus
from ceasefire.stream.sectors import SectorMap
from ceasefire.stream.window import horizon_s, live_fuse_config

#: Publishes in flight at once (each waits for the server's acknowledgement).
IN_FLIGHT = 256


def close_wait_s(mandate: Mandate) -> float:
    """How long past a day's end the watermark must be for a worker with the
    mandate's tiling to have closed the day (its sightings) and made its last
    tile final, s."""
    return max(LATE_MARGIN_S, horizon_s(live_fuse_config(mandate)))


@dataclass
class ReplayResult:
    """What a replay did: counts, and when each observation went out (wall, s)."""

    ingest: dict[str, int]
    published: int = 0
    duplicate: int = 0
    ticks: int = 0
    sent_at: dict[str, float] = field(default_factory=dict)  # "source/id" -> time.time()


def read_file(path: Path) -> IngestResult:
    """Validate a file against the observation contract (rejects are reported)."""
    if not path.exists():
        raise PipelineError(f"observation file not found: {path}")
    return ingest_files([path])


async def publish_observations(
    bus: Bus,
    mandate: Mandate,
    models: Sequence[AnyObservation],
    *,
    speed: float = 0.0,
    tick_s: float = 30.0,
    close: bool = True,
    progress: Callable[[int], None] | None = None,
) -> ReplayResult:
    """Publish ``models`` in perceived-time order at ``speed`` × real time."""
    res = ReplayResult(ingest={})
    smap = SectorMap.of(mandate)
    order = sorted(models, key=lambda o: (o.time.timestamp(), o.source, o.id))
    sectors = smap.of_observations(order)
    subj = bus.subjects
    t0_wall = time.monotonic()
    t0 = order[0].time.timestamp() if order else 0.0
    next_tick = t0
    pending: list[asyncio.Task[bool]] = []

    async def drain() -> None:
        for ok in await asyncio.gather(*pending):
            if ok:
                res.published += 1
            else:
                res.duplicate += 1
        pending.clear()

    async def ticks(t: float) -> None:
        await drain()
        for s in smap.ids:
            await bus.publish(subj.obs(s), b"", f"tick/{s}/{t:.3f}", {TICK: repr(t)})
            res.ticks += 1

    for k, (o, sec) in enumerate(zip(order, sectors, strict=True)):
        t = o.time.timestamp()
        if speed > 0:
            wait = t0_wall + (t - t0) / speed - time.monotonic()
            if wait > 0:
                await drain()
                await asyncio.sleep(wait)
        while t >= next_tick:
            await ticks(next_tick)
            next_tick += tick_s
        key = f"{o.source}/{o.id}"
        res.sent_at[key] = time.time()
        pending.append(
            asyncio.ensure_future(bus.publish(subj.obs(sec), o.model_dump_json().encode(), key))
        )
        if len(pending) >= IN_FLIGHT:
            await drain()
        if progress is not None and k % 1000 == 0:
            progress(k)
    await drain()
    if order:
        last = order[-1].time.timestamp()
        end = last
        if close:
            end = day_bounds(mandate, day_of(mandate, last))[1] + close_wait_s(mandate)
        await ticks(max(end, last) + 1.0)
    await bus.flush()
    return res


async def publish_to_bus(bus: Bus, mandate: Mandate, models: Sequence[AnyObservation]) -> int:
    """Publish observations as they come (the service's ingest): each to its
    sector's subject, message id ``source/id``; returns how many were new to the bus.
    No clock ticks: the watermark of a live deployment comes from its clock."""
    smap = SectorMap.of(mandate)
    subj = bus.subjects
    sent = await asyncio.gather(
        *(
            bus.publish(subj.obs(sec), o.model_dump_json().encode(), f"{o.source}/{o.id}")
            for o, sec in zip(models, smap.of_observations(models), strict=True)
        )
    )
    return sum(1 for ok in sent if ok)
