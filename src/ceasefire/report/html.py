"""The report as one self-contained HTML file (Jinja2; images as data URIs)."""

from __future__ import annotations

import base64
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from ceasefire.mandate import Mandate
from ceasefire.report.style import party_colours
from ceasefire.report.summary import Summary


def data_uri(data: bytes | str, mime: str) -> str:
    """``data:`` URI of ``data`` (base64)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return f"data:{mime};base64,{base64.b64encode(raw).decode('ascii')}"


def _n(v: int | float | None) -> str:
    if v is None:
        return "–"
    return f"{v:,}" if isinstance(v, int) else f"{v:,.1f}"


def _avg(v: float | None) -> str:
    return "–" if v is None else f"{v:,.1f}"


def _signed(v: int | None) -> str:
    if v is None:
        return "–"
    return f"+{v:,}" if v > 0 else (f"−{-v:,}" if v < 0 else "0")


def _km(v: float | None) -> str:
    return "" if v is None else f"{v:,.1f}"


def _pos(row: Any) -> str:
    if row.lat is None or row.lon is None:
        return "no position"
    return f"{row.lat:.4f}°N {row.lon:.4f}°E"


def _cssstr(v: str) -> Markup:
    safe = "".join(ch for ch in v if ch not in '<>\\"\n\r')
    return Markup(safe)


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The Jinja2 environment over the package's templates."""
    env = Environment(
        loader=PackageLoader("ceasefire.report", "templates"),
        autoescape=select_autoescape(["html", "j2"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(n=_n, avg=_avg, signed=_signed, km=_km, pos=_pos, cssstr=_cssstr)
    return env


def render_html(
    summary: Summary,
    mandate: Mandate,
    *,
    map_uri: str,
    hour_uri: str,
    sector_uri: str,
    trend_uri: str,
    boundary_note: str,
    internal: bool = False,
    patrol: dict[str, Any] | None = None,
) -> str:
    """The report's HTML text, its images given as ``data:`` URIs
    (:func:`data_uri`: the map's PNG, the charts' SVG); ``internal`` marks the
    variant that shows the mission's own positions (not for publication)."""
    return (
        environment()
        .get_template("report.html.j2")
        .render(
            s=summary,
            parties=mandate.doc.parties,
            threshold=mandate.threshold,
            map_uri=map_uri,
            hour_uri=hour_uri,
            sector_uri=sector_uri,
            trend_uri=trend_uri,
            boundary_note=boundary_note,
            internal=internal,
            patrol=patrol,
            colours={
                k: c
                for k, c in party_colours(mandate.party_ids).items()
                if k != "other" or summary.rule_party.col_totals.get("other")
            },
        )
    )
