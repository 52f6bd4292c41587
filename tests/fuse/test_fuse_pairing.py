"""Launch/impact pairing (fuse/pairing.py): an impact dated a little before its
launch, within the emission times' own σ, still pairs (a tank flies 2-4 s, and
emission times are a second off: clocks, fixes); one dated before it by many σ
does not, and no round flies faster than its class allows."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from ceasefire.fuse.pairing import LaunchPairConfig, pair_launches, same_side_costs, side_doubt
from ceasefire.model.vocab import WEAPONS

TANK = np.array([WEAPONS.index("tank")])
CFG = LaunchPairConfig()


def _pair(dt_s: float, sd_s: float, cfg: LaunchPairConfig = CFG, dist_m: float = 2_500.0) -> int:
    """How many pairs a tank launch at 0 and its impact ``dist_m`` east, dated
    ``dt_s`` after it, make, each emission time with sd ``sd_s``."""
    sd = np.array([sd_s])
    pl, _, _, _ = pair_launches(
        np.array([0.0]), np.array([0.0]), np.array([0.0]),
        np.array([dist_m]), np.array([0.0]), np.array([dt_s]),
        cfg, TANK, TANK, l_sd_t_s=sd, i_sd_t_s=sd,
    )  # fmt: skip
    return int(pl.shape[0])


def test_an_impact_dated_before_its_launch_within_its_sigma_pairs() -> None:
    # 2,500 m at 1,200 m/s: 2.1 s; dated 0.5 s early with each time known to 1 s
    assert _pair(-0.5, 1.0) == 1
    # the former rule (the impact must follow the launch) lost it: two events
    assert _pair(-0.5, 1.0, replace(CFG, early_sd=0.0)) == 0
    assert _pair(2.1, 1.0, replace(CFG, early_sd=0.0)) == 1


def test_an_impact_far_before_its_launch_or_too_soon_does_not_pair() -> None:
    # 1 s early with times known to 0.1 s: 7 sigma, another round
    assert _pair(-1.0, 0.1) == 0
    # 0.5 s after the launch with times to 0.1 s: 5,000 m/s, no tank's round
    assert _pair(0.5, 0.1) == 0
    # ... the same 0.5 s with times to 1 s: within 2 sigma of a tank's 2.1 s
    assert _pair(0.5, 1.0) == 1


def test_side_doubt_is_the_likelihood_share_of_candidate_launches_across() -> None:
    # one impact (0), its chosen launch (0) on the left and a rival launch (1)
    a, b, pl, pi = np.array([0, 1]), np.array([0, 0]), np.array([0]), np.array([0])
    # the rival as good and across the line: a coin toss
    cost = np.array([1.0, 1.0])
    assert side_doubt(a, b, cost, pl, pi, np.array([1, -1]))[0] == pytest.approx(0.5)
    # ... as good but on the same side (another round of the battery): no doubt
    assert side_doubt(a, b, cost, pl, pi, np.array([1, 1]))[0] == 0.0
    # ... across, 9 times less likely (cost 2 ln 9 higher): 1 / 10
    cost = np.array([1.0, 1.0 + 2 * np.log(9.0)])
    assert side_doubt(a, b, cost, pl, pi, np.array([1, -1]))[0] == pytest.approx(0.1)
    # no line known: no doubt to state
    assert side_doubt(a, b, cost, pl, pi, None)[0] == 0.0


def test_pairing_states_the_side_doubt_of_a_rival_launch_across() -> None:
    # a tank impact 2,500 m east of two launches 1 km apart, fired together: equally
    # good flights. The rival (1) on the impact's side pays the same-side cost (~4.4) in
    # the assignment, so the launch across the line is chosen; the doubt weighs the
    # flights alone (attribution weighs the impact's side itself): a coin toss
    lx, ly, lT = np.array([0.0, 0.0]), np.array([500.0, -500.0]), np.array([0.0, 0.0])
    ix, iy = np.array([2_500.0]), np.array([0.0])
    iT = np.array([np.hypot(2_500.0, 500.0) / 1_200.0])
    tanks = np.array([TANK[0], TANK[0]])
    pl, _, _, doubt = pair_launches(
        lx, ly, lT, ix, iy, iT, CFG, tanks, TANK,
        l_side=np.array([1, -1]), i_side=np.array([-1]),
    )  # fmt: skip
    assert pl.tolist() == [0]
    assert doubt[0] == pytest.approx(0.5)
    # both launches on one side (a battery): the close call leaves the side certain
    pl, _, _, doubt = pair_launches(
        lx, ly, lT, ix, iy, iT, CFG, tanks, TANK,
        l_side=np.array([1, 1]), i_side=np.array([-1]),
    )  # fmt: skip
    assert pl.shape[0] == 1 and doubt[0] == 0.0


def test_the_same_side_cost_falls_to_even_odds_at_the_line() -> None:
    c = same_side_costs(np.array([0.0, 500.0, 1e6, np.nan, -500.0]), CFG)
    # at the line a short round and an aimed one are as likely: no cost
    assert c[0] == pytest.approx(0.0)
    # far from it (or unknown) the flat cost; the sign of the distance does not matter
    assert c[2] == pytest.approx(CFG.same_side_cost) and c[3] == pytest.approx(c[2])
    assert c[4] == pytest.approx(c[1])
    # one band out: across with a∞ - (a∞ - 1/2)/e, a∞ = 0.9 (attribution's prior)
    far = 0.9
    assert CFG.same_side_cost == pytest.approx(2.0 * np.log(9.0))
    a = far - (far - 0.5) / np.e
    assert c[1] == pytest.approx(2.0 * np.log(a / (1.0 - a)))


def test_an_impact_near_the_line_pairs_with_the_better_flight_on_its_own_side() -> None:
    # a tank impact 100 m from the line, and two launches 1 km apart as far from it:
    # the one on the impact's side fired when its flight fits (cost 0), the one across
    # 1.7 s later (chi-square ~1.4 with both times to 1 s, under the flat cost of 4)
    lx, ly = np.array([0.0, 0.0]), np.array([500.0, -500.0])
    ix, iy = np.array([2_500.0]), np.array([0.0])
    lT = np.array([0.0, 1.7])
    iT = np.array([np.hypot(2_500.0, 500.0) / 1_200.0])
    tanks = np.array([TANK[0], TANK[0]])
    sd = np.array([1.0, 1.0])

    def chosen(cfg: LaunchPairConfig) -> list[int]:
        pl, _, _, _ = pair_launches(
            lx, ly, lT, ix, iy, iT, cfg, tanks, TANK, l_sd_t_s=sd, i_sd_t_s=sd[:1],
            l_side=np.array([-1, 1]), i_side=np.array([-1]), i_line_m=np.array([100.0]),
        )  # fmt: skip
        return pl.tolist()

    # the flat cost takes the launch across the line
    assert chosen(replace(CFG, short_band_m=0.0)) == [1]
    # priced by the impact's distance (near even odds 100 m from the line): its own
    assert chosen(CFG) == [0]


def test_candidates_searched_once_serve_a_second_pairing_with_other_speeds() -> None:
    # a window paired again with measured speeds (fuse/speedcal.py) passes the
    # first search's candidates: the pairs, margins and doubts of its own search
    from ceasefire.fuse.pairing import launch_candidates
    from ceasefire.fuse.speedcal import measured

    rng = np.random.default_rng(3)
    nl, ni = 60, 70
    lx, ly = rng.uniform(0, 40e3, (2, nl))
    ix, iy = rng.uniform(0, 40e3, (2, ni))
    lT, iT = rng.uniform(0, 600, nl), rng.uniform(0, 700, ni)
    lw, iw = np.full(nl, TANK[0]), rng.choice([-1, int(TANK[0])], ni)
    near = launch_candidates(lx, ly, lT, ix, iy, iT, CFG)
    faster = replace(CFG, speed_spread=0.05)
    faster = measured(faster, np.full(8, 2_000.0), np.full(8, 1.5), np.full(8, TANK[0]))
    assert faster is not CFG and faster.max_flight_range_m == CFG.max_flight_range_m
    for cfg in (CFG, faster):
        want = pair_launches(lx, ly, lT, ix, iy, iT, cfg, lw, iw)
        got = pair_launches(lx, ly, lT, ix, iy, iT, cfg, lw, iw, near=near)
        assert want[0].shape[0] > 5  # the premise: pairs to compare
        for a, b in zip(want, got, strict=True):
            assert np.array_equal(a, b)


def test_the_compiled_two_best_costs_are_the_sorted_ones() -> None:
    pytest.importorskip("numba")
    from ceasefire.fuse.pairing import _two_best_kernel, _two_best_numpy

    kernel = _two_best_kernel()
    assert kernel is not None
    rng = np.random.default_rng(6)
    node = rng.integers(0, 50, 600)
    # ties within a node (a cost twice is both its least and its second least)
    cost = np.round(rng.uniform(0.0, 10.0, 600), 1)
    for n in (50, 60):  # nodes without edges: inf
        got, want = kernel(node, cost, n), _two_best_numpy(node, cost, n)
        for g, w in zip(got, want, strict=True):
            assert np.array_equal(g, w)
    b1, b2 = want
    assert np.isinf(b1[50:]).all() and (b1[:50] == b2[:50]).any()  # the premise
