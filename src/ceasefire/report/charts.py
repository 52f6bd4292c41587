"""Small charts of the day (SVG): violations per hour and per sector, by party,
and the 30-day trend."""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib as mpl
import numpy as np
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

from ceasefire.mandate import Mandate
from ceasefire.model import Violation
from ceasefire.report.style import RC, SVG_META, party_colours
from ceasefire.report.summary import NO_SECTOR, UNDETERMINED, Summary, party_key


def _svg(fig: Figure) -> str:
    FigureCanvasSVG(fig)
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata=SVG_META)
    return buf.getvalue()


def _stack_keys(mandate: Mandate, violations: Sequence[Violation]) -> list[str]:
    keys = [*mandate.party_ids, UNDETERMINED]
    if any(party_key(v.party, mandate.party_ids) == "other" for v in violations):
        keys.append("other")
    return keys


def per_hour(mandate: Mandate, violations: Sequence[Violation], summary: Summary) -> str:
    """Stacked bars of violations per local hour, one colour per party."""
    from datetime import datetime

    keys = _stack_keys(mandate, violations)
    colours = party_colours(mandate.party_ids)
    counts = {k: np.zeros(24) for k in keys}
    for v in violations:
        h = datetime.fromtimestamp(v.time_s, tz=mandate.tz).hour
        counts[party_key(v.party, mandate.party_ids)][h] += 1
    with mpl.rc_context(RC):
        fig = Figure(figsize=(3.6, 2.0))
        ax = fig.add_axes((0.13, 0.2, 0.84, 0.68))
        bottom = np.zeros(24)
        for k in keys:
            ax.bar(np.arange(24), counts[k], bottom=bottom, color=colours[k], width=0.85, label=k)
            bottom += counts[k]
        ax.set_xticks(range(0, 24, 3))
        ax.set_xlim(-0.6, 23.6)
        ax.set_xlabel(f"hour ({summary.timezone})", fontsize=7)
        ax.set_title("Violations per hour", loc="left")
        ax.yaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True, nbins=5))
        ax.tick_params(labelsize=7)
        return _svg(fig)


def per_sector(mandate: Mandate, violations: Sequence[Violation], summary: Summary) -> str:
    """Horizontal stacked bars of violations per sector, by party."""
    keys = _stack_keys(mandate, violations)
    colours = party_colours(mandate.party_ids)
    rows = [c for c in summary.by_sector if c.today or c.key != NO_SECTOR]
    names = [c.label if len(c.label) <= 24 else c.label[:23] + "…" for c in rows]
    idx = {c.key: i for i, c in enumerate(rows)}
    counts = {k: np.zeros(len(rows)) for k in keys}
    for v in violations:
        counts[party_key(v.party, mandate.party_ids)][idx[v.sector or NO_SECTOR]] += 1
    with mpl.rc_context(RC):
        fig = Figure(figsize=(3.6, 2.0))
        ax = fig.add_axes((0.40, 0.2, 0.57, 0.68))
        y = np.arange(len(rows))[::-1]
        left = np.zeros(len(rows))
        for k in keys:
            ax.barh(y, counts[k], left=left, color=colours[k], height=0.7, label=k)
            left += counts[k]
        ax.set_yticks(y, names, fontsize=6.5)
        ax.set_title("Violations per sector", loc="left")
        ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True, nbins=5))
        ax.tick_params(labelsize=7)
        return _svg(fig)


def trend(summary: Summary) -> str:
    """Bars of violations per day over the last 30 days, today highlighted, with
    the 7-day mean before each day."""
    days = [d for d, _ in summary.trend]
    vals = np.array([n for _, n in summary.trend], float)
    with mpl.rc_context(RC):
        fig = Figure(figsize=(7.3, 1.9))
        ax = fig.add_axes((0.07, 0.2, 0.91, 0.68))
        x = np.arange(len(days))
        colours = ["#9aa7b4"] * (len(days) - 1) + ["#B22222"]
        ax.bar(x, vals, color=colours, width=0.8)
        mean7 = [vals[max(0, i - 7) : i].mean() if i else np.nan for i in range(len(vals))]
        ax.plot(x, mean7, color="#222", lw=1.0, label="mean of the 7 days before")
        ax.set_xticks(x[::3], [d.strftime("%d %b") for d in days[::3]], fontsize=6.5)
        ax.set_xlim(-0.6, len(days) - 0.4)
        ax.set_title("Violations per day, last 30 days (today in red)", loc="left")
        ax.yaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True, nbins=5))
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=6.5, frameon=False, loc="upper left")
        return _svg(fig)
