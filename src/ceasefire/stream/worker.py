"""A live worker: reads its sectors' subjects (and its halo's), keeps the window,
commits what became final, announces it, and acknowledges only what is committed.

Order of work for each batch of messages::

    store the new observations (and the quarantine)  ─► ack the messages
    watermark passes a tile ─► fuse + assess (window) ─► store results,
        ledger append (under its lock) ─► announce on <prefix>.violations ─► state
    every sector's tiles final up to t ─► the ladder's provisional notices
        before t; every sector closed a day ─► the day's notices as the batch's,
        withdrawing what was issued and is not among them ─► outbox (store)
        ─► announce on <prefix>.escalations ─► store ─► marks ─► outbox cleared

A worker killed at any point loses nothing acknowledged: acknowledged
observations are in the store, the window is rebuilt from it on start, and the
tiles are re-derived from the same reports on the same grid, so the same ids
come out; the ledger and the store skip ids they hold; the bus drops repeated
announcements by violation id.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from ceasefire.assess import escalate
from ceasefire.assess.escalating import LadderRun
from ceasefire.assess.ladder import lookback_h
from ceasefire.ingest.readers import RawRecord
from ceasefire.ingest.validate import validate_records
from ceasefire.ledger import Ledger
from ceasefire.mandate import Mandate, day_bounds, day_of
from ceasefire.model import Escalation, Violation
from ceasefire.model.arrays import ObservationArrays
from ceasefire.model.codec import escalation_from_dict, to_dict
from ceasefire.model.errors import PipelineError
from ceasefire.pipeline import escalations_of, intake_policy, sectors_of, violation_records
from ceasefire.store import Store
from ceasefire.stream.bus import TICK, Bus, Delivery
from ceasefire.stream.sectors import SectorMap
from ceasefire.stream.window import (
    LiveState,
    LiveWindow,
    Shard,
    Step,
    WindowConfig,
    window_config,
)

OnViolations = Callable[[Sequence[Violation]], Awaitable[None]]
#: Far future for "up to the end" store queries, s.
_END_S = 1e18
#: Store meta: up to when escalations are final and stored (UTC epoch s).
ESCALATED_KEY = "live:escalated_s"
#: Store meta: the last reporting day whose notices are settled (ISO date).
SETTLED_KEY = "live:escalations_settled"


@dataclass
class _Notices:
    """Notices to announce, then store (``replace_escalations`` spans), then marks."""

    issue: list[Escalation] = field(default_factory=list)
    withdraw: list[Escalation] = field(default_factory=list)
    writes: list[tuple[float, float, list[Escalation], str]] = field(default_factory=list)
    escalated_s: float = -math.inf
    settled: date | None = None
    #: the days this plan settles (ISO dates)
    settles: set[str] = field(default_factory=set)

    def to_json(self) -> str:
        """The plan as JSON (the worker's outbox in the store)."""

        def xs(notices: Sequence[Escalation]) -> list[dict[str, Any]]:
            return [to_dict(x) for x in notices]

        return json.dumps(
            {
                "issue": xs(self.issue),
                "withdraw": xs(self.withdraw),
                "writes": [[a, b, xs(n), day] for a, b, n, day in self.writes],
                "escalated_s": self.escalated_s if math.isfinite(self.escalated_s) else None,
                "settled": self.settled.isoformat() if self.settled else None,
                "settles": sorted(self.settles),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> _Notices:
        d = json.loads(text)

        def xs(rows: list[dict[str, Any]]) -> list[Escalation]:
            return [escalation_from_dict(r) for r in rows]

        esc = d["escalated_s"]
        return cls(
            issue=xs(d["issue"]),
            withdraw=xs(d["withdraw"]),
            writes=[(float(a), float(b), xs(n), str(day)) for a, b, n, day in d["writes"]],
            escalated_s=-math.inf if esc is None else float(esc),
            settled=_date(d["settled"]),
            settles=set(d["settles"]),
        )


def _date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def sector_key(sector: str, shard: Shard | None = None) -> str:
    """Store meta: up to when a sector's events are final (any worker owning it;
    with shards, each shard's own tiles)."""
    if shard is None or shard.count == 1:
        return f"live:sector:{sector}"
    return f"live:sector:{sector}:{shard}"


def shards_key(sector: str) -> str:
    """Store meta: how many shards fuse a sector's tiles (absent: one)."""
    return f"live:shards:{sector}"


@dataclass
class WorkerStats:
    received: int = 0
    stored: int = 0
    rejected: int = 0
    ticks: int = 0
    steps: int = 0
    violations: int = 0
    escalations: int = 0
    withdrawn: int = 0
    started_s: float = field(default_factory=time.monotonic)
    #: per stage: [process CPU s, wall s] (the stage's own thread and the loop's)
    stages: dict[str, list[float]] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Count the process CPU and wall time spent in ``name``."""
        c0, w0 = time.process_time(), time.perf_counter()
        try:
            yield
        finally:
            row = self.stages.setdefault(name, [0.0, 0.0])
            row[0] += time.process_time() - c0
            row[1] += time.perf_counter() - w0

    def stage_line(self) -> str:
        """``stage cpu/wall`` for every stage, largest CPU first (s)."""
        rows = sorted(self.stages.items(), key=lambda kv: -kv[1][0])
        return ", ".join(f"{k} {c:.1f}/{w:.1f}" for k, (c, w) in rows)


class Worker:
    """One worker process's loop over a bus, a store and a ledger."""

    def __init__(
        self,
        bus: Bus,
        store: Store,
        ledger: Ledger,
        mandate: Mandate,
        own: Sequence[str] | None = None,
        config: WindowConfig | None = None,
        *,
        name: str | None = None,
        batch: int = 500,
        on_violations: OnViolations | None = None,
        escalations: bool = True,
        shard: Shard | None = None,
    ) -> None:
        self.bus, self.store, self.ledger, self.mandate = bus, store, ledger, mandate
        self.sectors = SectorMap.of(mandate)
        self.own = self.sectors.check(own or self.sectors.ids)
        self.shard = shard or Shard()
        self.window = LiveWindow(
            mandate, self.own, self.sectors, config or window_config(mandate), shard=self.shard
        )
        self.read = self.sectors.read_sectors(self.own, self.window.fuse_cfg.halo_km)
        suffix = f"-s{self.shard.index}of{self.shard.count}" if self.shard.count > 1 else ""
        self.name = name or "w-" + "_".join(self.own) + suffix
        self.batch = batch
        self.on_violations = on_violations
        self.escalations = escalations and bool(mandate.doc.response.escalation)
        self._through = -math.inf
        self.marks: dict[str, float] = {s: -math.inf for s in self.read}
        self.stats = WorkerStats()
        self.policy = intake_policy(mandate)
        self._restored = False
        #: the current day's ladder run (count ladders), kept between steps
        self._ladder: tuple[date, LadderRun] | None = None
        self._closed: list[Any] = []  # every sector's closed day end, as the run saw them

    @property
    def state_key(self) -> str:
        return f"live:{self.name}"

    @property
    def marks_key(self) -> str:
        return f"live:{self.name}:marks"

    @property
    def outbox_key(self) -> str:
        """Store meta: the notices' plan being announced and stored (JSON; empty: none)."""
        return f"live:{self.name}:outbox"

    def durable(self, sector: str) -> str:
        return f"{self.name}-{sector}"

    async def restore(self) -> int:
        """Rebuild the window from the store (after a restart); returns reports held."""
        await asyncio.to_thread(self._claim_shards)
        self.window.state = LiveState.from_json(self.store.get_meta(self.state_key))
        marks = json.loads(self.store.get_meta(self.marks_key) or "{}")
        for sector in self.read:
            self.marks[sector] = float(marks.get(sector, -math.inf))
        outbox = self.store.get_meta(self.outbox_key)
        if outbox:
            await self._deliver(_Notices.from_json(outbox))
        since = self.window.restore_from()
        models = await asyncio.to_thread(self.store.observation_models, max(since, -_END_S), _END_S)
        self._restored = True
        held = self.window.add(models, restored=True)
        final = self.window.state.final_s
        if self.window.event_mode and final is not None:
            # event finality: what the stored events hold is consumed (never fused
            # again); a step committed but not marked (killed before the state) is
            # not re-derived from those reports, so its violations are announced
            # again here (the bus drops what it has by violation id)
            events = await asyncio.to_thread(self.store.events, max(since, -_END_S), _END_S)
            self.window.restore_consumed(events)
            again = final + self.window.step_s - self.window.open_s
            vs = await asyncio.to_thread(self.store.violations, again, _END_S)
            await self._announce(vs, final)
        return held

    def _claim_shards(self) -> None:
        """Record how many shards fuse each own sector; a store whose sector another
        worker fuses in another number of shards is refused (its tiles would be
        fused twice or never)."""
        for s in self.own:
            held = self.store.get_meta(shards_key(s))
            if held is None and self.shard.count > 1:
                self.store.set_meta(shards_key(s), str(self.shard.count))
            elif int(held or 1) != self.shard.count:
                raise PipelineError(
                    f"sector {s} is fused in {held or 1} shard(s) in this store; this worker "
                    f"is shard {self.shard}: start every worker of a sector with the same N"
                )

    def _sector_mark(self, sector: str) -> dict[str, Any] | None:
        """A sector's mark (``final_s``, ``closed_end_s``): with shards, the least of
        its shards' (None until every one has written its own)."""
        n = int(self.store.get_meta(shards_key(sector)) or 1)
        marks = []
        for i in range(n):
            text = self.store.get_meta(sector_key(sector, Shard(i, n)))
            if text is None:
                return None
            marks.append(json.loads(text))
        if n == 1:
            return marks[0]

        def least(key: str) -> float | None:
            vals = [x.get(key) for x in marks]
            return None if any(v is None for v in vals) else min(float(v) for v in vals)

        return {"final_s": least("final_s"), "closed_end_s": least("closed_end_s")}

    @property
    def watermark_s(self) -> float:
        """Time up to which every read subject has delivered, s."""
        return min(self.marks.values())

    async def poll(self, timeout_s: float = 0.2) -> int:
        """Pull one batch from each read subject, store, ack, advance; returns messages."""
        if not self._restored:
            await self.restore()
        n = 0
        for sector in self.read:
            with self.stats.stage("pull"):
                msgs = await self.bus.pull(
                    self.durable(sector), self.bus.subjects.obs(sector), self.batch, timeout_s
                )
            if msgs:
                await self._take(sector, msgs)
                n += len(msgs)
        await self.advance()
        return n

    def _records(self, msgs: list[Delivery]) -> tuple[list[RawRecord], float]:
        """The observation messages as raw records, and the latest clock tick (s)."""
        records: list[RawRecord] = []
        tick_s = -math.inf
        for m in msgs:
            tick = m.headers.get(TICK)
            if tick is not None:
                tick_s = max(tick_s, float(tick))
                self.stats.ticks += 1
                continue
            raw = m.data.decode("utf-8", errors="replace")
            try:
                data: Any = json.loads(raw)
                err = None if isinstance(data, dict) else "expected a JSON object"
            except json.JSONDecodeError as exc:
                data, err = None, f"not JSON: {exc.msg} at column {exc.colno}"
            records.append(RawRecord(m.subject, m.seq, raw, data if err is None else None, err))
        return records, tick_s

    async def _take(self, sector: str, msgs: list[Delivery]) -> None:
        st = self.stats.stage
        with st("validate"):
            records, tick_s = self._records(msgs)
            mark = max(self.marks[sector], tick_s)
            result = validate_records(records, policy=self.policy)
            quarantined = [{"status": "rejected", **r.to_dict()} for r in result.rejected]
        if records:
            # one batch per fetch; an observation stored before (redelivered, or a
            # halo neighbour's worker was first) is recognised as a duplicate
            with st("sectors"):
                arr = ObservationArrays.from_observations(result.accepted)
                secs = sectors_of(self.mandate, arr.lat, arr.lon)
            with st("store"):
                outcome = await asyncio.to_thread(
                    self.store.ingest_batch,
                    [self.bus.subjects.obs(sector)],
                    result.accepted,
                    quarantined,
                    sectors=secs,
                    # one a halo neighbour or another shard stored first, or redelivered
                    quarantine_repeats=False,
                )
            self.stats.stored += len(outcome.stored)
        for o in result.accepted:
            mark = max(mark, o.time.timestamp())
        self.marks[sector] = mark
        # what the acknowledged messages told (ticks are not stored): a restarted
        # worker resumes its watermark from here
        marks = {k: v for k, v in self.marks.items() if math.isfinite(v)}
        with st("marks"):
            await asyncio.to_thread(self.store.set_meta, self.marks_key, json.dumps(marks))
        with st("ack"):
            for m in msgs:
                await m.ack()
            await self.bus.flush()
        self.stats.received += len(records)
        self.stats.rejected += len(result.rejected)
        with st("window_add"):
            self.window.add(result.accepted)

    async def advance(self) -> list[Step]:
        """Commit and announce every step the watermark allows."""
        done: list[Step] = []
        st = self.stats.stage
        while True:
            with st("fuse_assess"):
                step = self.window.next_step(self.watermark_s)
            if step is None:
                break
            with st("commit"):
                await asyncio.to_thread(self._commit, step)
            with st("announce"):
                await self._announce(step.violations, step.end_s if step.day is None else None)
            # the state last: a worker killed before it re-derives the step on
            # restart (same ids: skipped by the store and the ledger, dropped by the bus)
            with st("state"):
                await asyncio.to_thread(self.store.set_meta, self.state_key, step.state.to_json())
            self.window.commit(step)
            self.stats.steps += 1
            self.stats.violations += len(step.violations)
            done.append(step)
        through = self.window.final_through(self.watermark_s)
        if math.isfinite(through) and through > self._through:
            self._through = through
            with st("state"):
                await asyncio.to_thread(self._mark_sectors, through)
            if self.escalations:
                with st("escalate"):
                    plan = await asyncio.to_thread(self._escalate)
                    if plan is not None:
                        await self._deliver(plan)
        return done

    async def _deliver(self, plan: _Notices) -> None:
        """Announce ``plan``, store it, advance the marks.

        The plan is kept in the store (the worker's outbox) before anything is
        announced, and cleared last: a worker killed in between finishes it on
        restart (``restore``), announcing again what the bus may have carried (it
        drops repeated message ids) and storing it. Without the outbox a notice
        announced and never stored could be missed by a later settlement, which
        withdraws only what the store holds."""
        await asyncio.to_thread(self.store.set_meta, self.outbox_key, plan.to_json())
        await self._announce_escalations(plan.issue, plan.withdraw)
        late = await asyncio.to_thread(self._store_notices, plan)
        if late:
            await self._announce_escalations([], late)
        await asyncio.to_thread(self.store.set_meta, self.outbox_key, "")

    def _mark_sectors(self, through_s: float) -> None:
        """Tell other workers (through the store) up to when this worker's
        sectors' events are final, and its last closed day."""
        closed = self.window.state.closed
        mark = {
            "final_s": through_s,
            "closed_end_s": day_bounds(self.mandate, closed)[1] if closed else None,
        }
        for s in self.own:
            self.store.set_meta(sector_key(s, self.shard), json.dumps(mark))

    def _escalate(self) -> _Notices | None:
        """The ladder's notices that became final (not yet stored nor announced).

        Whole days first: once every sector has closed a day (its sightings fused)
        and is final past its end, the day's notices are the batch's
        (``pipeline.escalations_of``: ``escalate`` over the day's violations and
        the ladder's lookback); what was issued for it before and is not among
        them is withdrawn, what is new is issued (the day is *settled*). Then,
        provisionally, the notices before the time up to which every sector's
        tiles are final (``_safe_s``): a notice at t rests on the violations
        stored up to t, which lack the current day's sightings (fused at its
        close). So the notices a worker stores for a settled day do not depend on
        when it ran, was killed or restarted; the provisional ones may (docs/live.md).

        A ladder of count lines is run step by step (``LadderRun``): a step reads
        the violations that became final since the last one; a new run reads the
        ladder's lookback and the day so far (a new day, a restart, or a day closed
        by some worker: its sightings' violations were stored only now). One with
        a crossing line is judged with ``escalate`` over the day so far (its steps
        are whole closed days, see ``_safe_s``)."""
        m = self.mandate
        got = [self._sector_mark(s) for s in self.sectors.ids]
        if any(x is None for x in got):
            return None
        parsed = [x for x in got if x is not None]
        safe = min(self._safe_s(x) for x in parsed)
        closed = [x.get("closed_end_s") for x in parsed]
        if closed != self._closed:
            # a day closed somewhere: its sightings' violations were stored only now,
            # timed before steps already taken; the next step reads them (a new run)
            self._closed, self._ladder = closed, None
        done = float(self.store.get_meta(ESCALATED_KEY) or "-inf")
        settled_meta = self.store.get_meta(SETTLED_KEY)
        plan = _Notices(escalated_s=done, settled=_date(settled_meta))
        whole_to = min(safe, *(float(c) if c is not None else -math.inf for c in closed))
        if math.isfinite(whole_to):
            self._settle(plan, day_of(m, whole_to) - timedelta(days=1))
        if plan.settled is not None:
            done = max(done, day_bounds(m, plan.settled)[1])
        if not safe > done:
            return plan if plan.writes else None
        if not math.isfinite(done):
            first = self.store.violation_times(-_END_S, safe)
            done = min(first) if first else safe
        crossing = any(d.trigger.kind == "crossing" for d in m.doc.response.escalation)
        day = day_of(m, done)
        while day_bounds(m, day)[0] < safe:
            start, end = day_bounds(m, day)
            a, b = max(done, start), min(safe, end)
            if b > a:
                if crossing:
                    history = self.store.violations(start - lookback_h(m) * 3600.0, b)
                    events = self.store.events(start, b)
                    found = escalate(history, m, events=events)
                else:
                    found = self._ladder_run(day, a).feed(self.store.violations(a, b), b)
                notices = [x for x in found if a <= x.time_s < b]
                # rows in [a, b) only if a worker stored them and died before its mark
                ids = {x.id for x in notices}
                plan.withdraw += [x for x in self.store.escalations(a, b) if x.id not in ids]
                plan.issue += notices
                plan.writes.append((a, b, notices, day.isoformat()))
            day = day + timedelta(days=1)
        plan.escalated_s = max(plan.escalated_s, safe)
        return plan

    def _settle(self, plan: _Notices, last: date) -> None:
        """Settle every day after ``plan.settled`` up to ``last`` (whole days)."""
        m = self.mandate
        if plan.settled is not None:
            day = plan.settled + timedelta(days=1)
        else:
            first = self.store.violation_times(-_END_S, day_bounds(m, last)[1])
            if not first:
                plan.settled = last  # nothing to judge up to here
                return
            day = day_of(m, min(first))
        crossing = any(d.trigger.kind == "crossing" for d in m.doc.response.escalation)
        while day <= last:
            start, end = day_bounds(m, day)
            events = self.store.events(start, end) if crossing else []
            final = escalations_of(self.store, m, day, self.store.violations(start, end), events)
            old = self.store.escalations(start, end)
            had, ids = {x.id for x in old}, {x.id for x in final}
            plan.issue += [x for x in final if x.id not in had]
            plan.withdraw += [x for x in old if x.id not in ids]
            plan.writes.append((start, end, final, day.isoformat()))
            plan.settles.add(day.isoformat())
            plan.settled = day
            plan.escalated_s = max(plan.escalated_s, end)
            day = day + timedelta(days=1)

    def _store_notices(self, plan: _Notices) -> list[Escalation]:
        """Store what ``_escalate`` planned, then advance the marks (last: a worker
        killed before does it again; never back: another worker may be ahead).
        Returns the provisional notices to withdraw because another worker settled
        their day meanwhile (its notices stand) and does not hold them."""
        settled = _date(self.store.get_meta(SETTLED_KEY))
        late: list[Escalation] = []
        for a, b, notices, day in plan.writes:
            provisional = day not in plan.settles
            if provisional and settled is not None and date.fromisoformat(day) <= settled:
                held = {x.id for x in self.store.escalations(a, b)}
                late += [x for x in notices if x.id not in held]
                continue
            self.store.replace_escalations(a, b, notices, day=day)
        if plan.settled is not None and (settled is None or plan.settled > settled):
            self.store.set_meta(SETTLED_KEY, plan.settled.isoformat())
        done = float(self.store.get_meta(ESCALATED_KEY) or "-inf")
        if plan.escalated_s > done:
            self.store.set_meta(ESCALATED_KEY, repr(plan.escalated_s))
        return late

    def _ladder_run(self, day: date, through_s: float) -> LadderRun:
        """The day's ladder run, fed up to ``through_s``: the one kept from the last
        step, or a new one fed the ladder's lookback and the day so far (a new day,
        or a restart)."""
        kept = self._ladder
        if kept is not None and kept[0] == day and kept[1].through == through_s:
            return kept[1]
        start = day_bounds(self.mandate, day)[0]
        run = LadderRun(self.mandate)
        past = self.store.violations(start - lookback_h(self.mandate) * 3600.0, through_s)
        run.feed(past, through_s)  # notices before through_s are stored already
        self._ladder = (day, run)
        return run

    def _safe_s(self, mark: dict[str, Any]) -> float:
        """Up to when a sector's results are final: its tiles, and (when the ladder
        watches crossings, which rest on sightings) its closed days."""
        t = float(mark["final_s"]) if mark.get("final_s") is not None else -math.inf
        if any(d.trigger.kind == "crossing" for d in self.mandate.doc.response.escalation):
            c = mark.get("closed_end_s")
            t = min(t, float(c) if c is not None else -math.inf)
        return t

    async def _announce_escalations(
        self, notices: Sequence[Escalation], withdrawn: Sequence[Escalation] = ()
    ) -> None:
        """Issue ``notices`` (message id: the notice id) and withdraw ``withdrawn``
        (the notice with ``"withdrawn": true``, message id ``<id>/withdrawn``)."""
        for x in withdrawn:
            d = {**to_dict(x), "worker": self.name, "withdrawn": True}
            body = json.dumps(d, separators=(",", ":"))
            subject = self.bus.subjects.escalations
            await self.bus.publish(subject, body.encode(), f"{x.id}/withdrawn")
        for x in notices:
            body = json.dumps({**to_dict(x), "worker": self.name}, separators=(",", ":"))
            await self.bus.publish(self.bus.subjects.escalations, body.encode(), x.id)
        self.stats.escalations += len(notices)
        self.stats.withdrawn += len(withdrawn)

    def _commit(self, step: Step) -> None:
        st = self.stats.stage
        with st("commit_store"):
            self._store_results(step)
        with st("commit_ledger"):
            records = violation_records(step.violations, step.digests)
            fresh = [r for r in records if not self.ledger.contains(str(r["id"]))]
            if fresh:
                self.ledger.append(fresh)
            if step.day is not None:
                self.ledger.sign_head(day_bounds(self.mandate, step.day)[1])

    def _store_results(self, step: Step) -> None:
        m = self.mandate
        ev = step.events
        self.store.add_new_results(
            ev,
            [day_of(m, e.time_s).isoformat() for e in ev],
            sectors_of(
                m,
                [e.lat if e.lat is not None else e.observer_lat for e in ev],
                [e.lon if e.lon is not None else e.observer_lon for e in ev],
            ),
            step.violations,
            [day_of(m, v.time_s).isoformat() for v in step.violations],
        )

    async def _announce(self, violations: Sequence[Violation], final_s: float | None) -> None:
        """Announce ``violations``; ``final_s``: the step that made them final
        (event finality: the watermark's step; tiles: the tile's end), s."""
        extra: dict[str, Any] = {"worker": self.name}
        if final_s is not None:
            extra["step_end_s"] = final_s
        for v in violations:
            body = json.dumps({**to_dict(v), **extra}, separators=(",", ":"))
            await self.bus.publish(self.bus.subjects.violations, body.encode(), v.id)
        if violations and self.on_violations is not None:
            await self.on_violations(violations)

    async def run(
        self, *, idle_exit_s: float | None = None, stop: asyncio.Event | None = None
    ) -> None:
        """Poll until ``stop`` is set, or until nothing came for ``idle_exit_s``."""
        quiet_since = time.monotonic()
        while stop is None or not stop.is_set():
            if await self.poll():
                quiet_since = time.monotonic()
            elif idle_exit_s is not None and time.monotonic() - quiet_since > idle_exit_s:
                return
