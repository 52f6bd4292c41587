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

import orjson

from ceasefire.model import Event, Violation
from ceasefire.model.jsontext import plain_values, spaced


def iso(time_s: float | None) -> str | None:
    """UTC epoch seconds as ISO 8601 with zone, millisecond precision."""
    if time_s is None:
        return None
    if type(time_s) is float:
        return _iso_remembered(time_s)
    return _iso(time_s)


def _iso(time_s: float) -> str:
    return datetime.fromtimestamp(time_s, tz=UTC).isoformat(timespec="milliseconds")


#: a violation's times are its event's, its feature made a few thousand features
#: after the event's (a part's events, then its violations)
_iso_remembered = lru_cache(maxsize=1 << 14)(_iso)


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


def feature_text(feature: dict[str, Any]) -> str:
    """A GeoJSON feature's text in a FeatureCollection (as :func:`write_geojson`
    writes it)."""
    return json.dumps(feature, sort_keys=True, ensure_ascii=False)


def event_feature_text(e: Event) -> str:
    """``feature_text(event_feature(e))``, character for character."""
    feature = event_feature(e)
    props = feature["properties"]
    numbers = [*_placed_numbers(feature), props["count"], props["n_observers"]]
    texts = [e.id, e.kind, e.direction, e.weapon, e.object, e.party_marked]
    return _text(feature, numbers, [*texts, *e.observation_ids, *e.flags])


def violation_feature_text(v: Violation) -> str:
    """``feature_text(violation_feature(v))``, character for character."""
    feature = violation_feature(v)
    props = feature["properties"]
    numbers = [
        *_placed_numbers(feature),
        props["party_probability"],
        *props["probabilities"].values(),
        props["distance_to_line_km"],
    ]
    texts = [v.id, v.kind, v.rule, v.severity, v.response, v.party, v.object, v.weapon]
    texts += [v.sector, v.side, *props["probabilities"], *v.observation_ids, *v.event_ids]
    return _text(feature, numbers, [*texts, *v.notes])


def _placed_numbers(feature: dict[str, Any]) -> list[Any]:
    """The numbers of a feature's position, its launch point and its uncertainty
    (what events' and violations' features share)."""
    props = feature["properties"]
    numbers: list[Any] = []
    for point in (feature["geometry"], props["launch"]):
        if point is not None:
            numbers += point["coordinates"]
    return [*numbers, *(props["uncertainty"] or {}).values()]


_SORTED = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_SUBCLASS


def _text(feature: dict[str, Any], numbers: list[Any], texts: list[Any]) -> str:
    """:func:`feature_text` of ``feature``, whose every number is among
    ``numbers`` and every string among ``texts`` (but for the builders' own:
    keys, kinds of geometry, ISO times), by orjson where its text is ``json``'s
    but for the separators, by ``json`` otherwise.

    ``json`` writes a feature's many floats by ``float.__repr__`` (~14 µs a
    feature; by orjson ~1.4 µs). orjson differs on floats that are not finite
    (``null``) or nonzero of magnitude below 1e-4, escapes, strings holding a
    comma (the separators could not be put back by ``replace``), dict keys that
    are not strings, integers beyond 64 bits, lone surrogates and subclasses
    of the plain types: each goes to ``json`` (the numbers' and texts' types and
    values checked before, the text after, orjson refuses the rest)."""
    raw = _orjson_text(feature, numbers, texts)
    text = spaced(raw) if raw is not None else None
    return text if text is not None else feature_text(feature)


def _orjson_text(feature: dict[str, Any], numbers: list[Any], texts: list[Any]) -> bytes | None:
    """orjson's compact text of ``feature`` where its numbers and texts are
    written as ``json`` writes them, else None."""
    if not plain_values(numbers, texts):
        return None
    try:
        return orjson.dumps(feature, option=_SORTED)
    except TypeError:  # a key, integer or string orjson refuses
        return None


def feature_collection(features: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def write_geojson(path: Path, features: Sequence[dict[str, Any]]) -> Path:
    """Write a FeatureCollection (UTF-8, sorted keys, one feature per line)."""
    lines = ",\n".join(feature_text(f) for f in features)
    path.write_text(
        '{"type": "FeatureCollection", "features": [\n' + lines + "\n]}\n", encoding="utf-8"
    )
    return path
