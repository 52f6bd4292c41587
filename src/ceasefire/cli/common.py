"""Small helpers shared by the CLI modules: consoles, day parsing, progress."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

console = Console()
err_console = Console(stderr=True)


def parse_day(text: str) -> date:
    """``YYYY-MM-DD`` → date, with a clear error."""
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(f"{text!r} is not a day; expected YYYY-MM-DD") from exc


@contextmanager
def spinner(title: str) -> Iterator[Progress]:
    """A rich progress display whose task description the caller updates."""
    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as prog:
        prog.add_task(title, total=None)
        yield prog


def step(prog: Progress, text: str) -> None:
    """Show ``text`` as the current step."""
    prog.update(prog.task_ids[0], description=text)
