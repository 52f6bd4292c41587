"""The day's map, drawn offline with matplotlib: country context, zones, the
contact line, events, violations with their 95 % ellipses, observers, a
geodesic scale bar. Plate carrée with the aspect of the map's mid latitude."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
import numpy.typing as npt
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ceasefire.geo import distance_m, forward
from ceasefire.mandate import Mandate
from ceasefire.mandate.schema import BufferZone, PolygonZone
from ceasefire.report.layers import SHAPES, MapLayers
from ceasefire.report.style import CONTACT_COLOUR, PNG_META, RC, party_colours

F8 = npt.NDArray[np.float64]
#: Axes of the map in figure fractions (left, bottom, width, height).
AX_BOX = (0.075, 0.2, 0.9, 0.785)
BOUNDARY_NOTE = (
    "Boundaries: Natural Earth 1:110m (public domain), context only. The boundaries and names "
    "shown do not imply official endorsement or acceptance by the United Nations."
)


@lru_cache(maxsize=1)
def boundaries() -> list[tuple[str, list[F8]]]:
    """Country name and exterior rings (lon, lat arrays) of the shipped context layer."""
    text = (
        resources.files("ceasefire.report")
        .joinpath("data/admin0_ne110m.geojson")
        .read_text(encoding="utf-8")
    )
    out: list[tuple[str, list[F8]]] = []
    for f in json.loads(text)["features"]:
        g = f["geometry"]
        polys = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
        out.append((f["properties"]["name"], [np.asarray(p[0], float) for p in polys]))
    return out


def nice_length_m(width_m: float) -> float:
    """A round scale-bar length near a fifth of ``width_m``: 1, 2 or 5 x 10^k m."""
    target = max(width_m / 5.0, 1.0)
    k = 10.0 ** math.floor(math.log10(target))
    return max(s * k for s in (1.0, 2.0, 5.0) if s * k <= target)


def _extent(
    mandate: Mandate, lats: Sequence[float], lons: Sequence[float]
) -> tuple[float, float, float, float]:
    la = np.concatenate([np.asarray(mandate.contact.lats), np.asarray(lats, float)])
    lo = np.concatenate([np.asarray(mandate.contact.lons), np.asarray(lons, float)])
    la, lo = la[np.isfinite(la)], lo[np.isfinite(lo)]
    lat0, lat1 = float(la.min()), float(la.max())
    lon0, lon1 = float(lo.min()), float(lo.max())
    pad_lat = max((lat1 - lat0) * 0.08, 0.15)
    pad_lon = max((lon1 - lon0) * 0.08, 0.15 / math.cos(math.radians((lat0 + lat1) / 2)))
    return lon0 - pad_lon, lon1 + pad_lon, lat0 - pad_lat, lat1 + pad_lat


def render_map(
    mandate: Mandate,
    layers: MapLayers,
    observers: Sequence[tuple[str, float, float]],
    path: Path,
    *,
    width_in: float = 7.4,
    height_in: float = 5.9,
    dpi: int = 150,
) -> Path:
    """Draw the map of ``layers`` (see :func:`~ceasefire.report.layers.map_layers`)
    with ``observers`` (``(source, lat, lon)``; none on the published map) into
    ``path`` (PNG)."""
    with mpl.rc_context(RC):
        fig = _draw(mandate, layers, observers, width_in, height_in)
        FigureCanvasAgg(fig)
        fig.savefig(path, dpi=dpi, metadata=PNG_META)
    return path


def _draw(
    mandate: Mandate,
    layers: MapLayers,
    observers: Sequence[tuple[str, float, float]],
    width_in: float,
    height_in: float,
) -> Figure:
    parties = mandate.party_ids
    colours = party_colours(parties)
    fig = Figure(figsize=(width_in, height_in))
    ax = fig.add_axes(AX_BOX)
    vlat, vlon = layers.violation_lat, layers.violation_lon
    olat = np.array([o[1] for o in observers], float)
    olon = np.array([o[2] for o in observers], float)
    zlat: list[float] = []
    zlon: list[float] = []
    for z in mandate.doc.zones:
        if isinstance(z, PolygonZone):
            zlon += [c[0] for c in z.coordinates]
            zlat += [c[1] for c in z.coordinates]
    x0, x1, y0, y1 = _extent(mandate, [*vlat, *olat, *zlat], [*vlon, *olon, *zlon])
    mid = (y0 + y1) / 2.0
    k = 1.0 / math.cos(math.radians(mid))
    box_w, box_h = AX_BOX[2] * width_in, AX_BOX[3] * height_in
    dx, dy = x1 - x0, y1 - y0
    if dy * k / dx < box_h / box_w:  # too wide: grow the latitude span
        grow = (dx * box_h / box_w / k - dy) / 2.0
        y0, y1 = y0 - grow, y1 + grow
    else:
        grow = (dy * k * box_w / box_h - dx) / 2.0
        x0, x1 = x0 - grow, x1 + grow
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect(k, adjustable="box")
    ax.set_facecolor("#dfeaf2")  # sea and outside the layer

    # context: countries
    polys: list[F8] = []
    labels: list[tuple[str, float, float, float]] = []
    view = shapely.box(x0, y0, x1, y1)
    for name, rings in boundaries():
        polys += rings
        for r in rings:
            part = shapely.Polygon(r).intersection(view)
            if part.area > 0.04 * view.area:
                p = part.representative_point()
                labels.append((name, p.x, p.y, part.area))
    ax.add_collection(
        PolyCollection(polys, facecolors="#f4f3ee", edgecolors="#8c8c8c", linewidths=0.6, zorder=0)
    )
    seen: set[str] = set()
    for name, lx, ly, _ in sorted(labels, key=lambda t: -t[3]):
        if name not in seen:
            seen.add(name)
            ax.text(
                lx,
                ly,
                name.upper(),
                color="#a0a0a0",
                fontsize=9,
                ha="center",
                va="center",
                zorder=1,
                fontweight="bold",
                alpha=0.8,
                clip_on=True,
            )

    # zones
    handles: list[Any] = []
    widths: set[float] = set()
    for z in mandate.doc.zones:
        if isinstance(z, BufferZone):
            for pid in parties:
                ring = mandate.buffer_ring_lonlat(z.id, pid)
                if ring:
                    r = np.asarray(ring)
                    ax.plot(
                        r[:, 0],
                        r[:, 1],
                        color=colours[pid],
                        lw=0.6,
                        ls=(0, (4, 3)),
                        alpha=0.6,
                        zorder=2,
                    )
                    widths.add(z.width_km.get(pid, 0.0))
        else:
            r = np.asarray([c[:2] for c in z.coordinates])
            ax.fill(r[:, 0], r[:, 1], facecolor="#ffd54f", edgecolor="#8a6d00", lw=0.8, zorder=3)
            ax.plot(
                r[:, 0].mean(),
                r[:, 1].mean(),
                marker="s",
                ms=7,
                mfc="none",
                mec="#8a6d00",
                mew=1.2,
                zorder=3,
            )
    if widths:
        ws = ", ".join(f"{w:g}" for w in sorted(widths))
        handles.append(
            Line2D(
                [],
                [],
                color="#555",
                lw=0.8,
                ls=(0, (4, 3)),
                label=f"withdrawal zones ({ws} km, party colour)",
            )
        )
    if any(isinstance(z, PolygonZone) for z in mandate.doc.zones):
        handles.append(
            Line2D(
                [],
                [],
                color="#8a6d00",
                marker="s",
                ms=7,
                mfc="#ffd54f",
                lw=0,
                label="disengagement / polygon zones",
            )
        )

    # contact line and sector marks
    cl = mandate.contact
    ax.plot(cl.lons, cl.lats, color=CONTACT_COLOUR, lw=2.0, zorder=4, solid_capstyle="round")
    handles.append(Line2D([], [], color=CONTACT_COLOUR, lw=2.0, label="contact line"))
    for s in mandate.doc.sectors:
        p = cl.local.interpolate(s.from_km * 1000.0)
        slat, slon = cl.frame.to_latlon([p.x], [p.y])
        ax.plot(slon, slat, marker="|", ms=10, mew=1.5, color=CONTACT_COLOUR, zorder=4)
        ax.annotate(
            s.name or s.id,
            (float(slon[0]), float(slat[0])),
            xytext=(7, 5),
            textcoords="offset points",
            fontsize=7,
            color="#222",
            zorder=11,
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.7},
        )

    # events that are not violations: small grey dots
    if layers.others:
        ax.scatter(layers.other_lon, layers.other_lat, s=3, c="#777", alpha=0.5, lw=0, zorder=5)
        handles.append(
            Line2D(
                [],
                [],
                color="#777",
                marker=".",
                lw=0,
                ms=4,
                label=f"other events ({layers.others:,})",
            )
        )

    # violations: ellipses then markers, by party
    if len(layers.rings):
        ax.add_collection(
            PolyCollection(
                # an array, not a list of rings: matplotlib's fast path (the
                # stubs name only sequences)
                layers.rings,  # type: ignore[arg-type]
                facecolors=layers.ring_rgba,
                edgecolors=layers.ring_rgba,
                linewidths=0.4,
                alpha=0.18,
                zorder=6,
            )
        )
    shapes = dict(SHAPES)
    for key, marker in SHAPES:
        group = layers.marks.get(key)
        if group is None:
            continue
        ax.scatter(
            group.lon,
            group.lat,
            s=42 if marker == "*" else 16,
            c=group.rgba,
            marker=marker,
            edgecolors="white",
            linewidths=0.3,
            zorder=7,
        )
    n_unloc = layers.unlocated
    for key, label in (
        ("explosion", "explosion"),
        ("withdrawal", "weapon in a withdrawal zone"),
        ("other", "other violation"),
    ):
        handles.append(
            Line2D(
                [],
                [],
                color="#444",
                marker=shapes[key],
                lw=0,
                ms=8 if key == "explosion" else 5,
                label=label,
            )
        )
    for pid in [*parties, "undetermined"]:
        name = pid if pid == "undetermined" else f"{pid}"
        handles.append(
            Patch(
                facecolor=colours[pid],
                edgecolor=colours[pid],
                alpha=0.8,
                label=f"{name} (95 % ellipse)",
            )
        )

    # observers
    if len(olat):
        ax.scatter(
            olon, olat, s=26, marker="^", c="black", edgecolors="white", linewidths=0.5, zorder=8
        )
        handles.append(
            Line2D(
                [],
                [],
                color="black",
                marker="^",
                lw=0,
                ms=6,
                label=f"observer positions ({len(observers):,})",
            )
        )

    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.apply_aspect()
    _scale_bar(ax)
    _north_arrow(ax)
    ax.tick_params(labelsize=7)
    ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: f"{v:.1f}°E"))
    ax.yaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: f"{v:.1f}°N"))
    ax.grid(color="#ffffff", lw=0.5, alpha=0.6)
    ax.set_axisbelow(True)
    for sp in ax.spines.values():
        sp.set_visible(True)
        sp.set_color("#666")
    fig.legend(
        handles=handles,
        loc="lower center",
        ncol=3,
        fontsize=7,
        frameon=False,
        bbox_to_anchor=(0.52, 0.025),
        handlelength=2.2,
        columnspacing=1.2,
    )
    if n_unloc:
        ax.text(
            0.99,
            0.99,
            f"{n_unloc:,} violation(s) without a position are not drawn",
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=7,
            bbox={"fc": "white", "ec": "#999", "alpha": 0.85},
        )
    fig.text(0.5, 0.006, BOUNDARY_NOTE, fontsize=5.2, color="#555", ha="center", va="bottom")
    return fig


def _scale_bar(ax: Any) -> None:
    """A bar of a round geodesic length in the lower left corner."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    lat = y0 + 0.06 * (y1 - y0)
    lon = x0 + 0.04 * (x1 - x0)
    width_m = float(distance_m(lat, x0, lat, x1))
    length = nice_length_m(width_m)
    _, lon_end = forward(lat, lon, 90.0, length)
    # the geodesic heads slightly south of the parallel; the bar keeps its end longitude
    lon_end_f = float(lon_end)
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    ax.add_collection(
        LineCollection([[(lon, lat), (lon_end_f, lat)]], colors="black", linewidths=3, zorder=9)
    )
    half = (lon + lon_end_f) / 2
    ax.add_collection(
        LineCollection([[(lon, lat), (half, lat)]], colors="white", linewidths=1.6, zorder=10)
    )
    ax.text(
        (lon + lon_end_f) / 2,
        lat + 0.012 * (y1 - y0),
        label,
        ha="center",
        va="bottom",
        fontsize=7,
        zorder=10,
        bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.7},
    )


def _north_arrow(ax: Any) -> None:
    ax.annotate(
        "N",
        xy=(0.965, 0.93),
        xytext=(0.965, 0.83),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=9,
        fontweight="bold",
        zorder=10,
        arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.2},
    )
