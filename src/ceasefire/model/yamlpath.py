"""Where a field path points in a YAML document, for error messages that name
the line: shared by every loader of YAML files (mandate, design, fleet)."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from ceasefire.model.errors import InputError


def loc_str(loc: tuple[int | str, ...]) -> str:
    """A pydantic error location as a field path: ``zones[0].width_km``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def line_of(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """1-based YAML line of the deepest node along ``loc`` (``yaml.compose`` tree)."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if k.value == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            nxt = node.value[part] if part < len(node.value) else None
        else:
            nxt = None
        if nxt is None:
            break
        node = nxt
        line = node.start_mark.line + 1
    return line


def decode_utf8(data: bytes, source: str, error: type[InputError] = InputError) -> str:
    """The UTF-8 text of a file's bytes (a leading byte-order mark dropped), or
    ``error`` naming the line of the first byte that is not UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise error(
            f"found byte 0x{data[exc.start]:02x}, which is not UTF-8; "
            "expected a UTF-8 text file (save it as UTF-8)",
            file=source,
            line=line,
        ) from exc


def did_you_mean(word: str, options: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest of ``options``, or ``""``."""
    close = difflib.get_close_matches(word, sorted(set(options)), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def yaml_mapping(
    text: str, source: str, error: type[InputError], top: str
) -> tuple[yaml.Node | None, dict[str, Any]]:
    """The node tree (for :func:`line_of`) and the data of YAML ``text``, whose top
    must be a mapping (``top`` names its keys, e.g. ``"mission, parties, ..."``);
    anything else is ``error`` naming ``source`` and, for bad YAML, the line."""
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise error(
            f"not valid YAML: {getattr(exc, 'problem', exc)}",
            file=source,
            line=mark.line + 1 if mark else None,
        ) from exc
    except RecursionError as exc:
        raise error(
            "not valid YAML: nested deeper than the parser can follow (unclosed '[' or '{'?)",
            file=source,
        ) from exc
    if not isinstance(data, dict):
        raise error(
            f"expected a mapping at the top ({top}), found {type(data).__name__}", file=source
        )
    return node, data


def schema_keys(namespace: Iterable[object]) -> set[str]:
    """Every key (field name or alias) of the pydantic models among ``namespace``
    (e.g. ``vars(module).values()``), for suggestions when a key is misspelled."""
    from pydantic import BaseModel  # only loaders that already use pydantic call this

    keys: set[str] = set()
    for obj in namespace:
        if isinstance(obj, type) and issubclass(obj, BaseModel) and obj is not BaseModel:
            for name, f in obj.model_fields.items():
                keys.add(f.alias or name)
    return keys


def pick_error(errors: list[Any]) -> Any:
    """The pydantic error to report of ``errors``: a misspelled key first (it also
    makes the intended key look missing), else the first."""
    return next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])


def field_error(
    err: Mapping[str, Any],
    loc: tuple[int | str, ...],
    n_errors: int,
    node: yaml.Node | None,
    source: str,
    error: type[InputError],
    known: Iterable[str] = (),
) -> InputError:
    """``error`` for one pydantic error ``err`` at ``loc``: its message, what was
    found (a mapping's own validator already says that), how many more problems,
    and the YAML line of the field. An unknown key is named as such, with the
    closest of ``known`` keys as a suggestion."""
    found = err.get("input")
    found_s = "" if isinstance(found, dict) else f"; found {json.dumps(found, default=str)[:80]}"
    more = f" (and {n_errors - 1} more problems)" if n_errors > 1 else ""
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden" and loc:
        msg, found_s = f"unknown key {str(loc[-1])!r}{did_you_mean(str(loc[-1]), known)}", ""
    return error(
        f"{msg}{found_s}{more}",
        file=source,
        line=line_of(node, loc),
        field=loc_str(loc),
    )


def model_error(
    errors: list[Any],
    node: yaml.Node | None,
    source: str,
    error: type[InputError],
    known: Iterable[str] = (),
) -> InputError:
    """:func:`field_error` for a model's validation ``errors`` (pydantic's
    ``exc.errors()``): the one :func:`pick_error` reports, at its own location."""
    err = pick_error(errors)
    return field_error(err, tuple(err["loc"]), len(errors), node, source, error, known)
