"""Plain-JSON forms of the result types (for the store, the ledger and exports).

``to_dict`` gives JSON-able dicts (tuples become lists); ``*_from_dict`` restores
the dataclass, turning lists back into tuples.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any, TypeVar

from ceasefire.model.results import Escalation, Event, Violation

T = TypeVar("T", Event, Violation, Escalation)


def to_dict(obj: Event | Violation | Escalation) -> dict[str, Any]:
    """JSON-able dict of a result dataclass."""
    return asdict(obj)


def _from_dict(cls: type[T], data: dict[str, Any]) -> T:
    kwargs: dict[str, Any] = {}
    for f in fields(cls):
        if f.name not in data:
            continue
        v = data[f.name]
        if isinstance(v, list):
            v = tuple(v)
        kwargs[f.name] = v
    return cls(**kwargs)


def event_from_dict(data: dict[str, Any]) -> Event:
    return _from_dict(Event, data)


def violation_from_dict(data: dict[str, Any]) -> Violation:
    return _from_dict(Violation, data)


def escalation_from_dict(data: dict[str, Any]) -> Escalation:
    return _from_dict(Escalation, data)
