"""Loading a mandate: YAML → schema → cross-references → :class:`Mandate`.

Errors name the file, the YAML line, the field path, what was found and what
was expected (:class:`~ceasefire.model.errors.MandateError`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ceasefire.geo import GeoLine
from ceasefire.mandate import schema
from ceasefire.mandate.ladder import check_response
from ceasefire.mandate.mandate import Mandate
from ceasefire.mandate.schema import BufferZone, LineSpec, MandateDoc, PolygonZone
from ceasefire.model.errors import MandateError
from ceasefire.model.yamlpath import (
    decode_utf8,
    did_you_mean,
    field_error,
    line_of,
    loc_str,
    pick_error,
    schema_keys,
    yaml_mapping,
)


def load_mandate(path: str | Path) -> Mandate:
    """Read, validate and build the mandate at ``path``."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise MandateError(f"cannot read the mandate: {exc.strerror}", file=str(p)) from exc
    return parse_mandate(decode_utf8(data, str(p), MandateError), source=str(p), base_dir=p.parent)


def parse_mandate(text: str, *, source: str = "<mandate>", base_dir: Path | None = None) -> Mandate:
    """Validate mandate YAML ``text``; ``base_dir`` resolves line files."""
    text = text.removeprefix("\ufeff")
    node, data = yaml_mapping(text, source, MandateError, "mission, parties, ...")
    try:
        doc = MandateDoc.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        err = pick_error(errors)
        loc = tuple(
            p for p in err["loc"] if not (isinstance(p, str) and p in ("buffer", "polygon"))
        )
        more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
        if err["type"] == "extra_forbidden":
            key = str(loc[-1])
            line = line_of(node, loc)
            at = f" at line {line}" if line is not None else ""
            hint = did_you_mean(key, schema_keys(vars(schema).values()))
            raise MandateError(
                f"unknown key {key!r}{at}{hint}{more}",
                file=source,
                line=line,
                field=loc_str(loc[:-1]) or None,
            ) from exc
        raise field_error(err, loc, len(errors), node, source, MandateError) from exc

    def fail(field: str, msg: str) -> MandateError:
        loc = tuple(
            int(x) if x.isdigit() else x
            for x in field.replace("[", ".").replace("]", "").split(".")
        )
        return MandateError(msg, file=source, line=line_of(node, loc), field=field)

    party_ids = [p.id for p in doc.parties]
    if len(set(party_ids)) != len(party_ids):
        raise fail("parties", f"party ids must be unique, found {party_ids}")
    known = set(party_ids)
    for side in ("left", "right"):
        v = getattr(doc.contact_line, side)
        if v not in known:
            raise fail(f"contact_line.{side}", f"unknown party {v!r}; expected one of {party_ids}")
    if doc.contact_line.left == doc.contact_line.right:
        raise fail("contact_line.right", "left and right must be held by different parties")

    lines: dict[str, GeoLine] = {}
    contact = _build_line(doc.contact_line, "contact_line", base_dir, fail)
    for pid, spec in doc.reference_lines.items():
        if pid not in known:
            raise fail(
                f"reference_lines.{pid}", f"unknown party {pid!r}; expected one of {party_ids}"
            )
        lines[pid] = _build_line(spec, f"reference_lines.{pid}", base_dir, fail)

    zone_ids: dict[str, BufferZone | PolygonZone] = {}
    for i, z in enumerate(doc.zones):
        if z.id in zone_ids:
            raise fail(f"zones[{i}].id", f"duplicate zone id {z.id!r}")
        zone_ids[z.id] = z
        if isinstance(z, BufferZone):
            for pid in z.width_km:
                if pid not in known:
                    raise fail(
                        f"zones[{i}].width_km",
                        f"unknown party {pid!r}; expected one of {party_ids}",
                    )
        else:
            from shapely.geometry import Polygon

            poly = Polygon([c[:2] for c in z.coordinates])
            if not poly.is_valid:
                raise fail(f"zones[{i}].coordinates", "the polygon ring crosses itself")
    sector_ids = {s.id for s in doc.sectors}
    for i, s in enumerate(doc.sectors):
        if s.to_km > contact.length_km + 1.0:
            raise fail(
                f"sectors[{i}].to_km",
                f"sector ends at {s.to_km} km but the contact line is "
                f"{contact.length_km:.1f} km long",
            )
    rule_ids: set[str] = set()
    for i, r in enumerate(doc.rules):
        if r.id in rule_ids:
            raise fail(f"rules[{i}].id", f"duplicate rule id {r.id!r}")
        rule_ids.add(r.id)
        for pid in r.parties:
            if pid not in known:
                raise fail(
                    f"rules[{i}].parties", f"unknown party {pid!r}; expected one of {party_ids}"
                )
        for sid in r.sectors:
            if sid not in sector_ids:
                raise fail(
                    f"rules[{i}].sectors",
                    f"unknown sector {sid!r}; expected one of {sorted(sector_ids)}",
                )
        if r.zone is not None:
            rz = zone_ids.get(r.zone)
            if rz is None:
                raise fail(
                    f"rules[{i}].zone",
                    f"unknown zone {r.zone!r}; expected one of {sorted(zone_ids)}",
                )
            if r.kind == "withdrawal" and not isinstance(rz, BufferZone):
                raise fail(
                    f"rules[{i}].zone",
                    f"zone {r.zone!r} is a polygon; a withdrawal rule needs a buffer zone",
                )
            if r.kind == "disengagement" and not isinstance(rz, PolygonZone):
                raise fail(
                    f"rules[{i}].zone",
                    f"zone {r.zone!r} is a buffer; a disengagement rule needs a polygon zone",
                )
    check_response(doc, fail)
    return Mandate(doc=doc, contact=contact, reference=lines, source=source)


def _build_line(spec: LineSpec, field: str, base_dir: Path | None, fail: Any) -> GeoLine:
    coords = spec.coordinates
    if spec.file is not None:
        fpath = (base_dir or Path.cwd()) / spec.file
        try:
            gj = json.loads(fpath.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise fail(f"{field}.file", f"cannot read GeoJSON line {fpath}: {exc}") from exc
        coords = _linestring_coords(gj)
        if coords is None:
            raise fail(
                f"{field}.file", f"{fpath} holds no LineString; expected a GeoJSON LineString"
            )
    assert coords is not None
    line = GeoLine.from_lonlat(coords)
    if not line.is_simple:
        raise fail(
            f"{field}.coordinates" if spec.file is None else f"{field}.file",
            "the line crosses itself; expected a simple line",
        )
    return line


def _linestring_coords(gj: Any) -> list[list[float]] | None:
    if not isinstance(gj, dict):
        return None
    t = gj.get("type")
    if t == "LineString":
        return gj.get("coordinates")
    if t == "Feature":
        return _linestring_coords(gj.get("geometry"))
    if t == "FeatureCollection":
        for f in gj.get("features", []):
            c = _linestring_coords(f)
            if c is not None:
                return c
    return None
