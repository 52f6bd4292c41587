"""GeoJSON: times (ISO 8601, remembered or not), features' text (by orjson where it is json's)."""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ceasefire.model import Event, Violation
from ceasefire.report import geojson
from ceasefire.report.geojson import (
    event_feature,
    event_feature_text,
    iso,
    violation_feature,
    violation_feature_text,
)


def test_iso_is_the_datetimes_text_each_time_it_is_asked() -> None:
    geojson._iso_remembered.cache_clear()
    times = [1748725221.9078908, 1748725221.9995, 0.0, -1.25, 1748725222]
    want = [datetime.fromtimestamp(t, tz=UTC).isoformat(timespec="milliseconds") for t in times]
    assert [iso(t) for t in times] == want
    assert want[0] == "2025-05-31T21:00:21.907+00:00"
    # a violation's time is its event's: asked again, the same text
    assert [iso(t) for t in reversed(times)] == want[::-1]
    # the floats' texts remembered (the integer's made each time)
    assert geojson._iso_remembered.cache_info().hits == len(times) - 1
    assert iso(None) is None


# floats about orjson's and json's differences (below 1e-4, not finite), ordinary ones
_floats = st.sampled_from(
    [0.0, -0.0, 1e-4, -1e-4, 9.999e-05, 1.5e-05, 1e-7, 5e-324, 1e16, 1e300, 0.95, 48.123456]
) | st.floats(allow_nan=True, allow_infinity=True)
_times = st.floats(0.0, 4e9) | st.sampled_from([float("nan"), -1e12, 1748725221.9078908])
_texts = st.text(max_size=8) | st.sampled_from(["a,b", 'q"', "b\\s", '":', "é", "\x7f", "\n", ":x"])
_ints = st.integers(-(2**70), 2**70) | st.integers(0, 20)

#: a strategy per field annotation (a field of another type fails here: add it)
_BY_ANNOTATION = {
    "str": _texts,
    "str | None": st.none() | _texts,
    "float": _times,
    "float | None": st.none() | _floats,
    "int": _ints,
    "tuple[str, ...]": st.lists(_texts, max_size=3).map(tuple),
    "tuple[float, float, float] | None": st.none()
    | st.tuples(_floats, _floats, _floats)
    | st.tuples(st.floats(0.0, 1e8), st.floats(0.0, 1e8), st.floats(-1.0, 1.0)),
    "dict[str, float]": st.dictionaries(_texts, _floats, max_size=3),
}


def _results(cls: type) -> st.SearchStrategy[Any]:
    return st.builds(cls, **{f.name: _BY_ANNOTATION[str(f.type)] for f in fields(cls)})


def _same(make_text: Any, make_feature: Any, x: Any) -> None:
    try:
        want = json.dumps(make_feature(x), sort_keys=True, ensure_ascii=False)
    except Exception as exc:  # the feature cannot be built: the same error
        with pytest.raises(type(exc)):
            make_text(x)
        return
    assert make_text(x) == want


@settings(max_examples=400, deadline=None)
@given(_results(Event))
def test_an_events_feature_text_is_jsons(e: Event) -> None:
    _same(event_feature_text, event_feature, e)


@settings(max_examples=400, deadline=None)
@given(_results(Violation))
def test_a_violations_feature_text_is_jsons(v: Violation) -> None:
    _same(violation_feature_text, violation_feature, v)


def test_plain_features_take_orjsons_way() -> None:
    e = Event(
        "ev-1", "explosion", 1748725221.9078908, 49.397080366894805, 37.715324263824826,
        (1704.6, 566.2, 965.3), ("o1", "o2"), 2, flags=("pair_side_doubt:0.12",),
    )  # fmt: skip
    feature = event_feature(e)
    assert geojson._orjson_text(feature, [37.715324, 49.39708], ["ev-1"]) is not None
    assert event_feature_text(e) == json.dumps(feature, sort_keys=True, ensure_ascii=False)
    # a comma in a string, a tiny float, NaN: json's way
    assert geojson._orjson_text(feature, [1.0], ["a,b"]) is None
    # an id starting with a colon: its '":' is not a key's end
    odd = Event("ev-1", "explosion", 1.0, 48.5, 37.25, None, (":o1",), 1)
    assert event_feature_text(odd) == json.dumps(
        event_feature(odd), sort_keys=True, ensure_ascii=False
    )
    assert geojson._orjson_text(feature, [1e-5], []) is None
    assert geojson._orjson_text(feature, [float("nan")], []) is None
