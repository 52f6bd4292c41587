"""Fusion settings: the physical frame, and each stage's own config (units in
names). ``FuseConfig`` is the aggregate a caller builds or replaces parts of."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ceasefire.fuse.association import AssociationConfig
from ceasefire.fuse.corroborate import CorroborationConfig
from ceasefire.fuse.pairing import LaunchPairConfig
from ceasefire.fuse.raypairs import RayPairConfig
from ceasefire.fuse.tracks import TrackConfig
from ceasefire.model.vocab import SPEED_OF_SOUND_M_S


@dataclass(frozen=True)
class FuseConfig:
    """Knobs of :func:`ceasefire.fuse.fuse`. The defaults suit ground observers and
    acoustic sensors hearing artillery, mortars and small arms at up to ~30 km.
    E.g. ``FuseConfig(launches=LaunchPairConfig(speed_spread=0.1))``."""

    #: speed of sound, m/s
    speed_of_sound_m_s: float = SPEED_OF_SOUND_M_S
    #: farthest an observer or sensor perceives an event, m (bounds rays and gates)
    max_range_m: float = 30_000.0
    #: event kinds seen rather than heard: their perceived time is the emission time
    light_kinds: tuple[str, ...] = ("flare",)
    #: arrival-only (TDOA) events need this many distinct sensors (and so does an
    #: association event of arrivals alone)
    min_tdoa_sensors: int = 4
    #: 95 % semi-major axis above which a fix is flagged ``wide_fix``, m
    wide_fix_m: float = 2_000.0
    #: the contact line as (lon, lat) vertices, when known: fire is aimed across it
    #: (launch and ray pairing price a pair on one side, ``same_side_cost``)
    contact_line_lonlat: tuple[tuple[float, float], ...] | None = None
    #: association of bearings and arrivals into events, role by role
    #: (fuse/association/)
    association: AssociationConfig = field(default_factory=AssociationConfig)
    #: launch/impact pairing of located events, and the weapons' flight by name
    launches: LaunchPairConfig = field(default_factory=LaunchPairConfig)
    #: lone bearings paired with the other phase of their round (fuse/raypairs.py)
    ray_pairs: bool = True
    rays: RayPairConfig = field(default_factory=RayPairConfig)
    #: when a lone report counts as corroborated (fuse/corroborate.py)
    corroboration: CorroborationConfig = field(default_factory=CorroborationConfig)
    #: sightings into tracks (fuse/tracks.py)
    tracks: TrackConfig = field(default_factory=TrackConfig)
    #: an event's covariance is multiplied by its fit's chi-square per degree of
    #: freedom when that is above 1 (at most ``inflate_max``): a fix whose reports
    #: disagree more than their stated noise is less certain than the linearized
    #: covariance says (heavy day: 95 % ellipses held the truth 82.0 % -> 83.4 %,
    #: attribution log loss 0.399 -> 0.391)
    inflate_cov: bool = True
    inflate_max: float = 100.0
    #: parallelism: worker processes (None: one per core)
    workers: int | None = None
    #: inputs smaller than this are fused in this process
    parallel_min_obs: int = 5_000
    #: time tiles (fuse/tiles.py): acoustic events are fused per tile of this many
    #: seconds on a grid anchored at the epoch, the same in the batch and live
    #: (None: the whole input as one window, no live equivalence)
    tile_s: float | None = 600.0
    #: over what observers are registered (clock offset, noise scale:
    #: fuse/association/registration.py) when fusion is tiled. "tile": each tile
    #: from its own window alone, as a live worker must (it cannot wait for the
    #: day's end); the batch then fuses the workers' tiles and gives their events
    #: exactly. "run": over every tile of the call (a day), so that every tile
    #: judges an observer alike and a round straddling a tile edge is associated
    #: the same on both sides; the batch then fuses in tiles of ``run_tile_s`` over
    #: the whole line (fuse/tiles.py ``batch_cut``). Family test draws 0-39
    #: (benchmarks/bench_registration.py), F1 change against one window: tile mean
    #: -0.017, worst -0.144; run mean -0.0025, worst -0.048
    register_over: Literal["run", "tile"] = "run"
    #: the batch's tiles when registering over the run, s
    run_tile_s: float = 3600.0
    #: uncertainty of report times added to a tile's margins, s
    tile_margin_s: float = 10.0
    #: sectors of the contact line as (id, from_km, to_km) chainage intervals: a
    #: tile is also one sector, fused with the reports within ``halo_km`` of it
    sectors_km: tuple[tuple[str, float, float], ...] = ()
    halo_km: float = 60.0
