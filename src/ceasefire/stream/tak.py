"""TAK in and out (pytak): violations as Cursor-on-Target events to a TAK server,
spot reports from field devices back as ``sighting`` observations.

Out: the marker of ``report.cot`` (type, position, error ellipse, the
violation's attributes in ``detail/ceasefire``) with ``time``/``start`` when it
is sent and ``stale`` ``mandate.tak.stale_s`` later, so that clients show a
violation of a replayed or late day too (the violation's own time is in
``detail``). TCP (``tcp://host:port``) or TLS (``tls://``, with
``PYTAK_TLS_CLIENT_CERT``/``KEY``/``CAFILE`` in the config).

In: a CoT ``event`` whose type the mandate lists in ``tak.spot_types`` becomes a
sighting observation (source: the device's callsign or uid; id: the event uid
and time), validated by the same contract as a file's records.
"""

from __future__ import annotations

import asyncio
import configparser
import contextlib
import re
import warnings
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from ceasefire.ingest.validate import format_validation_error
from ceasefire.mandate import Mandate
from ceasefire.model import Violation
from ceasefire.model.errors import ObservationError, PipelineError
from ceasefire.model.observation import OBSERVATION_ADAPTER, SightingObservation
from ceasefire.report.cot import violation_event

with warnings.catch_warnings():
    # pytak warns that aiohttp is missing: only its tak:// enrolment needs it
    warnings.simplefilter("ignore", UserWarning)
    import pytak

#: ``ce``/``le`` value that CoT uses for "unknown".
UNKNOWN_CE = 9_999_999.0
_EVENT = re.compile(rb"<event\b.*?</event>|<event\b[^>]*/>", re.S)


def _t(time_s: float) -> str:
    return datetime.fromtimestamp(time_s, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def violation_cot(v: Violation, now_s: float, stale_s: float) -> bytes | None:
    """One violation as a CoT event sent at ``now_s`` (None without a position)."""
    el = violation_event(v)
    if el is None:
        return None
    el.set("time", _t(now_s))
    el.set("start", _t(now_s))
    el.set("stale", _t(now_s + stale_s))
    det = el.find("detail/ceasefire")
    if det is not None:
        det.set("time", _t(v.time_s))
    return ET.tostring(el)


def pytak_config(url: str, **tls: str) -> configparser.SectionProxy:
    """A pytak configuration section for ``url`` (``PYTAK_TLS_*`` settings in ``tls``)."""
    cp = configparser.ConfigParser()
    cp["ceasefire"] = {"COT_URL": url, "PYTAK_NO_HELLO": "1", **tls}
    return cp["ceasefire"]


class TakClient:
    """A connection to a TAK server (pytak's protocol factory)."""

    def __init__(self, reader: Any, writer: Any) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, url: str, **tls: str) -> TakClient:
        try:
            reader, writer = await pytak.protocol_factory(pytak_config(url, **tls))
        except (OSError, SyntaxError) as exc:
            raise PipelineError(f"cannot reach the TAK server at {url}: {exc}") from exc
        return cls(reader, writer)

    async def send(self, messages: Sequence[bytes]) -> None:
        for m in messages:
            self.writer.write(m)
        await self.writer.drain()

    async def events(self) -> AsyncIterator[bytes]:
        """Each CoT ``event`` the server relays to this client."""
        buf = b""
        while True:
            chunk = await self.reader.read(65536)
            if not chunk:
                return
            buf += chunk
            end = 0
            for m in _EVENT.finditer(buf):
                yield m.group(0)
                end = m.end()
            buf = buf[end:]

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError, ConnectionError):
            await self.writer.wait_closed()


async def send_violations(
    client: TakClient, violations: Sequence[Violation], mandate: Mandate, now_s: float
) -> int:
    """Send the located ``violations``; returns how many went out."""
    msgs = [m for v in violations if (m := violation_cot(v, now_s, mandate.doc.tak.stale_s))]
    await client.send(msgs)
    return len(msgs)


def spot_report(xml: bytes, mandate: Mandate) -> SightingObservation | None:
    """The sighting a CoT spot report carries (None when its type is not a spot
    report type of the mandate); a malformed one raises ObservationError."""
    try:
        ev = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise ObservationError(f"not CoT XML: {exc}", field="event") from exc
    obj = mandate.doc.tak.spot_types.get(ev.get("type", ""))
    if ev.tag != "event" or obj is None:
        return None
    pt = ev.find("point")
    contact = ev.find("detail/contact")
    uid = ev.get("uid", "")
    when = ev.get("time") or ev.get("start") or ""
    ce = _float(pt.get("ce") if pt is not None else None)
    record: dict[str, Any] = {
        "kind": "sighting",
        "id": f"{uid}@{when}",
        "source": (contact.get("callsign") if contact is not None else None) or uid,
        "time": when,
        "position": {
            "lat": _float(pt.get("lat")) if pt is not None else None,
            "lon": _float(pt.get("lon")) if pt is not None else None,
        },
        "position_sigma_m": ce
        if ce is not None and 0 < ce < UNKNOWN_CE
        else mandate.doc.tak.default_sigma_m,
        "object": obj,
    }
    try:
        out = OBSERVATION_ADAPTER.validate_python(record)
    except ValidationError as exc:
        raise ObservationError(
            f"CoT spot report {uid!r}: {format_validation_error(exc)}", field="event"
        ) from exc
    assert isinstance(out, SightingObservation)
    return out


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


async def wait_connected(url: str, timeout_s: float) -> None:
    """Wait until a TAK server accepts connections at ``url``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        try:
            c = await TakClient.connect(url)
            await c.close()
            return
        except PipelineError:
            if loop.time() > deadline:
                raise
            await asyncio.sleep(0.5)


async def relay_spot_reports(client: TakClient, bus: Any, mandate: Mandate) -> AsyncIterator[str]:
    """Publish every spot report the TAK server relays to ``client`` onto the bus
    (its sector's subject, message id ``source/id``); yields what happened to each
    CoT event of a spot-report type (``published``, ``duplicate`` or the error)."""
    from ceasefire.stream.sectors import SectorMap

    smap = SectorMap.of(mandate)
    async for xml in client.events():
        try:
            o = spot_report(xml, mandate)
        except ObservationError as exc:
            yield f"rejected: {exc}"
            continue
        if o is None:
            continue
        sector = smap.of_observations([o])[0]
        fresh = await bus.publish(
            bus.subjects.obs(sector), o.model_dump_json().encode(), f"{o.source}/{o.id}"
        )
        yield "published" if fresh else "duplicate"
