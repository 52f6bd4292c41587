"""Launch ↔ impact pairing: an outgoing-fire event and an incoming explosion are
one round when the impact follows the launch by the flight time the distance
between them implies for some weapon.

For a launch a and an impact b at distance d, and a weapon w of mean speed v_w
whose range bounds admit d, the predicted flight time is d / v_w; the test is
the 1-dof chi-square of the observed ``T_b - T_a`` against it, with the variance
of both emission times, of d (both position covariances along the line between
them) over v_w², and a relative speed spread. Weapons named by the reports cost
nothing; others cost a prior penalty. Each launch and each impact joins at most
one pair, and only an unambiguous one: mutual best with a clear margin over the
runner-up of both (repeated on what is left)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from ceasefire.fuse.compiled import compiled, getter
from ceasefire.fuse.finite import finite_or_nan_as
from ceasefire.fuse.launchcost import launch_cost_kernel
from ceasefire.fuse.weapons import WEAPON_FLIGHTS, WeaponFlight, check_names, per_code
from ceasefire.model.assignment import min_cost_matching
from ceasefire.model.vocab import WEAPONS

F8 = npt.NDArray[np.float64]
IP = npt.NDArray[np.intp]

#: chi-square gate of the flight time (1 dof, 0.999)
_GATE = 10.83
#: cost added when the pair's weapon is not the one the reports name
_OTHER_WEAPON = 4.0
_UNKNOWN_WEAPON = 2.0
#: a weapon's ranges widened by these factors (short and long) for the range bounds
_RANGE_SHORT, _RANGE_LONG = 0.8, 1.2
#: cost of leaving a launch or an impact unpaired (global assignment): above half
#: the costliest gated pair, so every pair within the gate is worth taking
_UNPAIRED = 10.0


@dataclass(frozen=True)
class LaunchPairConfig:
    """Launch/impact pairing: what the weapons allow, and how pairs are chosen."""

    #: each weapon class's mean speed, range bounds and hearing distance, by name
    weapons: Mapping[str, WeaponFlight] = field(default_factory=lambda: dict(WEAPON_FLIGHTS))
    #: relative spread of a class's mean speed (1 sigma): real mean speeds along a
    #: trajectory vary by tens of percent with charge, elevation and range (0.02, the
    #: former value, was our own simulator's exact speeds; see docs/fuse.md)
    speed_spread: float = 0.15
    #: slowest mean speed of any round, m/s (bounds the candidate search)
    speed_min_m_s: float = 80.0
    #: farthest launch-to-impact distance, m
    max_flight_range_m: float = 45_000.0
    #: ``"global"`` (minimum total cost over all candidate pairs) or ``"mutual"``
    #: (mutual best with ``margin``, three passes)
    assignment: str = "global"
    #: ``"mutual"``: cost margin over the runner-up (chi-square units)
    margin: float = 0.0
    #: a pair whose launch or impact had another candidate within this many cost
    #: units (chi-square; 2 ≈ a likelihood ratio of e) is flagged ``pair_close_call``
    close_margin: float = 2.0
    #: -2 ln of the odds that a round lands across the contact line, far from it
    #: (0.9 : 0.1, attribution's ``impact_across_p``): a launch and an impact on one
    #: side pay this (when a line is known)
    same_side_cost: float = 4.394449
    #: an impact dated before its launch is still a candidate when it is so by at
    #: most this many σ of the two emission times (a tank's 2-4 s flight against
    #: emission times a second off: clocks, fixes); 0: the impact must follow the
    #: launch (the former rule). On the family's tuning draws 1, 3 and 5 took
    #: double counts 285 -> 275, 267, 267 (docs/family.md, session 14)
    early_sd: float = 3.0
    #: flag each pair's side doubt (``pair_side_doubt:<p>``, :func:`side_doubt`) at or
    #: above this probability, for attribution to weigh; above 1: never
    side_doubt_min: float = 0.005
    #: per weapon name, its own relative speed spread in place of ``speed_spread``
    #: (None: ``speed_spread`` for all; set by :mod:`ceasefire.fuse.speedcal`)
    weapon_spread: Mapping[str, float] | None = None
    #: each weapon's mean speed and spread measured from a window's clear pairs, and
    #: the window paired again with them (:mod:`ceasefire.fuse.speedcal`): a battery's
    #: rounds fly alike, so a burst's launches are told apart by their flight times
    #: (family tuning draws: double counts 208 -> 201, matched +3; docs/family.md,
    #: session 21)
    speed_from_pairs: bool = True
    #: pairs of a named weapon needed to measure its speed (6: doubles 203, matched +1)
    speed_min_pairs: int = 4
    #: only clear pairs (no close call) measure the speeds
    speed_clear_only: bool = True
    #: the measured spread is at least this (relative, 1 sigma)
    speed_spread_floor: float = 0.03
    #: near the line a round lands on either side about as often (a short round and
    #: an aimed one cannot be told apart there): the odds of landing across fall from
    #: ``same_side_cost``'s far from the line to even at the line, over this many
    #: metres of the impact's distance from it (:func:`same_side_costs`; attribution's
    #: ``short_band_m`` shape and value). 0: ``same_side_cost`` at every distance. On
    #: the family's tuning draws (flat 4.0 before) 3 fewer wrong names, 7 more right,
    #: double counts' median 2.53 -> 2.43 % (docs/family.md, session 21)
    short_band_m: float = 500.0

    def __post_init__(self) -> None:
        check_names(self.weapons)


def flight_cost(
    dist: F8,
    dt: F8,
    var_T: F8,
    var_d: F8,
    lw: IP,
    iw: IP,
    cfg: LaunchPairConfig,
    skip: frozenset[int] = frozenset(),
    prior: Callable[[int], F8] | None = None,
    early_sd: float = 0.0,
    var_early: F8 | None = None,
) -> F8:
    """Least cost over the weapon hypotheses of launch → impact candidates: the
    flight-time chi-square (1 dof) of ``dt`` (s) against ``dist`` (m) / the weapon's
    speed, with the emission-time variance ``var_T`` (s²), the distance variance
    ``var_d`` (m²) and the speed spread, plus the weapon's cost (0 when a report
    names it) and ``prior(w)``; inf outside the gate or the weapon's range bounds.
    ``lw``/``iw``: named weapon codes (-1 unknown), broadcastable to ``dist`` along
    its first axis; weapons in ``skip`` are not tried. ``early_sd`` > 0: the speed
    bound allows 2 σ of the emission times (``var_T``, or ``var_early`` when
    given), as of the distance."""
    speeds = per_code(cfg.weapons, "speed_m_s")
    spreads = spread_per_code(cfg)
    rmin = per_code(cfg.weapons, "range_min_m")
    rmax = per_code(cfg.weapons, "range_max_m")
    extra = (1,) * (dist.ndim - 1)
    lw_, iw_ = lw.reshape(-1, *extra), iw.reshape(-1, *extra)
    best = np.full(dist.shape, np.inf)
    for w in range(speeds.shape[0]):
        v = speeds[w]
        if v <= 0 or w in skip:
            continue
        pred = dist / v
        spread = spreads[w]
        var = var_T + var_d / (v * v) + (spread * pred) ** 2
        chi2 = (dt - pred) ** 2 / var
        named = (lw_ == w) | (iw_ == w)
        unknown = (lw_ < 0) & (iw_ < 0)
        cost = chi2 + np.where(named, 0.0, np.where(unknown, _UNKNOWN_WEAPON, _OTHER_WEAPON))
        if prior is not None:
            cost = cost + prior(w)
        # the spread is in time (symmetric about d / v): its upper tail would let a
        # round fly twice its class's mean speed; no round flies more than 3 sd
        # faster than its class (2 sd of the distance's own uncertainty allowed)
        # (and, when an impact dated early may pair, 2 σ of the emission times)
        var_e = var_T if var_early is None else var_early
        dt_hi = dt + 2.0 * np.sqrt(var_e) if early_sd > 0 else dt
        fast = dist - 2.0 * np.sqrt(var_d) > dt_hi * v * (1.0 + 3.0 * spread)
        inside = (
            (dist >= _RANGE_SHORT * rmin[w])
            & (dist <= _RANGE_LONG * rmax[w])
            & (chi2 <= _GATE)
            & ~fast
        )
        best = np.where(inside & (cost < best), cost, best)
    return best


def spread_per_code(cfg: LaunchPairConfig) -> F8:
    """Each weapon's relative speed spread in vocab WEAPONS order: its own
    (``weapon_spread``) or ``speed_spread``."""
    own = cfg.weapon_spread or {}
    return np.array([own.get(w, cfg.speed_spread) for w in WEAPONS], dtype=np.float64)


def launch_candidates(
    lx: F8, ly: F8, lT: F8, ix: F8, iy: F8, iT: F8, cfg: LaunchPairConfig
) -> tuple[IP, IP]:
    """The (launch, impact) index pairs :func:`pair_launches` prices: within
    ``cfg.max_flight_range_m`` in x and y (m) and emitted within the flight time
    at the slowest speed (``speed_min_m_s``) of each other, as one box search of
    a k-d tree over (x, y, scaled time). Depends on those two of ``cfg`` only."""
    none = np.zeros(0, np.intp), np.zeros(0, np.intp)
    if lx.shape[0] == 0 or ix.shape[0] == 0:
        return none
    R = cfg.max_flight_range_m
    tmax = R / cfg.speed_min_m_s
    scale = R / tmax
    t0 = float(min(np.min(lT), np.min(iT)))
    tl = cKDTree(np.column_stack([lx, ly, (lT + tmax / 2 - t0) * scale]))
    ti = cKDTree(np.column_stack([ix, iy, (iT - t0) * scale]))
    sm = tl.sparse_distance_matrix(ti, R, p=np.inf, output_type="ndarray")
    if sm.shape[0] == 0:
        return none
    return sm["i"].astype(np.intp), sm["j"].astype(np.intp)


def pair_launches(
    lx: F8,
    ly: F8,
    lT: F8,
    ix: F8,
    iy: F8,
    iT: F8,
    cfg: LaunchPairConfig,
    l_weapon: IP | None = None,
    i_weapon: IP | None = None,
    l_cov: F8 | None = None,
    i_cov: F8 | None = None,
    l_sd_t_s: F8 | None = None,
    i_sd_t_s: F8 | None = None,
    l_id: IP | None = None,
    i_id: IP | None = None,
    l_side: IP | None = None,
    i_side: IP | None = None,
    i_line_m: F8 | None = None,
    near: tuple[IP, IP] | None = None,
) -> tuple[IP, IP, F8, F8]:
    """Indices ``(launch, impact)`` of the pairs, each pair's margin (the cost of
    the cheapest other candidate sharing its launch or its impact, minus its own;
    inf when there is none) and its side doubt (:func:`side_doubt`; 0 without
    sides), from launch and impact positions
    (m), emission times (s), weapon codes (vocab order, -1 or None when unknown),
    position covariances ``(n, 2, 2)`` m² and emission-time sd (s); absent
    uncertainties count as 100 m and 1 s. ``l_id``/``i_id``: global event ids when
    one event may be offered in both roles (it then takes at most one).
    ``l_side``/``i_side``: side of the contact line (+1/-1, 0 unknown); a pair on
    one side pays ``cfg.same_side_cost``, or :func:`same_side_costs` of its impact's
    distance from the line ``i_line_m`` (m) when ``cfg.short_band_m`` > 0.
    ``near``: :func:`launch_candidates` of the same positions and times and of
    ``cfg``'s range and slowest speed (a window paired twice searches once)."""
    nl, ni = lx.shape[0], ix.shape[0]
    none = np.zeros(0, np.intp), np.zeros(0, np.intp), np.zeros(0), np.zeros(0)
    if nl == 0 or ni == 0:
        return none
    a, b = launch_candidates(lx, ly, lT, ix, iy, iT, cfg) if near is None else near
    if a.shape[0] == 0:
        return none
    # (read only below: ``np.nan_to_num``'s numbers, the input itself when finite)
    sl = np.ones(nl) if l_sd_t_s is None else finite_or_nan_as(l_sd_t_s, 30.0)
    si = np.ones(ni) if i_sd_t_s is None else finite_or_nan_as(i_sd_t_s, 30.0)
    lc = np.full((nl, 2, 2), 0.0) if l_cov is None else finite_or_nan_as(l_cov, 1e8)
    ic = np.full((ni, 2, 2), 0.0) if i_cov is None else finite_or_nan_as(i_cov, 1e8)
    lw = np.full(nl, -1) if l_weapon is None else np.asarray(l_weapon)
    iw = np.full(ni, -1) if i_weapon is None else np.asarray(i_weapon)
    a, b, best = _launch_cost(a, b, lx, ly, lT, ix, iy, iT, sl, si, lc, ic, lw, iw, cfg)
    ok = np.isfinite(best)
    a, b, cost = a[ok], b[ok], best[ok]
    flight = cost  # the side doubt's likelihood: attribution weighs the side itself
    if l_side is not None and i_side is not None:
        same = (l_side[a] * i_side[b]) > 0
        if cfg.short_band_m > 0.0 and i_line_m is not None:
            pay = same_side_costs(i_line_m, cfg)[b]
        else:
            pay = np.full(b.shape[0], cfg.same_side_cost)
        cost = cost + np.where(same, pay, 0.0)
    gl = np.arange(nl) if l_id is None else np.asarray(l_id)
    gi = np.arange(nl, nl + ni) if i_id is None else np.asarray(i_id)
    ok = gl[a] != gi[b]
    a, b, cost, flight = a[ok], b[ok], cost[ok], flight[ok]
    if cfg.assignment == "global":
        pl, pi = _global_pairs(a, b, cost, gl, gi, nl, ni)
        doubt = side_doubt(a, b, flight, pl, pi, l_side)
        return pl, pi, _margins(a, b, cost, pl, pi, nl, ni), doubt
    # unambiguous pairs only: each side's best, and the runner-up of either side
    # costs at least ``margin`` more (a wrong pair loses a round)
    ka, kb = gl[a], gi[b]
    n_ev = int(max(gl.max(initial=0), gi.max(initial=0))) + 1
    out_l: list[int] = []
    out_i: list[int] = []
    alive = np.ones(a.shape[0], bool)
    for _ in range(3):
        idx = np.flatnonzero(alive)
        if idx.shape[0] == 0:
            break
        best1 = np.full(n_ev, np.inf)
        best2 = np.full(n_ev, np.inf)
        arg1 = np.full(n_ev, -1, np.intp)
        for side in (ka, kb):
            o = idx[np.lexsort((idx, cost[idx], side[idx]))]
            s_o = side[o]
            first = np.ones(o.shape[0], bool)
            first[1:] = s_o[1:] != s_o[:-1]
            # an event may appear on both sides: merge its candidate lists
            f_ev, f_k = s_o[first], o[first]
            better = cost[f_k] < best1[f_ev]
            best2[f_ev] = np.where(better, best1[f_ev], np.minimum(best2[f_ev], cost[f_k]))
            arg1[f_ev] = np.where(better, f_k, arg1[f_ev])
            best1[f_ev] = np.minimum(best1[f_ev], cost[f_k])
            sec = np.flatnonzero(~first)
            if sec.shape[0]:
                second = np.ones(sec.shape[0], bool)
                second[1:] = s_o[sec][1:] != s_o[sec][:-1]
                e2, k2 = s_o[sec][second], o[sec][second]
                best2[e2] = np.minimum(best2[e2], np.maximum(cost[k2], best1[e2]))
        mutual = (arg1[ka[idx]] == idx) & (arg1[kb[idx]] == idx)
        clear = (best2[ka[idx]] - cost[idx] >= cfg.margin) & (
            best2[kb[idx]] - cost[idx] >= cfg.margin
        )
        take = idx[mutual & clear]
        if take.shape[0] == 0:
            break
        out_l += a[take].tolist()
        out_i += b[take].tolist()
        used = np.zeros(n_ev, bool)
        used[ka[take]] = True
        used[kb[take]] = True
        alive &= ~used[ka] & ~used[kb]
    pl, pi = np.asarray(out_l, np.intp), np.asarray(out_i, np.intp)
    doubt = side_doubt(a, b, flight, pl, pi, l_side)
    return pl, pi, _margins(a, b, cost, pl, pi, nl, ni), doubt


def _launch_cost(a: IP, b: IP, *args: Any) -> tuple[IP, IP, F8]:
    """:func:`_launch_cost_numpy`'s candidates and costs (same arguments), by the
    compiled loop where there is one: the same costs to the bit, a too-early
    impact kept in place at inf."""
    kernel = launch_cost_kernel()
    if kernel is None:
        return _launch_cost_numpy(a, b, *args)
    return a, b, _launch_cost_compiled(kernel, a, b, *args)


def _launch_cost_numpy(
    a: IP,
    b: IP,
    lx: F8,
    ly: F8,
    lT: F8,
    ix: F8,
    iy: F8,
    iT: F8,
    sl: F8,
    si: F8,
    lc: F8,
    ic: F8,
    lw: IP,
    iw: IP,
    cfg: LaunchPairConfig,
) -> tuple[IP, IP, F8]:
    """The candidates ``(a, b)`` (launch, impact) whose impact is not too early,
    and their least flight cost (inf outside every weapon's gate), by numpy:
    positions (m), emission times and their sd (s), covariances ``(n, 2, 2)``
    (m²), weapon codes (-1 unknown)."""  # fmt: skip
    dt = iT[b] - lT[a]
    ok = dt > -cfg.early_sd * np.hypot(sl[a], si[b]) if cfg.early_sd > 0 else dt > 0
    a, b, dt = a[ok], b[ok], dt[ok]
    ex, ey = ix[b] - lx[a], iy[b] - ly[a]
    d = np.hypot(ex, ey)
    ux, uy = ex / np.maximum(d, 1.0), ey / np.maximum(d, 1.0)
    P = lc[a] + ic[b]
    var_d = ux * ux * P[:, 0, 0] + uy * uy * P[:, 1, 1] + 2 * ux * uy * P[:, 0, 1] + 2e4
    var_T = sl[a] ** 2 + si[b] ** 2
    best = flight_cost(d, dt, var_T, var_d, lw[a], iw[b], cfg, early_sd=cfg.early_sd)
    return a, b, best


def _launch_cost_compiled(
    kernel: Callable[..., F8],
    a: IP,
    b: IP,
    lx: F8,
    ly: F8,
    lT: F8,
    ix: F8,
    iy: F8,
    iT: F8,
    sl: F8,
    si: F8,
    lc: F8,
    ic: F8,
    lw: IP,
    iw: IP,
    cfg: LaunchPairConfig,
) -> F8:
    """:func:`_launch_cost_numpy`'s costs by the compiled loop
    (:mod:`ceasefire.fuse.launchcost`), the same to the bit, inf for the
    candidates whose impact is too early (kept in place, not dropped)."""  # fmt: skip
    f8 = lambda v: np.ascontiguousarray(v, dtype=np.float64)  # noqa: E731
    i8 = lambda v: np.ascontiguousarray(v, dtype=np.int64)  # noqa: E731
    spread = spread_per_code(cfg)
    out = kernel(
        a, b, f8(lx), f8(ly), f8(lT), f8(ix), f8(iy), f8(iT), f8(sl), f8(si), f8(lc), f8(ic),
        i8(lw), i8(iw), per_code(cfg.weapons, "speed_m_s"),
        _RANGE_SHORT * per_code(cfg.weapons, "range_min_m"),
        _RANGE_LONG * per_code(cfg.weapons, "range_max_m"),
        spread, 1.0 + 3.0 * spread, _GATE, _UNKNOWN_WEAPON, _OTHER_WEAPON,
        float(cfg.early_sd),
    )  # fmt: skip
    return np.asarray(out, dtype=np.float64)


def same_side_costs(line_m: F8, cfg: LaunchPairConfig) -> F8:
    """-2 ln of the odds that a round whose impact lies ``line_m`` m from the contact
    line (NaN: unknown, priced as far) landed across it rather than on its own side:
    ``a = a∞ - (a∞ - 1/2)·exp(-|s| / L)``, ``a∞`` the odds of ``cfg.same_side_cost``,
    ``L`` = ``cfg.short_band_m`` (the shape of attribution's ``across_p``)."""
    far = 1.0 / (1.0 + np.exp(-0.5 * cfg.same_side_cost))
    s = np.nan_to_num(np.abs(np.asarray(line_m, dtype=np.float64)), nan=np.inf)
    a = far - (far - 0.5) * np.exp(-s / cfg.short_band_m)
    return np.asarray(2.0 * np.log(a / (1.0 - a)), dtype=np.float64)


def side_doubt(a: IP, b: IP, cost: F8, pl: IP, pi: IP, l_side: IP | None) -> F8:
    """For each chosen pair ``(pl[k], pi[k])`` among candidate edges ``(a, b, cost)``
    (cost = -2 ln likelihood of the flight): the probability that its impact's launch
    lies on the other side of the contact line than the chosen one, from the impact's
    candidate launches weighted by ``exp(-cost / 2)``. A close call among one
    battery's rounds (every candidate on one side) leaves the side certain; a
    candidate across the line nearly as good makes it a coin toss. 0 without sides
    (``l_side`` None). ``pair_launches`` passes the flight's cost without the
    same-side cost: attribution weighs the impact's side itself, and the prior
    counted twice left more wrong names on the family's tuning draws (docs/family.md,
    session 15)."""
    out = np.zeros(pl.shape[0])
    if l_side is None or pl.shape[0] == 0 or a.shape[0] == 0:
        return out
    side = np.asarray(l_side)
    slot = np.full(int(b.max(initial=-1)) + 1, -1, np.intp)
    slot[pi[pi < slot.shape[0]]] = np.flatnonzero(pi < slot.shape[0])
    k = slot[b]
    mine = k >= 0
    k, ea, ec = k[mine], a[mine], cost[mine]
    own = np.full(pl.shape[0], np.inf)
    chosen = ea == pl[k]
    np.minimum.at(own, k[chosen], ec[chosen])
    w = np.exp(-0.5 * np.clip(ec - own[k], -50.0, 50.0))
    s0 = side[pl[k]]
    across = (side[ea] * s0) < 0
    total = np.zeros(pl.shape[0])
    np.add.at(total, k, w)
    far = np.zeros(pl.shape[0])
    np.add.at(far, k[across], w[across])
    ok = total > 0
    out[ok] = far[ok] / total[ok]
    return out


def _margins(a: IP, b: IP, cost: F8, pl: IP, pi: IP, nl: int, ni: int) -> F8:
    """For each chosen pair ``(pl[k], pi[k])`` among candidate edges ``(a, b, cost)``:
    the cost of the cheapest other edge at its launch or its impact, minus its own."""
    out = np.full(pl.shape[0], np.inf)
    if pl.shape[0] == 0:
        return out
    key = a.astype(np.int64) * ni + b
    order = np.argsort(key)
    own = cost[order[np.searchsorted(key[order], pl.astype(np.int64) * ni + pi)]]
    kernel = _two_best_kernel()
    two_best = _two_best_numpy if kernel is None else kernel
    l1, l2 = two_best(a, cost, nl)
    i1, i2 = two_best(b, cost, ni)
    alt_l = np.where(l1[pl] < own, l1[pl], l2[pl])
    alt_i = np.where(i1[pi] < own, i1[pi], i2[pi])
    out[:] = np.minimum(alt_l, alt_i) - own
    return out


def _two_best_numpy(node: IP, cost: F8, n: int) -> tuple[F8, F8]:
    """Per node ``0..n-1``, the least and the second least ``cost`` of its edges
    (``node``: each edge's; inf where there are fewer), by sorting."""
    o = np.lexsort((cost, node))
    first = np.r_[True, node[o][1:] != node[o][:-1]]
    b1 = np.full(n, np.inf)
    b2 = np.full(n, np.inf)
    b1[node[o][first]] = cost[o][first]
    nxt = first.nonzero()[0] + 1
    nxt = nxt[nxt < o.shape[0]]
    same = node[o][nxt] == node[o][nxt - 1]
    b2[node[o][nxt[same]]] = cost[o][nxt[same]]
    return b1, b2


def _two_best_loop(node: Any, cost: Any, n: int) -> tuple[Any, Any]:
    """:func:`_two_best_numpy` as one pass over the edges (compiled by numba): the
    two least of each node's costs kept as they come (equal costs both count, as
    in the sorted order; the costs are never NaN)."""
    b1 = np.full(n, np.inf)
    b2 = np.full(n, np.inf)
    for i in range(node.shape[0]):
        v = node[i]
        c = cost[i]
        if c < b1[v]:
            b2[v] = b1[v]
            b1[v] = c
        elif c < b2[v]:
            b2[v] = c
    return b1, b2


@getter
def _two_best_kernel() -> Callable[..., tuple[F8, F8]] | None:
    """:func:`_two_best_loop` compiled (on first use), or None without numba."""
    return compiled(_two_best_loop)


def _global_pairs(a: IP, b: IP, cost: F8, gl: IP, gi: IP, nl: int, ni: int) -> tuple[IP, IP]:
    """The most likely set of pairs: a minimum-cost matching over all gated
    candidates at once, an unpaired launch or impact costing ``_UNPAIRED`` (so
    every pair within the gate is worth taking). An event offered in both roles
    keeps its cheaper pair."""
    edge = min_cost_matching(a, b, cost, nl, ni, _UNPAIRED)
    la = np.flatnonzero(edge >= 0)
    ib = b[edge[la]]
    order = np.argsort(cost[edge[la]], kind="stable")
    used: set[int] = set()
    out_l: list[int] = []
    out_i: list[int] = []
    for k in order.tolist():
        e1, e2 = int(gl[la[k]]), int(gi[ib[k]])
        if e1 in used or e2 in used:
            continue
        used.update((e1, e2))
        out_l.append(int(la[k]))
        out_i.append(int(ib[k]))
    return np.asarray(out_l, np.intp), np.asarray(out_i, np.intp)
