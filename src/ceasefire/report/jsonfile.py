"""Output JSON files (``notices.json``, ``escalations.json``, ``summary.json``) as text.

The files are ``json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)``
and a newline. The standard library encodes indented JSON in pure Python (~3 µs
a value: ~3.5 CPU-s for the stress day's 70 MB of notices, at the run's serial
end), so the text is made by orjson where orjson gives the same bytes, and by
``json`` otherwise. orjson differs from ``json`` on: floats that are not finite
(it writes ``null``) or of magnitude in ``[1e-9, 1e-4)`` (it writes
``0.00001`` where ``json`` writes ``1e-05``); dict keys that are not ``str``,
integers beyond 64 bits and strings holding lone surrogates (it refuses them);
those data go to ``json``. :func:`_orjson_safe` checks the floats; orjson
raises on the rest.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import orjson

__all__ = ["json_text", "write_json"]

#: Below this magnitude, a nonzero float is written in exponent form by ``json``
#: (``float.__repr__``) but not always by orjson.
_SMALLEST_SAME = 1e-4
_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS


def json_text(data: Any) -> bytes:
    """``data`` as ``json.dumps(data, indent=2, sort_keys=True,
    ensure_ascii=False) + "\\n"`` in UTF-8, byte for byte (and its errors)."""
    if _orjson_safe(data):
        try:
            return orjson.dumps(data, option=_OPTIONS) + b"\n"
        except TypeError:
            pass  # a type, key, integer or string orjson refuses: json decides
    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return text.encode("utf-8")


def write_json(path: Path, data: Any) -> Path:
    """Write :func:`json_text` of ``data`` to ``path``; return ``path``."""
    path.write_bytes(json_text(data))
    return path


def _orjson_safe(data: Any) -> bool:
    """Whether every float in ``data`` (dicts' values, lists' and tuples' items,
    nested) is finite and 0 or of magnitude at least 1e-4: where orjson writes
    floats as ``json`` does. Other objects are not looked into (orjson
    refuses what it cannot write the same)."""
    stack = [data]
    pop, push = stack.pop, stack.extend
    while stack:
        o = pop()
        t = type(o)
        if t is str or t is int or o is None:
            continue
        if t is dict:
            push(o.values())
        elif t is list or t is tuple:
            push(o)
        elif t is float or isinstance(o, float):
            if not (math.isfinite(o) and (o == 0.0 or abs(o) >= _SMALLEST_SAME)):
                return False
        elif isinstance(o, dict):
            push(o.values())
        elif isinstance(o, list | tuple):
            push(o)
    return True
