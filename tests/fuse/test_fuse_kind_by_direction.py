"""An event's kind that no report named, taken from its direction class, is flagged."""

from __future__ import annotations

import pytest
from fuse_scenes import T0, Scene

from ceasefire.fuse import fuse
from ceasefire.fuse.events import KIND_BY_DIRECTION

OBSERVERS = [(-6_000.0, -6_000.0), (6_000.0, -6_000.0), (0.0, 7_000.0)]


@pytest.mark.parametrize(
    ("event", "direction", "kind", "flagged"),
    [
        ("undetermined", "outgoing", "firing", True),
        ("undetermined", "incoming", "explosion", True),
        ("firing", "outgoing", "firing", False),
        ("undetermined", "undetermined", "undetermined", False),
    ],
)
def test_a_kind_from_the_direction_class_is_flagged(
    event: str, direction: str, kind: str, flagged: bool
) -> None:
    """Three observers' bearings of one source: the event's kind is the reports' (or
    the direction class's when they name none, then flagged ``kind_by_direction``)."""
    sc = Scene()
    for k, o in enumerate(OBSERVERS):
        sc.bearing(f"E{k}", f"obs{k}", o, (500.0, 800.0), T0, event=event, direction=direction)
    (e,) = fuse(sc.arrays())
    assert e.lat is not None and e.n_observers == 3
    assert e.kind == kind
    assert (KIND_BY_DIRECTION in e.flags) is flagged
