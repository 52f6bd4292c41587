"""Located events that say little: a few bearings alone, nearly parallel, whose
fit is regular but whose 95 % ellipse is kilometres long. Nearly parallel rays
cross somewhere within any noise, so the chi-square gate cannot tell one round's
bearings from two rounds' that happen to point alike; :func:`split_weak` lets such
events go (their rows free again: lone bearings, each its own positionless
report) when :class:`WeakConfig` says so."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ceasefire.fuse.association.clusters import Clusters, member_counts
from ceasefire.fuse.association.gates import fitted, quantile
from ceasefire.fuse.association.reports import B, Reports
from ceasefire.fuse.solve import Fit
from ceasefire.model.results import CHI2_2DOF_95


@dataclass(frozen=True)
class WeakConfig:
    """Which located events of bearings alone are split into their reports."""

    #: 95 % semi-major axis (m) above which such an event is split; None: never
    split_a95_m: float | None = None
    #: only events of at most this many bearings (and no arrival) are tested
    max_bearings: int = 2
    #: and only when their farthest observer is at least this far from the fix, m
    min_far_m: float = 0.0
    #: and only when their nearest observer is at least this far from the fix, m
    min_near_m: float = 0.0
    #: and only when the fit's chi-square is over its quantile ``split_p`` at the
    #: fit's degrees of freedom (None: whatever the chi-square)
    split_p: float | None = None


def weak(rep: Reports, cl: Clusters, f: Fit, cfg: WeakConfig) -> B:
    """Per event of ``cl`` (fitted, covariance ``cl.cov``; ``f`` its fit): whether
    ``cfg`` splits it: only bearings (2 to ``max_bearings``, no arrival), a 95 %
    semi-major axis over ``split_a95_m``, the farthest observer at least
    ``min_far_m`` away, the nearest at least ``min_near_m`` away and (with
    ``split_p``) a chi-square over its quantile."""
    out = np.zeros(cl.n, bool)
    if cfg.split_a95_m is None or cl.n == 0:
        return out
    rows = rep.rows
    nb, na = member_counts(cl.labels, rows.az, cl.n)
    cand = fitted(cl) & (na == 0) & (nb >= 2) & (nb <= cfg.max_bearings)
    if not cand.any():
        return out
    a, d, b = cl.cov[:, 0, 0], cl.cov[:, 1, 1], cl.cov[:, 0, 1]
    l1 = (a + d) / 2 + np.sqrt(np.maximum(((a - d) / 2) ** 2 + b * b, 0.0))
    a95 = np.sqrt(CHI2_2DOF_95 * np.maximum(np.where(cand, l1, 0.0), 0.0))
    m = np.flatnonzero(cl.labels >= 0)
    lab = cl.labels[m]
    rho = np.hypot(cl.x[lab] - rows.ox[m], cl.y[lab] - rows.oy[m])
    far = np.zeros(cl.n)
    np.maximum.at(far, lab, rho)
    near = np.full(cl.n, np.inf)
    np.minimum.at(near, lab, rho)
    out = cand & (a95 > cfg.split_a95_m) & (far >= cfg.min_far_m) & (near >= cfg.min_near_m)
    if cfg.split_p is not None:
        out &= f.chi2 > quantile(cfg.split_p, np.maximum(f.dof, 1))
    return np.asarray(out, dtype=bool)


def split_weak(rep: Reports, cl: Clusters, f: Fit, cfg: WeakConfig) -> int:
    """Free the rows of the events :func:`weak` picks (their covariance NaN, so the
    next compact drops them); returns how many events."""
    gone = weak(rep, cl, f, cfg)
    if not gone.any():
        return 0
    m = np.flatnonzero(cl.labels >= 0)
    cl.labels[m[gone[cl.labels[m]]]] = -1
    cl.cov[gone] = np.nan
    return int(gone.sum())
