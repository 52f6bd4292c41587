"""``render_report``: the day's HTML, PDF and map from a :class:`ReportContext`."""

from __future__ import annotations

import gc
import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from ceasefire.mandate import Mandate
from ceasefire.model import Event, Violation
from ceasefire.report import charts
from ceasefire.report.context import ReportContext
from ceasefire.report.html import render_html
from ceasefire.report.mapplot import BOUNDARY_NOTE, render_map
from ceasefire.report.pdf import write_pdf
from ceasefire.report.summary import summarize

#: A map to draw: ``render_map``'s arguments.
MapJob = tuple[
    Mandate, Sequence[Event], Sequence[Violation], Sequence[tuple[str, float, float]], Path
]

#: The maps of the report being rendered, for forked processes to inherit
#: (a day's events would cost more to pickle than to draw).
_JOBS: list[MapJob] = []


def _draw(k: int) -> Path:
    return render_map(*_JOBS[k])


@contextmanager
def _maps(jobs: Sequence[MapJob], workers: int) -> Iterator[Callable[[int], Path]]:
    """``map_of(k)``: the path of map ``jobs[k]``, drawn by up to ``workers``
    forked processes started here (all maps at once), else drawn when asked."""
    methods = multiprocessing.get_all_start_methods()
    if workers < 2 or len(jobs) < 2 or "fork" not in methods:
        yield lambda k: render_map(*jobs[k])
        return
    _JOBS[:] = jobs
    # the collector of a worker would write into every object it inherited
    # (copying the pages of this process's whole heap): frozen, it leaves them
    gc.freeze()
    try:
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(min(workers, len(jobs)), mp_context=ctx) as pool:
            # with fork, every worker starts at the first submit: _JOBS is theirs
            futures = [pool.submit(_draw, k) for k in range(len(jobs))]
            _JOBS.clear()
            yield lambda k: futures[k].result()
    finally:
        _JOBS.clear()
        gc.unfreeze()


def render_report(
    ctx: ReportContext,
    out_dir: Path,
    *,
    pdf: bool = True,
    internal: bool = True,
    map_workers: int = 1,
) -> dict[str, Path]:
    """Write the published report into ``out_dir``: ``report.html``
    (self-contained), ``report.pdf`` (unless ``pdf`` is False) and ``map.png``,
    none of which shows where the mission's observers are (a party reading it
    would learn where the posts and sensors stand). With ``internal``, also
    ``report-internal.html`` and ``map-internal.png`` with the observers'
    positions, marked as not for publication. Returns the paths by kind
    (``html``, ``pdf``, ``map``, ``internal_html``, ``internal_map``).

    With ``map_workers`` of 2 or more, the two maps are drawn by that many
    forked processes while this one renders the rest; the same bytes. Off by
    default: each worker copies the pages of the events and violations it
    reads (their reference counts), which on the stress day (~1 M observations)
    put ~0.9 GB over the one-process peak."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    variants: list[tuple[str, list[tuple[str, float, float]]]] = [("", [])] + (
        [("internal_", ctx.observers)] if internal else []
    )
    jobs: list[MapJob] = [
        (
            ctx.mandate,
            ctx.events,
            ctx.violations,
            observers,
            out_dir / f"map{'-internal' if prefix else ''}.png",
        )
        for prefix, observers in variants
    ]
    paths: dict[str, Path] = {}
    with _maps(jobs, map_workers) as map_of:
        s = summarize(ctx)
        svgs = {
            "hour_svg": charts.per_hour(ctx.mandate, ctx.violations, s),
            "sector_svg": charts.per_sector(ctx.mandate, ctx.violations, s),
            "trend_svg": charts.trend(s),
        }
        for k, (prefix, _observers) in enumerate(variants):
            stem = "-internal" if prefix else ""
            map_path = map_of(k)
            html = render_html(
                s,
                ctx.mandate,
                map_png=map_path.read_bytes(),
                boundary_note=BOUNDARY_NOTE,
                internal=bool(prefix),
                patrol=ctx.patrol,
                **svgs,
            )
            paths[f"{prefix}map"] = map_path
            paths[f"{prefix}html"] = out_dir / f"report{stem}.html"
            paths[f"{prefix}html"].write_text(html, encoding="utf-8")
            if pdf and not prefix:
                paths["pdf"] = write_pdf(html, out_dir / "report.pdf")
    return paths
