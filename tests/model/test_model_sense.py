"""Seen or heard: the observation contract's ``sense`` and its default."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from ceasefire.model.arrays import ObservationArrays
from ceasefire.model.observation import OBSERVATION_ADAPTER
from ceasefire.model.vocab import SENSES

BASE: dict[str, Any] = {
    "source": "post-1",
    "time": "2025-06-01T12:00:00Z",
    "observer": {"lat": 48.0, "lon": 37.8},
}


def _bearing(oid: str, **kw: Any) -> Any:
    rec = {**BASE, "id": oid, "kind": "bearing", "bearing_deg": 90.0, "bearing_sigma_deg": 5.0}
    return OBSERVATION_ADAPTER.validate_python({**rec, **kw})


def test_default_sense_from_kind_and_event() -> None:
    assert _bearing("a", event="explosion").effective_sense() == "heard"
    assert _bearing("b").effective_sense() == "heard"  # undetermined event: a person heard
    assert _bearing("c", event="flare").effective_sense() == "seen"
    arrival = OBSERVATION_ADAPTER.validate_python({**BASE, "id": "d", "kind": "arrival"})
    assert arrival.effective_sense() == "heard"  # an acoustic sensor
    sighting = OBSERVATION_ADAPTER.validate_python(
        {
            "id": "e",
            "source": "uav-1",
            "kind": "sighting",
            "time": "2025-06-01T12:00:00Z",
            "position": {"lat": 48.0, "lon": 37.8},
            "position_sigma_m": 30.0,
            "object": "tank",
        }
    )
    assert sighting.effective_sense() == "seen"


def test_a_stated_sense_wins_and_a_wrong_one_is_refused() -> None:
    assert _bearing("a", event="explosion", sense="seen").effective_sense() == "seen"
    assert _bearing("b", event="flare", sense="heard").effective_sense() == "heard"
    with pytest.raises(ValidationError) as err:
        _bearing("c", sense="smelled")
    assert "sense" in str(err.value)


def test_columns_carry_the_sense() -> None:
    obs = [
        _bearing("a", event="explosion"),
        _bearing("b", event="explosion", sense="seen"),
        _bearing("c", event="flare"),
    ]
    arr = ObservationArrays.from_observations(obs)
    assert [SENSES[int(x)] for x in arr.sense] == ["heard", "seen", "seen"]
    assert [SENSES[int(x)] for x in arr.take(np.array([1, 0])).sense] == ["seen", "heard"]


def test_columns_built_without_sense_take_the_default() -> None:
    arr = ObservationArrays.from_observations(
        [_bearing("a", event="explosion"), _bearing("b", event="flare")]
    )
    cols = {f: getattr(arr, f) for f in arr.__dataclass_fields__ if f != "sense"}
    again = ObservationArrays(**cols)
    assert [SENSES[int(x)] for x in again.sense] == ["heard", "seen"]
    with pytest.raises(ValueError, match="sense has 1 rows"):
        ObservationArrays(**cols, sense=np.zeros(1, dtype=np.int8))
