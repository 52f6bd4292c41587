"""The live window of one worker: observations in, final events and violations out.

Pure state (no bus, no store): :meth:`LiveWindow.next_step` says what became
final once the watermark (the time up to which every read subject has
delivered) has passed, the worker commits it, then :meth:`LiveWindow.commit`.

Acoustic and visual reports are fused in steps on a fixed grid of ``step_s``: a
step ``[final_s, cut)`` fuses the reports perceived in ``[final_s - lead_s,
cut + horizon_s)`` with the batch's own ``fuse`` and keeps the events emitted in
the step, exactly as the batch cuts a large day into time slices. An event
emitted before ``cut`` can gain no report after ``cut + horizon_s``: its sound
travels at most ``max_range_m`` at 343 m/s, a paired launch lies at most the
flight margin before its impact, plus the time uncertainty of the reports. Steps
depend on the grid and the reports only, never on when the worker ran, so a
worker restarted from the store re-derives the same events (ids from content).

Sightings form tracks over a whole reporting day (as in the batch): they are
fused when the day has closed (its end plus ``LATE_MARGIN_S``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np

from ceasefire.assess import assess
from ceasefire.fuse import FuseConfig, fuse
from ceasefire.mandate import Mandate, day_bounds, day_of
from ceasefire.model import Event, Violation
from ceasefire.model.arrays import AnyObservation, ObservationArrays
from ceasefire.pipeline import LATE_MARGIN_S, fuse_config, observation_digests
from ceasefire.stream.sectors import SectorMap, position_of


@dataclass(frozen=True)
class WindowConfig:
    """How far a live window looks back and ahead."""

    #: grid of the fusion steps, s (finer: lower latency, more re-fusion)
    step_s: float = 30.0
    #: uncertainty of report times added to the horizon, s
    time_margin_s: float = 10.0
    #: longest launch-to-impact time paired, s (None: from the fusion's pairing bounds)
    flight_margin_s: float | None = None
    #: reports read beyond a worker's own sectors, along the line, km
    halo_km: float = 60.0


def longest_flight_s(fcfg: FuseConfig) -> float:
    """The longest launch-to-impact time the pairing accepts, s: the farthest
    range at the slowest speed, per weapon (unknown weapon: the overall bounds)."""
    lp = fcfg.launches
    k = 3.0 * lp.speed_spread
    known = [
        w.range_max_m / (w.speed_m_s * (1.0 - k)) for w in lp.weapons.values() if w.speed_m_s > 0
    ]
    return max([*known, lp.max_flight_range_m / lp.speed_min_m_s])


def horizon_s(fcfg: FuseConfig, wcfg: WindowConfig) -> float:
    """How long after an event's emission a report can still join it, s: sound
    over the longest detection range, the longest flight of a launch paired with
    a later impact, and the time uncertainty."""
    flight = wcfg.flight_margin_s if wcfg.flight_margin_s is not None else longest_flight_s(fcfg)
    return fcfg.max_range_m / fcfg.speed_of_sound_m_s + flight + wcfg.time_margin_s


def lead_s(fcfg: FuseConfig, wcfg: WindowConfig) -> float:
    """How long before a step's start its reports are read, s: the batch's slice
    margin, or the longest flight back to a paired launch, whichever is longer."""
    flight = wcfg.flight_margin_s if wcfg.flight_margin_s is not None else longest_flight_s(fcfg)
    sound = fcfg.max_range_m / fcfg.speed_of_sound_m_s
    return sound + max(fcfg.slice_margin_s, flight)


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


@dataclass
class LiveWindow:
    """The reports a worker of ``own`` sectors holds (its own and its halo's)."""

    mandate: Mandate
    own: list[str]
    sectors: SectorMap
    config: WindowConfig = field(default_factory=WindowConfig)
    state: LiveState = field(default_factory=LiveState)

    def __post_init__(self) -> None:
        fc = fuse_config(self.mandate)
        # windows are small: no process pool
        self.fuse_cfg = replace(fc, workers=1, parallel_min_obs=10**9)
        self.horizon = horizon_s(self.fuse_cfg, self.config)
        self.lead = lead_s(self.fuse_cfg, self.config)
        self.reach = self.sectors.reach_km(self.own, self.config.halo_km)
        self._acoustic: dict[str, tuple[float, AnyObservation]] = {}
        self._sight: dict[str, tuple[float, AnyObservation]] = {}
        self.late = 0

    # -- reports in ------------------------------------------------------------
    def add(self, models: Sequence[AnyObservation]) -> int:
        """Hold the reports within reach (own sectors plus halo); return how many
        were held. A report perceived before what is already final counts as late."""
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
                if self.state.closed is not None and day_of(self.mandate, t) <= self.state.closed:
                    end = day_bounds(self.mandate, self.state.closed)[1]
                    if t < end + LATE_MARGIN_S:
                        self.late += 1
                self._sight[key] = (t, o)
            else:
                if self.state.final_s is not None and t < self.state.final_s + self.horizon:
                    self.late += 1
                self._acoustic[key] = (t, o)
            held += 1
        return held

    @property
    def held(self) -> int:
        return len(self._acoustic) + len(self._sight)

    # -- what became final ---------------------------------------------------------
    def next_step(self, watermark_s: float) -> Step | None:
        """The earliest step the watermark allows, or None."""
        cut = self._next_cut(watermark_s)
        day = self._next_day(watermark_s)
        if day is not None and (cut is None or day_bounds(self.mandate, day)[1] <= cut):
            return self._day_step(day)
        if cut is not None:
            return self._acoustic_step(cut)
        return None

    def _next_cut(self, watermark_s: float) -> float | None:
        step = self.config.step_s
        times = [t for t, _ in self._acoustic.values()]
        if self.state.final_s is None:
            if not times:
                return None
            self.state.final_s = math.floor((min(times) - self.lead) / step) * step
        f = self.state.final_s
        cut = f + step
        if cut + self.horizon > watermark_s:
            return None
        later = [t for t in times if t >= f - self.lead]
        nxt = min(later) if later else None
        if nxt is None or nxt >= cut + self.horizon:
            # nothing to fuse before the next report: jump (no event can be missed,
            # and a step's reports do not depend on where the jump landed)
            target = nxt if nxt is not None else watermark_s - self.horizon
            self.state.final_s = max(f, math.floor((target - self.lead) / step) * step)
            cut = self.state.final_s + step
            if cut + self.horizon > watermark_s:
                return None
        return cut

    def _next_day(self, watermark_s: float) -> date | None:
        days = {day_of(self.mandate, t) for t, _ in self._sight.values()}
        if self.state.closed is not None:
            days = {d for d in days if d > self.state.closed}
        if not days:
            return None
        d = min(days)
        return d if day_bounds(self.mandate, d)[1] + LATE_MARGIN_S <= watermark_s else None

    def _acoustic_step(self, cut: float) -> Step:
        f = self.state.final_s
        assert f is not None
        lo, hi = f - self.lead, cut + self.horizon
        models = [o for t, o in self._acoustic.values() if lo <= t < hi]
        events = self._fuse(models, f, cut, acoustic=True)
        return self._judged(f, cut, events, models, LiveState(cut, self.state.closed))

    def _day_step(self, day: date) -> Step:
        start, end = day_bounds(self.mandate, day)
        models = [o for t, o in self._sight.values() if start <= t < end + LATE_MARGIN_S]
        events = self._fuse(models, start, end, acoustic=False)
        st = self._judged(start, end, events, models, LiveState(self.state.final_s, day))
        st.day = day
        return st

    def _fuse(
        self, models: Sequence[AnyObservation], lo: float, hi: float, *, acoustic: bool
    ) -> list[Event]:
        if not models:
            return []
        evs = [
            e
            for e in fuse(ObservationArrays.from_observations(models), self.fuse_cfg)
            if lo <= e.time_s < hi and (e.kind != "sighting") == acoustic
        ]
        return [e for e, s in zip(evs, self._owners(evs), strict=True) if s in self.own]

    def _owners(self, events: Sequence[Event]) -> list[str]:
        """The sector owning each event: where it happened, else where it was heard."""
        lat = np.array([_first(e.lat, e.observer_lat) for e in events], float)
        lon = np.array([_first(e.lon, e.observer_lon) for e in events], float)
        out = [self.sectors.ids[0]] * len(events)
        ok = np.flatnonzero(np.isfinite(lat) & np.isfinite(lon))
        if ok.shape[0]:
            for i, s in zip(ok.tolist(), self.sectors.sector_of(lat[ok], lon[ok]), strict=True):
                out[i] = str(s)
        return out

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
        elif step.state.final_s is not None:
            keep = step.state.final_s - self.lead
            self._acoustic = {k: v for k, v in self._acoustic.items() if v[0] >= keep}

    def restore_from(self) -> float:
        """The earliest perceived time a restarted worker must reload, s."""
        acoustic = self.state.final_s - self.lead if self.state.final_s is not None else -math.inf
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
