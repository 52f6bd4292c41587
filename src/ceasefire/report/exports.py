"""``export``: the day's events and violations in the formats monitors use."""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ceasefire.mandate import Mandate
from ceasefire.model import Event, Violation
from ceasefire.model.errors import InputError
from ceasefire.report.geojson import event_feature, violation_feature, write_geojson
from ceasefire.report.geometry import mandate_shapes
from ceasefire.report.rows import COLUMNS, rows

FORMATS = ("geojson", "kml", "kmz", "gpkg", "csv", "cot")


def export_geojson(
    events: Sequence[Event], violations: Sequence[Violation], path: Path, mandate: Mandate | None
) -> Path:
    """RFC 7946 FeatureCollection: violations, then events (``layer`` says which),
    then, with a mandate, its lines and zones (``layer`` ``mandate``)."""
    feats: list[dict[str, Any]] = []
    for v in sorted(violations, key=lambda v: (v.time_s, v.id)):
        f = violation_feature(v)
        f["properties"]["layer"] = "violation"
        feats.append(f)
    for e in sorted(events, key=lambda e: (e.time_s, e.id)):
        f = event_feature(e)
        f["properties"]["layer"] = "event"
        feats.append(f)
    if mandate is not None:
        for sh in mandate_shapes(mandate):
            coords = sh["coordinates"] if sh["type"] == "LineString" else [sh["coordinates"]]
            props = {k: sh[k] for k in ("name", "kind", "party", "zone")}
            feats.append(
                {
                    "type": "Feature",
                    "geometry": {"type": sh["type"], "coordinates": coords},
                    "properties": {**props, "layer": "mandate"},
                }
            )
    return write_geojson(path, feats)


def export_csv(
    events: Sequence[Event], violations: Sequence[Violation], path: Path, mandate: Mandate | None
) -> Path:
    """One row per violation then per event (UTF-8, header, ``lat``/``lon`` in
    degrees, empty cells for missing values); ids in lists are space-separated."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(COLUMNS), lineterminator="\n")
        w.writeheader()
        for r in rows(events, violations):
            w.writerow({k: ("" if v is None else v) for k, v in r.items()})
    return path


def _kml(
    events: Sequence[Event], violations: Sequence[Violation], path: Path, mandate: Mandate | None
) -> Path:
    from ceasefire.report.kml import write_kml

    return write_kml(events, violations, path, mandate)


def _kmz(
    events: Sequence[Event], violations: Sequence[Violation], path: Path, mandate: Mandate | None
) -> Path:
    from ceasefire.report.kml import write_kmz

    return write_kmz(events, violations, path, mandate)


def _gpkg(
    events: Sequence[Event], violations: Sequence[Violation], path: Path, mandate: Mandate | None
) -> Path:
    from ceasefire.report.gpkg import write_gpkg

    return write_gpkg(events, violations, path, mandate)


def _cot(
    events: Sequence[Event], violations: Sequence[Violation], path: Path, mandate: Mandate | None
) -> Path:
    from ceasefire.report.cot import write_cot

    return write_cot(events, violations, path, mandate)


_WRITERS: dict[
    str, Callable[[Sequence[Event], Sequence[Violation], Path, Mandate | None], Path]
] = {
    "geojson": export_geojson,
    "kml": _kml,
    "kmz": _kmz,
    "gpkg": _gpkg,
    "csv": export_csv,
    "cot": _cot,
}


def export(
    fmt: str,
    events: Sequence[Event],
    violations: Sequence[Violation],
    path: Path,
    *,
    mandate: Mandate | None = None,
) -> Path:
    """Write ``events`` and ``violations`` to ``path`` in ``fmt`` (one of
    :data:`FORMATS`); with ``mandate``, also its contact line and zones where
    the format holds geometry layers (GeoJSON, KML, GeoPackage)."""
    key = fmt.lower().lstrip(".")
    if key not in _WRITERS:
        raise InputError(
            f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}", field="format"
        )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return _WRITERS[key](events, violations, path, mandate)
