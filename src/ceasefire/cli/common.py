"""Small helpers shared by the CLI modules: consoles, day parsing, progress."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

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


#: Seconds between two progress lines when the output is not a terminal.
PROGRESS_EVERY_S = 30.0


def _duration(seconds: float) -> str:
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


class StageProgress:
    """A long command's progress, told ``(text)`` when a stage starts and
    ``(text, done, total)`` as it advances (the pipeline's ``Progress``).

    On a terminal: a rich line with the stage, a bar, the counts, the time
    elapsed and the time left. Otherwise (a log, a pipe, CI): a line on stderr
    when a stage starts and then every ``every_s`` seconds (the environment's
    ``CEASEFIRE_PROGRESS_EVERY_S``, default :data:`PROGRESS_EVERY_S`) with the
    counts, the time elapsed and the time left.
    """

    def __init__(
        self,
        title: str,
        *,
        every_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        env = os.environ.get("CEASEFIRE_PROGRESS_EVERY_S")
        self.every_s = every_s if every_s is not None else float(env or PROGRESS_EVERY_S)
        self.title = title
        self.live = console.is_terminal
        self.clock = clock
        self._prog: Progress | None = None
        self._text: str | None = None
        self._t0 = self._stage_t0 = self._last_log = clock()

    def __enter__(self) -> StageProgress:
        if self.live:
            self._prog = Progress(
                SpinnerColumn(),
                TextColumn("[bold]{task.description}"),
                BarColumn(bar_width=24),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("left"),
                TimeRemainingColumn(),
                console=console,
                transient=True,
            )
            self._prog.__enter__()
            self._prog.add_task(self.title, total=None)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._prog is not None:
            self._prog.__exit__(None, None, None)

    def __call__(self, text: str, done: int | None = None, total: int | None = None) -> None:
        now = self.clock()
        new = text != self._text
        if new:
            self._text, self._stage_t0 = text, now
        if self._prog is not None:
            task = self._prog.task_ids[0]
            if new:
                self._prog.reset(task, total=total, completed=done or 0, description=text)
            else:
                self._prog.update(task, total=total, completed=done or 0)
            return
        if new or now - self._last_log >= self.every_s or (done is not None and done == total):
            self._last_log = now
            err_console.print(
                self._line(text, done, total, now), highlight=False, markup=False, soft_wrap=True
            )

    def _line(self, text: str, done: int | None, total: int | None, now: float) -> str:
        line = f"[{_duration(now - self._t0)}] {text}"
        if done is None:
            return line
        line += f" {done:,}" + (f"/{total:,}" if total else "")
        if total:
            line += f" ({100.0 * done / total:.0f} %)"
        spent = now - self._stage_t0
        if total and 0 < done < total and spent > 0:
            line += f", about {_duration(spent * (total - done) / done)} left"
        return line
