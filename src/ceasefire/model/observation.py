"""The observation contract: one JSON object per observation (pydantic v2).

``Observation`` is the discriminated union of the three kinds. Times are
ISO 8601 text with a zone (``2025-06-01T07:00:00.250Z``); positions are WGS84
degrees; bearings are degrees clockwise from true north.

The contract is strict: numbers must be JSON numbers (no booleans, no numeric
strings), finite and within physical bounds; times must be ISO 8601 text with
a zone (never epoch numbers). What a mission allows beyond that (the years its
observations may carry, the schemes of evidence addresses) is an
:class:`IntakePolicy`, passed as the validation context
(``OBSERVATION_ADAPTER.validate_python(data, context={"policy": policy})``);
without one, :data:`DEFAULT_POLICY` applies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationInfo,
    field_validator,
)

from ceasefire.model.vocab import (
    DEFAULT_TIME_SIGMA_S,
    Direction,
    EventKind,
    ObjectClass,
    Sense,
    Weapon,
    default_sense,
)

__all__ = [
    "DEFAULT_POLICY",
    "OBSERVATION_ADAPTER",
    "ArrivalObservation",
    "BearingObservation",
    "Evidence",
    "IntakePolicy",
    "Observation",
    "Position",
    "SightingObservation",
    "observation_json_schema",
]


@dataclass(frozen=True, slots=True)
class IntakePolicy:
    """What a mission accepts beyond the contract's own bounds.

    ``years``: first and last calendar year (UTC) an observation's time may
    fall in; ``evidence_schemes``: URI schemes an evidence address may use
    (lower case, e.g. ``https``).
    """

    years: tuple[int, int] = (2000, 2100)
    evidence_schemes: tuple[str, ...] = ("https",)


DEFAULT_POLICY = IntakePolicy()

#: ISO 8601 date and time with seconds (optionally a fraction) and a zone.
_ISO_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$", re.ASCII
)
#: ``_ISO_TIME``'s matches with every digit written 0 (a set lookup on ASCII
#: bytes takes a fraction of the regex's time, and ingest asks once per record).
_ISO_SHAPES = frozenset(
    ("0000-00-00T00:00:00" + frac + zone).encode()
    for frac in ["", *("." + "0" * k for k in range(1, 10))]
    for zone in ("Z", "+00:00", "-00:00")
)
_DIGITS_TO_0 = bytes.maketrans(b"123456789", b"000000000")


def _iso_shape(v: str) -> bool:
    """Whether ``_ISO_TIME`` matches ``v`` (its ``$`` lets one final newline by)."""
    try:
        t = v.encode("ascii").translate(_DIGITS_TO_0)
    except UnicodeEncodeError:  # the pattern is ASCII
        return False
    return t in _ISO_SHAPES or (t[-1:] == b"\n" and t[:-1] in _ISO_SHAPES)


#: RFC 3986 scheme, then a non-empty rest without spaces or control characters.
_URI = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):(\S+)$", re.ASCII)


def _policy(info: ValidationInfo) -> IntakePolicy:
    ctx = info.context
    if isinstance(ctx, dict):
        policy = ctx.get("policy")
        if isinstance(policy, IntakePolicy):
            return policy
    return DEFAULT_POLICY


def _finite(**kw: Any) -> Any:
    """A float field that takes only numbers (no bool, no text), finite."""
    return Field(strict=True, allow_inf_nan=False, **kw)


class Position(BaseModel):
    """A WGS84 position in degrees, with optional altitude in metres."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    lat: float = _finite(ge=-90.0, le=90.0, description="latitude, degrees north")
    lon: float = _finite(ge=-180.0, le=180.0, description="longitude, degrees east")
    alt_m: float | None = _finite(
        default=None,
        ge=-1_000.0,
        le=50_000.0,
        description="altitude above the ellipsoid, m (Dead Sea shore to stratospheric balloon)",
    )


class Evidence(BaseModel):
    """A piece of evidence (photo, video, audio) by address and SHA-256."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    uri: str = Field(
        strict=True,
        min_length=1,
        max_length=2000,
        description="absolute URI; its scheme must be one the mission allows (default https)",
    )
    sha256: str = Field(
        strict=True, pattern=r"^[0-9a-f]{64}$", description="lower-case hex SHA-256"
    )

    @field_validator("uri")
    @classmethod
    def _allowed_scheme(cls, v: str, info: ValidationInfo) -> str:
        m = _URI.match(v)
        if m is None:
            raise ValueError(
                "not an absolute URI; expected scheme:address with no spaces "
                "(e.g. https://evidence.example/photo.jpg)"
            )
        allowed = _policy(info).evidence_schemes
        if m.group(1).lower() not in allowed:
            raise ValueError(
                f"scheme {m.group(1)!r} is not allowed; expected one of {', '.join(allowed)}"
            )
        return v


class _ObservationBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    id: str = Field(strict=True, min_length=1, max_length=200, description="unique per source")
    source: str = Field(
        strict=True, min_length=1, max_length=200, description="observer, sensor or platform"
    )
    time: AwareDatetime = Field(description="when it was perceived, ISO 8601 with zone")
    time_sigma_s: float | None = _finite(default=None, gt=0.0, le=86400.0)
    evidence: tuple[Evidence, ...] = Field(default=(), max_length=100)

    @field_validator("time", mode="before")
    @classmethod
    def _iso_time(cls, v: Any, info: ValidationInfo) -> datetime:
        if isinstance(v, str) and _iso_shape(v):  # the usual case first
            try:
                t = datetime.fromisoformat(v)
            except ValueError as exc:
                raise ValueError(f"not a valid date or time ({exc})") from None
            # the shape ends in Z or +hh:mm, so fromisoformat gave t its zone
        elif isinstance(v, datetime):
            t = v
            if t.tzinfo is None or t.utcoffset() is None:
                raise ValueError("expected a time with a zone (Z or +hh:mm)")
        elif isinstance(v, str):
            raise ValueError(
                "not ISO 8601 with seconds and a zone; expected e.g. 2025-06-01T07:00:00Z"
            )
        else:
            raise ValueError(
                f"found a {type(v).__name__}; expected ISO 8601 text with seconds and a zone, "
                "e.g. 2025-06-01T07:00:00Z (epoch numbers are not accepted)"
            )
        lo, hi = _policy(info).years
        if not lo <= t.year <= hi:
            raise ValueError(f"year {t.year} is outside the mission's years {lo}-{hi}")
        return t

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
    bearing_deg: float = _finite(ge=0.0, lt=360.0, description="true north, clockwise")
    bearing_sigma_deg: float = _finite(gt=0.0, le=180.0)
    range_m: float | None = _finite(default=None, gt=0.0, le=200_000.0)
    range_sigma_m: float | None = _finite(default=None, gt=0.0, le=200_000.0)
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
    position_sigma_m: float = _finite(gt=0.0, le=100_000.0)
    object: ObjectClass
    count: int = Field(default=1, strict=True, ge=1, le=10_000)
    party: str | None = Field(
        default=None,
        strict=True,
        min_length=1,
        max_length=200,
        description="party id from markings",
    )


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
