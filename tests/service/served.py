"""A real mission service for the tests: uvicorn on a free loopback port, over a
store (SQLite or the local PostgreSQL + PostGIS) holding a simulated day that
two monitors posted, processed and published by the chief."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from ceasefire.mandate import load_mandate
from ceasefire.pipeline import init_store
from ceasefire.service import ServiceConfig, create_app, hash_token, new_token
from ceasefire.service.audit import AuditLog
from ceasefire.simulate import get_profile, observation_lines, simulate

DAY = "2025-06-01"

#: name → (role, sectors, party)
USERS: dict[str, tuple[str, tuple[str, ...], str | None]] = {
    "mon1": ("monitor", (), None),
    "mon2": ("monitor", (), None),
    "ana_luhansk": ("analyst", ("luhansk",), None),
    "ana_south": ("analyst", ("donetsk-south",), None),
    "chief": ("chief", (), None),
    "liaison_ru": ("party", (), "RU"),
    "press": ("public", (), None),
}


@dataclass
class Served:
    """A running service and what the tests need to talk to it."""

    url: str
    tokens: dict[str, str]
    audit_dir: Path
    ledger_dir: Path
    lines: list[str]
    before_publish: dict[str, Any] = field(default_factory=dict)

    def client(self, user: str | None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[user]}"} if user else {}
        return httpx.Client(base_url=self.url + "/api/v1", headers=headers, timeout=120)

    def audit_entries(self) -> list[dict[str, Any]]:
        log = AuditLog(self.audit_dir)
        try:
            return list(log.entries())
        finally:
            log.close()


@contextmanager
def uvicorn_on_loopback(cfg: ServiceConfig) -> Iterator[str]:
    """Run the app under uvicorn on 127.0.0.1 and a port the OS picks; stop it after."""
    app = create_app(cfg)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=3)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


def simulated_lines(mandate_path: Path, hours: float = 6.0, seed: int = 1) -> list[str]:
    m = load_mandate(mandate_path)
    t0 = datetime(2025, 6, 1, tzinfo=m.tz).timestamp()
    sc = simulate(m, get_profile("quiet"), t0, hours, seed)
    return observation_lines(sc.observations)


@contextmanager
def served_world(
    target: str, tmp: Path, mandate_path: Path, lines: list[str], patrol_dir: Path | None = None
) -> Iterator[Served]:
    """The store at ``target`` with users, two monitors' halves of ``lines``
    posted, the day processed (counts for the party noted) and published."""
    st = init_store(target, mandate_path)
    tokens = {}
    for name, (role, sectors, party) in USERS.items():
        tokens[name] = new_token()
        st.add_user(name, role, hash_token(tokens[name]), sectors=sectors, party=party)
    st.close()
    cfg = ServiceConfig(
        store=target,
        ledger_dir=tmp / "ledger",
        audit_dir=tmp / "audit",
        pdf=False,
        patrol_dir=patrol_dir,
    )
    with uvicorn_on_loopback(cfg) as url:
        world = Served(url, tokens, tmp / "audit", tmp / "ledger", lines)
        half = len(lines) // 2
        for user, part in (("mon1", lines[:half]), ("mon2", lines[half:])):
            with world.client(user) as c:
                r = c.post(
                    "/observations",
                    content="\n".join(part) + "\n",
                    headers={"Content-Type": "application/x-ndjson"},
                )
                r.raise_for_status()
        with world.client("chief") as c:
            c.post(f"/days/{DAY}/process").raise_for_status()
        with world.client("liaison_ru") as c:
            world.before_publish["violations"] = c.get("/violations").json()["numberReturned"]
            world.before_publish["report"] = c.get(f"/days/{DAY}/report").status_code
        with world.client("chief") as c:
            c.post(f"/days/{DAY}/publish").raise_for_status()
        yield world
