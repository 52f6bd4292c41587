"""xdist's ``loadgroup`` made to group again: xdist (3.8) names a test's
``xdist_group`` in its node id (``path::test@group``, the unit it schedules) by
writing ``item._nodeid``, which pytest 9 no longer reads (its node ids live in
``item._id``); without the suffix every test is a unit of its own and a group's
module fixtures are made on both workers."""

from __future__ import annotations

from typing import Any

import pytest


def group_node_ids(config: pytest.Config, items: list[pytest.Item]) -> int:
    """In an xdist worker under ``--dist loadgroup``: each item marked with
    ``xdist_group`` given its group's suffix where xdist's own hook did not (a
    no-op where it did). Returns how many items were renamed."""
    if not (hasattr(config, "workerinput") and config.getvalue("loadgroup")):
        return 0
    renamed = 0
    for item in items:
        names = {
            str(m.args[0] if m.args else m.kwargs.get("name", "default"))
            for m in item.iter_markers("xdist_group")
        }
        if not names:
            continue
        suffix = "@" + "_".join(sorted(names))
        if item.nodeid.endswith(suffix):  # xdist's hook named it
            continue
        named = item.nodeid + suffix
        node_id: Any = getattr(item, "_id", None)
        if node_id is not None and hasattr(type(node_id), "parse"):
            item._id = type(node_id).parse(named)  # type: ignore[attr-defined]
        else:
            item._nodeid = named
        renamed += 1
    return renamed


__all__ = ["group_node_ids"]
