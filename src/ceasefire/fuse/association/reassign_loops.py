"""A reassignment pass's edges and costs as three compiled loops (numba, the
``fast`` extra) instead of ~40 numpy calls and seven compiled calls a pass
(:func:`~ceasefire.fuse.association.reassignment.reassign` runs ~840 times a
fuse of the bearing row): :func:`_edges_loop` (which bearings move, their
candidates by row, those an event can take), :func:`_costs_loop` (each edge's
leave-one-out -2 ln density, the gates, the support), :func:`_problem_loop`
(the costs and the matching's row and column numbers). Between them numpy's
``arctan2`` and ``log`` (its SIMD code need not round like libm's, which
numba's would call). Each loop calls the very loops the numpy-side code calls
(:mod:`.edges`, :mod:`.byrow`, :mod:`.gates`, :mod:`.jacobian`), and the
arithmetic between them is the numpy code's, element by element in its order:
the same edges and costs to the bit. Without numba :func:`pass_kernels` gives
None and :mod:`.reassignment` runs the numpy code."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ceasefire.fuse import arctan2, gauss_newton
from ceasefire.fuse.association import byrow, edges, gates, jacobian
from ceasefire.fuse.association.reports import DIR_UNDET, F8, IP, B, Reports
from ceasefire.fuse.compiled import compiled, compiled_calling, getter
from ceasefire.model import matching_setup
from ceasefire.model.assignment import SETUP_LIMITS

#: the loops these call, rebound to their compiled dispatchers by
#: :func:`pass_kernels` (a compiled loop calls compiled functions only)
_moving_kept = edges._moving_kept_loop
_by_row = byrow._by_row_loop
_direction = gates._direction_loop
_fitted = gates._fitted_loop
_open = edges._open_loop
_normalized = jacobian._normalized_loop
_quad = jacobian._quad_loop


def _edges_loop(
    events: Any, start: Any, count: Any, rows: Any, passes: Any, pstart: Any, pcount: Any,
    prows: Any, by_pass: bool, labels: Any, az: Any, focus_ev: Any, freed: Any, focused: bool,
    src: Any, direction: Any, cov9: Any, ex: Any, ey: Any, ox: Any, oy: Any, undet: int,
    table_max: int,
) -> tuple[Any, Any, Any, Any, Any, Any]:  # fmt: skip
    """The pass's open edges ``(g, k)`` by row, then event, as
    :func:`~.edges.moving_kept`, :func:`~.byrow.by_row` and
    :func:`~.edges.open_edges` give them; per edge whether the bearing is a member
    of the event, the event less the observer ``dx``, ``dy`` (m); and per event
    its bearing members (before the pass). Bearings: the rows whose azimuth ``az``
    is finite."""
    n, n_ev = labels.shape[0], cov9.shape[0]
    is_bearing = np.empty(n, np.bool_)
    for r in range(n):
        is_bearing[r] = az[r] - az[r] == 0.0
    n_mem = 0
    for r in range(n):
        if is_bearing[r] and labels[r] >= 0:
            n_mem += 1
    mem = np.empty(n_mem, np.intp)
    nb = np.zeros(n_ev, np.intp)
    j = 0
    for r in range(n):
        if is_bearing[r] and labels[r] >= 0:
            mem[j] = r
            nb[labels[r]] += 1
            j += 1
    g0, k0, moving = _moving_kept(
        events, start, count, rows, passes, pstart, pcount, prows, by_pass, labels, is_bearing,
        mem, focus_ev, freed, focused,
    )  # fmt: skip
    g1, k1 = _by_row(g0, k0, n)
    edir = _direction(direction, labels, n_ev, undet)
    keep = _open(g1, k1, labels, src, moving, edir, direction, _fitted(cov9), undet, table_max)
    m = 0
    for i in range(keep.shape[0]):
        m += keep[i]
    g = np.empty(m, np.intp)
    k = np.empty(m, np.intp)
    member = np.empty(m, np.bool_)
    dx = np.empty(m)
    dy = np.empty(m)
    j = 0
    for i in range(keep.shape[0]):
        if keep[i]:
            e = g1[i]
            r = k1[i]
            g[j] = e
            k[j] = r
            member[j] = labels[r] == e
            dx[j] = ex[e] - ox[r]
            dy[j] = ey[e] - oy[r]
            j += 1
    return g, k, member, dx, dy, nb


def _costs_loop(
    g: Any, k: Any, member: Any, dx: Any, dy: Any, ang: Any, az: Any, sigma_az: Any, t: Any,
    sigma_t: Any, speed: Any, rng: Any, sigma_rng: Any, eT: Any, cov9: Any, c: float,
    nb: Any, gate_table: Any, reach: float, support: float,
) -> tuple[Any, Any, Any, Any, Any, bool]:  # fmt: skip
    """The edges (``_edges_loop``'s, ``ang`` = arctan2(dx, dy) by numpy) that pass:
    their positions ``at``, chi-square capped at the gate, det S, the sign of the
    log-determinant (-1 for a member's deleted residual) and the support term;
    as :func:`~.gates.row_nll` and the gating of
    :func:`~.reassignment.reassign` (the log is numpy's, taken by the caller:
    an edge passes only where it is finite, 0 < det < inf). Last, whether every
    azimuth residual was in the range the loop wraps (otherwise the caller runs
    the numpy code)."""
    n = g.shape[0]
    rn, M, dof, wrapped = _normalized(
        az, sigma_az, t, sigma_t, speed, rng, sigma_rng, g, eT, cov9, dx, dy, ang, c, k
    )
    sign = np.empty(n)
    floor = np.empty(n)
    for i in range(n):
        sign[i] = -1.0 if member[i] else 1.0
        floor[i] = 0.02 if member[i] else 0.0
    chi2, det = _quad(M, rn, sign, floor, True)
    top = gate_table.shape[0] - 1
    at = np.empty(n, np.intp)
    capped = np.empty(n)
    dets = np.empty(n)
    signs = np.empty(n)
    term = np.empty(n)
    m = 0
    for i in range(n):
        # the gate's quantile: the table's entry for dof (as int64) - 1, clipped
        # (dof is at most 3)
        d = int(dof[i]) - 1
        gate = gate_table[min(max(d, 0), top)]
        x2 = chi2[i]
        rho = math.hypot(dx[i], dy[i])
        dt = det[i]
        # log det finite (det > 0 and finite: NaN fails both tests)
        if (x2 <= gate or member[i]) and rho <= reach and dof[i] > 0 and dt > 0.0 and dt < math.inf:
            at[m] = i
            # np.minimum: a NaN kept
            capped[m] = x2 if (x2 <= gate or x2 != x2) else gate
            dets[m] = dt
            signs[m] = sign[i]
            term[m] = support * (nb[g[i]] - (1 if member[i] else 0))
            m += 1
    return at[:m], capped[:m], dets[:m], signs[:m], term[:m], wrapped


def _src_of(k: Any, src: Any) -> Any:
    """Each row's observer code, ``src[k]``, for a compiled loop."""
    out = np.empty(k.shape[0], np.intp)
    for i in range(k.shape[0]):
        out[i] = src[k[i]]
    return out


def _counting_order(key: Any, order: Any, n_keys: int) -> Any:
    """The positions ``order`` stably sorted by ``key[order]`` (keys in
    ``0..n_keys-1``): a counting sort."""
    at = np.zeros(n_keys + 1, np.intp)
    for p in range(order.shape[0]):
        at[key[order[p]] + 1] += 1
    for v in range(n_keys):
        at[v + 1] += at[v]
    out = np.empty(order.shape[0], np.intp)
    for p in range(order.shape[0]):
        v = key[order[p]]
        out[at[v]] = order[p]
        at[v] += 1
    return out


def _problem_loop(
    g_all: Any, k_all: Any, at: Any, src: Any, n_ev: int, capped: Any, logdet: Any, term: Any
) -> tuple[Any, Any, Any, Any, Any, Any, int, float]:
    """The matching's problem from the passing edges (``g_all[at]``, ``k_all[at]``
    by row, then event, returned as ``g``, ``k``): :func:`_problem_of`."""
    n = at.shape[0]
    g = np.empty(n, np.intp)
    k = np.empty(n, np.intp)
    for i in range(n):
        g[i] = g_all[at[i]]
        k[i] = k_all[at[i]]
    return _problem_of(g, k, src, n_ev, capped, logdet, term)


def _problem_of(
    g: Any, k: Any, src: Any, n_ev: int, capped: Any, logdet: Any, term: Any
) -> tuple[Any, Any, Any, Any, Any, Any, int, float]:
    """The matching's problem from the passing edges ``(g, k)`` (by row, then
    event): each edge's cost (chi-square capped, plus the log-determinant, less
    the support), its row number among the distinct bearings ``k`` (``ur``) and
    its column number among the distinct ``(event, observer)`` slots in key order
    (``g * n_src + src``: a counting sort by observer, then a stable one by
    event); the number of columns and the cost of leaving one alone (the largest
    magnitude + 1; NaN if a cost is NaN, as numpy's ``max``). Returns ``(g, k,
    cost, ri, ur, ci, n_cols, free)``."""
    n = g.shape[0]
    # observer codes run below this (``Reports.n_src``)
    n_src = 0
    for r in range(src.shape[0]):
        n_src = max(n_src, src[r] + 1)
    cost = np.empty(n)
    top = 0.0
    nan = False
    for i in range(n):
        v = (capped[i] + logdet[i]) - term[i]
        cost[i] = v
        a = abs(v)
        if a != a:
            nan = True
        elif a > top:
            top = a
    # rows: k is sorted
    ri = np.empty(n, np.intp)
    n_rows = 0
    for i in range(n):
        if i > 0 and k[i] != k[i - 1]:
            n_rows += 1
        ri[i] = n_rows
    if n > 0:
        n_rows += 1
    ur = np.empty(n_rows, np.intp)
    for i in range(n):
        ur[ri[i]] = k[i]
    # columns: the distinct slots in (event, observer) order, by a counting sort
    # by observer, then a stable one by event
    by_src = _counting_order(_src_of(k, src), np.arange(n), n_src)
    order = _counting_order(g, by_src, n_ev)
    ci = np.empty(n, np.intp)
    n_cols = 0
    for p in range(n):
        i = order[p]
        if p == 0 or g[i] != g[order[p - 1]] or src[k[i]] != src[k[order[p - 1]]]:
            n_cols += 1
        ci[i] = n_cols - 1
    free = math.nan if nan else top + 1.0
    return g, k, cost, ri, ur, ci, n_cols, free


@getter
def problem_of_kernel() -> Callable[..., Any] | None:
    """:func:`_problem_of` compiled (on first use), or None without numba."""
    return compiled_calling(_problem_of, _src_of=_src_of, _counting_order=_counting_order)


@getter
def pass_kernels() -> tuple[Callable[..., Any], Callable[..., Any], Callable[..., Any]] | None:
    """:func:`_edges_loop`, :func:`_costs_loop` and :func:`_problem_loop` compiled
    (on first use), each calling the compiled loops of the modules it repeats; or
    None without numba."""
    slot = gates._slot_kernels()
    moving, by_row = edges.moving_kept_kernel(), byrow.by_row_kernel()
    fitted, open_ = gates._fitted_kernel(), edges.open_kernel()
    normalized, quad = jacobian.normalized_kernel(), jacobian.quad_kernel()
    problem_of = problem_of_kernel()
    if (
        slot is None or moving is None or by_row is None or fitted is None or open_ is None
        or normalized is None or quad is None or problem_of is None
    ):  # fmt: skip
        return None
    edges_loop = compiled_calling(
        _edges_loop, _moving_kept=moving, _by_row=by_row, _direction=slot[1], _fitted=fitted,
        _open=open_,
    )  # fmt: skip
    costs_loop = compiled_calling(_costs_loop, _normalized=normalized, _quad=quad)
    problem_loop = compiled_calling(_problem_loop, _problem_of=problem_of)
    if edges_loop is None or costs_loop is None or problem_loop is None:
        return None
    return edges_loop, costs_loop, problem_loop


#: a pass's matching problem: the edges (event, bearing) by bearing, then event,
#: their costs, per edge its row and column, the rows' bearings, the number of
#: columns and the cost of leaving a row or column alone
Problem = tuple[IP, IP, F8, IP, IP, IP, int, float]


def _edges_args(
    rep: Reports, labels: IP, ev: Any, kept: gates.KeptPairs, focus: tuple[B, B] | None,
    cov9: F8,
) -> tuple[Any, ...]:  # fmt: skip
    """:func:`_edges_loop`'s arguments (also the first of :func:`_scored_loop`'s):
    the kept pairs and their pool, the labels, ``focus`` and the events' fit."""
    rows = rep.rows
    none = np.zeros(0, bool)
    focus_ev, freed = focus if focus is not None else (none, none)
    return (
        kept.events, kept.start, kept.count, kept.rows, kept.passes, *edges.pass_pool(kept),
        labels, rows.az, focus_ev, freed, focus is not None, rep.src, rep.direction, cov9, ev.x,
        ev.y, rows.ox, rows.oy, DIR_UNDET, edges.TABLE_MAX,
    )  # fmt: skip


def compiled_problem(
    rep: Reports,
    labels: IP,
    ev: Any,
    kept: gates.KeptPairs,
    focus: tuple[B, B] | None,
    reach: float,
    support: float,
    gate_table: F8,
) -> Problem | None:
    """The pass's matching problem by the compiled loops (:func:`pass_kernels`):
    the edges of :func:`~.edges.moving_kept` with ``focus``, those
    :func:`~.edges.open_edges` lets through, scored and gated as
    :func:`~.reassignment.reassign` does (``reach`` m, ``support`` per other
    bearing; ``gate_table`` the attach gate for 1, 2, ... dof). None without
    numba or when an azimuth residual is beyond the loops' wrap (the caller then
    runs the numpy code)."""
    kernels = pass_kernels()
    if kernels is None:
        return None
    edges_loop, costs_loop, problem_loop = kernels
    rows = rep.rows
    cov9 = ev.cov.reshape(-1, 9)
    g, k, member, dx, dy, nb = edges_loop(*_edges_args(rep, labels, ev, kept, focus, cov9))
    at, capped, det, sign, term, wrapped = costs_loop(
        g, k, member, dx, dy, np.arctan2(dx, dy), rows.az, rows.sigma_az, rows.t, rows.sigma_t,
        rows.speed_factor, rows.rng, rows.sigma_rng, ev.T, cov9, rep.c, nb, gate_table, reach,
        support,
    )  # fmt: skip
    if not wrapped:
        return None
    g, k, cost, ri, ur, ci, n_cols, free = problem_loop(
        g, k, at, rep.src, ev.x.shape[0], capped, sign * np.log(det), term
    )
    return g, k, cost, ri, ci, ur, int(n_cols), float(free)


#: the loops :func:`_scored_loop` and :func:`_solve_loop` call, rebound to their
#: compiled dispatchers by :func:`solve_kernels`
_edges: Any = _edges_loop
_costs: Any = _costs_loop
_atan2_into: Any = arctan2.atan2_into
_problem: Any = _problem_of
_setup: Any = matching_setup._setup_loop


def _scored_loop(
    events: Any, start: Any, count: Any, rows: Any, passes: Any, pstart: Any, pcount: Any,
    prows: Any, by_pass: bool, labels: Any, az: Any, focus_ev: Any, freed: Any, focused: bool,
    src: Any, direction: Any, cov9: Any, ex: Any, ey: Any, ox: Any, oy: Any, undet: int,
    table_max: int, sigma_az: Any, t: Any, sigma_t: Any, speed: Any, rng: Any, sigma_rng: Any,
    eT: Any, c: float, gate_table: Any, reach: float, support: float, atan2_at: int,
) -> tuple[Any, Any, bool]:  # fmt: skip
    """:func:`_edges_loop` and :func:`_costs_loop` as one call, the angles
    between them by numpy's ``arctan2`` routine at ``atan2_at``
    (:func:`~ceasefire.fuse.arctan2.atan2_into`, as the fit computes its own):
    the passing edges ``(g, k)`` as one ``(2, m)`` array and their chi-square
    capped, det S, the log-determinant's sign and the support term as one
    ``(4, m)`` array (two arrays boxed, not eleven), and whether every azimuth
    residual was in the wrapped range."""
    g, k, member, dx, dy, nb = _edges(
        events, start, count, rows, passes, pstart, pcount, prows, by_pass, labels, az,
        focus_ev, freed, focused, src, direction, cov9, ex, ey, ox, oy, undet, table_max,
    )  # fmt: skip
    ang = np.empty(dx.shape[0])
    _atan2_into(dx, dy, ang, atan2_at)
    at, capped, det, sign, term, wrapped = _costs(
        g, k, member, dx, dy, ang, az, sigma_az, t, sigma_t, speed, rng, sigma_rng, eT, cov9,
        c, nb, gate_table, reach, support,
    )  # fmt: skip
    m = at.shape[0]
    gk = np.empty((2, m), np.intp)
    vals = np.empty((4, m))
    for i in range(m):
        gk[0, i] = g[at[i]]
        gk[1, i] = k[at[i]]
        vals[0, i] = capped[i]
        vals[1, i] = det[i]
        vals[2, i] = sign[i]
        vals[3, i] = term[i]
    return gk, vals, wrapped


def _solve_loop(
    gk: Any, vals: Any, logdet: Any, src: Any, n_ev: int, labels: Any, top_scale: float,
    int_budget: float, search_budget: int,
) -> tuple[int, int]:  # fmt: skip
    """The rest of a pass after :func:`_scored_loop` and numpy's ``log``
    (``logdet``, the signed log-determinant of each passing edge): the problem
    (:func:`_problem_of`), the matching up to the solver
    (:func:`~ceasefire.model.matching_setup._setup_loop` with
    :func:`~ceasefire.model.assignment.min_cost_matching`'s limits) and each
    redistributed bearing's new event written into ``labels``. Returns
    (:data:`~ceasefire.model.matching_setup.SETTLED`, bearings moved); or
    (``LEFT``, 0) with ``labels`` untouched when the matching is not settled
    here (a part for the solver, costs coarsened below a unit, or a NaN cost):
    the caller then runs the pass by the numpy-side calls."""
    m = gk.shape[1]
    if m == 0:
        return matching_setup.SETTLED, 0
    g, _, cost, ri, ur, ci, n_cols, free = _problem(
        gk[0], gk[1], src, n_ev, vals[0], logdet, vals[3]
    )
    if free != free:
        return matching_setup.LEFT, 0
    n_rows = ur.shape[0]
    edge = np.empty(n_rows, np.intp)
    status, scale = _setup(
        ri, ci, cost, n_rows, n_cols, free, top_scale, int_budget, search_budget, edge
    )
    if status != matching_setup.SETTLED or scale < 1.0:
        return matching_setup.LEFT, 0
    moved = 0
    for i in range(n_rows):
        e = edge[i]
        new = g[e] if e >= 0 else -1
        r = ur[i]
        if new != labels[r]:
            moved += 1
        labels[r] = new
    return matching_setup.SETTLED, moved


@getter
def solve_kernels() -> tuple[Callable[..., Any], Callable[..., Any], int] | None:
    """:func:`_scored_loop` and :func:`_solve_loop` compiled (on first use) and
    the address of numpy's ``arctan2`` routine (their ``atan2_at``); None
    without numba, or where no compiled ``arctan2`` gives numpy's."""
    passes = pass_kernels()
    fit = gauss_newton.fit_kernel()
    into, problem = arctan2.atan2_into_kernel(), problem_of_kernel()
    setup = matching_setup.setup_kernel()
    if passes is None or fit is None or into is None or problem is None or setup is None:
        return None
    scored = compiled_calling(_scored_loop, _edges=passes[0], _costs=passes[1], _atan2_into=into)
    solve = compiled_calling(_solve_loop, _problem=problem, _setup=setup)
    if scored is None or solve is None:
        return None
    return scored, solve, fit[1]


def compiled_pass(
    rep: Reports,
    labels: IP,
    ev: Any,
    kept: gates.KeptPairs,
    focus: tuple[B, B] | None,
    reach: float,
    support: float,
    gate_table: F8,
) -> int | None:
    """A whole reassignment pass after the kept search by two compiled calls and
    numpy's ``log`` between them (:func:`solve_kernels`): the problem of
    :func:`compiled_problem`, matched as
    :func:`~ceasefire.model.assignment.min_cost_matching` matches it, the new
    events written into ``labels``. Returns how many bearings changed event;
    None, with ``labels`` untouched, when it was not done (without numba, an
    azimuth residual beyond the wrap, or a matching left to the solver): the
    caller then runs the pass by :func:`compiled_problem` and the matching."""
    kernels = solve_kernels()
    if kernels is None:
        return None
    scored, solve, atan2_at = kernels
    rows = rep.rows
    cov9 = ev.cov.reshape(-1, 9)
    gk, vals, wrapped = scored(
        *_edges_args(rep, labels, ev, kept, focus, cov9), rows.sigma_az, rows.t, rows.sigma_t,
        rows.speed_factor, rows.rng, rows.sigma_rng, ev.T, rep.c, gate_table, reach, support,
        atan2_at,
    )  # fmt: skip
    if not wrapped:
        return None
    status, moved = solve(
        gk, vals, vals[2] * np.log(vals[1]), rep.src, ev.x.shape[0], labels, *SETUP_LIMITS
    )
    return int(moved) if status == matching_setup.SETTLED else None


def _partition_loop(labels: Any) -> Any:
    """:func:`~.reassignment.partition` as one pass: per row the lowest row of its
    event (-1 free)."""
    n = labels.shape[0]
    top = -1
    for r in range(n):
        top = max(top, labels[r])
    low = np.full(top + 1, -1, np.intp)
    out = np.empty(n, np.intp)
    for r in range(n):
        e = labels[r]
        if e < 0:
            out[r] = -1
        else:
            if low[e] < 0:
                low[e] = r
            out[r] = low[e]
    return out


@getter
def partition_kernel() -> Callable[..., Any] | None:
    """:func:`_partition_loop` compiled (on first use), or None without numba."""
    return compiled(_partition_loop)
