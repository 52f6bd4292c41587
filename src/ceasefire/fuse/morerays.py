"""Ray pairing's more bearings (:func:`ceasefire.fuse.raypairs._more_rays`) as
compiled loops (numba, the ``fast`` extra), with the numpy code's arithmetic in
its order, so the same numbers to the bit:

- :func:`more_costs_kernel`: a chosen pair's cost at each sample of its ray
  (``raypairs._sample_costs``: the flight cost over the weapons, the early
  impact's test, the same-side cost) and the (candidate, sample) rows worth a
  fit: the offered ray's observer is not the pair ray's, and the cost alone is
  not above the bound;
- :func:`fit_system_kernel`: those rows' 3 x 3 systems of two rays' samples
  being one source (``raypairs._two_rays_fit``'s covariances and differences),
  but for those whose chi-square's lower bound proves they cannot bring their
  candidate within the bound to join; numpy's ``linalg.solve`` solves the rest
  (LAPACK: a compiled solve need not round as it does).

The numpy code gathers every candidate's samples into temporary arrays, ~60
numpy calls a pair ray's phase; the loops read them in place. Sines and cosines
of the azimuths are numpy's, made before the loops. Without numba the kernels
are None and the numpy code runs."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ceasefire.fuse import flightcost
from ceasefire.fuse.compiled import compiled_calling, getter

#: one weapon's cost, rebound to numba's compiled helper when the loop is compiled
_weapon_cost = flightcost.weapon_cost


def sample_cost(
    L: Any, Im: Any, p: int, i: int, q: int, j: int, wl: int, wi: int, W: Any, C: Any,
    use_prior: bool, early_sd: float,
) -> float:  # fmt: skip
    """The cost of launch ``p``'s sample ``i`` and impact ``q``'s sample ``j``
    (``raypairs._sample_costs``' first output): the least over the tried weapons
    of :func:`~ceasefire.fuse.flightcost.weapon_cost` plus the samples' priors,
    inf when the impact is dated earlier than ``early_sd`` σ of the report times
    allow, plus the same-side cost. ``L``, ``Im``: (x, y, T, var_t, var_obs,
    var_pos, side, prior) of the launches' and impacts' samples; ``W``: per
    weapon (speeds, lo_m, hi_m, tried, spread, fast_f); ``C``: (gate,
    unknown_cost, other_cost, same_side_cost)."""
    lx, ly, lT, lvt, lvo, lvp, lside, lprior = L
    ix, iy, iT, ivt, ivo, ivp, iside, iprior = Im
    speeds, lo_m, hi_m, tried, spread, fast_f = W
    gate, unknown_cost, other_cost, same_side_cost = C
    dist = math.hypot(ix[q, j] - lx[p, i], iy[q, j] - ly[p, i])
    dt = iT[q, j] - lT[p, i]
    var_obs = lvo[p, i] + ivo[q, j]
    var_T = lvt[p, i] + ivt[q, j]
    var_d = (lvp[p, i] + ivp[q, j]) + 2e4
    dt_hi = dt + 2.0 * math.sqrt(var_obs) if early_sd > 0 else dt
    best = np.inf
    for w in range(speeds.shape[0]):
        if not tried[w]:
            continue
        cost = _weapon_cost(
            dist, dt, dt_hi, var_T, var_d, w, speeds[w], lo_m[w], hi_m[w], wl, wi, spread[w],
            fast_f[w], gate, unknown_cost, other_cost,
        )  # fmt: skip
        if use_prior:
            cost = cost + (lprior[p, i, w] + iprior[q, j, w])
        if cost < best:
            best = cost
    if early_sd > 0 and not dt > -early_sd * math.sqrt(var_obs):
        best = np.inf
    return best + (same_side_cost if lside[p, i] * iside[q, j] > 0 else 0.0)


#: :func:`sample_cost`, rebound to its compiled self when the loop is compiled
_sample_cost = sample_cost


def _more_costs_loop(
    L: Any, Im: Any, a: Any, b: Any, lw: Any, iw: Any, W: Any, C: Any, use_prior: bool,
    early_sd: float, pair_cost: Any, other: Any, bound: float,
) -> tuple[Any, Any, Any]:  # fmt: skip
    """``per`` ``(n, K)``: candidate ``e``'s cost (:func:`sample_cost`) of launch
    ``a[e]`` and impact ``b[e]`` at each sample of the one with ``K`` samples
    (the other has one), and the rows ``(ce, ci)`` (in (e, i) order) with
    ``other[e]`` and ``per[e, i] - pair_cost[e]`` not above ``bound``.
    ``lw``/``iw``: weapon codes per launch/impact row."""
    n = a.shape[0]
    k1 = L[0].shape[1]
    k2 = Im[0].shape[1]
    K = max(k1, k2)
    per = np.empty((n, K))
    keep = 0
    for e in range(n):
        p = a[e]
        q = b[e]
        for s in range(K):
            c = _sample_cost(
                L, Im, p, s if k1 > 1 else 0, q, s if k2 > 1 else 0, lw[p], iw[q], W, C,
                use_prior, early_sd,
            )  # fmt: skip
            per[e, s] = c
            if other[e] and not c - pair_cost[e] > bound:
                keep += 1
    ce = np.empty(keep, np.intp)
    ci = np.empty(keep, np.intp)
    h = 0
    for e in range(n):
        if not other[e]:
            continue
        for s in range(K):
            if not per[e, s] - pair_cost[e] > bound:
                ce[h] = e
                ci[h] = s
                h += 1
    return per, ce, ci


def _fit_system_loop(
    S1: Any, S2: Any, R1: Any, R2: Any, d: Any, along: Any, q: Any, i: Any, j: Any,
    neg_inv_c: float, cap: Any,
) -> tuple[Any, Any, Any]:  # fmt: skip
    """The 3 x 3 systems of row ``h``'s sample ``i[h]`` of ray ``q[h]`` (of ``S1``)
    against each sample ``s`` of ray ``j[h]`` (of ``S2``) in (x, y, T): the
    covariance (each sample's along-ray extent ``along`` (m²) on (sin, cos,
    -1/c) and its cross-range spread ``(d σ_az)²`` on (-cos, sin, 0), the report
    time's variance on T) and the difference, ``(m, 3, 3)`` and ``(m, 3)``, of
    the pairs ``(h, s)`` kept (``at``: ``h * K + s``, ascending): those whose
    chi-square's lower bound (Cauchy-Schwarz: ``D_k² / C_kk`` for each axis
    ``k``, below ``Dᵀ C⁻¹ D`` for a positive definite ``C``) is not above
    ``cap[h]``. ``S1``, ``S2``: the samples' (x, y, T) ``(n, K)``; ``R1``,
    ``R2``: per ray (sin az, cos az, σ_az, σ_t); ``d``: the sample distances
    (m); ``neg_inv_c``: -1/c (s/m)."""
    x1, y1, T1 = S1
    x2, y2, T2 = S2
    ux1, uy1, saz1, st1 = R1
    ux2, uy2, saz2, st2 = R2
    m = q.shape[0]
    K = x2.shape[1]
    Cm = np.empty((m * K, 3, 3))
    Dm = np.empty((m * K, 3))
    at = np.empty(m * K, np.intp)
    n_at = 0
    w1 = np.empty(3)
    m1 = np.empty(3)
    w2 = np.empty(3)
    m2 = np.empty(3)
    for h in range(m):
        r = q[h]
        k = i[h]
        o = j[h]
        w1[0] = ux1[r]
        w1[1] = uy1[r]
        w1[2] = neg_inv_c
        m1[0] = -uy1[r]
        m1[1] = ux1[r]
        m1[2] = 0.0
        w2[0] = ux2[o]
        w2[1] = uy2[o]
        w2[2] = neg_inv_c
        m2[0] = -uy2[o]
        m2[1] = ux2[o]
        m2[2] = 0.0
        c1 = d[k] * saz1[r]
        cross1 = c1 * c1
        al1 = along[k]
        v1 = st1[r] * st1[r]
        v2 = st2[o] * st2[o]
        for s in range(K):
            c2 = d[s] * saz2[o]
            cross2 = c2 * c2
            al2 = along[s]
            for u in range(3):
                for v in range(3):
                    a1 = al1 * (w1[u] * w1[v]) + cross1 * (m1[u] * m1[v])
                    a2 = al2 * (w2[u] * w2[v]) + cross2 * (m2[u] * m2[v])
                    if u == 2 and v == 2:
                        a1 = a1 + v1
                        a2 = a2 + v2
                    Cm[n_at, u, v] = a1 + a2
            Dm[n_at, 0] = x1[r, k] - x2[o, s]
            Dm[n_at, 1] = y1[r, k] - y2[o, s]
            Dm[n_at, 2] = T1[r, k] - T2[o, s]
            low = 0.0
            for u in range(3):
                b = Dm[n_at, u] * Dm[n_at, u] / Cm[n_at, u, u]
                if b > low:
                    low = b
            if not low > cap[h]:  # kept (a NaN too: never left out)
                at[n_at] = h * K + s
                n_at += 1
    return Cm[:n_at], Dm[:n_at], at[:n_at]


@getter
def more_costs_kernel() -> Callable[..., Any] | None:
    """:func:`_more_costs_loop` compiled (on first use), or None without numba."""
    return compiled_calling(
        _more_costs_loop,
        inlined=("_sample_cost",),
        _weapon_cost=flightcost.weapon_cost,
        _sample_cost=sample_cost,
    )


@getter
def fit_system_kernel() -> Callable[..., Any] | None:
    """:func:`_fit_system_loop` compiled (on first use), or None without numba."""
    return compiled_calling(_fit_system_loop)


__all__ = ["fit_system_kernel", "more_costs_kernel", "sample_cost"]
