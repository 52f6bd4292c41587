"""Colours and figure settings shared by the map and the charts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

#: Okabe-Ito colours (readable with colour-blindness), in party order.
PARTY_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
UNDETERMINED_COLOUR = "#6b6b6b"
OTHER_COLOUR = "#b0a060"
CONTACT_COLOUR = "#111111"

#: Matplotlib settings for deterministic, self-contained figures.
RC: Any = {
    "font.family": "DejaVu Sans",
    "font.size": 8.0,
    "axes.titlesize": 9.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.hashsalt": "ceasefire",
    "svg.fonttype": "path",
    "path.simplify": True,
}
#: ``savefig`` metadata that keeps dates and versions out of the files.
PNG_META: dict[str, Any] = {"Software": None}
SVG_META: dict[str, Any] = {"Date": None, "Creator": None}


def party_colours(parties: Sequence[str]) -> dict[str, str]:
    """Colour of each party id, plus ``undetermined`` and ``other``."""
    out = {p: PARTY_COLOURS[i % len(PARTY_COLOURS)] for i, p in enumerate(parties)}
    out["undetermined"] = UNDETERMINED_COLOUR
    out["other"] = OTHER_COLOUR
    return out
