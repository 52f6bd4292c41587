"""The API's request and response models; the OpenAPI schema is generated from them.

GeoJSON responses (RFC 7946) are FeatureCollections of Point features
(``geometry`` null when a record has no position) with two foreign members
for paging: ``numberReturned`` and ``next_offset`` (null on the last page).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

__all__ = [
    "Ellipse",
    "ErrorItem",
    "ErrorResponse",
    "EscalationList",
    "EventCollection",
    "IngestResponse",
    "InterventionAck",
    "InterventionAnswered",
    "InterventionList",
    "InterventionOutcome",
    "MapCell",
    "Me",
    "ObservationCollection",
    "ProcessResponse",
    "PublishResponse",
    "ViolationCollection",
    "ViolationSummary",
]


class ErrorItem(BaseModel):
    field: str = Field(description="where: 'query.bbox', 'body[3].time', 'path.day' ...")
    message: str = Field(description="what was wrong and what was expected")


class ErrorResponse(BaseModel):
    """Every 4xx: a sentence, and for invalid input each field path."""

    detail: str
    errors: list[ErrorItem] = Field(default_factory=list)


class Point(BaseModel):
    type: Literal["Point"] = "Point"
    coordinates: list[float] = Field(min_length=2, max_length=3, description="[lon, lat], degrees")


class Ellipse(BaseModel):
    """The 95 % uncertainty ellipse: semi-axes in m, major axis clockwise from north."""

    semi_major_m: float
    semi_minor_m: float
    orientation_deg: float
    confidence: float


class ViolationProperties(BaseModel):
    """A violation. ``observations`` (ids) is null for parties: ids name observers."""

    model_config = ConfigDict(extra="forbid")
    id: str
    kind: str
    time: str = Field(description="ISO 8601 UTC")
    day: str | None = Field(description="reporting day, YYYY-MM-DD")
    rule: str
    severity: str
    response: str
    party: str = Field(description="party id or 'undetermined'")
    party_probability: float
    probabilities: dict[str, float]
    uncertainty: Ellipse | None
    observations: list[str] | None
    events: list[str]
    object: str | None
    weapon: str | None
    sector: str | None
    side: str | None
    distance_to_line_km: float | None
    first_seen: str | None
    last_seen: str | None
    notes: list[str]
    launch: Point | None


class ViolationFeature(BaseModel):
    type: Literal["Feature"] = "Feature"
    id: str
    geometry: Point | None
    properties: ViolationProperties


class EventProperties(BaseModel):
    """A fused event (analysts and the chief only)."""

    model_config = ConfigDict(extra="forbid")
    id: str
    kind: str
    time: str
    day: str | None
    sector: str | None
    party: str
    party_probability: float | None
    uncertainty: Ellipse | None
    observations: list[str]
    n_observers: int
    direction: str
    weapon: str
    object: str | None
    count: int | None
    party_marked: str | None
    first_seen: str | None
    last_seen: str | None
    launch: Point | None
    flags: list[str]
    distance_to_line_km: float | None


class EventFeature(BaseModel):
    type: Literal["Feature"] = "Feature"
    id: str
    geometry: Point | None
    properties: EventProperties


class ObservationFeature(BaseModel):
    """An observation: ``properties`` is the record in the observation contract
    (``ceasefire schema observation``) plus ``sector`` and ``submitted_by``."""

    type: Literal["Feature"] = "Feature"
    id: str = Field(description="source/id")
    geometry: Point
    properties: dict[str, Any]


class _Collection(BaseModel):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    numberReturned: int  # noqa: N815 (the OGC API Features name)
    next_offset: int | None = Field(description="offset of the next page; null on the last")


class ViolationCollection(_Collection):
    features: list[ViolationFeature]


class EventCollection(_Collection):
    features: list[EventFeature]


class ObservationCollection(_Collection):
    features: list[ObservationFeature]


class MapCell(BaseModel):
    """A square cell of the map's grid: its violations' count, mean position, parties."""

    lon: float = Field(description="mean longitude of the cell's violations, degrees")
    lat: float = Field(description="mean latitude of the cell's violations, degrees")
    n: int = Field(ge=1)
    party: dict[str, int] = Field(description="violations per attributed party")


class ViolationSummary(BaseModel):
    """Counts of the violations a GET /violations with the same filters returns
    (every page), and with ``cell_deg`` the located ones binned on a grid."""

    total: int
    located: int = Field(description="with a position (drawn on a map)")
    rule: dict[str, int]
    party: dict[str, int]
    severity: dict[str, int]
    response: dict[str, int]
    cell_deg: float | None = Field(
        description="the cell side used, degrees (at least the one asked; null: no cells)"
    )
    cells: list[MapCell]


class Escalation(BaseModel):
    id: str
    state: str
    line: int
    line_name: str
    holder: str
    trigger: str
    time: str
    day: str | None
    party: str | None
    sector: str | None
    violation_ids: list[str]
    message: str
    details: dict[str, Any]


class EscalationList(BaseModel):
    escalations: list[Escalation]
    numberReturned: int  # noqa: N815
    next_offset: int | None


class Rejection(BaseModel):
    line: int = Field(description="line (NDJSON, CSV), element or feature number, from 1")
    reason: str


class DuplicateItem(BaseModel):
    line: int
    source: str
    id: str
    conflicting: bool = Field(description="same source and id, different content")


class IngestResponse(BaseModel):
    """Sent only after the batch is committed."""

    input: int
    accepted: int
    rejected: int
    duplicate: int
    rejections: list[Rejection] = Field(description="the first 1,000")
    duplicates: list[DuplicateItem] = Field(description="the first 1,000")


class ProcessResponse(BaseModel):
    day: str
    observations: int
    events: int
    violations: int
    escalations: int
    ledger_head: dict[str, Any] | None


class PublishResponse(BaseModel):
    day: str
    published: bool
    audit_head: dict[str, Any]


class Me(BaseModel):
    name: str
    role: str
    sectors: list[str]
    party: str | None


class InterventionAck(BaseModel):
    """A force's acknowledgement of an intervention request, as the chief records it."""

    model_config = ConfigDict(extra="forbid")
    by: str = Field(min_length=1, max_length=200, description="the force answering")
    time: AwareDatetime | None = Field(
        default=None, description="when it answered, ISO 8601 with zone (default: now)"
    )
    note: str = Field(default="", max_length=4000)


class InterventionOutcome(InterventionAck):
    """What the force did; a request has one outcome."""

    outcome: Literal["intervened", "declined", "unable", "not-needed"]


class Intervention(BaseModel):
    id: str
    to: str
    line: int
    party: str | None
    sector: str | None
    issued: str
    deadline: str
    state: Literal["open", "overdue", "acknowledged", "closed"]
    acks: list[dict[str, Any]]
    outcome: dict[str, Any] | None


class InterventionList(BaseModel):
    interventions: list[Intervention]
    numberReturned: int  # noqa: N815


class InterventionAnswered(BaseModel):
    id: str = Field(description="the answer's ledger record id")
    request: str
    type: str
    ledger_size: int
