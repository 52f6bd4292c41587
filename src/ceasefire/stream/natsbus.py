"""The bus on NATS JetStream (nats-py).

Streams (created when missing, see :class:`StreamLimits`):

- ``<PREFIX>_OBS`` on ``<prefix>.obs.>``: limits retention (messages stay for
  ``max_age_s`` whether or not consumed, so a worker that was down catches up),
  server-side de-duplication on ``Nats-Msg-Id`` (= ``source/id``) over
  ``duplicate_window_s``, and ``discard new`` when full: the bus refuses a
  publish (the publisher sees an error and retries) instead of dropping a stored
  message nobody has consumed yet.
- ``<PREFIX>_VIOLATIONS`` on ``<prefix>.violations``: the announcements,
  de-duplicated by violation id; ``<PREFIX>_ESCALATIONS`` on
  ``<prefix>.escalations``: the escalation notices, de-duplicated by notice id.

Consumers are durable pull consumers with explicit acknowledgement; at most
``max_ack_pending`` messages are handed out unacknowledged, so a slow worker
slows its own delivery (back-pressure) and nothing is dropped; a message not
acknowledged within ``ack_wait_s`` is delivered again.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import nats
from nats.errors import Error as NatsError
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    DiscardPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.errors import NotFoundError

from ceasefire.model.errors import PipelineError
from ceasefire.stream.bus import Delivery, Subjects


@dataclass(frozen=True)
class StreamLimits:
    """Sizes of the streams and consumers (defaults suit a front of thousands of
    sensors on one server: a stress day is 1.1 M messages, ~400 MB)."""

    #: a replay of the same day within this window publishes nothing twice, s
    duplicate_window_s: float = 2 * 86_400.0
    #: observations are kept this long, consumed or not, s
    max_age_s: float = 7 * 86_400.0
    #: the observation stream refuses publishes beyond this size (discard new), bytes
    max_bytes: int = 8 * 1024**3
    #: unacknowledged messages handed to one consumer at most
    max_ack_pending: int = 20_000
    #: redelivery of a message not acknowledged in time, s
    ack_wait_s: float = 60.0
    #: a publish whose acknowledgement does not come within ``publish_timeout_s`` is
    #: sent again with the same message id (the server keeps one), this many times
    publish_attempts: int = 6
    publish_timeout_s: float = 5.0


class NatsBus:
    """A :class:`~ceasefire.stream.bus.Bus` on a NATS JetStream server."""

    def __init__(self, nc: Any, subjects: Subjects, limits: StreamLimits) -> None:
        self.nc = nc
        self.js = nc.jetstream()
        self.subjects = subjects
        self.limits = limits
        self._subs: dict[tuple[str, str], Any] = {}

    @classmethod
    async def connect(
        cls, url: str, subjects: Subjects | None = None, limits: StreamLimits | None = None
    ) -> NatsBus:
        """Connect and make sure both streams exist."""
        try:
            nc = await nats.connect(
                url, connect_timeout=5, max_reconnect_attempts=-1, allow_reconnect=True
            )
        except (TimeoutError, OSError, NatsError) as exc:
            raise PipelineError(
                f"cannot reach the NATS server at {url}: {exc.__class__.__name__}: {exc}; "
                "expected a NATS server with JetStream (`nats-server -js`)"
            ) from exc
        bus = cls(nc, subjects or Subjects(), limits or StreamLimits())
        await bus._ensure_streams()
        return bus

    async def _ensure_streams(self) -> None:
        s, lim = self.subjects, self.limits
        for name, subject, max_bytes in (
            (s.obs_stream, f"{s.prefix}.obs.>", lim.max_bytes),
            (s.violation_stream, s.violations, lim.max_bytes // 8),
            (s.escalation_stream, s.escalations, lim.max_bytes // 64),
        ):
            try:
                await self.js.stream_info(name)
                continue
            except NotFoundError:
                pass
            await self.js.add_stream(
                StreamConfig(
                    name=name,
                    subjects=[subject],
                    retention=RetentionPolicy.LIMITS,
                    discard=DiscardPolicy.NEW,
                    storage=StorageType.FILE,
                    max_age=lim.max_age_s,
                    max_bytes=max_bytes,
                    duplicate_window=lim.duplicate_window_s,
                )
            )

    async def publish(
        self, subject: str, data: bytes, msg_id: str, headers: dict[str, str] | None = None
    ) -> bool:
        h = {"Nats-Msg-Id": msg_id, **(headers or {})}
        lim = self.limits
        # a busy server acknowledges late: the same id again, which it stores once
        # (after a retry, "stored before" may be this publish's own first try)
        for k in range(lim.publish_attempts - 1):
            with contextlib.suppress(TimeoutError, NatsTimeout):
                return await self._publish_once(subject, data, h) or k > 0
        try:
            return await self._publish_once(subject, data, h) or lim.publish_attempts > 1
        except (TimeoutError, NatsTimeout):
            raise PipelineError(
                f"the NATS server did not acknowledge message {msg_id!r} on {subject} in "
                f"{lim.publish_attempts} tries of {lim.publish_timeout_s:g} s; expected a "
                "JetStream server that keeps up (is it overloaded or out of disk?)"
            ) from None

    async def _publish_once(self, subject: str, data: bytes, headers: dict[str, str]) -> bool:
        """One publish and its acknowledgement; True unless the id was stored before."""
        ack = await self.js.publish(
            subject, data, timeout=self.limits.publish_timeout_s, headers=headers
        )
        return not bool(ack.duplicate)

    async def pull(
        self, durable: str, subject: str, batch: int, timeout_s: float
    ) -> list[Delivery]:
        key = (durable, subject)
        sub = self._subs.get(key)
        if sub is None:
            await self._open_consumer(durable, subject)
            sub = await self.js.pull_subscribe_bind(
                durable=durable, stream=self.subjects.obs_stream
            )
            self._subs[key] = sub
        try:
            msgs = await sub.fetch(batch, timeout=timeout_s)
        except (TimeoutError, NatsTimeout):  # nats-py raises either when idle
            return []
        return [
            Delivery(m.subject, m.data, dict(m.headers or {}), m.ack, m.metadata.sequence.stream)
            for m in msgs
        ]

    async def _open_consumer(self, durable: str, subject: str) -> None:
        """Create the durable consumer, or resume it from its acknowledgement floor.

        Messages a dead worker had fetched but not acknowledged would only come
        back after ``ack_wait``, after newer ones: the restarted worker's
        watermark would pass them. So a consumer with messages pending is made
        anew from the first unacknowledged message, in stream order (messages
        after it that were acknowledged come again; the store keeps one copy).
        """
        stream = self.subjects.obs_stream
        start: int | None = None
        try:
            info = await self.js.consumer_info(stream, durable)
            if not info.num_ack_pending:
                return
            start = int(info.ack_floor.stream_seq if info.ack_floor else 0) + 1
            await self.js.delete_consumer(stream, durable)
        except NotFoundError:
            pass
        await self.js.add_consumer(
            stream,
            ConsumerConfig(
                durable_name=durable,
                filter_subject=subject,
                ack_policy=AckPolicy.EXPLICIT,
                max_ack_pending=self.limits.max_ack_pending,
                ack_wait=self.limits.ack_wait_s,
                deliver_policy=DeliverPolicy.ALL
                if start is None
                else DeliverPolicy.BY_START_SEQUENCE,
                opt_start_seq=start,
            ),
        )

    async def flush(self) -> None:
        await self.nc.flush()

    def violations(self, *, from_start: bool) -> AsyncIterator[bytes]:
        return self._follow(self.subjects.violations, self.subjects.violation_stream, from_start)

    def escalations(self, *, from_start: bool) -> AsyncIterator[bytes]:
        return self._follow(self.subjects.escalations, self.subjects.escalation_stream, from_start)

    async def _follow(self, subject: str, stream: str, from_start: bool) -> AsyncIterator[bytes]:
        sub = await self.js.subscribe(
            subject,
            stream=stream,
            ordered_consumer=True,
            deliver_policy=DeliverPolicy.ALL if from_start else DeliverPolicy.NEW,
        )
        try:
            async for m in sub.messages:
                yield m.data
        finally:
            await sub.unsubscribe()

    async def delete_streams(self) -> None:
        """Remove the streams (tests clean up their unique prefix)."""
        s = self.subjects
        for name in (s.obs_stream, s.violation_stream, s.escalation_stream):
            with contextlib.suppress(NotFoundError):
                await self.js.delete_stream(name)

    async def close(self) -> None:
        """Send what is buffered (acknowledgements), then close. Not ``drain``: a
        pull subscription with a fetch request outstanding never drains, and
        nats-py waits its whole drain timeout (30 s) for it; publishes are
        complete already (each waited for the server's acknowledgement)."""
        try:
            for sub in self._subs.values():
                with contextlib.suppress(NatsError):
                    await sub.unsubscribe()
            self._subs.clear()
            await self.nc.flush(timeout=5)
        except (TimeoutError, NatsError):
            pass
        finally:
            await self.nc.close()
