"""`ceasefire watch`: violations as they are announced, in a live table."""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import UTC, datetime
from typing import Any

import typer
from rich.live import Live
from rich.table import Table

from ceasefire.cli.common import console
from ceasefire.cli.publish import NATS_OPT, PREFIX_OPT


def _table(rows: list[dict[str, Any]], total: int) -> Table:
    t = Table(title=f"violations announced: {total}", expand=True)
    for col in ("time (UTC)", "rule", "kind", "party", "p", "sector", "id"):
        t.add_column(col)
    for v in rows:
        t.add_row(
            datetime.fromtimestamp(v["time_s"], UTC).strftime("%Y-%m-%d %H:%M:%S"),
            str(v["rule"]),
            str(v["kind"]),
            str(v["party"]),
            f"{v['party_probability']:.2f}",
            str(v.get("sector") or ""),
            str(v["id"]),
        )
    return t


def register(app: typer.Typer) -> None:
    """Add ``watch`` to the main app."""

    @app.command("watch")
    def watch_cmd(
        nats_url: str = NATS_OPT,
        prefix: str = PREFIX_OPT,
        from_start: bool = typer.Option(False, "--from-start", help="also those announced before"),
        count: int | None = typer.Option(None, "--count", help="stop after N violations"),
        rows: int = typer.Option(20, "--rows", help="latest rows shown"),
        as_json: bool = typer.Option(False, "--json", help="one JSON line per violation"),
        escalations: bool = typer.Option(
            False, "--escalations", help="escalation notices (<prefix>.escalations) instead"
        ),
    ) -> None:
        """Show violations arriving on <prefix>.violations (or escalation notices)."""
        from ceasefire.stream.bus import Subjects
        from ceasefire.stream.natsbus import NatsBus

        async def go() -> None:
            bus = await NatsBus.connect(nats_url, Subjects(prefix))
            seen: list[dict[str, Any]] = []
            try:
                follow = bus.escalations if escalations else bus.violations
                if as_json or escalations:
                    async for data in follow(from_start=from_start):
                        print(data.decode(), flush=True)
                        seen.append({})
                        if count is not None and len(seen) >= count:
                            return
                    return
                with Live(_table([], 0), console=console, refresh_per_second=4) as live:
                    async for data in bus.violations(from_start=from_start):
                        seen.append(json.loads(data))
                        live.update(_table(seen[-rows:], len(seen)))
                        if count is not None and len(seen) >= count:
                            return
            finally:
                await bus.close()

        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(go())
