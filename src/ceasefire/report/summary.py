"""The numbers of a daily report, computed from a :class:`ReportContext` (pure).

Every table adds up: the rule x party table's cells sum to its row and column
totals and those to the day's total; ``undetermined`` is a column of its own
and a party id the mandate does not know goes to ``other``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from ceasefire.mandate import Mandate, day_bounds
from ceasefire.model import Escalation, Event, Violation
from ceasefire.report.context import ReportContext

UNDETERMINED = "undetermined"
OTHER = "other"
NO_SECTOR = "none"
#: Rows of per-item tables shown in the report (all rows are in the exports).
MAX_ROWS = 40
TREND_DAYS = 30
AVERAGE_DAYS = 7


@dataclass(frozen=True)
class Cross:
    """A table of counts: ``rows`` x ``cols`` cells with row and column totals."""

    rows: list[str]
    cols: list[str]
    cells: dict[tuple[str, str], int]
    row_totals: dict[str, int]
    col_totals: dict[str, int]
    total: int

    def cell(self, row: str, col: str) -> int:
        return self.cells.get((row, col), 0)


@dataclass(frozen=True)
class Change:
    """One category today against the previous day."""

    key: str
    label: str
    today: int
    previous: int | None

    @property
    def delta(self) -> int | None:
        return None if self.previous is None else self.today - self.previous


@dataclass(frozen=True)
class WeaponRow:
    """A weapon seen inside its withdrawal zone."""

    id: str
    object: str
    party: str
    party_probability: float
    rule: str
    lat: float | None
    lon: float | None
    distance_to_line_km: float | None
    sector: str | None
    first_seen: str
    last_seen: str


@dataclass(frozen=True)
class EscalationRow:
    id: str
    state: str
    time: str
    line: int
    line_name: str
    holder: str
    party: str
    sector: str
    n_violations: int
    message: str


@dataclass
class Summary:
    """Everything the report states, as numbers and short strings."""

    day: date
    mission: str
    authority: str
    timezone: str
    period: str
    total: int
    explosions: int
    by_kind: dict[str, int]
    by_sector: list[Change]
    by_rule: list[Change]
    by_party: list[Change]
    rule_party: Cross
    undetermined: int
    previous_total: int | None
    average_7d: float | None
    average_days: int
    per_hour: list[int]
    trend: list[tuple[date, int]]
    weapons: list[WeaponRow]
    weapons_total: int
    raised: list[EscalationRow]
    cleared: list[EscalationRow]
    events_total: int
    events_located: int
    observers: int
    #: observations received for the day (None: not known)
    observations: int | None
    counts: dict[str, int] | None
    ledger_head: dict[str, Any] | None
    parties: dict[str, str] = field(default_factory=dict)
    sectors: dict[str, str] = field(default_factory=dict)
    rules: dict[str, str] = field(default_factory=dict)
    #: lone reports nothing corroborated (events, not violations, unless a rule says so)
    events_uncorroborated: int = 0
    #: lone reports a located event explained (fuse/explain.py), not uncorroborated
    events_explained: int = 0
    #: located fixes a stronger located event explained: one round located twice
    fixes_explained: int = 0
    paragraph: str = ""


def _local(time_s: float | None, mandate: Mandate) -> str:
    if time_s is None:
        return ""
    return datetime.fromtimestamp(time_s, tz=mandate.tz).strftime("%d %b %H:%M")


def rule_kind(mandate: Mandate, rule_id: str) -> str | None:
    """The kind of a mandate rule, None for a rule the mandate does not have."""
    try:
        return mandate.rule(rule_id).kind
    except KeyError:
        return None


def party_key(party: str, parties: Sequence[str]) -> str:
    """The column a violation's party falls in: a party id, ``undetermined`` or ``other``."""
    if party in parties or party == UNDETERMINED:
        return party
    return OTHER


def cross(violations: Iterable[Violation], rows: list[str], parties: list[str]) -> Cross:
    """Counts by rule (rows, in mandate order, unknown rules appended) and party."""
    cells: Counter[tuple[str, str]] = Counter()
    for v in violations:
        cells[(v.rule, party_key(v.party, parties))] += 1
    rows = rows + sorted({r for r, _ in cells} - set(rows))
    cols = [*parties, UNDETERMINED]
    if any(c == OTHER for _, c in cells):
        cols.append(OTHER)
    row_totals = {r: sum(cells[(r, c)] for c in cols) for r in rows}
    col_totals = {c: sum(cells[(r, c)] for r in rows) for c in cols}
    return Cross(rows, cols, dict(cells), row_totals, col_totals, sum(cells.values()))


def _changes(
    today: Counter[str], previous: Counter[str] | None, keys: list[str], labels: dict[str, str]
) -> list[Change]:
    extra = sorted((set(today) | set(previous or {})) - set(keys))
    out = []
    for k in keys + extra:
        out.append(
            Change(k, labels.get(k, k), today.get(k, 0), None if previous is None else previous[k])
        )
    return out


def _escalation_row(x: Escalation, mandate: Mandate) -> EscalationRow:
    return EscalationRow(
        x.id,
        x.state,
        _local(x.time_s, mandate),
        x.line,
        x.line_name,
        x.holder,
        x.party or "all",
        x.sector or "all",
        len(x.violation_ids),
        x.message,
    )


def event_counts(events: Sequence[Event]) -> dict[str, int]:
    """The counts of ``events`` the report states: ``total``, ``located``,
    ``uncorroborated`` (lone reports nothing corroborated), ``explained``
    (lone reports a located event explained, not uncorroborated) and
    ``fixes_explained`` (located fixes a stronger one explained); the same
    as ``Store.event_counts`` of the stored events."""
    return {
        "total": len(events),
        "located": sum(1 for e in events if e.has_position),
        "uncorroborated": sum(1 for e in events if "uncorroborated" in e.flags),
        "explained": sum(
            1
            for e in events
            if "explained" in e.flags and "uncorroborated" not in e.flags and not e.has_position
        ),
        "fixes_explained": sum(1 for e in events if "explained" in e.flags and e.has_position),
    }


def summarize(ctx: ReportContext) -> Summary:
    """The report's numbers for ``ctx`` (no I/O)."""
    m = ctx.mandate
    doc = m.doc
    parties = m.party_ids
    vs = ctx.violations
    start, end = day_bounds(m, ctx.day)
    tz = m.tz
    period = (
        f"{datetime.fromtimestamp(start, tz=tz):%d %b %Y %H:%M} to "
        f"{datetime.fromtimestamp(end, tz=tz):%d %b %Y %H:%M} ({doc.reporting.timezone})"
    )
    rule_ids = [r.id for r in doc.rules]
    sector_ids = [s.id for s in doc.sectors]

    by_kind = Counter(v.kind for v in vs)
    sec_today = Counter(v.sector or NO_SECTOR for v in vs)
    rule_today = Counter(v.rule for v in vs)
    party_today = Counter(party_key(v.party, parties) for v in vs)
    prev = ctx.previous
    sec_prev = Counter(v.sector or NO_SECTOR for v in prev) if prev is not None else None
    rule_prev = Counter(v.rule for v in prev) if prev is not None else None
    party_prev = Counter(party_key(v.party, parties) for v in prev) if prev is not None else None

    sector_labels = {s.id: s.name or s.id for s in doc.sectors}
    sector_labels[NO_SECTOR] = "outside the sectors"
    party_labels = {p.id: p.name for p in doc.parties}
    party_labels[UNDETERMINED] = "undetermined"
    party_labels[OTHER] = "other"
    rule_labels = {r.id: r.description or r.id for r in doc.rules}

    yesterday = ctx.day - timedelta(days=1)
    if prev is not None:
        previous_total: int | None = len(prev)
    elif ctx.history:
        previous_total = ctx.history.get(yesterday, 0)
    else:
        previous_total = None
    average: float | None = None
    avg_days = 0
    if ctx.history:
        first = min(ctx.history)
        days = [ctx.day - timedelta(days=i) for i in range(1, AVERAGE_DAYS + 1)]
        days = [d for d in days if d >= first]
        if days:
            average = sum(ctx.history.get(d, 0) for d in days) / len(days)
            avg_days = len(days)
    per_hour = [0] * 24
    for v in vs:
        per_hour[datetime.fromtimestamp(v.time_s, tz=tz).hour] += 1
    trend = [
        (d, ctx.history.get(d, 0))
        for d in (ctx.day - timedelta(days=i) for i in range(TREND_DAYS, 0, -1))
    ] + [(ctx.day, len(vs))]

    weapons_all = sorted(
        (v for v in vs if rule_kind(m, v.rule) == "withdrawal"),
        key=lambda v: (v.first_seen_s if v.first_seen_s is not None else v.time_s, v.id),
    )
    weapons = [
        WeaponRow(
            v.id,
            v.object or "undetermined",
            v.party,
            v.party_probability,
            v.rule,
            v.lat,
            v.lon,
            v.distance_to_line_km,
            v.sector,
            _local(v.first_seen_s if v.first_seen_s is not None else v.time_s, m),
            _local(v.last_seen_s if v.last_seen_s is not None else v.time_s, m),
        )
        for v in weapons_all[:MAX_ROWS]
    ]
    escs = sorted(ctx.escalations, key=lambda x: (x.time_s, x.id))
    n_events = ctx.event_counts if ctx.event_counts is not None else event_counts(ctx.events)
    s = Summary(
        day=ctx.day,
        mission=doc.mission.name,
        authority=f"{doc.mission.authority.body}, {doc.mission.authority.resolution}",
        timezone=doc.reporting.timezone,
        period=period,
        total=len(vs),
        explosions=by_kind.get("explosion", 0),
        by_kind=dict(sorted(by_kind.items(), key=lambda kv: (-kv[1], kv[0]))),
        by_sector=_changes(sec_today, sec_prev, [*sector_ids, NO_SECTOR], sector_labels),
        by_rule=_changes(rule_today, rule_prev, rule_ids, rule_labels),
        by_party=_changes(party_today, party_prev, [*parties, UNDETERMINED], party_labels),
        rule_party=cross(vs, rule_ids, parties),
        undetermined=party_today.get(UNDETERMINED, 0),
        previous_total=previous_total,
        average_7d=average,
        average_days=avg_days,
        per_hour=per_hour,
        trend=trend,
        weapons=weapons,
        weapons_total=len(weapons_all),
        raised=[_escalation_row(x, m) for x in escs if x.state == "raised"],
        cleared=[_escalation_row(x, m) for x in escs if x.state == "cleared"],
        events_total=n_events["total"],
        events_located=n_events["located"],
        observers=len({o[0] for o in ctx.observers}),
        observations=ctx.observations,
        counts=ctx.counts,
        ledger_head=ctx.ledger_head,
        parties=party_labels,
        sectors=sector_labels,
        rules=rule_labels,
        events_uncorroborated=n_events["uncorroborated"],
        events_explained=n_events["explained"],
        fixes_explained=n_events["fixes_explained"],
    )
    s.paragraph = paragraph(s)
    return s


def _n(k: int, word: str, plural: str | None = None) -> str:
    return f"{k:,} {word if k == 1 else (plural or word + 's')}"


def _compare(total: int, ref: float, what: str) -> str:
    if abs(total - ref) < 0.05:
        return f"the same as {what} ({ref:,.1f})" if ref % 1 else f"the same as {what}"
    word = "more" if total > ref else "fewer"
    diff = abs(total - ref)
    ref_s = f"{ref:,.1f}" if ref % 1 else f"{ref:,.0f}"
    diff_s = f"{diff:,.1f}" if diff % 1 else f"{diff:,.0f}"
    return f"{diff_s} {word} than {what} ({ref_s})"


def paragraph(s: Summary) -> str:
    """The one-paragraph summary, OSCE style: totals, explosions, where, compared with before."""
    if s.observations == 0:
        # silence from the mission's own posts and sensors is not a quiet day
        return (
            f"The mission received no observations for the reporting period ({s.period}): "
            "no report from its posts, patrols, cameras, acoustic sensors or drones reached "
            "the system, so this report cannot say whether the ceasefire was observed. "
            "Check the feeds and the files ingested for this day."
        )
    if s.total == 0:
        text = f"The mission recorded no ceasefire violations in the reporting period ({s.period})."
    else:
        others = s.total - s.explosions
        text = (
            f"The mission recorded {_n(s.total, 'violation')} in the reporting period "
            f"({s.period}), including {_n(s.explosions, 'explosion')} and "
            f"{others:,} other {'violation' if others == 1 else 'violations'}"
        )
        kinds = [f"{n:,} {k}" for k, n in s.by_kind.items() if k != "explosion"]
        text += f" ({', '.join(kinds)})." if kinds else "."
        where = [c for c in s.by_sector if c.today]
        where.sort(key=lambda c: -c.today)
        if where:
            text += " By sector: " + "; ".join(f"{c.label} {c.today:,}" for c in where) + "."
    comps = []
    if s.previous_total is not None:
        comps.append(_compare(s.total, s.previous_total, "the previous day"))
    if s.average_7d is not None:
        what = (
            "the 7-day average"
            if s.average_days == AVERAGE_DAYS
            else f"the average of the {s.average_days} days on record"
        )
        comps.append(_compare(s.total, round(s.average_7d, 1), what))
    if comps:
        text += " That is " + ", and ".join(comps) + "."
    if s.total:
        text += (
            f" The responsible party could not be determined for {_n(s.undetermined, 'violation')}"
            f" ({100.0 * s.undetermined / s.total:.0f} %)."
        )
    if s.weapons_total:
        text += f" {_n(s.weapons_total, 'weapon')} seen in violation of withdrawal lines."
    if s.raised or s.cleared:
        text += f" {_n(len(s.raised), 'escalation')} raised, {len(s.cleared):,} cleared."
    if s.events_uncorroborated:
        k = s.events_uncorroborated
        text += (
            f" {_n(k, 'single report')} that nothing else heard nearby corroborated "
            f"{'was' if k == 1 else 'were'} recorded but not counted as violations."
        )
    if s.events_explained:
        k = s.events_explained
        text += (
            f" {_n(k, 'single report')} of a round already located "
            f"{'was' if k == 1 else 'were'} recorded with that round, not counted again."
        )
    if s.fixes_explained:
        k = s.fixes_explained
        text += (
            f" {_n(k, 'second fix')} of a round already located "
            f"{'was' if k == 1 else 'were'} recorded with that round, not counted again."
        )
    return text
