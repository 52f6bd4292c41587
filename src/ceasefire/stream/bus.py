"""The bus seam: what workers, publishers and watchers need from a message bus.

Two implementations: :class:`~ceasefire.stream.natsbus.NatsBus` (NATS JetStream,
the real one) and :class:`MemoryBus` (in-process, for unit tests of the logic
around it). Subjects (``Subjects``)::

    <prefix>.obs.<sector>   observations of one sector (message id ``source/id``)
                            and clock ticks (header ``Ceasefire-Tick``)
    <prefix>.violations     announced violations (message id = violation id)
    <prefix>.escalations    announced escalation notices (message id = notice id)
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from ceasefire.model.errors import PipelineError

#: Header of a clock tick: the publisher's (or a clock's) time, UTC epoch s.
TICK = "Ceasefire-Tick"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class Subjects:
    """Subject and stream names under one prefix (tests use a unique prefix)."""

    prefix: str = "ceasefire"

    def obs(self, sector: str) -> str:
        if not _TOKEN.match(sector):
            raise PipelineError(
                f"sector id {sector!r} cannot name a bus subject; expected letters, digits, - or _"
            )
        return f"{self.prefix}.obs.{sector}"

    @property
    def violations(self) -> str:
        return f"{self.prefix}.violations"

    @property
    def escalations(self) -> str:
        return f"{self.prefix}.escalations"

    @property
    def obs_stream(self) -> str:
        return _stream_name(self.prefix) + "_OBS"

    @property
    def violation_stream(self) -> str:
        return _stream_name(self.prefix) + "_VIOLATIONS"

    @property
    def escalation_stream(self) -> str:
        return _stream_name(self.prefix) + "_ESCALATIONS"


def _stream_name(prefix: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", prefix).upper()


@dataclass
class Delivery:
    """One message handed to a consumer; ``ack`` after what it produced is committed."""

    subject: str
    data: bytes
    headers: dict[str, str]
    ack: Callable[[], Awaitable[None]]
    seq: int = 0  # position in the stream (1-based), for quarantine rows


class Bus(Protocol):
    """The operations the live room uses."""

    subjects: Subjects

    async def publish(
        self, subject: str, data: bytes, msg_id: str, headers: dict[str, str] | None = None
    ) -> bool:
        """Publish once: False when the bus already holds ``msg_id`` (a duplicate)."""
        ...

    async def pull(
        self, durable: str, subject: str, batch: int, timeout_s: float
    ) -> list[Delivery]:
        """Up to ``batch`` unacknowledged messages of ``subject`` for the durable
        consumer ``durable`` (empty after ``timeout_s`` without any)."""
        ...

    async def flush(self) -> None:
        """Make sure acknowledgements and publishes have reached the bus."""
        ...

    def violations(self, *, from_start: bool) -> AsyncIterator[bytes]:
        """Announced violations, each once (from the start of the stream or new ones)."""
        ...

    def escalations(self, *, from_start: bool) -> AsyncIterator[bytes]:
        """Announced escalation notices, each once (as :meth:`violations`)."""
        ...

    async def close(self) -> None: ...


@dataclass
class _Consumer:
    next: int = 0
    pending: set[int] = field(default_factory=set)


class MemoryBus:
    """An in-process bus with the de-duplication and durable-consumer behaviour of
    the real one (no redelivery timer: an unacknowledged message is handed out again
    only to a consumer opened anew, as after a restart)."""

    def __init__(self, subjects: Subjects | None = None) -> None:
        self.subjects = subjects or Subjects()
        self.log: dict[str, list[tuple[bytes, dict[str, str]]]] = {}
        self.ids: set[str] = set()
        self.consumers: dict[tuple[str, str], _Consumer] = {}
        self.acked: dict[tuple[str, str], set[int]] = {}
        self._new = asyncio.Condition()

    async def publish(
        self, subject: str, data: bytes, msg_id: str, headers: dict[str, str] | None = None
    ) -> bool:
        if msg_id in self.ids:
            return False
        self.ids.add(msg_id)
        self.log.setdefault(subject, []).append((data, dict(headers or {})))
        async with self._new:
            self._new.notify_all()
        return True

    def reopen(self, durable: str, subject: str) -> None:
        """Forget what was handed out and not acknowledged (a consumer restarted)."""
        key = (durable, subject)
        acked = self.acked.get(key, set())
        n = len(self.log.get(subject, []))
        first = next((i for i in range(n) if i not in acked), n)
        self.consumers[key] = _Consumer(next=first)

    async def pull(
        self, durable: str, subject: str, batch: int, timeout_s: float
    ) -> list[Delivery]:
        key = (durable, subject)
        c = self.consumers.setdefault(key, _Consumer())
        acked = self.acked.setdefault(key, set())
        log = self.log.get(subject, [])
        out: list[Delivery] = []
        i = c.next
        while i < len(log) and len(out) < batch:
            if i not in acked and i not in c.pending:
                c.pending.add(i)
                data, headers = log[i]
                out.append(Delivery(subject, data, headers, self._acker(key, i), i + 1))
            i += 1
        c.next = i
        if not out and timeout_s > 0:
            await asyncio.sleep(min(timeout_s, 0.01))
        return out

    def _acker(self, key: tuple[str, str], i: int) -> Callable[[], Awaitable[None]]:
        async def ack() -> None:
            self.acked[key].add(i)
            self.consumers[key].pending.discard(i)

        return ack

    async def flush(self) -> None:
        return None

    def violations(self, *, from_start: bool) -> AsyncIterator[bytes]:
        return self._follow(self.subjects.violations, from_start)

    def escalations(self, *, from_start: bool) -> AsyncIterator[bytes]:
        return self._follow(self.subjects.escalations, from_start)

    async def _follow(self, subject: str, from_start: bool) -> AsyncIterator[bytes]:
        k = 0 if from_start else len(self.log.get(subject, []))
        while True:
            log = self.log.get(subject, [])
            while k < len(log):
                yield log[k][0]
                k += 1
            async with self._new:
                await self._new.wait()

    async def close(self) -> None:
        return None
