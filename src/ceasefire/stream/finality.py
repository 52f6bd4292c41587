"""Event finality: when a fused event can no longer change, and the step fusion
that emits it then (``WindowConfig(finality="event")``, docs/live.md).

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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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


def final_at_s(events: Sequence[Event], b: Bounds) -> F8:
    """When each event is final (s): its emission time plus its case's wait."""
    out = np.empty(len(events))
    for i, e in enumerate(events):
        wait = max(b.sound_s, b.min_wait_s)
        if e.kind in LAUNCH_CANDIDATES or "paired" in e.flags:
            wait = max(wait, b.sound_s + b.flight_s)
        if "uncorroborated" in e.flags:
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


__all__ = ["Bounds", "bounds_of", "final_at_s", "fuse_open", "physical_flight_s", "reach_m"]
