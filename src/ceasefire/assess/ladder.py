"""The lines of defence: escalation notices raised when a trigger is crossed
and cleared when its condition clears, once per episode.

``count`` triggers slide a window of ``window_h`` hours over the violations
that match (rules, minimum severity), per party, sector, both, or all: the
episode is raised when the count reaches ``threshold`` and cleared when it
falls below ``clear_below`` (hysteresis; default ``threshold``). ``crossing``
triggers are raised by a marked weapon of a listed class standing on the far
side of the contact line from its party, and cleared ``window_h`` hours after
the last such sighting.
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Sequence
from typing import Any

from ceasefire.geo import LEFT
from ceasefire.mandate import Mandate
from ceasefire.mandate.schema import SEVERITIES, DefenceLine
from ceasefire.model import Escalation, Event, Violation


def _esc_id(line: int, state: str, key: str, time_s: float) -> str:
    h = hashlib.sha256(f"{line}\x00{state}\x00{key}\x00{time_s:.3f}".encode()).hexdigest()
    return "esc-" + h[:20]


def _key(v: Violation, per: str) -> tuple[str | None, str | None]:
    party = v.party if per in ("party", "party_sector") else None
    sector = v.sector if per in ("sector", "party_sector") else None
    return party, sector


def _notice(
    d: DefenceLine,
    state: str,
    party: str | None,
    sector: str | None,
    time_s: float,
    ids: Sequence[str],
    message: str,
    details: dict[str, Any],
) -> Escalation:
    key = f"{party}|{sector}"
    return Escalation(
        id=_esc_id(d.line, state, key, time_s),
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


def _count_trigger(d: DefenceLine, violations: Sequence[Violation]) -> list[Escalation]:
    tr = d.trigger
    min_rank = SEVERITIES.index(tr.min_severity) if tr.min_severity else 0
    sel = [
        v
        for v in violations
        if (not tr.rules or v.rule in tr.rules) and SEVERITIES.index(v.severity) >= min_rank
    ]
    window_s = tr.window_h * 3600.0
    clear_below = tr.clear_below if tr.clear_below is not None else tr.threshold
    groups: dict[tuple[str | None, str | None], list[Violation]] = {}
    for v in sorted(sel, key=lambda x: (x.time_s, x.id)):
        groups.setdefault(_key(v, tr.per), []).append(v)
    out: list[Escalation] = []
    for (party, sector), vs in sorted(
        groups.items(), key=lambda kv: (str(kv[0][0]), str(kv[0][1]))
    ):
        window: list[tuple[float, str]] = []  # min-heap of (expiry time, id)
        active = False
        where = (
            ", ".join(x for x in (party and f"party {party}", sector and f"sector {sector}") if x)
            or "the whole line"
        )
        for v in vs:
            # expiries before this violation: may clear the episode
            while window and window[0][0] <= v.time_s:
                t_exp, _ = heapq.heappop(window)
                if active and len(window) < clear_below:
                    active = False
                    out.append(
                        _notice(
                            d,
                            "cleared",
                            party,
                            sector,
                            t_exp,
                            [],
                            f"line {d.line} ({d.name}) stood down: fewer than {clear_below} "
                            f"violations in {tr.window_h:g} h in {where}",
                            {"count": len(window)},
                        )
                    )
            heapq.heappush(window, (v.time_s + window_s, v.id))
            if not active and len(window) >= tr.threshold:
                active = True
                ids = sorted(i for _, i in window)
                out.append(
                    _notice(
                        d,
                        "raised",
                        party,
                        sector,
                        v.time_s,
                        ids,
                        f"line {d.line} ({d.name}, held by {d.holder}) engaged: "
                        f"{len(window)} violations in {tr.window_h:g} h in {where}",
                        {"count": len(window), "threshold": tr.threshold},
                    )
                )
        while active and window:
            t_exp, _ = heapq.heappop(window)
            if len(window) < clear_below:
                active = False
                out.append(
                    _notice(
                        d,
                        "cleared",
                        party,
                        sector,
                        t_exp,
                        [],
                        f"line {d.line} ({d.name}) stood down: fewer than {clear_below} "
                        f"violations in {tr.window_h:g} h in {where}",
                        {"count": len(window)},
                    )
                )
    return out


def _crossing_trigger(d: DefenceLine, m: Mandate, events: Sequence[Event]) -> list[Escalation]:
    tr = d.trigger
    cand = [
        e
        for e in events
        if e.kind == "sighting"
        and e.object in tr.objects
        and e.has_position
        and e.party_marked in m.party_ids
    ]
    if not cand:
        return []
    near = m.contact.nearest(
        [float(e.lat or 0.0) for e in cand], [float(e.lon or 0.0) for e in cand]
    )
    crossings: dict[str, list[Event]] = {}
    for e, side in zip(cand, near.side, strict=True):
        assert e.party_marked is not None
        if int(side) != m.party_side(e.party_marked):
            crossings.setdefault(e.party_marked, []).append(e)
    out: list[Escalation] = []
    hold_s = tr.window_h * 3600.0
    for party, es in sorted(crossings.items()):
        es.sort(key=lambda e: (e.first_seen_s or e.time_s, e.id))
        episode: list[Event] = []
        last = -float("inf")
        seq: list[Event | None] = [*es, None]
        for ev in seq:
            start = (ev.first_seen_s or ev.time_s) if ev is not None else float("inf")
            if episode and start > last + hold_s:
                out.append(
                    _notice(
                        d,
                        "cleared",
                        party,
                        None,
                        last + hold_s,
                        [],
                        f"line {d.line} ({d.name}) stood down: no {party} armour seen "
                        f"across the line for {tr.window_h:g} h",
                        {},
                    )
                )
                episode = []
            if ev is None:
                break
            if not episode:
                ev_side = "left" if m.party_side(party) != LEFT else "right"
                out.append(
                    _notice(
                        d,
                        "raised",
                        party,
                        None,
                        start,
                        [ev.id],
                        f"line {d.line} ({d.name}, held by {d.holder}) engaged: {ev.object} "
                        f"of {party} seen on the {ev_side} side of the contact line",
                        {"object": ev.object, "event": ev.id},
                    )
                )
            episode.append(ev)
            last = max(last, ev.last_seen_s or ev.time_s)
    return out


def escalate(
    violations: Sequence[Violation], mandate: Mandate, *, events: Sequence[Event] = ()
) -> list[Escalation]:
    """Every escalation notice of the mandate's ladder, in time order."""
    out: list[Escalation] = []
    for d in mandate.doc.response.escalation:
        if d.trigger.kind == "count":
            out += _count_trigger(d, violations)
        else:
            out += _crossing_trigger(d, mandate, events)
    out.sort(key=lambda x: (x.time_s, x.line, x.id))
    return out
