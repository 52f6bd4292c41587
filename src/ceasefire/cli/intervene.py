"""`ceasefire intervene ...`: the force's answers to intervention requests, kept in
the ledger (append-only): list, show, ack, outcome."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from ceasefire.cli.common import console
from ceasefire.model.errors import LedgerError

app = typer.Typer(
    help="intervention requests (mode: intervene) and the force's answers, in the ledger",
    no_args_is_help=True,
)

DIR_ARG = typer.Argument(..., help="the ledger directory")
KEY_OPT = typer.Option(
    None, "--key", help="private key file, or directory holding mission.key (default DIR/keys)"
)
TIME_OPT = typer.Option(None, "--time", help="when (epoch s or ISO 8601 with zone; default now)")


def _open(path: Path, key: Path | None = None) -> Any:
    from ceasefire.ledger import Ledger

    if not (path / "ledger.json").exists():
        raise LedgerError(f"{path}: no ledger here (no ledger.json)")
    return Ledger.open(path, key)


def _time(text: str | None) -> float:
    if text is None or text == "now":
        return time.time()
    try:
        return float(text)
    except ValueError:
        pass
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise typer.BadParameter(f"{text!r}: expected epoch seconds or ISO 8601") from exc
    if dt.tzinfo is None:
        raise typer.BadParameter(f"{text!r}: give a time zone (e.g. Z)")
    return dt.timestamp()


def _iso(t: float | None) -> str:
    return "" if t is None else datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M")


def _answer(led: Any, rec: dict[str, Any]) -> None:
    from ceasefire.pipeline import answer_intervention

    head = answer_intervention(led, rec, time.time())
    console.print(f"{rec['type']} {rec['id']} appended; ledger size {head.size}, head signed")


@app.command("list")
def list_cmd(
    ledger: Path = DIR_ARG,
    now: str | None = typer.Option(None, "--now", help="judge deadlines at this time"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Every intervention request and its state (open, overdue, acknowledged, closed)."""
    from ceasefire.assess.intervene import status
    from ceasefire.pipeline import interventions

    rows = status(interventions(_open(ledger)), _time(now))
    if as_json:
        typer.echo(json.dumps(rows, indent=2, sort_keys=True))
        return
    t = Table(title=f"intervention requests in {ledger}")
    for col in ("request", "to", "line", "party", "sector", "issued", "deadline", "state"):
        t.add_column(col)
    for r in rows:
        t.add_row(
            r["id"],
            r["to"],
            str(r["line"]),
            str(r["party"]),
            str(r["sector"] or ""),
            _iso(r["issued_s"]),
            _iso(r["deadline_s"]),
            r["state"] + (f": {r['outcome']['outcome']}" if r["outcome"] else ""),
        )
    console.print(t)


@app.command("show")
def show_cmd(ledger: Path = DIR_ARG, request: str = typer.Argument(...)) -> None:
    """A request as recorded (with its proofs), then its answers."""
    from ceasefire.pipeline import intervention_request, interventions

    led = _open(ledger)
    rec = intervention_request(led, request)
    answers = [r for r in interventions(led) if r.get("request") == request]
    typer.echo(json.dumps({"request": rec, "answers": answers}, indent=2, sort_keys=True))


@app.command("ack")
def ack_cmd(
    ledger: Path = DIR_ARG,
    request: str = typer.Argument(..., help="the request's id (int-...)"),
    by: str = typer.Option(..., "--by", help="the force acknowledging"),
    at: str | None = TIME_OPT,
    note: str = typer.Option("", "--note"),
    key: Path | None = KEY_OPT,
) -> None:
    """Record that the force has the request."""
    from ceasefire.assess.intervene import ack_record

    _answer(_open(ledger, key), ack_record(request, by, _time(at), note))


@app.command("outcome")
def outcome_cmd(
    ledger: Path = DIR_ARG,
    request: str = typer.Argument(..., help="the request's id (int-...)"),
    outcome: str = typer.Argument(..., help="intervened, declined, unable or not-needed"),
    by: str = typer.Option(..., "--by", help="the force reporting"),
    at: str | None = TIME_OPT,
    note: str = typer.Option("", "--note"),
    key: Path | None = KEY_OPT,
) -> None:
    """Record what the force did; a request has one outcome."""
    from ceasefire.assess.intervene import outcome_record

    _answer(_open(ledger, key), outcome_record(request, outcome, by, _time(at), note))
