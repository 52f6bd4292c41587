"""Store rows made straight from plain NDJSON lines, without models.

A pooled ingest worker spent most of a record's CPU on pydantic's model, its
canonical JSON and the row made from it (~8 µs of ~17). A line of the usual
shape gives the same row here from its decoded value (orjson) in a fraction of
that: every key one of its kind's, named once; each value of the JSON type the
model takes without conversion (numbers for floats written as such, no nulls
where the model has a default other than null, no evidence), within the model's
bounds and vocabularies; the time ISO 8601 text in UTC (``Z``) within the
mission's years. Its row is :func:`store.batch.observation_values` of the model
pydantic would make, ``body`` (the canonical JSON) included: the models' field
order, pydantic's number and time formats (orjson writes floats as pydantic).
Any other line gives None and takes the model's way, which accepts it or says
why not: every message stays the model's.

The bounds and vocabularies here are the models' (``model/observation.py``,
``model/vocab.py``); ``tests/test_plain_rows.py`` checks each against them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeGuard, get_args

import orjson

from ceasefire.model.vocab import (
    DEFAULT_TIME_SIGMA_S,
    Direction,
    EventKind,
    ObjectClass,
    Sense,
    Weapon,
    default_sense,
)

__all__ = ["plain_row"]

#: each vocabulary's words, by themselves: a row holds the word's one string (as the
#: model's does), which pickles once per range and is kept once by the main process
_EVENTS: dict[str, str] = {w: w for w in get_args(EventKind)}
_DIRECTIONS: dict[str, str] = {w: w for w in get_args(Direction)}
_WEAPONS: dict[str, str] = {w: w for w in get_args(Weapon)}
_OBJECTS: dict[str, str] = {w: w for w in get_args(ObjectClass)}
_SENSES: dict[str, str] = {w: w for w in get_args(Sense)}
#: ``default_sense`` of each kind and event
_DEFAULT_SENSE = {
    (k, e): default_sense(k, e) for k in ("bearing", "arrival") for e in (*_EVENTS, None)
}
_SIGHTING_SENSE = default_sense("sighting", None)
_COMMON = ("id", "source", "kind", "time", "time_sigma_s", "evidence")
#: the keys each kind's model takes
_KEYS = {
    "bearing": frozenset(
        (
            *_COMMON,
            "observer",
            "bearing_deg",
            "bearing_sigma_deg",
            "range_m",
            "range_sigma_m",
            "event",
            "direction",
            "weapon",
            "sense",
        )
    ),
    "arrival": frozenset((*_COMMON, "observer", "event", "sense")),
    "sighting": frozenset((*_COMMON, "position", "position_sigma_m", "object", "count", "party")),
}
_PLACE_KEYS = frozenset(("lat", "lon", "alt_m"))
#: ``model.observation._ISO_SHAPES``'s UTC ones to the microsecond, digits written 0
_UTC_SHAPES = frozenset(
    ("0000-00-00T00:00:00" + frac + "Z").encode()
    for frac in ["", *("." + "0" * k for k in range(1, 7))]
)
#: the zeros that make the fraction of such a time of ``n`` characters six digits
_ZEROS = {21 + k: "0" * (6 - k) + "Z" for k in range(1, 7)}
_DIGITS_TO_0 = bytes.maketrans(b"123456789", b"000000000")
#: the canonical JSON's writer: orjson writes floats as pydantic does (both the
#: shortest text that reads back, the same switch to exponents: a test compares them)
_dumps = orjson.dumps
_SIGMA = DEFAULT_TIME_SIGMA_S


def _num(v: Any, lo: float, hi: float) -> TypeGuard[float]:
    """A float written as one (the model takes an integer too, but as a float: its
    canonical JSON writes ``5.0``), ``lo <= v <= hi``."""
    return type(v) is float and lo <= v <= hi


def _word(vocabulary: dict[str, str], v: Any) -> str | None:
    """``v``'s word in ``vocabulary`` (its one string), or None: not one of its
    words, or not a string (a list would not even be looked up)."""
    return vocabulary.get(v) if type(v) is str else None


def plain_row(
    line: bytes,
    years: tuple[int, int],
    batch: int,
    submitted_by: str | None,
    null: float | None,
    places: Mapping[tuple[float, float], Any],
    unknown: Any,
) -> tuple[Any, ...] | None:
    """The row (:data:`store.batch.OBSERVATION_COLUMNS`) of
    the NDJSON ``line``, one that ``limits.plain_object`` lets through (no escape
    nor control character: its strings are written as they are), when it has the
    usual shape (see the module); else None. ``years``: the mission's first and
    last; ``null`` what the row holds for NULL (``BatchWriter.null``); the row's
    sector is ``places[lat, lon]``, or ``unknown`` when not there."""
    try:
        d = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if type(d) is not dict:
        return None
    get = d.get
    kind = get("kind")
    keys = _KEYS.get(kind) if type(kind) is str else None  # (a list is no key)
    if keys is None or not keys.issuperset(d):
        return None
    p = get("position" if kind == "sighting" else "observer")
    if type(p) is not dict or not _PLACE_KEYS.issuperset(p):
        return None
    # every key ends '":' (a string holds no '"'): fewer keys than that, one named twice
    if len(d) + len(p) != line.count(b'":'):
        return None
    oid, source, v, sigma = get("id"), get("source"), get("time"), get("time_sigma_s")
    if not (
        type(oid) is str
        and 0 < len(oid) <= 200
        and type(source) is str
        and 0 < len(source) <= 200
        and type(v) is str
        and len(v) <= 27
        and v.isascii()
        and v.encode().translate(_DIGITS_TO_0) in _UTC_SHAPES
    ):
        return None
    try:
        t = datetime.fromisoformat(v)
    except ValueError:
        return None
    if not years[0] <= t.year <= years[1]:
        return None
    if sigma is not None and not (_num(sigma, 0.0, 86_400.0) and sigma > 0.0):
        return None
    if "evidence" in d and get("evidence") != []:
        return None
    lat, lon, alt = p.get("lat"), p.get("lon"), p.get("alt_m")
    if not (_num(lat, -90.0, 90.0) and _num(lon, -180.0, 180.0)):
        return None
    if alt is not None and not _num(alt, -1_000.0, 50_000.0):
        return None
    # pydantic's: six digits of fraction unless none, UTC as Z (the shape's digits are t's)
    when = (v if len(v) == 27 else v[:-1] + _ZEROS[len(v)]) if t.microsecond else v[:19] + "Z"
    pos = {"lat": lat, "lon": lon, "alt_m": alt}
    by: Any = null if submitted_by is None else submitted_by
    ts = t.timestamp()
    alt_v = null if alt is None else alt
    sector = places.get((lat, lon), unknown)
    if kind == "sighting":
        ps, obj, party = get("position_sigma_m"), _word(_OBJECTS, get("object")), get("party")
        count = get("count", 1)  # a null count is not the default: the model refuses it
        if not (_num(ps, 0.0, 100_000.0) and ps > 0.0 and obj is not None):
            return None
        if type(count) is not int or not 1 <= count <= 10_000:
            return None
        if party is not None and not (type(party) is str and 0 < len(party) <= 200):
            return None
        body = _dumps(
            {
                "id": oid, "source": source, "time": when, "time_sigma_s": sigma,
                "evidence": [], "kind": "sighting", "position": pos,
                "position_sigma_m": ps, "object": obj, "count": count, "party": party,
            }
        ).decode()  # fmt: skip
        return (
            source, oid, "sighting", ts, _SIGMA["sighting"] if sigma is None else sigma,
            lat, lon, alt_v, sector, by, batch,
            null, null, null, null, null, _SIGHTING_SENSE, null, null,
            ps, obj, count, null if party is None else party, body,
        )  # fmt: skip
    sense = get("sense")
    if sense is not None:
        sense = _word(_SENSES, sense)
        if sense is None:
            return None
    if kind == "arrival":
        event = get("event")
        if event is not None:
            event = _word(_EVENTS, event)
            if event is None:
                return None
        body = _dumps(
            {
                "id": oid, "source": source, "time": when, "time_sigma_s": sigma,
                "evidence": [], "kind": "arrival", "observer": pos,
                "event": event, "sense": sense,
            }
        ).decode()  # fmt: skip
        return (
            source, oid, "arrival", ts, _SIGMA["arrival"] if sigma is None else sigma,
            lat, lon, alt_v, sector, by, batch,
            null, null, null, null, null if event is None else event,
            _DEFAULT_SENSE["arrival", event] if sense is None else sense,
            null, null, null, null, null, null, body,
        )  # fmt: skip
    b, bs, rng, rs = (
        get("bearing_deg"),
        get("bearing_sigma_deg"),
        get("range_m"),
        get("range_sigma_m"),
    )
    event = _word(_EVENTS, get("event", "undetermined"))
    direction = _word(_DIRECTIONS, get("direction", "undetermined"))
    weapon = _word(_WEAPONS, get("weapon", "undetermined"))
    if event is None or direction is None or weapon is None:
        return None
    if not (_num(b, 0.0, 360.0) and b < 360.0 and _num(bs, 0.0, 180.0) and bs > 0.0):
        return None
    if rng is not None and not (_num(rng, 0.0, 200_000.0) and rng > 0.0):
        return None
    if rs is not None and not (_num(rs, 0.0, 200_000.0) and rs > 0.0):
        return None
    body = _dumps(
        {
            "id": oid, "source": source, "time": when, "time_sigma_s": sigma,
            "evidence": [], "kind": "bearing", "observer": pos,
            "bearing_deg": b, "bearing_sigma_deg": bs, "range_m": rng, "range_sigma_m": rs,
            "event": event, "direction": direction, "weapon": weapon, "sense": sense,
        }
    ).decode()  # fmt: skip
    return (
        source, oid, "bearing", ts, _SIGMA["bearing"] if sigma is None else sigma,
        lat, lon, alt_v, sector, by, batch,
        b, bs, null if rng is None else rng, null if rs is None else rs,
        event, _DEFAULT_SENSE["bearing", event] if sense is None else sense,
        direction, weapon, null, null, null, null, body,
    )  # fmt: skip
