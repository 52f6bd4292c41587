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
order, bounds the loop's to the bit; only ``hypot`` (within an ulp) gets a
relative margin of 1e-12. The same monotone rounding gives a floor of the
loop's cost over a block pair (the least chi-square the boxes allow, plus the
weapon's term and the blocks' least priors), which lets the loop skip block
pairs that cannot lower the least costs it has found. Compiled into the loop
by numba (the ``fast`` extra); plain Python otherwise (tests call it so)."""

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
    1.0 when one has ``side`` < 0 (:func:`may_pass`' floors, the loop's sides)."""
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


def may_pass(
    L: Any, Im: Any, speeds: Any, lo_m: Any, hi_m: Any, tried: Any, spread: float,
    fast_f: float, gate: float, early_sd: float, out: Any, wl: int,
    wi: int, unknown_cost: float, other_cost: float, use_prior: bool, floors: bool,
) -> float:  # fmt: skip
    """Fill ``out[w]`` (one per weapon code) with False where every pair of a
    launch sample of block ``L`` and an impact sample of block ``Im`` (rows of
    :func:`row_blocks`) costs inf in the ray cost loop for weapon ``w`` (mean speed
    ``speeds[w]`` m/s, range bounds ``lo_m[w]``/``hi_m[w]`` m): not ``tried``,
    dated too early by ``early_sd`` σ of the report times (when > 0), outside the
    range bounds, beyond the chi-square ``gate`` with the relative speed
    ``spread``, or flying faster than ``fast_f`` x the speed (with the loop's
    allowances); True where some pair might not. Returns a floor of the loop's
    cost (without the same-side cost) of every sample pair of the blocks: inf
    when every weapon is False, -inf when a block holds a NaN or an infinity.
    With ``use_prior`` the blocks' least priors are read from the columns
    :func:`with_priors` adds to ``L`` and ``Im``. ``wl``/``wi``: the launch's and
    impact's weapon codes (-1 unknown), with ``unknown_cost`` and ``other_cost``
    as the loop's; without ``floors`` the floor is -inf when some weapon may pass."""
    nw = speeds.shape[0]
    if L[_OK] == 0.0 or Im[_OK] == 0.0:
        for w in range(nw):
            out[w] = tried[w]
        return -np.inf
    for w in range(nw):
        out[w] = False
    dt_lo = Im[_TLO] - L[_THI]
    dt_hi = Im[_THI] - L[_TLO]
    # the loop skips a pair with dt <= -early_sd sd_T; sd_T is at most sd_hi
    sd_hi = math.sqrt(L[_VO] + Im[_VO])
    if early_sd > 0 and not dt_hi > -early_sd * sd_hi:
        return np.inf
    # the speed bound's time: dt with the early allowance, at most this
    late = dt_hi + 2.0 * sd_hi if early_sd > 0 else dt_hi
    gx = max(0.0, max(Im[_XLO] - L[_XHI], L[_XLO] - Im[_XHI]))
    gy = max(0.0, max(Im[_YLO] - L[_YHI], L[_YLO] - Im[_YHI]))
    d_lo = math.hypot(gx, gy) * (1.0 - 1e-12)
    fx = max(Im[_XHI] - L[_XLO], L[_XHI] - Im[_XLO])
    fy = max(Im[_YHI] - L[_YLO], L[_YHI] - Im[_YLO])
    d_hi = math.hypot(fx, fy) * (1.0 + 1e-12)
    var_T = L[_VT] + Im[_VT]
    var_d = (L[_VP] + Im[_VP]) + 2e4
    sd_d2 = 2.0 * math.sqrt(var_d)
    floor = np.inf
    for w in range(nw):
        if not tried[w]:
            continue
        lo = max(d_lo, lo_m[w])
        hi = min(d_hi, hi_m[w])
        if not lo <= hi:
            continue  # no distance within the weapon's range bounds
        v = speeds[w]
        p_lo = lo / v
        p_hi = hi / v
        # |dt - d / v| is at least this; the variance at most var
        e = max(0.0, max(dt_lo - p_hi, p_lo - dt_hi))
        sp = spread * p_hi
        var = (var_T + var_d / (v * v)) + sp * sp
        chi2 = (e * e) / var
        if chi2 > gate:
            continue
        if lo - sd_d2 > late * v * fast_f:
            continue  # every pair would fly too fast
        out[w] = True
        if not floors:
            floor = -np.inf
            continue
        # the loop's cost of the weapon, each step rounding monotonically: at
        # least its chi-square's floor plus the weapon's term plus the priors'
        if wl == w or wi == w:
            wc = 0.0
        elif wl < 0 and wi < 0:
            wc = unknown_cost
        else:
            wc = other_cost
        cost = chi2 + wc
        if use_prior:
            cost = cost + (L[_NCOL + w] + Im[_NCOL + w])
        if cost < floor:
            floor = cost
        elif cost != cost:  # NaN: no floor
            floor = -np.inf
    return floor


__all__ = ["BLOCK", "may_pass", "row_blocks", "with_priors"]
