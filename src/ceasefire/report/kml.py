"""KML 2.2 for Google Earth: folders of violations (point + 95 % ellipse, in the
party's colour), events, and the mandate's lines and zones."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from ceasefire.mandate import Mandate
from ceasefire.model import Event, Violation
from ceasefire.report.geometry import ellipse_rings, mandate_shapes
from ceasefire.report.rows import event_row, violation_row
from ceasefire.report.style import party_colours

NS = "http://www.opengis.net/kml/2.2"


def _abgr(hex_rgb: str, alpha: int) -> str:
    r, g, b = hex_rgb[1:3], hex_rgb[3:5], hex_rgb[5:7]
    return f"{alpha:02x}{b}{g}{r}".lower()


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    el = ET.SubElement(parent, tag)
    if text is not None:
        el.text = text
    return el


def _coords(pairs: Sequence[Sequence[float]]) -> str:
    return " ".join(f"{lo:.6f},{la:.6f}" for lo, la in pairs)


def _styles(doc: ET.Element, colours: dict[str, str]) -> None:
    for key, rgb in colours.items():
        st = _sub(doc, "Style")
        st.set("id", f"party-{key}")
        icon = _sub(st, "IconStyle")
        _sub(icon, "color", _abgr(rgb, 255))
        _sub(icon, "scale", "0.8")
        line = _sub(st, "LineStyle")
        _sub(line, "color", _abgr(rgb, 255))
        _sub(line, "width", "1.5")
        poly = _sub(st, "PolyStyle")
        _sub(poly, "color", _abgr(rgb, 60))
    for sid, rgb, alpha, width in (
        ("contact", "#111111", 255, "3"),
        ("zone", "#555555", 40, "1"),
        ("event", "#777777", 255, "1"),
    ):
        st = _sub(doc, "Style")
        st.set("id", sid)
        line = _sub(st, "LineStyle")
        _sub(line, "color", _abgr(rgb, 255))
        _sub(line, "width", width)
        poly = _sub(st, "PolyStyle")
        _sub(poly, "color", _abgr(rgb, alpha))
        icon = _sub(st, "IconStyle")
        _sub(icon, "color", _abgr(rgb, 255))
        _sub(icon, "scale", "0.5")


def _extended(pm: ET.Element, row: dict[str, object]) -> None:
    ext = _sub(pm, "ExtendedData")
    for k, v in row.items():
        if v is None or k in ("lat", "lon"):
            continue
        d = _sub(ext, "Data")
        d.set("name", k)
        _sub(d, "value", str(v))


def _placemark(
    folder: ET.Element,
    name: str,
    style: str,
    when: str | None,
    row: dict[str, object],
    lat: float | None,
    lon: float | None,
    ring: Sequence[Sequence[float]] | None,
) -> None:
    pm = _sub(folder, "Placemark")
    pm.set("id", str(row["id"]))
    _sub(pm, "name", name)
    if when:
        ts = _sub(pm, "TimeStamp")
        _sub(ts, "when", when)
    _sub(pm, "styleUrl", f"#{style}")
    _extended(pm, row)
    if lat is None or lon is None:
        return
    geom = _sub(pm, "MultiGeometry") if ring is not None else pm
    pt = _sub(geom, "Point")
    _sub(pt, "coordinates", f"{lon:.6f},{lat:.6f}")
    if ring is not None:
        poly = _sub(geom, "Polygon")
        outer = _sub(_sub(poly, "outerBoundaryIs"), "LinearRing")
        _sub(outer, "coordinates", _coords(ring))


def write_kml(
    events: Sequence[Event],
    violations: Sequence[Violation],
    path: Path,
    mandate: Mandate | None = None,
) -> Path:
    """Write the KML document to ``path``."""
    parties = mandate.party_ids if mandate else sorted({v.party for v in violations})
    colours = party_colours([p for p in parties if p != "undetermined"])
    ET.register_namespace("", NS)
    root = ET.Element("kml", xmlns=NS)
    doc = _sub(root, "Document")
    _sub(doc, "name", mandate.doc.mission.name if mandate else "ceasefire export")
    _styles(doc, colours)

    vs = sorted(violations, key=lambda v: (v.time_s, v.id))
    located = [v for v in vs if v.lat is not None and v.lon is not None and v.ellipse]
    rings = ellipse_rings(
        [float(v.lat) for v in located],  # type: ignore[arg-type]
        [float(v.lon) for v in located],  # type: ignore[arg-type]
        [ell for v in located if (ell := v.ellipse) is not None],
    )
    ring_of = {v.id: rings[i] for i, v in enumerate(located)}
    fv = _sub(doc, "Folder")
    _sub(fv, "name", f"Violations ({len(vs)})")
    for v in vs:
        row = violation_row(v)
        key = v.party if v.party in colours else "other"
        _placemark(
            fv,
            f"{v.rule}: {v.kind} ({v.party})",
            f"party-{key}",
            str(row["time"]),
            row,
            v.lat,
            v.lon,
            ring_of[v.id].tolist() if v.id in ring_of else None,
        )
    fe = _sub(doc, "Folder")
    _sub(fe, "name", f"Events ({len(events)})")
    for e in sorted(events, key=lambda e: (e.time_s, e.id)):
        row = event_row(e)
        _placemark(fe, f"{e.kind} event", "event", str(row["time"]), row, e.lat, e.lon, None)
    if mandate is not None:
        fm = _sub(doc, "Folder")
        _sub(fm, "name", "Mandate")
        for sh in mandate_shapes(mandate):
            pm = _sub(fm, "Placemark")
            _sub(pm, "name", sh["name"])
            style = "contact" if sh["kind"].endswith("line") else "zone"
            if sh["kind"] == "buffer_zone" and sh["party"] in colours:
                style = f"party-{sh['party']}"
            _sub(pm, "styleUrl", f"#{style}")
            if sh["type"] == "LineString":
                _sub(_sub(pm, "LineString"), "coordinates", _coords(sh["coordinates"]))
            else:
                outer = _sub(_sub(_sub(pm, "Polygon"), "outerBoundaryIs"), "LinearRing")
                _sub(outer, "coordinates", _coords(sh["coordinates"]))
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    return path
