""":meth:`~.clusters.Clusters.refit`'s bookkeeping around the fit as two compiled
loops (numba, the ``fast`` extra) instead of ~30 numpy calls a refit (~3,500
refits a fuse of the bearing row, most of a few events): which events are dirty
and their rows (:func:`_plan_loop`), then the estimates and the memo's per-event
arrays with the refitted events written in (:func:`_apply_loop`). Only copies,
comparisons and index work: the same arrays as the numpy code. Without numba
:func:`refit_kernels` gives None."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ceasefire.fuse.compiled import compiled, getter


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
        for r in range(labels.shape[0]):
            a, b = labels[r], old[r]
            if a != b:
                if 0 <= a < n:
                    dirty[a] = True
                if 0 <= b < n:
                    dirty[b] = True
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
    k = 0
    for r in range(labels.shape[0]):
        e = labels[r]
        if e >= 0 and dirty[e]:
            k += 1
    idx = np.empty(k, np.intp)
    gl = np.empty(k, np.intp)
    k = 0
    for r in range(labels.shape[0]):
        e = labels[r]
        if e >= 0 and dirty[e]:
            idx[k] = r
            gl[k] = pos[e]
            k += 1
    return d, idx, gl, x0, y0, T0


def _apply_loop(
    fresh: bool, chi2: Any, dof: Any, ok: Any, settled: Any, stamp: Any, x: Any, y: Any,
    T: Any, cov: Any, d: Any, fx: Any, fy: Any, fT: Any, fcov: Any, fchi2: Any, fdof: Any,
    fok: Any, fconv: Any, refits: int,
) -> tuple[Any, Any, Any, Any, Any, Any, Any, Any, Any]:  # fmt: skip
    """The estimates (copies of ``x``, ``y``, ``T``, ``cov``) and the per-event
    chi2, dof, ok, settled and stamp (copies of the memo's; when ``fresh``: NaN,
    0, False, False, 0) with the fit of events ``d`` written in, their stamp
    ``refits``."""
    n = x.shape[0]
    x1, y1, T1, cov1 = x.copy(), y.copy(), T.copy(), cov.copy()
    if fresh:
        chi1 = np.empty(n)
        chi1.fill(np.nan)
        dof1 = np.zeros(n, np.int64)
        ok1 = np.zeros(n, np.bool_)
        set1 = np.zeros(n, np.bool_)
        st1 = np.zeros(n, np.int64)
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
    plan, apply = compiled(_plan_loop), compiled(_apply_loop)
    if plan is None or apply is None:
        return None
    return plan, apply
