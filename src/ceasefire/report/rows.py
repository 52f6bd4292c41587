"""Events and violations as flat records (one column per attribute) for the
tabular exports (CSV, GeoPackage) and KML's extended data. ``lat``/``lon`` is the
position (a paired round's impact), ``launch_lat``/``launch_lon`` a paired round's
launch point."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ceasefire.model import Event, Violation
from ceasefire.report.geojson import iso

#: Columns of a flat record, in order.
COLUMNS = (
    "layer",
    "id",
    "kind",
    "time",
    "lat",
    "lon",
    "launch_lat",
    "launch_lon",
    "semi_major_m",
    "semi_minor_m",
    "orientation_deg",
    "rule",
    "severity",
    "response",
    "party",
    "party_probability",
    "sector",
    "side",
    "distance_to_line_km",
    "object",
    "weapon",
    "direction",
    "n_observers",
    "first_seen",
    "last_seen",
    "observations",
    "events",
)


def _ell(item: Event | Violation) -> tuple[float | None, float | None, float | None]:
    e = item.ellipse
    if e is None:
        return None, None, None
    return round(e.semi_major_m, 1), round(e.semi_minor_m, 1), round(e.orientation_deg, 1)


def violation_row(v: Violation) -> dict[str, Any]:
    a, b, o = _ell(v)
    return {
        "layer": "violation",
        "id": v.id,
        "kind": v.kind,
        "time": iso(v.time_s),
        "lat": v.lat,
        "lon": v.lon,
        "launch_lat": v.launch_lat,
        "launch_lon": v.launch_lon,
        "semi_major_m": a,
        "semi_minor_m": b,
        "orientation_deg": o,
        "rule": v.rule,
        "severity": v.severity,
        "response": v.response,
        "party": v.party,
        "party_probability": round(v.party_probability, 4),
        "sector": v.sector,
        "side": v.side,
        "distance_to_line_km": (
            round(v.distance_to_line_km, 3) if v.distance_to_line_km is not None else None
        ),
        "object": v.object,
        "weapon": v.weapon,
        "direction": None,
        "n_observers": None,
        "first_seen": iso(v.first_seen_s),
        "last_seen": iso(v.last_seen_s),
        "observations": " ".join(v.observation_ids),
        "events": " ".join(v.event_ids),
    }


def event_row(e: Event) -> dict[str, Any]:
    a, b, o = _ell(e)
    return {
        "layer": "event",
        "id": e.id,
        "kind": e.kind,
        "time": iso(e.time_s),
        "lat": e.lat,
        "lon": e.lon,
        "launch_lat": e.launch_lat,
        "launch_lon": e.launch_lon,
        "semi_major_m": a,
        "semi_minor_m": b,
        "orientation_deg": o,
        "rule": None,
        "severity": None,
        "response": None,
        "party": e.party_marked,
        "party_probability": None,
        "sector": None,
        "side": None,
        "distance_to_line_km": None,
        "object": e.object,
        "weapon": e.weapon,
        "direction": e.direction,
        "n_observers": e.n_observers,
        "first_seen": iso(e.first_seen_s),
        "last_seen": iso(e.last_seen_s),
        "observations": " ".join(e.observation_ids),
        "events": None,
    }


def rows(events: Sequence[Event], violations: Sequence[Violation]) -> list[dict[str, Any]]:
    """Violations first (by time, id), then events (by time, id)."""
    vs = sorted(violations, key=lambda v: (v.time_s, v.id))
    es = sorted(events, key=lambda e: (e.time_s, e.id))
    return [violation_row(v) for v in vs] + [event_row(e) for e in es]
