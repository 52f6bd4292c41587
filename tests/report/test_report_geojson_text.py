"""Feature text and the store's bodies: ``json.dumps``' text and errors, made by its C encoder."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ceasefire.report.geojson import feature_text, write_geojson
from ceasefire.store.store import _body_text

values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # NaN and infinities too: dumps writes NaN, Infinity
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(), inner, max_size=4)
    ),
    max_leaves=16,
)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.text(), values, max_size=6))
def test_texts_are_dumps_text(feature: dict[str, object]) -> None:
    assert feature_text(feature) == json.dumps(feature, sort_keys=True, ensure_ascii=False)
    assert _body_text(feature) == json.dumps(feature)


def test_a_feature_keeps_non_ascii_and_a_body_escapes_it() -> None:
    doc = {"b": "é", "a": [1.0, None, 1e-05]}
    assert feature_text(doc) == '{"a": [1.0, null, 1e-05], "b": "é"}'
    assert _body_text(doc) == '{"b": "\\u00e9", "a": [1.0, null, 1e-05]}'


def test_errors_are_dumps_errors() -> None:
    loop: list[object] = []
    loop.append(loop)
    for bad in ({"x": object()}, {"x": loop}):
        for encode, dumps in (
            (feature_text, lambda d: json.dumps(d, sort_keys=True, ensure_ascii=False)),
            (_body_text, json.dumps),
        ):
            with pytest.raises((TypeError, ValueError)) as got:
                encode(bad)
            with pytest.raises(type(got.value)) as want:
                dumps(bad)
            assert str(got.value) == str(want.value)
    # keys of mixed types cannot be sorted: the same TypeError
    with pytest.raises(TypeError):
        feature_text({"a": 1, 2: 3})
    assert _body_text({"a": 1, 2: 3}) == json.dumps({"a": 1, 2: 3})


def test_write_geojson_lines_are_feature_texts(tmp_path) -> None:
    feats = [{"type": "Feature", "id": "é", "properties": {"z": 1, "a": 2.5}}, {"id": "x"}]
    text = write_geojson(tmp_path / "f.geojson", feats).read_text(encoding="utf-8")
    lines = ",\n".join(json.dumps(f, sort_keys=True, ensure_ascii=False) for f in feats)
    assert text == '{"type": "FeatureCollection", "features": [\n' + lines + "\n]}\n"
