"""The seen-time gate: a report seen rather than heard (a camera's or a drone's:
light, no sound delay) is dated at its event's emission, so its time against the
emission time its event's other reports fix says whether it is that round's. A
camera's bearing of a neighbouring round's launch, seconds from this round's,
fits the event's position as well as its own round's would, and its time alone
tells them apart."""

from __future__ import annotations

import numpy as np

from ceasefire.fuse.association.clusters import Clusters
from ceasefire.fuse.association.gates import GateConfig, fitted, normalized
from ceasefire.fuse.association.reports import F8, IP, B, Reports
from ceasefire.fuse.solve import Fit

#: a member's deleted residual keeps at least this share of its measurement
#: variance (as the member gate's, :meth:`Clusters.prune`)
_FLOOR = 0.02


def seen_time_z(rep: Reports, cl: Clusters, idx: IP) -> F8:
    """Per member row ``idx`` of a fitted event of ``cl``: its time's deleted
    residual against its event's emission time in sd (the in-sample residual over
    sqrt(1 - its leverage on the time), both normalized by its time sd)."""
    rn, M, _ = normalized(rep.rows, cl.labels[idx], cl, rep.c, sel=idx)
    return np.asarray(rn[:, 1] / np.sqrt(np.maximum(1.0 - M[:, 1, 1], _FLOOR)), np.float64)


def seen_outliers(rep: Reports, cl: Clusters, sd: float) -> IP:
    """The seen bearing members of fitted events of ``cl`` whose time's deleted
    residual (:func:`seen_time_z`) exceeds ``sd`` in magnitude."""
    rows = rep.rows
    ok = fitted(cl)
    seen = (cl.labels >= 0) & (rows.speed_factor == 0.0) & rep.is_bearing
    seen[seen] &= ok[cl.labels[seen]]
    idx = np.flatnonzero(seen)
    if idx.shape[0] == 0:
        return idx
    z = seen_time_z(rep, cl, idx)
    return idx[~(np.abs(z) <= sd)]


def release_seen(rep: Reports, cl: Clusters, gates: GateConfig) -> Fit | None:
    """With ``gates.seen_time_sd`` > 0: free the seen members whose time lies beyond
    it (:func:`seen_outliers`) and settle (an event left too small dissolves).
    Returns the last fit, or None when nothing was freed."""
    if gates.seen_time_sd <= 0 or cl.n == 0:
        return None
    out = seen_outliers(rep, cl, gates.seen_time_sd)
    if out.shape[0] == 0:
        return None
    cl.labels[out] = -1
    return cl.settle(rep, gates)


def seen_late_misfits(rep: Reports, joined: IP, g: IP, T: F8, sd_t: F8, sd: float) -> B:
    """Of rows ``joined`` (to events ``g`` of emission times ``T`` with sd ``sd_t``, s,
    which keep their estimates), the seen ones whose time lies more than ``sd`` sd
    (their own time sd and the event's in quadrature) from their event's emission."""
    rows = rep.rows
    seen = (rows.speed_factor[joined] == 0.0) & np.isfinite(rows.az[joined])
    var = rows.sigma_t[joined] ** 2 + np.nan_to_num(sd_t[g], nan=0.0) ** 2
    z = (rows.t[joined] - T[g]) / np.sqrt(var)
    return np.asarray(seen & ~(np.abs(z) <= sd), dtype=bool)
