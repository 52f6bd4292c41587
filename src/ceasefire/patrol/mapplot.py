"""The coverage map (PNG): zones, the line, every sortie's swath, the bases."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import shapely
import shapely.affinity
from shapely.plotting import plot_polygon

from ceasefire.mandate import Mandate
from ceasefire.patrol.coverage import legs_of
from ceasefire.patrol.plan import Plan
from ceasefire.patrol.tasks import line_xy


def render_coverage(m: Mandate, plan: Plan, path: Path, title: str = "") -> Path:
    """Draw the plan's swaths over the zone bands in the contact line's frame (km)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 9), dpi=110)
    widths = {
        p: max((z.width_km.get(p, 0.0) for z in m.doc.zones if z.kind == "buffer"), default=0.0)
        for p in m.party_ids
    }
    for p, w in widths.items():
        if w <= 0:
            continue
        ref = line_xy(m, p)
        band = ref.buffer(m.party_side(p) * w * 1000.0, single_sided=True)
        for g in getattr(band, "geoms", [band]):
            x, y = np.asarray(g.exterior.coords).T / 1000.0
            ax.fill(x, y, color="#d9d9d9", alpha=0.6, lw=0)
    legs = legs_of(m, plan)
    if len(legs):
        segs = shapely.linestrings(
            np.stack([np.column_stack([legs.x0, legs.y0]), np.column_stack([legs.x1, legs.y1])], 1)
        )
        swath = shapely.union_all(shapely.buffer(segs, legs.half_swath_m, cap_style="flat"))
        km = shapely.affinity.scale(swath, 0.001, 0.001, origin=(0, 0))
        if not km.is_empty:
            # plot_polygon draws the holes the union leaves between sweeps
            plot_polygon(km, ax=ax, add_points=False, color="#2b8cbe", alpha=0.55, linewidth=0)
    c = np.asarray(line_xy(m).coords) / 1000.0
    ax.plot(c[:, 0], c[:, 1], color="#b2182b", lw=1.5, label="contact line")
    for b in plan.fleet.bases:
        bx, by = m.contact.frame.to_xy(b.lat, b.lon)
        ax.plot(float(bx) / 1000.0, float(by) / 1000.0, "k^", ms=7)
        ax.annotate(b.id, (float(bx) / 1000.0, float(by) / 1000.0), fontsize=7, xytext=(4, 4),
                    textcoords="offset points")  # fmt: skip
    ax.set_aspect("equal")
    ax.set_xlabel("east, km")
    ax.set_ylabel("north, km")
    ax.set_title(
        title or f"{plan.planner}: {len(plan.sorties)} sorties (blue: swaths; grey: zones)"
    )
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
