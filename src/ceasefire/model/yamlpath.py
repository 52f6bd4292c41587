"""Where a field path points in a YAML document, for error messages that name
the line: shared by every loader of YAML files (mandate, design)."""

from __future__ import annotations

import yaml


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
