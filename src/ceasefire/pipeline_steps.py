"""The batch's day in event finality's steps (``fusion: {finality: event}``).

A live worker with ``--finality event`` fuses each sector in steps of ``step_s``
(``ceasefire.fuse.steps``); this fuses a stored day in the same steps with the
same code, so the batch and the workers give the same events from the same
reports (every report on time: a report a worker got after its step had passed
is context only there, and the one cause of a difference).

Each sector is a chain: a step depends on what the steps before it emitted.
The day's chain starts at the first step at or after the day's start, warmed
up as a restarted worker is: the reports the day before's stored events hold
are consumed, and those events anchor corroboration (only the events emitted
at a step before the first one: a launch of 23:59 waits into the day, and is
then still open). It runs until no event emitted within the day can still
form (its reports left the open window), and keeps the events emitted within
the day. Observers are registered per step's window, as a worker registers
them (``register_over: tile``-like; the day's pooled registration needs the
day a worker has not seen yet). Sectors are independent chains: with more than one worker and a day
of at least ``parallel_min_obs`` reports, each sector's chain runs in a forked
process (the same events: tested).
"""

from __future__ import annotations

import math
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from ceasefire.fuse import FuseConfig, steps
from ceasefire.model import Event
from ceasefire.model.arrays import ObservationArrays
from ceasefire.store import Store

#: a forked sector process's reports and plan (set before the pool forks)
_DAY: dict[str, Any] = {}


def step_plan(cfg: FuseConfig, step_s: float) -> steps.StepPlan:
    """The plan of a batch's (and a default live worker's) steps of ``step_s`` s."""
    return steps.StepPlan(cfg, steps.bounds_of(cfg), step_s)


def step_span(plan: steps.StepPlan, start_s: float, end_s: float) -> tuple[float, float]:
    """The first and last steps (s) of a day ``[start_s, end_s)``: from the first
    step at or after its start, until the reports of its last event (perceived
    at most ``sound_s`` after it) have left the open window."""
    st = plan.step_s
    first = math.ceil(start_s / st) * st
    last = math.ceil((end_s + plan.bounds.sound_s + plan.open_s) / st) * st
    return first, last


def read_window(plan: steps.StepPlan, start_s: float, end_s: float) -> tuple[float, float]:
    """The perceived times ``[lo, hi)`` (s) of the reports a day's steps read."""
    first, last = step_span(plan, start_s, end_s)
    return plan.reads_from(first), last


def fuse_day_steps(
    store: Store,
    cfg: FuseConfig,
    step_s: float,
    start_s: float,
    end_s: float,
    *,
    workers: int = 1,
) -> list[Event]:
    """The acoustic and visual events emitted within ``[start_s, end_s)`` by the
    sectors' chains of steps (module docstring), by time and id; ``workers``:
    processes the sectors' chains may run in."""
    plan = step_plan(cfg, step_s)
    first, last = step_span(plan, start_s, end_s)
    obs = store.observations(plan.reads_from(first), last, sightings=False)
    if len(obs) == 0:
        return []
    chains = steps.chains_of(cfg)
    keys = steps.keys_of(obs)
    # warm-up: the events of the day before emitted before the first step (an
    # event holds reports up to a flight before and a sound travel after it)
    back = plan.reads_from(first) - plan.bounds.longest_s
    before = [e for e in store.events(back, start_s) if e.kind != "sighting"]
    if before:
        done = plan.emitted_at(before) < first
        before = [e for e, d in zip(before, done.tolist(), strict=True) if d]
        steps.restore_chains(chains, cfg, before, steps.keys_by_id(obs, keys))
    if workers > 1 and len(chains) > 1 and len(obs) >= cfg.parallel_min_obs:
        events = _in_pool(obs, chains, plan, first, last, workers)
    else:
        events = steps.run_steps(obs, chains, plan, first, last)
    return sorted(
        (e for e in events if start_s <= e.time_s < end_s), key=lambda e: (e.time_s, e.id)
    )


def _in_pool(
    obs: ObservationArrays,
    chains: dict[str, steps.SectorChain],
    plan: steps.StepPlan,
    first: float,
    last: float,
    workers: int,
) -> list[Event]:
    """Each sector's chain in a forked process (the reports inherited, not sent)."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return steps.run_steps(obs, chains, plan, first, last)
    _DAY.update(obs=obs, plan=plan, span=(first, last))
    try:
        ctx = multiprocessing.get_context("fork")
        n = min(workers, len(chains), os.cpu_count() or 1)
        with ProcessPoolExecutor(max_workers=n, mp_context=ctx) as pool:
            got = pool.map(_sector_steps, chains.values())
            return [e for part in got for e in part]
    finally:
        _DAY.clear()


def _sector_steps(chain: steps.SectorChain) -> list[Event]:
    return steps.run_steps(_DAY["obs"], {chain.sector: chain}, _DAY["plan"], *_DAY["span"])
