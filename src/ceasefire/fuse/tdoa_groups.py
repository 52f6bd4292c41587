"""Arrival-only events: acoustic arrivals that no bearing explains, grouped by
TDOA consistency and multilaterated (position and emission time), batched.

Every free arrival anchors a candidate group: from each other sensor the
earliest free arrival within the sound-travel window after it. All candidate
groups are solved at once (a linear Chan-Ho start from the differenced range
equations, then the batched Gauss-Newton of :mod:`ceasefire.fuse.solve`); a
group failing the chi-square gate loses its worst non-anchor member and is
refitted. Passing groups are taken best first (more sensors, then lower
chi-square per dof), each arrival in at most one group."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from ceasefire.fuse.compiled import compiled, getter
from ceasefire.fuse.config import FuseConfig
from ceasefire.fuse.keys import stable_argsort, unique_inverse_sorted
from ceasefire.fuse.solve import Fit, Rows, ambiguous, fit, stands
from ceasefire.fuse.tdoa_bounds import DROPS, viable

F8 = npt.NDArray[np.float64]
IP = npt.NDArray[np.intp]


def _candidates(rows: Rows, src: IP, cfg: FuseConfig) -> tuple[IP, IP]:
    """(group, row) memberships; group k is anchored at row k (its first member)."""
    n = rows.ox.shape[0]
    c, R = cfg.speed_of_sound_m_s, cfg.max_range_m
    g_out: list[IP] = [np.arange(n, dtype=np.intp)]
    r_out: list[IP] = [np.arange(n, dtype=np.intp)]
    kernel = candidates_kernel()
    if kernel is not None and n:
        by_src = stable_argsort(src)
        bounds = np.flatnonzero(np.r_[True, src[by_src][1:] != src[by_src][:-1], True])
        # each sensor's largest time sigma squared as the numpy loop squares it: a
        # Python float's power (libm's pow), not a product
        top = np.maximum.reduceat(rows.sigma_t[by_src], bounds[:-1]).tolist()
        top2 = np.array([float(v) ** 2 for v in top])
        g_k, r_k = kernel(
            rows.ox, rows.oy, rows.t, rows.sigma_t, src, by_src, bounds, top2, float(c), float(R)
        )
        g_out.append(g_k)
        r_out.append(r_k)
        return _sorted_pairs(g_out, r_out)
    for s in np.unique(src).tolist():
        mine = np.flatnonzero(src == s)
        ts = rows.t[mine]
        sx, sy = rows.ox[mine[0]], rows.oy[mine[0]]
        d = np.hypot(rows.ox - sx, rows.oy - sy)
        other = np.flatnonzero((src != s) & (d <= 2 * R))
        if other.shape[0] == 0:
            continue
        slack = 4.0 * np.sqrt(rows.sigma_t[other] ** 2 + float(np.max(rows.sigma_t[mine])) ** 2)
        lo = rows.t[other] - slack
        hi = rows.t[other] + d[other] / c + slack
        a = np.searchsorted(ts, lo)
        ok = a < ts.shape[0]
        a_c = np.minimum(a, ts.shape[0] - 1)
        ok &= ts[a_c] <= hi
        g_out.append(other[ok])
        r_out.append(mine[a_c[ok]])
    return _sorted_pairs(g_out, r_out)


def _sorted_pairs(g_out: list[IP], r_out: list[IP]) -> tuple[IP, IP]:
    """The (group, row) pairs by group, then row (each pair once: an order that
    does not depend on how they were found)."""
    g = np.concatenate(g_out)
    r = np.concatenate(r_out)
    order = np.lexsort((r, g))
    return g[order], r[order]


def _candidates_loop(
    ox: Any,
    oy: Any,
    t: Any,
    sigma_t: Any,
    src: Any,
    by_src: Any,
    bounds: Any,
    top2: Any,
    c: float,
    R: float,
) -> tuple[Any, Any]:
    """:func:`_candidates`' per-sensor loop compiled: for each sensor (its rows
    ``by_src[bounds[s]:bounds[s + 1]]``, ascending, so by time) and each other
    sensor's row ``j`` within 2 ``R`` (m) of the sensor's first row, the
    sensor's earliest row in ``j``'s window (``searchsorted``'s left side, NaN
    last as numpy sorts it); ``top2``: per sensor, its largest time sigma
    squared (s²). The same arithmetic as the numpy loop (products for its
    arrays' squares): (anchor rows, member rows), unsorted."""
    n = ox.shape[0]
    n_src = bounds.shape[0] - 1
    cap = 1024
    g_out = np.empty(cap, np.intp)
    r_out = np.empty(cap, np.intp)
    k = 0
    for s in range(n_src):
        b0, b1 = bounds[s], bounds[s + 1]
        m = b1 - b0
        first = by_src[b0]
        code = src[first]
        sx, sy = ox[first], oy[first]
        for j in range(n):
            if src[j] == code:
                continue
            dx = ox[j] - sx
            dy = oy[j] - sy
            # hypot is at least either leg: most sensors are farther apart than
            # 2 R along one axis, decided before the hypot
            if abs(dx) > 2 * R or abs(dy) > 2 * R:
                continue
            d = math.hypot(dx, dy)
            if not d <= 2 * R:
                continue
            sj = sigma_t[j]
            slack = 4.0 * math.sqrt(sj * sj + top2[s])
            lo = t[j] - slack
            hi = t[j] + d / c + slack
            # the first of the sensor's times not below lo, in numpy's order
            a, z = 0, m
            while a < z:
                mid = (a + z) // 2
                tm = t[by_src[b0 + mid]]
                if tm < lo or (lo != lo and tm == tm):
                    a = mid + 1
                else:
                    z = mid
            if a >= m:
                continue
            row = by_src[b0 + a]
            if not t[row] <= hi:
                continue
            if k == cap:
                cap *= 2
                g_new = np.empty(cap, np.intp)
                r_new = np.empty(cap, np.intp)
                g_new[:k] = g_out[:k]
                r_new[:k] = r_out[:k]
                g_out, r_out = g_new, r_new
            g_out[k] = j
            r_out[k] = row
            k += 1
    return g_out[:k].copy(), r_out[:k].copy()


@getter
def candidates_kernel() -> Callable[..., tuple[Any, Any]] | None:
    """:func:`_candidates_loop` compiled (on first use), or None without numba."""
    return compiled(_candidates_loop)


def group_arrivals(rows: Rows, src: IP, cfg: FuseConfig) -> tuple[IP, F8, F8, F8, F8]:
    """Labels (group per arrival, -1 for none) and per group x, y (m), T (s) and
    position covariance ``(G, 2, 2)``. ``rows`` are arrivals sorted by time.

    Passes repeat on the arrivals no group took (an anchor's window may first
    catch another source's arrivals at some sensors)."""
    n = rows.ox.shape[0]
    labels = np.full(n, -1, np.intp)
    xs: list[F8] = []
    ys: list[F8] = []
    Ts: list[F8] = []
    covs: list[F8] = []
    G = 0
    failed: Failed | None = None
    for _ in range(3):
        free = np.flatnonzero(labels < 0)
        if free.shape[0] < cfg.min_tdoa_sensors:
            break
        (lab, x, y, T, cov), failed = _one_pass(rows.take(free), src[free], cfg, free, n, failed)
        if x.shape[0] == 0:
            break
        m = lab >= 0
        labels[free[m]] = lab[m] + G
        G += x.shape[0]
        xs.append(x)
        ys.append(y)
        Ts.append(T)
        covs.append(cov)
    if G == 0:
        return labels, np.zeros(0), np.zeros(0), np.zeros(0), np.zeros((0, 2, 2))
    return labels, np.concatenate(xs), np.concatenate(ys), np.concatenate(Ts), np.concatenate(covs)


#: The candidate groups of a pass that did not pass, by the arrivals' indices in
#: :func:`group_arrivals`' rows: their (anchor, member) pairs as ``anchor * n +
#: member`` (``n`` rows), sorted, and per row the size of the group it anchored
#: (0: none).
Failed = tuple[npt.NDArray[np.int64], IP]


def _seen_failing(failed: Failed, ids: IP, g: IP, r: IP) -> npt.NDArray[np.bool_]:
    """Per candidate group (``g`` sorted, members ``r``; ``ids``: this pass's rows'
    indices in :func:`group_arrivals`' rows): the same group (anchor and members)
    as one of ``failed``. A group's fit, drops and gate read its own rows only, in
    their order, and the rows' values do not change between passes, so such a
    group fails again."""
    keys, size = failed
    n = size.shape[0]
    pair = ids[g].astype(np.int64) * n + ids[r]
    at = np.minimum(np.searchsorted(keys, pair), keys.shape[0] - 1)
    found = keys[at] == pair if keys.shape[0] else np.zeros(pair.shape[0], bool)
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    every = np.logical_and.reduceat(found, starts)
    count = np.diff(np.r_[starts, g.shape[0]])
    return np.asarray(every & (size[ids[g[starts]]] == count), dtype=bool)


def _groups_where(keep: npt.NDArray[np.bool_], g: IP, r: IP) -> tuple[IP, IP]:
    """The (group, row) pairs (``g`` sorted) of the groups ``keep`` (one flag per
    distinct group, in order)."""
    if keep.all():
        return g, r
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1], True])
    m = np.repeat(keep, np.diff(starts))
    return g[m], r[m]


def _failing(ids: IP, n: int, g: IP, r: IP, passed: IP) -> Failed:
    """:data:`Failed` of the candidate groups ``g`` (sorted; members ``r``) but
    those anchored at the rows ``passed``; ``ids``: the rows' indices among the
    ``n`` rows of :func:`group_arrivals`."""
    failing = np.ones(g.shape[0], bool)
    if passed.shape[0]:
        failing[np.isin(g, passed)] = False
    g, r = g[failing], r[failing]
    size = np.zeros(n, np.intp)
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]]) if g.shape[0] else g
    size[ids[g[starts]]] = np.diff(np.r_[starts, g.shape[0]])
    keys = np.sort(ids[g].astype(np.int64) * n + ids[r])
    return keys, size


def _one_pass(
    rows: Rows, src: IP, cfg: FuseConfig, ids: IP, n_all: int, before: Failed | None
) -> tuple[tuple[IP, F8, F8, F8, F8], Failed | None]:
    """One batched pass over ``rows`` (see :func:`group_arrivals`; ``ids``: their
    indices among its ``n_all`` rows), the groups failing ``before`` left out;
    and the groups that did not pass (:data:`Failed`)."""
    n = rows.ox.shape[0]
    c, R = cfg.speed_of_sound_m_s, cfg.max_range_m
    labels = np.full(n, -1, np.intp)
    empty = (labels, np.zeros(0), np.zeros(0), np.zeros(0), np.zeros((0, 2, 2)))
    if n < cfg.min_tdoa_sensors:
        return empty, None
    g, r = _candidates(rows, src, cfg)
    size = np.bincount(g, minlength=n)
    keep = size[g] >= cfg.min_tdoa_sensors
    g, r = g[keep], r[keep]
    if g.shape[0] == 0:
        return empty, None
    # every candidate group fails now but the ones passing at the end (for the
    # next pass, when this one finds groups)
    g_all, r_all = g, r
    # each group's fit, drops and gate are its own (the others' come out the same):
    # groups that failed in the pass before, and those whose members' times rule
    # out a pass, are not fitted
    if before is not None:
        g, r = _groups_where(~_seen_failing(before, ids, g, r), g, r)
    if g.shape[0]:
        starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1], True])
        may = viable(rows, starts, r, g[starts[:-1]], cfg.min_tdoa_sensors, c, R)
        g, r = _groups_where(may, g, r)
    if g.shape[0] == 0:
        return empty, None
    # renumber the surviving groups 0..G-1, anchors kept as the group's row (``g``
    # is sorted: _candidates orders by group)
    anchors, g = unique_inverse_sorted(g)
    G = anchors.shape[0]
    sub_rows = rows.take(r)
    x0, y0, T0 = _start(rows, anchors, g, r, G, c)
    alive = np.ones(r.shape[0], bool)
    res = fit(sub_rows, g, G, x0, y0, T0, c)
    for _ in range(DROPS):
        passed = _passes(rows, g, r, alive, res, R)
        fail = ~passed & (np.bincount(g[alive], minlength=G) > cfg.min_tdoa_sensors)
        if not fail.any():
            break
        # drop the worst non-anchor member of each failing group
        rho = np.hypot(res.x[g] - rows.ox[r], res.y[g] - rows.oy[r])
        z = np.abs(rows.t[r] - res.T[g] - rho / c) / rows.sigma_t[r]
        z[~alive | (r == anchors[g]) | ~fail[g]] = -1.0
        worst = _first_max(g, z)
        worst = worst[z[worst] >= 0]
        alive[worst] = False
        m = alive
        res = fit(sub_rows, g[m], G, res.x, res.y, res.T, c, sel=np.flatnonzero(m))
    passed = _passes(rows, g, r, alive, res, R)
    cnt = np.bincount(g[alive], minlength=G)
    passed &= cnt >= cfg.min_tdoa_sensors
    cand = np.flatnonzero(passed & (res.dof <= 1))
    live = np.flatnonzero(alive)
    passed[cand[ambiguous(sub_rows.take(live), g[live], res.x, res.y, res.T, cand, c, R)]] = False
    ok = np.flatnonzero(passed)
    if ok.shape[0] == 0:
        # no group: group_arrivals makes no further pass
        return empty, None
    failed = _failing(ids, n_all, g_all, r_all, anchors[ok])
    per_dof = res.chi2[ok] / np.maximum(res.dof[ok], 1)
    order = ok[np.lexsort((ok, per_dof, -cnt[ok]))]
    am = np.flatnonzero(alive)
    mo = stable_argsort(g[am])
    starts = np.searchsorted(g[am][mo], np.arange(G + 1))
    members = r[am][mo]
    used = np.zeros(n, bool)
    xs: list[float] = []
    ys: list[float] = []
    Ts: list[float] = []
    covs: list[F8] = []
    for k in order.tolist():
        mem = members[starts[k] : starts[k + 1]]
        if used[mem].any():
            continue
        used[mem] = True
        labels[mem] = len(xs)
        xs.append(float(res.x[k]))
        ys.append(float(res.y[k]))
        Ts.append(float(res.T[k]))
        covs.append(res.cov[k, :2, :2])
    cov = np.array(covs) if covs else np.zeros((0, 2, 2))
    return (labels, np.array(xs), np.array(ys), np.array(Ts), cov), failed


def _first_max(g: IP, z: F8) -> IP:
    """Per run of equal values of the sorted ``g``: the index of its largest ``z``
    (the first of equal ones; NaN below every number), as the first of each group
    in ``np.lexsort((-z, g))`` (a stable sort), without the sort."""
    starts = np.flatnonzero(np.concatenate([[True], g[1:] != g[:-1]]))
    zz = np.where(np.isnan(z), -np.inf, z)
    run = np.repeat(np.arange(starts.shape[0]), np.diff(np.append(starts, g.shape[0])))
    top = np.flatnonzero(zz == np.maximum.reduceat(zz, starts)[run])
    return top[np.concatenate([[True], run[top][1:] != run[top][:-1]])]


def _start(rows: Rows, anchors: IP, g: IP, r: IP, G: int, c: float) -> tuple[F8, F8, F8]:
    """Linear start per group: 2 s·p - 2 c² t T = |s|² - c² t² for every
    non-anchor member, with the anchor's position and time as origin (least squares)."""
    ax, ay, at = rows.ox[anchors][g], rows.oy[anchors][g], rows.t[anchors][g]
    sx, sy, st = rows.ox[r] - ax, rows.oy[r] - ay, rows.t[r] - at
    m = r != anchors[g]
    A = np.column_stack([2 * sx, 2 * sy, -2 * c * c * st])[m]
    b = (sx * sx + sy * sy - c * c * st * st)[m]
    gm = g[m]
    H = np.zeros((G, 3, 3))
    v = np.zeros((G, 3))
    for i in range(3):
        v[:, i] = np.bincount(gm, weights=A[:, i] * b, minlength=G)
        for j in range(i, 3):
            H[:, i, j] = H[:, j, i] = np.bincount(gm, weights=A[:, i] * A[:, j], minlength=G)
    scale = np.sqrt(np.maximum(np.einsum("gii->gi", H), 1e-300))
    Hs = H / scale[:, :, None] / scale[:, None, :]
    det = np.linalg.det(Hs)
    good = np.isfinite(det) & (np.abs(det) > 1e-12)
    Hs[~good] = np.eye(3)
    sol = np.linalg.solve(Hs, (v / scale)[:, :, None])[:, :, 0] / scale
    # an unsolvable start: the anchor's position, emission a little before it
    sol[~good] = 0.0
    return sol[:, 0] + rows.ox[anchors], sol[:, 1] + rows.oy[anchors], sol[:, 2] + rows.t[anchors]


def _passes(
    rows: Rows, g: IP, r: IP, alive: npt.NDArray[np.bool_], res: Fit, R: float
) -> npt.NDArray[np.bool_]:
    """Groups whose fit passes on their live members (:func:`solve.stands`):
    chi-square gate, emission before every arrival, every sensor within range."""
    return stands(rows, g[alive], res, R, sel=r[alive])
