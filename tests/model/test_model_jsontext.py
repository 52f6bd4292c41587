"""The store's body text of a result by orjson: ``json.dumps(to_dict(x))``'s
characters, whatever the values (``model.jsontext``)."""

from __future__ import annotations

import json
from dataclasses import fields, replace
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ceasefire.model import Event, Violation, jsontext
from ceasefire.model.codec import to_dict
from ceasefire.model.jsontext import body_text, body_texts, plain_values

# values about where orjson's text and json's part: not finite, below 1e-4,
# non-ASCII (json escapes it), escapes, commas, integers beyond 64 bits
_floats = st.sampled_from(
    [0.0, -0.0, 1e-4, 9.999e-05, 5e-324, 1e16, 1e300, 0.95, 48.123456, float("nan")]
) | st.floats(allow_nan=True, allow_infinity=True)
_texts = st.text(max_size=6) | st.sampled_from(["a,b", 'q"', "b\\s", '":', "é", "\x7f", "ok", ":x"])
_by_annotation: dict[str, st.SearchStrategy[Any]] = {
    "str": _texts,
    "str | None": st.none() | _texts,
    "float": _floats,
    "float | None": st.none() | _floats,
    "int": st.integers(-(2**70), 2**70) | st.integers(0, 9),
    "tuple[str, ...]": st.lists(_texts, max_size=3).map(tuple),
    "tuple[float, float, float] | None": st.none() | st.tuples(_floats, _floats, _floats),
    "dict[str, float]": st.dictionaries(_texts, _floats, max_size=3),
}


def _results(cls: type) -> st.SearchStrategy[Any]:
    # a field of a type not drawn here fails (KeyError): add it, and to the plan
    return st.builds(cls, **{f.name: _by_annotation[str(f.type)] for f in fields(cls)})


def _event() -> Event:
    return Event("e", "explosion", 1.0, 48.5, 37.25, (4.0, 5.0, 0.5), ("o-1", "o-2"), 2)


def _violation() -> Violation:
    probabilities = {"p": 0.5, "q": 0.25}
    return Violation(
        "v", "r", "high", "explosion", 1.0, 2.0, 3.0, None, "p", 0.5, probabilities,
        ("e",), ("a",), 1.5, "left", "report", notes=("n",),
    )  # fmt: skip


@pytest.mark.parametrize("cls", [Event, Violation])
def test_every_field_of_a_result_has_a_place_in_the_plan(cls: type) -> None:
    plan = jsontext._PLANS[cls]
    assert plan.unknown == ()
    x = _event() if cls is Event else _violation()
    numbers, texts = plan.values([x])
    # every number and string of the body (but None) is among what the check looks at
    body = to_dict(x)
    flat = [v for v in body.values() if not isinstance(v, (tuple, dict))]
    for v in body.values():
        if isinstance(v, tuple):
            flat += v
        elif isinstance(v, dict):
            flat += [*v, *v.values()]

    def named(xs: list[Any]) -> list[str]:
        return sorted(repr(v) for v in xs if v is not None)

    assert named(flat) == named(numbers + texts)


@settings(max_examples=500, deadline=None)
@given(_results(Event))
def test_an_events_body_is_jsons(e: Event) -> None:
    assert body_text(e) == json.dumps(to_dict(e))
    assert body_text(e, to_dict(e)) == json.dumps(to_dict(e))


@settings(max_examples=500, deadline=None)
@given(_results(Violation))
def test_a_violations_body_is_jsons(v: Violation) -> None:
    assert body_text(v, to_dict(v)) == json.dumps(to_dict(v))


def test_plain_values_take_orjsons_way_and_the_rest_jsons() -> None:
    assert plain_values([1.5, 0.0, -0.0, 3, None, True], ["a", None, "é"])
    assert not plain_values([1e-5], [])  # json: 1e-05, orjson: 0.00001
    assert not plain_values([float("nan")], [])  # orjson: null
    assert not plain_values([float("inf"), 1.0], [])
    assert not plain_values([2**1100, 1.5], [])  # the sum overflows
    assert not plain_values([np.float64(1.5)], [])  # a subclass of float
    assert not plain_values([], ["a,b"])  # the separators could not be put back
    assert not plain_values([], ["a", ":b"])  # '":' would be inside a string
    assert not plain_values([], [":b"])
    assert plain_values([], ["b:", "a:b"])


def test_non_ascii_escapes_and_numpy_floats_are_written_by_json() -> None:
    e = replace(_event(), cov_m2=None)
    assert body_text(e) == json.dumps(to_dict(e))
    for odd in (
        replace(e, id="é"),  # json escapes it: \u00e9
        replace(e, id='q"'),
        replace(e, lat=np.float64(48.5)),
        replace(e, n_observers=2**65),
        replace(e, lon=float("nan")),
    ):
        assert body_text(odd) == json.dumps(to_dict(odd))
    assert "\\u00e9" in body_text(replace(e, id="é"))


@settings(max_examples=200, deadline=None)
@given(st.lists(_results(Event), max_size=6), st.lists(_results(Violation), max_size=6))
def test_a_batchs_bodies_are_each_jsons(events: list[Event], violations: list[Violation]) -> None:
    assert body_texts(events) == [json.dumps(to_dict(e)) for e in events]
    plain = [to_dict(v) for v in violations]
    assert body_texts(violations, plain) == [json.dumps(d) for d in plain]


def test_a_batch_is_split_where_its_results_end(monkeypatch: pytest.MonkeyPatch) -> None:
    e, v = _event(), _violation()
    monkeypatch.setattr(jsontext, "BATCH", 3)
    events = [replace(e, id=f"e-{k}", lat=48.0 + k / 7) for k in range(8)]
    events[4] = replace(events[4], lon=1e-6)  # its batch (3-5) by json, the others by orjson
    assert jsontext._batch(events[:3], None) is not None
    assert jsontext._batch(events[3:6], None) is None
    assert body_texts(events) == [json.dumps(to_dict(x)) for x in events]
    violations = [
        replace(v, id=f"v-{k}", probabilities={"p": k / 9, "q": 1 - k / 9}) for k in range(5)
    ]
    plain = [to_dict(x) for x in violations]
    assert jsontext._batch(violations[:3], plain[:3]) is not None
    assert body_texts(violations, plain) == [json.dumps(d) for d in plain]
    # a result of another type in the batch: json's way
    assert jsontext._batch([e, v], None) is None
