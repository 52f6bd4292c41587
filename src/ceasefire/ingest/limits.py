"""Limits that every reader applies before a record reaches validation.

Input files come from the field and from parties who may want to break the
mission's tools, so no reader trusts their bytes: a record is at most
``MAX_RECORD_BYTES`` long, nested at most ``MAX_DEPTH`` levels, its numbers
have at most ``MAX_NUMBER_CHARS`` characters and are finite, an object names
each key once, and its text is valid UTF-8 without control characters (a NUL
reaches no database). What breaks a limit is rejected with a reason that says
which limit and where, never raised.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import orjson

__all__ = [
    "BOM",
    "MAX_DEPTH",
    "MAX_NUMBER_CHARS",
    "MAX_RECORD_BYTES",
    "LimitError",
    "parse_json",
    "parse_line",
    "plain_object",
    "printable",
    "string_problem",
    "utf8_problem",
    "value_problem",
]

#: Longest record (an NDJSON line, a CSV row, a GeoJSON feature), bytes. A
#: full observation with a few evidence items is under 2 KB.
MAX_RECORD_BYTES = 256 * 1024
#: Deepest nesting of objects and arrays in a record (a GeoJSON feature with
#: evidence is 4 deep).
MAX_DEPTH = 8
#: Longest number literal (a double needs 24 characters at most).
MAX_NUMBER_CHARS = 40
#: How much of an oversized record quarantine keeps, characters.
RAW_EXCERPT = 1024
BOM = b"\xef\xbb\xbf"

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


class LimitError(ValueError):
    """A JSON text breaks one of the limits (raised inside the decoder's hooks)."""


def _parse_int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise LimitError(
            f"a number of {len(text)} digits; expected at most {MAX_NUMBER_CHARS} characters"
        )
    return int(text)


def _parse_float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise LimitError(f"a number of {len(text)} characters; expected at most {MAX_NUMBER_CHARS}")
    value = float(text)
    if not math.isfinite(value):
        raise LimitError(f"the number {text} is beyond the range of a double; expected finite")
    return value


def _parse_constant(text: str) -> float:
    raise LimitError(f"{text} is not a JSON number; expected a finite number")


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for k, _ in pairs:
            if k in seen:
                raise LimitError(f"key {printable(k)!r} appears twice in one object")
            seen.add(k)
    return out


_DECODER = json.JSONDecoder(
    parse_int=_parse_int,
    parse_float=_parse_float,
    parse_constant=_parse_constant,
    object_pairs_hook=_pairs,
)


def parse_json(text: str, pos: int = 0) -> tuple[Any, int]:
    """Decode one JSON value of ``text`` from ``pos``: ``(value, end)``.

    Raises ``ValueError`` with a reason (``json.JSONDecodeError`` for syntax,
    :class:`LimitError` for a limit); nesting beyond what the decoder can
    follow is reported as such, and anything deeper than ``MAX_DEPTH`` too.
    """
    try:
        value, end = _DECODER.raw_decode(text, pos)
    except RecursionError:
        raise LimitError(
            f"nested too deeply to decode; expected at most {MAX_DEPTH} levels"
        ) from None
    problem = value_problem(value)
    if problem:
        raise LimitError(problem)
    return value, end


def _fast_table() -> bytes:
    """A ``bytes.translate`` table: escapes and control characters (other than
    tab) to NUL, digits to '0', tab to space, every other byte to itself."""
    table = bytearray(range(256))
    for b in [*range(0x00, 0x09), *range(0x0A, 0x20), 0x7F, ord("\\")]:
        table[b] = 0
    for b in b"0123456789":
        table[b] = ord("0")
    table[ord("\t")] = ord(" ")
    return bytes(table)


#: What keeps a line off the fast path (after ``_FAST_TABLE``): an escape or a
#: control character (a string whose decoded text the limits must see); a run of
#: 13 digits (a number literal beyond ``MAX_NUMBER_CHARS`` has one, and orjson's
#: integers are exact below it); a quote followed by a blank (so that every key
#: ends in '":').
_FAST_TABLE = _fast_table()
_THIRTEEN_DIGITS = b"0" * 13


def _keys_within_depth(value: dict[str, Any]) -> int:
    """Keys of every object in ``value`` (-1 when a container sits at ``MAX_DEPTH``)."""
    n = len(value)
    todo: list[tuple[Any, int]] = []
    for x in value.values():
        if type(x) is dict or type(x) is list:
            todo.append((x, 1))
    while todo:
        v, depth = todo.pop()
        if depth >= MAX_DEPTH:
            return -1
        if type(v) is dict:
            n += len(v)
            v = v.values()
        for x in v:
            if type(x) is dict or type(x) is list:
                todo.append((x, depth + 1))
    return n


def plain_object(data: bytes) -> bool:
    """Whether an NDJSON line (valid UTF-8) may take the fast path: it opens an
    object, and holds no escape, control character, run of 13 digits, or quote
    followed by a blank (see ``_FAST_TABLE``). Such text decodes to the same
    value under every JSON decoder, and the limits hold for it but for depth
    and repeated keys, which the fast paths check on the decoded value."""
    if data[:1] != b"{":
        return False
    t = data.translate(_FAST_TABLE)
    # find, not `in`: CPython's bytes `in` is several times slower on these needles
    return t.find(b"\x00") < 0 and t.find(_THIRTEEN_DIGITS) < 0 and t.find(b'" ') < 0


def parse_line(data: bytes) -> Any:
    """Decode one NDJSON line (valid UTF-8, no line end) under every limit, as
    :func:`parse_json` on its text with only blanks after the value would.

    Most records take a fast path: a line that opens an object and holds no
    escape, control character or long digit run is decoded by orjson, and its
    value is taken when it nests at most ``MAX_DEPTH`` deep and names each key
    once: its objects hold as many keys as the text has '":' (every key ends so;
    a key named twice, or a string opening with ':', would upset the balance).
    The stdlib decoder and the limits give the same value for such text. Every
    other line goes through :func:`parse_json`, which raises ``ValueError``
    with the reason.
    """
    if plain_object(data):
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
        else:
            if _keys_within_depth(value) == data.count(b'":'):
                return value
    text = data.decode("utf-8")
    value, end = parse_json(text)
    if text[end:].strip():
        raise ValueError(f"more after the JSON value at column {end + 1}")
    return value


def utf8_problem(data: bytes) -> str | None:
    """Why ``data`` is not valid UTF-8 (byte and column), or None."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return (
            f"invalid UTF-8: byte 0x{data[exc.start]:02x} at column {exc.start + 1}; "
            "expected UTF-8 text"
        )
    return None


def string_problem(text: str) -> str | None:
    """Why ``text`` may not be stored (control character, invalid UTF-8), or None."""
    m = _CONTROL.search(text)
    if m is not None:
        what = "a NUL character" if m.group() == "\x00" else "a control character"
        return f"{what} (U+{ord(m.group()):04X}) at character {m.start() + 1}; expected text"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        code = ord(text[exc.start])
        if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte (surrogateescape)
            return f"invalid UTF-8: byte 0x{code - 0xDC00:02x}; expected UTF-8 text"
        return f"a lone surrogate \\u{code:04x} (not a character) at character {exc.start + 1}"
    return None


def value_problem(value: Any) -> str | None:
    """Why a decoded JSON value breaks a limit (depth, bad string), or None."""
    stack: list[tuple[Any, int, str]] = [(value, 0, "")]
    while stack:
        v, depth, path = stack.pop()
        if isinstance(v, str):
            problem = string_problem(v)
            if problem:
                return f"{_where(path)}{problem}"
        elif isinstance(v, dict | list):
            if depth >= MAX_DEPTH:
                return f"{_where(path)}nested more than {MAX_DEPTH} levels deep"
            items = v.items() if isinstance(v, dict) else enumerate(v)
            for k, x in items:
                if isinstance(k, str):
                    problem = string_problem(k)
                    if problem:
                        return f"{_where(path)}a key holds {problem}"
                    sub = f"{path}.{k}" if path else k
                else:
                    sub = f"{path}[{k}]"
                stack.append((x, depth + 1, sub))
    return None


def _where(path: str) -> str:
    return f"field '{printable(path)}': " if path else ""


def printable(raw: str | bytes, limit: int | None = None) -> str:
    """``raw`` as text safe to store and print: undecodable bytes and control
    characters other than tab as backslash escapes; cut to ``limit`` characters
    (with the full length said) when given."""
    if isinstance(raw, str):
        try:
            data = raw.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            data = raw.encode("utf-8", "backslashreplace")
    else:
        data = raw
    text = data.decode("utf-8", "backslashreplace")
    if _CONTROL.search(text):
        text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    if limit is not None and len(text) > limit:
        text = f"{text[:limit]}… ({len(data):,} bytes in all)"
    return text
