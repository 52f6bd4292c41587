"""A whole refit or settle of :class:`~.clusters.Clusters` as one compiled call
(numba, the ``fast`` extra). A settle made ~8 compiled calls (each refit's plan,
fit and apply; the prune's rows and worst members; the compact) and boxed ~70
arrays between them (numba boxes each array it returns by a Python-level call),
~70 Python calls a settle; association makes ~1,100 settles and ~2,400 more
refits a fuse of the bearing row. :func:`_upkeep_loop` calls the very compiled
loops those calls made, in their order, on the same arrays (the prune's
azimuths by :mod:`~ceasefire.fuse.arctan2`'s numpy ``arctan2``, as the fit
computes its own), so the same numbers to the bit. Any step that would hand
over to the numpy code (a fit out of range, an azimuth residual beyond the
wrap, a non-finite estimate in the compact) gives up before anything is
written: the caller then runs the calls one by one. Without numba, or where
no compiled ``arctan2`` gives numpy's, :func:`upkeep_kernel` gives None."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ceasefire.fuse import arctan2, gauss_newton
from ceasefire.fuse.association import upkeep_loops
from ceasefire.fuse.compiled import compiled_calling, getter

#: the loops these call, rebound to their compiled dispatchers by
#: :func:`upkeep_kernel` (a compiled loop calls compiled functions only)
_plan: Any = upkeep_loops._plan_loop
_apply: Any = upkeep_loops._apply_loop
_prune_rows: Any = upkeep_loops._prune_rows_loop
_worst: Any = upkeep_loops._worst_loop
_compact: Any = upkeep_loops._compact_loop
_fit: Any = gauss_newton._fit_loop
_atan2_into: Any = arctan2.atan2_into
_refit_step: Any = None

#: :func:`_upkeep_loop`'s ``mode``: a refit; a settle without, with the prune;
#: a refit and a prune, then (when it freed a row) a compact and a refit
REFIT, SETTLE, SETTLE_PRUNE, REFIT_PRUNE = 0, 1, 2, 3


def _refit_loop(
    labels: Any, has_memo: bool, ml: Any, mchi2: Any, mdof: Any, mok: Any, mset: Any,
    mstamp: Any, x: Any, y: Any, T: Any, cov: Any, refits: int, ox: Any, oy: Any, az: Any,
    sigma_az: Any, t: Any, sigma_t: Any, speed: Any, rng: Any, sigma_rng: Any, c: float,
    iterations: int, max_step_m: float, tol_m: float, gather_min: int, gather_rows: int,
    atan2_at: int, own: bool,
) -> tuple[Any, ...]:  # fmt: skip
    """:meth:`~.clusters.Clusters.refit` (its compiled path): the dirty events
    (:func:`~.upkeep_loops._plan_loop`) fitted from their estimates
    (:func:`~ceasefire.fuse.gauss_newton._fit_loop`, ``solve.fit``'s defaults
    passed in), written in (:func:`~.upkeep_loops._apply_loop`) with stamp
    ``refits``; with ``own`` (the estimates and memo arrays made by an earlier
    step of the same upkeep: no one else holds them) written in place. Returns
    whether the fit was done here (False: the numpy fit would run; the rest
    then unset), the estimates, and the memo: the labels copied and the
    per-event arrays."""
    n = x.shape[0]
    fresh = not has_memo or mok.shape[0] != n
    d, idx, gl, x0, y0, T0 = _plan(labels, ml, has_memo, fresh, mset, mok, x, y, T)
    if d.shape[0]:
        fx, fy, fT, fcov, fchi2, fdof, fok, fconv, good = _fit(
            ox, oy, az, sigma_az, t, sigma_t, speed, rng, sigma_rng, gl, d.shape[0], idx, True,
            x0, y0, T0, c, iterations, max_step_m, tol_m, gather_min, gather_rows, atan2_at,
        )  # fmt: skip
        if not good:
            return (False, x, y, T, cov, ml, mchi2, mdof, mok, mset, mstamp)
    else:
        fx, fy, fT = np.empty(0), np.empty(0), np.empty(0)
        fcov, fchi2 = np.empty((0, 3, 3)), np.empty(0)
        fdof = np.empty(0, np.int64)
        fok, fconv = np.empty(0, np.bool_), np.empty(0, np.bool_)
    x1, y1, T1, cov1, chi1, dof1, ok1, set1, st1 = _apply(
        fresh, mchi2, mdof, mok, mset, mstamp, x, y, T, cov, d, fx, fy, fT, fcov, fchi2, fdof,
        fok, fconv, refits, own,
    )  # fmt: skip
    return (True, x1, y1, T1, cov1, labels.copy(), chi1, dof1, ok1, set1, st1)


def _upkeep_loop(
    mode: int, labels: Any, has_memo: bool, ml: Any, mchi2: Any, mdof: Any, mok: Any,
    mset: Any, mstamp: Any, x: Any, y: Any, T: Any, cov: Any, refits: int, ox: Any, oy: Any,
    az: Any, sigma_az: Any, t: Any, sigma_t: Any, speed: Any, rng: Any, sigma_rng: Any,
    c: float, iterations: int, max_step_m: float, tol_m: float, gather_min: int,
    gather_rows: int, atan2_at: int, incremental: bool, since: int, reach: float,
    gate_table: Any, min_tdoa: int,
) -> tuple[Any, ...]:  # fmt: skip
    """A :meth:`~.clusters.Clusters.refit` (``mode`` :data:`REFIT`), a
    :meth:`~.clusters.Clusters.settle` (:data:`SETTLE`; :data:`SETTLE_PRUNE`
    with the prune: ``incremental`` since refit number ``since``, the member
    gate ``gate_table`` for 1, 2, ... dof, the ``reach`` in m) or
    :meth:`~.clusters.Clusters.refit_prune` (:data:`REFIT_PRUNE`) by the
    compiled loops their methods call, in their order. The compact is the one
    without the reach test (every observer position finite: the caller's to
    know). Returns whether it was done (False: nothing written, the rest
    unset), the estimates, the memo (labels and per-event arrays), the refit
    count and the rows the prune freed; ``labels`` written in place."""
    # a refit alone writes no label: it reads the caller's
    lab = labels if mode == REFIT else labels.copy()
    # the caller's estimates and memo copied by the first step; the later steps
    # write into those copies (or the compact's arrays)
    good, x1, y1, T1, cov1, ml1, c1, d1, o1, s1, t1 = _refit_step(
        lab, has_memo, ml, mchi2, mdof, mok, mset, mstamp, x, y, T, cov, refits + 1, ox, oy,
        az, sigma_az, t, sigma_t, speed, rng, sigma_rng, c, iterations, max_step_m, tol_m,
        gather_min, gather_rows, atan2_at, False,
    )  # fmt: skip
    if not good:
        return (False, x1, y1, T1, cov1, ml1, c1, d1, o1, s1, t1, refits, 0)
    refits += 1
    if mode == REFIT:
        return (True, x1, y1, T1, cov1, ml1, c1, d1, o1, s1, t1, refits, 0)
    n_pruned = 0
    if mode >= SETTLE_PRUNE:  # SETTLE_PRUNE or REFIT_PRUNE: with the prune
        # (the memo's labels are a copy of ``lab`` here: no row moved since)
        idx, g, dx, dy = _prune_rows(lab, ml1, False, incremental, t1, s1, since, x1, y1, ox, oy)
        if idx.shape[0]:
            ang = np.empty(dx.shape[0])
            _atan2_into(dx, dy, ang, atan2_at)
            worst, wrapped = _worst(
                idx, g, dx, dy, ang, az, sigma_az, t, sigma_t, speed, rng, sigma_rng, T1,
                cov1.reshape((cov1.shape[0], 9)), c, reach, gate_table,
            )  # fmt: skip
            if not wrapped:
                return (False, x1, y1, T1, cov1, ml1, c1, d1, o1, s1, t1, refits, 0)
            n_pruned = worst.shape[0]
            for i in range(n_pruned):
                lab[worst[i]] = -1
            if n_pruned and mode == SETTLE_PRUNE:
                good, x1, y1, T1, cov1, ml1, c1, d1, o1, s1, t1 = _refit_step(
                    lab, True, ml1, c1, d1, o1, s1, t1, x1, y1, T1, cov1, refits + 1, ox, oy,
                    az, sigma_az, t, sigma_t, speed, rng, sigma_rng, c, iterations,
                    max_step_m, tol_m, gather_min, gather_rows, atan2_at, True,
                )  # fmt: skip
                if not good:
                    return (False, x1, y1, T1, cov1, ml1, c1, d1, o1, s1, t1, refits, 0)
                refits += 1
    if mode == REFIT_PRUNE and n_pruned == 0:
        return (True, x1, y1, T1, cov1, ml1, c1, d1, o1, s1, t1, refits, 0)
    has = True
    if x1.shape[0] == 0:
        lab[:] = -1
    else:
        done, x2, y2, T2, cov2, ml2, c2, d2, o2, s2, t2 = _compact(
            lab, az, x1, y1, T1, cov1, min_tdoa, has, ml1, c1, d1, o1, s1, t1
        )
        if not done:
            return (False, x1, y1, T1, cov1, ml1, c1, d1, o1, s1, t1, refits, 0)
        x1, y1, T1, cov1 = x2, y2, T2, cov2
        ml1, c1, d1, o1, s1, t1 = ml2, c2, d2, o2, s2, t2
    good, x1, y1, T1, cov1, ml1, c1, d1, o1, s1, t1 = _refit_step(
        lab, has, ml1, c1, d1, o1, s1, t1, x1, y1, T1, cov1, refits + 1, ox, oy, az, sigma_az,
        t, sigma_t, speed, rng, sigma_rng, c, iterations, max_step_m, tol_m, gather_min,
        gather_rows, atan2_at, True,
    )  # fmt: skip
    if not good:
        return (False, x1, y1, T1, cov1, ml1, c1, d1, o1, s1, t1, refits, 0)
    refits += 1
    labels[:] = lab
    return (True, x1, y1, T1, cov1, ml1, c1, d1, o1, s1, t1, refits, n_pruned)


@getter
def upkeep_kernel() -> tuple[Callable[..., tuple[Any, ...]], int] | None:
    """:func:`_upkeep_loop` compiled (on first use) and the address of numpy's
    ``arctan2`` routine (its ``atan2_at``), or None without numba or where no
    compiled ``arctan2`` gives numpy's (:func:`~ceasefire.fuse.gauss_newton.fit_kernel`)."""
    fit = gauss_newton.fit_kernel()
    refit = upkeep_loops.refit_kernels()
    prune = upkeep_loops.prune_kernels()
    compact = upkeep_loops.compact_kernel()
    into = arctan2.atan2_into_kernel()
    if fit is None or refit is None or prune is None or compact is None or into is None:
        return None
    step = compiled_calling(_refit_loop, _plan=refit[0], _apply=refit[1], _fit=fit[0])
    if step is None:
        return None
    loop = compiled_calling(
        _upkeep_loop, _refit_step=step, _prune_rows=prune[0], _worst=prune[1],
        _compact=compact, _atan2_into=into,
    )  # fmt: skip
    return None if loop is None else (loop, fit[1])


__all__ = ["REFIT", "REFIT_PRUNE", "SETTLE", "SETTLE_PRUNE", "upkeep_kernel"]
