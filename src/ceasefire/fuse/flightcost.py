"""One weapon hypothesis's flight-time cost of a launch -> impact candidate, the
term both compiled pairing loops take per weapon (:mod:`.launchcost` for located
launches and impacts, :mod:`.raycost` for the samples of ray pairs): the numpy
code's arithmetic in its order (:func:`~ceasefire.fuse.pairing.flight_cost`), so
both loops keep its costs to the bit. Compiled into each loop by numba (the
``fast`` extra); plain Python otherwise (never called then)."""

from __future__ import annotations

import math


def weapon_cost(
    d: float, dt: float, dt_hi: float, var_T: float, var_d: float, w: int, v: float,
    lo_m: float, hi_m: float, wl: int, wi: int, spread: float, fast_f: float, gate: float,
    unknown_cost: float, other_cost: float,
) -> float:  # fmt: skip
    """The cost of weapon ``w`` (mean speed ``v`` m/s, range bounds ``lo_m``/``hi_m``
    m) for a flight of ``d`` m in ``dt`` s: the flight-time chi-square with the
    emission-time variance ``var_T`` (s²), the distance variance ``var_d`` (m²)
    and the relative speed ``spread``, plus 0 when a report names ``w`` (launch's
    ``wl``, impact's ``wi``), ``unknown_cost`` when neither names any weapon,
    ``other_cost`` otherwise; inf outside the range bounds, beyond the ``gate``,
    or when the round would fly faster than ``fast_f`` x ``v`` (2 sd of the
    distance allowed; ``dt_hi``: ``dt`` with any early-impact allowance)."""
    # the numpy code's mask, term by term; the cheap range bounds first
    if not (d >= lo_m and d <= hi_m):
        return math.inf
    pred = d / v
    sp = spread * pred
    var = (var_T + var_d / (v * v)) + sp * sp
    e = dt - pred
    ee = e * e
    # most candidates fail the gate: by a margin far beyond the division's and the
    # product's rounding, without the division
    if ee > (gate * var) * (1.0 + 1e-9):
        return math.inf
    chi2 = ee / var
    if not chi2 <= gate:
        return math.inf
    if d - 2.0 * math.sqrt(var_d) > dt_hi * v * fast_f:
        return math.inf
    if wl == w or wi == w:
        wc = 0.0
    elif wl < 0 and wi < 0:
        wc = unknown_cost
    else:
        wc = other_cost
    return chi2 + wc


__all__ = ["weapon_cost"]
