"""GeoPackage for QGIS (GDAL through pyogrio): layers ``violations`` and
``events`` (points, EPSG:4326, one column per attribute, NULL where a value is
missing), ``violation_ellipses`` (95 % ellipses as polygons) and, with a
mandate, ``mandate_lines`` and ``mandate_zones``. Written as GeoPackage 1.2
(:data:`VERSION`): the GDAL of Debian 12 (3.6) only partly reads 1.4."""

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
#: GeoPackage version written (GDAL's VERSION creation option: 1.2, 1.3 or 1.4).
VERSION = "1.2"
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


def _columns(
    records: list[dict[str, Any]],
) -> tuple[list[str], list[np.ndarray], list[np.ndarray | None]]:
    """Column names, arrays and NULL masks (None: no NULL but NaN/None ones)."""
    names = [c for c in COLUMNS if c not in ("lat", "lon")]
    arrays: list[np.ndarray] = []
    masks: list[np.ndarray | None] = []
    for c in names:
        vals = [r[c] for r in records]
        mask = None
        if c in _FLOAT:  # NaN is written as NULL
            arr = np.array([np.nan if v is None else v for v in vals], dtype=np.float64)
        elif c in _INT:
            mask = np.array([v is None for v in vals], dtype=bool)
            arr = np.array([0 if v is None else v for v in vals], dtype=np.int64)
        else:
            arr = np.array(vals, dtype=object)
        arrays.append(arr)
        masks.append(mask)
    return names, arrays, masks


def _write(
    path: Path,
    layer: str,
    geoms: Sequence[shapely.Geometry | None],
    names: list[str],
    arrays: list[np.ndarray],
    geometry_type: str,
    append: bool,
    masks: list[np.ndarray | None] | None = None,
) -> None:
    from pyogrio.raw import write

    wkb = np.array([None if g is None else shapely.to_wkb(g) for g in geoms], dtype=object)
    write(
        str(path),
        wkb,
        arrays,
        names,
        field_mask=masks,
        dataset_options=None if append else {"VERSION": VERSION},
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
        names, arrays, masks = _columns(records)
        _write(path, layer, geoms, names, arrays, "Point", not first, masks)
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
