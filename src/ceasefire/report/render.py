"""``render_report``: the day's HTML, PDF and map from a :class:`ReportContext`."""

from __future__ import annotations

from pathlib import Path

from ceasefire.report import charts
from ceasefire.report.context import ReportContext
from ceasefire.report.html import render_html
from ceasefire.report.mapplot import BOUNDARY_NOTE, render_map
from ceasefire.report.pdf import write_pdf
from ceasefire.report.summary import summarize


def render_report(ctx: ReportContext, out_dir: Path, *, pdf: bool = True) -> dict[str, Path]:
    """Write ``report.html`` (self-contained), ``report.pdf`` (unless ``pdf`` is
    False) and ``map.png`` into ``out_dir``; return their paths by kind."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    s = summarize(ctx)
    map_path = render_map(
        ctx.mandate, ctx.events, ctx.violations, ctx.observers, out_dir / "map.png"
    )
    html = render_html(
        s,
        ctx.mandate,
        map_png=map_path.read_bytes(),
        hour_svg=charts.per_hour(ctx.mandate, ctx.violations, s),
        sector_svg=charts.per_sector(ctx.mandate, ctx.violations, s),
        trend_svg=charts.trend(s),
        boundary_note=BOUNDARY_NOTE,
        patrol=ctx.patrol,
    )
    paths = {"html": out_dir / "report.html", "map": map_path}
    paths["html"].write_text(html, encoding="utf-8")
    if pdf:
        paths["pdf"] = write_pdf(html, out_dir / "report.pdf")
    return paths
