"""The service given a bus: `POST /observations` publishes what it accepted to the
sectors' subjects, and `/stream` relays the violations and escalation notices the live
workers announce."""

from __future__ import annotations

import asyncio
import json
import os
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
from served import simulated_lines, uvicorn_on_loopback

from ceasefire.pipeline import init_store
from ceasefire.service import ServiceConfig, hash_token, new_token
from ceasefire.stream.bus import Subjects
from ceasefire.stream.natsbus import NatsBus

NATS = os.environ.get("CEASEFIRE_TEST_NATS", "nats://127.0.0.1:4222")


def test_posted_observations_reach_the_bus_and_announcements_reach_the_stream(
    tmp_path: Path, donbas_mandate_path: Path
) -> None:
    prefix = f"svc{uuid.uuid4().hex[:12]}"
    st = init_store(tmp_path / "s.db", donbas_mandate_path)
    mon, chief = new_token(), new_token()
    st.add_user("mon", "monitor", hash_token(mon))
    st.add_user("chief", "chief", hash_token(chief))
    st.close()
    lines = simulated_lines(donbas_mandate_path, hours=1.0)
    cfg = ServiceConfig(
        store=str(tmp_path / "s.db"),
        ledger_dir=tmp_path / "ledger",
        audit_dir=tmp_path / "audit",
        pdf=False,
        bus_url=NATS,
        bus_prefix=prefix,
    )
    got: list[tuple[str, str]] = []
    try:
        with uvicorn_on_loopback(cfg) as url:
            api = url + "/api/v1"
            r = httpx.post(
                api + "/observations",
                content="\n".join(lines) + "\n",
                headers={"Authorization": f"Bearer {mon}", "Content-Type": "application/x-ndjson"},
                timeout=60,
            )
            r.raise_for_status()
            assert r.json()["accepted"] == len(lines)

            def listen() -> None:
                with httpx.stream(
                    "GET", api + "/stream", headers={"Authorization": f"Bearer {chief}"}, timeout=30
                ) as s:
                    event = "message"
                    for line in s.iter_lines():
                        if line.startswith("event:"):
                            event = line[6:].strip()
                        elif line.startswith("data:"):
                            got.append((event, line[5:].strip()))
                            if len(got) == 2:
                                return

            t = threading.Thread(target=listen, daemon=True)
            t.start()
            asyncio.run(_announce_and_count(prefix, len(lines)))
            t.join(30)
    finally:
        asyncio.run(_clean(prefix))
    assert [e for e, _ in got] == ["violation", "escalation"], got
    feature = json.loads(got[0][1])
    assert feature["properties"]["id"] == "v-test-relay"
    notice = json.loads(got[1][1])
    # the notice as the batch announces it: its time in ISO 8601, not epoch seconds
    assert notice["id"] == "x-test-relay" and notice["violation_ids"] == ["v-test-relay"]
    when = datetime.fromisoformat(notice["time"])
    assert when == datetime(2025, 6, 1, 0, 10, tzinfo=UTC) and "time_s" not in notice


async def _announce_and_count(prefix: str, n: int) -> None:
    bus = await NatsBus.connect(NATS, Subjects(prefix))
    try:
        on_bus = 0
        for sector in ("luhansk", "donetsk-north", "donetsk-south"):
            while msgs := await bus.pull(f"count-{sector}", bus.subjects.obs(sector), 1000, 1.0):
                on_bus += len(msgs)
                for m in msgs:
                    await m.ack()
        assert on_bus == n
        await asyncio.sleep(1.0)  # the SSE client is connected
        v = {
            "id": "v-test-relay", "rule": "ceasefire", "severity": "major", "kind": "explosion",
            "time_s": 1748736000.0, "lat": 48.2, "lon": 38.4, "cov_m2": [400.0, 100.0, 0.0],
            "party": "UA", "party_probability": 0.9, "probabilities": {"UA": 0.9, "RU": 0.1},
            "event_ids": ["e"], "observation_ids": ["o"], "distance_to_line_km": 2.0,
            "side": "left", "response": "record", "sector": "luhansk",
        }  # fmt: skip
        await bus.publish(bus.subjects.violations, json.dumps(v).encode(), v["id"])
        await bus.flush()
        await asyncio.sleep(0.5)  # in this order on the stream
        x = {
            "id": "x-test-relay", "state": "raised", "line": 1, "line_name": "record",
            "holder": "mission", "trigger": "1 violation in 1 h", "time_s": 1748736600.0,
            "party": "UA", "sector": "luhansk", "violation_ids": ["v-test-relay"],
            "message": "line 1 raised", "details": {},
        }  # fmt: skip
        await bus.publish(bus.subjects.escalations, json.dumps(x).encode(), x["id"])
        await bus.flush()
    finally:
        await bus.close()


async def _clean(prefix: str) -> None:
    bus = await NatsBus.connect(NATS, Subjects(prefix))
    await bus.delete_streams()
    await bus.close()
