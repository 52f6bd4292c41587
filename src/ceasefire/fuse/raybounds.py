"""A bound on the flight-time cost of blocks of ray samples, for the compiled ray
cost loop (:mod:`.raycost`): a block is ``BLOCK`` consecutive samples of one ray
(a located event is one block of one sample), summed up by the box of its
positions and the ranges of its emission times and variances. A pair of blocks
whose every sample pair the loop would cost inf (beyond every tried weapon's
range bounds or chi-square gate, or dated too early) is skipped: the bound only
ever says "inf" where :func:`~.flightcost.weapon_cost` and the loop's own tests
give inf, so the loop's costs stay the same to the bit.

Why it is exact in floating point: every quantity the loop compares is made of
sums, differences, products, quotients and square roots of the samples'
numbers, each of which rounds monotonically (round-to-nearest never reverses an
order), so the same expression of the block's extreme numbers, in the same
order, bounds the loop's to the bit; only the boxes' distances get a relative
margin of 1e-12: the loop's ``hypot`` is within an ulp of the true distance,
and the square root of the squares' sum the bound takes in its place (cheaper
than ``hypot``) within two (an overflow to inf only where every range bound is
far below; each bound gets 1e-150 m more for a square's underflow). The same
monotone rounding gives a floor of the loop's cost over a block pair (the least
chi-square the boxes allow, plus the weapon's term and the blocks' least
priors), which lets the loop skip block pairs that cannot lower the least costs
it has found. Compiled by numba as the loop's helpers (the ``fast`` extra);
plain Python otherwise (tests call them so)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

#: samples per block (the loop's); a ray of 24 samples makes 6 blocks
BLOCK = 4

# the columns of :func:`row_blocks`' table
_XLO, _XHI, _YLO, _YHI, _TLO, _THI, _VT, _VO, _VP, _OK = range(10)
#: :func:`row_blocks`' columns; :func:`with_priors` adds the priors' after them
_NCOL = 10


def row_blocks(
    x: Any, y: Any, T: Any, var_t: Any, var_obs: Any, var_pos: Any, block: int = BLOCK
) -> Any:
    """``(n, nb, 10)`` per row and block of ``block`` consecutive samples of
    the ``(n, K)`` arrays: least and greatest x, y (m) and emission time (s), the
    greatest time variance, report-time variance (s²) and position variance (m²),
    and 1.0 when every one of them is finite (else 0.0: the block is never
    skipped, so samples with NaN need no bound)."""
    n, k = x.shape
    nb = (k + block - 1) // block
    out = np.empty((n, nb, 10))
    for p in range(n):
        for u in range(nb):
            o = out[p, u]
            j0 = u * block
            o[_XLO] = o[_XHI] = x[p, j0]
            o[_YLO] = o[_YHI] = y[p, j0]
            o[_TLO] = o[_THI] = T[p, j0]
            o[_VT] = var_t[p, j0]
            o[_VO] = var_obs[p, j0]
            o[_VP] = var_pos[p, j0]
            ok = True
            for j in range(j0, min(k, j0 + block)):
                # a NaN or an infinity makes the sum so (or an overflow: never skipped)
                s = x[p, j] + y[p, j] + T[p, j] + var_t[p, j] + var_obs[p, j] + var_pos[p, j]
                if not math.isfinite(s):
                    ok = False
                o[_XLO] = min(o[_XLO], x[p, j])
                o[_XHI] = max(o[_XHI], x[p, j])
                o[_YLO] = min(o[_YLO], y[p, j])
                o[_YHI] = max(o[_YHI], y[p, j])
                o[_TLO] = min(o[_TLO], T[p, j])
                o[_THI] = max(o[_THI], T[p, j])
                o[_VT] = max(o[_VT], var_t[p, j])
                o[_VO] = max(o[_VO], var_obs[p, j])
                o[_VP] = max(o[_VP], var_pos[p, j])
            o[_OK] = 1.0 if ok else 0.0
    return out


def with_priors(table: Any, prior: Any, side: Any, block: int = BLOCK) -> Any:
    """:func:`row_blocks`' ``table`` ``(n, nb, 10)`` with more columns after its
    own, ``(n, nb, 10 + W + 2)``: per block of ``block`` consecutive samples of
    ``prior`` ``(n, K, W)`` (-2 ln of the source density, per weapon) the least
    prior of each weapon over the block's samples (-inf when one is NaN: no
    floor), then 1.0 when a sample of the block has ``side`` > 0 (else 0.0), and
    1.0 when one has ``side`` < 0 (:func:`block_floors`' floors, the loop's sides)."""
    n, k, nw = prior.shape
    nb = table.shape[1]
    c = table.shape[2]
    out = np.empty((n, nb, c + nw + 2))
    for p in range(n):
        for u in range(nb):
            o = out[p, u]
            for col in range(c):
                o[col] = table[p, u, col]
            j0 = u * block
            j1 = min(k, j0 + block)
            for w in range(nw):
                least = prior[p, j0, w]
                for j in range(j0, j1):
                    x = prior[p, j, w]
                    if x < least:
                        least = x
                    elif x != x:
                        least = np.nan
                        break
                o[c + w] = least if least == least else -np.inf
            left = 0.0
            right = 0.0
            for j in range(j0, j1):
                if side[p, j] > 0:
                    left = 1.0
                if side[p, j] < 0:
                    right = 1.0
            o[c + nw] = left
            o[c + nw + 1] = right
    return out


def block_floors(
    Lb: Any, p: int, u0: int, u1: int, Ib: Any, q: int, v0: int, v1: int, wt: Any,
    spread: float, fast_f: float, gate: float, early_sd: float, wl: int, wi: int,
    unknown_cost: float, other_cost: float, use_prior: bool, floors: bool, may: Any,
    order: Any,
) -> int:  # fmt: skip
    """Bound every pair of a launch block ``u`` in ``[u0, u1)`` of row ``p`` of
    ``Lb`` and an impact block ``v`` in ``[v0, v1)`` of row ``q`` of ``Ib``
    (:func:`row_blocks` tables): fill ``may[u, v, w]`` (one per weapon code) with
    False where every pair of a launch sample of block ``u`` and an impact sample
    of block ``v`` costs inf in the ray cost loop for weapon ``w`` (mean speed
    ``wt[0, w]`` m/s, range bounds ``wt[1, w]``/``wt[2, w]`` m, tried when
    ``wt[3, w]`` is 1.0): not tried, dated too early by ``early_sd`` σ of the report
    times (when > 0), outside the range bounds, beyond the chi-square ``gate``
    with the relative speed ``spread``, or flying faster than ``fast_f`` x the
    speed (with the loop's allowances); True where some pair might not. Each
    block pair's floor is a floor of the loop's cost (without the same-side cost)
    of every sample pair of the blocks: inf when every weapon is False, -inf when
    a block holds a NaN or an infinity. The block pairs whose floor is below inf
    are listed in ``order`` ``(3, n)`` (floor, u, v), in ascending floor (of equal
    ones, in (u, v) order); returns how many. With ``use_prior`` the blocks' least
    priors are read from the columns :func:`with_priors` adds. ``wl``/``wi``: the
    launch's and impact's weapon codes (-1 unknown), with ``unknown_cost`` and
    ``other_cost`` as the loop's; without ``floors`` every floor below inf is
    -inf (the list in (u, v) order).

    One call bounds a range of block pairs: the loop passes its arrays once per
    range, not once per block pair (numba counts a reference to each array it
    passes, an atomic operation, which cost more than the bound's arithmetic)."""
    nw = wt.shape[1]
    n = 0
    for u in range(u0, u1):
        for v in range(v0, v1):
            floor = np.inf
            if Lb[p, u, _OK] == 0.0 or Ib[q, v, _OK] == 0.0:
                for w in range(nw):
                    may[u, v, w] = wt[3, w] == 1.0
                floor = -np.inf
            else:
                for w in range(nw):
                    may[u, v, w] = False
                dt_lo = Ib[q, v, _TLO] - Lb[p, u, _THI]
                dt_hi = Ib[q, v, _THI] - Lb[p, u, _TLO]
                # the loop skips a pair with dt <= -early_sd sd_T; sd_T is at most sd_hi
                sd_hi = math.sqrt(Lb[p, u, _VO] + Ib[q, v, _VO])
                early = early_sd > 0 and not dt_hi > -early_sd * sd_hi
                # the speed bound's time: dt with the early allowance, at most this
                late = dt_hi + 2.0 * sd_hi if early_sd > 0 else dt_hi
                gx = max(0.0, max(Ib[q, v, _XLO] - Lb[p, u, _XHI], Lb[p, u, _XLO] - Ib[q, v, _XHI]))
                gy = max(0.0, max(Ib[q, v, _YLO] - Lb[p, u, _YHI], Lb[p, u, _YLO] - Ib[q, v, _YHI]))
                d_lo = math.sqrt(gx * gx + gy * gy) * (1.0 - 1e-12) - 1e-150
                fx = max(Ib[q, v, _XHI] - Lb[p, u, _XLO], Lb[p, u, _XHI] - Ib[q, v, _XLO])
                fy = max(Ib[q, v, _YHI] - Lb[p, u, _YLO], Lb[p, u, _YHI] - Ib[q, v, _YLO])
                d_hi = math.sqrt(fx * fx + fy * fy) * (1.0 + 1e-12) + 1e-150
                var_T = Lb[p, u, _VT] + Ib[q, v, _VT]
                var_d = (Lb[p, u, _VP] + Ib[q, v, _VP]) + 2e4
                sd_d2 = 2.0 * math.sqrt(var_d)
                for w in range(nw):
                    if early or wt[3, w] != 1.0:
                        continue
                    lo = max(d_lo, wt[1, w])
                    hi = min(d_hi, wt[2, w])
                    if not lo <= hi:
                        continue  # no distance within the weapon's range bounds
                    sw = wt[0, w]
                    p_lo = lo / sw
                    p_hi = hi / sw
                    # |dt - d / v| is at least this; the variance at most var
                    e = max(0.0, max(dt_lo - p_hi, p_lo - dt_hi))
                    sp = spread * p_hi
                    var = (var_T + var_d / (sw * sw)) + sp * sp
                    chi2 = (e * e) / var
                    if chi2 > gate:
                        continue
                    if lo - sd_d2 > late * sw * fast_f:
                        continue  # every pair would fly too fast
                    may[u, v, w] = True
                    if not floors:
                        floor = -np.inf
                        continue
                    # the loop's cost of the weapon, each step rounding monotonically:
                    # at least its chi-square's floor plus the weapon's term plus the
                    # priors'
                    if wl == w or wi == w:
                        wc = 0.0
                    elif wl < 0 and wi < 0:
                        wc = unknown_cost
                    else:
                        wc = other_cost
                    cost = chi2 + wc
                    if use_prior:
                        cost = cost + (Lb[p, u, _NCOL + w] + Ib[q, v, _NCOL + w])
                    if cost < floor:
                        floor = cost
                    elif cost != cost:  # NaN: no floor
                        floor = -np.inf
            if not floor < np.inf:
                continue
            # listed after its equals (stable): of equal floors, in (u, v) order
            h = n
            while h > 0 and order[0, h - 1] > floor:
                order[0, h] = order[0, h - 1]
                order[1, h] = order[1, h - 1]
                order[2, h] = order[2, h - 1]
                h -= 1
            order[0, h] = floor
            order[1, h] = u
            order[2, h] = v
            n += 1
    return n


__all__ = ["BLOCK", "block_floors", "row_blocks", "with_priors"]
