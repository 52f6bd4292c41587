"""The upkeep of :class:`~.clusters.Clusters` (its settle) as compiled loops
(numba, the ``fast`` extra) around the fit and the gates' arithmetic, instead of
~30 numpy calls a refit and ~20 a prune (a fuse of the bearing row makes ~3,500
refits and ~1,300 prunes, most of a few events):

- :meth:`~.clusters.Clusters.refit`: which events are dirty and their rows
  (:func:`_plan_loop`), then the estimates and the memo's per-event arrays with
  the refitted events written in (:func:`_apply_loop`). Only copies, comparisons
  and index work: the numpy code's arrays.
- :meth:`~.clusters.Clusters.prune`: the rows to test (:func:`_prune_rows_loop`),
  then each one's deleted residual and each event's worst failing member
  (:func:`_worst_loop`, calling the loops :func:`~.gates.row_chi2` calls; numpy's
  ``arctan2`` between): the numpy code's rows.

- :meth:`~.clusters.Clusters.compact`: which events stand, the rows of the others
  freed, the rest renumbered, the estimates and the memo's arrays taken
  (:func:`_compact_loop`): the numpy code's arrays.

Without numba :func:`refit_kernels`, :func:`prune_kernels` and
:func:`compact_kernel` give None."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ceasefire.fuse.association import jacobian
from ceasefire.fuse.compiled import compiled, compiled_calling, getter

#: the loops :func:`_worst_loop` calls, rebound to their compiled dispatchers by
#: :func:`prune_kernels` (a compiled loop calls compiled functions only)
_normalized = jacobian._normalized_loop
_quad = jacobian._quad_loop


def mark_moved(labels: Any, old: Any, flags: Any) -> None:
    """Set ``flags[e]`` for each event ``e`` (of ``flags``' length) a row joined or
    left between the labels ``old`` and ``labels`` (of one length)."""
    n = flags.shape[0]
    for r in range(labels.shape[0]):
        a, b = labels[r], old[r]
        if a != b:
            if 0 <= a < n:
                flags[a] = True
            if 0 <= b < n:
                flags[b] = True


#: :func:`mark_moved`, rebound to its compiled self when a loop calling it is compiled
_mark_moved = mark_moved


def _plan_loop(
    labels: Any, old: Any, has_old: bool, fresh: bool, settled: Any, ok: Any, x: Any, y: Any,
    T: Any,
) -> tuple[Any, Any, Any, Any, Any, Any]:  # fmt: skip
    """The events to refit ``d`` (increasing: dirty ones, every one when
    ``fresh``, else those not both ``settled`` and ``ok``, and those a row joined
    or left since the labels ``old``), their rows ``idx`` (increasing), each such
    row's position in ``d``, and the events' x, y, T. Nothing when none is dirty
    and no row moved."""
    n = x.shape[0]
    dirty = np.empty(n, np.bool_)
    any_dirty = False
    for e in range(n):
        dirty[e] = fresh or not (settled[e] and ok[e])
        any_dirty = any_dirty or dirty[e]
    same = has_old and old.shape[0] == labels.shape[0]
    if has_old and not any_dirty and same:
        for r in range(labels.shape[0]):
            if labels[r] != old[r]:
                same = False
                break
        if same:
            none = np.empty(0, np.intp)
            return none, none, none, np.empty(0), np.empty(0), np.empty(0)
    if has_old and old.shape[0] == labels.shape[0]:
        # the events a row joined or left are dirty too
        _mark_moved(labels, old, dirty)
    pos = np.empty(n, np.intp)
    m = 0
    for e in range(n):
        if dirty[e]:
            pos[e] = m
            m += 1
        else:
            pos[e] = -1
    d = np.empty(m, np.intp)
    x0, y0, T0 = np.empty(m), np.empty(m), np.empty(m)
    for e in range(n):
        if dirty[e]:
            j = pos[e]
            d[j] = e
            x0[j] = x[e]
            y0[j] = y[e]
            T0[j] = T[e]
    # the rows in one pass over the labels (a tile's labels outgrow the L2 cache:
    # a pass to count them first cost as much as this one), the arrays cut to them
    idx = np.empty(labels.shape[0], np.intp)
    gl = np.empty(labels.shape[0], np.intp)
    k = 0
    for r in range(labels.shape[0]):
        e = labels[r]
        if e >= 0 and dirty[e]:
            idx[k] = r
            gl[k] = pos[e]
            k += 1
    return d, idx[:k], gl[:k], x0, y0, T0


def _apply_loop(
    fresh: bool, chi2: Any, dof: Any, ok: Any, settled: Any, stamp: Any, x: Any, y: Any,
    T: Any, cov: Any, d: Any, fx: Any, fy: Any, fT: Any, fcov: Any, fchi2: Any, fdof: Any,
    fok: Any, fconv: Any, refits: int, own: bool,
) -> tuple[Any, Any, Any, Any, Any, Any, Any, Any, Any]:  # fmt: skip
    """The estimates (copies of ``x``, ``y``, ``T``, ``cov``) and the per-event
    chi2, dof, ok, settled and stamp (copies of the memo's; when ``fresh``: NaN,
    0, False, False, 0) with the fit of events ``d`` written in, their stamp
    ``refits``. With ``own`` (arrays no one else holds: a compiled upkeep's
    own, made by its earlier step) the fit is written into them, not copies."""
    n = x.shape[0]
    if own:
        x1, y1, T1, cov1 = x, y, T, cov
    else:
        x1, y1, T1, cov1 = x.copy(), y.copy(), T.copy(), cov.copy()
    if fresh:
        chi1 = np.empty(n)
        chi1.fill(np.nan)
        dof1 = np.zeros(n, np.int64)
        ok1 = np.zeros(n, np.bool_)
        set1 = np.zeros(n, np.bool_)
        st1 = np.zeros(n, np.int64)
    elif own:
        chi1, dof1, ok1, set1, st1 = chi2, dof, ok, settled, stamp
    else:
        chi1, dof1, ok1 = chi2.copy(), dof.copy(), ok.copy()
        set1, st1 = settled.copy(), stamp.copy()
    for j in range(d.shape[0]):
        e = d[j]
        x1[e] = fx[j]
        y1[e] = fy[j]
        T1[e] = fT[j]
        for u in range(3):
            for w in range(3):
                cov1[e, u, w] = fcov[j, u, w]
        chi1[e] = fchi2[j]
        dof1[e] = fdof[j]
        ok1[e] = fok[j]
        set1[e] = fconv[j]
        st1[e] = refits
    return x1, y1, T1, cov1, chi1, dof1, ok1, set1, st1


@getter
def refit_kernels() -> tuple[Callable[..., Any], Callable[..., Any]] | None:
    """:func:`_plan_loop` and :func:`_apply_loop` compiled (on first use), or None
    without numba."""
    plan = compiled_calling(_plan_loop, _mark_moved=mark_moved)
    apply = compiled(_apply_loop)
    if plan is None or apply is None:
        return None
    return plan, apply


def _prune_rows_loop(
    labels: Any, old: Any, has_old: bool, incremental: bool, stamp: Any, settled: Any,
    since: int, x: Any, y: Any, ox: Any, oy: Any,
) -> tuple[Any, Any, Any, Any]:  # fmt: skip
    """The rows a prune tests (increasing): every member, or (``incremental``) the
    members of the events refitted since refit number ``since`` (a ``stamp``
    after it, or not ``settled``; every event when the memo's arrays are not the
    events') and of those a row joined or left since the memo's labels ``old``;
    with their event and the event less the observer ``dx``, ``dy`` (m)."""
    n_ev = x.shape[0]
    test = np.ones(n_ev, np.bool_)
    if incremental and stamp.shape[0] == n_ev:
        for e in range(n_ev):
            test[e] = stamp[e] > since or not settled[e]
    if incremental and has_old and old.shape[0] == labels.shape[0]:
        _mark_moved(labels, old, test)
    m = 0
    for r in range(labels.shape[0]):
        e = labels[r]
        if e >= 0 and test[e]:
            m += 1
    idx = np.empty(m, np.intp)
    g = np.empty(m, np.intp)
    dx = np.empty(m)
    dy = np.empty(m)
    m = 0
    for r in range(labels.shape[0]):
        e = labels[r]
        if e >= 0 and test[e]:
            idx[m] = r
            g[m] = e
            dx[m] = x[e] - ox[r]
            dy[m] = y[e] - oy[r]
            m += 1
    return idx, g, dx, dy


def _worst_loop(
    idx: Any, g: Any, dx: Any, dy: Any, ang: Any, az: Any, sigma_az: Any, t: Any,
    sigma_t: Any, speed: Any, rng: Any, sigma_rng: Any, eT: Any, cov9: Any, c: float,
    reach: float, gate_table: Any,
) -> tuple[Any, bool]:  # fmt: skip
    """Each event's worst failing member among the rows ``idx`` (event ``g``;
    ``ang`` = arctan2(dx, dy) by numpy): a row fails when its deleted residual's
    chi-square (:func:`~.gates.row_chi2`, sign -1) exceeds the gate of its dof
    (``gate_table`` for 1, 2, ... dof) or it lies beyond ``reach`` (m); the worst
    has the largest chi-square per dof, ties to the lower row. Returns them by
    event, and whether every azimuth residual was in the range the loop wraps
    (otherwise the caller runs the numpy code)."""
    n = g.shape[0]
    rn, M, dof, wrapped = _normalized(
        az, sigma_az, t, sigma_t, speed, rng, sigma_rng, g, eT, cov9, dx, dy, ang, c, idx
    )
    sign = np.empty(n)
    floor = np.empty(n)
    sign.fill(-1.0)
    floor.fill(0.02)
    chi2, _ = _quad(M, rn, sign, floor, True)
    top = gate_table.shape[0] - 1
    n_ev = cov9.shape[0]
    best = np.full(n_ev, -1, np.intp)
    ratio = np.empty(n_ev)
    k = 0
    for i in range(n):
        x2 = chi2[i] if math.hypot(dx[i], dy[i]) <= reach else math.inf
        d = int(dof[i]) - 1
        if not x2 > gate_table[min(max(d, 0), top)]:
            continue
        v = x2 / max(dof[i], 1.0)
        e = g[i]
        b = best[e]
        if b < 0:
            k += 1
        if b < 0 or v > ratio[e] or (v == ratio[e] and idx[i] < b):
            best[e] = idx[i]
            ratio[e] = v
    worst = np.empty(k, np.intp)
    k = 0
    for e in range(n_ev):
        if best[e] >= 0:
            worst[k] = best[e]
            k += 1
    return worst, wrapped


@getter
def prune_kernels() -> tuple[Callable[..., Any], Callable[..., Any]] | None:
    """:func:`_prune_rows_loop` and :func:`_worst_loop` compiled (on first use),
    the latter calling :mod:`.jacobian`'s compiled loops; or None without numba."""
    normalized, quad = jacobian.normalized_kernel(), jacobian.quad_kernel()
    rows_loop = compiled_calling(_prune_rows_loop, _mark_moved=mark_moved)
    if normalized is None or quad is None or rows_loop is None:
        return None
    worst_loop = compiled_calling(_worst_loop, _normalized=normalized, _quad=quad)
    if worst_loop is None:
        return None
    return rows_loop, worst_loop


def _compact_loop(
    labels: Any, az: Any, x: Any, y: Any, T: Any, cov: Any, min_tdoa: int, has_memo: bool,
    m_labels: Any, chi2: Any, dof: Any, ok: Any, settled: Any, stamp: Any,
) -> tuple[Any, ...]:  # fmt: skip
    """:meth:`~.clusters.Clusters.compact` without the reach test: the events that
    stand (fitted: every covariance entry finite; two bearings, or one and two
    arrivals, or ``min_tdoa`` arrivals), the rows of the others freed and the rest
    renumbered in ``labels`` (in place), their x, y, T and cov taken; with the
    memo (``has_memo``, its arrays the events'), its labels renumbered (copied)
    and its per-event arrays taken. First, whether every x and y is finite (if
    not, nothing is done: the caller runs the numpy code)."""
    n = x.shape[0]
    for e in range(n):
        if not (x[e] - x[e] == 0.0 and y[e] - y[e] == 0.0):
            z = np.empty(0)
            zi = np.empty(0, np.int64)
            zb = np.empty(0, np.bool_)
            zl = np.empty(0, np.intp)
            return False, z, z, z, np.empty((0, 3, 3)), zl, z, zi, zb, zb, zi
    nb = np.zeros(n, np.intp)
    na = np.zeros(n, np.intp)
    for r in range(labels.shape[0]):
        e = labels[r]
        if e >= 0:
            if az[r] - az[r] == 0.0:
                nb[e] += 1
            else:
                na[e] += 1
    remap = np.empty(n + 1, np.intp)
    k = 0
    for e in range(n):
        fine = True
        for u in range(3):
            for w in range(3):
                v = cov[e, u, w]
                if v - v != 0.0:
                    fine = False
        enough = nb[e] >= 2 or (nb[e] >= 1 and na[e] >= 2) or na[e] >= min_tdoa
        if fine and enough:
            remap[e] = k
            k += 1
        else:
            remap[e] = -1
    remap[n] = -1
    if k < n:
        for r in range(labels.shape[0]):
            labels[r] = remap[labels[r]]
    x1, y1, T1, cov1 = np.empty(k), np.empty(k), np.empty(k), np.empty((k, 3, 3))
    if has_memo:
        ml = np.empty(m_labels.shape[0], np.intp)
        for r in range(m_labels.shape[0]):
            ml[r] = remap[m_labels[r]] if k < n else m_labels[r]
        c1, d1 = np.empty(k), np.empty(k, np.int64)
        o1, s1, t1 = np.empty(k, np.bool_), np.empty(k, np.bool_), np.empty(k, np.int64)
    else:
        ml = np.empty(0, np.intp)
        c1, d1 = np.empty(0), np.empty(0, np.int64)
        o1, s1, t1 = np.empty(0, np.bool_), np.empty(0, np.bool_), np.empty(0, np.int64)
    for e in range(n):
        j = remap[e]
        if j < 0:
            continue
        x1[j] = x[e]
        y1[j] = y[e]
        T1[j] = T[e]
        for u in range(3):
            for w in range(3):
                cov1[j, u, w] = cov[e, u, w]
        if has_memo:
            c1[j] = chi2[e]
            d1[j] = dof[e]
            o1[j] = ok[e]
            s1[j] = settled[e]
            t1[j] = stamp[e]
    return True, x1, y1, T1, cov1, ml, c1, d1, o1, s1, t1


@getter
def compact_kernel() -> Callable[..., tuple[Any, ...]] | None:
    """:func:`_compact_loop` compiled (on first use), or None without numba."""
    return compiled(_compact_loop)
