"""Shared types of every stage. Imports nothing of ours.

Names are imported on first use: ``ceasefire.model.errors`` (which every
command imports) then does not pull in numpy and pydantic, and commands that
need neither start fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ceasefire.model.arrays import ObservationArrays
    from ceasefire.model.observation import (
        ArrivalObservation,
        BearingObservation,
        Evidence,
        Observation,
        Position,
        SightingObservation,
        observation_json_schema,
    )
    from ceasefire.model.results import Ellipse, Escalation, Event, Violation, ellipse_from_cov

#: public name → the module of this package that defines it
_LAZY: dict[str, str] = {
    "ObservationArrays": "ceasefire.model.arrays",
    "ArrivalObservation": "ceasefire.model.observation",
    "BearingObservation": "ceasefire.model.observation",
    "Evidence": "ceasefire.model.observation",
    "Observation": "ceasefire.model.observation",
    "Position": "ceasefire.model.observation",
    "SightingObservation": "ceasefire.model.observation",
    "observation_json_schema": "ceasefire.model.observation",
    "Ellipse": "ceasefire.model.results",
    "Escalation": "ceasefire.model.results",
    "Event": "ceasefire.model.results",
    "Violation": "ceasefire.model.results",
    "ellipse_from_cov": "ceasefire.model.results",
}

__all__ = [
    "ArrivalObservation",
    "BearingObservation",
    "Ellipse",
    "Escalation",
    "Event",
    "Evidence",
    "Observation",
    "ObservationArrays",
    "Position",
    "SightingObservation",
    "Violation",
    "ellipse_from_cov",
    "observation_json_schema",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'ceasefire.model' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
