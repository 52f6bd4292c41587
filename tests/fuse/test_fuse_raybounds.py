"""The bound on blocks of ray samples (fuse/raybounds.py): a weapon it rejects
for a pair of blocks is one no sample pair of them passes in the ray cost loop,
it keeps a tank's flight inside the chi-square gate, and on rays that
meet it rejects most block pairs (the premise of skipping them). Run as plain
Python (the loop compiles the same code)."""

from __future__ import annotations

import math

import numpy as np
from grid_rows import random_bearing_rows

from ceasefire.fuse import pairing
from ceasefire.fuse.flightcost import weapon_cost
from ceasefire.fuse.pairing import LaunchPairConfig
from ceasefire.fuse.raybounds import BLOCK, block_floors, row_blocks, with_priors
from ceasefire.fuse.raypairs import RayPairConfig, Rays, _sample, _sample_costs, _Samples
from ceasefire.fuse.weapons import per_code
from ceasefire.model.vocab import WEAPONS

C = 343.0
R = 36_000.0
LAUNCHES = LaunchPairConfig()
SPEEDS = per_code(LAUNCHES.weapons, "speed_m_s")
LO = 0.8 * per_code(LAUNCHES.weapons, "range_min_m")
HI = 1.2 * per_code(LAUNCHES.weapons, "range_max_m")
SILENT = {WEAPONS.index("small_arms"), WEAPONS.index("heavy_machine_gun")}
TRIED = np.array([v > 0 and w not in SILENT for w, v in enumerate(SPEEDS.tolist())])
SPREAD = LAUNCHES.speed_spread
FAST = 1.0 + 3.0 * SPREAD
EARLY_SD = 3.0
#: the loop's weapon table: speed, range bounds, tried (1.0)
WT = np.array([SPEEDS, LO, HI, TRIED.astype(float)])


def _rays(rng: np.random.Generator, n: int) -> _Samples:
    """``n`` rays of observers within 6 km of each other, within 60 s."""
    rows = random_bearing_rows(rng, n, 3e3, 60.0)
    r = Rays(rows, np.full(n, -1, np.intp), np.zeros(n, np.intp))
    hear = per_code(LAUNCHES.weapons, "hearing_l50_m")
    return _sample(r, RayPairConfig(), hear, C, R, None)


def _finite(lo: _Samples, p: int, i: int, im: _Samples, q: int, j: int) -> set[int]:
    """The weapons for which the loop costs launch sample ``(p, i)`` and impact
    sample ``(q, j)`` below inf (its tests in its order)."""
    dist = math.hypot(im.x[q, j] - lo.x[p, i], im.y[q, j] - lo.y[p, i])
    dt = im.T[q, j] - lo.T[p, i]
    sd_T = math.sqrt(lo.var_obs[p, i] + im.var_obs[q, j])
    if not dt > -EARLY_SD * sd_T:
        return set()
    var_T = lo.var_t[p, i] + im.var_t[q, j]
    var_d = (lo.var_pos[p, i] + im.var_pos[q, j]) + 2e4
    got = set()
    for w in np.flatnonzero(TRIED).tolist():
        cost = weapon_cost(
            dist, dt, dt + 2.0 * sd_T, var_T, var_d, w, SPEEDS[w], LO[w], HI[w], w, w,
            SPREAD, FAST, pairing._GATE, 0.0, 0.0,
        )  # fmt: skip
        if cost < math.inf:
            got.add(w)
    return got


def _blocks(s: _Samples) -> np.ndarray:
    return np.asarray(row_blocks(s.x, s.y, s.T, s.var_t, s.var_obs, s.var_pos))


def _floors(
    lb: np.ndarray,
    p: int,
    us: range,
    ib: np.ndarray,
    q: int,
    vs: range,
    wl: int = -1,
    wi: int = -1,
    costs: tuple[float, float] = (0.0, 0.0),
    use_prior: bool = False,
    floors: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`block_floors` of launch blocks ``us`` of row ``p`` and impact blocks
    ``vs`` of row ``q``: the weapons left per block pair ``(nb1, nb2, W)`` and
    the (floor, u, v) list of those some weapon may pass."""
    may = np.ones((lb.shape[1], ib.shape[1], len(WEAPONS)), bool)
    order = np.full((3, len(us) * len(vs)), np.nan)
    n = block_floors(
        lb, p, us.start, us.stop, ib, q, vs.start, vs.stop, WT, SPREAD, FAST, pairing._GATE,
        EARLY_SD, wl, wi, costs[0], costs[1], use_prior, floors, may, order,
    )  # fmt: skip
    return may, order[:, :n]


def _may(lb: np.ndarray, ib: np.ndarray, p: int, u: int, q: int, v: int) -> set[int]:
    """The weapons the bound leaves to block ``u`` of launch row ``p`` and block
    ``v`` of impact row ``q`` (checked against its answer)."""
    may, order = _floors(lb, p, range(u, u + 1), ib, q, range(v, v + 1))
    out = may[u, v]
    assert (order.shape[1] == 1) == bool(out.any()) and not (out & ~TRIED).any()
    assert order.shape[1] == 0 or order[0, 0] == -math.inf  # no floors asked
    return set(np.flatnonzero(out).tolist())


def test_a_weapon_rejected_for_a_block_pair_passes_no_sample_pair_of_it() -> None:
    rng = np.random.default_rng(5)
    lo, im = _rays(rng, 12), _rays(rng, 12)
    lb, ib = _blocks(lo), _blocks(im)
    k = lo.x.shape[1]
    nb = lb.shape[1]
    assert nb == math.ceil(k / BLOCK)
    # each block's box holds its samples
    for u in range(nb):
        s = slice(u * BLOCK, (u + 1) * BLOCK)
        assert np.all(lb[:, u, 0] == lo.x[:, s].min(1)) and np.all(lb[:, u, 5] == lo.T[:, s].max(1))
    kept = rejected = finite = 0
    for p in range(12):
        for q in range(12):
            for u in range(nb):
                for v in range(nb):
                    left = _may(lb, ib, p, u, q, v)
                    fin: set[int] = set()
                    for i in range(u * BLOCK, min(k, (u + 1) * BLOCK)):
                        for j in range(v * BLOCK, min(k, (v + 1) * BLOCK)):
                            fin |= _finite(lo, p, i, im, q, j)
                    # every weapon some sample pair passes is left to the loop
                    assert fin <= left, (p, q, u, v)
                    finite += bool(fin)
                    kept += bool(left)
                    rejected += not left
    # the premise: many block pairs with finite sample pairs (all kept), and most
    # of those without one rejected (here 2,334 of 2,576)
    assert finite > 1_000 and kept >= finite
    assert rejected > 0.8 * (kept + rejected - finite)


def _point(x: float, t: float, sd_t: float = 1.0) -> np.ndarray:
    """A located event's block (one sample): 100 m² position variance."""
    one = lambda v: np.array([[v]])  # noqa: E731
    return np.asarray(row_blocks(one(x), one(0.0), one(t), one(sd_t**2), one(sd_t**2), one(100.0)))


def test_a_tank_flight_inside_the_gate_is_kept_and_one_far_too_early_is_not() -> None:
    launch = _point(0.0, 100.0)
    # 3 km east: 2.5 s at a tank's 1,200 m/s; dated 1 s early is inside the gate
    # (chi-square ~5.7) with the early allowance, 5 s early beyond 3 sd of the times
    for early_s, want in ((-2.5, True), (1.0, True), (5.0, False)):
        impact = _point(3_000.0, 100.0 - early_s)
        assert (WEAPONS.index("tank") in _may(launch, impact, 0, 0, 0, 0)) is want
    # an impact 10 min later is no weapon's flight (mortar's longest: 53 s)
    assert _may(launch, _point(3_000.0, 700.0), 0, 0, 0, 0) == set()
    # and one 500 km away is beyond every range bound
    assert _may(launch, _point(500_000.0, 200.0), 0, 0, 0, 0) == set()


def test_a_block_with_a_nan_is_never_rejected() -> None:
    launch = _point(0.0, 100.0, sd_t=float("nan"))
    assert launch[0, 0, 9] == 0.0
    assert _may(launch, _point(500_000.0, 200.0), 0, 0, 0, 0) == set(np.flatnonzero(TRIED))


def test_a_block_pairs_floor_is_at_most_each_of_its_sample_pairs_costs() -> None:
    # the loop skips a block pair whose floor cannot lower the least costs found:
    # the floor (weapons named and not, the range prior) is below every cost
    rng = np.random.default_rng(8)
    lo, im = _rays(rng, 10), _rays(rng, 10)
    lw, iw = rng.integers(-1, len(WEAPONS), 10), rng.integers(-1, len(WEAPONS), 10)
    lb = with_priors(_blocks(lo), lo.prior, lo.side)
    ib = with_priors(_blocks(im), im.prior, im.side)
    cfg, k = RayPairConfig(), lo.x.shape[1]
    _, flight, _ = _sample_costs(lo.take(np.arange(10), 1), im.take(np.arange(10), 2), lw, iw,
                                 cfg, LAUNCHES)  # fmt: skip
    tight = 0
    for p in range(10):
        for u in range(lb.shape[1]):
            rows = slice(u * BLOCK, (u + 1) * BLOCK)
            for v in range(ib.shape[1]):
                cols = slice(v * BLOCK, (v + 1) * BLOCK)
                _, order = _floors(
                    lb, p, range(u, u + 1), ib, p, range(v, v + 1), int(lw[p]), int(iw[p]),
                    (pairing._UNKNOWN_WEAPON, pairing._OTHER_WEAPON), True, True,
                )  # fmt: skip
                floor = order[0, 0] if order.shape[1] else math.inf
                least = float(flight[p, rows, cols].min())
                assert floor <= least, (p, u, v)
                tight += math.isfinite(least) and least - floor < 5.0
    assert tight > 20  # the premise: floors near the costs, for many block pairs
    assert k == 24 and lb.shape[2] == 10 + len(WEAPONS) + 2


def test_a_range_of_block_pairs_is_listed_least_floor_first_as_each_alone() -> None:
    # the loop bounds a super-block pair's blocks in one call and visits them in
    # its list's order: the same weapons and floors as one block pair a call, the
    # least floor first, of equal floors the first in (u, v) order
    rng = np.random.default_rng(3)
    lo, im = _rays(rng, 6), _rays(rng, 6)
    lb = with_priors(_blocks(lo), lo.prior, lo.side)
    ib = with_priors(_blocks(im), im.prior, im.side)
    nb = lb.shape[1]
    costs = (pairing._UNKNOWN_WEAPON, pairing._OTHER_WEAPON)
    listed = 0
    for p in range(6):
        for q in range(6):
            may, order = _floors(lb, p, range(1, nb), ib, q, range(0, nb - 1), -1, 2, costs,
                                 True, True)  # fmt: skip
            alone = []
            for u in range(1, nb):
                for v in range(0, nb - 1):
                    one, o = _floors(lb, p, range(u, u + 1), ib, q, range(v, v + 1), -1, 2,
                                     costs, True, True)  # fmt: skip
                    assert np.array_equal(one[u, v], may[u, v])
                    if o.shape[1]:
                        alone.append((o[0, 0], u, v))
            alone.sort(key=lambda t: t[0])  # stable: (u, v) order among equals
            assert [tuple(c) for c in order.T.tolist()] == [
                (f, float(u), float(v)) for f, u, v in alone
            ]
            listed += len(alone)
    assert listed > 100  # the premise: many block pairs kept


def test_a_flight_at_a_range_bound_is_kept() -> None:
    # the distances' bounds (square roots with a margin, not hypot) keep a pair
    # at the very range bound the loop keeps (tank's 0.8 x 500 m = 400 m)
    tank = WEAPONS.index("tank")
    d = LO[tank]
    launch = _point(0.0, 100.0)
    impact = _point(d * math.cos(0.3), 100.0 + d / SPEEDS[tank])
    impact[0, 0, 2] = impact[0, 0, 3] = d * math.sin(0.3)
    assert tank in _may(launch, impact, 0, 0, 0, 0)
