"""`ceasefire whatif`: re-judge a stored day under another mandate (other rules,
or another ladder: thresholds, windows, probabilities, order), side by side."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from ceasefire.cli.common import console, parse_day


def register(app: typer.Typer) -> None:
    """Add ``whatif`` to the main app."""

    @app.command("whatif")
    def whatif_cmd(
        mandate: Path = typer.Option(..., "--mandate", "-m", help="the alternative mandate"),
        store: str = typer.Option("ceasefire.db", "--store", "-s"),
        day: str | None = typer.Option(None, "--day", help="YYYY-MM-DD"),
        days: str | None = typer.Option(
            None, "--days", help="FROM..TO: every day of the range, on a Dask cluster"
        ),
        scheduler: str | None = typer.Option(
            None, "--scheduler", help="with --days: a Dask scheduler (tcp://host:8786)"
        ),
        workers: int | None = typer.Option(
            None, "--workers", min=1, help="with --days: local worker processes (default: cores)"
        ),
        as_json: bool = typer.Option(False, "--json", help="print JSON"),
    ) -> None:
        """Judge a stored day's events under MANDATE and compare with the stored
        mandate: violations per rule and party, then the ladder's engagements.
        With --days FROM..TO, each day of the range (spread over a Dask cluster),
        one row a day."""
        if (day is None) == (days is None):
            raise typer.BadParameter("give one of --day DAY or --days FROM..TO", param_hint="--day")
        if days is not None:
            _whatif_days(mandate, store, days, scheduler, workers, as_json)
            return
        assert day is not None
        from ceasefire.assess import compare
        from ceasefire.assess.compare import compare_engagements
        from ceasefire.assess.ladder import lookback_h
        from ceasefire.mandate import day_bounds, load_mandate
        from ceasefire.pipeline import judge_day, mandate_of
        from ceasefire.store import Store

        st = Store.open(store)
        current = mandate_of(st)
        alt = load_mandate(mandate)
        d = parse_day(day)
        start, end = day_bounds(current, d)
        events = st.events(start, end)
        back_h = max(lookback_h(current), lookback_h(alt))
        a, esc_a = judge_day(st, current, d, back_h=back_h)
        b, esc_b = judge_day(st, alt, d, back_h=back_h)
        cmp = compare(a, b)
        engagements = compare_engagements(esc_a, esc_b)
        if as_json:
            typer.echo(
                json.dumps(
                    {
                        "day": d.isoformat(),
                        "events": len(events),
                        "rows": [
                            {"rule": r, "party": p, "current": x, "alternative": y}
                            for r, p, x, y in cmp.rows
                        ],
                        "only_current": [v.id for v in cmp.only_a],
                        "only_alternative": [v.id for v in cmp.only_b],
                        "party_changed": [
                            {"current": x.id, "alternative": y.id, "from": x.party, "to": y.party}
                            for x, y in cmp.party_changed
                        ],
                        "engagements": [asdict(r) for r in engagements],
                    },
                    indent=2,
                )
            )
            return
        t = Table(title=f"{d}: {len(events):,} events judged under two mandates")
        for col in ("rule", "party", "current", str(mandate.name), "change"):
            t.add_column(col, justify="right" if col in ("current", "change") else "left")
        t.columns[3].justify = "right"
        for r, p, x, y in cmp.rows:
            t.add_row(r, p, f"{x:,}", f"{y:,}", f"{y - x:+,}" if y != x else "")
        t.add_row("total", "", f"{len(a):,}", f"{len(b):,}", f"{len(b) - len(a):+,}", style="bold")
        console.print(t)
        console.print(
            f"only under the current mandate: {len(cmp.only_a):,}; only under {mandate.name}: "
            f"{len(cmp.only_b):,}; same violation, other party: {len(cmp.party_changed):,}"
        )
        _engagements_table(engagements, str(mandate.name), current)


def _whatif_days(
    mandate: Path,
    store: str,
    days_text: str,
    scheduler: str | None,
    workers: int | None,
    as_json: bool,
) -> None:
    """``whatif --days``: every day of the range judged under both mandates on a
    Dask cluster; one row a day (the side-by-side of each is ``whatif --day``)."""
    from ceasefire import days as days_mod
    from ceasefire.assess import compare
    from ceasefire.store import Store

    wanted = days_mod.parse_day_range(days_text)
    st = Store.open(store)
    rows: list[dict[str, Any]] = []
    # a local cluster's workers open the store themselves (a remote one is sent the events)
    reach = None
    if scheduler is None:
        reach = store if "://" in store else str(Path(store).resolve())
    with days_mod.cluster(scheduler, workers) as client:
        for j in days_mod.judge_days(st, mandate, wanted, client, worker_store=reach):
            cmp = compare(j.violations_a, j.violations_b)
            rows.append(
                {
                    "day": j.day.isoformat(),
                    "events": j.events,
                    "current": len(j.violations_a),
                    "alternative": len(j.violations_b),
                    "only_current": [v.id for v in cmp.only_a],
                    "only_alternative": [v.id for v in cmp.only_b],
                    "party_changed": [
                        {"current": x.id, "alternative": y.id, "from": x.party, "to": y.party}
                        for x, y in cmp.party_changed
                    ],
                    "escalations_current": len(j.escalations_a),
                    "escalations_alternative": len(j.escalations_b),
                }
            )
    st.close()
    if as_json:
        typer.echo(json.dumps({"days": rows}, indent=2))
        return
    t = Table(title=f"{wanted[0]}..{wanted[-1]}: each day judged under two mandates")
    cols = ("day", "events", "current", str(mandate.name), "only current", "only alternative")
    for col in (*cols, "other party", "escalations"):
        t.add_column(col, justify="left" if col == "day" else "right")
    for r in rows:
        t.add_row(
            r["day"],
            f"{r['events']:,}",
            f"{r['current']:,}",
            f"{r['alternative']:,}",
            f"{len(r['only_current']):,}",
            f"{len(r['only_alternative']):,}",
            f"{len(r['party_changed']):,}",
            f"{r['escalations_current']} → {r['escalations_alternative']}",
        )
    t.add_row(
        "total",
        f"{sum(r['events'] for r in rows):,}",
        f"{sum(r['current'] for r in rows):,}",
        f"{sum(r['alternative'] for r in rows):,}",
        f"{sum(len(r['only_current']) for r in rows):,}",
        f"{sum(len(r['only_alternative']) for r in rows):,}",
        f"{sum(len(r['party_changed']) for r in rows):,}",
        "",
        style="bold",
    )
    console.print(t)


def _engagements_table(rows: list[Any], alt_name: str, m: Any) -> None:
    """The ladder's engagements side by side: times raised and the first time."""
    if not rows:
        console.print("no line of defence engaged under either mandate")
        return

    def hhmm(t: float | None) -> str:
        return "" if t is None else datetime.fromtimestamp(t, m.tz).strftime("%H:%M")

    t = Table(title="lines of defence engaged (times raised, first at, local time)")
    for col in ("line", "against", "sector", "current", alt_name):
        t.add_column(col, justify="right" if col in ("current", alt_name) else "left")
    for r in rows:
        t.add_row(
            str(r.line),
            str(r.party or "all"),
            str(r.sector or ""),
            f"{r.raised_a} at {hhmm(r.first_a)}" if r.raised_a else "-",
            f"{r.raised_b} at {hhmm(r.first_b)}" if r.raised_b else "-",
        )
    console.print(t)
