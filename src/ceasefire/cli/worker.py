"""`ceasefire worker`: a live worker for some sectors (all by default)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ceasefire.cli.common import console, err_console
from ceasefire.cli.publish import NATS_OPT, PREFIX_OPT

if TYPE_CHECKING:
    from ceasefire.model import Violation


def register(app: typer.Typer) -> None:
    """Add ``worker`` to the main app."""

    @app.command("worker")
    def worker_cmd(
        nats_url: str = NATS_OPT,
        store: str = typer.Option(..., "--store", "-s", help="store made by `ceasefire init`"),
        sector: list[str] = typer.Option([], "--sector", help="own sector (repeat); default all"),
        ledger: Path = typer.Option(Path("ledger"), "--ledger", help="ledger directory"),
        prefix: str = PREFIX_OPT,
        tile_s: float | None = typer.Option(
            None,
            "--tile-s",
            help="fusion time tile, s (default: the batch's; keep it for live = batch)",
        ),
        halo_km: float | None = typer.Option(
            None, "--halo-km", help="reports read beyond own sectors, km (default: the batch's)"
        ),
        shard: str | None = typer.Option(
            None,
            "--shard",
            help="I/N: fuse only tile k with k % N == I of the own sectors (N workers of the "
            "same sectors, I = 0..N-1, share the fusion evenly; same results as one)",
        ),
        finality: str | None = typer.Option(
            None,
            "--finality",
            help="tile: an event is final when its tile's end plus the horizon has passed "
            "(the batch's tiles); event: when its own bound has passed (steps of --step-s; "
            "lower latency). Default: the mandate's fusion.finality, which `ceasefire run` "
            "uses: another gives violations the batch does not reproduce (docs/live.md)",
        ),
        step_s: float | None = typer.Option(
            None, "--step-s", help="event finality: step, s (default: the mandate's fusion.step_s)"
        ),
        strict_flight: bool = typer.Option(
            False,
            "--strict-flight",
            help="event finality: launches wait the pairing's hard flight cap (562.5 s)",
        ),
        name: str | None = typer.Option(None, "--name", help="durable consumer name"),
        idle_exit_s: float | None = typer.Option(
            None, "--idle-exit", help="stop after S seconds without messages"
        ),
        tak: str | None = typer.Option(
            None, "--tak", help="also send violations to a TAK server (tcp:// or tls://)"
        ),
        tak_cert: Path | None = typer.Option(None, "--tak-cert", help="client certificate (TLS)"),
        tak_key: Path | None = typer.Option(None, "--tak-key", help="client key (TLS)"),
        tak_ca: Path | None = typer.Option(None, "--tak-ca", help="CA file (TLS)"),
    ) -> None:
        """Consume observations, emit final violations to the ledger and the bus."""
        from ceasefire import pipeline
        from ceasefire.ledger import Ledger
        from ceasefire.store import Store
        from ceasefire.stream.bus import Subjects
        from ceasefire.stream.natsbus import NatsBus
        from ceasefire.stream.window import Shard, WindowConfig, window_config
        from ceasefire.stream.worker import Worker

        # the settings first: a wrong one is told before anything is opened
        WindowConfig(
            tile_s=tile_s,
            halo_km=halo_km,
            finality=finality or "tile",  # type: ignore[arg-type]  # checked by WindowConfig
            step_s=step_s or 60.0,
            strict_flight=strict_flight,
        )
        st = Store.open(store)
        m = pipeline.mandate_of(st)
        wcfg = window_config(
            m,
            tile_s=tile_s,
            halo_km=halo_km,
            finality=finality,
            step_s=step_s,
            strict_flight=strict_flight,
        )
        log = Ledger.open(ledger)

        async def go() -> None:
            import time

            bus = await NatsBus.connect(nats_url, Subjects(prefix))
            client = None
            if tak is not None:
                from ceasefire.stream.tak import TakClient

                tls = {
                    k: str(v)
                    for k, v in (
                        ("PYTAK_TLS_CLIENT_CERT", tak_cert),
                        ("PYTAK_TLS_CLIENT_KEY", tak_key),
                        ("PYTAK_TLS_CLIENT_CAFILE", tak_ca),
                    )
                    if v is not None
                }
                client = await TakClient.connect(tak, **tls)

            async def to_tak(vs: Sequence[Violation]) -> None:
                if client is not None:
                    from ceasefire.stream.tak import send_violations

                    await send_violations(client, vs, m, time.time())

            w = Worker(
                bus,
                st,
                log,
                m,
                sector or None,
                wcfg,
                name=name,
                on_violations=to_tak,
                shard=Shard.parse(shard) if shard is not None else None,
            )
            console.print(
                f"worker {w.name}: own {', '.join(w.own)}"
                + (f" (tiles of shard {w.shard})" if w.shard.count > 1 else "")
                + f"; reads {', '.join(w.read)}",
                highlight=False,
            )
            fc = pipeline.fuse_config(m)
            own_cut = (tile_s is not None and tile_s != fc.tile_s) or (
                halo_km is not None and halo_km != fc.halo_km
            )
            mode = m.doc.fusion
            # event finality equals the batch when the worker takes the mandate's steps
            other_steps = wcfg.finality == "event" and (
                wcfg.step_s != mode.step_s or strict_flight or own_cut
            )
            if wcfg.finality != mode.finality or other_steps:
                err_console.print(
                    f"[bold yellow]note:[/] {wcfg.finality} finality"
                    + (f" in steps of {wcfg.step_s:g} s" if wcfg.finality == "event" else "")
                    + ": `ceasefire run` of these days fuses with the mandate's "
                    f"`fusion: {{finality: {mode.finality}"
                    + (f", step_s: {mode.step_s:g}" if mode.finality == "event" else "")
                    + "}` and gives close but not the same violations (docs/live.md, "
                    "'Event finality')",
                    highlight=False,
                )
            elif wcfg.finality == "tile" and (mode.register_over != "tile" or own_cut):
                err_console.print(
                    "[bold yellow]note:[/] `ceasefire run` of these days will not give this "
                    "record's violations: the mandate's batch "
                    + (
                        "registers observers over the whole day"
                        if m.doc.fusion.register_over != "tile"
                        else "fuses with another tile or halo than --tile-s/--halo-km"
                    )
                    + "; set `fusion: {register_over: tile}` in the mandate and keep the "
                    "default tiles for a record the batch reproduces (docs/live.md)",
                    highlight=False,
                )
            try:
                await w.run(idle_exit_s=idle_exit_s)
            finally:
                await bus.close()
                if client is not None:
                    await client.close()
            s = w.stats
            console.print(
                f"worker {w.name}: {s.received} received, {s.stored} stored, {s.rejected} "
                f"rejected, {s.steps} steps, {s.violations} violations, "
                f"{w.window.late} late",
                highlight=False,
            )
            console.print(
                f"worker {w.name}: CPU/wall s by stage: {s.stage_line()}", highlight=False
            )
            if w.window.late:
                shown = ", ".join(w.window.late_keys[:20])
                more = w.window.late - min(w.window.late, 20)
                console.print(
                    f"late reports (after their tile was final): {shown}"
                    + (f" and {more} more" if more else ""),
                    highlight=False,
                )

        try:
            asyncio.run(go())
        except KeyboardInterrupt:
            pass
        finally:
            log.close()
            st.close()
