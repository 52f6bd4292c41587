"""The lines of defence: escalation notices raised when a line is engaged and
cleared when it stands down, once per episode.

Each line has a *condition* per key (party, sector, both or the whole line, as
its trigger counts):

- ``count``: a window of ``window_h`` hours slides over the violations that
  count (rules, least severity, and whose: ``by`` and ``min_probability``); the
  condition holds from the moment the count reaches ``threshold`` until it falls
  below ``clear_below`` (hysteresis; default ``threshold``).
- ``crossing``: a marked object of a listed class of a party in ``by`` stands
  on the far side of the contact line from its party; the condition holds from
  that sighting until ``window_h`` hours after the last one.

A line is *engaged* while its condition holds and, when its trigger sets
``after_below_h``, once the line below has been engaged for a matching key (the
same party, and the same sector where both count per sector) for that long.
Clearing runs down the ladder in reverse: a line that supported an engagement of
the line above stays engaged until that one stands down. Keys match when they
agree on every part both have (a line counted per party matches each sector of
the same party on the line below).
"""

from __future__ import annotations

import bisect
import hashlib
import heapq
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ceasefire.geo import LEFT
from ceasefire.mandate import Mandate
from ceasefire.mandate.ladder import counted_by
from ceasefire.mandate.schema import SEVERITIES, UNDETERMINED, DefenceLine
from ceasefire.model import Escalation, Event, Violation

__all__ = ["Line", "counts_for", "escalate", "lookback_h", "moment"]

Key = tuple[str | None, str | None]


def _esc_id(line: int, state: str, key: str, time_s: float) -> str:
    h = hashlib.sha256(f"{line}\x00{state}\x00{key}\x00{time_s:.3f}".encode()).hexdigest()
    return "esc-" + h[:20]


def counts_for(v: Violation, by: Sequence[str], min_probability: float | None) -> str | None:
    """The party (or ``undetermined``) that violation ``v`` counts for on a line
    counting ``by``, or None. A named violation counts for its party when that
    party's probability reaches ``min_probability``; an undetermined one counts for
    its likeliest party when that one reaches ``min_probability`` (possible only
    below the attribution threshold, which the validator allows on unarmed lines
    alone), else as ``undetermined`` where ``by`` lists it."""
    if v.party != UNDETERMINED:
        if v.party not in by:
            return None
        p = v.probabilities.get(v.party, v.party_probability)
        return v.party if min_probability is None or p >= min_probability else None
    if min_probability is not None and v.probabilities:
        likeliest = max(sorted(v.probabilities), key=lambda k: v.probabilities[k])
        if likeliest in by and v.probabilities[likeliest] >= min_probability:
            return likeliest
    return UNDETERMINED if UNDETERMINED in by else None


@dataclass
class _Span:
    """One episode of a line's condition for a key: [start_s, end_s)."""

    start_s: float
    end_s: float
    ids: tuple[str, ...]
    details: dict[str, Any]
    why: str


@dataclass
class _Condition:
    """A line's condition per key, and the dated evidence to cite later."""

    spans: dict[Key, list[_Span]] = field(default_factory=dict)
    #: per key, (time, id) of what counted, time-ordered (for ids at a later moment)
    items: dict[Key, list[tuple[float, str]]] = field(default_factory=dict)

    _starts: dict[Key, list[float]] = field(default_factory=dict)

    def at(self, key: Key, t: float) -> _Span | None:
        """The episode of ``key`` holding at ``t`` (spans are built before asking)."""
        spans = self.spans.get(key, [])
        starts = self._starts.get(key)
        if starts is None:
            starts = self._starts[key] = [s.start_s for s in spans]
        i = bisect.bisect_right(starts, t) - 1
        return spans[i] if i >= 0 and t < spans[i].end_s else None


def _where(party: str | None, sector: str | None) -> str:
    parts = [x for x in (party and f"by {party}", sector and f"in sector {sector}") if x]
    return " ".join(parts) or "on the whole line"


def _key(d: DefenceLine, by: Sequence[str], party: str, sector: str | None) -> Key:
    per = d.trigger.per
    single = by[0] if len(by) == 1 else None
    return (
        party if per in ("party", "party_sector") else single,
        sector if per in ("sector", "party_sector") else None,
    )


def _count_condition(
    d: DefenceLine, by: Sequence[str], violations: Sequence[Violation]
) -> _Condition:
    tr = d.trigger
    min_rank = SEVERITIES.index(tr.min_severity) if tr.min_severity else 0
    groups: dict[Key, list[Violation]] = {}
    for v in sorted(violations, key=lambda x: (x.time_s, x.id)):
        if (tr.rules and v.rule not in tr.rules) or SEVERITIES.index(v.severity) < min_rank:
            continue
        who = counts_for(v, by, tr.min_probability)
        if who is not None:
            groups.setdefault(_key(d, by, who, v.sector), []).append(v)
    window_s = tr.window_h * 3600.0
    clear_below = tr.clear_below if tr.clear_below is not None else tr.threshold
    out = _Condition()
    for key, vs in groups.items():
        spans: list[_Span] = []
        window: list[tuple[float, str]] = []  # min-heap of (expiry time, id)
        open_span: _Span | None = None
        seq: list[Violation | None] = [*vs, None]
        for x in seq:
            now = x.time_s if x is not None else math.inf
            # expiries up to this violation may end the episode
            while window and window[0][0] <= now:
                t_exp, _ = heapq.heappop(window)
                if open_span is not None and len(window) < clear_below:
                    open_span.end_s = t_exp
                    spans.append(open_span)
                    open_span = None
            if x is None:
                break
            heapq.heappush(window, (x.time_s + window_s, x.id))
            if open_span is None and len(window) >= tr.threshold:
                open_span = _Span(
                    x.time_s,
                    math.inf,
                    tuple(sorted(i for _, i in window)),
                    {"count": len(window), "threshold": tr.threshold},
                    f"{len(window)} violations in {tr.window_h:g} h {_where(*key)}",
                )
        out.spans[key] = spans
        out.items[key] = [(v.time_s, v.id) for v in vs]
    return out


def _crossing_condition(
    d: DefenceLine, by: Sequence[str], m: Mandate, events: Sequence[Event]
) -> _Condition:
    tr = d.trigger
    cand = [
        e
        for e in events
        if e.kind == "sighting"
        and e.object in tr.objects
        and e.has_position
        and e.party_marked in m.party_ids
        and e.party_marked in by
    ]
    out = _Condition()
    if not cand:
        return out
    near = m.contact.nearest(
        [float(e.lat or 0.0) for e in cand], [float(e.lon or 0.0) for e in cand]
    )
    crossings: dict[str, list[Event]] = {}
    for e, side in zip(cand, near.side, strict=True):
        assert e.party_marked is not None
        if int(side) != m.party_side(e.party_marked):
            crossings.setdefault(e.party_marked, []).append(e)
    hold_s = tr.window_h * 3600.0
    for party, es in sorted(crossings.items()):
        key = _key(d, by, party, None)
        es.sort(key=lambda e: (e.first_seen_s or e.time_s, e.id))
        spans: list[_Span] = []
        for ev in es:
            start = ev.first_seen_s or ev.time_s
            last = ev.last_seen_s or ev.time_s
            if spans and start <= spans[-1].end_s:
                spans[-1].end_s = max(spans[-1].end_s, last + hold_s)
                continue
            far = "left" if m.party_side(party) != LEFT else "right"
            spans.append(
                _Span(
                    start,
                    last + hold_s,
                    (ev.id,),
                    {"object": ev.object, "event": ev.id},
                    f"{ev.object} of {party} seen on the {far} side of the contact line",
                )
            )
        out.spans[key] = spans
        out.items[key] = [(e.first_seen_s or e.time_s, e.id) for e in es]
    return out


def _matches(a: Key, b: Key) -> bool:
    return all(x is None or y is None or x == y for x, y in zip(a, b, strict=True))


@dataclass
class _Engaged:
    since_s: float
    #: keys of the line below whose engagement this one waited for
    supports: list[Key]


def _notice(
    d: DefenceLine,
    state: str,
    key: Key,
    time_s: float,
    ids: Sequence[str],
    message: str,
    details: dict[str, Any],
) -> Escalation:
    party, sector = key
    return Escalation(
        id=_esc_id(d.line, state, f"{party}|{sector}", time_s),
        state=state,
        line=d.line,
        line_name=d.name,
        holder=d.holder,
        trigger=d.trigger.kind,
        time_s=time_s,
        party=party,
        sector=sector,
        violation_ids=tuple(ids),
        message=message,
        details=details,
    )


def escalate(
    violations: Sequence[Violation], mandate: Mandate, *, events: Sequence[Event] = ()
) -> list[Escalation]:
    """Every escalation notice of the mandate's ladder, in time order."""
    ladder = list(mandate.doc.response.escalation)
    if not ladder:
        return []
    parties = mandate.party_ids
    conds: list[_Condition] = []
    for d in ladder:
        by = counted_by(d, parties)
        conds.append(
            _count_condition(d, by, violations)
            if d.trigger.kind == "count"
            else _crossing_condition(d, by, mandate, events)
        )
    # moments when something may change: every condition boundary, and the moments
    # a waiting line's wait for the line below runs out (pushed as they appear)
    moments = sorted(
        {
            t
            for c in conds
            for ss in c.spans.values()
            for s in ss
            for t in (s.start_s, s.end_s)
            if math.isfinite(t)
        }
    )
    queue = list(moments)
    heapq.heapify(queue)
    engaged: list[dict[Key, _Engaged]] = [{} for _ in ladder]
    out: list[Escalation] = []
    last = -math.inf
    while queue:
        t = heapq.heappop(queue)
        if t <= last:
            continue
        last = t
        moment(
            t,
            ladder,
            conds,
            engaged,
            keys=lambda li: conds[li].spans,
            ids_at=lambda li, key, t: _ids_at(conds[li], key, t, ladder[li]),
            wake=lambda due: heapq.heappush(queue, due),
            out=out,
        )
    # moments were taken in order: ``out`` is in time order, and within a moment
    # raised bottom-up, then cleared top-down
    return out


class Line(Protocol):
    """A line's condition over time, per key: the span holding at ``t`` if any."""

    def at(self, key: Key, t: float) -> _Span | None: ...


def moment(
    t: float,
    ladder: Sequence[DefenceLine],
    lines: Sequence[Line],
    engaged: list[dict[Key, _Engaged]],
    *,
    keys: Callable[[int], Iterable[Key]],
    ids_at: Callable[[int, Key, float], tuple[str, ...]],
    wake: Callable[[float], None],
    out: list[Escalation],
) -> None:
    """What changes at ``t``: lines engage bottom-up (a line can follow the one
    below at the same moment), then stand down top-down (a line that supports a
    line above waits for it); the notices are appended to ``out`` and
    ``engaged`` updated. ``keys(li)``: the keys line ``li`` has seen;
    ``ids_at(li, key, t)``: what counted in a late engagement; ``wake(due)``: a
    later moment to look again (a line waiting ``after_below_h``)."""
    for li, (d, c) in enumerate(zip(ladder, lines, strict=True)):
        wait_h = d.trigger.after_below_h
        for key in sorted(keys(li), key=str):
            span = c.at(key, t)
            if span is None or key in engaged[li]:
                continue
            supports: list[Key] = []
            if wait_h is not None:
                below = engaged[li - 1] if li > 0 else {}
                ready = [
                    (k, e)
                    for k, e in sorted(below.items(), key=lambda kv: str(kv[0]))
                    if _matches(k, key)
                ]
                supports = [k for k, e in ready if e.since_s + wait_h * 3600.0 <= t]
                for _, e in ready:
                    due = e.since_s + wait_h * 3600.0
                    if due > t:
                        wake(due)
                if not supports:
                    continue
            engaged[li][key] = _Engaged(t, supports)
            ids = span.ids if t == span.start_s else ids_at(li, key, t)
            msg = f"line {d.line} ({d.name}, held by {d.holder}) engaged: {span.why}"
            details = dict(span.details)
            if t != span.start_s and d.trigger.kind == "count":
                details["count"] = len(ids)
            if supports:
                below_d = ladder[li - 1]
                msg += f"; line {below_d.line} engaged for {wait_h:g} h or more before it"
                details["after_line"] = below_d.line
                details["after_since_s"] = min(engaged[li - 1][k].since_s for k in supports)
            out.append(_notice(d, "raised", key, t, ids, msg, details))
    for li in range(len(ladder) - 1, -1, -1):
        d, c = ladder[li], lines[li]
        above = engaged[li + 1] if li + 1 < len(ladder) else {}
        for key in sorted(engaged[li], key=str):
            if c.at(key, t) is not None:
                continue
            if any(key in e.supports for e in above.values()):
                continue
            del engaged[li][key]
            out.append(
                _notice(
                    d,
                    "cleared",
                    key,
                    t,
                    [],
                    f"line {d.line} ({d.name}) stood down {_where(*key)}",
                    {},
                )
            )


def _ids_at(c: _Condition, key: Key, t: float, d: DefenceLine) -> tuple[str, ...]:
    """What counted for ``key`` in the window ending at ``t`` (a late engagement)."""
    if d.trigger.kind == "crossing":
        span = c.at(key, t)
        return span.ids if span else ()
    lo = t - d.trigger.window_h * 3600.0
    return tuple(sorted(i for ts, i in c.items.get(key, []) if lo < ts <= t))


def lookback_h(mandate: Mandate) -> float:
    """Hours of past violations that can still bear on today's engagements: every
    line's window and wait, as a chain up the ladder."""
    return sum(
        d.trigger.window_h + (d.trigger.after_below_h or 0.0)
        for d in mandate.doc.response.escalation
    )
