"""The fleet document (YAML): drone types, bases, coverage goals.

Loaded like the mandate: pydantic validates it, errors name the file, the YAML
line and the field path (:class:`~ceasefire.model.errors.FleetError`);
:func:`check_fleet` then checks it against a mandate (sectors and zones exist,
bases lie within reach of the line).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ceasefire.geo import distance_m
from ceasefire.mandate import Mandate
from ceasefire.mandate.schema import BufferZone, TimeWindow
from ceasefire.model.errors import FleetError
from ceasefire.model.vocab import ObjectClass
from ceasefire.model.yamlpath import line_of, model_error, schema_keys, yaml_mapping

Probability = Annotated[float, Field(ge=0.0, le=1.0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DroneType(_Strict):
    """One kind of drone: how fast, how long, how wide it sees, how well.

    ``range_km``: the farthest it may fly from its base (data link or fuel
    reserve, whichever binds). ``detect_day``/``detect_night``: the probability
    that one pass sights an object of that class lying inside the swath (flat
    across the swath; classes not listed are never sighted).
    """

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,31}$")
    name: str = Field(min_length=1)
    cruise_kmh: float = Field(gt=0, le=1_000)
    endurance_h: float = Field(gt=0, le=72)
    turnaround_h: float = Field(ge=0, le=48)
    range_km: float = Field(gt=0, le=5_000)
    swath_km: float = Field(gt=0, le=50)
    ceiling_m: float = Field(gt=0, le=20_000)
    detect_day: dict[ObjectClass, Probability]
    detect_night: dict[ObjectClass, Probability] = Field(default_factory=dict)

    @property
    def speed_mps(self) -> float:
        return self.cruise_kmh / 3.6

    def detect_p(self, cls: str, night: bool) -> float:
        """Probability of sighting ``cls`` in one pass (0 for classes not listed)."""
        table = self.detect_night if night else self.detect_day
        return float(table.get(cls, 0.0))  # type: ignore[call-overload]


class Base(_Strict):
    """Where drones take off and land: ``position`` ``[lon, lat]``, the sector it
    serves, and how many drones of each type it holds."""

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,31}$")
    name: str | None = None
    position: Annotated[list[float], Field(min_length=2, max_length=2)]
    sector: str
    drones: dict[str, Annotated[int, Field(ge=0, le=200)]]

    @field_validator("position")
    @classmethod
    def _lonlat(cls, v: list[float]) -> list[float]:
        if not -180.0 <= v[0] <= 180.0:
            raise ValueError(f"longitude {v[0]} is outside -180..180 ([lon, lat])")
        if not -90.0 <= v[1] <= 90.0:
            raise ValueError(f"latitude {v[1]} is outside -90..90 ([lon, lat])")
        return v

    @property
    def lat(self) -> float:
        return self.position[1]

    @property
    def lon(self) -> float:
        return self.position[0]


class ZoneGoal(_Strict):
    """See every part of ``zone`` (a buffer zone of the mandate) once per ``every_h``."""

    zone: str
    every_h: float = Field(default=24.0, gt=0, le=24 * 14)
    weight: float = Field(default=1.0, gt=0)


class Goals(_Strict):
    """What the plan aims at.

    ``revisit_h``: every point of the contact line seen at least this often;
    ``line_weight``: the value of one km of line flown in one revisit period
    against one km² of zone (weight 1) flown once. Hot spots: a piece of line or
    zone within ``hotspot_radius_km`` of violations stored over the last
    ``hotspot_days`` is worth up to ``1 + hotspot_weight`` times more.
    ``lane_km``: the spacing of sweep lanes (default: the narrowest swath);
    ``piece_km``: the length of one planning task along a lane.
    """

    revisit_h: float = Field(default=6.0, gt=0, le=24 * 14)
    line_weight: float = Field(default=2.0, ge=0)
    zones: list[ZoneGoal] = Field(default_factory=list)
    hotspot_weight: float = Field(default=2.0, ge=0)
    hotspot_radius_km: float = Field(default=10.0, gt=0)
    hotspot_days: int = Field(default=3, ge=1, le=90)
    lane_km: float | None = Field(default=None, gt=0, le=50)
    piece_km: float = Field(default=40.0, ge=5, le=500)
    night: TimeWindow = Field(default_factory=lambda: TimeWindow(start="20:00", end="05:00"))


class FleetDoc(_Strict):
    """The whole fleet document."""

    name: str = Field(min_length=1)
    drone_types: list[DroneType] = Field(min_length=1)
    bases: list[Base] = Field(min_length=1)
    goals: Goals = Field(default_factory=Goals)

    @model_validator(mode="after")
    def _refs(self) -> FleetDoc:
        ids = [t.id for t in self.drone_types]
        if len(set(ids)) != len(ids):
            raise ValueError(f"drone type ids must be unique, found {ids}")
        bids = [b.id for b in self.bases]
        if len(set(bids)) != len(bids):
            raise ValueError(f"base ids must be unique, found {bids}")
        return self

    def drone_type(self, type_id: str) -> DroneType:
        for t in self.drone_types:
            if t.id == type_id:
                return t
        raise KeyError(type_id)

    @property
    def lane_km(self) -> float:
        """Spacing of sweep lanes, km."""
        if self.goals.lane_km is not None:
            return self.goals.lane_km
        used = {k for b in self.bases for k, n in b.drones.items() if n > 0}
        return min(t.swath_km for t in self.drone_types if t.id in used or not used)

    @property
    def size(self) -> int:
        """Drones in the fleet."""
        return sum(sum(b.drones.values()) for b in self.bases)


class Fleet:
    """A validated fleet with where each of its fields was written (for errors)."""

    def __init__(self, doc: FleetDoc, source: str = "<fleet>", node: yaml.Node | None = None):
        self.doc = doc
        self.source = source
        self._node = node

    def error(self, field: str, msg: str) -> FleetError:
        loc = tuple(
            int(x) if x.isdigit() else x
            for x in field.replace("[", ".").replace("]", "").split(".")
        )
        return FleetError(msg, file=self.source, line=line_of(self._node, loc), field=field)

    def with_counts(self, counts: dict[tuple[str, str], int]) -> Fleet:
        """The same fleet with ``counts[(base id, type id)]`` drones."""
        bases = [
            b.model_copy(
                update={
                    "drones": {
                        t.id: counts.get((b.id, t.id), 0)
                        for t in self.doc.drone_types
                        if counts.get((b.id, t.id), 0) > 0 or t.id in b.drones
                    }
                }
            )
            for b in self.doc.bases
        ]
        return Fleet(self.doc.model_copy(update={"bases": bases}), self.source, self._node)


def load_fleet(path: str | Path, mandate: Mandate | None = None) -> Fleet:
    """Read and validate the fleet at ``path`` (and check it against ``mandate``)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise FleetError(f"cannot read the fleet: {exc.strerror}", file=str(p)) from exc
    fleet = parse_fleet(text, source=str(p))
    if mandate is not None:
        check_fleet(fleet, mandate)
    return fleet


def parse_fleet(text: str, *, source: str = "<fleet>") -> Fleet:
    """Validate fleet YAML ``text``."""
    node, data = yaml_mapping(text, source, FleetError, "name, drone_types, bases, goals")
    try:
        doc = FleetDoc.model_validate(data)
    except ValidationError as exc:
        known = schema_keys(globals().values())
        raise model_error(exc.errors(), node, source, FleetError, known) from exc
    fleet = Fleet(doc, source, node)
    type_ids = [t.id for t in doc.drone_types]
    for i, b in enumerate(doc.bases):
        for tid in b.drones:
            if tid not in type_ids:
                raise fleet.error(
                    f"bases[{i}].drones", f"unknown drone type {tid!r}; expected one of {type_ids}"
                )
    return fleet


def check_fleet(fleet: Fleet, mandate: Mandate) -> None:
    """Check the fleet's sectors, zones and bases against ``mandate``."""
    doc = fleet.doc
    sectors = [s.id for s in mandate.doc.sectors]
    line = mandate.contact
    for i, b in enumerate(doc.bases):
        if b.sector not in sectors:
            raise fleet.error(
                f"bases[{i}].sector", f"unknown sector {b.sector!r}; expected one of {sectors}"
            )
        near = line.nearest(b.lat, b.lon)
        reach = max((doc.drone_type(t).range_km for t, n in b.drones.items() if n > 0), default=0.0)
        d_km = float(near.distance_m[0]) / 1000.0
        if reach and d_km >= reach:
            raise fleet.error(
                f"bases[{i}].position",
                f"base {b.id!r} is {d_km:.0f} km from the contact line, beyond the "
                f"{reach:.0f} km range of its drones; expected a base within range",
            )
    zone_ids = [z.id for z in mandate.doc.zones if isinstance(z, BufferZone)]
    for i, g in enumerate(doc.goals.zones):
        if g.zone not in zone_ids:
            raise fleet.error(
                f"goals.zones[{i}].zone",
                f"unknown buffer zone {g.zone!r}; expected one of {zone_ids}",
            )


def base_distance_m(base: Base, lat: Any, lon: Any) -> Any:
    """Geodesic distance (m) from ``base`` to points."""
    return distance_m(base.lat, base.lon, lat, lon)
