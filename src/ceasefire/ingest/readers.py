"""Readers of observation files: NDJSON, GeoJSON FeatureCollection, CSV.

Each reader yields :class:`RawRecord` items, one per input record, carrying the
file, the line (NDJSON, CSV) or feature number (GeoJSON) and either the parsed
mapping or the reason it could not be parsed. No record is dropped here.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ceasefire.model.errors import ObservationError

FORMATS = ("ndjson", "geojson", "csv")


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One input record: ``data`` when it parsed, else ``error``; ``raw`` is the
    record's text as read (kept in quarantine when rejected)."""

    file: str
    line: int
    raw: str
    data: dict[str, Any] | None
    error: str | None = None


def detect_format(path: Path) -> str:
    """The format of ``path`` from its suffix: ``.ndjson``/``.jsonl``,
    ``.geojson``/``.json`` or ``.csv``."""
    suffix = path.suffix.lower()
    if suffix in (".ndjson", ".jsonl"):
        return "ndjson"
    if suffix in (".geojson", ".json"):
        return "geojson"
    if suffix == ".csv":
        return "csv"
    raise ObservationError(
        f"unknown file type {suffix!r}; expected .ndjson/.jsonl, .geojson/.json or .csv",
        file=str(path),
    )


def read_records(path: Path, fmt: str | None = None) -> Iterator[RawRecord]:
    """Every record of ``path`` in file order."""
    fmt = fmt or detect_format(path)
    if fmt == "ndjson":
        yield from _read_ndjson(path)
    elif fmt == "geojson":
        yield from _read_geojson(path)
    elif fmt == "csv":
        yield from _read_csv(path)
    else:
        raise ObservationError(f"unknown format {fmt!r}; expected one of {FORMATS}", file=str(path))


def _read_ndjson(path: Path) -> Iterator[RawRecord]:
    name = str(path)
    with path.open("r", encoding="utf-8", errors="replace", newline="") as fh:
        for lineno, text in enumerate(fh, start=1):
            text = text.rstrip("\r\n")
            if not text.strip():
                continue
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                yield RawRecord(
                    name, lineno, text, None, f"not JSON: {exc.msg} at column {exc.colno}"
                )
                continue
            if not isinstance(data, dict):
                yield RawRecord(
                    name, lineno, text, None, f"expected a JSON object, found {type(data).__name__}"
                )
                continue
            yield RawRecord(name, lineno, text, data)


def _read_geojson(path: Path) -> Iterator[RawRecord]:
    name = str(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8", errors="replace"))
    except json.JSONDecodeError as exc:
        raise ObservationError(
            f"not JSON: {exc.msg} at column {exc.colno}", file=name, line=exc.lineno
        ) from exc
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise ObservationError("expected a GeoJSON FeatureCollection", file=name, field="type")
    features = doc.get("features")
    if not isinstance(features, list):
        raise ObservationError("expected a list of features", file=name, field="features")
    for i, feat in enumerate(features, start=1):
        raw = json.dumps(feat, sort_keys=True)
        if not isinstance(feat, dict) or not isinstance(feat.get("properties"), dict):
            yield RawRecord(name, i, raw, None, "feature has no 'properties' object")
            continue
        data = dict(feat["properties"])
        geom = feat.get("geometry")
        if geom is not None:
            if not (
                isinstance(geom, dict)
                and geom.get("type") == "Point"
                and isinstance(geom.get("coordinates"), list)
                and len(geom["coordinates"]) >= 2
            ):
                yield RawRecord(
                    name, i, raw, None, "geometry must be a Point [lon, lat(, alt)] or null"
                )
                continue
            c = geom["coordinates"]
            pos: dict[str, Any] = {"lon": c[0], "lat": c[1]}
            if len(c) > 2:
                pos["alt_m"] = c[2]
            key = "position" if data.get("kind") == "sighting" else "observer"
            if key in data and data[key] != pos:
                yield RawRecord(name, i, raw, None, f"geometry and properties.{key} disagree")
                continue
            data[key] = pos
        yield RawRecord(name, i, raw, data)


_NESTED = ("observer", "position")
_NUMERIC = {
    "lat",
    "lon",
    "alt_m",
    "bearing_deg",
    "bearing_sigma_deg",
    "range_m",
    "range_sigma_m",
    "time_sigma_s",
    "position_sigma_m",
}


def flat_to_nested(row: dict[str, str]) -> dict[str, Any]:
    """A CSV row (``observer_lat``, ``position_lon``, ``evidence`` as JSON ...) as
    a nested observation mapping. Empty cells are absent fields; numbers are parsed
    (a cell that is not a number stays a string, and validation says so)."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if key is None or value is None or value == "":
            continue
        prefix, _, rest = key.partition("_")
        if prefix in _NESTED and rest in ("lat", "lon", "alt_m"):
            out.setdefault(prefix, {})[rest] = _number(value)
        elif key == "evidence":
            try:
                out[key] = json.loads(value)
            except json.JSONDecodeError:
                out[key] = value
        elif key in _NUMERIC:
            out[key] = _number(value)
        elif key == "count":
            out[key] = _number(value, integer=True)
        else:
            out[key] = value
    return out


def _number(text: str, *, integer: bool = False) -> Any:
    try:
        return int(text) if integer else float(text)
    except ValueError:
        return text


def _read_csv(path: Path) -> Iterator[RawRecord]:
    name = str(path)
    with path.open("r", encoding="utf-8", errors="replace", newline="") as fh:
        reader = csv.DictReader(fh)
        for row in reader:
            lineno = reader.line_num
            raw = json.dumps(row, sort_keys=True)
            if None in row:
                yield RawRecord(
                    name,
                    lineno,
                    raw,
                    None,
                    f"more cells than the {len(reader.fieldnames or [])} columns of the header",
                )
                continue
            yield RawRecord(name, lineno, raw, flat_to_nested(row))
