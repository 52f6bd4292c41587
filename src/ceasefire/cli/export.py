"""`ceasefire export`: a day's events and violations from the store in a field format."""

from __future__ import annotations

from pathlib import Path

import typer

from ceasefire.cli.common import console, parse_day


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""

    @app.command("export")
    def export_cmd(
        store: str = typer.Option(
            "ceasefire.db", "--store", "-s", help="SQLite path or SQLAlchemy URL"
        ),
        day: str = typer.Option(..., "--day", help="reporting day, YYYY-MM-DD"),
        fmt: str = typer.Option(
            ...,
            "--format",
            "-f",
            help=(
                "geojson, kml, kmz (KML with its marker icon, zipped), gpkg (GeoPackage), "
                "csv or cot (a TAK data package, .zip)"
            ),
        ),
        out: Path = typer.Option(..., "--out", "-o", help="file to write"),
        mandate: Path | None = typer.Option(
            None, "--mandate", help="mandate YAML (default: the one stored at init)"
        ),
    ) -> None:
        """Write the day's violations and events as GeoJSON, KML/KMZ, GeoPackage, CSV or CoT."""
        from ceasefire.mandate import day_bounds, load_mandate, parse_mandate
        from ceasefire.model.errors import PipelineError
        from ceasefire.report import FORMATS, export
        from ceasefire.store import Store

        if fmt.lower() not in FORMATS:
            raise typer.BadParameter(
                f"{fmt!r} is not a format; expected one of {', '.join(FORMATS)}",
                param_hint="--format",
            )
        st = Store.open(store)
        try:
            if mandate is not None:
                m = load_mandate(mandate)
            else:
                text = st.mandate_text()
                if text is None:
                    from ceasefire.pipeline import public_url

                    raise PipelineError(
                        f"the store {public_url(store)} has no mandate; give --mandate M or run "
                        "`ceasefire init --mandate M --store S`"
                    )
                m = parse_mandate(text, source="<mandate stored at init>")
            start, end = day_bounds(m, parse_day(day))
            events = st.events(start, end)
            violations = st.violations(start, end)
        finally:
            st.close()
        path = export(fmt, events, violations, out, mandate=m)
        console.print(
            f"{len(violations):,} violations and {len(events):,} events of {day} -> {path}"
        )
