"""``json``'s text by orjson where the two write the same characters.

``json`` writes a result's many floats by ``float.__repr__`` (~10 µs a store body);
orjson in ~1 µs. orjson differs on floats that are not finite (``null``) or
nonzero of magnitude below 1e-4 (``0.000099``, ``json`` ``9.9e-05``), escapes,
non-ASCII text and DEL (``json.dumps`` escapes them by default), dict keys that are not
strings, integers beyond 64 bits, lone surrogates, subclasses of the plain types,
and its separators (``,``/``:`` against ``", "``/``": "``, put back by ``replace``
where no string holds a comma). The caller names every number and string of the
document (it knows where they are); they are checked in a few C passes, the text
after, and anything else goes to ``json``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import fields
from operator import attrgetter
from typing import Any, get_type_hints

import orjson

from ceasefire.model.codec import to_dict
from ceasefire.model.results import Event, Violation

#: the types of the numbers and texts written by orjson (exactly)
NUMBERS = frozenset((int, float, bool, type(None)))
TEXTS = frozenset((str, type(None)))
#: below this magnitude a nonzero float is written by ``json`` (``float.__repr__``)
#: in exponent form, by orjson not always so (at and above it, digit for digit alike)
SMALLEST_SAME = 1e-4
_AS_IS = orjson.OPT_PASSTHROUGH_SUBCLASS


def plain_values(numbers: list[Any], texts: list[Any]) -> bool:
    """Whether orjson writes each of ``numbers`` and ``texts`` as ``json`` does
    (a string with a comma counts as not: the separators could not be put back)."""
    if not (set(map(type, numbers)) <= NUMBERS and set(map(type, texts)) <= TEXTS):
        return False
    nonzero = list(filter(None, numbers))
    try:
        total = sum(nonzero)
    except OverflowError:  # an integer beyond floats beside a float
        return False
    if total - total != 0.0:  # NaN or infinite
        return False
    if nonzero and min(map(abs, nonzero)) < SMALLEST_SAME:
        return False
    return "," not in "".join(filter(None, texts))


def spaced(text: bytes) -> str | None:
    """orjson's compact ``text`` with ``json``'s default separators, or None
    where it holds an escape (then a comma or ``":`` may lie inside a string;
    without one, every comma separates items and every ``":`` ends a key)."""
    if b"\\" in text:
        return None
    return text.replace(b",", b", ").replace(b'":', b'": ').decode()


_Getter = Callable[[Any], tuple[Any, ...]]


class _Plan:
    """Where a result type's numbers and strings are, from its fields' types:
    single values, optional tuples of them, ``dict[str, float]``."""

    def __init__(self, cls: type) -> None:
        hints = get_type_hints(cls)
        num: list[str] = []
        txt: list[str] = []
        self.num_seqs: tuple[str, ...] = ()
        self.txt_seqs: tuple[str, ...] = ()
        self.maps: tuple[str, ...] = ()
        self.unknown: tuple[str, ...] = ()
        for f in fields(cls):
            h = hints[f.name]
            if h in _NUM:
                num.append(f.name)
            elif h in _TXT:
                txt.append(f.name)
            elif h in _NUM_SEQ:
                self.num_seqs += (f.name,)
            elif h in _TXT_SEQ:
                self.txt_seqs += (f.name,)
            elif h in _MAPS:
                self.maps += (f.name,)
            else:
                self.unknown += (f.name,)
        self.num: _Getter = attrgetter(*num, "__class__")  # a tuple even of one
        self.txt: _Getter = attrgetter(*txt, "__class__")

    def values(self, x: Any) -> tuple[list[Any], list[Any]]:
        """``x``'s numbers and strings."""
        numbers = list(self.num(x)[:-1])
        texts = list(self.txt(x)[:-1])
        for name in self.num_seqs:
            numbers += getattr(x, name) or ()
        for name in self.txt_seqs:
            texts += getattr(x, name)
        for name in self.maps:
            d = getattr(x, name)
            texts += d.keys()
            numbers += d.values()
        return numbers, texts


_NUM = (float, int, bool, float | None, int | None)
_TXT = (str, str | None)
_NUM_SEQ = (tuple[float, float, float] | None, tuple[float, ...])
_TXT_SEQ = (tuple[str, ...],)
_MAPS = (dict[str, float],)
_PLANS = {cls: _Plan(cls) for cls in (Event, Violation)}


def body_text(x: Event | Violation, plain: dict[str, Any] | None = None) -> str:
    """``json.dumps(plain)`` (``plain``: ``to_dict(x)``, made here if not given),
    character for character: the store's body of a result."""
    plan = _PLANS.get(type(x))
    if plan is not None and not plan.unknown:
        numbers, texts = plan.values(x)
        if plain_values(numbers, texts):
            try:
                # a dataclass is written field by field in order, as ``to_dict`` makes it
                raw = orjson.dumps(x if plain is None else plain, option=_AS_IS)
            except TypeError:  # a key, integer or string orjson refuses
                raw = None
            # json escapes all but " " to "~" (DEL too); orjson's escapes go by "\\"
            if raw is not None and raw.isascii() and b"\x7f" not in raw:
                text = spaced(raw)
                if text is not None:
                    return text
    return json.dumps(plain if plain is not None else to_dict(x))
