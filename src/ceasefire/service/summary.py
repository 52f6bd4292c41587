"""Violations aggregated on the server for the dashboard: counts per rule, party,
severity and response, and a grid of map cells, from the typed columns of the
selection only (no bodies, no features shipped). A stress day's 100,000
violations in view are a few hundred cells and four small tables."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

__all__ = ["COLUMNS", "MAX_CELLS_ACROSS", "summarize"]

#: The typed columns :func:`summarize` reads, in this order.
COLUMNS = ("rule", "party", "severity", "response", "lon", "lat")
#: Most cells along either side of the box: the cell grows on a wider box so an
#: answer stays a few thousand cells at most whatever size is asked for.
MAX_CELLS_ACROSS = 256


def _counts(values: list[Any]) -> dict[str, int]:
    return dict(sorted(Counter(values).items()))


def summarize(
    rows: list[tuple[Any, ...]],
    cell_deg: float | None = None,
    bbox: tuple[float, float, float, float] | None = None,
) -> dict[str, Any]:
    """Counts of ``rows`` (tuples of :data:`COLUMNS`) and, with ``cell_deg``
    (degrees), the located ones binned into square cells from the box's south-west
    corner (or the rows' own): each cell its count, per-party counts and the mean
    position of its violations (lon, lat degrees), so a cell is drawn where its
    violations are."""
    out: dict[str, Any] = {"total": len(rows)}
    located = [r for r in rows if r[4] is not None and r[5] is not None]
    out["located"] = len(located)
    for j, name in enumerate(COLUMNS[:4]):
        out[name] = _counts([r[j] for r in rows])
    out["cell_deg"] = None
    out["cells"] = []
    if cell_deg is None or not located:
        return out
    x = np.fromiter((r[4] for r in located), dtype=float, count=len(located))
    y = np.fromiter((r[5] for r in located), dtype=float, count=len(located))
    x0, y0, x1, y1 = bbox if bbox is not None else (x.min(), y.min(), x.max(), y.max())
    step = max(cell_deg, (x1 - x0) / MAX_CELLS_ACROSS, (y1 - y0) / MAX_CELLS_ACROSS)
    ix = np.floor((x - x0) / step).astype(np.int64)
    iy = np.floor((y - y0) / step).astype(np.int64)
    keys, cell = np.unique(ix * (MAX_CELLS_ACROSS + 2) + iy, return_inverse=True)
    n = np.bincount(cell, minlength=len(keys))
    mx = np.bincount(cell, weights=x, minlength=len(keys)) / n
    my = np.bincount(cell, weights=y, minlength=len(keys)) / n
    parties = [r[1] for r in located]
    names = sorted(set(parties))
    index = {p: j for j, p in enumerate(names)}
    code = np.array([index[p] for p in parties], dtype=np.int64)
    per = np.zeros((len(keys), len(names)), dtype=np.int64)
    np.add.at(per, (cell, code), 1)
    out["cell_deg"] = step
    out["cells"] = [
        {
            "lon": round(float(mx[k]), 6),
            "lat": round(float(my[k]), 6),
            "n": int(n[k]),
            "party": {names[j]: int(per[k, j]) for j in np.flatnonzero(per[k])},
        }
        for k in range(len(keys))
    ]
    return out
