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
from collections.abc import Callable, Sequence
from dataclasses import fields
from itertools import chain
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
    (a string with a comma, or starting with a colon, counts as not: the
    separators could not be put back)."""
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
    # a string starting with a colon would put a '":' inside a string (after its
    # opening quote), where the separators' ``replace`` would space it
    joined = "\n".join(filter(None, texts))
    return "," not in joined and "\n:" not in joined and not joined.startswith(":")


def spaced(text: bytes) -> str | None:
    """orjson's compact ``text`` with ``json``'s default separators, or None
    where it holds an escape (then a comma or ``":`` may lie inside a string;
    without one, every comma separates items and every ``":`` ends a key)."""
    if b"\\" in text:
        return None
    return text.replace(b",", b", ").replace(b'":', b'": ').decode()


_Getter = Callable[[Any], Any]


def _tuple_of(names: list[str]) -> _Getter:
    """A getter of ``names``' values as a tuple (``attrgetter`` gives one name's bare)."""
    if len(names) == 1:
        one = attrgetter(names[0])
        return lambda x: (one(x),)
    return attrgetter(*names) if names else lambda x: ()


class _Plan:
    """Where a result type's numbers and strings are, from its fields' types:
    single values, optional tuples of them, ``dict[str, float]``."""

    def __init__(self, cls: type) -> None:
        hints = get_type_hints(cls)
        num: list[str] = []
        txt: list[str] = []
        num_seqs: list[_Getter] = []
        txt_seqs: list[_Getter] = []
        maps: list[_Getter] = []
        self.unknown: tuple[str, ...] = ()
        for f in fields(cls):
            h = hints[f.name]
            if h in _NUM:
                num.append(f.name)
            elif h in _TXT:
                txt.append(f.name)
            elif h in _NUM_SEQ:
                num_seqs.append(attrgetter(f.name))
            elif h in _TXT_SEQ:
                txt_seqs.append(attrgetter(f.name))
            elif h in _MAPS:
                maps.append(attrgetter(f.name))
            else:
                self.unknown += (f.name,)
        self.num, self.txt = _tuple_of(num), _tuple_of(txt)
        self.num_seqs, self.txt_seqs, self.maps = num_seqs, txt_seqs, maps

    def values(self, xs: Sequence[Any]) -> tuple[list[Any], list[Any]]:
        """The numbers and strings of ``xs`` (all of the plan's type), gathered in C
        passes; TypeError where a field holds what its type does not allow."""
        chained = chain.from_iterable
        numbers = list(chained(map(self.num, xs)))
        texts = list(chained(map(self.txt, xs)))
        for get in self.num_seqs:
            numbers += chained(filter(None, map(get, xs)))  # None: no tuple
        for get in self.txt_seqs:
            texts += chained(map(get, xs))
        for get in self.maps:
            dicts = list(map(get, xs))
            texts += chained(dicts)
            numbers += chained(map(dict.values, dicts))
        return numbers, texts


_NUM = (float, int, bool, float | None, int | None)
_TXT = (str, str | None)
_NUM_SEQ = (tuple[float, float, float] | None, tuple[float, ...])
_TXT_SEQ = (tuple[str, ...],)
_MAPS = (dict[str, float],)
_PLANS = {cls: _Plan(cls) for cls in (Event, Violation)}

#: results written by one orjson call (orjson's fixed cost a call is ~4x its
#: cost a body within a list; a result json must write sends its batch to json)
BATCH = 256


def body_text(x: Event | Violation, plain: dict[str, Any] | None = None) -> str:
    """``json.dumps(plain)`` (``plain``: ``to_dict(x)``, made here if not given),
    character for character: the store's body of a result."""
    return body_texts([x], None if plain is None else [plain])[0]


def body_texts(
    xs: Sequence[Event | Violation], plain: Sequence[dict[str, Any]] | None = None
) -> list[str]:
    """:func:`body_text` of each of ``xs`` (``plain[i]``: ``to_dict(xs[i])``, if made)."""
    out: list[str] = []
    for a in range(0, len(xs), BATCH):
        some = xs[a : a + BATCH]
        docs = None if plain is None else plain[a : a + BATCH]
        got = _batch(some, docs)
        if got is None:
            dicts = docs if docs is not None else [to_dict(x) for x in some]
            got = [json.dumps(d) for d in dicts]
        out += got
    return out


def _batch(xs: Sequence[Any], plain: Sequence[dict[str, Any]] | None) -> list[str] | None:
    """The bodies of ``xs`` by one orjson call, or None where ``json``'s text
    could differ for any of them."""
    cls = type(xs[0])
    plan = _PLANS.get(cls)
    if plan is None or plan.unknown or any(type(x) is not cls for x in xs):
        return None
    try:
        numbers, texts = plan.values(xs)
    except TypeError:
        return None
    if not plain_values(numbers, texts):
        return None
    try:
        # a dataclass is written field by field in order, as ``to_dict`` makes it
        raw = orjson.dumps(list(xs) if plain is None else list(plain), option=_AS_IS)
    except TypeError:  # a key, integer or string orjson refuses
        return None
    # json escapes all but " " to "~" (DEL too); orjson's escapes go by "\\"
    if not raw.isascii() or b"\x7f" in raw:
        return None
    text = spaced(raw)
    if text is None:
        return None
    # no string holds a comma and no list holds an object (the plan's types): a
    # "}, {" is where one result ends and the next begins
    items = text[2:-2].split("}, {")
    if len(items) != len(xs):
        return None
    return ["{" + item + "}" for item in items]
