"""`ceasefire mandate check FILE` and `ceasefire schema observation`."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from ceasefire.cli.common import console

app = typer.Typer(help="Check a mandate document.", no_args_is_help=True)


@app.command("check")
def check(file: Path = typer.Argument(..., help="mandate YAML")) -> None:
    """Validate a mandate and print its parties, line, zones and rules."""
    from ceasefire.mandate import load_mandate
    from ceasefire.mandate.schema import BufferZone

    m = load_mandate(file)
    d = m.doc
    console.print(f"[bold green]valid[/] {file}: {d.mission.name}")
    console.print(f"authority: {d.mission.authority.body}, {d.mission.authority.resolution}")
    console.print(
        "parties: "
        + ", ".join(f"{p.id} ({p.name})" for p in d.parties)
        + f"; left of the line: {d.contact_line.left}, right: {d.contact_line.right}"
    )
    console.print(f"contact line: {len(m.contact.lats)} vertices, {m.contact.length_km:.1f} km")
    for pid, line in m.reference.items():
        console.print(f"reference line of {pid}: {line.length_km:.1f} km")
    zt = Table(title="zones")
    zt.add_column("id", no_wrap=True)
    for col in ("kind", "widths (km)", "area (km²)"):
        zt.add_column(col)
    for z in d.zones:
        areas = m.zone_area_km2(z.id)
        widths = (
            ", ".join(f"{k} {v:g}" for k, v in z.width_km.items())
            if isinstance(z, BufferZone)
            else ""
        )
        zt.add_row(z.id, z.kind, widths, ", ".join(f"{k} {v:,.1f}" for k, v in areas.items()))
    console.print(zt)
    rt = Table(title="rules")
    rt.add_column("id", no_wrap=True)
    for col in ("kind", "severity", "applies to", "where / when"):
        rt.add_column(col)
    for r in d.rules:
        what = ", ".join(r.events or r.objects or r.weapons) or "anything"
        where = (
            ", ".join(
                x
                for x in (
                    r.zone,
                    ",".join(r.sectors),
                    f"{r.time_window.start}-{r.time_window.end}" if r.time_window else "",
                )
                if x
            )
            or "anywhere"
        )
        rt.add_row(r.id, r.kind, r.severity, what, where)
    console.print(rt)
    console.print(
        f"response: {d.response.mode}"
        + (f", notify {', '.join(d.response.notify)}" if d.response.notify else "")
        + f"; escalation lines: {len(d.response.escalation)}; "
        f"attribution threshold {d.attribution.threshold}; day ends {d.reporting.cutoff} "
        f"{d.reporting.timezone}"
    )


schema_app = typer.Typer(help="Print JSON Schemas generated from the models.", no_args_is_help=True)


@schema_app.command("observation")
def schema_observation() -> None:
    from ceasefire.model import observation_json_schema

    """The JSON Schema of one observation record."""
    typer.echo(json.dumps(observation_json_schema(), indent=2, sort_keys=True))
