"""canonical_json's orjson pass: the exact encoder's bytes (and errors), or no answer."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from ceasefire.ledger.canonical import _encode, _fast, canonical_json
from ceasefire.model.errors import LedgerError


def _exact(obj: object) -> bytes:
    out: list[str] = []
    _encode(obj, out)
    return "".join(out).encode("utf-8")


# floats near the fast pass's bounds and integral ones, beside arbitrary ones
edge_floats = st.sampled_from(
    [
        1e-4,
        -1e-4,
        9.999999999999999e-05,
        1e16,
        9999999999999998.0,
        1e16 - 2,
        0.0,
        -0.0,
        5.0,
        1.5,
        0.1,
        123456789.125,
        1.7976931348623157e308,
        5e-324,
        1e-7,
        3.8e-05,
        1e21,
    ]
)
ascii_text = st.text(alphabet=st.characters(max_codepoint=127))
records = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | edge_floats
    | ascii_text
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(ascii_text | st.text(), inner, max_size=4)
    ),
    max_leaves=16,
)


@settings(max_examples=600, deadline=None)
@given(records)
def test_fast_pass_gives_the_exact_bytes(value: object) -> None:
    try:
        expected = _exact(value)
    except UnicodeEncodeError:
        assert _fast(value) is None
        return
    got = _fast(value)
    assert got is None or got == expected
    assert canonical_json(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        5.0,  # integral: orjson writes 5.0, JCS 5
        {"a": [1.0, 2.5]},
        1e16,  # orjson writes an exponent, JCS does not
        1e-7,
        0.0,
        -0.0,
        {"k": "é"},  # not ASCII: key order by UTF-16 units is the exact encoder's
        {"\U0001f600": 1, "\ufb01": 2},
    ],
)
def test_values_orjson_writes_otherwise_go_to_the_exact_encoder(value: object) -> None:
    assert _fast(value) is None
    assert canonical_json(value) == rfc8785.dumps(value)


class _Colour(enum.Enum):
    RED = "red"


@dataclass
class _Point:
    x: float


@pytest.mark.parametrize(
    "bad",
    [
        float("nan"),  # orjson writes null
        {"x": float("inf")},
        [uuid.UUID(int=1)],  # orjson writes a string
        _Colour.RED,  # orjson writes its value
        _Point(1.5),  # orjson writes an object
        datetime(2025, 1, 1, tzinfo=UTC),
        {1: 2},
        2**53,
        "\ud800",
    ],
)
def test_what_is_not_json_is_still_refused(bad: object) -> None:
    assert _fast(bad) is None
    with pytest.raises(LedgerError):
        canonical_json(bad)


def test_a_record_of_plain_values_takes_the_fast_pass() -> None:
    record = {
        "type": "violation",
        "id": "v-14333df7bcd017766436",
        "cov_m2": (1704.6042141325913, 566.2067066915315, 965.3422939582339),
        "probabilities": {"RU": 0.032123, "UA": 0.967877},
        "observation_digests": [],
        "n": 3,
        "ok": True,
        "weapon": None,
    }
    fast = _fast(record)
    assert fast is not None
    assert fast == _exact(record) == rfc8785.dumps(record)
