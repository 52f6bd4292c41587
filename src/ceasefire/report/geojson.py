"""RFC 7946 GeoJSON of events and violations (the pipeline's main outputs).

Point geometry at the best position estimate (``[lon, lat]``), ``null``
geometry when there is none. Properties: ``id``, ``kind``, ``time`` (ISO 8601
UTC), ``party``, ``party_probability``, ``uncertainty`` (the 95 % ellipse:
``semi_major_m``, ``semi_minor_m``, ``orientation_deg`` clockwise from north),
``observations`` (ids), ``object``, ``distance_to_line_km`` and, for
violations, ``rule``, ``severity``, ``response``, ``sector``, ``side``,
``probabilities``, ``events``, ``first_seen``, ``last_seen`` and ``launch`` (the
launch point of a paired round, whose geometry is its impact; else ``null``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from ceasefire.model import Event, Violation


#: remembered: a violation's times are its event's, its feature made a few
#: thousand features after the event's (a part's events, then its violations)
@lru_cache(maxsize=1 << 14)
def iso(time_s: float | None) -> str | None:
    """UTC epoch seconds as ISO 8601 with zone, millisecond precision."""
    if time_s is None:
        return None
    return datetime.fromtimestamp(time_s, tz=UTC).isoformat(timespec="milliseconds")


def _point(lat: float | None, lon: float | None) -> dict[str, Any] | None:
    if lat is None or lon is None:
        return None
    return {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]}


def event_feature(e: Event) -> dict[str, Any]:
    ell = e.ellipse
    props: dict[str, Any] = {
        "id": e.id,
        "kind": e.kind,
        "time": iso(e.time_s),
        "party": "undetermined",
        "party_probability": None,
        "uncertainty": ell.to_dict() if ell else None,
        "observations": list(e.observation_ids),
        "n_observers": e.n_observers,
        "direction": e.direction,
        "weapon": e.weapon,
        "object": e.object,
        "count": e.count or None,
        "party_marked": e.party_marked,
        "first_seen": iso(e.first_seen_s),
        "last_seen": iso(e.last_seen_s),
        "launch": _point(e.launch_lat, e.launch_lon),
        "flags": list(e.flags),
        "distance_to_line_km": None,
    }
    return {"type": "Feature", "id": e.id, "geometry": _point(e.lat, e.lon), "properties": props}


def violation_feature(v: Violation) -> dict[str, Any]:
    ell = v.ellipse
    props: dict[str, Any] = {
        "id": v.id,
        "kind": v.kind,
        "time": iso(v.time_s),
        "rule": v.rule,
        "severity": v.severity,
        "response": v.response,
        "party": v.party,
        "party_probability": round(v.party_probability, 4),
        "probabilities": {k: round(p, 4) for k, p in sorted(v.probabilities.items())},
        "uncertainty": ell.to_dict() if ell else None,
        "observations": list(v.observation_ids),
        "events": list(v.event_ids),
        "object": v.object,
        "weapon": v.weapon,
        "sector": v.sector,
        "side": v.side,
        "distance_to_line_km": (
            round(v.distance_to_line_km, 3) if v.distance_to_line_km is not None else None
        ),
        "first_seen": iso(v.first_seen_s),
        "last_seen": iso(v.last_seen_s),
        "notes": list(v.notes),
        "launch": _point(v.launch_lat, v.launch_lon),
    }
    return {"type": "Feature", "id": v.id, "geometry": _point(v.lat, v.lon), "properties": props}


def feature_collection(features: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def write_geojson(path: Path, features: Sequence[dict[str, Any]]) -> Path:
    """Write a FeatureCollection (UTF-8, sorted keys, one feature per line)."""
    lines = ",\n".join(json.dumps(f, sort_keys=True, ensure_ascii=False) for f in features)
    path.write_text(
        '{"type": "FeatureCollection", "features": [\n' + lines + "\n]}\n", encoding="utf-8"
    )
    return path
