"""The least flight-time cost of ray-pair candidates (:mod:`ceasefire.fuse.raypairs`)
as one compiled loop over (candidate, launch sample, impact sample, weapon)
(numba, the ``fast`` extra), giving the numpy code's costs to the bit: the same
arithmetic in the same order as :func:`~ceasefire.fuse.pairing.flight_cost` and
``raypairs._best_cost`` (only divisions, products, sums, ``hypot`` and ``sqrt``,
which round alike in both). The numpy code gathers every candidate's samples
(``k x k`` per pair of rays, times each weapon) into temporary arrays; the loop
reads them in place, and skips the blocks of samples (and, within the rest,
the weapons) that :mod:`.raybounds` proves cost inf (the same costs: an inf
changes no least cost); between two rays it visits the blocks least floor first
and skips those whose floor cannot lower a least cost found (nor tie one
before its sample pair: the same sides). Without numba, :func:`ray_cost_kernel`
is None and the numpy code runs."""

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
_may_pass = raybounds.may_pass
_with_priors = raybounds.with_priors
_BLOCK = raybounds.BLOCK


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
    ``by_side`` ``(n, 3)`` is filled in place: the least cost without the
    same-side cost over the launch samples left (side > 0) and right (< 0) of the
    line, and the launch side of the least-cost sample (0 when none passes)."""
    n = a.shape[0]
    k1 = lx.shape[1]
    k2 = ix.shape[1]
    nw = speeds.shape[0]
    # the distances some tried weapon's range bounds allow: a sample pair beyond
    # them (or dated too early) costs inf for every weapon and changes no minimum
    d_lo = np.inf
    d_hi = -np.inf
    for w in range(nw):
        if tried[w]:
            d_lo = min(d_lo, lo_m[w])
            d_hi = max(d_hi, hi_m[w])
    # blocks of samples whose every pair costs inf are skipped (:mod:`.raybounds`:
    # exact), and between rays those whose floor cannot lower the least costs
    # found; of equal least costs the first sample pair in (i, j) order gives the side
    lb = _row_blocks(lx, ly, lT, lvt, lvo, lvp, _BLOCK)
    ib = _row_blocks(ix, iy, iT, ivt, ivo, ivp, _BLOCK)
    nb1 = lb.shape[1]
    nb2 = ib.shape[1]
    # ray x ray: 36 block pairs, visited least floor first; once the least costs
    # are found, most of the rest cannot lower them (two thirds of the kept ones
    # on the stress day's ray pairs). A ray x point's 6 are visited in (i, j) order
    ordered = nb1 > 1 and nb2 > 1
    if ordered:
        # the blocks' least priors per weapon and which sides of the line they hold
        lb = _with_priors(lb, lprior, lside, _BLOCK)
        ib = _with_priors(ib, iprior, iside, _BLOCK)
    lcol = 10 + nw  # the launch blocks' sides: which ones hold a sample left, right
    may = np.empty((nb1, nb2, nw), np.bool_)  # the weapons a block pair may pass
    may_any = np.empty((nb1, nb2), np.bool_)
    # a floor of the block pair's costs without the same-side cost, and with it
    # at its least (a negative same-side cost lowers it)
    floor = np.empty((nb1, nb2))
    side_min = min(same_side_cost, 0.0)
    order_f = np.empty(nb1 * nb2)
    order_u = np.empty(nb1 * nb2, np.intp)
    order_v = np.empty(nb1 * nb2, np.intp)
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
        some = False
        for u in range(nb1):
            for v in range(nb2):
                f = _may_pass(
                    lb[p, u], ib[q, v], speeds, lo_m, hi_m, tried, spread, fast_f, gate,
                    early_sd, may[u, v], wl, wi, unknown_cost, other_cost, use_prior, ordered,
                )  # fmt: skip
                ok = f < np.inf
                floor[u, v] = f
                may_any[u, v] = ok
                some = some or ok
        if not some:
            out[r] = m
            by_side[r, 0] = m_left
            by_side[r, 1] = m_right
            by_side[r, 2] = at
            continue
        # the sample pair's body is written out in both loops below: as one compiled
        # function called per sample pair it ran 3.2x slower (numba did not inline it)
        if not ordered:
            # (i, j) order, as the block pairs are few
            for i in range(k1):
                u = i // _BLOCK
                for v in range(nb2):
                    if not may_any[u, v]:
                        continue
                    wmay = may[u, v]
                    for j in range(v * _BLOCK, min(k2, (v + 1) * _BLOCK)):
                        dist = math.hypot(ix[q, j] - lx[p, i], iy[q, j] - ly[p, i])
                        if not (dist >= d_lo and dist <= d_hi):
                            continue
                        dt = iT[q, j] - lT[p, i]
                        dt_hi = dt
                        if early_sd > 0:
                            sd_T = math.sqrt(lvo[p, i] + ivo[q, j])
                            if not dt > -early_sd * sd_T:
                                continue
                            dt_hi = dt + 2.0 * sd_T
                        var_T = lvt[p, i] + ivt[q, j]
                        var_d = (lvp[p, i] + ivp[q, j]) + 2e4
                        best = np.inf
                        for w in range(nw):
                            if not wmay[w]:  # untried, or inf for the whole block pair
                                continue
                            cost = _weapon_cost(
                                dist, dt, dt_hi, var_T, var_d, w, speeds[w], lo_m[w], hi_m[w],
                                wl, wi, spread, fast_f, gate, unknown_cost, other_cost,
                            )  # fmt: skip
                            if use_prior:
                                cost = cost + (lprior[p, i, w] + iprior[q, j, w])
                            if cost < best:
                                best = cost
                        if lside[p, i] > 0 and best < m_left:
                            m_left = best
                        if lside[p, i] < 0 and best < m_right:
                            m_right = best
                        best = best + (same_side_cost if lside[p, i] * iside[q, j] > 0 else 0.0)
                        if best < m:
                            m = best
                            at = float(lside[p, i])
            out[r] = m
            by_side[r, 0] = m_left
            by_side[r, 1] = m_right
            by_side[r, 2] = at
            continue
        # the kept block pairs, least floor first (stable: ties in (u, v) order):
        # the least costs are found early, and block pairs whose floor cannot
        # lower them are then skipped
        nk = 0
        for u in range(nb1):
            for v in range(nb2):
                if may_any[u, v]:
                    f = floor[u, v]
                    h = nk
                    while h > 0 and order_f[h - 1] > f:
                        order_f[h] = order_f[h - 1]
                        order_u[h] = order_u[h - 1]
                        order_v[h] = order_v[h - 1]
                        h -= 1
                    order_f[h] = f
                    order_u[h] = u
                    order_v[h] = v
                    nk += 1
        at_key = k1 * k2  # the (i, j) order of the least cost's sample pair
        for h in range(nk):
            u = order_u[h]
            v = order_v[h]
            f = order_f[h]
            # no sample pair of the block pair can lower a least cost found so
            # far, nor tie the overall one before its sample pair in (i, j)
            # order (the (i, j) loop keeps the first of equal costs): skipped
            fm = f + side_min
            if (
                (fm > m or (fm == m and (u * _BLOCK) * k2 + v * _BLOCK > at_key))
                and (lb[p, u, lcol] == 0.0 or f >= m_left)
                and (lb[p, u, lcol + 1] == 0.0 or f >= m_right)
            ):
                continue
            wmay = may[u, v]
            for i in range(u * _BLOCK, min(k1, (u + 1) * _BLOCK)):
                for j in range(v * _BLOCK, min(k2, (v + 1) * _BLOCK)):
                    dist = math.hypot(ix[q, j] - lx[p, i], iy[q, j] - ly[p, i])
                    if not (dist >= d_lo and dist <= d_hi):
                        continue
                    dt = iT[q, j] - lT[p, i]
                    dt_hi = dt
                    if early_sd > 0:
                        sd_T = math.sqrt(lvo[p, i] + ivo[q, j])
                        if not dt > -early_sd * sd_T:
                            continue
                        dt_hi = dt + 2.0 * sd_T
                    var_T = lvt[p, i] + ivt[q, j]
                    var_d = (lvp[p, i] + ivp[q, j]) + 2e4
                    best = np.inf
                    for w in range(nw):
                        if not wmay[w]:  # untried, or inf for the whole block pair
                            continue
                        cost = _weapon_cost(
                            dist, dt, dt_hi, var_T, var_d, w, speeds[w], lo_m[w], hi_m[w], wl, wi,
                            spread, fast_f, gate, unknown_cost, other_cost,
                        )  # fmt: skip
                        if use_prior:
                            cost = cost + (lprior[p, i, w] + iprior[q, j, w])
                        if cost < best:
                            best = cost
                    if lside[p, i] > 0 and best < m_left:
                        m_left = best
                    if lside[p, i] < 0 and best < m_right:
                        m_right = best
                    best = best + (same_side_cost if lside[p, i] * iside[q, j] > 0 else 0.0)
                    # the least cost, of equal ones the first in (i, j) order
                    key = i * k2 + j
                    if best < m or (best == m and best < np.inf and key < at_key):
                        m = best
                        at = float(lside[p, i])
                        at_key = key
        out[r] = m
        by_side[r, 0] = m_left
        by_side[r, 1] = m_right
        by_side[r, 2] = at
    return out


@getter
def ray_cost_kernel() -> Callable[..., Any] | None:
    """:func:`_ray_cost_loop` compiled (on first use: numba is imported only when
    rays are paired), or None without the ``fast`` extra."""
    # may_pass is called for each of a candidate's 36 block pairs: written into
    # the loop, the dense row's ray pairs cost ~12 % less (the same costs)
    return compiled_calling(
        _ray_cost_loop,
        inlined=("_may_pass",),
        _weapon_cost=flightcost.weapon_cost,
        _row_blocks=raybounds.row_blocks,
        _may_pass=raybounds.may_pass,
        _with_priors=raybounds.with_priors,
    )
