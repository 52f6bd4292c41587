"""The flight cost of located launch → impact candidates (:mod:`ceasefire.fuse.pairing`)
as one compiled loop over (candidate, weapon) (numba, the ``fast`` extra), giving
the numpy code's costs to the bit: the same arithmetic in the same order as
``pair_launches``' candidate step and :func:`~ceasefire.fuse.pairing.flight_cost`
(only divisions, products, sums, ``hypot`` and ``sqrt``, which round alike in
both; each weapon's term is :func:`~ceasefire.fuse.flightcost.weapon_cost`,
shared with :mod:`.raycost`). The numpy code gathers each candidate's positions,
covariances and times into about twenty temporary arrays of every kd-tree pair
(~1.2 M per 1/8 of the stress day) and repeats the test per weapon; the loop
reads them in place.
Without numba, :func:`launch_cost_kernel` is None and the numpy code runs."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ceasefire.fuse import flightcost
from ceasefire.fuse.compiled import compiled_calling, getter

#: one weapon's cost, rebound to numba's compiled helper when the loop is compiled
_weapon_cost = flightcost.weapon_cost


def _launch_cost_loop(
    a: Any,
    b: Any,
    lx: Any,
    ly: Any,
    lT: Any,
    ix: Any,
    iy: Any,
    iT: Any,
    sl: Any,
    si: Any,
    lc: Any,
    ic: Any,
    lw: Any,
    iw: Any,
    speeds: Any,
    lo_m: Any,
    hi_m: Any,
    spread: Any,
    fast_f: Any,
    gate: float,
    unknown_cost: float,
    other_cost: float,
    early_sd: float,
) -> Any:
    """Least flight cost per candidate ``(a[r], b[r])`` (launch, impact), inf when
    the impact is too early or no weapon passes. Launches: position ``lx``, ``ly``
    (m), emission time ``lT`` and its sd ``sl`` (s), covariance ``lc`` ``(nl, 2,
    2)`` (m²), weapon code ``lw`` (-1 unknown); impacts alike. Per weapon code:
    ``speeds`` (m/s; <= 0: not tried), range bounds ``lo_m``/``hi_m`` (m, already
    0.8 x min and 1.2 x max), relative speed ``spread`` and ``fast_f`` = 1 + 3
    spread (measured classes have their own: :mod:`.speedcal`); ``early_sd`` > 0: an
    impact up to this many σ of the emission times early is a candidate (else it
    must follow its launch)."""
    n = a.shape[0]
    nw = speeds.shape[0]
    out = np.empty(n)
    # an impact after its launch passes the early test whatever the sds (the bound
    # is <= 0): its hypot, ~a third of the loop's time on the stress row, is not
    # taken. Not for a NaN sd (a NaN bound passes nothing) or an infinite early_sd
    # (inf x 0 is NaN)
    early_finite = early_sd < math.inf
    for r in range(n):
        p = a[r]
        q = b[r]
        dt = iT[q] - lT[p]
        if early_sd > 0:
            later = dt > 0.0 and early_finite and sl[p] == sl[p] and si[q] == si[q]
            if not later and not dt > -early_sd * math.hypot(sl[p], si[q]):
                out[r] = np.inf
                continue
        elif not dt > 0:
            out[r] = np.inf
            continue
        ex = ix[q] - lx[p]
        ey = iy[q] - ly[p]
        d = math.hypot(ex, ey)
        ux = ex / max(d, 1.0)
        uy = ey / max(d, 1.0)
        p00 = lc[p, 0, 0] + ic[q, 0, 0]
        p11 = lc[p, 1, 1] + ic[q, 1, 1]
        p01 = lc[p, 0, 1] + ic[q, 0, 1]
        var_d = ((ux * ux * p00 + uy * uy * p11) + 2 * ux * uy * p01) + 2e4
        var_T = sl[p] * sl[p] + si[q] * si[q]
        dt_hi = dt + 2.0 * math.sqrt(var_T) if early_sd > 0 else dt
        wl = lw[p]
        wi = iw[q]
        best = np.inf
        for w in range(nw):
            v = speeds[w]
            if v <= 0:
                continue
            cost = _weapon_cost(
                d, dt, dt_hi, var_T, var_d, w, v, lo_m[w], hi_m[w], wl, wi, spread[w],
                fast_f[w], gate, unknown_cost, other_cost,
            )  # fmt: skip
            if cost < best:
                best = cost
        out[r] = best
    return out


@getter
def launch_cost_kernel() -> Callable[..., Any] | None:
    """:func:`_launch_cost_loop` compiled (on first use: numba is imported only
    when launches are paired), or None without the ``fast`` extra."""
    return compiled_calling(_launch_cost_loop, _weapon_cost=flightcost.weapon_cost)
