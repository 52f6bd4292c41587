"""The batch's second pass reuses a tile's first association where the day's
registration does not matter for the tile (fuse/tiles.py, engine._fuse_acoustic):
the same events as associating again, and a second association where it matters."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fuse_scenes import T0, Scene

from ceasefire.fuse import FuseConfig, engine, fuse
from ceasefire.fuse import tiles as tl
from ceasefire.mandate import load_mandate
from ceasefire.model.arrays import ObservationArrays
from ceasefire.model.results import Event
from ceasefire.pipeline import fuse_config
from ceasefire.simulate import get_profile, simulate

# every test of the module on one worker: its module fixtures are made once, not
# once a worker
pytestmark = pytest.mark.xdist_group("fuse-tiles-reuse")

ROOT = Path(__file__).resolve().parents[2]
POSTS = [(-6_000.0, -500.0), (500.0, -6_000.0), (6_000.0, 300.0), (0.0, 6_500.0)]


class Counted:
    """``engine._associate`` counted; ``reuse`` False: ``_fuse_acoustic`` never
    given a first association (every second pass associates again)."""

    def __init__(self, mp: pytest.MonkeyPatch, reuse: bool) -> None:
        self.calls = 0
        assoc, acoustic = engine._associate, engine._fuse_acoustic

        def counted(*a: Any) -> Any:
            self.calls += 1
            return assoc(*a)

        def without(obs: Any, rows: Any, cfg: Any, reg: Any = None, first: Any = None) -> Any:
            return acoustic(obs, rows, cfg, reg, None)

        mp.setattr(engine, "_associate", counted)
        if not reuse:
            mp.setattr(engine, "_fuse_acoustic", without)


def _fused(obs: ObservationArrays, cfg: FuseConfig, reuse: bool) -> tuple[list[Event], int]:
    with pytest.MonkeyPatch.context() as mp:
        c = Counted(mp, reuse)
        return fuse(obs, cfg), c.calls


def _key(events: list[Event]) -> list[tuple[Any, ...]]:
    return [(e.id, e.time_s, e.lat, e.lon, e.cov_m2, e.flags) for e in events]


@dataclass(frozen=True)
class Heavy:
    """3 h of the heavy demo day's acoustic and visual reports (canonical; the
    Donbas mandate's fusion: its line and sectors, the batch's hour-long tiles
    registering over the run, one process), fused without reuse."""

    obs: ObservationArrays
    cfg: FuseConfig
    again: list[Event]
    calls: int


@pytest.fixture(scope="module")
def heavy() -> Heavy:
    m = load_mandate(ROOT / "examples" / "donbas-2015" / "mandate.yaml")
    t0 = datetime(2025, 6, 1, 11, tzinfo=m.tz).timestamp()
    obs = simulate(m, get_profile("heavy"), t0, 3.0, 2015).observations
    # sightings make tracks over all of each call's input, not in tiles
    obs = tl.canonical(obs.take(np.flatnonzero(obs.kind != tl.K_SIGHTING)))
    cfg = replace(fuse_config(m), workers=1)
    return Heavy(obs, cfg, *_fused(obs, cfg, reuse=False))


def test_reuse_gives_the_events_of_a_second_association(heavy: Heavy) -> None:
    assert tl.pools_registration(heavy.cfg)
    kept, calls = _fused(heavy.obs, heavy.cfg, reuse=True)
    assert len(heavy.again) > 300
    assert _key(kept) == _key(heavy.again)
    # without reuse every tile (with reports) is associated twice; the day's
    # registration matters for none of these tiles: the second pass associates none
    assert heavy.calls % 2 == 0 and calls == heavy.calls // 2 >= 4


def test_a_day_in_parts_reuses_each_parts_first_associations(heavy: Heavy) -> None:
    obs, cfg = heavy.obs, heavy.cfg
    cut = (math.floor(float(obs.time_s.min()) / 3_600.0) + 2) * 3_600.0
    spans = [(-math.inf, cut), (cut, math.inf)]
    firsts: list[tl.Firsts] = []
    parts: list[tl.Part] = []
    for sp in spans:
        got, kept = tl.first_pass(obs, cfg, span=sp)
        parts += got
        firsts.append(kept)
    assert all(firsts) and set(firsts[0]).isdisjoint(firsts[1])
    reg = tl.pooled(parts, cfg.association.registration)
    with pytest.MonkeyPatch.context() as mp:
        c = Counted(mp, reuse=True)
        in_parts = [
            e
            for sp, kept in zip(spans, firsts, strict=True)
            for e in fuse(obs, cfg, span=sp, registration=reg, firsts=kept)
        ]
    assert c.calls == 0, "every tile's association came from its first pass"
    assert sorted(_key(in_parts)) == sorted(_key(heavy.again))


def _clock_off(n: int) -> ObservationArrays:
    """``n`` explosions every 97 s heard by four posts 6 km about the origin,
    post 2's clock 4 s fast (its stated time σ is 1 s)."""
    rng = np.random.default_rng(7)
    sc = Scene()
    for k in range(n):
        ev = (float(rng.uniform(-2_000, 2_000)), float(rng.uniform(-2_000, 2_000)))
        for j, (ox, oy) in enumerate(POSTS):
            sc.bearing(
                f"e{k}o{j}", f"obs{j}", (ox, oy), ev, T0 + 97.0 * k + (4.0 if j == 2 else 0.0),
                noise_deg=float(rng.normal(0, 1.0)), noise_t_s=float(rng.normal(0, 0.3)),
            )  # fmt: skip
    return tl.canonical(sc.arrays())


def test_where_the_registration_matters_the_second_pass_associates_again() -> None:
    cfg = FuseConfig(tile_s=600.0, register_over="run", run_tile_s=3_600.0, workers=1)
    obs = _clock_off(110)
    n_tiles = len(list(tl._jobs(obs, tl.batch_cut(cfg), None)))
    again, calls_again = _fused(obs, cfg, reuse=False)
    kept, calls_kept = _fused(obs, cfg, reuse=True)
    assert calls_kept == calls_again == 2 * n_tiles
    assert _key(kept) == _key(again) and len(kept) > 50


def test_reuse_across_the_tiles_worker_processes(heavy: Heavy) -> None:
    # the first associations come back from the workers and go out again with pass 2
    cfg = replace(heavy.cfg, workers=2, parallel_min_obs=0)
    assert _key(fuse(heavy.obs, cfg)) == _key(heavy.again)
