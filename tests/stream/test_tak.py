"""TAK: violations out as Cursor-on-Target, spot reports in as sightings; against
FreeTAKServer 2.2.1 (its own venv, made by scripts/tak-venv.sh) on loopback."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import socket
import subprocess
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from ceasefire.mandate import Mandate, load_mandate
from ceasefire.model import Violation
from ceasefire.model.errors import ObservationError
from ceasefire.stream.bus import MemoryBus
from ceasefire.stream.sectors import SectorMap
from ceasefire.stream.tak import (
    TakClient,
    relay_spot_reports,
    send_violations,
    spot_report,
    violation_cot,
    wait_connected,
)

# every test of the module on one worker: its module fixtures are made once, not
# once a worker
pytestmark = pytest.mark.xdist_group("tak")

ROOT = Path(__file__).resolve().parents[2]
FTS_PY = ROOT / ".tak-venv" / "bin" / "python"


def _cot(uid: str, typ: str, lat: float, lon: float, ce: str = "25.0", callsign: str = "") -> bytes:
    t = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    s = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 600))
    return (
        f'<event version="2.0" uid="{uid}" type="{typ}" time="{t}" start="{t}" stale="{s}" '
        f'how="h-e"><point lat="{lat}" lon="{lon}" hae="0" ce="{ce}" le="9999999.0"/>'
        f'<detail><contact callsign="{callsign or uid}"/></detail></event>'
    ).encode()


def _violation(lat: float, lon: float) -> Violation:
    return Violation(
        f"v-{uuid.uuid4().hex[:20]}", "ceasefire", "major", "explosion", 1748736000.0,
        lat, lon, (400.0, 100.0, 0.0), "ua", 0.93, {"ua": 0.93, "ru": 0.07}, ("e1",),
        ("o1", "o2"), 3.2, "left", "record", None, "artillery", "luhansk", None, None, (),
        None, None,
    )  # fmt: skip


@pytest.fixture(scope="module")
def mandate(donbas_mandate_path: Path) -> Mandate:
    return load_mandate(donbas_mandate_path)


def test_a_spot_report_of_a_listed_type_is_a_sighting(mandate: Mandate) -> None:
    o = spot_report(_cot("dev-1", "a-h-G-E-W-H", 48.1, 38.2, "40.0", "OP-7"), mandate)
    assert o is not None and o.kind == "sighting"
    assert (o.object, o.source, o.position.lat, o.position_sigma_m) == (
        "artillery_ge_100mm",
        "OP-7",
        48.1,
        40.0,
    )
    unknown_ce = spot_report(_cot("dev-1", "a-h-G-E-W-R", 48.1, 38.2, "9999999.0"), mandate)
    assert unknown_ce is not None and unknown_ce.position_sigma_m == mandate.doc.tak.default_sigma_m
    assert spot_report(_cot("dev-1", "a-f-G-U-C", 48.1, 38.2), mandate) is None  # a position report


def test_a_spot_report_with_a_bad_position_names_the_field(mandate: Mandate) -> None:
    with pytest.raises(ObservationError, match=r"position\.lat"):
        spot_report(_cot("dev-2", "a-h-G-E-W-H", 123.0, 38.2), mandate)


def test_a_violation_goes_out_current_with_its_own_time_in_detail() -> None:
    now = 1_900_000_000.0
    ev = ET.fromstring(violation_cot(_violation(48.0, 38.5), now, 3600.0) or b"")
    assert ev.get("time") == ev.get("start") == "2030-03-17T17:46:40.000Z"
    assert ev.get("stale") == "2030-03-17T18:46:40.000Z"
    det = ev.find("detail/ceasefire")
    assert det is not None and det.get("time") == "2025-06-01T00:00:00.000Z"
    assert violation_cot(dataclasses.replace(_violation(48.0, 38.5), lat=None), now, 1.0) is None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def fts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A FreeTAKServer on loopback; yields its CoT TCP URL."""
    assert FTS_PY.exists(), "run scripts/tak-venv.sh (make test does)"
    cot, ssl_cot, api, dp, sdp = (_free_port() for _ in range(5))
    env = {**os.environ, "FTS_FIRST_START": "false", "FTS_API_ADDRESS": "127.0.0.1"}
    env.update({"FTS_DP_ADDRESS": "127.0.0.1", "FTS_USER_ADDRESS": "127.0.0.1"})
    log = (tmp_path_factory.mktemp("fts") / "fts.log").open("wb")
    args = [str(FTS_PY), "-m", "FreeTAKServer.controllers.services.FTS", "-AutoStart", "True"]
    args += ["-CoTIP", "127.0.0.1", "-CoTPort", str(cot), "-SSLCoTIP", "127.0.0.1"]
    args += ["-SSLCoTPort", str(ssl_cot), "-RestAPIIP", "127.0.0.1", "-RestAPIPort", str(api)]
    args += ["-DataPackageIP", "127.0.0.1", "-DataPackagePort", str(dp)]
    args += ["-SSLDataPackageIP", "127.0.0.1", "-SSLDataPackagePort", str(sdp)]
    proc = subprocess.Popen(
        args, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"tcp://127.0.0.1:{cot}"
    try:
        asyncio.run(wait_connected(url, 240.0))
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


async def _client(url: str) -> TakClient:
    """A client the server knows (a situational-awareness event with a fresh uid)."""
    c = await TakClient.connect(url)
    await c.send([_cot(f"ceasefire-test-{uuid.uuid4().hex[:8]}", "a-f-G-U-C", 48.0, 38.0)])
    return c


async def _first(c: TakClient, uid: str, timeout_s: float) -> ET.Element:
    async def find() -> ET.Element:
        async for xml in c.events():
            ev = ET.fromstring(xml)
            if ev.get("uid") == uid:
                return ev
        raise AssertionError("the server closed the connection")

    return await asyncio.wait_for(find(), timeout_s)


def test_violations_reach_a_tak_client_through_freetakserver(fts: str, mandate: Mandate) -> None:
    async def go() -> None:
        reader, sender = await _client(fts), await _client(fts)
        await asyncio.sleep(1.0)
        v = _violation(48.3, 38.6)
        assert await send_violations(sender, [v], mandate, time.time()) == 1
        ev = await _first(reader, f"ceasefire-violation-{v.id}", 30.0)
        pt = ev.find("point")
        assert pt is not None and abs(float(pt.get("lat", 0)) - 48.3) < 1e-6
        assert ev.get("type") == "b-m-p-s-m" and ev.get("how") == "m-f"
        stale = time.mktime(time.strptime(ev.get("stale", "")[:19], "%Y-%m-%dT%H:%M:%S"))
        assert stale - time.mktime(time.gmtime()) > 3000  # shown for the mandate's hour
        await reader.close()
        await sender.close()

    asyncio.run(go())


def test_spot_reports_from_a_device_come_in_as_sightings(fts: str, mandate: Mandate) -> None:
    async def go() -> None:
        bridge, device = await _client(fts), await _client(fts)
        await asyncio.sleep(1.0)
        bus = MemoryBus()
        uid = f"spot-{uuid.uuid4().hex[:8]}"
        await device.send([_cot(uid, "a-h-G-E-W-H", 48.05, 38.75, "30.0", "OP-3")])
        relay = relay_spot_reports(bridge, bus, mandate)
        assert await asyncio.wait_for(relay.__anext__(), 30.0) == "published"
        sector = SectorMap.of(mandate).sector_of(np.array([48.05]), np.array([38.75]))[0]
        ((data, _),) = bus.log[bus.subjects.obs(str(sector))]
        assert b'"object":"artillery_ge_100mm"' in data and b'"source":"OP-3"' in data
        await bridge.close()
        await device.close()

    asyncio.run(go())
