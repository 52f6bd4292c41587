"""Canonical JSON of a record (RFC 8785, JSON Canonicalization Scheme).

``canonical_json`` is a fast encoder that produces exactly the bytes of the
``rfc8785`` reference package (a property test checks this on random
documents) at a fraction of its cost: strings go through the C string
escaper of :mod:`json`, numbers are written in the ECMAScript form JCS
requires, and keys are sorted by UTF-16 code units.

One recursive pass: the exact plain types the ledger writes (``dict``,
``list``, ``str``, ``int``, ``float``) are tested first, objects and arrays
of strings go out in one join, and the path of a value that is not JSON is
built only for the error message, as the error leaves each container.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from ceasefire.model.errors import LedgerError

__all__ = ["canonical_json", "check_record", "id_digest", "parse_record"]

#: JCS numbers are IEEE doubles: integers beyond this lose precision.
_INT_MAX = 2**53 - 1

_encode_str: Any = getattr(json.encoder, "c_encode_basestring", None) or (
    json.encoder.py_encode_basestring
)


class _NotJsonError(Exception):
    """A value that is not JSON; ``parts`` is its path, innermost step first."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what
        self.parts: list[str] = []


def _number(x: float) -> str:
    """``x`` as ECMAScript ``Number.prototype.toString`` writes it (RFC 8785 §3.2.2.3)."""
    r = repr(x)
    # Python's repr and ECMAScript both write the shortest round-trip digits;
    # without an exponent they differ only in Python's trailing ".0"
    if "e" not in r and "n" not in r and x != 0.0:
        return r[:-2] if r.endswith(".0") else r
    if math.isnan(x) or math.isinf(x):
        raise _NotJsonError(f"{x!r} is not a JSON number; expected a finite number")
    if x == 0.0:
        return "0"
    sign = "-" if x < 0 else ""
    mantissa, _, exp_text = repr(abs(x)).partition("e")
    whole, _, frac = mantissa.partition(".")
    digits = whole + frac
    n = len(whole) + (int(exp_text) if exp_text else 0)
    stripped = digits.lstrip("0")
    n -= len(digits) - len(stripped)
    s = stripped.rstrip("0")
    k = len(s)
    if k <= n <= 21:
        body = s + "0" * (n - k)
    elif 0 < n <= 21:
        body = s[:n] + "." + s[n:]
    elif -6 < n <= 0:
        body = "0." + "0" * (-n) + s
    else:
        e = n - 1
        exp = f"e{'+' if e >= 0 else '-'}{abs(e)}"
        body = (s if k == 1 else s[0] + "." + s[1:]) + exp
    return sign + body


def _utf16_key(s: str) -> bytes:
    return s.encode("utf-16-be", "surrogatepass")


#: ``set(map(type, xs)) <= _STR``: all of ``xs`` are exact strings, tested in C.
_STR = frozenset((str,))


def _encode(obj: Any, out: list[str]) -> None:
    """``obj`` into ``out``; ``_NotJsonError`` for what JSON cannot hold.

    The exact plain types the ledger writes come first; subclasses, other
    mappings and sequences follow. No path is built unless a value fails: each
    container adds its step as the error passes through it.
    """
    t = type(obj)
    if t is str:
        out.append(_encode_str(obj))
    elif t is dict:
        _object(obj, out)
    elif t is float:
        out.append(_number(obj))
    elif t is int:
        _integer(obj, out)
    elif obj is None:
        out.append("null")
    elif obj is True:
        out.append("true")
    elif obj is False:
        out.append("false")
    elif t is list or t is tuple:
        _array(obj, out)
    elif isinstance(obj, str):
        out.append(_encode_str(obj))
    elif isinstance(obj, int):
        _integer(int(obj), out)
    elif isinstance(obj, float):
        out.append(_number(float(obj)))
    elif isinstance(obj, Mapping):
        _object(obj, out)
    elif isinstance(obj, Sequence) and not isinstance(obj, bytes | bytearray):
        _array(obj, out)
    else:
        raise _NotJsonError(f"{type(obj).__name__} is not JSON; expected a JSON value")


def _integer(obj: int, out: list[str]) -> None:
    if not -_INT_MAX <= obj <= _INT_MAX:
        raise _NotJsonError(f"integer {obj} is outside ±(2**53-1); JSON numbers are doubles")
    out.append(str(obj))


def _object(obj: Mapping[Any, Any], out: list[str]) -> None:
    keys = list(obj)
    if not set(map(type, keys)) <= _STR:
        for key in keys:
            if not isinstance(key, str):
                raise _NotJsonError(f"object key {key!r} is not a string")
    if all(map(str.isascii, keys)):
        keys.sort()  # by code point: for ASCII, the same as by UTF-16 code units
    else:
        keys.sort(key=_utf16_key)
    if type(obj) is dict and set(map(type, obj.values())) <= _STR:
        # e.g. a day's observation digests: one join
        out.append("{" + ",".join([_encode_str(k) + ":" + _encode_str(obj[k]) for k in keys]) + "}")
        return
    out.append("{")
    first = True
    for key in keys:
        if first:
            first = False
        else:
            out.append(",")
        out.append(_encode_str(key))
        out.append(":")
        try:
            _encode(obj[key], out)
        except _NotJsonError as exc:
            exc.parts.append(f".{key}")
            raise
    out.append("}")


def _array(obj: Sequence[Any], out: list[str]) -> None:
    if set(map(type, obj)) <= _STR:  # e.g. a violation's observation digests
        out.append("[" + ",".join(map(_encode_str, obj)) + "]")
        return
    out.append("[")
    for i, item in enumerate(obj):
        if i:
            out.append(",")
        try:
            _encode(item, out)
        except _NotJsonError as exc:
            exc.parts.append(f"[{i}]")
            raise
    out.append("]")


#: orjson's keys sorted by code point (the same as by UTF-16 code units for ASCII,
#: which :func:`_fast` requires), integers refused beyond ±(2**53-1) as here,
#: subclasses of the plain types refused (checked first by :func:`_orjson_same`)
_ORJSON = orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER | orjson.OPT_PASSTHROUGH_SUBCLASS

#: Floats of magnitude in [_LOW, _HIGH) that are not integral are written by
#: orjson as JCS writes them (plain decimals of Python's shortest round-trip
#: digits); integral ones (``5.0``, JCS ``5``) and others (exponents) are not.
_LOW, _HIGH = 1e-4, 1e16

_PLAIN = frozenset((str, int, bool, type(None)))


def _orjson_same(obj: Any) -> bool:
    """Whether ``obj`` holds only dicts, lists, tuples, strings, ints, bools,
    None and floats that orjson writes as JCS does (exact types; see ``_LOW``)."""
    stack = [obj]
    pop, push = stack.pop, stack.extend
    while stack:
        o = pop()
        t = type(o)
        if t is dict or t is list or t is tuple:
            items = o.values() if t is dict else o
            if set(map(type, items)) <= _STR:
                continue
            push(items)
        elif t is float:
            # NaN fails both bounds (orjson writes null for it and infinities)
            if not _LOW <= abs(o) < _HIGH or o.is_integer():
                return False
        elif t not in _PLAIN:
            return False
    return True


def _fast(obj: Any) -> bytes | None:
    """``obj``'s canonical bytes by orjson where they are certainly JCS's (the
    plain types, ASCII text, the floats of :func:`_orjson_same`: orjson's
    shortest round-trip digits are Python's ``repr``'s); None otherwise."""
    if not _orjson_same(obj):
        return None
    try:
        text = orjson.dumps(obj, option=_ORJSON)
    except TypeError:  # a non-string key, a lone surrogate, a large integer
        return None
    return text if text.isascii() else None


def canonical_json(obj: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of a JSON value; LedgerError if it is not JSON."""
    fast = _fast(obj)
    if fast is not None:
        return fast
    out: list[str] = []
    try:
        _encode(obj, out)
    except _NotJsonError as exc:
        path = "$" + "".join(reversed(exc.parts))
        raise LedgerError(f"{path}: {exc.what}") from None
    try:
        return "".join(out).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise LedgerError(f"string holds a lone surrogate ({exc.reason}); expected UTF-8") from exc


def check_record(record: Any, where: str) -> str:
    """The record's id; LedgerError unless it is an object with string ``id`` and ``type``."""
    if not isinstance(record, Mapping):
        raise LedgerError(f"{where}: found {type(record).__name__}; expected a JSON object")
    rid = record.get("id")
    if not isinstance(rid, str) or not rid:
        raise LedgerError(f"{where}: field 'id' is {rid!r}; expected a non-empty string")
    rtype = record.get("type")
    if not isinstance(rtype, str) or not rtype:
        raise LedgerError(f"{where}: field 'type' is {rtype!r}; expected a non-empty string")
    return rid


def parse_record(payload: bytes, where: str) -> dict[str, Any]:
    """Stored canonical bytes → the record; LedgerError if they are not a record."""
    try:
        obj = json.loads(payload)
    except ValueError as exc:
        raise LedgerError(f"{where}: not JSON ({exc})") from exc
    check_record(obj, where)
    return dict(obj)


def id_digest(record_id: str) -> bytes:
    """8-byte digest of a record id (the key of the id index)."""
    return hashlib.sha256(record_id.encode("utf-8", "surrogatepass")).digest()[:8]
