"""The mandate's geography as GeoJSON for the dashboard's map: the contact line,
reference lines, zones (buffers per party and polygons, e.g. disengagement areas)
and the sectors as stretches of the line. The mandate is the mission's public
document, so every role may read it."""

from __future__ import annotations

from typing import Any

import numpy as np

from ceasefire.geo import distance_m
from ceasefire.mandate import Mandate
from ceasefire.report.geometry import mandate_shapes

__all__ = ["mandate_layers", "sector_lines"]


def sector_lines(mandate: Mandate) -> list[dict[str, Any]]:
    """Each sector as a GeoJSON LineString feature: the contact line from its
    ``from_km`` to its ``to_km`` (geodesic chainage from the first vertex)."""
    lats, lons = np.asarray(mandate.contact.lats), np.asarray(mandate.contact.lons)
    seg_m = distance_m(lats[:-1], lons[:-1], lats[1:], lons[1:])
    cum_km = np.concatenate([[0.0], np.cumsum(seg_m)]) / 1000.0
    out = []
    for s in mandate.doc.sectors:
        a, b = s.from_km, min(s.to_km, float(cum_km[-1]))
        if b <= a:
            continue
        inner = np.flatnonzero((cum_km > a) & (cum_km < b))
        ends = [
            [float(np.interp(k, cum_km, lons)), float(np.interp(k, cum_km, lats))] for k in (a, b)
        ]
        coords = [ends[0], *[[float(lons[i]), float(lats[i])] for i in inner], ends[1]]
        out.append(
            {
                "type": "Feature",
                "id": f"sector:{s.id}",
                "geometry": {"type": "LineString", "coordinates": coords},
                "properties": {"kind": "sector", "id": s.id, "name": s.name or s.id},
            }
        )
    return out


def mandate_layers(mandate: Mandate) -> dict[str, Any]:
    """A FeatureCollection of the mandate's lines, zones and sectors; each feature's
    ``properties.kind`` is ``contact_line``, ``reference_line``, ``buffer_zone``,
    ``polygon_zone`` or ``sector``."""
    feats: list[dict[str, Any]] = [
        {
            "type": "Feature",
            "id": f"{s['kind']}:{s['name']}",
            "geometry": {
                "type": s["type"],
                "coordinates": [s["coordinates"]] if s["type"] == "Polygon" else s["coordinates"],
            },
            "properties": {k: s[k] for k in ("kind", "name", "party", "zone")},
        }
        for s in mandate_shapes(mandate)
    ]
    feats += sector_lines(mandate)
    parties = [{"id": p.id, "name": p.name} for p in mandate.doc.parties]
    return {
        "type": "FeatureCollection",
        "features": feats,
        "mission": mandate.doc.mission.name,
        "parties": parties,
        "threshold": mandate.threshold,
        "rules": [r.id for r in mandate.doc.rules],
        "sectors": [s.id for s in mandate.doc.sectors],
    }
