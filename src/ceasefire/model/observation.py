"""The observation contract: one JSON object per observation (pydantic v2).

``Observation`` is the discriminated union of the three kinds. Times are
timezone-aware ISO 8601; positions are WGS84 degrees; bearings are degrees
clockwise from true north.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

from ceasefire.model.vocab import (
    DEFAULT_TIME_SIGMA_S,
    Direction,
    EventKind,
    ObjectClass,
    Sense,
    Weapon,
    default_sense,
)


class Position(BaseModel):
    """A WGS84 position in degrees, with optional altitude in metres."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    lat: float = Field(ge=-90.0, le=90.0, description="latitude, degrees north")
    lon: float = Field(ge=-180.0, le=180.0, description="longitude, degrees east")
    alt_m: float | None = Field(default=None, description="altitude above the ellipsoid, m")


class Evidence(BaseModel):
    """A piece of evidence (photo, video, audio) by address and SHA-256."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    uri: str = Field(min_length=1)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="lower-case hex SHA-256")


class _ObservationBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(min_length=1, max_length=200, description="unique per source")
    source: str = Field(min_length=1, max_length=200, description="observer, sensor or platform")
    time: AwareDatetime = Field(description="when it was perceived, ISO 8601 with zone")
    time_sigma_s: float | None = Field(default=None, gt=0.0, le=86400.0)
    evidence: tuple[Evidence, ...] = ()

    def effective_time_sigma_s(self) -> float:
        """``time_sigma_s`` or the default for this kind, s."""
        if self.time_sigma_s is not None:
            return self.time_sigma_s
        return DEFAULT_TIME_SIGMA_S[self.kind]  # type: ignore[attr-defined]

    def effective_sense(self) -> str:
        """``sense`` when given, else the default from the kind and event
        (:func:`~ceasefire.model.vocab.default_sense`)."""
        given = getattr(self, "sense", None)
        if given is not None:
            return str(given)
        return default_sense(self.kind, getattr(self, "event", None))  # type: ignore[attr-defined]


class BearingObservation(_ObservationBase):
    """A person, camera or sensor perceived an event in a direction."""

    kind: Literal["bearing"]
    observer: Position
    bearing_deg: float = Field(ge=0.0, lt=360.0, description="true north, clockwise")
    bearing_sigma_deg: float = Field(gt=0.0, le=180.0)
    range_m: float | None = Field(default=None, gt=0.0, le=200_000.0)
    range_sigma_m: float | None = Field(default=None, gt=0.0)
    event: EventKind = "undetermined"
    direction: Direction = "undetermined"
    weapon: Weapon = "undetermined"
    sense: Sense | None = Field(
        default=None,
        description="seen (light: no delay) or heard (sound at 343 m/s); default: seen for "
        "a flare, heard otherwise",
    )


class ArrivalObservation(_ObservationBase):
    """An acoustic sensor timed an impulse (``time`` to sub-second precision)."""

    kind: Literal["arrival"]
    observer: Position
    event: EventKind | None = None
    sense: Sense | None = Field(
        default=None,
        description="seen (light: no delay) or heard (sound at 343 m/s); default: seen for "
        "a flare, heard otherwise",
    )


class SightingObservation(_ObservationBase):
    """A drone, camera or patrol geolocated an object."""

    kind: Literal["sighting"]
    position: Position
    position_sigma_m: float = Field(gt=0.0, le=100_000.0)
    object: ObjectClass
    count: int = Field(default=1, ge=1, le=10_000)
    party: str | None = Field(default=None, min_length=1, description="party id from markings")


Observation = Annotated[
    BearingObservation | ArrivalObservation | SightingObservation, Field(discriminator="kind")
]
OBSERVATION_ADAPTER: TypeAdapter[Any] = TypeAdapter(Observation)


def observation_json_schema() -> dict[str, Any]:
    """The JSON Schema of one observation, generated from the models."""
    schema = OBSERVATION_ADAPTER.json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "ceasefire observation"
    return schema
