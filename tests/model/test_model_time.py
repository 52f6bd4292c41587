"""The contract's time field: ISO text with a zone or an aware datetime, within
the mission's years, with the same messages whichever way it is checked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from ceasefire.model.observation import OBSERVATION_ADAPTER, IntakePolicy


def _arrival(time: Any) -> dict[str, Any]:
    return {
        "id": "a1",
        "source": "mic-1",
        "kind": "arrival",
        "time": time,
        "observer": {"lat": 48.0, "lon": 37.0},
    }


def _message(data: dict[str, Any], context: dict[str, Any] | None = None) -> str:
    with pytest.raises(ValidationError) as info:
        OBSERVATION_ADAPTER.validate_python(data, context=context)
    (err,) = info.value.errors()
    assert err["loc"] == ("arrival", "time")
    return str(err["msg"])


def test_aware_datetimes_and_zoned_text_are_the_same_instant() -> None:
    plus2 = timezone(timedelta(hours=2))
    a = OBSERVATION_ADAPTER.validate_python(_arrival(datetime(2025, 6, 1, 9, 0, tzinfo=plus2)))
    b = OBSERVATION_ADAPTER.validate_python(_arrival("2025-06-01T07:00:00Z"))
    c = OBSERVATION_ADAPTER.validate_python(_arrival("2025-06-01T07:00:00-00:00"))
    assert a.time == b.time == c.time == datetime(2025, 6, 1, 7, 0, tzinfo=UTC)
    assert c.time.utcoffset() == timedelta(0)


def test_a_naive_datetime_is_refused_before_its_year_is_looked_at() -> None:
    assert "expected a time with a zone" in _message(_arrival(datetime(2025, 6, 1, 7)))
    assert "expected a time with a zone" in _message(_arrival(datetime(1999, 6, 1, 7)))


def test_the_mission_years_bound_text_and_datetimes_alike() -> None:
    ctx = {"policy": IntakePolicy(years=(2024, 2025))}
    assert "year 2026 is outside the mission's years 2024-2025" in _message(
        _arrival("2026-01-01T00:00:00Z"), ctx
    )
    assert "year 2023 is outside the mission's years 2024-2025" in _message(
        _arrival(datetime(2023, 12, 31, 23, tzinfo=UTC)), ctx
    )
    # not a policy: the default years (2000-2100) apply
    assert "year 1999" in _message(_arrival("1999-12-31T23:59:59Z"), {"policy": "lax"})
    ok = OBSERVATION_ADAPTER.validate_python(_arrival("2024-01-01T00:00:00+01:00"), context=ctx)
    # accepted: the year checked is the text's own, though in UTC it is 2023
    assert (ok.time.year, ok.time.astimezone(UTC).year) == (2024, 2023)


@pytest.mark.parametrize(
    ("time", "words"),
    [
        ("2025-06-01T07:00:00", "not ISO 8601 with seconds and a zone"),
        ("2025-06-01T07:00Z", "not ISO 8601 with seconds and a zone"),
        ("2025-02-30T07:00:00Z", "not a valid date or time (day is out of range for month)"),
        ("2025-06-01T07:00:00+24:00", "not a valid date or time"),
        (1748761200, "found a int; expected ISO 8601 text"),
        (None, "found a NoneType"),
    ],
)
def test_other_shapes_and_types_are_told_why(time: Any, words: str) -> None:
    assert words in _message(_arrival(time))
