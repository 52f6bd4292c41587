"""`ceasefire whatif`: re-judge a stored day under another mandate, side by side."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from ceasefire.cli.common import console, parse_day


def register(app: typer.Typer) -> None:
    """Add ``whatif`` to the main app."""

    @app.command("whatif")
    def whatif_cmd(
        mandate: Path = typer.Option(..., "--mandate", "-m", help="the alternative mandate"),
        store: str = typer.Option("ceasefire.db", "--store", "-s"),
        day: str = typer.Option(..., "--day", help="YYYY-MM-DD"),
        as_json: bool = typer.Option(False, "--json", help="print JSON"),
    ) -> None:
        """Judge a stored day's events under MANDATE and compare with the stored mandate."""
        from ceasefire.assess import assess, compare
        from ceasefire.mandate import day_bounds, load_mandate
        from ceasefire.pipeline import mandate_of
        from ceasefire.store import Store

        st = Store.open(store)
        current = mandate_of(st)
        alt = load_mandate(mandate)
        d = parse_day(day)
        start, end = day_bounds(current, d)
        events = st.events(start, end)
        a = assess(events, current)
        b = assess(events, alt)
        cmp = compare(a, b)
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
