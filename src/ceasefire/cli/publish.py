"""`ceasefire publish`: replay an observation file onto the bus in time order."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ceasefire.cli.common import console

if TYPE_CHECKING:
    from ceasefire.mandate import Mandate

NATS_OPT = typer.Option("nats://127.0.0.1:4222", "--nats", help="NATS server URL")
PREFIX_OPT = typer.Option(
    "ceasefire", "--prefix", help="subject prefix (streams are named after it)"
)


def register(app: typer.Typer) -> None:
    """Add ``publish`` to the main app."""

    @app.command("publish")
    def publish_cmd(
        file: Path = typer.Argument(..., help="observations (NDJSON, CSV or GeoJSON)"),
        nats_url: str = NATS_OPT,
        speed: float = typer.Option(
            60.0, "--speed", help="times real time; 0: as fast as possible"
        ),
        mandate: Path | None = typer.Option(None, "--mandate", "-m", help="mandate (sectors)"),
        store: str | None = typer.Option(None, "--store", "-s", help="or the store's mandate"),
        prefix: str = PREFIX_OPT,
        tick_s: float = typer.Option(30.0, "--tick-s", help="clock tick every S of replayed time"),
        close: bool = typer.Option(True, "--close/--no-close", help="close the days at the end"),
    ) -> None:
        """Publish a file's observations, one subject per sector, message id source/id."""
        from ceasefire.stream.replay import publish_observations, read_file

        m = load_mandate_of(mandate, store)
        res = read_file(file)
        for r in res.rejected[:10]:
            console.print(f"[yellow]rejected[/] {r.file}:{r.line}: {r.reason}", highlight=False)

        async def go() -> None:
            from ceasefire.stream.bus import Subjects
            from ceasefire.stream.natsbus import NatsBus

            bus = await NatsBus.connect(nats_url, Subjects(prefix))
            try:
                out = await publish_observations(
                    bus, m, res.accepted, speed=speed, tick_s=tick_s, close=close
                )
            finally:
                await bus.close()
            console.print(
                f"published {out.published} observation(s), {out.duplicate} already on the bus, "
                f"{len(res.rejected)} rejected, {len(res.duplicates)} duplicate in the file; "
                f"{out.ticks} clock ticks",
                highlight=False,
            )

        asyncio.run(go())


def load_mandate_of(mandate: Path | None, store: str | None) -> Mandate:
    """The mandate from a file or from a store."""
    from ceasefire import pipeline
    from ceasefire.mandate import load_mandate
    from ceasefire.model.errors import PipelineError
    from ceasefire.store import Store

    if mandate is not None:
        return load_mandate(mandate)
    if store is not None:
        s = Store.open(store)
        try:
            return pipeline.mandate_of(s)
        finally:
            s.close()
    raise PipelineError("give --mandate M or --store S: the mandate's sectors name the subjects")
