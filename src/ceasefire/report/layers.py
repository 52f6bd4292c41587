"""What the day's map draws of the day, as arrays: ``MapLayers``.

Built once from the day's events and violations and shared by the published
and the internal map, so that a map can be drawn by a forked process that
reads a few arrays instead of the day's objects (reading an object writes its
reference count, which copies the page it sits on into the process).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt
from matplotlib.colors import to_rgba

from ceasefire.mandate import Mandate
from ceasefire.model import Event, Violation
from ceasefire.report.geometry import rings_of
from ceasefire.report.style import party_colours
from ceasefire.report.summary import party_key, rule_kind

F8 = npt.NDArray[np.float64]

#: Violation marker groups, in drawing order: (group, matplotlib marker).
SHAPES = (("explosion", "*"), ("withdrawal", "s"), ("other", "o"))


@dataclass(frozen=True)
class Marks:
    """One marker group's violations: positions (degrees, shape (n,)) and
    colours (RGBA in [0, 1], shape (n, 4)), in the day's order."""

    lat: F8
    lon: F8
    rgba: F8


@dataclass(frozen=True)
class MapLayers:
    """The day's map content, compact (about 0.15 KB per violation with an ellipse).

    ``violation_lat``/``violation_lon``: located violations (degrees, (n,)),
    which the map's extent covers. ``other_lat``/``other_lon``: events with a
    position that no violation names (grey dots). ``ellipse_lat``,
    ``ellipse_lon``, ``semi_major_m``, ``semi_minor_m``, ``orientation_deg``:
    the violations' 95 % ellipses (centre in degrees, semi-axes in m, the major
    axis's orientation in degrees clockwise from north; each (m,)), drawn as
    :attr:`rings` with their party colours ``ring_rgba`` (m, 4). ``marks``: the
    located violations by marker group (the keys of :data:`SHAPES`, present
    groups only). ``unlocated``: violations without a position (not drawn)."""

    violation_lat: F8
    violation_lon: F8
    other_lat: F8
    other_lon: F8
    ellipse_lat: F8
    ellipse_lon: F8
    semi_major_m: F8
    semi_minor_m: F8
    orientation_deg: F8
    ring_rgba: F8
    marks: dict[str, Marks]
    unlocated: int

    @property
    def others(self) -> int:
        """How many grey dots: events that are not violations."""
        return len(self.other_lat)

    @cached_property
    def rings(self) -> F8:
        """The ellipses as closed (lon, lat) rings, (m, ELLIPSE_VERTICES, 2),
        made on first use: where the map is drawn, so that the layers carried
        between processes hold 5 numbers an ellipse, not 74."""
        return rings_of(
            self.ellipse_lat,
            self.ellipse_lon,
            self.semi_major_m,
            self.semi_minor_m,
            self.orientation_deg,
        )

    @classmethod
    def concat(cls, parts: Sequence[MapLayers]) -> MapLayers:
        """The layers of the parts' events and violations taken together, in
        order (the parts of a day read a time slice at a time; the events' parts
        built with the whole day's ``named``)."""

        def cat(name: str) -> F8:
            return np.concatenate([getattr(p, name) for p in parts])

        marks: dict[str, Marks] = {}
        for key, _marker in SHAPES:
            got = [p.marks[key] for p in parts if key in p.marks]
            if got:
                marks[key] = Marks(
                    np.concatenate([m.lat for m in got]),
                    np.concatenate([m.lon for m in got]),
                    np.concatenate([m.rgba for m in got]),
                )
        return cls(
            violation_lat=cat("violation_lat"),
            violation_lon=cat("violation_lon"),
            other_lat=cat("other_lat"),
            other_lon=cat("other_lon"),
            ellipse_lat=cat("ellipse_lat"),
            ellipse_lon=cat("ellipse_lon"),
            semi_major_m=cat("semi_major_m"),
            semi_minor_m=cat("semi_minor_m"),
            orientation_deg=cat("orientation_deg"),
            ring_rgba=cat("ring_rgba"),
            marks=marks,
            unlocated=sum(p.unlocated for p in parts),
        )


def _shape(v: Violation, kinds: dict[str, str | None]) -> str:
    if kinds[v.rule] == "withdrawal":
        return "withdrawal"
    return "explosion" if v.kind == "explosion" else "other"


def _latlon(items: Sequence[Event | Violation]) -> tuple[F8, F8]:
    lat = np.array([i.lat for i in items], float)
    lon = np.array([i.lon for i in items], float)
    return lat, lon


def named_events(violations: Iterable[Violation]) -> set[str]:
    """Ids of the events ``violations`` name (drawn as violations, not as grey dots)."""
    return {eid for v in violations for eid in v.event_ids}


def map_layers(
    mandate: Mandate,
    events: Sequence[Event],
    violations: Sequence[Violation],
    *,
    named: set[str] | None = None,
) -> MapLayers:
    """The layers of the day's map from its events and violations (``named``:
    the ids of events a violation names, default those of ``violations``)."""
    parties = mandate.party_ids
    rgba = {k: np.array(to_rgba(c), float) for k, c in party_colours(parties).items()}
    kinds = {r: rule_kind(mandate, r) for r in {v.rule for v in violations}}

    def colours(group: Sequence[Violation]) -> F8:
        if not group:
            return np.zeros((0, 4))
        return np.stack([rgba[party_key(v.party, parties)] for v in group])

    named = named_events(violations) if named is None else named
    others = [e for e in events if e.id not in named and e.has_position]
    located = [v for v in violations if v.lat is not None and v.lon is not None]
    pairs = [(v, e) for v in located if v.cov_m2 is not None and (e := v.ellipse) is not None]
    with_ell = [v for v, _ in pairs]
    ell_lat, ell_lon = _latlon(with_ell)
    marks: dict[str, Marks] = {}
    for key, _marker in SHAPES:
        group = [v for v in located if _shape(v, kinds) == key]
        if group:
            glat, glon = _latlon(group)
            marks[key] = Marks(glat, glon, colours(group))
    vlat, vlon = _latlon(located)
    olat, olon = _latlon(others)
    return MapLayers(
        violation_lat=vlat,
        violation_lon=vlon,
        other_lat=olat,
        other_lon=olon,
        ellipse_lat=ell_lat,
        ellipse_lon=ell_lon,
        semi_major_m=np.array([e.semi_major_m for _, e in pairs], float),
        semi_minor_m=np.array([e.semi_minor_m for _, e in pairs], float),
        orientation_deg=np.array([e.orientation_deg for _, e in pairs], float),
        ring_rgba=colours(with_ell),
        marks=marks,
        unlocated=len(violations) - len(located),
    )
