"""`ceasefire tak-reports`: spot reports from TAK devices onto the bus."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import typer

from ceasefire.cli.common import console
from ceasefire.cli.publish import NATS_OPT, PREFIX_OPT, load_mandate_of


def register(app: typer.Typer) -> None:
    """Add ``tak-reports`` to the main app."""

    @app.command("tak-reports")
    def tak_reports_cmd(
        tak: str = typer.Option(..., "--tak", help="TAK server (tcp://host:8087)"),
        nats_url: str = NATS_OPT,
        mandate: Path | None = typer.Option(None, "--mandate", "-m", help="mandate (spot types)"),
        store: str | None = typer.Option(None, "--store", "-s", help="or the store's mandate"),
        prefix: str = PREFIX_OPT,
    ) -> None:
        """Relay CoT spot reports (the mandate's tak.spot_types) as sightings to the bus."""
        from ceasefire.stream.bus import Subjects
        from ceasefire.stream.natsbus import NatsBus
        from ceasefire.stream.tak import TakClient, relay_spot_reports

        m = load_mandate_of(mandate, store)

        async def go() -> None:
            bus = await NatsBus.connect(nats_url, Subjects(prefix))
            client = await TakClient.connect(tak)
            try:
                async for what in relay_spot_reports(client, bus, m):
                    console.print(what, highlight=False)
            finally:
                await client.close()
                await bus.close()

        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(go())
