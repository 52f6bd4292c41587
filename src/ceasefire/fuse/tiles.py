"""Tiles: the cut of fusion in time (and sectors) for the batch and the live workers.

A tile is a fixed absolute time slice ``[k * tile_s, (k + 1) * tile_s)`` on a grid
anchored at the epoch and, when the configuration names sectors of the contact
line, one sector. A tile is fused from the acoustic and visual reports perceived
in ``[lo - lead_s, hi + horizon_s)`` whose observer lies within the sector's halo
(``halo_km`` of chainage either side), and keeps the events emitted in
``[lo, hi)`` that its sector owns (by where the event happened, else where it was
heard). Corroboration runs on the tile's own events, with the reports from
``context_s`` before the tile to its horizon (a microphone counts as listening if
it perceived something in the half hour before). A tile registering its own
observers (``register_over`` tile) depends only on the reports of its context:
the batch (every tile) and a live worker (each tile once the watermark passes
``hi + horizon_s``) then give the same events for the same reports, by
construction.

Registration (each observer's clock offset and noise scale) from one tile's ten
minutes of reports differs from its neighbour's, and a round straddling their
edge is associated differently on each side. So the batch by default registers
observers over the run (a day): every tile's first association gives its
:data:`Part`, :func:`pooled` by observer name, and every tile is fused with that
one registration (taking its first association as it is where that registration
does not matter for it: :func:`first_pass`); it then fuses hour-long tiles over
the whole line (:func:`batch_cut`), since it no longer matches the workers' cut
anyway.

- **horizon** = sound over the longest detection range + the longest
  launch-to-impact flight the pairing accepts + the reports' time margin: after
  it no report can still join an event emitted before ``hi``.
- **lead** = the same span backwards: a located impact's launch was fired at most
  a flight earlier and heard at most a sound travel after that.

Sightings make tracks over a reporting day: they are fused per sector (with its
halo) over what the caller passes (the batch and the live worker pass one
reporting day).
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ceasefire.fuse.association import (
    ObserverRegistration,
    RegistrationConfig,
    Residuals,
    estimate,
)
from ceasefire.fuse.config import FuseConfig
from ceasefire.fuse.corroborate import corroborate
from ceasefire.geo import GeoLine
from ceasefire.geo.frame import frames_shared
from ceasefire.model.arrays import ObservationArrays, canonical
from ceasefire.model.results import Event
from ceasefire.model.vocab import KINDS

if TYPE_CHECKING:
    from ceasefire.fuse.engine import Association

F8 = npt.NDArray[np.float64]
IP = npt.NDArray[np.intp]
K_SIGHTING = KINDS.index("sighting")
#: The one sector of a configuration without sectors.
WHOLE = "all"


@dataclass(frozen=True)
class Tile:
    """Tile ``k`` (time ``[k * tile_s, (k + 1) * tile_s)``) of ``sector``."""

    k: int
    sector: str


#: a tile's work: the rows its context may need, the tile, the settings
Job = tuple[ObservationArrays, Tile, FuseConfig]
#: a window's part of a pooled registration: observers' names by code, residuals
Part = tuple[npt.NDArray[np.str_], Residuals]
#: each tile's first association (observers as stated), kept for its second pass
Firsts = dict[Tile, "Association"]


def longest_flight_s(cfg: FuseConfig) -> float:
    """The longest launch-to-impact time the pairing accepts, s: the farthest
    range at the slowest speed, per weapon (unknown weapon: the overall bounds)."""
    lp = cfg.launches
    k = 3.0 * lp.speed_spread
    known = [
        w.range_max_m / (w.speed_m_s * (1.0 - k)) for w in lp.weapons.values() if w.speed_m_s > 0
    ]
    return max([*known, lp.max_flight_range_m / lp.speed_min_m_s])


def horizon_s(cfg: FuseConfig) -> float:
    """How long after an event's emission a report can still join it, s."""
    return cfg.max_range_m / cfg.speed_of_sound_m_s + longest_flight_s(cfg) + cfg.tile_margin_s


def lead_s(cfg: FuseConfig) -> float:
    """How long before a tile's start its reports are read, s."""
    return horizon_s(cfg)


def tile_s(cfg: FuseConfig) -> float:
    """The configuration's tile length, s (a clear error when it has none)."""
    if cfg.tile_s is None or not cfg.tile_s > 0:
        raise ValueError(f"fusion tiles need tile_s > 0, found {cfg.tile_s!r}")
    return float(cfg.tile_s)


def context_s(cfg: FuseConfig) -> float:
    """How long before a tile's start its reports are read for corroboration, s:
    the lead, plus how far back corroboration looks for a microphone that was
    listening (``unheard_alive_s``). Corroboration looks no further ahead than
    the horizon: a tile need not wait for later evidence."""
    return lead_s(cfg) + cfg.corroboration.unheard_alive_s


def bounds(k: int, cfg: FuseConfig) -> tuple[float, float]:
    """The emission-time core ``[lo, hi)`` of tile ``k``, s."""
    ts = tile_s(cfg)
    return k * ts, (k + 1) * ts


def window(k: int, cfg: FuseConfig) -> tuple[float, float]:
    """The perceived times ``[lo - lead, hi + horizon)`` tile ``k`` reads, s."""
    lo, hi = bounds(k, cfg)
    return lo - lead_s(cfg), hi + horizon_s(cfg)


def tiles_of(times_s: F8, cfg: FuseConfig) -> list[int]:
    """The tiles whose window holds at least one of ``times_s`` (sorted), ascending."""
    if times_s.shape[0] == 0:
        return []
    t = np.sort(times_s)
    ts = tile_s(cfg)
    ks = np.arange(
        math.floor((float(t[0]) - horizon_s(cfg)) / ts),
        math.floor((float(t[-1]) + lead_s(cfg)) / ts) + 1,
    )
    lo = ks * ts - lead_s(cfg)
    hi = (ks + 1) * ts + horizon_s(cfg)
    n = np.searchsorted(t, hi, side="left") - np.searchsorted(t, lo, side="left")
    return [int(k) for k in ks[n > 0]]


def sector_of_km(ids: Sequence[str], from_km: F8, to_km: F8, km: F8) -> npt.NDArray[np.object_]:
    """The sector containing each chainage (``[from_km, to_km)``, first in order,
    as ``Mandate.sector_of_chainage``), else the nearest one."""
    inside = (from_km[None, :] <= km[:, None]) & (km[:, None] < to_km[None, :])
    gap = np.maximum(from_km[None, :] - km[:, None], km[:, None] - to_km[None, :])
    gap = np.where(inside, -1.0, np.maximum(gap, 0.0))
    return np.asarray(ids, dtype=object)[np.argmin(gap, axis=1)]


@dataclass(frozen=True)
class Sectors:
    """The configuration's sectors as chainage intervals along the contact line (km)."""

    ids: tuple[str, ...]
    from_km: F8
    to_km: F8
    halo_km: float
    line: GeoLine | None

    @staticmethod
    def of(cfg: FuseConfig) -> Sectors:
        if not cfg.sectors_km or cfg.contact_line_lonlat is None:
            return Sectors((WHOLE,), np.array([-np.inf]), np.array([np.inf]), 0.0, None)
        return Sectors(
            tuple(s[0] for s in cfg.sectors_km),
            np.array([s[1] for s in cfg.sectors_km], float),
            np.array([s[2] for s in cfg.sectors_km], float),
            cfg.halo_km,
            _line(cfg.contact_line_lonlat),
        )

    def chainage_km(self, lat: F8, lon: F8) -> F8:
        """Chainage of the nearest point of the contact line, km (0 without one)."""
        if self.line is None or lat.shape[0] == 0:
            return np.zeros(lat.shape[0])
        return np.asarray(self.line.nearest(lat, lon).chainage_m, float) / 1000.0

    def sector_of_km(self, km: F8) -> npt.NDArray[np.object_]:
        return sector_of_km(self.ids, self.from_km, self.to_km, km)

    def in_halo(self, sector: str, km: F8) -> npt.NDArray[np.bool_]:
        """Which chainages lie within ``sector`` widened by the halo."""
        i = self.ids.index(sector)
        return (km >= self.from_km[i] - self.halo_km) & (km <= self.to_km[i] + self.halo_km)

    def owners(self, events: Sequence[Event]) -> list[str]:
        """The sector owning each event: where it happened, else where it was heard."""
        if self.line is None:
            return [WHOLE] * len(events)
        lat = np.array([_first(e.lat, e.observer_lat) for e in events], float)
        lon = np.array([_first(e.lon, e.observer_lon) for e in events], float)
        out = [self.ids[0]] * len(events)
        ok = np.flatnonzero(np.isfinite(lat) & np.isfinite(lon))
        if ok.shape[0]:
            km = self.chainage_km(lat[ok], lon[ok])
            for i, s in zip(ok.tolist(), self.sector_of_km(km), strict=True):
                out[i] = str(s)
        return out


@functools.lru_cache(maxsize=4)
def _line(coords: tuple[tuple[float, float], ...]) -> GeoLine:
    return GeoLine.from_lonlat(list(coords))


def _first(*vals: float | None) -> float:
    for v in vals:
        if v is not None:
            return v
    return math.nan


def _owned(events: list[Event], sectors: Sectors, sector: str, lo: float, hi: float) -> list[Event]:
    core = [e for e in events if lo <= e.time_s < hi]
    return [e for e, s in zip(core, sectors.owners(core), strict=True) if s == sector]


def _tile_rows(obs: ObservationArrays, tile: Tile, cfg: FuseConfig) -> tuple[IP, IP]:
    """Rows of ``obs`` (canonical) a tile reads: its corroboration context
    (``[lo - context_s, hi + horizon_s)``) and, within it, its fusion window, both
    acoustic/visual and within the sector's halo."""
    sectors = Sectors.of(cfg)
    lo, _ = bounds(tile.k, cfg)
    a, b = window(tile.k, cfg)
    t = obs.time_s
    ctx = np.arange(
        int(np.searchsorted(t, lo - context_s(cfg), "left")), int(np.searchsorted(t, b, "left"))
    )
    ctx = ctx[obs.kind[ctx] != K_SIGHTING]
    if sectors.line is not None and ctx.shape[0]:
        km = sectors.chainage_km(obs.lat[ctx], obs.lon[ctx])
        ctx = ctx[sectors.in_halo(tile.sector, km)]
    return ctx, ctx[obs.time_s[ctx] >= a]


def fuse_tile(
    obs: ObservationArrays,
    tile: Tile,
    cfg: FuseConfig,
    registration: ObserverRegistration | None = None,
    first: Association | None = None,
) -> list[Event]:
    """The events of one tile from ``obs``: canonical acoustic/visual rows (any
    superset of the tile's context, ``[lo - context_s, hi + horizon_s)``;
    sightings are ignored). Fused from the window's reports, corroborated on the
    tile's events and the context's reports (both within the sector's halo).
    ``registration``: the observers' over many tiles (default: the tile's own).
    ``first``: the tile's first association (:func:`tile_first`), reused where
    ``registration`` does not matter for the tile's reports."""
    from ceasefire.fuse.engine import fuse_whole

    ctx, rows = _tile_rows(obs, tile, cfg)
    if rows.shape[0] == 0:
        return []
    lo, hi = bounds(tile.k, cfg)
    context = obs.take(ctx)
    events = corroborate(
        fuse_whole(obs.take(rows), cfg, registration, first),
        cfg.corroboration,
        context,
        cfg.speed_of_sound_m_s,
    )
    return _owned(events, Sectors.of(cfg), tile.sector, lo, hi)


def batch_cut(cfg: FuseConfig) -> FuseConfig:
    """The tiles a batch fuses in. Registering observers per tile, it fuses the
    live workers' own tiles (``tile_s`` x sectors): the same events as the
    workers. Registering them over the run it differs from the workers anyway, so
    it takes tiles of ``run_tile_s`` over the whole line: every report is fused
    ~(run_tile_s + lead + horizon) / run_tile_s times (1.4 at an hour) instead of
    ~3.2 x the sectors' halo overlap (~1.9 on the Donbas line) at 600 s."""
    if cfg.register_over != "run":
        return cfg
    return replace(cfg, tile_s=max(cfg.run_tile_s, tile_s(cfg)), sectors_km=())


def tile_first(
    obs: ObservationArrays,
    tile: Tile,
    cfg: FuseConfig,
    span: tuple[float, float] | None = None,
) -> tuple[Part, Association | None]:
    """A tile's first association (None without reports) and its share of a
    registration pooled over tiles: the residuals of the events that association
    finds emitted in its core (and in ``span``, s), and the observers' names by
    code (``engine.registration_residuals``)."""
    from ceasefire.fuse.engine import registration_residuals

    _, rows = _tile_rows(obs, tile, cfg)
    if rows.shape[0] == 0:
        return (np.zeros(0, str), Residuals.empty()), None
    lo, hi = bounds(tile.k, cfg)
    if span is not None:
        lo, hi = max(lo, span[0]), min(hi, span[1])
    names, res, first = registration_residuals(obs.take(rows), cfg, (lo, hi))
    return (names, res), first


def pooled(parts: Sequence[Part], cfg: RegistrationConfig) -> ObserverRegistration:
    """One registration by observer name from many windows' residuals."""
    names = np.unique(np.concatenate([p[0] for p in parts])) if parts else np.zeros(0, str)
    res = Residuals.concat(
        [r.recode(np.searchsorted(names, n).astype(np.intp)) for n, r in parts if len(n)]
    )
    return ObserverRegistration(names, estimate(res, names.shape[0], cfg))


def fuse_sightings(
    obs: ObservationArrays, cfg: FuseConfig, own: Sequence[str] | None = None
) -> list[Event]:
    """Tracks of the sightings in ``obs`` (canonical rows), per sector of ``own``
    (default: every sector) from the sightings within its halo, kept by owner."""
    from ceasefire.fuse.engine import fuse_whole

    sectors = Sectors.of(cfg)
    rows = np.flatnonzero(obs.kind == K_SIGHTING)
    if rows.shape[0] == 0:
        return []
    km = sectors.chainage_km(obs.lat[rows], obs.lon[rows])
    out: list[Event] = []
    for s in own if own is not None else sectors.ids:
        mine = rows[sectors.in_halo(s, km)] if sectors.line is not None else rows
        if mine.shape[0]:
            out += _owned(fuse_whole(obs.take(mine), cfg), sectors, s, -math.inf, math.inf)
    return out


def _job(
    args: tuple[
        ObservationArrays, Tile, FuseConfig, ObserverRegistration | None, Association | None
    ],
) -> list[Event]:
    return fuse_tile(*args)


def _first_job(
    args: tuple[ObservationArrays, Tile, FuseConfig, tuple[float, float] | None],
) -> tuple[Part, Association | None]:
    return tile_first(*args)


def _jobs(
    obs: ObservationArrays, cfg: FuseConfig, span: tuple[float, float] | None
) -> Iterator[Job]:
    """Each tile with the rows of its window (a small copy for a worker process)."""
    sectors = Sectors.of(cfg)
    ac = obs.take(np.flatnonzero(obs.kind != K_SIGHTING))
    t = ac.time_s
    for k in tiles_of(t, cfg):
        lo, hi = bounds(k, cfg)
        if span is not None and (hi <= span[0] or lo >= span[1]):
            continue
        b = window(k, cfg)[1]
        a = lo - context_s(cfg)
        part = ac.take(np.arange(int(np.searchsorted(t, a)), int(np.searchsorted(t, b))))
        for s in sectors.ids:
            yield part, Tile(k, s), cfg


def pools_registration(cfg: FuseConfig) -> bool:
    """Whether observers are registered over the run (``register_over`` run,
    registration on): fusing then needs every tile's part first."""
    return cfg.register_over == "run" and cfg.association.registration.enabled


def first_pass(
    obs: ObservationArrays,
    cfg: FuseConfig,
    *,
    workers: int = 1,
    span: tuple[float, float] | None = None,
) -> tuple[list[Part], Firsts]:
    """A first association of each of the batch's tiles of ``obs`` (canonical
    rows) whose core meets ``span`` (:func:`tile_first`): the tiles' shares of a
    registration (a day read in parts is registered by :func:`pooled` of every
    part's), and the associations by tile, for ``fuse_tiles(firsts=...)`` on
    the same rows."""
    jobs = list(_jobs(obs, batch_cut(cfg), span))
    parts: list[Part] = []
    firsts: Firsts = {}
    with _mapper(workers, len(jobs)) as run:
        for job, (part, first) in zip(
            jobs, run(_first_job, [(*j, span) for j in jobs]), strict=True
        ):
            parts.append(part)
            if first is not None:
                firsts[job[1]] = first
    return parts, firsts


def fuse_tiles(
    obs: ObservationArrays,
    cfg: FuseConfig,
    *,
    workers: int = 1,
    on_tile: Callable[[int, int], None] | None = None,
    span: tuple[float, float] | None = None,
    registration: ObserverRegistration | None = None,
    firsts: Mapping[Tile, Association] | None = None,
) -> list[Event]:
    """Every tile's acoustic/visual events of ``obs`` (canonical rows), fused
    serially or over ``workers`` processes; ``on_tile(done, total)`` as each ends.
    ``span``: only the tiles whose core meets ``[start, end)``, s. The tiles are
    :func:`batch_cut`'s. When observers are registered over the run
    (:func:`pools_registration`), every tile's first association gives its part
    first, pooled into one registration, unless ``registration`` is given (a day
    read in parts: :func:`pooled` of every part's :func:`first_pass`, whose
    ``firsts`` of the same rows may come along); every tile is then fused with
    it, reusing its first association where that registration does not matter
    for it. Otherwise each tile registers its own."""
    jobs = list(_jobs(obs, batch_cut(cfg), span))
    tell = on_tile or (lambda _done, _total: None)
    over_run = pools_registration(cfg)
    pool = over_run and registration is None and len(jobs) > 0
    total = len(jobs) * (2 if pool else 1)
    done = 0
    kept: Mapping[Tile, Association] = firsts if over_run and firsts is not None else {}
    # a tile's passes (here, when fused in this process) and its neighbours' share
    # the frames about one origin
    with frames_shared(), _mapper(workers, len(jobs)) as run:
        reg = registration if over_run else None
        if pool:
            parts: list[Part] = []
            mine: Firsts = {}
            for job, (part, first) in zip(
                jobs, run(_first_job, [(*j, span) for j in jobs]), strict=True
            ):
                parts.append(part)
                if first is not None:
                    mine[job[1]] = first
                done += 1
                tell(done, total)
            reg = pooled(parts, cfg.association.registration)
            kept = mine
        out: list[Event] = []
        for part in run(
            _job, [(*j, reg, kept.get(j[1]) if reg is not None else None) for j in jobs]
        ):
            out += part
            done += 1
            tell(done, total)
    return out


@contextlib.contextmanager
def _mapper(workers: int, n: int) -> Iterator[Callable[..., Iterator[Any]]]:
    """``map`` in this process, or over a pool of ``workers`` processes (in order)."""
    if workers <= 1 or n <= 1:
        yield map
        return
    with ProcessPoolExecutor(max_workers=workers) as ex:
        yield functools.partial(ex.map, chunksize=2)


__all__ = [
    "Firsts",
    "Part",
    "Sectors",
    "Tile",
    "batch_cut",
    "bounds",
    "canonical",
    "context_s",
    "first_pass",
    "fuse_sightings",
    "fuse_tile",
    "fuse_tiles",
    "horizon_s",
    "lead_s",
    "longest_flight_s",
    "pooled",
    "pools_registration",
    "sector_of_km",
    "tile_first",
    "tile_s",
    "tiles_of",
    "window",
]
