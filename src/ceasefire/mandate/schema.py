"""The mandate document (YAML) as a pydantic v2 schema.

Coordinates are GeoJSON-ordered ``[lon, lat]`` in WGS84 degrees; widths in km;
times of day are ``HH:MM`` in the reporting time zone.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ceasefire.model.vocab import EventKind, ObjectClass, Weapon

LonLat = Annotated[list[float], Field(min_length=2, max_length=3)]
Severity = Literal["low", "medium", "high", "critical"]
SEVERITIES: tuple[str, ...] = ("low", "medium", "high", "critical")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_lonlat(coords: list[list[float]]) -> list[list[float]]:
    for i, c in enumerate(coords):
        lon, lat = c[0], c[1]
        if not -180.0 <= lon <= 180.0:
            raise ValueError(f"coordinate {i}: longitude {lon} is outside -180..180 ([lon, lat])")
        if not -90.0 <= lat <= 90.0:
            raise ValueError(f"coordinate {i}: latitude {lat} is outside -90..90 ([lon, lat])")
    return coords


class Authority(_Strict):
    body: str = Field(min_length=1, description="e.g. UN Security Council")
    resolution: str = Field(min_length=1, description="e.g. S/RES/2202 (2015)")


class Mission(_Strict):
    name: str = Field(min_length=1)
    authority: Authority


class Party(_Strict):
    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,31}$")
    name: str = Field(min_length=1)


class LineSpec(_Strict):
    """A polyline given inline or as a GeoJSON file (LineString, or a Feature or
    FeatureCollection holding one), relative to the mandate file."""

    coordinates: list[LonLat] | None = None
    file: str | None = None

    @field_validator("coordinates")
    @classmethod
    def _coords(cls, v: list[list[float]] | None) -> list[list[float]] | None:
        if v is not None:
            if len(v) < 2:
                raise ValueError(f"a line needs at least 2 coordinates, found {len(v)}")
            _check_lonlat(v)
        return v

    @model_validator(mode="after")
    def _one_source(self) -> LineSpec:
        if (self.coordinates is None) == (self.file is None):
            raise ValueError("give exactly one of 'coordinates' ([[lon, lat], ...]) or 'file'")
        return self


class ContactLine(LineSpec):
    left: str = Field(description="party holding the left side of the drawing direction")
    right: str = Field(description="party holding the right side")


class BufferZone(_Strict):
    """A band along each party's reference line (the contact line where a party
    has none): ``width_km[party]`` on that party's own side."""

    id: str
    kind: Literal["buffer"]
    name: str | None = None
    width_km: dict[str, float]
    objects: list[ObjectClass] = Field(
        default_factory=list, description="weapon classes this zone is for (informative)"
    )

    @field_validator("width_km")
    @classmethod
    def _non_negative(cls, v: dict[str, float]) -> dict[str, float]:
        for party, w in v.items():
            if w < 0:
                raise ValueError(f"width for party {party!r} is {w} km; expected >= 0")
        return v


class PolygonZone(_Strict):
    """An area given by its exterior ring of ``[lon, lat]``."""

    id: str
    kind: Literal["polygon"]
    name: str | None = None
    coordinates: list[LonLat] = Field(min_length=4)
    note: str | None = None

    @field_validator("coordinates")
    @classmethod
    def _ring(cls, v: list[list[float]]) -> list[list[float]]:
        _check_lonlat(v)
        if v[0][:2] != v[-1][:2]:
            raise ValueError("a polygon ring must end where it starts (first == last coordinate)")
        return v


Zone = Annotated[BufferZone | PolygonZone, Field(discriminator="kind")]


class Sector(_Strict):
    """A stretch of the contact line by chainage (km from its first vertex)."""

    id: str
    name: str | None = None
    from_km: float = Field(ge=0)
    to_km: float = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> Sector:
        if self.to_km <= self.from_km:
            raise ValueError(f"to_km ({self.to_km}) must be greater than from_km ({self.from_km})")
        return self


class TimeWindow(_Strict):
    start: str = Field(description="HH:MM")
    end: str = Field(description="HH:MM; a window may wrap past midnight")

    @field_validator("start", "end")
    @classmethod
    def _hhmm(cls, v: str) -> str:
        if not _HHMM.match(v):
            raise ValueError(f"{v!r} is not a time of day; expected HH:MM (00:00-23:59)")
        return v


RuleKind = Literal["ceasefire", "withdrawal", "disengagement", "drone"]


class Rule(_Strict):
    """What, where and when makes a violation.

    - ``ceasefire``: fused firing or explosion events (``events``, ``weapons``).
    - ``withdrawal``: weapons (``objects``) inside ``zone`` (a buffer zone),
      measured from the party's own reference line.
    - ``disengagement``: any event or object inside ``zone`` (a polygon zone).
    - ``drone``: ``uav`` sightings attributed to a party (``zone`` optional).
    ``sectors`` and ``time_window`` narrow any rule. Lone reports that fusion
    flags ``uncorroborated`` make violations only where ``uncorroborated`` is set;
    those it flags ``explained`` (a located event accounts for them) make none.
    """

    id: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    kind: RuleKind
    description: str | None = None
    severity: Severity = "medium"
    events: list[EventKind] = Field(default_factory=list)
    weapons: list[Weapon] = Field(default_factory=list)
    objects: list[ObjectClass] = Field(default_factory=list)
    zone: str | None = None
    sectors: list[str] = Field(default_factory=list)
    parties: list[str] = Field(default_factory=list, description="empty: all parties")
    time_window: TimeWindow | None = None
    uncorroborated: bool = Field(
        default=False,
        description=(
            "count lone reports that nothing corroborates (no other activity within 15 km "
            "and 2 minutes, no report of the same observer from about the same direction "
            "within 10 minutes) or that microphones close to their observer did not hear: "
            "mostly false reports; they stay events"
        ),
    )

    @model_validator(mode="after")
    def _needs(self) -> Rule:
        if self.kind == "withdrawal" and (not self.zone or not self.objects):
            raise ValueError("a withdrawal rule needs 'zone' (a buffer zone) and 'objects'")
        if self.kind == "disengagement" and not self.zone:
            raise ValueError("a disengagement rule needs 'zone' (a polygon zone)")
        return self


#: the name a trigger's ``by`` gives to violations no party could be named for
UNDETERMINED = "undetermined"


class Trigger(_Strict):
    """When a line of defence is engaged.

    ``count``: at least ``threshold`` violations (of ``rules`` / at least
    ``min_severity``) in the last ``window_h`` hours, counted per ``per``; the
    episode clears when the count falls below ``clear_below`` (default
    ``threshold``). ``crossing``: an object of ``objects`` marked as a party's
    seen on the far side of the contact line from that party; it clears
    ``window_h`` hours after the last such sighting.

    Whose violations count: ``by`` (party ids; ``undetermined`` counts the
    violations no party could be named for, and only where listed). Unset: every
    party, and undetermined ones too on an unarmed line; an armed line must name
    them. A violation counts for a party when that party's probability is at least
    ``min_probability`` (default: the mandate's attribution threshold).

    Order: with ``after_below_h`` the line engages only while the line below it
    has been engaged for the same party (and sector, where both count per
    sector) for at least that many hours; unset, the line's own condition
    engages it at once (an armour crossing).
    """

    kind: Literal["count", "crossing"]
    by: list[str] | None = Field(
        default=None, description="parties whose violations engage the line (or 'undetermined')"
    )
    min_probability: float | None = Field(
        default=None, gt=0.5, le=1.0, description="least attribution probability that counts"
    )
    threshold: int = Field(default=1, ge=1)
    clear_below: int | None = Field(default=None, ge=1)
    window_h: float = Field(default=24.0, gt=0, le=24 * 31)
    rules: list[str] = Field(default_factory=list)
    min_severity: Severity | None = None
    per: Literal["party", "sector", "party_sector", "all"] = "party"
    objects: list[ObjectClass] = Field(default_factory=list)
    after_below_h: float | None = Field(
        default=None,
        ge=0,
        le=24 * 31,
        description="hours the line below must have been engaged for the same party first",
    )

    @model_validator(mode="after")
    def _clear(self) -> Trigger:
        if self.clear_below is not None and self.clear_below > self.threshold:
            raise ValueError(
                f"clear_below ({self.clear_below}) must be <= threshold ({self.threshold})"
            )
        if self.kind == "crossing" and not self.objects:
            raise ValueError("a crossing trigger needs 'objects'")
        if self.by is not None and not self.by:
            raise ValueError(
                "'by' is empty: no violation could ever engage this line; "
                "name the parties (e.g. by: [RU]) or leave 'by' out"
            )
        return self


class DefenceLine(_Strict):
    line: int = Field(ge=1, description="1 is the first line of defence")
    name: str
    holder: str = Field(description="who holds this line (a party, a force, a guarantor)")
    armed: bool = Field(
        default=True, description="an armed force (false: a body that talks, e.g. the JCCC)"
    )
    defends: str | None = Field(
        default=None,
        description="the party this line stands with (default: the holder, when a party)",
    )
    trigger: Trigger


class Intervention(_Strict):
    """Where ``mode: intervene`` sends its requests: the force holding each sector
    (``forces``, sector id -> force; ``default`` for the rest) and how long it has
    to answer (``deadline_h``)."""

    deadline_h: float = Field(default=2.0, gt=0, le=24 * 7)
    forces: dict[str, str] = Field(default_factory=dict)
    default: str | None = Field(default=None, description="the force for any other sector")


class Response(_Strict):
    mode: Literal["record", "notify", "intervene"] = "record"
    notify: list[str] = Field(default_factory=list, description="recipients of notices")
    escalation: list[DefenceLine] = Field(default_factory=list)
    intervene: Intervention | None = None

    @model_validator(mode="after")
    def _ladder(self) -> Response:
        lines = [d.line for d in self.escalation]
        if lines != sorted(set(lines)):
            raise ValueError(f"escalation lines must be unique and in order, found {lines}")
        if self.mode in ("notify", "intervene") and not self.notify:
            raise ValueError(f"mode {self.mode!r} needs at least one recipient in 'notify'")
        if self.mode == "intervene" and self.intervene is None:
            raise ValueError(
                "mode 'intervene' needs an 'intervene' block (forces: {sector: force}, "
                "default, deadline_h)"
            )
        return self


#: an allowance for evidence pointing the wrong way (unset: the default)
_ErrorP = Annotated[float, Field(ge=0.0, lt=0.5)] | None


class Allowances(_Strict):
    """How often each piece of attribution evidence points the wrong way, for this
    theatre (probabilities; unset: the defaults measured on the simulator's Donbas
    heavy profile). ``ceasefire calibrate`` fits them on simulated days of the
    mandate and prints this block. See ``ceasefire.assess.AttributionConfig``."""

    impact_across_p: float | None = Field(
        default=None, gt=0.5, le=1.0, description="an impact came from across the line"
    )
    launch_error_p: _ErrorP = Field(None, description="a paired launch point is another round's")
    close_launch_error_p: _ErrorP = Field(None, description="... when the pairing was a close call")
    launch_ray_error_p: _ErrorP = Field(
        None, description="a lone launch bearing joined to an impact is wrong"
    )
    position_error_p: _ErrorP = Field(
        None, description="a fused position mixes another round's reports"
    )
    ray_error_p: _ErrorP = Field(None, description="a lone bearing is clutter or another round's")
    burst_ray_error_p: _ErrorP = Field(
        None, description="... a lone burst or shot (small arms) points to the wrong side"
    )
    ray_band_m: float | None = Field(
        default=None,
        gt=0.0,
        le=100_000.0,
        description="fire sources thin out with distance from the line on this scale, m",
    )
    short_band_m: float | None = Field(
        default=None,
        ge=0.0,
        le=100_000.0,
        description="short rounds land within this distance of the line, m (0: anywhere)",
    )

    def given(self) -> dict[str, Any]:
        """The allowances this mandate sets (name -> value)."""
        return {k: float(v) for k, v in self.model_dump().items() if v is not None}


class Attribution(_Strict):
    threshold: float = Field(
        default=0.8, gt=0.5, le=1.0, description="below this probability: undetermined"
    )
    allowances: Allowances = Field(default_factory=Allowances)


class Reporting(_Strict):
    cutoff: str = Field(default="00:00", description="HH:MM, end of a reporting day")
    timezone: str = Field(default="UTC")
    recipients: list[str] = Field(default_factory=list)

    @field_validator("cutoff")
    @classmethod
    def _hhmm(cls, v: str) -> str:
        if not _HHMM.match(v):
            raise ValueError(f"{v!r} is not a time of day; expected HH:MM")
        return v


_SPOT_TYPES: dict[str, ObjectClass] = {
    "a-h-G-E-W-H": "artillery_ge_100mm",
    "a-u-G-E-W-H": "artillery_ge_100mm",
    "a-h-G-E-W-R": "mlrs",
    "a-u-G-E-W-R": "mlrs",
    "a-h-G-E-W-O": "mortar",
    "a-u-G-E-W-O": "mortar",
    "a-h-G-E-V-A-T": "tank",
    "a-u-G-E-V-A-T": "tank",
}


class Tak(_Strict):
    """TAK (ATAK/WinTAK) in the live room: which Cursor-on-Target types from field
    devices are spot reports, and of what object; how long a violation stays on
    the clients' maps."""

    spot_types: dict[str, ObjectClass] = Field(
        default_factory=lambda: dict(_SPOT_TYPES),
        description="CoT type of a spot report -> object class of the sighting",
    )
    #: position uncertainty of a spot report whose ``ce`` is unknown, m
    default_sigma_m: float = Field(default=100.0, gt=0)
    #: a violation stays current on TAK clients this long after it is sent, s
    stale_s: float = Field(default=3600.0, gt=0)


class Fusion(_Strict):
    """How the day's record is fused (``ceasefire.fuse``)."""

    register_over: Literal["day", "tile"] = Field(
        default="day",
        description=(
            "what each observer's clock offset and noise are estimated over in the "
            "day's batch: the whole day (the better estimate), or each fusion tile "
            "alone, as the live workers must: then the batch gives exactly the live "
            "workers' violations"
        ),
    )
    finality: Literal["tile", "event"] = Field(
        default="tile",
        description=(
            "when an acoustic event is final, in the batch and (by default) the live "
            "workers: tile, when its time tile and the horizon have passed (the batch "
            "fuses tiles); event, when its own bound has passed: the day is fused in "
            "steps of step_s as a live worker with --finality event fuses it (lower "
            "latency live, the same violations in both)"
        ),
    )
    step_s: float = Field(
        default=60.0, gt=0, le=3600, description="event finality: the step of the fusion, s"
    )


class Intake(_Strict):
    """What the mission accepts from observers beyond the observation contract."""

    years: tuple[int, int] = Field(
        default=(2000, 2100), description="first and last year an observation's time may carry"
    )
    evidence_schemes: list[Annotated[str, Field(pattern=r"^[a-z][a-z0-9+.-]*$")]] = Field(
        default_factory=lambda: ["https"],
        min_length=1,
        description="URI schemes evidence addresses may use, lower case",
    )

    @field_validator("years")
    @classmethod
    def _ordered(cls, v: tuple[int, int]) -> tuple[int, int]:
        if not 1900 <= v[0] <= v[1] <= 2200:
            raise ValueError(f"years {v[0]}-{v[1]}; expected first <= last within 1900-2200")
        return v


class MandateDoc(_Strict):
    """The whole mandate document."""

    mission: Mission
    parties: list[Party] = Field(min_length=2)
    contact_line: ContactLine
    reference_lines: dict[str, LineSpec] = Field(default_factory=dict)
    zones: list[Zone] = Field(default_factory=list)
    sectors: list[Sector] = Field(default_factory=list)
    rules: list[Rule] = Field(min_length=1)
    response: Response = Field(default_factory=Response)
    attribution: Attribution = Field(default_factory=Attribution)
    reporting: Reporting = Field(default_factory=Reporting)
    intake: Intake = Field(default_factory=Intake)
    tak: Tak = Field(default_factory=Tak)
    fusion: Fusion = Field(default_factory=Fusion)
