"""The ray-pair cost loop (fuse/raycost.py, compiled by numba, the ``fast`` extra)
gives the numpy code's least cost of every candidate to the bit, for the three
kinds of candidates (ray x point, point x ray, ray x ray), with and without the
range prior, the contact line's sides and an impact's early allowance."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from grid_rows import random_bearing_rows

from ceasefire.fuse import pairing
from ceasefire.fuse.flightcost import weapon_cost
from ceasefire.fuse.pairing import LaunchPairConfig
from ceasefire.fuse.raycost import room_gate, surely_inf
from ceasefire.fuse.raypairs import (
    Points,
    RayPairConfig,
    Rays,
    _best_cost,
    _best_cost_compiled,
    _points,
    _sample,
    _sample_costs,
    _Samples,
)
from ceasefire.fuse.weapons import per_code
from ceasefire.model.vocab import WEAPONS

C = 343.0
R = 36_000.0


def _rays(rng: np.random.Generator, n: int) -> Rays:
    rows = random_bearing_rows(rng, n, 20e3, 600.0)
    return Rays(rows, rng.integers(-1, len(WEAPONS), n), rng.integers(0, 5, n))


def _pts(rng: np.random.Generator, n: int) -> Points:
    cov = np.zeros((n, 2, 2))
    cov[:, 0, 0] = rng.uniform(1e2, 1e6, n)
    cov[:, 1, 1] = rng.uniform(1e2, 1e6, n)
    cov[: n // 10, 0, 0] = np.nan  # absent uncertainty: the 10 km stand-in
    sd = rng.uniform(0.1, 5.0, n)
    sd[: n // 10] = np.nan
    return Points(
        rng.uniform(-20e3, 20e3, n), rng.uniform(-20e3, 20e3, n), rng.uniform(0.0, 600.0, n),
        sd, cov, rng.integers(-1, len(WEAPONS), n),
    )  # fmt: skip


def _sided(s: _Samples, rng: np.random.Generator) -> _Samples:
    return replace(s, side=rng.integers(-1, 2, s.x.shape).astype(np.intp))


@pytest.mark.parametrize(("range_prior", "early_sd"), [(True, 3.0), (False, 3.0), (True, 0.0)])
def test_the_compiled_loop_gives_the_numpy_costs(range_prior: bool, early_sd: float) -> None:
    pytest.importorskip("numba")
    rng = np.random.default_rng(11)
    cfg = RayPairConfig(range_prior=range_prior, early_sd=early_sd)
    launches = LaunchPairConfig()
    hear = per_code(launches.weapons, "hearing_l50_m")
    lr, ir = _rays(rng, 60), _rays(rng, 70)
    lp, ip = _pts(rng, 50), _pts(rng, 40)
    ls = _sided(_sample(lr, cfg, hear, C, R, None), rng)
    is_ = _sided(_sample(ir, cfg, hear, C, R, None), rng)
    lps = _sided(_points(lp, None, len(WEAPONS)), rng)
    ips = _points(ip, None, len(WEAPONS))
    finite = 0
    for lo, im, lw, iw in (
        (ls, ips, lr.weapon, ip.weapon),
        (lps, is_, lp.weapon, ir.weapon),
        (ls, is_, lr.weapon, ir.weapon),
    ):
        # every pair of rows is a candidate (most fail the gate: inf both ways)
        a, b = (g.ravel().astype(np.intp) for g in np.meshgrid(
            np.arange(lo.x.shape[0]), np.arange(im.x.shape[0]), indexing="ij"))  # fmt: skip
        ref, ref_side = _best_cost(lo.take(a, 1), im.take(b, 2), lw[a], iw[b], cfg, launches)
        got, got_side = _best_cost_compiled(lo, im, a, b, lw, iw, cfg, launches)
        assert got.dtype == np.float64 and got.shape == ref.shape
        assert np.array_equal(got, ref)  # inf where the numpy code has inf, else the same bits
        # the least flight cost on each side of the line and the side of the best sample
        assert got_side.shape == ref_side.shape == (a.shape[0], 3)
        assert np.array_equal(got_side, ref_side)
        # the least costs alone (no sides asked: fewer sample pairs visited) are the same
        alone, untouched = _best_cost_compiled(lo, im, a, b, lw, iw, cfg, launches, sides=False)
        assert np.array_equal(alone, ref) and not untouched.any()
        finite += int(np.isfinite(ref).sum())
        # the premise: both sides and the side of the best sample are exercised
        assert np.isfinite(ref_side[:, 0]).any() and np.isfinite(ref_side[:, 1]).any()
        assert set(np.unique(ref_side[np.isfinite(ref), 2]).tolist()) >= {-1.0, 1.0}
    assert finite > 100  # the premise: many candidates inside the gate to compare


def test_no_candidates_cost_nothing() -> None:
    pytest.importorskip("numba")
    rng = np.random.default_rng(2)
    cfg, launches = RayPairConfig(), LaunchPairConfig()
    hear = per_code(launches.weapons, "hearing_l50_m")
    r = _rays(rng, 3)
    s = _sample(r, cfg, hear, C, R, None)
    none = np.zeros(0, np.intp)
    cost, by_side = _best_cost_compiled(s, s, none, none, r.weapon, r.weapon, cfg, launches)
    assert cost.shape == (0,) and by_side.shape == (0, 3)


def _tank_pair(early_s: float, early_sd: float) -> float:
    """The ray-pair cost of a located tank launch and a located impact 3 km east
    (a 2.5 s flight at the class's 1,200 m/s), the impact's emission time dated
    ``early_s`` before the launch's, both times with sd 1 s."""
    tank = WEAPONS.index("tank")
    cov = np.tile(np.eye(2) * 100.0, (1, 1, 1))

    def pt(x: float, t: float) -> Points:
        return Points(np.array([x]), np.array([0.0]), np.array([t]), np.array([1.0]), cov,
                      np.array([tank]))  # fmt: skip

    lo = _points(pt(0.0, 100.0), None, len(WEAPONS))
    im = _points(pt(3_000.0, 100.0 - early_s), None, len(WEAPONS))
    one = np.zeros(1, np.intp)
    cost, _ = _best_cost(lo.take(one, 1), im.take(one, 2), np.array([tank]), np.array([tank]),
                         RayPairConfig(early_sd=early_sd), LaunchPairConfig())  # fmt: skip
    return float(cost[0])


def test_an_impact_dated_a_little_before_its_launch_is_still_a_candidate() -> None:
    # a tank's 2.5 s flight against times 1 s off: dated 1 s early is 3.5 s from the
    # flight, chi-square about 5.7 (inside the gate, 10.83), not impossible
    early = _tank_pair(1.0, 3.0)
    assert 4.0 < early < 8.0 and _tank_pair(-2.5, 3.0) < 0.1  # the on-time flight: ~0
    # without the allowance no round flies back in time (the speed bound)
    assert _tank_pair(1.0, 0.0) == np.inf
    # beyond 3 sd of the two times (1.41 s: 4.2 s) it is too early either way
    assert _tank_pair(5.0, 3.0) == np.inf and _tank_pair(5.0, 0.0) == np.inf


def test_equal_least_costs_keep_the_first_sample_pairs_side() -> None:
    # the loop visits a pair of rays' blocks least floor first: of equal least costs
    # it must still report the side of the first sample pair in (i, j) order, as the
    # numpy code does. Rays of observers on a 2 km grid, whole-second times, priors
    # of 0 or 1 and random sides make many exact ties
    pytest.importorskip("numba")
    rng = np.random.default_rng(4)
    cfg, launches = RayPairConfig(), LaunchPairConfig()
    hear = per_code(launches.weapons, "hearing_l50_m")

    def coarse(n: int) -> _Samples:
        s = _sided(_sample(_rays(rng, n), cfg, hear, C, R, None), rng)
        k = s.x.shape[1]
        x = np.round(s.x / 2e3) * 2e3
        prior = rng.integers(0, 2, (n, k, len(WEAPONS))).astype(float)
        return replace(
            s, x=x, y=np.round(s.y / 2e3) * 2e3, T=np.round(s.T), var_t=np.ones((n, k)),
            var_obs=np.ones((n, k)), var_pos=np.full((n, k), 1e6), prior=prior,
        )  # fmt: skip

    lo, im = coarse(40), coarse(40)
    lw, iw = np.full(40, -1, np.intp), np.full(40, -1, np.intp)
    a, b = (g.ravel().astype(np.intp) for g in np.meshgrid(
        np.arange(40), np.arange(40), indexing="ij"))  # fmt: skip
    ref, ref_side = _best_cost(lo.take(a, 1), im.take(b, 2), lw[a], iw[b], cfg, launches)
    got, got_side = _best_cost_compiled(lo, im, a, b, lw, iw, cfg, launches)
    assert np.array_equal(got, ref) and np.array_equal(got_side, ref_side)
    # the premise: many candidates whose least cost is reached by sample pairs of
    # both sides of the line (the side reported depends on which comes first)
    best, _, _ = _sample_costs(lo.take(a, 1), im.take(b, 2), lw[a], iw[b], cfg, launches)
    best = best.reshape(a.shape[0], -1)
    side = np.broadcast_to(lo.side[a][:, :, None], (a.shape[0], 24, 24)).reshape(a.shape[0], -1)
    at_min = (best == ref[:, None]) & np.isfinite(ref)[:, None]
    both = (at_min & (side > 0)).any(1) & (at_min & (side < 0)).any(1)
    assert both.sum() > 5


def test_a_weapon_tried_within_its_room_lowers_the_least_cost_as_with_the_gate() -> None:
    # without the sides the loop tries a weapon within the chi-square left below
    # the least cost found (room_gate): a weapon it so rejects (or skips) costs, with
    # the whole gate, at least that least cost, and one it keeps costs the same.
    # Least costs drawn at the weapon's cost and a few ulps either side of it
    rng = np.random.default_rng(21)
    launches = LaunchPairConfig()
    speeds = per_code(launches.weapons, "speed_m_s")
    gate = pairing._GATE
    rejected = kept = 0
    for _ in range(4_000):
        w = int(rng.integers(0, 4))
        v = float(speeds[w])
        d = float(rng.uniform(500.0, 9_000.0))
        dt = d / v + float(rng.normal(0.0, 4.0))
        var_T, var_d = float(rng.uniform(0.05, 30.0)), float(rng.uniform(2e4, 2e6))
        wl, wi = int(rng.integers(-1, 4)), int(rng.integers(-1, 4))
        wc = 0.0 if w in (wl, wi) else (2.0 if wl < 0 and wi < 0 else 4.0)
        args = (d, dt, dt + 2.0, var_T, var_d, w, v, 0.0, 1e9, wl, wi, 0.15, 1.45)
        full = weapon_cost(*args, gate, 2.0, 4.0)
        if full == np.inf:
            continue
        P = float(rng.uniform(0.0, 8.0)) + float(rng.uniform(0.0, 8.0))
        ss = float(rng.choice([0.0, launches.same_side_cost]))
        at = (full + P) + ss
        for m in (at, np.nextafter(at, np.inf), np.nextafter(at, -np.inf),
                  at + 1e-12, at - 1e-12, at + float(rng.uniform(-3.0, 3.0))):  # fmt: skip
            g = room_gate(m, ss, wc + P, gate)
            got = weapon_cost(*args, g, 2.0, 4.0) if g >= 0.0 else np.inf
            if got == np.inf:
                assert not (full + P) + ss < m
                rejected += 1
            else:
                assert got == full
                kept += 1
    assert rejected > 1_000 and kept > 1_000  # the premise: both, at the edge


def test_a_flight_surely_inf_on_a_distance_interval_is_inf_at_each_distance_in_it() -> None:
    # the loop tells most sample pairs inf from a square root of the distance,
    # within its rounding, before hypot: every distance of an interval so told
    # (its ends, and the loop's own hypot within 1e-12 of the root) costs inf
    rng = np.random.default_rng(31)
    launches = LaunchPairConfig()
    speeds = per_code(launches.weapons, "speed_m_s")
    lo_m = 0.8 * per_code(launches.weapons, "range_min_m")
    hi_m = 1.2 * per_code(launches.weapons, "range_max_m")
    told = hoped = 0
    for _ in range(4_000):
        w = int(rng.integers(0, 4))
        v = float(speeds[w])
        near = float(rng.uniform(0.0, 1.3)) * float(hi_m[w])
        width = float(rng.choice([1e-12, 1e-6, 1e-3, 1.0, 300.0]))
        d_lo, d_hi = near * (1.0 - width), near * (1.0 + width) + 1e-150
        dt = near / v + float(rng.normal(0.0, 5.0))
        dt_hi = dt + float(rng.choice([0.0, 2.0]))
        var_T, var_d = float(rng.uniform(0.05, 30.0)), float(rng.uniform(2e4, 2e6))
        gate = float(rng.choice([pairing._GATE, rng.uniform(0.0, pairing._GATE)]))
        terms = (v, float(lo_m[w]), float(hi_m[w]), 0.15, 1.45, gate)
        if not surely_inf(d_lo, d_hi, dt, dt_hi, var_T, var_d, *terms):
            hoped += 1
            continue
        told += 1
        for d in (d_lo, d_hi, *rng.uniform(d_lo, d_hi, 3).tolist()):
            cost = weapon_cost(d, dt, dt_hi, var_T, var_d, w, v, float(lo_m[w]),
                               float(hi_m[w]), -1, -1, 0.15, 1.45, gate, 2.0, 4.0)  # fmt: skip
            assert cost == np.inf, (d, d_lo, d_hi, dt, gate)
    assert told > 500 and hoped > 500  # the premise: both answers, near the edges


def test_the_distance_interval_holds_hypot() -> None:
    # the loop's interval around the root of the squares' sum holds numpy's
    # hypot (the distance the loop and the numpy code take), down to underflow
    rng = np.random.default_rng(32)
    dx = rng.normal(0.0, 1.0, 20_000) * 10.0 ** rng.uniform(-170, 150, 20_000)
    dy = rng.normal(0.0, 1.0, 20_000) * 10.0 ** rng.uniform(-170, 150, 20_000)
    near = np.sqrt(dx * dx + dy * dy)
    exact = np.hypot(dx, dy)
    ok = np.isfinite(near)
    assert np.all(near[ok] * (1.0 - 1e-12) - 1e-150 <= exact[ok])
    assert np.all(exact[ok] <= near[ok] * (1.0 + 1e-12) + 1e-150)
    assert ok.sum() > 15_000 and (near[ok] == 0.0).sum() > 10  # underflows among them
