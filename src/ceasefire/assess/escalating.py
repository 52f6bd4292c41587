"""The ladder's escalations as violations arrive (the live worker's way): the same
notices as ``ladder.escalate`` over the same violations, computed step by step.

A :class:`LadderRun` is fed, step after step, every violation with a time in
``[through, until)`` (each step's, in any order; none before an earlier step's
``until``), and returns the notices timed in ``[through, until)``. A step costs
the violations it brings and the moments it passes, not the violations before
it: each count line keeps, per key, its sliding window (a heap of expiry times),
its open episode and its closed ones, and the ladder keeps what is engaged and
the moments still to come. ``escalate`` over the violations up to ``until``
gives the same notices before ``until`` because nothing in it looks ahead: an
episode starts at a violation, ends at an expiry popped before the next
violation is counted (the run pops the expiries before ``until`` at the end of
each step, in the same heap order), and a line's wait is a moment pushed when
it starts.

Count lines only: a crossing line rests on the day's sightings, known when the
day closes (the worker judges ladders with one per closed day with
``escalate``).
"""

from __future__ import annotations

import bisect
import heapq
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from ceasefire.assess.ladder import (
    Key,
    _Engaged,
    _key,
    _Span,
    _where,
    counts_for,
    moment,
)
from ceasefire.mandate import Mandate
from ceasefire.mandate.ladder import counted_by
from ceasefire.mandate.schema import SEVERITIES, DefenceLine
from ceasefire.model import Escalation, Violation

__all__ = ["LadderRun"]


@dataclass
class _KeyState:
    """One key of a count line: as ``ladder._count_condition`` builds it, kept open."""

    window: list[tuple[float, str]] = field(default_factory=list)  # min-heap (expiry s, id)
    open: _Span | None = None
    spans: list[_Span] = field(default_factory=list)  # closed episodes, in time order
    starts: list[float] = field(default_factory=list)  # their start times, s
    items: list[tuple[float, str]] = field(default_factory=list)  # (time s, id) that counted


class _CountLine:
    """A count line's condition per key, extended a violation at a time."""

    def __init__(self, d: DefenceLine, by: list[str]) -> None:
        tr = d.trigger
        self.d, self.by = d, by
        self.min_rank = SEVERITIES.index(tr.min_severity) if tr.min_severity else 0
        self.window_s = tr.window_h * 3600.0
        self.clear_below = tr.clear_below if tr.clear_below is not None else tr.threshold
        self.keys: dict[Key, _KeyState] = {}

    def _pop(self, ks: _KeyState, upto: float, moments: list[float], *, inclusive: bool) -> None:
        w = ks.window
        while w and (w[0][0] <= upto if inclusive else w[0][0] < upto):
            t_exp, _ = heapq.heappop(w)
            if ks.open is not None and len(w) < self.clear_below:
                ks.open.end_s = t_exp
                ks.spans.append(ks.open)
                ks.starts.append(ks.open.start_s)
                ks.open = None
                heapq.heappush(moments, t_exp)

    def add(self, v: Violation, moments: list[float]) -> None:
        """Count ``v`` (violations arrive in (time, id) order)."""
        tr = self.d.trigger
        if (tr.rules and v.rule not in tr.rules) or SEVERITIES.index(v.severity) < self.min_rank:
            return
        who = counts_for(v, self.by, tr.min_probability)
        if who is None:
            return
        key = _key(self.d, self.by, who, v.sector)
        ks = self.keys.get(key)
        if ks is None:
            ks = self.keys[key] = _KeyState()
        self._pop(ks, v.time_s, moments, inclusive=True)
        heapq.heappush(ks.window, (v.time_s + self.window_s, v.id))
        if ks.open is None and len(ks.window) >= tr.threshold:
            n = len(ks.window)
            ks.open = _Span(
                v.time_s,
                math.inf,
                tuple(sorted(i for _, i in ks.window)),
                {"count": n, "threshold": tr.threshold},
                f"{n} violations in {tr.window_h:g} h {_where(*key)}",
            )
            heapq.heappush(moments, v.time_s)
        ks.items.append((v.time_s, v.id))

    def expire_before(self, until_s: float, moments: list[float]) -> None:
        """Pop the expiries before ``until_s`` (any later violation would pop them first)."""
        for ks in self.keys.values():
            self._pop(ks, until_s, moments, inclusive=False)

    def at(self, key: Key, t: float) -> _Span | None:
        """The episode of ``key`` holding at ``t`` (``t`` before the run's ``until``)."""
        ks = self.keys.get(key)
        if ks is None:
            return None
        if ks.open is not None and ks.open.start_s <= t:
            return ks.open
        i = bisect.bisect_right(ks.starts, t) - 1
        return ks.spans[i] if i >= 0 and t < ks.spans[i].end_s else None

    def ids_at(self, key: Key, t: float) -> tuple[str, ...]:
        """What counted for ``key`` in the window ending at ``t`` (a late engagement)."""
        items = self.keys[key].items if key in self.keys else []
        lo = t - self.window_s
        i = bisect.bisect_right(items, (lo, "\U0010ffff"))
        return tuple(sorted(x for ts, x in items[i:] if lo < ts <= t))


class LadderRun:
    """One run of the mandate's ladder (count lines only), fed step by step."""

    def __init__(self, mandate: Mandate) -> None:
        ladder = list(mandate.doc.response.escalation)
        if any(d.trigger.kind != "count" for d in ladder):
            raise ValueError("LadderRun holds count lines only; use escalate for crossing lines")
        self.ladder = ladder
        self.lines = [_CountLine(d, counted_by(d, mandate.party_ids)) for d in ladder]
        self.through = -math.inf
        self._moments: list[float] = []
        self._last = -math.inf
        self._engaged: list[dict[Key, _Engaged]] = [{} for _ in ladder]

    def feed(self, violations: Iterable[Violation], until_s: float) -> list[Escalation]:
        """Count every violation timed in ``[through, until_s)`` and return the
        notices timed there, in ``escalate``'s order (time, then raised bottom-up
        and cleared top-down)."""
        vs = sorted(violations, key=lambda x: (x.time_s, x.id))
        if until_s < self.through:
            raise ValueError(f"step until {until_s} before the run's {self.through}")
        if vs and not (self.through <= vs[0].time_s and vs[-1].time_s < until_s):
            raise ValueError(
                f"violations timed {vs[0].time_s}..{vs[-1].time_s}; this step takes "
                f"[{self.through}, {until_s})"
            )
        moments = self._moments
        for v in vs:
            for line in self.lines:
                line.add(v, moments)
        for line in self.lines:
            line.expire_before(until_s, moments)
        out: list[Escalation] = []
        while moments and moments[0] < until_s:
            t = heapq.heappop(moments)
            if t <= self._last:
                continue
            self._last = t
            self._moment(t, out)
        self.through = until_s
        return out

    def _moment(self, t: float, out: list[Escalation]) -> None:
        """What changes at ``t`` (``ladder.moment``, as ``escalate`` runs it)."""
        moment(
            t,
            self.ladder,
            self.lines,
            self._engaged,
            keys=lambda li: self.lines[li].keys,
            ids_at=lambda li, key, t: self.lines[li].ids_at(key, t),
            wake=lambda due: heapq.heappush(self._moments, due),
            out=out,
        )
