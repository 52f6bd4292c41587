"""A far seed's microphone pairs read against its point (``association/direction.py``):
the slack along the ray and across it, pairs of different arrays left alone, and a
two-arrival far seed holding another round's arrival refused."""

from __future__ import annotations

import math

import numpy as np
from fuse_scenes import T0, Scene
from test_fuse_scale import _reports, _rows_of

from ceasefire.fuse.association import Reports, SeedConfig
from ceasefire.fuse.association.direction import DirectionConfig, tdoa_agrees
from ceasefire.fuse.association.seeding import ray_seeds
from ceasefire.fuse.solve import Rows

C = 343.0
SRC = (0.0, 6_000.0)


def _post_and_mics(mics: list[tuple[float, float]], late_s: list[float]) -> Reports:
    """Row 0: a post at the origin bearing due north (2 deg sd) on a source at
    ``SRC`` emitting at 0; rows 1..: microphones at ``mics`` hearing it exactly,
    each ``late_s`` later."""
    n = 1 + len(mics)
    x = np.array([0.0] + [m[0] for m in mics])
    y = np.array([0.0] + [m[1] for m in mics])
    d = np.hypot(x - SRC[0], y - SRC[1])
    t = d / C + np.array([0.0, *late_s])
    nan = np.full(n, np.nan)
    az = nan.copy()
    az[0] = 0.0
    saz = nan.copy()
    saz[0] = math.radians(2.0)
    st = np.full(n, 0.003)
    st[0] = 1.0
    rows = Rows(x, y, az, saz, t, st, np.ones(n), nan, nan)
    return Reports(rows, np.arange(n, dtype=np.intp), np.full(n, 2, np.int8), C, 30_000.0)


def _agrees(rep: Reports, slide_m: float, cfg: DirectionConfig) -> bool:
    return tdoa_agrees(rep, 0, np.array([1, 2]), SRC[0], SRC[1], slide_m, cfg)


def test_a_pair_along_the_ray_may_slide_the_point_within_the_window() -> None:
    # microphones 20 km east of the source, 4 km apart north-south: the difference
    # of their distances changes by ~0.199 m per m along the (northward) ray and
    # not across it; its time sd is 343 x sqrt(2 x 0.003² + 2 x 0.01²) ~ 5 m
    mics = [(20_000.0, 4_000.0), (20_000.0, 8_000.0)]
    cfg = DirectionConfig(sigmas=3.0)
    assert _agrees(_post_and_mics(mics, [0.0, 0.0]), 0.0, cfg)
    # 0.3 s late (103 m) is within 500 m of sliding (~99.5 m) plus 3 sd (~15 m)
    assert _agrees(_post_and_mics(mics, [0.0, 0.3]), 500.0, cfg)
    assert not _agrees(_post_and_mics(mics, [0.0, 0.3]), 0.0, cfg)
    # 0.4 s (137 m) is beyond either
    assert not _agrees(_post_and_mics(mics, [0.0, 0.4]), 500.0, cfg)
    # no check
    assert _agrees(_post_and_mics(mics, [0.0, 5.0]), 0.0, DirectionConfig())


def test_a_pair_across_the_ray_is_judged_by_the_bearings_sd() -> None:
    # microphones 20 km north of the source, 4 km apart east-west: the difference
    # changes ~0.199 m per m across the ray, which the bearing's 2 deg at 6 km
    # (209 m) moves by ~42 m (1 sd); sliding along the ray changes nothing
    mics = [(2_000.0, 26_000.0), (-2_000.0, 26_000.0)]
    cfg = DirectionConfig(sigmas=3.0)
    assert _agrees(_post_and_mics(mics, [0.0, 0.3]), 5_000.0, cfg)  # 103 m < ~126 m
    assert not _agrees(_post_and_mics(mics, [0.0, 0.45]), 5_000.0, cfg)  # 154 m


def test_pairs_of_microphones_far_apart_are_not_read() -> None:
    # one microphone 20 km east, one 20 km west: not one array's, left to the window.
    # Read, 5 s (1,715 m) is beyond 3 sd: their distances' difference moves 2 m per
    # m across the ray, 419 m for the bearing's 209 m
    mics = [(20_000.0, 6_000.0), (-20_000.0, 6_000.0)]
    rep = _post_and_mics(mics, [0.0, 5.0])
    assert _agrees(rep, 0.0, DirectionConfig(sigmas=3.0))
    assert not _agrees(rep, 0.0, DirectionConfig(sigmas=3.0, pair_m=50_000.0))


def _burst_scene(second_late_s: float) -> Scene:
    """A post's bearing of a source 6 km north; two microphones of an array 20 km
    east heard a round from there, the second ``second_late_s`` later (another
    round of the burst when not 0)."""
    sc = Scene()
    sc.bearing("B", "post-1", (0.0, 0.0), SRC, T0, sigma_deg=2.0, time_sigma_s=1.0)
    sc.arrival("F0", "mic-9a", (20_000.0, 4_500.0), SRC, T0)
    sc.arrival("F1", "mic-9b", (21_500.0, 7_500.0), SRC, T0 + second_late_s)
    return sc


def test_a_two_arrival_far_seed_with_another_rounds_arrival_is_refused() -> None:
    two = SeedConfig(far_arrivals=2)
    checked = SeedConfig(far_arrivals=2, direction=DirectionConfig(sigmas=3.0))
    for late in (0.0, 2.0):
        rows, src, direction = _rows_of(_burst_scene(late))
        rep = _reports(rows, src, direction)
        free = np.full(rep.n, -1, np.intp)
        # the bearing's 1 s time sd (343 m of sound) leaves the window wide enough
        # for both arrivals either way
        assert ray_seeds(rep, free, two)[2].shape[0] == 1
        got = ray_seeds(rep, free, checked)
        if late:
            # 2 s (686 m) between the pair: far beyond its 1.5 km baseline allows
            # anywhere near the ray
            assert got[2].shape[0] == 0
        else:
            assert got[2].shape[0] == 1
            x, y = float(got[2][0]), float(got[3][0])
            assert math.hypot(x - SRC[0], y - SRC[1]) < 1_000.0
