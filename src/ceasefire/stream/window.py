"""The live window of one worker: observations in, final events and violations out.

Pure state (no bus, no store): :meth:`LiveWindow.next_step` says what became
final once the watermark (the time up to which every read subject has
delivered) has passed, the worker commits it, then :meth:`LiveWindow.commit`.

Acoustic and visual reports are fused in the batch's own tiles
(``ceasefire.fuse.tiles``): tile ``k`` of each of the worker's sectors is fused
from the reports perceived in ``[lo - lead, hi + horizon)`` (within the sector's
halo) once the watermark has passed ``hi + horizon``, exactly as the batch fuses
it, so the same reports give the same events. Tiles depend on the grid and the
reports only, never on when the worker ran, so a worker restarted from the store
re-derives the same events (ids from content). A report that arrives after a
tile whose window holds it was committed is late: counted and listed.

Sightings form tracks over a whole reporting day (as in the batch): they are
fused when the day has closed (its end plus ``LATE_MARGIN_S``).

With ``WindowConfig(finality="event")`` acoustic events are instead emitted in
steps of ``step_s`` as soon as each one's own bound has passed
(``fuse/steps.py``, the step the batch takes with ``fusion: {finality: event}``):
lower latency, the same events as that batch but not the batch's tiles.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal

import numpy as np

from ceasefire.assess import assess
from ceasefire.fuse import FuseConfig, steps, tiles
from ceasefire.mandate import Mandate, day_bounds, day_of
from ceasefire.model import Event, Violation
from ceasefire.model.arrays import AnyObservation, ObservationArrays
from ceasefire.model.errors import PipelineError
from ceasefire.pipeline import LATE_MARGIN_S, fuse_config, observation_digests
from ceasefire.stream.sectors import SectorMap, position_of


@dataclass(frozen=True)
class WindowConfig:
    """Overrides of the fusion's tiling for a live window (None: the mandate's
    fusion settings, which the batch uses: keep them for live = batch)."""

    #: time tile, s (coarser: fewer re-fused reports, a longer wait for results)
    tile_s: float | None = None
    #: reports read beyond a worker's own sectors, along the line, km
    halo_km: float | None = None
    #: when an acoustic event is final: "tile", when the watermark passes its tile's
    #: end plus the horizon (the batch's tiles: live = batch with ``register_over:
    #: tile``); "event", when it passes the event's own bound (fuse/steps.py:
    #: fused in steps of ``step_s`` from the reports no emitted event holds)
    finality: Literal["tile", "event"] = "tile"
    #: event finality: the step of the watermark, s
    step_s: float = 60.0
    #: event finality: a launch's or paired impact's wait is the pairing's hard
    #: flight cap (562.5 s) instead of the weapons table's longest flight (~198 s)
    strict_flight: bool = False
    #: event finality: the least wait of any event after its emission, s
    min_wait_s: float = 0.0

    def __post_init__(self) -> None:
        if self.finality not in ("tile", "event"):
            raise PipelineError(f"finality {self.finality!r}: expected tile or event")
        if not self.step_s > 0:
            raise PipelineError(f"step_s {self.step_s!r}: expected a positive number of seconds")


@dataclass(frozen=True)
class Shard:
    """Which of a sector's tiles a worker fuses: tile ``k`` when ``k % count ==
    index`` (and a reporting day's sightings when its ordinal does). Tiles are
    independent (each fused from the reports of its own window), so ``count``
    workers of the same sectors, shards ``0 .. count-1``, give exactly the events
    of one; the fusion's CPU splits evenly whatever the sectors' loads."""

    index: int = 0
    count: int = 1

    def __post_init__(self) -> None:
        if not (self.count >= 1 and 0 <= self.index < self.count):
            raise PipelineError(
                f"shard {self.index}/{self.count}: expected I/N with N >= 1 and 0 <= I < N"
            )

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"I/N"`` (e.g. ``"0/2"``) as a shard; a clear error otherwise."""
        i, sep, n = text.partition("/")
        try:
            if not sep:
                raise ValueError(text)
            return cls(int(i), int(n))
        except ValueError:
            raise PipelineError(
                f"shard {text!r}: expected I/N, e.g. 0/2 and 1/2 for two workers"
            ) from None

    def owns_day(self, day: date) -> bool:
        return day.toordinal() % self.count == self.index

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def window_config(
    mandate: Mandate,
    *,
    finality: str | None = None,
    step_s: float | None = None,
    tile_s: float | None = None,
    halo_km: float | None = None,
    strict_flight: bool = False,
) -> WindowConfig:
    """A worker's window settings: the mandate's finality and step (``fusion:
    {finality, step_s}``, the batch's: keep them for live = batch) unless given."""
    f = mandate.doc.fusion
    return WindowConfig(
        tile_s=tile_s,
        halo_km=halo_km,
        finality=finality or f.finality,  # type: ignore[arg-type]  # checked by WindowConfig
        step_s=step_s if step_s is not None else f.step_s,
        strict_flight=strict_flight,
    )


def live_fuse_config(mandate: Mandate, wcfg: WindowConfig | None = None) -> FuseConfig:
    """The fusion settings of a live window: the batch's, with the overrides, in
    this process (a tile is small). Observers are registered per tile: a live
    worker cannot pool a registration over a day it has not seen yet (pooling
    its day so far gained nothing on the family's test draws: NOTES.md)."""
    w = wcfg or WindowConfig()
    fc = fuse_config(mandate)
    fc = replace(fc, workers=1, parallel_min_obs=10**12, register_over="tile")
    if w.tile_s is not None:
        fc = replace(fc, tile_s=w.tile_s)
    if w.halo_km is not None:
        fc = replace(fc, halo_km=w.halo_km)
    if fc.tile_s is None:
        raise PipelineError("a live window needs time tiles (the fusion's tile_s is None)")
    return fc


def horizon_s(fcfg: FuseConfig) -> float:
    """How long after an event's emission a report can still join it, s."""
    return tiles.horizon_s(fcfg)


@dataclass
class LiveState:
    """What a worker has made final: acoustic events emitted before ``final_s``
    (None: nothing yet) and sightings of every day up to ``closed``."""

    final_s: float | None = None
    closed: date | None = None

    def to_json(self) -> str:
        return json.dumps(
            {"final_s": self.final_s, "closed": self.closed.isoformat() if self.closed else None}
        )

    @classmethod
    def from_json(cls, text: str | None) -> LiveState:
        if not text:
            return cls()
        d = json.loads(text)
        return cls(d["final_s"], date.fromisoformat(d["closed"]) if d["closed"] else None)


@dataclass
class Step:
    """Events made final by one step, their violations and the observations they
    rest on (``source/id`` → SHA-256 of the canonical JSON, for the ledger)."""

    start_s: float
    end_s: float
    events: list[Event]
    violations: list[Violation]
    digests: dict[str, str]
    state: LiveState
    day: date | None = None  # a reporting day closed by this step
    #: event finality, per own sector that emitted: its events and the reports
    #: they consumed
    emissions: dict[str, steps.Emission] = field(default_factory=dict)

    @property
    def consumed(self) -> dict[str, dict[str, float]]:
        """Per own sector, the reports (key -> perceived time, s) the step's
        events consumed (event finality)."""
        return {s: em.consumed for s, em in self.emissions.items()}


@dataclass
class LiveWindow:
    """The reports a worker of ``own`` sectors holds (its own and its halo's)."""

    mandate: Mandate
    own: list[str]
    sectors: SectorMap
    config: WindowConfig = field(default_factory=WindowConfig)
    state: LiveState = field(default_factory=LiveState)
    shard: Shard = field(default_factory=Shard)

    def __post_init__(self) -> None:
        self.fuse_cfg = live_fuse_config(self.mandate, self.config)
        self.tile_s = float(self.fuse_cfg.tile_s or 0.0)
        self.horizon = tiles.horizon_s(self.fuse_cfg)
        self.lead = tiles.lead_s(self.fuse_cfg)
        self.context = tiles.context_s(self.fuse_cfg)
        self.reach = self.sectors.reach_km(self.own, self.fuse_cfg.halo_km)
        self._acoustic: dict[str, tuple[float, AnyObservation]] = {}
        self._sight: dict[str, tuple[float, AnyObservation]] = {}
        #: reports that came after a tile (or day) they belong to was committed
        self.late_keys: list[str] = []
        self.event_mode = self.config.finality == "event"
        self.step_s = float(self.config.step_s)
        self.bounds = steps.bounds_of(
            self.fuse_cfg, strict=self.config.strict_flight, min_wait_s=self.config.min_wait_s
        )
        self.plan = steps.StepPlan(self.fuse_cfg, self.bounds, self.step_s)
        #: event finality: how far back a step fuses open reports, s
        self.open_s = self.plan.open_s
        #: event finality, per own sector: its chain of steps (consumed reports,
        #: events emitted lately)
        self.chains = steps.chains_of(self.fuse_cfg, self._own_tiles())
        self._late: set[str] = set()
        self._km: dict[str, float] = {}  # event finality: chainage by report key, km
        self._sectors = tiles.Sectors.of(self.fuse_cfg)
        if self.event_mode and self.shard.count > 1:
            raise PipelineError(
                "shards split tiles: event finality fuses each sector in steps that "
                "depend on the ones before; run one worker per sector instead"
            )

    @property
    def late(self) -> int:
        return len(self.late_keys)

    # -- reports in ------------------------------------------------------------
    def add(self, models: Sequence[AnyObservation], *, restored: bool = False) -> int:
        """Hold the reports within reach (own sectors plus halo); return how many
        were held. A report perceived within the window of a tile (or the day)
        already committed is late: counted and listed (the batch would use it);
        ``restored`` reports (reloaded from the store after a restart) never are."""
        if not models:
            return 0
        pts = [position_of(o) for o in models]
        km = self.sectors.chainage_km(
            np.array([p[0] for p in pts], float), np.array([p[1] for p in pts], float)
        )
        inside = (km >= self.reach[0]) & (km <= self.reach[1])
        held = 0
        for o, ok in zip(models, inside.tolist(), strict=True):
            if not ok:
                continue
            t = o.time.timestamp()
            key = f"{o.source}/{o.id}"
            if o.kind == "sighting":
                if (
                    not restored
                    and self.state.closed is not None
                    and day_of(self.mandate, t) <= self.state.closed
                ):
                    end = day_bounds(self.mandate, self.state.closed)[1]
                    if t < end + LATE_MARGIN_S and key not in self._sight:
                        self.late_keys.append(key)
                self._sight[key] = (t, o)
            else:
                final = self.state.final_s
                # event finality: a step at W fused every report before W
                late_after = 0.0 if self.event_mode else self.horizon
                if (
                    not restored
                    and final is not None
                    and t < final + late_after
                    and key not in self._acoustic
                ):
                    self.late_keys.append(key)
                    if self.event_mode:
                        self._late.add(key)  # context only: its step has passed
                self._acoustic[key] = (t, o)
            held += 1
        return held

    @property
    def held(self) -> int:
        return len(self._acoustic) + len(self._sight)

    # -- what became final ---------------------------------------------------------
    def next_step(self, watermark_s: float) -> Step | None:
        """The earliest tile (or closed day) the watermark allows, or None."""
        if self.event_mode:
            return self._next_event_step(watermark_s)
        k = self._next_tile(watermark_s)
        day = self._next_day(watermark_s)
        cut = (k + 1) * self.tile_s if k is not None else None
        if day is not None and (cut is None or day_bounds(self.mandate, day)[1] <= cut):
            return self._day_step(day)
        if k is not None:
            return self._tile_step(k)
        return None

    def _next_tile(self, watermark_s: float) -> int | None:
        """The first tile not yet committed whose window holds a report, once the
        watermark has passed its window's end; tiles without reports are skipped
        (they have no events)."""
        k = self._pending_tile()
        if k is None or (k + 1) * self.tile_s + self.horizon > watermark_s:
            return None
        return k

    def _pending_tile(self) -> int | None:
        """The first tile of this shard not yet committed whose window holds a
        held report."""
        f = self.state.final_s
        k_next = -(10**12) if f is None else round(f / self.tile_s)
        lo_next = k_next * self.tile_s - self.lead
        later = [t for t, _ in self._acoustic.values() if t >= lo_next]
        if not later:
            return None
        k = max(k_next, math.floor((min(later) - self.horizon) / self.tile_s))
        n = self.shard.count
        if n == 1:
            return k
        # the shard's next tile whose window [k T - lead, (k + 1) T + horizon) holds one
        ts = np.sort(np.asarray(later, float))
        k += (self.shard.index - k) % n
        while True:
            lo = k * self.tile_s - self.lead
            i = int(np.searchsorted(ts, lo, side="left"))
            if i == ts.shape[0]:
                return None
            if ts[i] < (k + 1) * self.tile_s + self.horizon:
                return k
            # skip to the shard's first tile whose window reaches the next report
            k_min = math.floor((float(ts[i]) - self.horizon) / self.tile_s)
            k = max(k + n, k_min + (self.shard.index - k_min) % n)

    def final_through(self, watermark_s: float) -> float:
        """Up to when this window's acoustic events are final, s: every tile ending
        by then is committed, or has no report in its window and none can still
        come (the watermark has passed the window's end). Event finality: the
        last step less the longest wait (an event emitted later was emitted at a
        bound after that step)."""
        if self.event_mode:
            w = self._steps_through(watermark_s)
            return w - self.bounds.longest_s if math.isfinite(w) else w
        # a read subject that has delivered nothing yet holds the watermark at -inf
        cap = watermark_s
        if math.isfinite(watermark_s):
            cap = math.floor((watermark_s - self.horizon) / self.tile_s) * self.tile_s
        k = self._pending_tile()
        if k is not None:
            cap = min(cap, k * self.tile_s)
        f = self.state.final_s
        return max(cap, f) if f is not None else cap

    def _next_day(self, watermark_s: float) -> date | None:
        days = {day_of(self.mandate, t) for t, _ in self._sight.values()}
        if self.state.closed is not None:
            days = {d for d in days if d > self.state.closed}
        if not days:
            return None
        d = min(days)
        return d if day_bounds(self.mandate, d)[1] + LATE_MARGIN_S <= watermark_s else None

    def _tile_step(self, k: int) -> Step:
        start, end = tiles.bounds(k, self.fuse_cfg)
        lo, hi = start - self.context, tiles.window(k, self.fuse_cfg)[1]
        models = [o for t, o in self._acoustic.values() if lo <= t < hi]
        obs = tiles.canonical(ObservationArrays.from_observations(models))
        events: list[Event] = []
        for s in self._own_tiles():
            events += tiles.fuse_tile(obs, tiles.Tile(k, s), self.fuse_cfg)
        events.sort(key=lambda e: (e.time_s, e.id))
        return self._judged(start, end, events, models, LiveState(end, self.state.closed))

    # -- event finality ------------------------------------------------------------
    def _open_times(self) -> list[float]:
        """Perceived times of the reports some own sector has not consumed, s."""
        n = len(self.chains)
        return [
            t
            for k, (t, _) in self._acoustic.items()
            if k not in self._late and sum(k in c.consumed for c in self.chains.values()) < n
        ]

    def _next_w(self) -> float | None:
        """The next step's end: after the last one, or skipping to the first step
        holding an open report (steps without reports make no events)."""
        f = self.state.final_s
        times = [t for t in self._open_times() if f is None or t >= f - self.open_s]
        if not times:
            return None
        first = (math.floor(min(times) / self.step_s) + 1) * self.step_s
        return first if f is None else max(f + self.step_s, first)

    def _steps_through(self, watermark_s: float) -> float:
        """Up to when steps are done or need not be, s (the watermark's last
        step when no open report waits for one)."""
        if not math.isfinite(watermark_s):
            return watermark_s
        w = self._next_w()
        done = math.floor(watermark_s / self.step_s) * self.step_s
        if w is not None:
            done = min(done, w - self.step_s)
        f = self.state.final_s
        return max(done, f) if f is not None else done

    def _next_event_step(self, watermark_s: float) -> Step | None:
        w = self._next_w()
        day = self._next_day(watermark_s)
        if day is not None and (
            w is None or w > watermark_s or day_bounds(self.mandate, day)[1] <= w
        ):
            return self._day_step(day)
        if w is None or w > watermark_s:
            return None
        return self._event_step(w)

    def _event_step(self, w: float) -> Step:
        """Each own sector's step at ``w`` (:meth:`steps.SectorChain.step`): its
        open reports before ``w`` fused, the events whose bound has passed emitted."""
        ctx_lo = self.plan.reads_from(w)
        keys = [k for k, (t, _) in self._acoustic.items() if ctx_lo <= t < w]
        models = [self._acoustic[k][1] for k in keys]
        events: list[Event] = []
        emitted: dict[str, steps.Emission] = {}
        if models:
            obs = ObservationArrays.from_observations(models)
            # each report's chainage once (the context is re-read every step)
            new = [i for i, k in enumerate(keys) if k not in self._km]
            if new:
                got = self._sectors.chainage_km(obs.lat[new], obs.lon[new])
                self._km.update(zip((keys[i] for i in new), got.tolist(), strict=True))
            km = np.array([self._km[k] for k in keys], float)
            for s, chain in self.chains.items():
                halo = (
                    self._sectors.in_halo(s, km)
                    if self._sectors.line is not None
                    else np.ones(len(keys), bool)
                )
                em = chain.step(self.plan, w, obs, keys, halo, self._late)
                if em.events:
                    events += em.events
                    emitted[s] = em
        events.sort(key=lambda e: (e.time_s, e.id))
        st = self._judged(w - self.step_s, w, events, models, LiveState(w, self.state.closed))
        st.emissions = emitted
        return st

    def restore_consumed(self, events: Sequence[Event]) -> None:
        """After a restart: the reports the stored events of the own sectors hold
        are consumed (event finality; ``events`` from the store since
        :meth:`restore_from`)."""
        if not self.event_mode or not events:
            return
        by_id: dict[str, list[tuple[str, float]]] = {}
        for k, (t, o) in self._acoustic.items():
            by_id.setdefault(o.id, []).append((k, t))
        steps.restore_chains(self.chains, self.fuse_cfg, events, by_id)

    def _own_tiles(self) -> list[str]:
        """The fusion's sectors this worker fuses (all of them without sectors)."""
        ids = tiles.Sectors.of(self.fuse_cfg).ids
        return [s for s in ids if s in self.own] if ids != (tiles.WHOLE,) else list(ids)

    def _day_step(self, day: date) -> Step:
        start, end = day_bounds(self.mandate, day)
        models = [o for t, o in self._sight.values() if start <= t < end + LATE_MARGIN_S]
        events: list[Event] = []
        if not self.shard.owns_day(day):
            models = []  # another shard fuses this day's sightings; this one only closes it
        if models:
            obs = tiles.canonical(ObservationArrays.from_observations(models))
            fused = tiles.fuse_sightings(obs, self.fuse_cfg, self._own_tiles())
            events = sorted(
                (e for e in fused if start <= e.time_s < end), key=lambda e: (e.time_s, e.id)
            )
        st = self._judged(start, end, events, models, LiveState(self.state.final_s, day))
        st.day = day
        return st

    def _judged(
        self,
        lo: float,
        hi: float,
        events: list[Event],
        models: Sequence[AnyObservation],
        state: LiveState,
    ) -> Step:
        violations = assess(events, self.mandate) if events else []
        used = {oid for v in violations for oid in v.observation_ids}
        digests = observation_digests([o for o in models if o.id in used])
        return Step(lo, hi, events, violations, digests, state)

    def commit(self, step: Step) -> None:
        """The step is committed: advance and forget what no later step needs."""
        self.state = step.state
        if step.day is not None:
            end = day_bounds(self.mandate, step.day)[1]
            self._sight = {k: v for k, v in self._sight.items() if v[0] >= end}
        elif self.event_mode and step.state.final_s is not None:
            w = step.state.final_s
            keep = self.plan.reads_from(w)
            self._acoustic = {k: v for k, v in self._acoustic.items() if v[0] >= keep}
            self._late = {k for k in self._late if k in self._acoustic}
            self._km = {k: v for k, v in self._km.items() if k in self._acoustic}
            for s, chain in self.chains.items():
                chain.advance(self.plan, w, step.emissions.get(s))
        elif step.state.final_s is not None:
            keep = step.state.final_s - self.context
            self._acoustic = {k: v for k, v in self._acoustic.items() if v[0] >= keep}

    def restore_from(self) -> float:
        """The earliest perceived time a restarted worker must reload, s."""
        f = self.state.final_s
        acoustic = f - self.context if f is not None else -math.inf
        if self.event_mode and f is not None:
            acoustic = self.plan.reads_from(f)
        sight = (
            day_bounds(self.mandate, self.state.closed)[1]
            if self.state.closed is not None
            else -math.inf
        )
        return min(acoustic, sight)


def _first(*vals: float | None) -> float:
    for v in vals:
        if v is not None:
            return v
    return math.nan


def keys_of(models: Iterable[AnyObservation]) -> list[str]:
    return [f"{o.source}/{o.id}" for o in models]
