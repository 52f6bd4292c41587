"""Which candidate TDOA groups (:mod:`ceasefire.fuse.tdoa_groups`) cannot pass
whatever their fit: a bound from their members' arrival times alone, so those
groups are never fitted.

A group passes only if, for its members ``S`` at the end (the candidates less at
most three non-anchor members, at least ``min_tdoa_sensors`` left), the fit's
chi-square ``sum_i r_i**2 / sigma_i**2`` is within the 0.999 gate of ``|S| - 3``
degrees of freedom and each member is within 1.2 x the detection range ``R`` of
the fitted point (:func:`ceasefire.fuse.solve.stands`). An arrival's residual is
``r_i = t_i - T - rho_i / c`` (``rho_i``: the distance to the point, clipped at
1 m), and ``|rho_i - rho_j| <= d_ij`` (the sensors' distance), so for any two
members ``|t_i - t_j| - d_ij / c <= |r_i| + |r_j| <= sqrt(gate) * sqrt(sigma_i**2 +
sigma_j**2)`` (Cauchy-Schwarz), and ``d_ij <= 2.4 R``. Two members breaking
either *conflict*; a group can pass only if removing at most its drop budget of
non-anchor members leaves no conflict (a vertex cover of the conflicts, found by
a search of depth three at most). The test is one-sided: margins far above the
rounding of the fit's arithmetic (times are epoch seconds: a relative 1e-13 of
them, 700 units in the last place) keep every group that might pass, so the
groups fitted pass or fail exactly as before and no event changes.

Only groups of pure arrivals (sound, a finite time and a positive time sigma,
no bearing, no range) are judged; any other group is kept."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from ceasefire.fuse.compiled import compiled_calling, getter
from ceasefire.fuse.solve import Rows
from ceasefire.fuse.stats import Q999

IP = npt.NDArray[np.intp]

#: how many non-anchor members a group may lose to its refits (tdoa_groups._one_pass)
DROPS = 3
#: relative and absolute margins on the bounds (see the module's docstring)
_REL = 1e-9
_ABS_S = 1e-6
_T_REL = 1e-13


def _conflict(
    ox: Any, oy: Any, t: Any, sigma_t: Any, i: int, j: int, bound: float, far: float, c: float
) -> bool:
    """Whether rows ``i`` and ``j`` cannot both be members of a passing group:
    :func:`_pair_conflict` of their positions (m), times and time sigmas (s)."""
    return _pair_conflict(
        ox[i], oy[i], t[i], sigma_t[i], ox[j], oy[j], t[j], sigma_t[j], bound, far, c
    )


def _pair_conflict(
    xi: float, yi: float, ti: float, si: float, xj: float, yj: float, tj: float, sj: float,
    bound: float, far: float, c: float,
) -> bool:  # fmt: skip
    """Whether two rows (positions m, times and sigmas s) cannot both be members
    of a passing group: farther apart than ``far`` (m), or their times further
    apart than the sound's travel between them by more than ``bound`` (the gate's
    square root) times their combined sigma, less the margins. Scalars only: a
    compiled call passed arrays costs numba atomic reference counts per call."""
    dx = xi - xj
    dy = yi - yj
    # sqrt of the sum, within a few units in the last place of hypot (the margins
    # are far wider)
    d = math.sqrt(dx * dx + dy * dy)
    gap = abs(ti - tj) - d / c
    slack = bound * math.sqrt(si**2 + sj**2)
    slack += _ABS_S + _T_REL * max(abs(ti), abs(tj))
    return d > far or gap > slack


def _edge(conf: Any, m: int, out: Any) -> tuple[int, int]:
    """The first conflict (i, j) between members not ``out`` ((-1, -1): none)."""
    for i in range(m):
        if out[i]:
            continue
        for j in range(i + 1, m):
            if conf[i, j] and not out[j]:
                return i, j
    return -1, -1


def _coverable(conf: Any, m: int, out: Any, left: int) -> bool:
    """Whether removing at most ``left`` (<= 3) more members (never one already
    kept for sure: the anchor's conflicts are ``out`` before this is asked) leaves
    no conflict among the members not ``out``: a bounded search, each level
    branching on the two ends of the first remaining conflict."""
    i0, j0 = _edge(conf, m, out)
    if i0 < 0:
        return True
    if left < 1:
        return False
    for a in (i0, j0):
        out[a] = True
        i1, j1 = _edge(conf, m, out)
        if i1 < 0:
            out[a] = False
            return True
        if left >= 2:
            for b in (i1, j1):
                out[b] = True
                i2, j2 = _edge(conf, m, out)
                if i2 < 0:
                    out[b] = False
                    out[a] = False
                    return True
                if left >= 3:
                    for d in (i2, j2):
                        out[d] = True
                        found = _edge(conf, m, out)[0] < 0
                        out[d] = False
                        if found:
                            out[b] = False
                            out[a] = False
                            return True
                out[b] = False
        out[a] = False
    return False


def _viable_loop(
    ox: Any,
    oy: Any,
    az: Any,
    t: Any,
    sigma_t: Any,
    speed: Any,
    rng: Any,
    starts: Any,
    r: Any,
    anchors: Any,
    q999: Any,
    min_sensors: int,
    c: float,
    R: float,
) -> Any:
    """Per group (members ``r[starts[k]:starts[k + 1]]``, anchored at row
    ``anchors[k]``, a member): False when it cannot pass (module docstring)."""
    G = starts.shape[0] - 1
    keep = np.ones(G, np.bool_)
    far = 2.4 * R * (1.0 + _REL)
    for k in range(G):
        b0, b1 = starts[k], starts[k + 1]
        m = b1 - b0
        pure = True
        for q in range(b0, b1):
            j = r[q]
            s = sigma_t[j]
            if (
                az[j] == az[j]
                or rng[j] == rng[j]
                or speed[j] != 1.0
                or t[j] - t[j] != 0.0
                or not (s > 0.0 and s - s == 0.0)
            ):
                pure = False
                break
        if not pure or m < min_sensors:
            continue
        dof = m - 3
        dof = 1 if dof < 1 else (q999.shape[0] if dof > q999.shape[0] else dof)
        bound = math.sqrt(q999[dof - 1]) * (1.0 + _REL)
        a = -1
        for i in range(m):
            if r[b0 + i] == anchors[k]:
                a = i
        if a < 0:
            continue
        budget = min(DROPS, m - min_sensors)
        # the anchor is never dropped: its conflicts must all go (most groups
        # fail here, before their other pairs are looked at)
        out = np.zeros(m, np.bool_)
        forced = 0
        ra = r[b0 + a]
        for i in range(m):
            ri = r[b0 + i]
            if i != a and _pair_conflict(
                ox[ra], oy[ra], t[ra], sigma_t[ra], ox[ri], oy[ri], t[ri], sigma_t[ri], bound,
                far, c,
            ):  # fmt: skip
                out[i] = True
                forced += 1
        if forced > budget:
            keep[k] = False
            continue
        conf = np.zeros((m, m), np.bool_)
        for i in range(m):
            if out[i] or i == a:
                continue
            for j in range(i + 1, m):
                ri = r[b0 + i]
                rj = r[b0 + j]
                if (
                    j != a
                    and not out[j]
                    and _pair_conflict(
                        ox[ri], oy[ri], t[ri], sigma_t[ri], ox[rj], oy[rj], t[rj], sigma_t[rj],
                        bound, far, c,
                    )
                ):  # fmt: skip
                    conf[i, j] = True
                    conf[j, i] = True
        keep[k] = _coverable(conf, m, out, budget - forced)
    return keep


@getter
def viable_kernel() -> Callable[..., Any] | None:
    """:func:`_viable_loop` compiled (on first use), or None without numba."""
    return compiled_calling(
        _viable_loop, _pair_conflict=_pair_conflict, _edge=_edge, _coverable=_coverable
    )


def viable(rows: Rows, starts: IP, r: IP, anchors: IP, min_sensors: int, c: float, R: float) -> Any:
    """Per candidate group (members ``r[starts[k]:starts[k + 1]]`` of ``rows``,
    anchored at row ``anchors[k]``): whether it may pass; ``(G,)`` bool. Without
    numba every group is kept (the bound saves time only)."""
    kernel = viable_kernel()
    if kernel is None:
        return np.ones(starts.shape[0] - 1, bool)
    return kernel(
        rows.ox, rows.oy, rows.az, rows.t, rows.sigma_t, rows.speed_factor, rows.rng,
        starts, r, anchors, Q999, int(min_sensors), float(c), float(R),
    )  # fmt: skip
