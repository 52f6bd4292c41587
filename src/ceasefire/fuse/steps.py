"""Event finality: when a fused event can no longer change, and the step fusion
that emits it then: one implementation for a live worker's window
(``WindowConfig(finality="event")``) and the batch's day (``fusion: {finality:
event}``, ``ceasefire.pipeline_steps``), docs/live.md.

At each step ``W`` (a grid of ``step_s``), each sector fuses its **open**
acoustic reports perceived in ``[W - open_s, W)`` (within its halo) as one
window, and emits every event whose bound (:func:`final_at_s`) is ``<= W``.
The reports such an event holds are **consumed**: never fused again by that
sector, so an emitted event is never re-formed nor doubled, and a report is
fused only while it is open (a few steps for most).

An event at emission time ``T`` (s) can change until:

- ``T + sound_s``: its own reports are still arriving (the farthest report
  that may join it, :func:`reach_m` (80 km: late attachment), at the speed of
  sound, plus the tiles' time margin);
- ``T + flight_s + sound_s`` for a launch candidate (``firing``,
  ``undetermined``) or a paired impact: an impact of the launch may still be
  heard (the launch is then absorbed into it), or a later impact may compete
  for a paired launch (pairing is a global assignment). ``flight_s`` is the
  longest flight the weapons table allows (1.2 x range at the class's speed
  less three spreads: ~198 s), not the pairing's hard cap
  (``max_flight_range_m / speed_min_m_s``, 562.5 s), unless ``strict``;
- ``T + self_s + sound_s`` for a lone report not yet corroborated: the same
  observer's report up to ``self_s`` later may still corroborate it (an
  uncorroborated lone report makes no violation, so this costs no latency).

A sector's state between steps is a :class:`SectorChain` (its consumed reports
and its recently emitted events); :meth:`SectorChain.step` is the step,
:meth:`SectorChain.advance` its commit. :func:`run_steps` drives the chains of
every sector over a span of steps from reports held as arrays (the batch).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ceasefire.fuse import FuseConfig, tiles
from ceasefire.fuse.corroborate import corroborate
from ceasefire.fuse.engine import fuse_whole
from ceasefire.model import Event
from ceasefire.model.arrays import ObservationArrays

F8 = npt.NDArray[np.float64]
#: event kinds that may be a launch (pairing offers them as launches)
LAUNCH_CANDIDATES = frozenset({"firing", "undetermined"})


def physical_flight_s(cfg: FuseConfig) -> float:
    """The longest launch-to-impact time the weapons table allows, s: 1.2 x the
    class's longest range (pairing's own range gate) at its speed less three
    spreads, over the classes with a speed."""
    lp = cfg.launches
    k = 3.0 * lp.speed_spread
    return max(
        1.2 * w.range_max_m / (w.speed_m_s * (1.0 - k))
        for w in lp.weapons.values()
        if w.speed_m_s > 0
    )


@dataclass(frozen=True)
class Bounds:
    """How long after its emission time an event may still change, s, by case."""

    #: the farthest report's sound travel plus the time margin
    sound_s: float
    #: a launch candidate's, or a paired impact's, longest flight
    flight_s: float
    #: how long a lone report may wait for the same observer's corroboration
    self_s: float
    #: the least any event waits (a later report of another round may still
    #: regroup it: association is not local; 0: the physical bounds alone)
    min_wait_s: float = 0.0

    @property
    def longest_s(self) -> float:
        """The longest any event waits, s."""
        return max(self.sound_s + max(self.flight_s, self.self_s), self.min_wait_s)


def reach_m(cfg: FuseConfig) -> float:
    """The farthest report that can join an event, m: the detection range, or
    late attachment's (a free bearing offered to a located event from up to
    ``late_range_m``: an array hears an MLRS launch 75 km away)."""
    att = cfg.association.attach
    return max(cfg.max_range_m, att.late_range_m if att.late else 0.0)


def bounds_of(cfg: FuseConfig, *, strict: bool = False, min_wait_s: float = 0.0) -> Bounds:
    """The bounds of ``cfg``; ``strict``: the pairing's hard flight cap;
    ``min_wait_s``: the least wait of every event, s."""
    flight = tiles.longest_flight_s(cfg) if strict else physical_flight_s(cfg)
    return Bounds(
        reach_m(cfg) / cfg.speed_of_sound_m_s + cfg.tile_margin_s,
        flight,
        cfg.corroboration.self_s,
        min_wait_s,
    )


def final_at_s(events: Sequence[Event], b: Bounds, *, corroborated: bool = False) -> F8:
    """When each event is final (s): its emission time plus its case's wait;
    ``corroborated``: as if every lone report were corroborated (the earliest it
    can be, whatever the context says)."""
    out = np.empty(len(events))
    for i, e in enumerate(events):
        wait = max(b.sound_s, b.min_wait_s)
        if e.kind in LAUNCH_CANDIDATES or "paired" in e.flags:
            wait = max(wait, b.sound_s + b.flight_s)
        if "uncorroborated" in e.flags and not corroborated:
            wait = max(wait, b.sound_s + b.self_s)
        out[i] = e.time_s + wait
    return out


def fuse_open(
    open_obs: ObservationArrays,
    context: ObservationArrays,
    emitted: Sequence[Event],
    sector: str,
    cfg: FuseConfig,
) -> list[Event]:
    """One sector's events from its open reports (canonical rows, within its halo),
    owned by the sector, corroborated against ``context`` (every report of the
    halo, consumed or not, from ``unheard_alive_s`` before the window) and the
    sector's recently emitted events (a lone report near a located event emitted a
    step ago is corroborated by it, as in one window)."""
    if len(open_obs) == 0:
        return []
    fused = fuse_whole(open_obs, cfg)
    both = corroborate([*fused, *emitted], cfg.corroboration, context, cfg.speed_of_sound_m_s)
    events = both[: len(fused)]
    sectors = tiles.Sectors.of(cfg)
    return [e for e, s in zip(events, sectors.owners(events), strict=True) if s == sector]


@dataclass(frozen=True)
class StepPlan:
    """The settings of a chain of steps: the fusion's, the bounds, the step (s)."""

    cfg: FuseConfig
    bounds: Bounds
    step_s: float

    @property
    def open_s(self) -> float:
        """How far back a step fuses open reports, s: an event formed of older
        reports had its bound passed a step ago, and was emitted."""
        return self.bounds.longest_s + self.cfg.tile_margin_s + self.step_s

    def open_from(self, w: float) -> float:
        """The earliest perceived time (s) a step at ``w`` fuses as open."""
        return w - self.open_s

    def reads_from(self, w: float) -> float:
        """The earliest perceived time (s) a step at ``w`` reads (its corroboration
        context: ``unheard_alive_s`` before the open reports)."""
        return self.open_from(w) - self.cfg.corroboration.unheard_alive_s

    def emitted_since(self, w: float) -> float:
        """The earliest emission time (s) of an event a step at ``w`` still
        corroborates against."""
        return self.open_from(w) - self.bounds.self_s

    def first_step(self, t: float) -> float:
        """The first step (s, on the grid of ``step_s`` from the epoch) after time ``t``."""
        return (math.floor(t / self.step_s) + 1) * self.step_s

    def emitted_at(self, events: Sequence[Event]) -> F8:
        """The step (s) at which each event is first final: the first step at or
        after its bound (an event formed later, when later reports regrouped its
        own, is emitted at a later step: rare)."""
        at = final_at_s(events, self.bounds)
        return np.ceil(at / self.step_s) * self.step_s


@dataclass
class Emission:
    """What one sector's step emits: the final events and the reports they hold
    (key ``source/id`` -> perceived time, s)."""

    events: list[Event] = field(default_factory=list)
    consumed: dict[str, float] = field(default_factory=dict)


@dataclass
class SectorChain:
    """One sector's state between steps: the reports its emitted events hold
    (consumed: never fused again by this sector) and the events it emitted lately
    (anchors for corroboration). A step that would fuse the same open reports as
    the last one is skipped when none of that step's events can be final yet,
    whatever their corroboration: the same open reports fuse to the same events
    (``fuse_whole`` sees nothing else), and only corroboration flags can differ
    (context and recent events slide out of the window: a microphone no longer
    counted as listening, an anchor gone), which moves a bound by at most the
    lone report's wait for corroboration. A late report that came into the
    context counts as a change."""

    sector: str
    consumed: dict[str, float] = field(default_factory=dict)
    emitted: list[Event] = field(default_factory=list)
    #: skip a step whose open set is unchanged (False: fuse every step; tests)
    remember: bool = True
    #: the last fused step's open keys and the earliest any of its events can be
    #: final, s
    _memo: tuple[frozenset[str], float] | None = None
    #: steps fused and skipped (for the CPU counts)
    fused: int = 0
    skipped: int = 0

    def step(
        self,
        plan: StepPlan,
        w: float,
        obs: ObservationArrays,
        keys: Sequence[str],
        in_halo: npt.NDArray[np.bool_],
        late: frozenset[str] | set[str] = frozenset(),
    ) -> Emission:
        """The step at ``w``: fuse the sector's open reports among ``obs`` (rows
        perceived in ``[plan.reads_from(w), w)``, keys ``source/id`` by row, which
        lie within the sector's halo by ``in_halo``) and emit the events whose
        bound is ``<= w``. ``late``: keys that came after their step had passed
        (live: context only). The chain is unchanged until :meth:`advance`."""
        lo = plan.open_from(w)
        t = obs.time_s
        cand = np.flatnonzero(in_halo & (t >= lo) & (t < w))
        gone = self.consumed
        ok = [k not in gone and k not in late for k in (keys[i] for i in cand.tolist())]
        rows_open = cand[np.asarray(ok, bool)] if cand.shape[0] else cand
        if rows_open.shape[0] == 0:
            self._memo = None
            return Emission()
        ctx_rows = np.flatnonzero(in_halo & (t >= plan.reads_from(w)) & (t < w))
        open_keys = frozenset(keys[i] for i in rows_open.tolist())
        if late:
            # a late report is context only, and may corroborate: part of the memo
            open_keys |= {"late:" + k for k in (keys[i] for i in ctx_rows.tolist()) if k in late}
        memo = self._memo if self.remember else None
        if memo is not None and memo[0] == open_keys and memo[1] > w:
            self.skipped += 1
            return Emission()
        self.fused += 1
        open_obs = tiles.canonical(obs.take(rows_open))
        context = tiles.canonical(obs.take(ctx_rows))
        recent = [e for e in self.emitted if e.time_s >= plan.emitted_since(w)]
        fused = fuse_open(open_obs, context, recent, self.sector, plan.cfg)
        at = final_at_s(fused, plan.bounds)
        # the same open reports fuse to the same events; only their corroboration
        # can differ (context and recent events slide out): the earliest any of
        # them can be final, corroborated or not
        soonest = final_at_s(fused, plan.bounds, corroborated=True)
        self._memo = (open_keys, float(soonest.min()) if soonest.shape[0] else math.inf)
        final = [e for e, a in zip(fused, at.tolist(), strict=True) if a <= w]
        if not final:
            return Emission()
        self._memo = None  # the open set changes once these are consumed
        by_id: dict[str, list[int]] = {}
        for i in rows_open.tolist():
            by_id.setdefault(str(obs.id[i]), []).append(i)
        used = {i for e in final for oid in e.observation_ids for i in by_id.get(oid, [])}
        return Emission(final, {keys[i]: float(t[i]) for i in used})

    def advance(self, plan: StepPlan, w: float, emission: Emission | None = None) -> None:
        """The step at ``w`` is committed: its emission consumed, and what no later
        step needs forgotten."""
        lo = plan.open_from(w)
        if emission is not None:
            self.consumed.update(emission.consumed)
            self.emitted += emission.events
        self.consumed = {k: t for k, t in self.consumed.items() if t >= lo}
        since = plan.emitted_since(w)
        self.emitted = [e for e in self.emitted if e.time_s >= since]

    def restore(
        self, events: Iterable[Event], keys_by_id: dict[str, list[tuple[str, float]]]
    ) -> None:
        """Events this sector emitted before (a restarted worker's stored events,
        or the day before's for the batch): their reports consumed (``keys_by_id``:
        observation id -> its reports' keys and perceived times, s)."""
        for e in events:
            for oid in e.observation_ids:
                for k, t in keys_by_id.get(oid, []):
                    self.consumed[k] = t
            self.emitted.append(e)
        self._memo = None


def chains_of(cfg: FuseConfig, own: Iterable[str] | None = None) -> dict[str, SectorChain]:
    """A fresh chain for each of the fusion's sectors (those of ``own`` when given;
    the one :data:`tiles.WHOLE` without sectors)."""
    ids = tiles.Sectors.of(cfg).ids
    if own is not None and ids != (tiles.WHOLE,):
        mine = set(own)
        ids = tuple(s for s in ids if s in mine)
    return {s: SectorChain(s) for s in ids}


def restore_chains(
    chains: dict[str, SectorChain],
    cfg: FuseConfig,
    events: Sequence[Event],
    keys_by_id: dict[str, list[tuple[str, float]]],
) -> None:
    """Give each chain the acoustic ``events`` its sector owns (:meth:`SectorChain.restore`)."""
    sectors = tiles.Sectors.of(cfg)
    mine: dict[str, list[Event]] = {}
    for e, s in zip(events, sectors.owners(events), strict=True):
        if s in chains and e.kind != "sighting":
            mine.setdefault(s, []).append(e)
    for s, evs in mine.items():
        chains[s].restore(evs, keys_by_id)


def keys_of(obs: ObservationArrays) -> list[str]:
    """Each row's key, ``source/id`` (what the bus deduplicates by)."""
    return [f"{s}/{i}" for s, i in zip(obs.source.tolist(), obs.id.tolist(), strict=True)]


def keys_by_id(obs: ObservationArrays, keys: Sequence[str]) -> dict[str, list[tuple[str, float]]]:
    """Observation id -> the keys and perceived times (s) of its rows."""
    out: dict[str, list[tuple[str, float]]] = {}
    for oid, k, t in zip(obs.id.tolist(), keys, obs.time_s.tolist(), strict=True):
        out.setdefault(str(oid), []).append((k, float(t)))
    return out


def run_steps(
    obs: ObservationArrays,
    chains: dict[str, SectorChain],
    plan: StepPlan,
    first_w: float,
    last_w: float,
) -> list[Event]:
    """Every step from ``first_w`` through ``last_w`` (on the grid) of ``chains``
    over ``obs`` (every report the steps read, acoustic and visual, in any order),
    as a live worker of those sectors takes them with every report on time: the
    events emitted, in step order (within a step by time and id). Steps without
    an open report are skipped (they emit nothing)."""
    order = np.argsort(obs.time_s, kind="stable")
    obs = obs.take(order)
    keys = keys_of(obs)
    t = obs.time_s
    sectors = tiles.Sectors.of(plan.cfg)
    km = sectors.chainage_km(obs.lat, obs.lon)
    halos = {
        s: sectors.in_halo(s, km) if sectors.line is not None else np.ones(len(obs), bool)
        for s in chains
    }
    out: list[Event] = []
    w = first_w
    while w <= last_w:
        a = int(np.searchsorted(t, plan.reads_from(w), side="left"))
        b = int(np.searchsorted(t, w, side="left"))
        if not (b > a and t[b - 1] >= plan.open_from(w)):
            # no report in the open window: skip to the first step holding one
            if b == t.shape[0]:
                break
            w = max(w + plan.step_s, plan.first_step(float(t[b])))
            continue
        window = obs.take(np.arange(a, b))
        wkeys = keys[a:b]
        step: list[Event] = []
        for s, c in chains.items():
            em = c.step(plan, w, window, wkeys, halos[s][a:b])
            c.advance(plan, w, em)
            step += em.events
        out += sorted(step, key=lambda e: (e.time_s, e.id))
        w += plan.step_s
    return out


__all__ = [
    "Bounds",
    "Emission",
    "SectorChain",
    "StepPlan",
    "bounds_of",
    "chains_of",
    "final_at_s",
    "fuse_open",
    "keys_by_id",
    "keys_of",
    "physical_flight_s",
    "reach_m",
    "restore_chains",
    "run_steps",
]
