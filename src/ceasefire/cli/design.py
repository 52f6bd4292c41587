"""`ceasefire design ...` commands: check a mission design, replay recorded votes."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

app = typer.Typer(help="design commands", no_args_is_help=True)


@app.command("check")
def check(
    design: Path = typer.Argument(..., help="the design file (YAML)"),
    as_json: bool = typer.Option(False, "--json", help="print JSON instead of tables"),
) -> None:
    """Council vote, eligibility per party, the joint set and why, consistency, the force."""
    from ceasefire.design.check import check_design
    from ceasefire.design.designfile import load_design
    from ceasefire.design.render import render_check

    report = check_design(load_design(design))
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        render_check(report, Console())


@app.command("vote")
def vote(
    votes: Path = typer.Argument(..., help="recorded votes, in the format of unsc_votes.csv"),
    as_json: bool = typer.Option(False, "--json", help="print JSON instead of a table"),
) -> None:
    """Replay recorded Council votes; exit 1 if an outcome differs from the record."""
    from ceasefire.design.council import read_votes, replay
    from ceasefire.design.render import render_votes

    results = replay(read_votes(votes))
    if as_json:
        typer.echo(json.dumps([r.to_dict() for r in results], indent=2, ensure_ascii=False))
    else:
        render_votes(results, Console())
    if any(r.matches is False for r in results):
        raise typer.Exit(1)
