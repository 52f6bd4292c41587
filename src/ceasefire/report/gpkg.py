"""GeoPackage for QGIS (GDAL through pyogrio): layers ``violations`` and
``events`` (points, EPSG:4326, one column per attribute), ``violation_ellipses``
(95 % ellipses as polygons) and, with a mandate, ``mandate_lines`` and
``mandate_zones``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from ceasefire.mandate import Mandate
from ceasefire.model import Event, Violation
from ceasefire.report.geometry import ellipse_rings, mandate_shapes
from ceasefire.report.rows import COLUMNS, event_row, violation_row

#: GDAL stamps GeoPackage contents with the current time unless told otherwise;
#: a fixed date keeps the file the same for the same inputs.
FIXED_DATE = "2000-01-01T00:00:00.000Z"
_INT = {"n_observers"}
_FLOAT = {
    "lat",
    "lon",
    "launch_lat",
    "launch_lon",
    "semi_major_m",
    "semi_minor_m",
    "orientation_deg",
    "party_probability",
    "distance_to_line_km",
}


def _columns(records: list[dict[str, Any]]) -> tuple[list[str], list[np.ndarray]]:
    names = [c for c in COLUMNS if c not in ("lat", "lon")]
    arrays: list[np.ndarray] = []
    for c in names:
        vals = [r[c] for r in records]
        if c in _FLOAT:
            arrays.append(np.array([np.nan if v is None else v for v in vals], dtype=np.float64))
        elif c in _INT:
            arrays.append(np.array([-1 if v is None else v for v in vals], dtype=np.int64))
        else:
            arrays.append(np.array(vals, dtype=object))
    return names, arrays


def _write(
    path: Path,
    layer: str,
    geoms: Sequence[shapely.Geometry | None],
    names: list[str],
    arrays: list[np.ndarray],
    geometry_type: str,
    append: bool,
) -> None:
    from pyogrio.raw import write

    wkb = np.array([None if g is None else shapely.to_wkb(g) for g in geoms], dtype=object)
    write(
        str(path),
        wkb,
        arrays,
        names,
        layer=layer,
        driver="GPKG",
        crs="EPSG:4326",
        geometry_type=geometry_type,
        append=append,
        encoding="UTF-8",
    )


def write_gpkg(
    events: Sequence[Event],
    violations: Sequence[Violation],
    path: Path,
    mandate: Mandate | None = None,
) -> Path:
    """Write the GeoPackage to ``path`` (replacing it)."""
    from pyogrio import set_gdal_config_options

    set_gdal_config_options({"OGR_CURRENT_DATE": FIXED_DATE})
    path.unlink(missing_ok=True)
    vs = sorted(violations, key=lambda v: (v.time_s, v.id))
    es = sorted(events, key=lambda e: (e.time_s, e.id))
    first = True
    for layer, items, to_row in (
        ("violations", vs, violation_row),
        ("events", es, event_row),
    ):
        records = [to_row(i) for i in items]  # type: ignore[arg-type]
        geoms = [
            None if i.lat is None or i.lon is None else shapely.Point(i.lon, i.lat) for i in items
        ]
        names, arrays = _columns(records)
        _write(path, layer, geoms, names, arrays, "Point", not first)
        first = False
    located = [v for v in vs if v.lat is not None and v.lon is not None and v.ellipse]
    rings = ellipse_rings(
        [float(v.lat) for v in located],  # type: ignore[arg-type]
        [float(v.lon) for v in located],  # type: ignore[arg-type]
        [ell for v in located if (ell := v.ellipse) is not None],
    )
    _write(
        path,
        "violation_ellipses",
        [shapely.Polygon(r) for r in rings],
        ["id", "party", "rule"],
        [np.array([getattr(v, k) for v in located], dtype=object) for k in ("id", "party", "rule")],
        "Polygon",
        True,
    )
    if mandate is not None:
        shapes = mandate_shapes(mandate)
        for layer, gtype, make in (
            ("mandate_lines", "LineString", shapely.LineString),
            ("mandate_zones", "Polygon", shapely.Polygon),
        ):
            sel = [s for s in shapes if s["type"] == gtype]
            _write(
                path,
                layer,
                [make(s["coordinates"]) for s in sel],
                ["name", "kind", "party", "zone"],
                [
                    np.array([s[k] for s in sel], dtype=object)
                    for k in ("name", "kind", "party", "zone")
                ],
                gtype,
                True,
            )
    return path
