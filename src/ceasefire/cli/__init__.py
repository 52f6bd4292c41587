"""The ``ceasefire`` command line: thin, it only wires the stages."""

from __future__ import annotations

import atexit
import gc
import sys

import typer
from rich.markup import escape

from ceasefire._extras import missing_extra_error
from ceasefire.cli import audit as audit_cli
from ceasefire.cli import calibrate as calibrate_cli
from ceasefire.cli import demo as demo_cli
from ceasefire.cli import design as design_cli
from ceasefire.cli import export as export_cli
from ceasefire.cli import intervene as intervene_cli
from ceasefire.cli import ledger as ledger_cli
from ceasefire.cli import mandate as mandate_cli
from ceasefire.cli import patrol as patrol_cli
from ceasefire.cli import publish as publish_cli
from ceasefire.cli import serve as serve_cli
from ceasefire.cli import simulate as simulate_cli
from ceasefire.cli import stages as stages_cli
from ceasefire.cli import tak as tak_cli
from ceasefire.cli import users as users_cli
from ceasefire.cli import watch as watch_cli
from ceasefire.cli import whatif as whatif_cli
from ceasefire.cli import worker as worker_cli
from ceasefire.cli.common import err_console
from ceasefire.model.errors import CeasefireError

app = typer.Typer(
    name="ceasefire",
    help="Ceasefire monitoring: observations -> events -> violations -> signed log -> report.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
demo_cli.register(app)
stages_cli.register(app)
app.add_typer(mandate_cli.app, name="mandate")
app.add_typer(mandate_cli.schema_app, name="schema")
app.add_typer(design_cli.app, name="design")
app.add_typer(ledger_cli.app, name="ledger")
app.add_typer(intervene_cli.app, name="intervene")
app.add_typer(patrol_cli.app, name="patrol")
simulate_cli.register(app)
export_cli.register(app)
whatif_cli.register(app)
calibrate_cli.register(app)
serve_cli.register(app)
app.add_typer(users_cli.app, name="users")
app.add_typer(audit_cli.app, name="audit")
publish_cli.register(app)
worker_cli.register(app)
watch_cli.register(app)
tak_cli.register(app)


def main() -> None:
    """Console entry point: run the app, turning our errors into one clear line."""
    # as the process ends, the interpreter's last collections would walk every
    # object left (~0.7 CPU-s for the modules alone after a `run`, on its serial
    # tail): the heap is frozen first. What was open is closed by its owner (the
    # store, the ledger's fsynced files, the outputs' ``with`` blocks), not by the
    # collector. At exit, not here: a caller in a long process keeps its collector.
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)
    try:
        app()
    except CeasefireError as exc:
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        sys.exit(2)
    except ModuleNotFoundError as exc:
        clear = missing_extra_error(exc, "this command")
        if clear is exc:
            raise
        err_console.print(f"[bold red]error:[/] {escape(str(clear))}", highlight=False)
        sys.exit(2)
