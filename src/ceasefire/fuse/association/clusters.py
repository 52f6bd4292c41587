"""The state association builds: which event each report row belongs to, and
each event's estimate; and its upkeep, written once (:meth:`Clusters.settle`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ceasefire.fuse.association.gates import GateConfig, fitted, quantile, row_chi2
from ceasefire.fuse.association.reports import F8, IP, Reports
from ceasefire.fuse.solve import Fit, fit


@dataclass
class Clusters:
    """Events under construction: per-row ``labels`` (event index, -1 free) and per
    event ``x``, ``y`` (m), ``T`` (s) and ``cov`` ``(G, 3, 3)`` (NaN until fitted)."""

    labels: IP
    x: F8
    y: F8
    T: F8
    cov: F8

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
        c = self
        return Clusters(c.labels.copy(), c.x.copy(), c.y.copy(), c.T.copy(), c.cov.copy())

    def add(self, seed_of: IP, rows: IP, x: F8, y: F8, T: F8) -> None:
        """New unfitted events at ``(x, y, T)``; row ``rows[i]`` joins new event
        ``seed_of[i]`` (numbered from 0 among the new)."""
        self.labels[rows] = self.n + seed_of
        self.x = np.concatenate([self.x, x])
        self.y = np.concatenate([self.y, y])
        self.T = np.concatenate([self.T, T])
        self.cov = np.concatenate([self.cov, np.full((x.shape[0], 3, 3), np.nan)])

    def restore(self, old: Clusters, g: IP) -> None:
        """Events ``g`` take back their estimates in ``old``."""
        self.x[g], self.y[g], self.T[g], self.cov[g] = old.x[g], old.y[g], old.T[g], old.cov[g]

    def refit(self, rep: Reports) -> Fit:
        """Every event refitted to its members at once (batched Gauss-Newton from the
        current estimates); returns the fit."""
        idx = np.flatnonzero(self.labels >= 0)
        f = fit(rep.rows, self.labels[idx], self.n, self.x, self.y, self.T, rep.c, sel=idx)
        self.x, self.y, self.T = f.x, f.y, f.T
        self.cov = f.cov
        return f

    def compact(self, rep: Reports, check_reach: bool = False) -> None:
        """Drop the events that cannot stand: a failed fit, too few reports to fix a
        position with a check (two bearings; one bearing and two arrivals; or
        ``min_tdoa_sensors`` arrivals) or, with ``check_reach``, a fix beyond the
        reach of one of its reports; their rows are freed. Renumber."""
        if self.n == 0:
            self.labels[:] = -1
            return
        rows = rep.rows
        m = self.labels >= 0
        is_b = np.isfinite(rows.az[m])
        lab = self.labels[m]
        nb = np.bincount(lab, weights=is_b.astype(float), minlength=self.n)
        na = np.bincount(lab, weights=(~is_b).astype(float), minlength=self.n)
        reach = rep.reach_m if check_reach else np.inf
        rho = np.hypot(self.x[lab] - rows.ox[m], self.y[lab] - rows.oy[m])
        far = np.bincount(lab, weights=(~(rho <= reach)).astype(float), minlength=self.n)
        enough = (nb >= 2) | ((nb >= 1) & (na >= 2)) | (na >= rep.min_tdoa_sensors)
        alive = fitted(self) & (far == 0) & enough
        self.labels[m & ~alive[np.maximum(self.labels, 0)]] = -1
        remap = np.full(self.n, -1, np.intp)
        remap[alive] = np.arange(int(alive.sum()))
        m = self.labels >= 0
        self.labels[m] = remap[self.labels[m]]
        self.x, self.y, self.T = self.x[alive], self.y[alive], self.T[alive]
        self.cov = self.cov[alive]

    def prune(self, rep: Reports, gates: GateConfig) -> int:
        """Free the worst member of each event whose worst member fails the member
        gate (its deleted residual) or lies beyond the reach; returns how many."""
        rows = rep.rows
        idx = np.flatnonzero(self.labels >= 0)
        if idx.shape[0] == 0:
            return 0
        g = self.labels[idx]
        chi2, dof = row_chi2(rows.take(idx), g, self, rep.c, True, -1.0)
        rho = np.hypot(self.x[g] - rows.ox[idx], self.y[g] - rows.oy[idx])
        chi2 = np.where(~(rho <= rep.reach_m), np.inf, chi2)
        bad = chi2 > quantile(gates.member_p, dof)
        if not bad.any():
            return 0
        score = np.where(bad, chi2 / np.maximum(dof, 1), -np.inf)
        order = np.lexsort((idx, -score, g))
        first = np.ones(order.shape[0], bool)
        first[1:] = g[order][1:] != g[order][:-1]
        worst = order[first]
        worst = worst[bad[worst]]
        self.labels[idx[worst]] = -1
        return int(worst.shape[0])

    def settle(self, rep: Reports, gates: GateConfig | None = None) -> Fit:
        """The upkeep after any change of membership: refit; with ``gates``, prune
        (and refit when a member went); drop what cannot stand; refit. Returns the
        last fit."""
        self.refit(rep)
        if gates is not None and self.prune(rep, gates):
            self.refit(rep)
        self.compact(rep)
        return self.refit(rep)
