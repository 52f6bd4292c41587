"""The detection law read against a proposed source (``association/hearing.py``):
what a silent observer costs by its distance, what counts as silent, and far ray
seeds (``SeedConfig.far_m``) refused where near microphones stayed silent."""

from __future__ import annotations

import math

import numpy as np
from fuse_scenes import T0, Scene
from test_fuse_scale import _reports, _rows_of

from ceasefire.fuse.association import Reports, SeedConfig
from ceasefire.fuse.association.hearing import HearingConfig, Listeners, loss_nats, silent
from ceasefire.fuse.association.seeding import ray_seeds
from ceasefire.fuse.solve import Rows

C = 343.0


def _mics(x: list[float], y: list[float], t: list[float]) -> Reports:
    """Arrival rows at (x, y) heard at t (one microphone per distinct position)."""
    n = len(x)
    rows = Rows(
        np.array(x), np.array(y), np.full(n, np.nan), np.full(n, np.nan), np.array(t),
        np.full(n, 0.003), np.ones(n), np.full(n, np.nan), np.full(n, np.nan),
    )  # fmt: skip
    return Reports(rows, np.arange(n, dtype=np.intp), np.full(n, 2, np.int8), C, 30_000.0)


def _loss(hits_m: list[float], quiet_m: list[float], cfg: HearingConfig) -> float:
    """The loss of microphones at these distances (hits first) from one source."""
    n_h = len(hits_m)
    d = np.array(hits_m + quiet_m)
    rep = _mics(list(d), [0.0] * d.shape[0], [0.0] * d.shape[0])
    ls = Listeners.of(rep, cfg)
    order = ls.of_rows(rep, np.arange(d.shape[0]))
    return loss_nats(ls, d[np.argsort(order)], order[:n_h], order[n_h:], cfg)


def test_a_near_silent_microphone_costs_about_its_miss_probability() -> None:
    cfg = HearingConfig()
    # two hits at 20 km need a loudness of at least 8 km (nothing beyond 2.5 x):
    # a microphone 2 km away then hears with p >= 0.95 / (1 + 4e-3), so its silence
    # costs close to log 1 / (1 - 0.95) = 3.0 nats
    one = _loss([20_000.0, 21_000.0], [2_000.0], cfg)
    assert 2.5 < one < 3.05
    # two such silences cost twice as much; one twice or three times as far as the
    # hits costs little, and less the farther (a quieter round fits it)
    two = _loss([20_000.0, 21_000.0], [2_000.0, 3_000.0], cfg)
    assert 5.0 < two < 6.1
    far = [_loss([20_000.0, 21_000.0], [d], cfg) for d in (45_000.0, 60_000.0)]
    assert one / 5.0 > far[0] > far[1]
    # hits alone: nothing to lose
    assert _loss([20_000.0, 21_000.0], [], cfg) == 0.0


def test_silent_means_listening_and_nothing_near_the_arrival() -> None:
    cfg = HearingConfig()
    x0 = [0.0, 3_430.0, 6_860.0, 10_290.0]  # 0, 10, 20, 30 s of sound from the source
    # the source at x = 0 emits at T = 1000: microphone 1 reports at its arrival
    # (1010 s); 2 only 300 s before and after its arrival (listening, silent); 3
    # only before (it may have stopped: not counted); 0 is the proposal's own
    x = [x0[0], x0[1], x0[2], x0[2], x0[3]]
    t = [1000.0, 1010.5, 1020.0 - 300.0, 1020.0 + 300.0, 1030.0 - 300.0]
    rep = _mics(x, [0.0] * 5, t)
    ls = Listeners.of(rep, cfg)
    heard = ls.of_rows(rep, np.array([0]))
    quiet, d = silent(ls, C, 0.0, 0.0, 1000.0, heard, 0.0, cfg)
    assert quiet.tolist() == ls.of_rows(rep, np.array([2])).tolist()
    assert math.isclose(float(d[quiet[0]]), 6_860.0)
    # a report within the window (2 s + 3 time sd) of the arrival is "heard something"
    rep2 = _mics(x, [0.0] * 5, [1000.0, 1010.5, 1021.5, 1020.0 + 300.0, 1030.0 - 300.0])
    ls2 = Listeners.of(rep2, cfg)
    q2, _ = silent(ls2, C, 0.0, 0.0, 1000.0, ls2.of_rows(rep2, np.array([0])), 0.0, cfg)
    assert q2.shape[0] == 0


def _far_scene(near_silent: bool) -> Scene:
    """A post's bearing of a source 6 km north; three microphones of an array 20 km
    east of the source heard it. With ``near_silent``, three microphones 2-3 km
    from the source were listening (reports 300 s before and after) and did not."""
    sc = Scene()
    src = (0.0, 6_000.0)
    sc.bearing("B", "post-1", (0.0, 0.0), src, T0, sigma_deg=2.0, time_sigma_s=1.0)
    for k, a in enumerate((0.2, 2.3, 4.4)):
        m = (20_000.0 + 2_000.0 * math.sin(a), 6_000.0 + 2_000.0 * math.cos(a))
        sc.arrival(f"F{k}", f"mic-9{'abc'[k]}", m, src, T0)
    if near_silent:
        for k, m in enumerate(((2_000.0, 7_000.0), (-1_500.0, 8_500.0), (-2_000.0, 5_000.0))):
            sc.arrival(f"Q{k}a", f"mic-5{'abc'[k]}", m, src, T0 - 300.0)
            sc.arrival(f"Q{k}b", f"mic-5{'abc'[k]}", m, src, T0 + 300.0)
    return sc


def test_a_far_seed_stands_unless_near_microphones_stayed_silent() -> None:
    # three silent microphones 2-3 km from the point cost ~9 nats (> 6); none, 0
    for near_silent in (False, True):
        rows, src, direction = _rows_of(_far_scene(near_silent))
        rep = _reports(rows, src, direction)
        free = np.full(rep.n, -1, np.intp)
        # the array's microphones are 20 km from the post: no seed within 8 km
        assert ray_seeds(rep, free, SeedConfig(far_m=8_000.0))[2].shape[0] == 0
        got = ray_seeds(rep, free, SeedConfig())
        # with the check off, the far seed stands either way; asking four arrivals
        # of it (it has three), it is not made
        loose = ray_seeds(rep, free, SeedConfig(far_loss_nats=math.inf))
        assert loose[2].shape[0] == 1
        four = SeedConfig(far_loss_nats=math.inf, far_arrivals=4)
        assert ray_seeds(rep, free, four)[2].shape[0] == 0
        if near_silent:
            assert got[2].shape[0] == 0
        else:
            assert got[2].shape[0] == 1
            x, y = float(got[2][0]), float(got[3][0])
            assert math.hypot(x - 0.0, y - 6_000.0) < 1_000.0
