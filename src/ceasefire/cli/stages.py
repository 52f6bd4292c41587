"""The pipeline's verbs: `run` (one shot) and `init`, `ingest`, `fuse`,
`assess`, `report` (stepwise on a store)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from ceasefire.cli.common import StageProgress, console, parse_day

if TYPE_CHECKING:
    from ceasefire import pipeline
    from ceasefire.store import Store


def _pipeline():  # type: ignore[no-untyped-def]
    """The pipeline module, imported when a verb runs (it pulls in every room,
    and the ``pipeline`` extra's dependencies)."""
    from ceasefire import pipeline

    return pipeline


def _store(target: str) -> Store:
    from ceasefire.store import Store

    return Store.open(target)


STORE_OPT = typer.Option("ceasefire.db", "--store", "-s", help="SQLite path or SQLAlchemy URL")
DAYS_OPT = typer.Option(
    None, "--days", help="FROM..TO (YYYY-MM-DD..YYYY-MM-DD): these days, on a Dask cluster"
)
SCHEDULER_OPT = typer.Option(
    None, "--scheduler", help="a Dask scheduler (tcp://host:8786); default: a local cluster"
)
WORKERS_OPT = typer.Option(
    None, "--workers", min=1, help="worker processes of the local cluster (default: one per core)"
)


def _days(store: Store, day: str | None) -> list[date]:
    pipeline = _pipeline()
    m = pipeline.mandate_of(store)
    return [parse_day(day)] if day else pipeline.stored_days(store, m)


def counts_table(counts: dict[str, int]) -> Table:
    t = Table(title="observations")
    for k in ("input", "accepted", "rejected", "duplicate"):
        if k in counts:
            t.add_column(k, justify="right")
    t.add_row(
        *(f"{counts[k]:,}" for k in ("input", "accepted", "rejected", "duplicate") if k in counts)
    )
    return t


def days_table(summary: pipeline.RunSummary) -> Table:
    t = Table(title="per reporting day")
    for col in (
        "day",
        "observations",
        "events",
        "violations",
        "undetermined",
        "escalations",
        "ledger size",
    ):
        t.add_column(col, justify="right")
    for d in summary.days:
        und = sum(1 for v in d.violations if v.party == "undetermined")
        t.add_row(
            d.day.isoformat(),
            f"{d.observations:,}",
            f"{d.n_events:,}",
            f"{len(d.violations):,}",
            f"{und:,}",
            str(len(d.escalations)),
            str((d.head or {}).get("size", "")),
        )
    return t


def register(app: typer.Typer) -> None:
    """Add the pipeline verbs to ``app``."""

    @app.command("run")
    def run_cmd(
        mandate: Path = typer.Option(..., "--mandate", "-m", help="mandate YAML"),
        observations: list[Path] = typer.Option(
            ..., "--observations", "-o", help="NDJSON, GeoJSON or CSV"
        ),
        out: Path = typer.Option(Path("out"), "--out", help="output directory"),
        store: str | None = typer.Option(None, "--store", help="store URL (default: OUT/store.db)"),
        pdf: bool = typer.Option(True, "--pdf/--no-pdf", help="also render the PDF report"),
        days: str | None = DAYS_OPT,
        scheduler: str | None = SCHEDULER_OPT,
        workers: int | None = WORKERS_OPT,
    ) -> None:
        """One shot: ingest, fuse, assess, sign and report into OUT.

        With --days FROM..TO, those days are fused on a Dask cluster (a local one
        unless --scheduler); storing, judging and signing stay here, in day order."""
        from ceasefire import maps_child

        # the last day's maps' interpreter imports while this one does
        early = maps_child.spawn_for(observations)
        try:
            pipeline = _pipeline()
            wanted = fuser = None
            if days is not None or scheduler is not None or workers is not None:
                from ceasefire import days as days_mod

                wanted = days_mod.parse_day_range(days) if days is not None else None
                # a local cluster's workers read the observations from the store themselves
                reach = None
                if scheduler is None:
                    target = store or str(out / "store.db")
                    reach = target if "://" in target else str(Path(target).resolve())
                # the cluster starts when the first day is fused (after ingest)
                fuser = days_mod.dask_fuse_days(
                    scheduler=scheduler, workers=workers, worker_store=reach
                )
            with StageProgress("run") as progress:
                summary = pipeline.run(
                    mandate,
                    observations,
                    out,
                    store_url=store,
                    pdf=pdf,
                    progress=progress,
                    only_days=wanted,
                    fuse_days=fuser,
                    maps_early=early,
                )
        except BaseException:
            # ``run`` ends it itself once called
            maps_child.dismiss(early)
            raise
        console.print(counts_table(summary.counts))
        console.print(days_table(summary))
        for k, p in sorted(summary.outputs.items()):
            console.print(f"  {k:12s} {p}", highlight=False)
        if "store" not in summary.outputs:
            console.print(f"  {'store':12s} {summary.store}", highlight=False)
        if "report_html" in summary.outputs:
            console.print(f"[bold]report:[/] {summary.outputs['report_html']}")

    @app.command("init")
    def init_cmd(
        mandate: Path = typer.Option(..., "--mandate", "-m"),
        store: str = STORE_OPT,
        force: bool = typer.Option(
            False, "--force", help="replace the mandate of a store that holds observations"
        ),
    ) -> None:
        """Create a store and keep the mandate in it."""
        pipeline = _pipeline()
        from ceasefire.mandate import load_mandate
        from ceasefire.store import Store

        load_mandate(mandate)
        st = Store.create(store)
        try:
            change = pipeline.set_mandate(st, mandate, force=force)
        finally:
            st.close()
        shown = pipeline.public_url(store)
        if change is not None:
            console.print(
                f"replaced the mandate of {shown} ({change['previous_source']} → {mandate}); "
                "the old one is kept in the store's mandate history",
                highlight=False,
            )
        console.print(f"store ready: {shown} (mandate {mandate})", highlight=False)

    @app.command("ingest")
    def ingest_cmd(
        files: list[Path] = typer.Argument(..., help="NDJSON, GeoJSON or CSV files"),
        store: str = STORE_OPT,
        quarantine: Path | None = typer.Option(
            None, "--quarantine", help="also write rejects here"
        ),
    ) -> None:
        """Validate and store observations; rejects and duplicates go to quarantine."""
        pipeline = _pipeline()
        st = _store(store)
        with StageProgress("ingesting") as progress:
            result = pipeline.ingest_into(st, files, quarantine, progress=progress)
        console.print(counts_table(result.counts))
        for r in result.rejected[:10]:
            console.print(f"  rejected {r.file}:{r.line}: {r.reason}", highlight=False)
        if len(result.rejected) > 10:
            console.print(f"  ... {len(result.rejected) - 10} more in the store's quarantine")
        conflicting = result.conflicting
        if conflicting:
            console.print(
                f"[yellow]{len(conflicting):,} duplicate(s) conflict[/] with an earlier record of "
                "the same source and id (different content; the first is kept, these are in "
                "quarantine):",
                highlight=False,
            )
            for d in conflicting[:10]:
                console.print(
                    f"  conflicting {d.file}:{d.line}: {d.source}/{d.id}", highlight=False
                )

    @app.command("fuse")
    def fuse_cmd(store: str = STORE_OPT, day: str | None = typer.Option(None, "--day")) -> None:
        """Fuse stored observations into events (each day, or --day)."""
        pipeline = _pipeline()
        st = _store(store)
        m = pipeline.mandate_of(st)
        for d in _days(st, day):
            with StageProgress(f"{d}: fusing") as progress:
                n, events = pipeline.fuse_day(st, m, d, progress=progress)
            console.print(f"{d}: {n:,} observations → {len(events):,} events")

    @app.command("assess")
    def assess_cmd(
        store: str = STORE_OPT,
        day: str | None = typer.Option(None, "--day"),
        mandate: Path | None = typer.Option(
            None, "--mandate", help="judge under this mandate instead"
        ),
        ledger: Path | None = typer.Option(None, "--ledger", help="append to and sign this ledger"),
    ) -> None:
        """Judge stored events against the mandate (each day, or --day)."""
        from ceasefire.mandate import day_bounds, load_mandate

        pipeline = _pipeline()
        st = _store(store)
        m = pipeline.mandate_of(st, load_mandate(mandate) if mandate else None)
        led = None
        if ledger is not None:
            from ceasefire.ledger import Ledger

            led = Ledger.open(ledger)
        for d in _days(st, day):
            violations, escalations, notes = pipeline.assess_day(st, m, d)
            msg = (
                f"{d}: {len(violations):,} violations, {len(escalations)} escalation notices, "
                f"{len(notes)} notices to send"
            )
            if led is not None:
                start, end = day_bounds(m, d)
                head = pipeline.ledger_day(
                    led,
                    d,
                    end,
                    st.observation_models(start, end + pipeline.LATE_MARGIN_S),
                    violations,
                    escalations,
                )
                from ceasefire.assess.intervene import intervention_requests

                reqs = intervention_requests(
                    escalations, violations, m, events=st.events(start, end)
                )
                sent = pipeline.intervene_day(led, reqs, end)
                if sent:
                    msg += f"; {len(sent)} intervention requests"
                    latest = led.latest_head()
                    head = latest.to_dict() if latest is not None else head
                msg += f"; ledger size {head['size']}, root {str(head['root_hash'])[:16]}…"
            console.print(msg)

    @app.command("report")
    def report_cmd(
        store: str = STORE_OPT,
        day: str = typer.Option(..., "--day"),
        out: Path = typer.Option(Path("report"), "--out"),
        ledger: Path | None = typer.Option(None, "--ledger", help="show this ledger's latest head"),
        pdf: bool = typer.Option(True, "--pdf/--no-pdf"),
        patrol: Path | None = typer.Option(
            None, "--patrol", help="add the coverage of this patrol plan (its --out folder)"
        ),
    ) -> None:
        """Render the daily report of --day from the store."""
        pipeline = _pipeline()
        st = _store(store)
        m = pipeline.mandate_of(st)
        head = None
        if ledger is not None:
            from ceasefire.ledger import Ledger

            heads = Ledger.open(ledger).heads()
            head = heads[-1].to_dict() if heads else None
        cov = None
        if patrol is not None:
            from ceasefire.patrol.files import read_coverage

            cov = read_coverage(patrol)
        paths = pipeline.report_day(st, m, parse_day(day), out, head=head, pdf=pdf, patrol=cov)
        for k, p in sorted(paths.items()):
            console.print(f"  {k:6s} {p}")

    @app.command("summary", hidden=True)
    def summary_cmd(path: Path) -> None:
        """Print a run's summary.json as tables."""
        data = json.loads(path.read_text())
        console.print_json(data=data)
