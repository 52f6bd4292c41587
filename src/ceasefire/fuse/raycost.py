"""The least flight-time cost of ray-pair candidates (:mod:`ceasefire.fuse.raypairs`)
as one compiled loop over (candidate, launch sample, impact sample, weapon)
(numba, the ``fast`` extra), giving the numpy code's costs to the bit: the same
arithmetic in the same order as :func:`~ceasefire.fuse.pairing.flight_cost` and
``raypairs._best_cost`` (only divisions, products, sums, ``hypot`` and ``sqrt``,
which round alike in both). The numpy code gathers every candidate's samples
(``k x k`` per pair of rays, times each weapon) into temporary arrays; the loop
reads them in place, and skips the blocks of samples (and, within the rest,
the weapons) that :mod:`.raybounds` proves cost inf (the same costs: an inf
changes no least cost). Without numba, :func:`ray_cost_kernel` is None and the
numpy code runs."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ceasefire.fuse import flightcost, raybounds
from ceasefire.fuse.compiled import compiled_calling

#: one weapon's cost, rebound to numba's compiled helper when the loop is compiled
_weapon_cost = flightcost.weapon_cost
#: the blocks' bound (:mod:`.raybounds`), rebound likewise
_row_blocks = raybounds.row_blocks
_may_pass = raybounds.may_pass
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
    # exact); the pairs left are visited in the same (i, j) order, so ties go alike
    lb = _row_blocks(lx, ly, lT, lvt, lvo, lvp, _BLOCK)
    ib = _row_blocks(ix, iy, iT, ivt, ivo, ivp, _BLOCK)
    nb1 = lb.shape[1]
    nb2 = ib.shape[1]
    may = np.empty((nb1, nb2, nw), np.bool_)  # the weapons a block pair may pass
    may_any = np.empty((nb1, nb2), np.bool_)
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
                ok = _may_pass(
                    lb[p, u], ib[q, v], speeds, lo_m, hi_m, tried, spread, fast_f, gate,
                    early_sd, may[u, v],
                )  # fmt: skip
                may_any[u, v] = ok
                some = some or ok
        if not some:
            out[r] = m
            by_side[r, 0] = m_left
            by_side[r, 1] = m_right
            by_side[r, 2] = at
            continue
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
                    if best < m:
                        m = best
                        at = float(lside[p, i])
        out[r] = m
        by_side[r, 0] = m_left
        by_side[r, 1] = m_right
        by_side[r, 2] = at
    return out


@functools.cache
def ray_cost_kernel() -> Callable[..., Any] | None:
    """:func:`_ray_cost_loop` compiled (on first use: numba is imported only when
    rays are paired), or None without the ``fast`` extra."""
    return compiled_calling(
        _ray_cost_loop,
        _weapon_cost=flightcost.weapon_cost,
        _row_blocks=raybounds.row_blocks,
        _may_pass=raybounds.may_pass,
    )
