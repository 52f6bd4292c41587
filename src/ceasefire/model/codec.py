"""Plain-JSON forms of the result types (for the store, the ledger and exports).

``to_dict`` gives JSON-able dicts (tuples become lists); ``*_from_dict`` restores
the dataclass, turning lists back into tuples.
"""

from __future__ import annotations

import copy
from dataclasses import fields, is_dataclass
from typing import Any, TypeVar

from ceasefire.model.results import Escalation, Event, Violation

T = TypeVar("T", Event, Violation, Escalation)

#: values ``dataclasses.asdict`` returns as they are (its deep copy of them is them)
_ATOMS = frozenset({str, int, float, bool, type(None)})


def to_dict(obj: Event | Violation | Escalation) -> dict[str, Any]:
    """JSON-able dict of a result dataclass: ``dataclasses.asdict(obj)``, with a
    fast path for the plain values these types hold (asdict deep-copies every
    field: ~150 µs a violation, most of what writing a day's results cost)."""
    return {name: _plain(getattr(obj, name)) for name in _names(type(obj))}


_NAMES: dict[type, tuple[str, ...]] = {}


def _names(cls: type) -> tuple[str, ...]:
    """A dataclass's field names, in order (looked up once per class)."""
    got = _NAMES.get(cls)
    if got is None:
        got = _NAMES[cls] = tuple(f.name for f in fields(cls))
    return got


def _plain(v: Any) -> Any:
    """``dataclasses.asdict``'s treatment of a field value."""
    t = type(v)
    if t in _ATOMS:
        return v
    if t is tuple:
        # of atoms (a result's ids, flags, notes): asdict's copy equals it, and a
        # tuple cannot change under its holder
        if set(map(type, v)) <= _ATOMS:
            return v
        return tuple([_plain(x) for x in v])
    if t is list:
        if set(map(type, v)) <= _ATOMS:
            return list(v)
        return [_plain(x) for x in v]
    if t is dict:
        return {_plain(k): _plain(x) for k, x in v.items()}
    if is_dataclass(v) and not isinstance(v, type):
        return {name: _plain(getattr(v, name)) for name in _names(t)}
    if isinstance(v, tuple) and hasattr(v, "_fields"):
        return t(*[_plain(x) for x in v])
    if isinstance(v, (list, tuple)):
        return t(_plain(x) for x in v)
    if isinstance(v, dict):
        return t((_plain(k), _plain(x)) for k, x in v.items())
    return copy.deepcopy(v)


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
