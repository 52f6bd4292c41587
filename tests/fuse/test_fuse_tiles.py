"""Tiles (fuse/tiles.py): a grid anchored at the epoch, a tile's events made from
its window's reports alone, each event kept by exactly one tile and one sector."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from fuse_scenes import T0, Scene, latlon

from ceasefire.fuse import FuseConfig, fuse
from ceasefire.fuse import tiles as tl

CFG = FuseConfig(tile_s=600.0)
#: Four posts 6 km about the origin.
POSTS = [(-6_000.0, -500.0), (500.0, -6_000.0), (6_000.0, 300.0), (0.0, 6_500.0)]


def _scene(n: int, every_s: float, x0: float = 0.0, tag: str = "") -> Scene:
    """``n`` explosions ``every_s`` apart near (x0, 0), each heard by the four posts
    (shifted by x0)."""
    rng = np.random.default_rng(7)
    sc = Scene()
    for k in range(n):
        ev = (x0 + float(rng.uniform(-2_000, 2_000)), float(rng.uniform(-2_000, 2_000)))
        for j, (ox, oy) in enumerate(POSTS):
            sc.bearing(
                f"{tag}e{k}o{j}", f"{tag}obs{j}", (x0 + ox, oy), ev, T0 + every_s * k,
                noise_deg=float(rng.normal(0, 1.0)), noise_t_s=float(rng.normal(0, 0.3)),
            )  # fmt: skip
    return sc


def test_the_grid_is_anchored_at_the_epoch_and_margins_come_from_the_physics() -> None:
    # 30 km at 343 m/s, plus the longest flight the pairing accepts, plus 10 s
    h = 30_000.0 / 343.0 + tl.longest_flight_s(CFG) + 10.0
    assert abs(tl.horizon_s(CFG) - h) < 1e-9 and tl.lead_s(CFG) == tl.horizon_s(CFG)
    assert tl.bounds(2_833_334, CFG) == (2_833_334 * 600.0, 2_833_335 * 600.0)
    # one report: exactly the tiles whose window [lo - lead, hi + horizon) holds it
    t = 1_700_000_123.0
    ks = tl.tiles_of(np.array([t]), CFG)
    want = [
        k
        for k in range(int(t // 600) - 10, int(t // 600) + 10)
        if k * 600.0 - h <= t < (k + 1) * 600.0 + h
    ]
    assert ks == want and len(ks) >= 2


def test_a_tile_depends_only_on_the_reports_of_its_window() -> None:
    obs = tl.canonical(_scene(40, 97.0).arrays())
    k = int(T0 // 600) + 2
    alone = tl.fuse_tile(obs, tl.Tile(k, tl.WHOLE), CFG)
    assert alone, "the tile's core holds explosions"
    lo, hi = tl.bounds(k, CFG)
    assert all(lo <= e.time_s < hi for e in alone)
    # reports outside the tile's window (two hours later) change nothing
    more = _scene(20, 97.0).arrays()
    more.time_s[:] += 7_200.0
    with_far = tl.canonical(type(obs).concat([obs, more]))
    assert tl.fuse_tile(with_far, tl.Tile(k, tl.WHOLE), CFG) == alone


def test_tiles_keep_each_event_once_and_sectors_split_the_line() -> None:
    # two clusters of fire 100 km apart along a west-east line, one per sector
    west = _scene(30, 61.0, x0=-50_000.0, tag="w")
    east = _scene(30, 61.0, x0=50_000.0, tag="e")
    obs = type(west.arrays()).concat([west.arrays(), east.arrays()])
    line = (latlon(-120_000.0, 0.0)[::-1], latlon(120_000.0, 0.0)[::-1])
    base = replace(CFG, contact_line_lonlat=line)
    whole = fuse(obs, base)
    split = fuse(obs, replace(base, sectors_km=(("west", 0.0, 120.0), ("east", 120.0, 240.0))))
    ids = [e.id for e in split]
    assert len(ids) == len(set(ids)), "an event kept by two tiles or two sectors"
    # the clusters are 100 km apart, beyond the 60 km halo's reach of each other:
    # each sector's tiles hold all the reports of its own fire, so the split
    # changes nothing
    assert sorted(ids) == sorted(e.id for e in whole)
    assert sum(e.n_observers >= 3 for e in split) >= 50
    sectors = tl.Sectors.of(
        replace(base, sectors_km=(("west", 0.0, 120.0), ("east", 120.0, 240.0)))
    )
    owners = sectors.owners(split)
    assert {o for o, e in zip(owners, split, strict=True) if e.lon is not None} == {"west", "east"}
