"""KML 2.2 for Google Earth, written with fastkml: folders of violations
(point + 95 % ellipse, in the party's colour), events, and the mandate's lines
and zones. The document validates against the OGC KML 2.2 schema.

Nothing in it points off the machine (missions run offline): a ``.kml`` names no
icon, so viewers draw their own pin in the party's colour; a ``.kmz`` carries a
white round marker (``files/marker.png``) that the colour tints."""

from __future__ import annotations

import warnings
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shapely

from ceasefire.mandate import Mandate
from ceasefire.model import Event, Violation
from ceasefire.report.geometry import ellipse_rings, mandate_shapes
from ceasefire.report.rows import event_row, violation_row
from ceasefire.report.style import party_colours

if TYPE_CHECKING:
    from fastkml import Placemark, Style

#: decimal places of written coordinates (0.1 m)
PRECISION = 6
#: the marker inside a KMZ, relative to its doc.kml (white: the IconStyle colour tints it)
KMZ_ICON = "files/marker.png"
MARKER_PNG = Path(__file__).parent / "data" / "marker.png"


def _fastkml() -> Any:
    with warnings.catch_warnings():
        # fastkml warns at import when lxml is missing; it then writes with ElementTree
        warnings.simplefilter("ignore")
        import fastkml

    return fastkml


def _abgr(hex_rgb: str, alpha: int) -> str:
    r, g, b = hex_rgb[1:3], hex_rgb[3:5], hex_rgb[5:7]
    return f"{alpha:02x}{b}{g}{r}".lower()


def _style(
    sid: str, rgb: str, fill_alpha: int, width: float, scale: float, icon: str | None
) -> Style:
    k = _fastkml()
    return k.Style(
        id=sid,
        styles=[
            k.IconStyle(color=_abgr(rgb, 255), scale=scale, icon_href=icon),
            k.LineStyle(color=_abgr(rgb, 255), width=width),
            k.PolyStyle(color=_abgr(rgb, fill_alpha)),
        ],
    )


def _extended(row: dict[str, object]) -> Any:
    k = _fastkml()
    return k.ExtendedData(
        elements=[
            k.Data(name=key, value=str(v))
            for key, v in row.items()
            if v is not None and key not in ("lat", "lon")
        ]
    )


def _placemark(
    name: str,
    style: str,
    when: str | None,
    row: dict[str, object],
    lat: float | None,
    lon: float | None,
    ring: Sequence[Sequence[float]] | None,
) -> Placemark:
    k = _fastkml()
    from fastkml.times import KmlDateTime

    geom: shapely.Geometry | None = None
    if lat is not None and lon is not None:
        pt = shapely.Point(lon, lat)
        geom = pt if ring is None else shapely.GeometryCollection([pt, shapely.Polygon(ring)])
    return k.Placemark(
        id=str(row["id"]),
        name=name,
        times=k.TimeStamp(timestamp=KmlDateTime.parse(when)) if when else None,
        style_url=k.StyleUrl(url=f"#{style}"),
        extended_data=_extended(row),
        geometry=geom,
    )


def write_kml(
    events: Sequence[Event],
    violations: Sequence[Violation],
    path: Path,
    mandate: Mandate | None = None,
) -> Path:
    """Write the KML document to ``path`` (no icon: viewers draw their own pin)."""
    _fastkml().KML(features=[_document(events, violations, mandate, None)]).write(
        Path(path), prettyprint=True, precision=PRECISION
    )
    return path


def write_kmz(
    events: Sequence[Event],
    violations: Sequence[Violation],
    path: Path,
    mandate: Mandate | None = None,
) -> Path:
    """Write a KMZ to ``path``: ``doc.kml`` (as :func:`write_kml`, with the round
    marker) and ``files/marker.png``, zipped (deflated)."""
    kml = _fastkml().KML(features=[_document(events, violations, mandate, KMZ_ICON)])
    text = kml.to_string(prettyprint=True, precision=PRECISION)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        # Google Earth reads the first .kml entry of the archive as the document
        z.writestr("doc.kml", text)
        z.write(MARKER_PNG, KMZ_ICON)
    return path


def _document(
    events: Sequence[Event],
    violations: Sequence[Violation],
    mandate: Mandate | None,
    icon: str | None,
) -> Any:
    k = _fastkml()
    parties = mandate.party_ids if mandate else sorted({v.party for v in violations})
    colours = party_colours([p for p in parties if p != "undetermined"])
    styles = [_style(f"party-{key}", rgb, 60, 1.5, 0.8, icon) for key, rgb in colours.items()]
    styles += [
        _style("contact", "#111111", 255, 3.0, 0.5, icon),
        _style("zone", "#555555", 40, 1.0, 0.5, icon),
        _style("event", "#777777", 255, 1.0, 0.5, icon),
    ]

    vs = sorted(violations, key=lambda v: (v.time_s, v.id))
    located = [v for v in vs if v.lat is not None and v.lon is not None and v.ellipse]
    rings = ellipse_rings(
        [float(v.lat) for v in located],  # type: ignore[arg-type]
        [float(v.lon) for v in located],  # type: ignore[arg-type]
        [ell for v in located if (ell := v.ellipse) is not None],
    )
    ring_of = {v.id: rings[i] for i, v in enumerate(located)}
    folders = [
        k.Folder(
            name=f"Violations ({len(vs)})",
            features=[
                _placemark(
                    f"{v.rule}: {v.kind} ({v.party})",
                    f"party-{v.party if v.party in colours else 'other'}",
                    str(row["time"]),
                    row,
                    v.lat,
                    v.lon,
                    ring_of[v.id].tolist() if v.id in ring_of else None,
                )
                for v in vs
                if (row := violation_row(v))
            ],
        ),
        k.Folder(
            name=f"Events ({len(events)})",
            features=[
                _placemark(f"{e.kind} event", "event", str(row["time"]), row, e.lat, e.lon, None)
                for e in sorted(events, key=lambda e: (e.time_s, e.id))
                if (row := event_row(e))
            ],
        ),
    ]
    if mandate is not None:
        shapes = []
        for sh in mandate_shapes(mandate):
            style = "contact" if sh["kind"].endswith("line") else "zone"
            if sh["kind"] == "buffer_zone" and sh["party"] in colours:
                style = f"party-{sh['party']}"
            make = shapely.LineString if sh["type"] == "LineString" else shapely.Polygon
            shapes.append(
                k.Placemark(
                    name=sh["name"],
                    style_url=k.StyleUrl(url=f"#{style}"),
                    geometry=make(sh["coordinates"]),
                )
            )
        folders.append(k.Folder(name="Mandate", features=shapes))
    return k.Document(
        name=mandate.doc.mission.name if mandate else "ceasefire export",
        styles=styles,
        features=folders,
    )
