"""The command line the family diagnostics share (``family_*.py``).

Each diagnostic runs one function per draw and prints tables of the rows it gets back.
What they share is here, written once: which draws (the tuning draws by default: the test
draws are for measuring), how many draws run at once (at most 2: this is a 2-core
machine), fusion config fields changed for the run (``--fuse-set FIELD=JSON``, applied by
``oracle.overridden``), a JSON copy of the rows (``--json``) and the tables printed again
from such a copy (``--report``).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

__all__ = [
    "MANDATE",
    "TEST_DRAWS",
    "TUNING_DRAWS",
    "Drawn",
    "Sets",
    "drawn",
    "draws_main",
    "fuse_set",
    "map_draws",
    "parser",
]  # fmt: skip

#: the mandate the family is drawn on
MANDATE = Path(__file__).resolve().parents[1] / "examples" / "donbas-2015" / "mandate.yaml"

TEST_DRAWS = tuple(range(0, 40))
TUNING_DRAWS = tuple(range(1000, 1040))

Sets = tuple[tuple[str, Any], ...]
"""Fusion config fields a run changes: ``((dotted path, value), ...)``."""


class Drawn(NamedTuple):
    """A family draw simulated: its mandate, the draw, the scenario (observations and
    truth) and the draw's own hours ``[t0, t1)`` (s)."""

    mandate: Any
    draw: Any
    scenario: Any
    t0: float
    t1: float


def drawn(k: int, family: str = "varied") -> Drawn:
    """Draw ``k`` of ``family`` on :data:`MANDATE`, simulated (the same for a given ``k``)."""
    from ceasefire.mandate import load_mandate
    from ceasefire.simulate.family import get_family, simulate_draw

    m = load_mandate(MANDATE)
    d = get_family(family).draw(m, k)
    return Drawn(m, d, simulate_draw(m, d), d.start_s, d.start_s + d.hours * 3600.0)


J = TypeVar("J")
R = TypeVar("R")


def fuse_set(text: str) -> tuple[str, Any]:
    """``FIELD=JSON`` of ``--fuse-set`` as ``(field path, value)``."""
    path, eq, value = text.partition("=")
    if not eq or not path.strip():
        raise argparse.ArgumentTypeError(f"{text!r}: expected FIELD=JSON")
    try:
        return path.strip(), json.loads(value)
    except json.JSONDecodeError as e:
        raise argparse.ArgumentTypeError(f"{text!r}: the value is not JSON ({e})") from e


def parser(
    doc: str | None,
    *,
    draws: Sequence[int] | None = TUNING_DRAWS,
    procs: int = 2,
    fuse: bool = True,
    report: bool = True,
) -> argparse.ArgumentParser:
    """The shared options; ``draws=None`` makes ``--draws`` required."""
    ap = argparse.ArgumentParser(description=(doc or "").split("\n\n")[0])
    if draws is None:
        ap.add_argument("--draws", type=int, nargs="+", required=True)
    else:
        ap.add_argument("--draws", type=int, nargs="+", default=list(draws))
    ap.add_argument("--procs", type=int, choices=(1, 2), default=procs, help="draws at once")
    if fuse:
        ap.add_argument(
            "--fuse-set", action="append", default=[], type=fuse_set, metavar="FIELD=JSON",
            help="change a fusion config field for the run (repeatable)",
        )  # fmt: skip
    ap.add_argument("--json", type=Path, help="also write the per-draw rows here")
    if report:
        ap.add_argument("--report", type=Path, help="print the tables of a --json file again")
    return ap


def map_draws(fn: Callable[[J], R], jobs: Sequence[J], procs: int, start: str = "fork") -> list[R]:
    """``[fn(job) for job in jobs]``, in order, on up to two processes started by ``start``."""
    if procs > 1 and len(jobs) > 1:
        with mp.get_context(start).Pool(min(procs, 2)) as pool:
            return pool.map(fn, jobs, chunksize=1)
    return [fn(j) for j in jobs]


def draws_main(
    doc: str | None,
    run_draw: Callable[[tuple[int, Sets]], Any],
    report: Callable[[Any], None],
    *,
    draws: Sequence[int] | None = TUNING_DRAWS,
    procs: int = 2,
    start: str = "fork",
    tuning_only: bool = False,
    collect: Callable[[list[Any]], Any] = list,
    argv: Sequence[str] | None = None,
) -> int:
    """A diagnostic's whole ``main``: ``run_draw((draw, sets))`` per draw, then ``report(rows)``.

    ``collect`` makes the rows from the draws' answers (in draw order): ``list`` keeps one
    row a draw. ``tuning_only`` refuses the test draws (0-999), for diagnostics that steer
    tuning.
    """
    ap = parser(doc, draws=draws, procs=procs)
    a = ap.parse_args(argv)
    if a.report:
        report(json.loads(a.report.read_text()))
        return 0
    if tuning_only and any(0 <= k < 1000 for k in a.draws):
        ap.error("tuning draws only (K >= 1000): the test draws are for measuring")
    sets: Sets = tuple(a.fuse_set)
    rows = collect(map_draws(run_draw, [(k, sets) for k in a.draws], a.procs, start))
    if a.json:
        a.json.write_text(json.dumps(rows, indent=1))
    report(rows)
    return 0
