"""In-process broadcast of committed violations and escalations to the
``/stream`` subscribers (server-sent events), filtered by role and sector."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from ceasefire.service.auth import Principal

__all__ = ["Broadcast"]

#: Seconds between keep-alive comments on an idle stream.
KEEPALIVE_S = 15.0
#: Messages kept per subscriber before the oldest are dropped (a slow client).
QUEUE = 10_000


class Broadcast:
    """Fan-out from worker threads to the event loop's subscriber queues."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._subs: dict[int, tuple[Principal, asyncio.Queue[str | None]]] = {}
        self._lock = threading.Lock()
        self._next = 0
        self._closed = False

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def publish(self, kind: str, sector: str | None, payload: dict[str, Any]) -> None:
        """Send ``payload`` as an SSE ``kind`` event to every subscriber allowed to see
        ``sector`` (callable from any thread)."""
        loop = self._loop
        if loop is None:
            return
        msg = f"event: {kind}\ndata: {json.dumps(payload, ensure_ascii=False)}\n\n"
        with self._lock:
            targets = [q for p, q in self._subs.values() if _visible(p, sector)]
        for q in targets:
            loop.call_soon_threadsafe(_offer, q, msg)

    async def events(
        self, user: Principal, disconnected: Callable[[], Awaitable[bool]]
    ) -> AsyncIterator[str]:
        """The stream of one subscriber until it disconnects or the server stops."""
        q: asyncio.Queue[str | None] = asyncio.Queue(QUEUE)
        with self._lock:
            key = self._next
            self._next += 1
            self._subs[key] = (user, q)
        try:
            yield ": connected\n\n"
            while not self._closed:
                try:
                    msg = await asyncio.wait_for(q.get(), KEEPALIVE_S)
                except TimeoutError:
                    if await disconnected():
                        return
                    yield ": keep-alive\n\n"
                    continue
                if msg is None:
                    return
                yield msg
        finally:
            with self._lock:
                self._subs.pop(key, None)

    def close(self) -> None:
        """End every stream (server shutdown)."""
        self._closed = True
        with self._lock:
            subs = list(self._subs.values())
        for _, q in subs:
            _offer(q, None)


def _offer(q: asyncio.Queue[str | None], msg: str | None) -> None:
    if q.full():
        q.get_nowait()
    q.put_nowait(msg)


def _visible(p: Principal, sector: str | None) -> bool:
    if p.role == "chief":
        return True
    return p.role == "analyst" and sector in p.sectors
