"""``render_report``: the day's HTML, PDF and map from a :class:`ReportContext`."""

from __future__ import annotations

from pathlib import Path

from ceasefire.report import charts
from ceasefire.report.context import ReportContext
from ceasefire.report.html import render_html
from ceasefire.report.mapplot import BOUNDARY_NOTE, render_map
from ceasefire.report.pdf import write_pdf
from ceasefire.report.summary import summarize


def render_report(
    ctx: ReportContext, out_dir: Path, *, pdf: bool = True, internal: bool = True
) -> dict[str, Path]:
    """Write the published report into ``out_dir``: ``report.html``
    (self-contained), ``report.pdf`` (unless ``pdf`` is False) and ``map.png``,
    none of which shows where the mission's observers are (a party reading it
    would learn where the posts and sensors stand). With ``internal``, also
    ``report-internal.html`` and ``map-internal.png`` with the observers'
    positions, marked as not for publication. Returns the paths by kind
    (``html``, ``pdf``, ``map``, ``internal_html``, ``internal_map``)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    s = summarize(ctx)
    svgs = {
        "hour_svg": charts.per_hour(ctx.mandate, ctx.violations, s),
        "sector_svg": charts.per_sector(ctx.mandate, ctx.violations, s),
        "trend_svg": charts.trend(s),
    }
    paths: dict[str, Path] = {}
    variants: list[tuple[str, list[tuple[str, float, float]]]] = [("", [])] + (
        [("internal_", ctx.observers)] if internal else []
    )
    for prefix, observers in variants:
        stem = "-internal" if prefix else ""
        map_path = render_map(
            ctx.mandate, ctx.events, ctx.violations, observers, out_dir / f"map{stem}.png"
        )
        html = render_html(
            s,
            ctx.mandate,
            map_png=map_path.read_bytes(),
            boundary_note=BOUNDARY_NOTE,
            internal=bool(prefix),
            **svgs,
        )
        paths[f"{prefix}map"] = map_path
        paths[f"{prefix}html"] = out_dir / f"report{stem}.html"
        paths[f"{prefix}html"].write_text(html, encoding="utf-8")
        if pdf and not prefix:
            paths["pdf"] = write_pdf(html, out_dir / "report.pdf")
    return paths
