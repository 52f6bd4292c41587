"""The state association builds: which event each report row belongs to, and
each event's estimate; and its upkeep, written once (:meth:`Clusters.settle`)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from ceasefire.fuse.association.gates import GateConfig, fitted, quantile, row_chi2
from ceasefire.fuse.association.reports import F8, IP, B, Reports
from ceasefire.fuse.association.settle_loops import (
    REFIT,
    REFIT_PRUNE,
    SETTLE,
    SETTLE_PRUNE,
    upkeep_kernel,
)
from ceasefire.fuse.association.upkeep_loops import compact_kernel, prune_kernels, refit_kernels
from ceasefire.fuse.compiled import compiled, getter
from ceasefire.fuse.solve import FIT_DEFAULTS, Fit, fit


def _members_loop(labels: Any, az: Any, n: int) -> tuple[Any, Any]:
    """:func:`member_counts` as one pass over the rows (compiled by numba)."""
    nb = np.zeros(n, np.intp)
    na = np.zeros(n, np.intp)
    for r in range(labels.shape[0]):
        e = labels[r]
        if e >= 0:
            if az[r] - az[r] == 0.0:  # finite: a bearing
                nb[e] += 1
            else:
                na[e] += 1
    return nb, na


@getter
def _members_kernel() -> Callable[..., tuple[Any, Any]] | None:
    """:func:`_members_loop` compiled (on first use), or None without numba."""
    return compiled(_members_loop)


def member_counts(labels: IP, az: F8, n: int) -> tuple[IP, IP]:
    """Per event (``n`` of them), how many of its rows (``labels``) have a finite
    azimuth (bearings) and how many do not (arrivals)."""
    kernel = _members_kernel()
    if kernel is not None:
        nb, na = kernel(labels, az, n)
        return np.asarray(nb, np.intp), np.asarray(na, np.intp)
    m = labels >= 0
    is_b = np.isfinite(az[m])
    lab = labels[m]
    return np.bincount(lab[is_b], minlength=n), np.bincount(lab[~is_b], minlength=n)


def dirty_rows(labels: IP, old: IP | None, dirty: B) -> IP:
    """The rows (increasing) whose event (``labels``) is marked in ``dirty`` (per
    event), after marking in place every event a row joined or left since
    ``old`` (the labels before; None or another length: none marked). The rows
    by one gather of the marks with a last, unmarked slot for the free rows'
    label -1 (1.5x the filter of the labelled rows by their events' marks: the
    refits and prunes of association each ask it)."""
    n = dirty.shape[0]
    if old is not None and old.shape == labels.shape:
        moved = labels != old
        if moved.any():
            lab = np.concatenate((labels[moved], old[moved]))
            dirty[lab[(lab >= 0) & (lab < n)]] = True
    marks = np.zeros(n + 1, bool)
    marks[:n] = dirty
    return marks[labels].nonzero()[0]


@dataclass
class Memo:
    """What the last :meth:`Clusters.refit` left: the labels it fitted (``labels``,
    per row) and per event the fit's ``chi2``, ``dof``, ``ok``, whether the
    estimate is that fit's converged solution (``settled``: False once the estimate
    was set from elsewhere) and the number of the refit that last moved it
    (``stamp``, :attr:`Clusters.refits`)."""

    labels: IP
    chi2: F8
    dof: npt.NDArray[np.int64]
    ok: B
    settled: B
    stamp: npt.NDArray[np.int64]

    def copy(self) -> Memo:
        return Memo(self.labels.copy(), self.chi2.copy(), self.dof.copy(), self.ok.copy(),
                    self.settled.copy(), self.stamp.copy())  # fmt: skip

    def take(self, keep: IP) -> Memo:
        return Memo(self.labels, self.chi2[keep], self.dof[keep], self.ok[keep],
                    self.settled[keep], self.stamp[keep])  # fmt: skip


@functools.cache
def _gate_table(p: float) -> F8:
    """The chi-square ``p`` quantile for 1..64 dof (:func:`~.gates.quantile`'s)."""
    return quantile(p, np.arange(1, 65))


#: an empty memo and fit: the compiled refit's arguments when there is none
_NO_MEMO = Memo(
    np.zeros(0, np.intp), np.zeros(0), np.zeros(0, np.int64), np.zeros(0, bool),
    np.zeros(0, bool), np.zeros(0, np.int64),
)  # fmt: skip
#: the member gate's table when a settle does not prune
_NO_GATE = np.zeros(1)
_NO_FIT = Fit(
    np.zeros(0), np.zeros(0), np.zeros(0), np.zeros((0, 3, 3)), np.zeros(0),
    np.zeros(0, np.int64), np.zeros(0, bool), np.zeros(0, bool),
)  # fmt: skip


@dataclass
class Clusters:
    """Events under construction: per-row ``labels`` (event index, -1 free) and per
    event ``x``, ``y`` (m), ``T`` (s) and ``cov`` ``(G, 3, 3)`` (NaN until fitted).
    ``memo``: the last refit's state (None: none yet), so that the next refits
    only the events whose members changed (:meth:`refit`); ``refits`` counts the
    refits so far."""

    labels: IP
    x: F8
    y: F8
    T: F8
    cov: F8
    memo: Memo | None = field(default=None, repr=False)
    refits: int = 0
    #: the last prune: (refits then, its member gate, id of its reports)
    pruned: tuple[int, float, int] | None = field(default=None, repr=False)

    @classmethod
    def empty(cls, n_rows: int) -> Clusters:
        """No event; ``n_rows`` free rows."""
        return cls(
            np.full(n_rows, -1, np.intp), np.zeros(0), np.zeros(0), np.zeros(0),
            np.zeros((0, 3, 3)),
        )  # fmt: skip

    @property
    def n(self) -> int:
        return int(self.x.shape[0])

    def copy(self) -> Clusters:
        """The labels and estimates, copied (not the memo: a copy refits all)."""
        c = self
        return Clusters(c.labels.copy(), c.x.copy(), c.y.copy(), c.T.copy(), c.cov.copy())

    def snapshot(self) -> Clusters:
        """A copy of everything, the memo included (:meth:`take_state` restores it)."""
        c = self
        memo = None if c.memo is None else c.memo.copy()
        return Clusters(c.labels.copy(), c.x.copy(), c.y.copy(), c.T.copy(), c.cov.copy(),
                        memo, c.refits)  # fmt: skip

    def take_state(self, other: Clusters) -> None:
        """Labels (in place), estimates and memo of ``other`` (a :meth:`snapshot`);
        the refit count goes on from this one's."""
        self.labels[:] = other.labels
        self.x, self.y, self.T, self.cov = other.x, other.y, other.T, other.cov
        self.memo = other.memo
        self.refits += 1
        self.pruned = None

    def add(self, seed_of: IP, rows: IP, x: F8, y: F8, T: F8) -> None:
        """New unfitted events at ``(x, y, T)``; row ``rows[i]`` joins new event
        ``seed_of[i]`` (numbered from 0 among the new)."""
        self.labels[rows] = self.n + seed_of
        self.x = np.concatenate([self.x, x])
        self.y = np.concatenate([self.y, y])
        self.T = np.concatenate([self.T, T])
        self.cov = np.concatenate([self.cov, np.full((x.shape[0], 3, 3), np.nan)])
        if self.memo is not None:
            m, k = self.memo, x.shape[0]
            self.memo = Memo(
                m.labels, np.concatenate([m.chi2, np.full(k, np.nan)]),
                np.concatenate([m.dof, np.zeros(k, np.int64)]),
                np.concatenate([m.ok, np.zeros(k, bool)]),
                np.concatenate([m.settled, np.zeros(k, bool)]),
                np.concatenate([m.stamp, np.zeros(k, np.int64)]),
            )  # fmt: skip

    def restore(self, old: Clusters, g: IP) -> None:
        """Events ``g`` take back their estimates in ``old``."""
        self.x[g], self.y[g], self.T[g], self.cov[g] = old.x[g], old.y[g], old.T[g], old.cov[g]
        if self.memo is not None:
            self.memo.settled[g] = False

    def polish(self, rep: Reports, tol_m: float = 1e-3, iterations: int = 16) -> Fit:
        """Every event refitted from its estimate until its Gauss-Newton step is under
        ``tol_m`` (m): the converged fits :meth:`refit` keeps stop after a step of
        under 0.5 m, this takes them to the optimum (the estimates association
        returns). Returns the fit of every event."""
        idx = np.flatnonzero(self.labels >= 0)
        f = fit(rep.rows, self.labels[idx], self.n, self.x, self.y, self.T, rep.c, sel=idx,
                iterations=iterations, tol_m=tol_m)  # fmt: skip
        self.x, self.y, self.T, self.cov = f.x, f.y, f.T, f.cov
        self.refits += 1
        stamp = np.full(self.n, self.refits, np.int64)
        self.memo = Memo(self.labels.copy(), f.chi2, f.dof, f.ok, f.converged, stamp)
        return f

    def refit(self, rep: Reports) -> Fit:
        """The events whose members changed since the last refit (or whose estimate
        was set since, or did not converge or hold) refitted to their members at
        once (batched Gauss-Newton from the current estimates); the others keep
        their converged fit. Returns the fit of every event. (A full refit would
        move each converged fix by a Gauss-Newton step of under 0.5 m, mostly
        millimetres: each event's fit depends on its own rows only.)"""
        done = self._upkeep_compiled(rep, None, REFIT)
        if done is not None:
            return done[0]
        kernels = refit_kernels()
        if kernels is not None:
            return self._refit_compiled(rep, *kernels)
        n, memo = self.n, self.memo
        if memo is None or memo.ok.shape[0] != n:
            dirty = np.ones(n, bool)
            chi2, dof = np.full(n, np.nan), np.zeros(n, np.int64)
            ok, settled = np.zeros(n, bool), np.zeros(n, bool)
            stamp = np.zeros(n, np.int64)
        else:
            dirty = ~(memo.settled & memo.ok)
            # the per-event arrays only (the labels are taken anew below)
            chi2, dof, ok = memo.chi2.copy(), memo.dof.copy(), memo.ok.copy()
            settled, stamp = memo.settled.copy(), memo.stamp.copy()
        if memo is not None and not dirty.any() and np.array_equal(memo.labels, self.labels):
            # no member moved, every fit converged (~40 % of the refits of a small
            # tile: mostly a settle's second when nothing was dropped): no lookups
            d = idx = np.zeros(0, np.intp)
        else:
            # the events whose members moved marked dirty too, and the dirty events' rows
            idx = dirty_rows(self.labels, None if memo is None else memo.labels, dirty)
            d = dirty.nonzero()[0]
        x, y, T, cov = self.x.copy(), self.y.copy(), self.T.copy(), self.cov.copy()
        if d.shape[0]:  # (nothing dirty: no fit, whose fixed cost is ~30 µs)
            pos = np.empty(n, np.intp)  # np.full's Python wrapper: ~2 us a refit
            pos.fill(-1)
            pos[d] = np.arange(d.shape[0])
            f = fit(rep.rows, pos[self.labels[idx]], d.shape[0], self.x[d], self.y[d],
                    self.T[d], rep.c, sel=idx)  # fmt: skip
            x[d], y[d], T[d], cov[d] = f.x, f.y, f.T, f.cov
            chi2[d], dof[d], ok[d], settled[d] = f.chi2, f.dof, f.ok, f.converged
        self.refits += 1
        stamp[d] = self.refits
        self.x, self.y, self.T, self.cov = x, y, T, cov
        self.memo = Memo(self.labels.copy(), chi2, dof, ok, settled, stamp)
        return Fit(x, y, T, cov, chi2, dof, ok, settled)

    def _refit_compiled(
        self, rep: Reports, plan: Callable[..., Any], apply: Callable[..., Any]
    ) -> Fit:
        """:meth:`refit` with its bookkeeping by the compiled loops of
        :mod:`.upkeep_loops` (the same arrays)."""
        n, memo = self.n, self.memo
        fresh = memo is None or memo.ok.shape[0] != n
        m = _NO_MEMO if memo is None else memo
        d, idx, gl, x0, y0, T0 = plan(
            self.labels, m.labels, memo is not None, fresh, m.settled, m.ok, self.x, self.y,
            self.T,
        )  # fmt: skip
        f = _NO_FIT
        if d.shape[0]:  # (nothing dirty: no fit, whose fixed cost is ~30 µs)
            f = fit(rep.rows, gl, d.shape[0], x0, y0, T0, rep.c, sel=idx)
        self.refits += 1
        x, y, T, cov, chi2, dof, ok, settled, stamp = apply(
            fresh, m.chi2, m.dof, m.ok, m.settled, m.stamp, self.x, self.y, self.T, self.cov, d,
            f.x, f.y, f.T, f.cov, f.chi2, f.dof, f.ok, f.converged, self.refits, False,
        )  # fmt: skip
        self.x, self.y, self.T, self.cov = x, y, T, cov
        self.memo = Memo(self.labels.copy(), chi2, dof, ok, settled, stamp)
        return Fit(x, y, T, cov, chi2, dof, ok, settled)

    def refitted_since(self, refits: int) -> B:
        """Per event: refitted (or added) after refit number ``refits``."""
        if self.memo is None or self.memo.stamp.shape[0] != self.n:
            return np.ones(self.n, bool)
        return np.asarray((self.memo.stamp > refits) | ~self.memo.settled, dtype=bool)

    def compact(self, rep: Reports, check_reach: bool = False) -> None:
        """Drop the events that cannot stand: a failed fit, too few reports to fix a
        position with a check (two bearings; one bearing and two arrivals; or
        ``min_tdoa_sensors`` arrivals) or, with ``check_reach``, a fix beyond the
        reach of one of its reports; their rows are freed. Renumber."""
        if self.n == 0:
            self.labels[:] = -1
            return
        kernel = compact_kernel()
        if kernel is not None and not check_reach and rep.finite_positions:
            memo = self.memo
            if memo is not None and memo.ok.shape[0] != self.n:
                self.memo = memo = None
            mm = _NO_MEMO if memo is None else memo
            done, x, y, T, cov, ml, chi2, dof, ok, settled, stamp = kernel(
                self.labels, rep.rows.az, self.x, self.y, self.T, self.cov,
                rep.min_tdoa_sensors, memo is not None, mm.labels, mm.chi2, mm.dof, mm.ok,
                mm.settled, mm.stamp,
            )  # fmt: skip
            if done:
                self.x, self.y, self.T, self.cov = x, y, T, cov
                if memo is not None:
                    self.memo = Memo(ml, chi2, dof, ok, settled, stamp)
                return
        rows = rep.rows
        nb, na = member_counts(self.labels, rows.az, self.n)
        finite = rep.finite_positions and bool(
            np.isfinite(self.x).all() & np.isfinite(self.y).all()
        )
        enough = (nb >= 2) | ((nb >= 1) & (na >= 2)) | (na >= rep.min_tdoa_sensors)
        alive = fitted(self) & enough
        if check_reach or not finite:
            reach = rep.reach_m if check_reach else np.inf
            m = self.labels >= 0
            lab = self.labels[m]
            rho = np.hypot(self.x[lab] - rows.ox[m], self.y[lab] - rows.oy[m])
            far = np.bincount(lab, weights=(~(rho <= reach)).astype(float), minlength=self.n)
            alive &= far == 0
        # else finite positions and estimates: a distance is never NaN, so never
        # beyond an infinite reach
        # every event stands (the common case): the numbering stays, no remap
        renumber = not bool(alive.all())
        if renumber:
            # new numbers by old label, the last entry for label -1: one gather frees
            # the rows of the events dropped and renumbers the others
            remap = np.full(self.n + 1, -1, np.intp)
            remap[alive.nonzero()[0]] = np.arange(int(alive.sum()))
            self.labels[:] = remap[self.labels]
        self.x, self.y, self.T = self.x[alive], self.y[alive], self.T[alive]
        self.cov = self.cov[alive]
        if self.memo is not None and self.memo.ok.shape[0] != alive.shape[0]:
            self.memo = None
        if self.memo is not None:
            ml = remap[self.memo.labels] if renumber else self.memo.labels.copy()
            self.memo = self.memo.take(alive.nonzero()[0])
            self.memo.labels = ml

    def prune(self, rep: Reports, gates: GateConfig) -> int:
        """Free the worst member of each event whose worst member fails the member
        gate (its deleted residual) or lies beyond the reach; returns how many.
        Only the events refitted or changed since the last prune (with the same
        gate) are tested: the others passed it then, with the same members and
        estimate."""
        rows = rep.rows
        last, self.pruned = self.pruned, (self.refits, gates.member_p, id(rep))
        incremental = last is not None and last[1:] == self.pruned[1:]
        kernels = prune_kernels()
        if kernels is not None:
            idx, worst = self._prune_compiled(rep, gates, last[0] if last else 0, incremental,
                                              *kernels)  # fmt: skip
            if worst is not None:
                self.labels[worst] = -1
                return int(worst.shape[0])
        elif last is not None and incremental:
            # the rows of the events refitted since, or whose members moved since
            # the last refit
            old = None if self.memo is None else self.memo.labels
            idx = dirty_rows(self.labels, old, self.refitted_since(last[0]))
        else:
            idx = np.flatnonzero(self.labels >= 0)
        if idx.shape[0] == 0:
            return 0
        g = self.labels[idx]
        chi2, dof = row_chi2(rows, g, self, rep.c, True, -1.0, sel=idx)
        rho = np.hypot(self.x[g] - rows.ox[idx], self.y[g] - rows.oy[idx])
        chi2 = np.where(~(rho <= rep.reach_m), np.inf, chi2)
        bad = chi2 > quantile(gates.member_p, dof)
        if not bad.any():
            return 0
        # each event's worst failing member (ties to the lower row): only the
        # failing rows are ranked, a few of those tested
        b = bad.nonzero()[0]
        gb, ib = g[b], idx[b]
        order = np.lexsort((ib, -(chi2[b] / np.maximum(dof[b], 1)), gb))
        first = np.ones(order.shape[0], bool)
        first[1:] = gb[order][1:] != gb[order][:-1]
        worst = ib[order[first]]
        self.labels[worst] = -1
        return int(worst.shape[0])

    def _prune_compiled(
        self, rep: Reports, gates: GateConfig, since: int, incremental: bool,
        rows_loop: Callable[..., Any], worst_loop: Callable[..., Any],
    ) -> tuple[IP, IP | None]:  # fmt: skip
        """:meth:`prune`'s rows to test and each event's worst failing member by the
        compiled loops of :mod:`.upkeep_loops` (the numpy code's): returns the
        rows and the members to free (None when an azimuth residual lies beyond
        the loops' wrap: the caller then judges the rows in numpy)."""
        rows, memo = rep.rows, self.memo
        m = _NO_MEMO if memo is None else memo
        idx, g, dx, dy = rows_loop(
            self.labels, m.labels, memo is not None, incremental, m.stamp, m.settled, since,
            self.x, self.y, rows.ox, rows.oy,
        )  # fmt: skip
        if idx.shape[0] == 0:
            return idx, np.zeros(0, np.intp)
        worst, wrapped = worst_loop(
            idx, g, dx, dy, np.arctan2(dx, dy), rows.az, rows.sigma_az, rows.t, rows.sigma_t,
            rows.speed_factor, rows.rng, rows.sigma_rng, self.T, self.cov.reshape(-1, 9),
            rep.c, rep.reach_m, _gate_table(gates.member_p),
        )  # fmt: skip
        return idx, (worst if wrapped else None)

    def settle(self, rep: Reports, gates: GateConfig | None = None) -> Fit:
        """The upkeep after any change of membership: refit; with ``gates``, prune
        (and refit when a member went); drop what cannot stand; refit. Returns the
        last fit."""
        done = self._upkeep_compiled(rep, gates, SETTLE if gates is None else SETTLE_PRUNE)
        if done is not None:
            return done[0]
        self.refit(rep)
        if gates is not None and self.prune(rep, gates):
            self.refit(rep)
        self.compact(rep)
        return self.refit(rep)

    def refit_prune(self, rep: Reports, gates: GateConfig) -> tuple[Fit, int]:
        """:meth:`refit`, :meth:`prune`, and when it freed a member :meth:`compact`
        and :meth:`refit` (an attach pass's upkeep). Returns the last fit and how
        many members the prune freed."""
        done = self._upkeep_compiled(rep, gates, REFIT_PRUNE)
        if done is not None:
            return done
        last = self.refit(rep)
        pruned = self.prune(rep, gates)
        if pruned:
            self.compact(rep)
            last = self.refit(rep)
        return last, pruned

    def _upkeep_compiled(
        self, rep: Reports, gates: GateConfig | None, mode: int
    ) -> tuple[Fit, int] | None:
        """:meth:`refit` (``mode`` :data:`~.settle_loops.REFIT`), :meth:`settle`
        (with ``gates``: :data:`~.settle_loops.SETTLE_PRUNE`) or
        :meth:`refit_prune` as one compiled call (:mod:`.settle_loops`: the same
        loops the methods call, in their order). Returns the last fit and how
        many members a prune freed, or None when it was not done (without
        numba, an observer position not finite, covariances not C-ordered, or a
        step that hands over to the numpy code): then nothing was changed."""
        made = upkeep_kernel()
        # (the prune reads each covariance as 9 numbers: a view of a C-ordered cov)
        if made is None or not rep.finite_positions or not self.cov.flags.c_contiguous:
            return None
        loop, atan2_at = made
        memo, rows = self.memo, rep.rows
        m = _NO_MEMO if memo is None else memo
        since, incremental, gate_table = 0, False, _NO_GATE
        pruned = None
        if gates is not None:
            last = self.pruned
            pruned = (self.refits + 1, gates.member_p, id(rep))
            incremental = last is not None and last[1:] == pruned[1:]
            since = last[0] if last is not None else 0
            gate_table = _gate_table(gates.member_p)
        iterations, max_step_m, tol_m, gather_min, gather_rows = FIT_DEFAULTS
        got = loop(
            mode, self.labels, memo is not None, m.labels, m.chi2, m.dof, m.ok, m.settled,
            m.stamp, self.x, self.y, self.T, self.cov, self.refits, rows.ox, rows.oy, rows.az,
            rows.sigma_az, rows.t, rows.sigma_t, rows.speed_factor, rows.rng, rows.sigma_rng,
            rep.c, iterations, max_step_m, tol_m, gather_min, gather_rows, atan2_at,
            incremental, since, rep.reach_m, gate_table, rep.min_tdoa_sensors,
        )  # fmt: skip
        if not got[0]:
            return None
        _, x, y, T, cov, ml, chi2, dof, ok, settled, stamp, self.refits, n_pruned = got
        self.x, self.y, self.T, self.cov = x, y, T, cov
        self.memo = Memo(ml, chi2, dof, ok, settled, stamp)
        if pruned is not None:
            self.pruned = pruned
        return Fit(x, y, T, cov, chi2, dof, ok, settled), int(n_pruned)
