"""Geometry shared by the map and the exports: uncertainty ellipses as rings."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from shapely.geometry import Polygon
from shapely.geometry.polygon import orient

from ceasefire.geo import forward
from ceasefire.mandate import Mandate
from ceasefire.mandate.schema import PolygonZone
from ceasefire.model import Ellipse

F8 = npt.NDArray[np.float64]

#: Vertices per ellipse ring (the last repeats the first).
ELLIPSE_VERTICES = 37


def ellipse_rings(
    lat: Sequence[float], lon: Sequence[float], ellipses: Sequence[Ellipse]
) -> npt.NDArray[np.float64]:
    """Closed rings (n, ELLIPSE_VERTICES, 2) of (lon, lat) for each ellipse about
    its centre (:func:`rings_of` of the ellipses' parameters)."""
    if len(ellipses) == 0:
        return np.zeros((0, ELLIPSE_VERTICES, 2))
    return rings_of(
        np.asarray(lat, float),
        np.asarray(lon, float),
        np.array([e.semi_major_m for e in ellipses], float),
        np.array([e.semi_minor_m for e in ellipses], float),
        np.array([e.orientation_deg for e in ellipses], float),
    )


def rings_of(lat: F8, lon: F8, semi_major_m: F8, semi_minor_m: F8, orientation_deg: F8) -> F8:
    """Closed rings (n, ELLIPSE_VERTICES, 2) of (lon, lat) of ellipses given by
    their centres (degrees, (n,)), semi-axes (m, (n,)) and the orientation of
    the major axis (degrees clockwise from north, (n,)), laid out geodesically
    (azimuth and distance from the centre). Rings wind counter-clockwise."""
    if len(lat) == 0:
        return np.zeros((0, ELLIPSE_VERTICES, 2))
    a = semi_major_m[:, None]
    b = semi_minor_m[:, None]
    th = np.radians(orientation_deg)[:, None]
    t = np.linspace(0.0, 2.0 * math.pi, ELLIPSE_VERTICES)[None, :]
    # counter-clockwise (east to north) as RFC 7946 requires of exterior rings
    east = a * np.cos(t) * np.sin(th) - b * np.sin(t) * np.cos(th)
    north = a * np.cos(t) * np.cos(th) + b * np.sin(t) * np.sin(th)
    az = np.degrees(np.arctan2(east, north))
    dist = np.hypot(east, north)
    la = np.broadcast_to(lat[:, None], az.shape)
    lo = np.broadcast_to(lon[:, None], az.shape)
    plat, plon = forward(la, lo, az, dist)
    rings = np.stack([plon, plat], axis=-1)
    rings[:, -1, :] = rings[:, 0, :]
    return rings


def mandate_shapes(mandate: Mandate) -> list[dict[str, Any]]:
    """The mandate's lines and zones as plain records: ``name``, ``kind``
    (``contact_line``, ``reference_line``, ``buffer_zone``, ``polygon_zone``),
    ``party`` (or None), ``zone`` (or None), ``type`` (``LineString``/``Polygon``)
    and ``coordinates`` (``[lon, lat]`` pairs; a polygon's exterior ring)."""
    cl = mandate.contact
    out: list[dict[str, Any]] = [
        {
            "name": "contact line",
            "kind": "contact_line",
            "party": None,
            "zone": None,
            "type": "LineString",
            "coordinates": [[lo, la] for la, lo in zip(cl.lats, cl.lons, strict=True)],
        }
    ]
    for pid, line in sorted(mandate.reference.items()):
        out.append(
            {
                "name": f"reference line {pid}",
                "kind": "reference_line",
                "party": pid,
                "zone": None,
                "type": "LineString",
                "coordinates": [[lo, la] for la, lo in zip(line.lats, line.lons, strict=True)],
            }
        )
    for z in mandate.doc.zones:
        if isinstance(z, PolygonZone):
            out.append(
                {
                    "name": z.name or z.id,
                    "kind": "polygon_zone",
                    "party": None,
                    "zone": z.id,
                    "type": "Polygon",
                    "coordinates": [
                        list(c)
                        for c in orient(Polygon([c[:2] for c in z.coordinates])).exterior.coords
                    ],
                }
            )
            continue
        for pid in mandate.party_ids:
            ring = mandate.buffer_ring_lonlat(z.id, pid)
            if ring:
                out.append(
                    {
                        "name": f"{z.name or z.id} ({pid})",
                        "kind": "buffer_zone",
                        "party": pid,
                        "zone": z.id,
                        "type": "Polygon",
                        "coordinates": ring,
                    }
                )
    return out
