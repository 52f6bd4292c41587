"""Speeds measured over the run (fuse/speedcal.py, fuse/tiles.py): each tile's first
pass gives its clear launch/impact pairs, pooled like the observers' clocks; every
tile is then paired with the run's measured speeds. The pool is the same whatever
the cut into parts or the number of workers, and a tile too quiet to measure its
own speeds tells a burst's launches apart by the run's."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
from fuse_scenes import T0, Scene

from ceasefire.fuse import FuseConfig, fuse
from ceasefire.fuse import tiles as tl
from ceasefire.fuse.speedcal import SpeedPairs, measured

#: the batch's hour-long tiles, observers registered (and speeds measured) over the run
RUN = FuseConfig(tile_s=600.0, register_over="run", run_tile_s=3_600.0, workers=1)
#: four posts about the line between the launches (x -5 km) and impacts (x +5 km)
POSTS = [(-7_000.0, 6_000.0), (7_000.0, 6_500.0), (0.0, -7_000.0), (0.0, 8_000.0)]
V_ART = RUN.launches.weapons["artillery"].speed_m_s
#: the rounds fly at 0.8 x the prior's mean speed (a 15 % spread: a 1.5 sigma miss)
V = 0.8 * V_ART


def _round(sc: Scene, tag: str, t: float, y: float, impact: bool = True) -> None:
    """A round fired at ``t`` from (-5 km, y) landing at (+5 km, y), its firing and
    (``impact``) its explosion heard by every post."""
    rng = np.random.default_rng(abs(hash(tag)) % 2**32)
    legs = [("L", (-5_000.0, y), t, "firing", "outgoing")]
    if impact:
        legs.append(("I", (5_000.0, y), t + 10_000.0 / V, "explosion", "incoming"))
    for leg, xy, te, ev, di in legs:
        for j, p in enumerate(POSTS):
            sc.bearing(
                f"{tag}{leg}{j}", f"post{j}", p, xy, te, event=ev, direction=di,
                sigma_deg=1.0, time_sigma_s=0.3, noise_deg=float(rng.normal(0, 0.3)),
                noise_t_s=float(rng.normal(0, 0.1)),
            )  # fmt: skip


def _day() -> Scene:
    """Three hours, two rounds an hour (no tile measures its own speeds: fewer
    than ``speed_min_pairs`` clear pairs each); in the second hour a burst: two
    launches from one spot 5 s apart, only the first round's impact heard."""
    sc = Scene()
    t0 = (math.floor(T0 / 3_600.0) + 1) * 3_600.0
    for h in range(3):
        for k in range(2):
            _round(sc, f"h{h}r{k}", t0 + 3_600.0 * h + 1_200.0 * (k + 1), 3_000.0 * k - 2_000.0)
    burst = t0 + 3_600.0 + 3_300.0
    _round(sc, "b0", burst, 3_000.0)
    _round(sc, "b1", burst + 5.0, 3_000.0, impact=False)
    return sc


def _pool(parts: list[tl.Part]) -> SpeedPairs:
    return tl.pooled(parts, RUN.association.registration).speeds


def _sorted(p: SpeedPairs) -> np.ndarray:
    a = np.stack([p.dist_m, p.flight_s, p.weapon.astype(float), p.rel_sd], 1)
    return a[np.lexsort(a.T[::-1])]


def test_the_run_measures_the_speed_no_tile_can() -> None:
    obs = tl.canonical(_day().arrays())
    parts, _ = tl.first_pass(obs, RUN)
    per_tile = [len(p[2]) for p in parts]
    assert max(per_tile) < RUN.launches.speed_min_pairs <= sum(per_tile)
    pool = _pool(parts)
    got = measured(RUN.launches, pool.dist_m, pool.flight_s, pool.weapon, pool.rel_sd)
    assert abs(got.weapons["artillery"].speed_m_s / V - 1.0) < 0.02
    # one tile's pairs alone leave the prior
    one = parts[int(np.argmax(per_tile))][2]
    assert measured(RUN.launches, one.dist_m, one.flight_s, one.weapon, one.rel_sd) is RUN.launches


def test_the_pool_is_the_same_for_any_cut_and_any_workers() -> None:
    obs = tl.canonical(_day().arrays())
    whole = _pool(tl.first_pass(obs, RUN)[0])
    two = _pool(tl.first_pass(obs, RUN, workers=2)[0])
    for f in ("dist_m", "flight_s", "weapon", "rel_sd"):
        np.testing.assert_array_equal(getattr(whole, f), getattr(two, f))
    cut = (math.floor(T0 / 3_600.0) + 2) * 3_600.0 + 1_800.0  # inside a tile
    spans = ((-math.inf, cut), (cut, math.inf))
    parts = [p for sp in spans for p in tl.first_pass(obs, RUN, span=sp)[0]]
    np.testing.assert_array_equal(_sorted(_pool(parts)), _sorted(whole))


def _burst_launch(cfg: FuseConfig) -> str:
    """Which burst launch the burst's one impact was paired with."""
    obs = _day().arrays()
    (ev,) = [e for e in fuse(obs, cfg) if "b0I0" in e.observation_ids]
    got = {i[:2] for i in ev.observation_ids if i[2] == "L"}
    assert len(got) == 1, ev.observation_ids
    return got.pop()


def test_a_quiet_tile_tells_a_bursts_launches_apart_by_the_runs_speeds() -> None:
    # each tile measuring alone keeps the prior: the second launch's 5 s shorter
    # flight fits 330 m/s better
    assert _burst_launch(replace(RUN, register_over="tile")) == "b1"
    # the run's measured speed pairs the impact with its own launch
    assert _burst_launch(RUN) == "b0"
    # measuring off: the prior, as a tile alone
    off = replace(RUN, launches=replace(RUN.launches, speed_from_pairs=False))
    assert _burst_launch(off) == "b1"
