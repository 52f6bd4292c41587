"""The in-memory bus keeps the contract the NATS one is tested for."""

from __future__ import annotations

import asyncio

import pytest

from ceasefire.model.errors import PipelineError
from ceasefire.stream.bus import MemoryBus, Subjects


def test_same_message_id_is_stored_once() -> None:
    async def go() -> None:
        bus = MemoryBus()
        assert await bus.publish("ceasefire.obs.a", b"1", "s/1")
        assert not await bus.publish("ceasefire.obs.a", b"1 again", "s/1")
        got = await bus.pull("w", "ceasefire.obs.a", 10, 0)
        assert [d.data for d in got] == [b"1"]

    asyncio.run(go())


def test_unacknowledged_messages_come_back_to_a_reopened_consumer() -> None:
    async def go() -> None:
        bus = MemoryBus()
        for i in range(3):
            await bus.publish("x", str(i).encode(), f"s/{i}")
        first = await bus.pull("w", "x", 10, 0)
        await first[0].ack()
        assert await bus.pull("w", "x", 10, 0) == []  # handed out, not yet acked
        bus.reopen("w", "x")  # the worker restarted
        again = await bus.pull("w", "x", 10, 0)
        assert [d.data for d in again] == [b"1", b"2"]

    asyncio.run(go())


def test_a_sector_that_cannot_name_a_subject_is_refused() -> None:
    with pytest.raises(PipelineError, match="cannot name a bus subject"):
        Subjects("p").obs("north.east")
