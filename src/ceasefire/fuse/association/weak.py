"""Located events that say little: a few bearings alone whose fix lies far from
every observer that reported it. Nearly parallel rays cross somewhere within any
noise, so the chi-square gate cannot tell one round's bearings from two rounds'
that happen to point alike, and such false crossings lie far out along the rays.
:func:`split_weak` lets those events go (their rows free again: lone bearings,
each its own positionless report).

On the family's tuning draws (docs/family.md, "Session 20, parallel"), events of
2-4 bearings alone whose nearest observer is 25 km or more away were, by the
truth, one round's in 1 of 23, two rounds' in 18; by their 95 % ellipse alone
no threshold separates them (over 5 km: 47 one round's, 20 two rounds')."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ceasefire.fuse.association.clusters import Clusters, member_counts
from ceasefire.fuse.association.gates import fitted
from ceasefire.fuse.association.reports import B, Reports


@dataclass(frozen=True)
class WeakConfig:
    """Which located events of bearings alone are split into their reports."""

    #: an event of bearings alone is split when its nearest observer is at least
    #: this far from its fix, m (None: never)
    min_near_m: float | None = 25_000.0
    #: only events of 2 to this many bearings (and no arrival) are tested
    max_bearings: int = 4


def weak(rep: Reports, cl: Clusters, cfg: WeakConfig) -> B:
    """Per event of ``cl`` (fitted: finite ``cl.cov``): whether ``cfg`` splits it:
    only bearings (2 to ``max_bearings``, no arrival), every one of their observers
    at least ``min_near_m`` from the fix ``cl.x``, ``cl.y``."""
    out = np.zeros(cl.n, bool)
    if cfg.min_near_m is None or cl.n == 0:
        return out
    rows = rep.rows
    nb, na = member_counts(cl.labels, rows.az, cl.n)
    cand = fitted(cl) & (na == 0) & (nb >= 2) & (nb <= cfg.max_bearings)
    if not cand.any():
        return out
    m = np.flatnonzero(cl.labels >= 0)
    lab = cl.labels[m]
    rho = np.hypot(cl.x[lab] - rows.ox[m], cl.y[lab] - rows.oy[m])
    near = np.full(cl.n, np.inf)
    np.minimum.at(near, lab, rho)
    return np.asarray(cand & (near >= cfg.min_near_m), dtype=bool)


def split_weak(rep: Reports, cl: Clusters, cfg: WeakConfig) -> int:
    """Free the rows of the events :func:`weak` picks (their covariance NaN, so the
    next compact drops them); returns how many events."""
    gone = weak(rep, cl, cfg)
    if not gone.any():
        return 0
    m = np.flatnonzero(cl.labels >= 0)
    cl.labels[m[gone[cl.labels[m]]]] = -1
    cl.cov[gone] = np.nan
    return int(gone.sum())
