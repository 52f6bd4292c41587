"""``render_report``: the day's HTML, PDF and map from a :class:`ReportContext`."""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from ceasefire.mandate import Mandate
from ceasefire.report import charts
from ceasefire.report.context import ReportContext
from ceasefire.report.html import data_uri, render_html
from ceasefire.report.layers import MapLayers, map_layers
from ceasefire.report.mapplot import BOUNDARY_NOTE, render_map
from ceasefire.report.pdf import write_pdf
from ceasefire.report.summary import Summary, summarize

#: A map to draw: ``render_map``'s arguments.
MapJob = tuple[Mandate, MapLayers, Sequence[tuple[str, float, float]], Path]

#: Below this many events and violations together a map draws in well under a
#: second, less than forking a process with the day in memory costs.
PARALLEL_MIN_ITEMS = 20_000

#: The maps of the report being rendered, for forked processes to inherit
#: (cheaper than pickling the layers' rings through a pipe).
_JOBS: list[MapJob] = []


def _draw(k: int) -> Path:
    return render_map(*_JOBS[k])


def map_processes(ctx: ReportContext) -> int:
    """How many processes draw the maps of ``ctx`` by default: two (a forked
    one and this one) for a large day on a machine of two cores or more, else one."""
    if len(ctx.events) + len(ctx.violations) < PARALLEL_MIN_ITEMS or (os.cpu_count() or 1) < 2:
        return 1
    return 2


@contextmanager
def _maps(jobs: Sequence[MapJob], workers: int) -> Iterator[Callable[[], list[Path]]]:
    """``drawn()``: the paths of the maps ``jobs``, in order. With ``workers``
    of 2 or more, the first ``workers - 1`` of them are drawn by as many forked
    processes started here (at once) while this one goes on; the others are
    drawn by this process when ``drawn()`` is called."""
    forked = min(workers - 1, len(jobs) - 1)
    if forked < 1 or "fork" not in multiprocessing.get_all_start_methods():
        yield lambda: [render_map(*job) for job in jobs]
        return
    _JOBS[:] = jobs
    try:
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(forked, mp_context=ctx) as pool:
            with frozen_heap():
                # with fork, every worker starts at the first submit: _JOBS is theirs
                futures = [pool.submit(_draw, k) for k in range(forked)]
            _JOBS.clear()

            def drawn() -> list[Path]:
                here = [render_map(*job) for job in jobs[forked:]]
                return [f.result() for f in futures] + here

            yield drawn
    finally:
        _JOBS.clear()


@contextmanager
def frozen_heap() -> Iterator[None]:
    """The collector's objects frozen while processes are forked: a child's
    collector would otherwise write into every object it inherited (copying
    the pages of this process's whole heap into it). The children keep them
    frozen; this process sees them again on leaving, unless some were frozen
    before (whoever froze them unfreezes: ``collector.frozen_as_kept``)."""
    outer = gc.get_freeze_count() > 0
    gc.freeze()
    try:
        yield
    finally:
        if not outer:
            gc.unfreeze()


def _variants(
    observers: Sequence[tuple[str, float, float]], internal: bool
) -> list[tuple[str, Sequence[tuple[str, float, float]]]]:
    """(key prefix, observers drawn) of the published map and the internal one."""
    return [("", [])] + ([("internal_", observers)] if internal else [])


def _map_jobs(
    mandate: Mandate,
    layers: MapLayers,
    observers: Sequence[tuple[str, float, float]],
    out_dir: Path,
    internal: bool,
) -> list[MapJob]:
    return [
        (mandate, layers, seen, map_file(out_dir, internal=bool(prefix)))
        for prefix, seen in _variants(observers, internal)
    ]


def map_file(out_dir: Path, *, internal: bool) -> Path:
    """The file of the day's published map (``map.png``) or its internal one."""
    return out_dir / f"map{'-internal' if internal else ''}.png"


def render_maps(
    mandate: Mandate,
    layers: MapLayers,
    observers: Sequence[tuple[str, float, float]],
    out_dir: Path,
    *,
    internal: bool = True,
) -> dict[str, Path]:
    """The report's maps of a day (``layers``: :func:`~ceasefire.report.layers.map_layers`
    of its events and violations) drawn here into ``out_dir``, the files
    :func:`render_report` writes: ``map`` (``map.png``, no observers) and with
    ``internal`` ``internal_map`` (``map-internal.png``). For a process that
    draws them ahead of the report (``render_report(maps=...)``)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs = _map_jobs(mandate, layers, observers, out_dir, internal)
    return {
        f"{prefix}map": render_map(*job)
        for (prefix, _), job in zip(_variants(observers, internal), jobs, strict=True)
    }


#: The map's data URI in a page rendered before its map is drawn, put in its
#: place once the map is there (``@`` is no character of base64, and HTML's
#: escaping leaves the URI as it is: the page is the one rendered with the map)
MAP_STAND_IN = "data:image/png;base64,@map@"


def _page(
    ctx: ReportContext, s: Summary, svgs: Mapping[str, str], internal: bool, map_uri: str
) -> str:
    """One variant's HTML (``internal``: with the observers), the map as ``map_uri``."""
    return render_html(
        s,
        ctx.mandate,
        map_uri=map_uri,
        boundary_note=BOUNDARY_NOTE,
        internal=internal,
        patrol=ctx.patrol,
        **svgs,
    )


def _with_map(
    ctx: ReportContext, s: Summary, svgs: Mapping[str, str], internal: bool, page: str, png: bytes
) -> str:
    """``page`` (rendered with :data:`MAP_STAND_IN`) with the map ``png`` in its
    place; rendered again with it if the stand-in is not there exactly once."""
    uri = data_uri(png, "image/png")
    if page.count(MAP_STAND_IN) == 1:
        return page.replace(MAP_STAND_IN, uri)
    return _page(ctx, s, svgs, internal, uri)


def render_report(
    ctx: ReportContext,
    out_dir: Path,
    *,
    pdf: bool = True,
    internal: bool = True,
    map_workers: int | None = None,
    maps: Mapping[str, Path] | Callable[[], Mapping[str, Path]] | None = None,
) -> dict[str, Path]:
    """Write the published report into ``out_dir``: ``report.html``
    (self-contained), ``report.pdf`` (unless ``pdf`` is False) and ``map.png``,
    none of which shows where the mission's observers are (a party reading it
    would learn where the posts and sensors stand). With ``internal``, also
    ``report-internal.html`` and ``map-internal.png`` with the observers'
    positions, marked as not for publication. Returns the paths by kind
    (``html``, ``pdf``, ``map``, ``internal_html``, ``internal_map``).

    ``map_workers``: how many processes draw the two maps (default
    :func:`map_processes`); with 2, the published map is drawn by a forked
    process while this one computes the rest and draws the internal map; the
    same bytes. The maps are drawn from :class:`~ceasefire.report.layers.MapLayers`
    (arrays built here once), so the forked process copies no page of the
    day's events and violations. ``maps``: the maps of ``ctx`` already drawn
    (:func:`render_maps`' paths), used as they are, or a function giving them
    (called once the pages are rendered without them: the maps may be drawn
    meanwhile)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    variants = _variants(ctx.observers, internal)
    jobs: list[MapJob] = []
    if maps is None:
        layers = map_layers(ctx.mandate, ctx.events, ctx.violations)
        jobs = _map_jobs(ctx.mandate, layers, ctx.observers, out_dir, internal)
    workers = map_processes(ctx) if map_workers is None else map_workers
    paths: dict[str, Path] = {}
    with _maps(jobs, workers) as drawn:
        s = summarize(ctx)
        svgs = {
            "hour_uri": data_uri(charts.per_hour(ctx.mandate, ctx.violations, s), "image/svg+xml"),
            "sector_uri": data_uri(
                charts.per_sector(ctx.mandate, ctx.violations, s), "image/svg+xml"
            ),
            "trend_uri": data_uri(charts.trend(s), "image/svg+xml"),
        }
        # the pages while the maps are drawn (elsewhere, or by a forked process)
        pages = [_page(ctx, s, svgs, bool(prefix), MAP_STAND_IN) for prefix, _ in variants]
        if maps is None:
            pngs = drawn()
        else:
            got = maps() if callable(maps) else maps
            pngs = [got[f"{prefix}map"] for prefix, _ in variants]
    for (prefix, _observers), map_path, page in zip(variants, pngs, pages, strict=True):
        stem = "-internal" if prefix else ""
        html = _with_map(ctx, s, svgs, bool(prefix), page, map_path.read_bytes())
        paths[f"{prefix}map"] = map_path
        paths[f"{prefix}html"] = out_dir / f"report{stem}.html"
        paths[f"{prefix}html"].write_text(html, encoding="utf-8")
        if pdf and not prefix:
            paths["pdf"] = write_pdf(html, out_dir / "report.pdf")
    return paths
