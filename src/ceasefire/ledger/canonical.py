"""Canonical JSON of a record (RFC 8785, JSON Canonicalization Scheme).

``canonical_json`` is a fast encoder that produces exactly the bytes of the
``rfc8785`` reference package (a property test checks this on random
documents) at a fraction of its cost: strings go through the C string
escaper of :mod:`json`, numbers are written in the ECMAScript form JCS
requires, and keys are sorted by UTF-16 code units.

Two passes share the work: a fast one for the plain types the ledger writes
(exact ``dict``/``list``/``str``/``int``/``float``, ASCII keys: sorting them
by code point is sorting by UTF-16 code units; objects and arrays of strings
in one join), and a checked one that tracks the path of every
value for the error message; a document the fast pass does not know is
encoded by the checked one.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from ceasefire.model.errors import LedgerError

__all__ = ["canonical_json", "check_record", "id_digest", "parse_record"]

#: JCS numbers are IEEE doubles: integers beyond this lose precision.
_INT_MAX = 2**53 - 1

_encode_str: Any = getattr(json.encoder, "c_encode_basestring", None) or (
    json.encoder.py_encode_basestring
)


def _number(x: float) -> str:
    """``x`` as ECMAScript ``Number.prototype.toString`` writes it (RFC 8785 §3.2.2.3)."""
    r = repr(x)
    # Python's repr and ECMAScript both write the shortest round-trip digits;
    # without an exponent they differ only in Python's trailing ".0"
    if "e" not in r and "n" not in r and x != 0.0:
        return r[:-2] if r.endswith(".0") else r
    if math.isnan(x) or math.isinf(x):
        raise LedgerError(f"{x!r} is not a JSON number; expected a finite number")
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


def _encode(obj: Any, out: list[str], path: str) -> None:
    if isinstance(obj, str):
        out.append(_encode_str(obj))
    elif obj is None:
        out.append("null")
    elif obj is True:
        out.append("true")
    elif obj is False:
        out.append("false")
    elif isinstance(obj, int):
        if not -_INT_MAX <= obj <= _INT_MAX:
            raise LedgerError(
                f"{path}: integer {obj} is outside ±(2**53-1); JSON numbers are doubles"
            )
        out.append(str(int(obj)))
    elif isinstance(obj, float):
        out.append(_number(float(obj)))
    elif isinstance(obj, Mapping):
        keys = list(obj)
        for key in keys:
            if not isinstance(key, str):
                raise LedgerError(f"{path}: object key {key!r} is not a string")
        if not all(k.isascii() for k in keys):
            keys.sort(key=_utf16_key)
        else:
            keys.sort()
        out.append("{")
        first = True
        for key in keys:
            if not first:
                out.append(",")
            first = False
            out.append(_encode_str(key))
            out.append(":")
            _encode(obj[key], out, f"{path}.{key}")
        out.append("}")
    elif isinstance(obj, Sequence) and not isinstance(obj, bytes | bytearray):
        out.append("[")
        for i, item in enumerate(obj):
            if i:
                out.append(",")
            _encode(item, out, f"{path}[{i}]")
        out.append("]")
    else:
        raise LedgerError(f"{path}: {type(obj).__name__} is not JSON; expected a JSON value")


class _NotPlainError(Exception):
    """The fast pass met a value it leaves to the checked one."""


#: ``set(map(type, xs)) <= _STR``: all of ``xs`` are exact strings, tested in C.
_STR = frozenset((str,))


def _fast(obj: Any, out: list[str]) -> None:
    """``obj`` into ``out`` for the exact plain types; ``_NotPlainError`` for anything else."""
    t = type(obj)
    if t is str:
        out.append(_encode_str(obj))
    elif t is dict:
        keys = list(obj)
        if not set(map(type, keys)) <= _STR or not all(map(str.isascii, keys)):
            raise _NotPlainError
        keys.sort()
        if set(map(type, obj.values())) <= _STR:  # e.g. a day's observation digests
            out.append(
                "{" + ",".join([_encode_str(k) + ":" + _encode_str(obj[k]) for k in keys]) + "}"
            )
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
            _fast(obj[key], out)
        out.append("}")
    elif t is float:
        out.append(_number(obj))
    elif t is int:
        if not -_INT_MAX <= obj <= _INT_MAX:
            raise _NotPlainError
        out.append(str(obj))
    elif obj is None:
        out.append("null")
    elif obj is True:
        out.append("true")
    elif obj is False:
        out.append("false")
    elif t is list or t is tuple:
        if set(map(type, obj)) <= _STR:  # e.g. a violation's observation digests
            out.append("[" + ",".join(map(_encode_str, obj)) + "]")
            return
        out.append("[")
        for i, item in enumerate(obj):
            if i:
                out.append(",")
            _fast(item, out)
        out.append("]")
    else:
        raise _NotPlainError


def canonical_json(obj: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of a JSON value; LedgerError if it is not JSON."""
    out: list[str] = []
    try:
        _fast(obj, out)
    except (_NotPlainError, LedgerError, RecursionError):
        # the checked pass gives the same bytes, or the error with its path
        out = []
        _encode(obj, out, "$")
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
