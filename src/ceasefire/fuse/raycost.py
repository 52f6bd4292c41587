"""The least flight-time cost of ray-pair candidates (:mod:`ceasefire.fuse.raypairs`)
as one compiled loop over (candidate, launch sample, impact sample, weapon)
(numba, the ``fast`` extra), giving the numpy code's costs to the bit: the same
arithmetic in the same order as :func:`~ceasefire.fuse.pairing.flight_cost` and
``raypairs._best_cost`` (only divisions, products, sums, ``hypot`` and ``sqrt``,
which round alike in both). The numpy code gathers every candidate's samples
(``k x k`` per pair of rays, times each weapon) into temporary arrays; the loop
reads them in place, and skips the blocks of samples (and, within the rest,
the weapons) that :mod:`.raybounds` proves cost inf (the same costs: an inf
changes no least cost). Between two rays it visits pairs of super-blocks (a
few blocks each), then their blocks, least floor first, and skips those whose
floor cannot lower a least cost found (nor tie one before its sample pair: the
same sides); within a block pair, a sample pair whose weapons' terms and
priors alone (a chi-square is never below 0) cannot lower one is skipped
before its distance, and one whose every weapon is inf (or, without the sides,
beyond the chi-square left below the least cost: :func:`room_gate`) at every
distance within the rounding of its squares' root (:func:`surely_inf`) before
``hypot``. Without numba, :func:`ray_cost_kernel` is None and the numpy code
runs."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ceasefire.fuse import flightcost, raybounds
from ceasefire.fuse.compiled import compiled_calling, getter

#: one weapon's cost, rebound to numba's compiled helper when the loop is compiled
_weapon_cost = flightcost.weapon_cost
#: the blocks' bound (:mod:`.raybounds`), rebound likewise
_row_blocks = raybounds.row_blocks
_block_floors = raybounds.block_floors
_with_priors = raybounds.with_priors
_BLOCK = raybounds.BLOCK
#: blocks per super-block along a ray: two rays' 6 x 6 block pairs (24 samples
#: each) are first bounded as 2 x 2 pairs of super-blocks, and only the blocks of
#: the super-block pairs whose floor can lower a least cost are bounded (of 2,
#: 3 and 6, and blocks of 2-8 samples, the dense row's ray pairs ran fastest so)
_SUPER = 3
# the columns of :func:`_sample_table`: a sample's position (m), emission time (s),
# time variance (s²), report-time variance (s²), position variance (m²), side of
# the line, then its prior per weapon
_X, _Y, _T, _VT, _VO, _VP, _SIDE, _PRIOR = range(8)
# the rows of the loop's weapon table: speed (m/s), range bounds (m), tried (1.0),
# then two scratch rows (a block pair's weapons, their terms)
_SPEED, _LO, _HI, _TRIED, _WS, _WCS = range(6)


def _sample_table(
    x: Any, y: Any, T: Any, var_t: Any, var_obs: Any, var_pos: Any, side: Any, prior: Any
) -> Any:
    """One side's samples ``(n, K)`` (``prior`` ``(n, K, W)``) as one table ``(n,
    K, 7 + W)`` (the side as a float: -1.0, 0.0, 1.0), read by the loop's helpers:
    numba counts a reference to each array a compiled call is passed (an atomic
    operation each way, which cost the loop more than its arithmetic), so they
    are passed few arrays."""
    n, k = x.shape
    nw = prior.shape[2]
    out = np.empty((n, k, _PRIOR + nw))
    for p in range(n):
        for i in range(k):
            o = out[p, i]
            o[_X] = x[p, i]
            o[_Y] = y[p, i]
            o[_T] = T[p, i]
            o[_VT] = var_t[p, i]
            o[_VO] = var_obs[p, i]
            o[_VP] = var_pos[p, i]
            o[_SIDE] = float(side[p, i])
            for w in range(nw):
                o[_PRIOR + w] = prior[p, i, w]
    return out


def _cannot_lower(
    f: float, key0: int, left: float, right: float, m: float, m_left: float, m_right: float,
    at_key: int, side_min: float, sides: bool,
) -> bool:  # fmt: skip
    """Whether a (super-)block pair of floor ``f`` (without the same-side cost,
    whose least is ``side_min``), whose first sample pair in (i, j) order is
    ``key0`` and whose launch samples lie left (``left`` 1.0) or right (``right``
    1.0) of the line, can change none of the least costs found (``m``, of equal
    ones the first in (i, j) order, at ``at_key``; with ``sides`` also the
    least flight costs left and right, ``m_left``, ``m_right``)."""
    fm = f + side_min
    if not sides:
        return fm >= m
    return (
        (fm > m or (fm == m and key0 > at_key))
        and (left == 0.0 or f >= m_left)
        and (right == 0.0 or f >= m_right)
    )


def room_gate(m: float, ss: float, c0: float, gate: float) -> float:
    """The chi-square gate a weapon is tried within, at a sample pair whose cost
    without the chi-square is ``c0`` (the weapon's term plus the priors) and
    same-side cost ``ss``, when only a cost below the least cost ``m`` matters:
    -1.0 when none can be (a chi-square is at least 0, and the loop's sums
    round monotonically: its cost plus ``ss`` is at least ``c0 + ss``), else
    ``gate`` or less. A weapon beyond ``m - ss - c0`` by more than its rounding
    (the margin, 1e-9 of the terms' sizes, is far beyond the few ulps of the
    loop's four sums) costs at least ``m`` with ``ss``: it lowers nothing, and
    :func:`~.flightcost.weapon_cost` within the gate returned gives it inf."""
    if not c0 + ss < m:
        return -1.0
    room = (m - ss - c0) + 1e-9 * (1.0 + abs(m) + abs(ss) + abs(c0))
    return room if room < gate else gate


def surely_inf(
    d_lo: float, d_hi: float, dt: float, dt_hi: float, var_T: float, var_d: float, v: float,
    lo_m: float, hi_m: float, spread: float, fast_f: float, gate: float,
) -> bool:  # fmt: skip
    """Whether :func:`~.flightcost.weapon_cost` (speed ``v``, range bounds
    ``lo_m``/``hi_m``, within ``gate``) is inf at every distance in ``[d_lo,
    d_hi]`` (m) for the flight time ``dt`` (s; ``dt_hi``, the variances: its
    arguments). Its own steps on the interval's ends: each rounds monotonically,
    so its prediction ``d / v`` lies between theirs, the residual is at least
    the one taken, the variance at most, the chi-square at least (and the speed
    bound's distance at least): beyond the gate (or the bound) for every
    distance between, it is so for the loop's."""
    if d_hi < lo_m or d_lo > hi_m:
        return True
    p_lo = d_lo / v
    p_hi = d_hi / v
    e = max(0.0, max(dt - p_hi, p_lo - dt))
    sp = spread * p_hi
    var = (var_T + var_d / (v * v)) + sp * sp
    if (e * e) / var > gate:
        return True
    return d_lo - 2.0 * math.sqrt(var_d) > dt_hi * v * fast_f


#: the two, rebound to numba's compiled helpers when the loop is compiled
_room_gate = room_gate
_surely_inf = surely_inf


def _sample_pairs(
    Lt: Any, It: Any, wt: Any, may: Any, u: int, v: int, p: int, q: int, k1: int, k2: int,
    wl: int, wi: int, d_lo: float, d_hi: float, C: tuple[float, float, float, float, float, float],
    use_prior: bool, early_sd: float, sides: bool,
    found: tuple[float, float, float, float, int],
) -> tuple[float, float, float, float, int]:  # fmt: skip
    """The least costs ``found`` (``m``, ``m_left``, ``m_right``, ``at``,
    ``at_key``: :func:`_ray_cost_loop`'s) lowered by the sample pairs of launch
    block ``u`` of row ``p`` of ``Lt`` and impact block ``v`` of row ``q`` of
    ``It`` (tables of :func:`_sample_table`, ``k1`` and ``k2`` samples a row), for
    the weapons ``may[u, v]`` leaves; of equal least costs the first in (i, j)
    order (``i * k2 + j``). ``wt``: the weapon table (its scratch rows written);
    ``C``: (spread, fast_f, gate, unknown_cost, other_cost, same_side_cost)."""
    spread, fast_f, gate, unknown_cost, other_cost, same_side_cost = C
    m, m_left, m_right, at, at_key = found
    # the weapons ``may`` lets pass and each one's term, listed once for the
    # block pair: the sample pairs' loops then skip no weapon and test no code
    # (the same terms, added in the same order: the same costs)
    nmay = 0
    for w in range(wt.shape[1]):
        if may[u, v, w]:
            wt[_WS, nmay] = w
            if wl == w or wi == w:
                wt[_WCS, nmay] = 0.0
            elif wl < 0 and wi < 0:
                wt[_WCS, nmay] = unknown_cost
            else:
                wt[_WCS, nmay] = other_cost
            nmay += 1
    for i in range(u * _BLOCK, min(k1, (u + 1) * _BLOCK)):
        for j in range(v * _BLOCK, min(k2, (v + 1) * _BLOCK)):
            key = i * k2 + j
            ss = same_side_cost if Lt[p, i, _SIDE] * It[q, j, _SIDE] > 0 else 0.0
            if not sides:
                # a floor of the pair's cost: each weapon's chi-square is at least
                # 0 (the loop's sums of it, each rounding monotonically); a NaN
                # prior makes a weapon's cost NaN, which never lowers a least
                # cost. (With the sides, which it seldom skips, it cost more
                # than it saved)
                lowest = np.inf
                for h in range(nmay):
                    w = int(wt[_WS, h])
                    c0 = wt[_WCS, h]
                    if use_prior:
                        c0 = c0 + (Lt[p, i, _PRIOR + w] + It[q, j, _PRIOR + w])
                    if c0 < lowest:
                        lowest = c0
                if not lowest + ss < m:
                    continue
            # the time test before the distance's (either skips the pair)
            dt = It[q, j, _T] - Lt[p, i, _T]
            dt_hi = dt
            if early_sd > 0:
                sd_T = math.sqrt(Lt[p, i, _VO] + It[q, j, _VO])
                if not dt > -early_sd * sd_T:
                    continue
                dt_hi = dt + 2.0 * sd_T
            dx = It[q, j, _X] - Lt[p, i, _X]
            dy = It[q, j, _Y] - Lt[p, i, _Y]
            var_T = Lt[p, i, _VT] + It[q, j, _VT]
            var_d = (Lt[p, i, _VP] + It[q, j, _VP]) + 2e4
            # most sample pairs cost inf (or not below the least cost) for every
            # weapon: told so from the distance within its rounding (surely_inf),
            # before the distance itself (hypot, costlier than a square root). The
            # root of the squares' sum is within 2 ulps of hypot's, 1e-150 m for
            # a square's underflow
            near = math.sqrt(dx * dx + dy * dy)
            if near < np.inf:
                near_lo = near * (1.0 - 1e-12) - 1e-150
                near_hi = near * (1.0 + 1e-12) + 1e-150
                if near_hi < d_lo or near_lo > d_hi:
                    continue
                hope = False
                for h in range(nmay):
                    w = int(wt[_WS, h])
                    g = gate
                    if not sides:
                        c0 = wt[_WCS, h]
                        if use_prior:
                            c0 = c0 + (Lt[p, i, _PRIOR + w] + It[q, j, _PRIOR + w])
                        g = _room_gate(m, ss, c0, gate)
                        if not g >= 0.0:
                            continue
                    if not _surely_inf(
                        near_lo, near_hi, dt, dt_hi, var_T, var_d, wt[_SPEED, w], wt[_LO, w],
                        wt[_HI, w], spread, fast_f, g,
                    ):  # fmt: skip
                        hope = True
                        break
                if not hope:
                    continue
            dist = math.hypot(dx, dy)
            if not (dist >= d_lo and dist <= d_hi):
                continue
            best = np.inf
            for h in range(nmay):  # not the untried, nor those inf for the block pair
                w = int(wt[_WS, h])
                g = gate
                if not sides:
                    # only a cost that lowers the least cost matters: the weapon
                    # is tried within the chi-square left to it (room_gate)
                    c0 = wt[_WCS, h]
                    if use_prior:
                        c0 = c0 + (Lt[p, i, _PRIOR + w] + It[q, j, _PRIOR + w])
                    g = _room_gate(m, ss, c0, gate)
                    if not g >= 0.0:
                        continue
                cost = _weapon_cost(
                    dist, dt, dt_hi, var_T, var_d, w, wt[_SPEED, w], wt[_LO, w], wt[_HI, w],
                    wl, wi, spread, fast_f, g, unknown_cost, other_cost,
                )  # fmt: skip
                if use_prior:
                    cost = cost + (Lt[p, i, _PRIOR + w] + It[q, j, _PRIOR + w])
                if cost < best:
                    best = cost
            if sides:
                if Lt[p, i, _SIDE] > 0 and best < m_left:
                    m_left = best
                if Lt[p, i, _SIDE] < 0 and best < m_right:
                    m_right = best
            best = best + ss
            if best < m or (best == m and best < np.inf and key < at_key):
                m = best
                at = Lt[p, i, _SIDE]
                at_key = key
    return m, m_left, m_right, at, at_key


def _ray_cost_loop(
    lx: Any,
    ly: Any,
    lT: Any,
    lvt: Any,
    lvo: Any,
    lvp: Any,
    lside: Any,
    lprior: Any,
    ix: Any,
    iy: Any,
    iT: Any,
    ivt: Any,
    ivo: Any,
    ivp: Any,
    iside: Any,
    iprior: Any,
    a: Any,
    b: Any,
    lw: Any,
    iw: Any,
    speeds: Any,
    lo_m: Any,
    hi_m: Any,
    tried: Any,
    spread: float,
    fast_f: float,
    gate: float,
    unknown_cost: float,
    other_cost: float,
    same_side_cost: float,
    use_prior: bool,
    early_sd: float,
    sides: bool,
    by_side: Any,
) -> Any:
    """Least cost per candidate ``(a[r], b[r])`` over the launch samples ``(nl, K1)``
    and impact samples ``(ni, K2)`` (position m, emission time s, time variance
    s², the report time's alone s², position variance m², side of the line,
    ``prior`` ``(n, K, W)``), inf when no sample passes. ``lw``/``iw``: weapon
    codes per launch/impact (-1 unknown); per weapon: ``speeds`` (m/s), range
    bounds ``lo_m``/``hi_m`` (m, already 0.8 x min and 1.2 x max), ``tried``;
    ``fast_f`` = 1 + 3 spread;
    ``early_sd`` > 0: a sample pair whose impact is dated early by less than this
    many σ of the report times is tried, the speed bound allowing 2 of them (else
    none dated early passes the speed bound).
    ``by_side`` ``(n, 3)`` is filled in place when ``sides``: the least cost
    without the same-side cost over the launch samples left (side > 0) and right
    (< 0) of the line, and the launch side of the least-cost sample (0 when none
    passes; the first in (i, j) order on a tie); without ``sides`` it is left as
    it is and only the least costs are found, which visits fewer sample pairs."""
    n = a.shape[0]
    k1 = lx.shape[1]
    k2 = ix.shape[1]
    nw = speeds.shape[0]
    # the distances some tried weapon's range bounds allow: a sample pair beyond
    # them (or dated too early) costs inf for every weapon and changes no minimum
    d_lo = np.inf
    d_hi = -np.inf
    wt = np.zeros((6, nw))
    for w in range(nw):
        wt[_SPEED, w] = speeds[w]
        wt[_LO, w] = lo_m[w]
        wt[_HI, w] = hi_m[w]
        wt[_TRIED, w] = 1.0 if tried[w] else 0.0
        if tried[w]:
            d_lo = min(d_lo, lo_m[w])
            d_hi = max(d_hi, hi_m[w])
    Lt = _sample_table(lx, ly, lT, lvt, lvo, lvp, lside, lprior)
    It = _sample_table(ix, iy, iT, ivt, ivo, ivp, iside, iprior)
    # blocks of samples whose every pair costs inf are skipped (:mod:`.raybounds`:
    # exact), and between rays those whose floor cannot lower the least costs found
    lb = _row_blocks(lx, ly, lT, lvt, lvo, lvp, _BLOCK)
    ib = _row_blocks(ix, iy, iT, ivt, ivo, ivp, _BLOCK)
    nb1 = lb.shape[1]
    nb2 = ib.shape[1]
    # ray x ray: the super-block pairs, then the blocks of those kept, visited
    # least floor first; once the least costs are found, most of the rest cannot
    # lower them. A ray x point's few block pairs are visited in (i, j) order
    ordered = nb1 > 1 and nb2 > 1
    sb = _SUPER * _BLOCK
    if ordered:
        # the blocks' least priors per weapon and which sides of the line they hold
        lb = _with_priors(lb, lprior, lside, _BLOCK)
        ib = _with_priors(ib, iprior, iside, _BLOCK)
        ls = _with_priors(_row_blocks(lx, ly, lT, lvt, lvo, lvp, sb), lprior, lside, sb)
        is_ = _with_priors(_row_blocks(ix, iy, iT, ivt, ivo, ivp, sb), iprior, iside, sb)
    else:
        ls = lb
        is_ = ib
    ns1 = ls.shape[1]
    ns2 = is_.shape[1]
    lcol = 10 + nw  # the launch blocks' sides: which ones hold a sample left, right
    may = np.empty((nb1, nb2, nw), np.bool_)  # the weapons a block pair may pass
    smay = np.empty((ns1, ns2, nw), np.bool_)
    # a floor's least same-side cost (a negative one lowers it)
    side_min = min(same_side_cost, 0.0)
    # (floor, u, v) of the (super-)block pairs some weapon may pass, least first
    sorder = np.empty((3, ns1 * ns2))
    order = np.empty((3, max(nb1 * nb2, _SUPER * _SUPER)))
    C = (spread, fast_f, gate, unknown_cost, other_cost, same_side_cost)
    out = np.empty(n)
    for r in range(n):
        p = a[r]
        q = b[r]
        wl = lw[p]
        wi = iw[q]
        m = np.inf
        m_left = np.inf
        m_right = np.inf
        at = 0.0
        at_key = k1 * k2  # the (i, j) order of the least cost's sample pair
        if not ordered:
            nk = _block_floors(
                lb, p, 0, nb1, ib, q, 0, nb2, wt, spread, fast_f, gate, early_sd, wl, wi,
                unknown_cost, other_cost, use_prior, False, may, order,
            )  # fmt: skip
            for h in range(nk):  # in (u, v) order: no floors
                m, m_left, m_right, at, at_key = _sample_pairs(
                    Lt, It, wt, may, int(order[1, h]), int(order[2, h]), p, q, k1, k2, wl,
                    wi, d_lo, d_hi, C, use_prior, early_sd, sides,
                    (m, m_left, m_right, at, at_key),
                )  # fmt: skip
        else:
            # the super-block pairs some weapon may pass, least floor first
            nsk = _block_floors(
                ls, p, 0, ns1, is_, q, 0, ns2, wt, spread, fast_f, gate, early_sd, wl, wi,
                unknown_cost, other_cost, use_prior, True, smay, sorder,
            )  # fmt: skip
            for hs in range(nsk):
                su = int(sorder[1, hs])
                sv = int(sorder[2, hs])
                if _cannot_lower(
                    sorder[0, hs], (su * sb) * k2 + sv * sb, ls[p, su, lcol],
                    ls[p, su, lcol + 1], m, m_left, m_right, at_key, side_min, sides,
                ):  # fmt: skip
                    if sides:
                        continue
                    break  # nor can any after it (the least costs alone)
                # its block pairs some weapon may pass, least floor first
                nk = _block_floors(
                    lb, p, su * _SUPER, min(nb1, (su + 1) * _SUPER), ib, q, sv * _SUPER,
                    min(nb2, (sv + 1) * _SUPER), wt, spread, fast_f, gate, early_sd, wl, wi,
                    unknown_cost, other_cost, use_prior, True, may, order,
                )  # fmt: skip
                for h in range(nk):
                    u = int(order[1, h])
                    v = int(order[2, h])
                    if _cannot_lower(
                        order[0, h], (u * _BLOCK) * k2 + v * _BLOCK, lb[p, u, lcol],
                        lb[p, u, lcol + 1], m, m_left, m_right, at_key, side_min, sides,
                    ):  # fmt: skip
                        if sides:
                            continue
                        break
                    m, m_left, m_right, at, at_key = _sample_pairs(
                        Lt, It, wt, may, u, v, p, q, k1, k2, wl, wi, d_lo, d_hi, C,
                        use_prior, early_sd, sides, (m, m_left, m_right, at, at_key),
                    )  # fmt: skip
        out[r] = m
        if sides:
            by_side[r, 0] = m_left
            by_side[r, 1] = m_right
            by_side[r, 2] = at
    return out


@getter
def ray_cost_kernel() -> Callable[..., Any] | None:
    """:func:`_ray_cost_loop` compiled (on first use: numba is imported only when
    rays are paired), or None without the ``fast`` extra."""
    # the bounds and the sample pairs' visits are compiled calls, each passed a
    # few tables (a range of block pairs a call): written into the loop (numba's
    # IR), each array they are passed is a counted reference per call
    return compiled_calling(
        _ray_cost_loop,
        inlined=("_cannot_lower", "_room_gate", "_surely_inf"),
        _weapon_cost=flightcost.weapon_cost,
        _row_blocks=raybounds.row_blocks,
        _block_floors=raybounds.block_floors,
        _with_priors=raybounds.with_priors,
        _sample_table=_sample_table,
        _sample_pairs=_sample_pairs,
        _cannot_lower=_cannot_lower,
        _room_gate=room_gate,
        _surely_inf=surely_inf,
    )


__all__ = ["ray_cost_kernel", "room_gate", "surely_inf"]
