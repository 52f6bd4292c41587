"""What a daily report is made from: the day's results plus the little history it compares with."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ceasefire.mandate import Mandate
from ceasefire.model import Escalation, Event, Violation


@dataclass(frozen=True)
class ReportContext:
    """Inputs of one reporting day's report.

    ``observers``: ``(source id, lat, lon)`` of positions seen that day.
    ``history``: violations per reporting day for the days before ``day``
    (days absent from it had none). ``previous``: the previous day's
    violations, for per-category comparison. ``ledger_head``: the day's signed
    head (``size``, ``root_hash``, ``time``, ``key_id``, ``signature``).
    ``counts``: ingest counts (``accepted``, ``rejected``, ``duplicate``).
    ``observations``: how many observations the mission received for the day
    (None: not known); 0 makes the report say nothing was received rather
    than that the day was quiet.
    ``patrol``: the day's drone patrol coverage (``coverage.json`` of
    ``ceasefire patrol plan``), shown in its own section when given.
    ``event_counts``: the counts of the day's events the report states
    (:func:`~ceasefire.report.summary.event_counts`' keys), when known
    without ``events`` (the store counts them; ``events`` may then be empty
    if the maps are drawn elsewhere); None: counted from ``events``.
    """

    mandate: Mandate
    day: date
    events: list[Event]
    violations: list[Violation]
    escalations: list[Escalation] = field(default_factory=list)
    observers: list[tuple[str, float, float]] = field(default_factory=list)
    history: dict[date, int] = field(default_factory=dict)
    previous: list[Violation] | None = None
    ledger_head: dict[str, Any] | None = None
    counts: dict[str, int] | None = None
    observations: int | None = None
    patrol: dict[str, Any] | None = None
    event_counts: dict[str, int] | None = None
