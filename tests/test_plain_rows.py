"""Rows without models (``ceasefire.plain_rows``): a row only for a line the
model accepts, and then the model's row (``observation_values`` of pydantic's
model, canonical body included), by value and type; every other line left to
the model."""

from __future__ import annotations

import json
import math
import random
import struct
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from pydantic import TypeAdapter, ValidationError

from ceasefire.ingest.limits import plain_object
from ceasefire.model.observation import OBSERVATION_ADAPTER, IntakePolicy
from ceasefire.plain_rows import plain_row
from ceasefire.store.batch import SQLITE_NULL, canonical_body, observation_values

POLICY = IntakePolicy(years=(2020, 2030))
NULLS = [None, SQLITE_NULL]


def _same(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    """Equal by value and type, NaN equal to NaN."""
    return len(a) == len(b) and all(
        type(x) is type(y)
        and (x == y or (isinstance(x, float) and math.isnan(x) and math.isnan(y)))
        for x, y in zip(a, b, strict=True)
    )


def _model_row(line: bytes, null: float | None) -> tuple[Any, ...] | None:
    """The model's row of ``line`` (sector None, batch 3, submitter "op"), or None
    when the model refuses it."""
    try:
        o = OBSERVATION_ADAPTER.validate_json(line, context={"policy": POLICY})
    except ValidationError:
        return None
    return observation_values(o, 3, None, "op", canonical_body(o), null)


def _check(line: bytes, null: float | None = SQLITE_NULL) -> tuple[Any, ...] | None:
    """``plain_row`` of ``line``, asserted to be the model's row when it gives one."""
    assert plain_object(line)  # the lines plain_row is given
    row = plain_row(line, POLICY.years, 3, "op", null, {}, null)
    if row is not None:
        ref = _model_row(line, null)
        assert ref is not None, line
        assert _same(row, ref), (line, row, ref)
    return row


def _line(rec: dict[str, Any]) -> bytes:
    return json.dumps(rec, separators=(",", ":"), ensure_ascii=False).encode()


def _record(rng: random.Random, kind: str) -> dict[str, Any]:
    """A valid record of ``kind`` with optional fields present, absent or null at
    random (numbers of at most 12 digits in a row: ``plain_object``'s)."""

    def uniform(lo: float, hi: float) -> float:
        return round(rng.uniform(lo, hi), 7)

    t = datetime(2020, 1, 1, tzinfo=UTC) + timedelta(
        seconds=rng.randrange(10 * 365 * 86400), microseconds=rng.randrange(10**6)
    )
    digits = rng.choice([0, 1, 3, 6])  # the fraction's digits: a zero fraction too
    frac = "" if digits == 0 else "." + f"{t.microsecond:06d}"[:digits]
    if rng.random() < 0.1:
        frac = "." + "0" * rng.randrange(1, 7)
    rec: dict[str, Any] = {
        "id": f"o{rng.randrange(10**6)}é" if rng.random() < 0.1 else f"o{rng.randrange(10**6)}",
        "source": rng.choice(["mic-1", "cam-2", "uav-sortie-3"]),
        "kind": kind,
        "time": t.strftime("%Y-%m-%dT%H:%M:%S") + frac + "Z",
    }
    if rng.random() < 0.7:
        rec["time_sigma_s"] = rng.choice([0.003, 2.0, 86400.0, 1e-7, None])
    if rng.random() < 0.1:
        rec["evidence"] = []
    place = {"lat": uniform(-90, 90), "lon": rng.choice([uniform(-180, 180), 180.0])}
    if rng.random() < 0.3:
        place["alt_m"] = rng.choice([-1000.0, 50000.0, 12.5, None])
    rec["position" if kind == "sighting" else "observer"] = place
    sense = [("sense", rng.choice(["heard", "seen", None]))] if rng.random() < 0.4 else []
    if kind == "bearing":
        rec |= {"bearing_deg": uniform(0, 360), "bearing_sigma_deg": uniform(0.01, 180)}
        for k in ("range_m", "range_sigma_m"):
            if rng.random() < 0.3:
                rec[k] = rng.choice([200000.0, 1.5, None])
        for k, words in (
            ("event", ["explosion", "flare", "shot", "undetermined"]),
            ("direction", ["incoming", "outgoing"]),
            ("weapon", ["mortar", "small_arms"]),
        ):
            if rng.random() < 0.6:
                rec[k] = rng.choice(words)
        rec |= dict(sense)
    elif kind == "arrival":
        if rng.random() < 0.6:
            rec["event"] = rng.choice(["explosion", "flare", "firing", None])
        rec |= dict(sense)
    else:
        rec |= {"position_sigma_m": uniform(0.1, 100000), "object": "tank"}
        if rng.random() < 0.5:
            rec["count"] = rng.choice([1, 7, 10000])
        if rng.random() < 0.5:
            rec["party"] = rng.choice(["RU", "x" * 200, None])
    keys = list(rec)
    rng.shuffle(keys)  # the key order is the writer's, not the model's
    return {k: rec[k] for k in keys}


@pytest.mark.parametrize("null", NULLS, ids=["None", "NaN"])
def test_usual_lines_give_the_models_row(null: float | None) -> None:
    rng = random.Random(23)
    made = 0
    for i in range(3000):
        line = _line(_record(rng, ("bearing", "arrival", "sighting")[i % 3]))
        made += _check(line, null) is not None
    # every record made is valid: the usual shape holds for all of them
    assert made == 3000


def _base(kind: str) -> dict[str, Any]:
    rec = _record(random.Random(kind), kind)
    rec.pop("sense", None)
    return rec


#: changes the model refuses, each of one field (its bounds, types, vocabularies)
REFUSED: list[tuple[str, dict[str, Any]]] = [
    ("bearing", {"bearing_deg": 360.0}),
    ("bearing", {"bearing_deg": -1e-9}),
    ("bearing", {"bearing_sigma_deg": 0.0}),
    ("bearing", {"bearing_sigma_deg": 180.00001}),
    ("bearing", {"range_m": 0.0}),
    ("bearing", {"range_sigma_m": 200000.1}),
    ("bearing", {"event": None}),
    ("bearing", {"weapon": "sword"}),
    ("bearing", {"direction": "up"}),
    ("bearing", {"sense": "felt"}),
    ("bearing", {"bearing_deg": True}),
    ("bearing", {"bearing_deg": "90.0"}),
    ("arrival", {"event": "bang"}),
    ("arrival", {"observer": {"lat": 90.5, "lon": 1.0}}),
    ("arrival", {"observer": {"lat": 1.0, "lon": -180.01}}),
    ("arrival", {"observer": {"lat": 1.0, "lon": 1.0, "alt_m": 50000.5}}),
    ("arrival", {"observer": {"lat": 1.0, "lon": 1.0, "height": 5.0}}),
    ("arrival", {"time_sigma_s": 0.0}),
    ("arrival", {"time_sigma_s": 86400.5}),
    ("arrival", {"time": "2019-12-31T23:59:59Z"}),
    ("arrival", {"time": "2031-01-01T00:00:00Z"}),
    ("arrival", {"time": "2025-02-30T10:00:00Z"}),
    ("arrival", {"time": "2025-06-01T10:00:00"}),
    ("arrival", {"time": "2025-06-01T24:00:00Z"}),
    ("arrival", {"time": 1748725200}),
    ("arrival", {"id": ""}),
    ("arrival", {"source": "s" * 201}),
    ("arrival", {"id": 7}),
    ("arrival", {"color": "red"}),
    ("arrival", {"evidence": [{"uri": "ftp://x", "sha256": "a" * 64}]}),
    ("arrival", {"evidence": None}),
    ("arrival", {"kind": "sound"}),
    ("sighting", {"count": 0}),
    ("sighting", {"count": 10001}),
    ("sighting", {"count": True}),
    ("sighting", {"count": None}),
    ("sighting", {"count": 2.0}),
    ("sighting", {"party": ""}),
    ("sighting", {"party": 5}),
    ("sighting", {"object": "car"}),
    ("sighting", {"position_sigma_m": 100000.5}),
    ("sighting", {"position_sigma_m": 0.0}),
    ("sighting", {"observer": {"lat": 1.0, "lon": 1.0}}),
    # lists where a word belongs (a list is no dict key: nothing may look it up)
    ("arrival", {"kind": ["arrival"]}),
    ("bearing", {"event": ["shot"]}),
    ("bearing", {"direction": []}),
    ("bearing", {"weapon": [1]}),
    ("arrival", {"sense": ["seen"]}),
    ("arrival", {"event": ["shot"]}),
    ("sighting", {"object": ["tank"]}),
]


@pytest.mark.parametrize(("kind", "change"), REFUSED)
def test_what_the_model_refuses_is_left_to_it(kind: str, change: dict[str, Any]) -> None:
    line = _line(_base(kind) | change)
    assert _model_row(line, None) is None  # the model says why
    assert _check(line) is None


#: lines the model accepts (converting a value, or of an unusual form) left to it
UNUSUAL: list[tuple[str, dict[str, Any]]] = [
    ("bearing", {"bearing_deg": 90}),  # an integer for a float: the model writes 90.0
    ("arrival", {"observer": {"lat": 48, "lon": 37.5}}),
    ("arrival", {"time": "2025-06-01T10:00:00+03:00"}),  # not UTC: the body keeps +03:00
    ("arrival", {"time": "2025-06-01T10:00:00-00:00"}),
    ("arrival", {"time": "2025-06-01T10:00:00.1234567Z"}),  # past the microsecond
    ("arrival", {"evidence": [{"uri": "https://e.example/a.jpg", "sha256": "a" * 64}]}),
]


@pytest.mark.parametrize(("kind", "change"), UNUSUAL)
def test_unusual_lines_the_model_accepts_are_left_to_it(kind: str, change: dict[str, Any]) -> None:
    line = _line(_base(kind) | change)
    assert _model_row(line, None) is not None
    assert _check(line) is None


def test_a_key_named_twice_or_nested_is_left_to_the_model() -> None:
    line = _line(_base("arrival"))
    twice = line[:-1] + b',"id":"again"}'
    assert _model_row(twice, None) is not None  # the JSON decoders keep the last one
    assert _check(twice) is None  # ingest's slow path refuses it, with its reason
    assert _check(line) is not None
    # a key inside a value that is not a place: not counted, so the line is left
    nested = line[:-1] + b',"sense":{"a":1}}'
    assert _check(nested) is None


def test_floats_are_written_as_the_model_writes_them() -> None:
    # the body's numbers are orjson's: the same text as pydantic's, exponents included
    rng = random.Random(5)
    dump = TypeAdapter(float).dump_json
    values = [1e-5, 1e-4, 0.1 + 0.2, -0.0, 5.0, 1e15, 1e16, 1.5e300, 2.2250738585072014e-308]
    for _ in range(20000):
        x = struct.unpack("d", struct.pack("Q", rng.getrandbits(64)))[0]
        if math.isfinite(x):
            values.append(x)
        values.append(rng.uniform(-200000, 200000))
        values.append(10 ** rng.uniform(-8, 6))
    for x in values:
        assert orjson.dumps(x) == dump(x), x
