"""Merging: two events that are the same explosion (estimates within their joint
uncertainty, no observer in both) become one."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.spatial import cKDTree

from ceasefire.fuse.association.clusters import Clusters
from ceasefire.fuse.association.gates import fitted, quantile
from ceasefire.fuse.association.reports import Reports


@dataclass(frozen=True)
class MergeConfig:
    """When two events are one."""

    #: chi-square gate (3 dof over x, y, T) of the difference of two estimates, as
    #: the probability that one event's two estimates pass
    gate_p: float = 0.999
    #: candidates: estimates within this distance in x, y and c x T (a box), m
    window_m: float = 2_000.0


def merge(rep: Reports, cl: Clusters, cfg: MergeConfig) -> int:
    """Merge pairs of events that are one: estimates within their joint uncertainty,
    no observer in both; each event merges at most once per call. Labels change;
    the estimates are those of before (settle after). Returns how many merged."""
    if cl.n < 2:
        return 0
    c, src = rep.c, rep.src
    ok = fitted(cl)
    pts = np.column_stack([cl.x, cl.y, (cl.T - float(np.nanmin(cl.T))) * c])
    ev = np.flatnonzero(ok & np.all(np.isfinite(pts), axis=1))
    if ev.shape[0] < 2:
        return 0
    tree = cKDTree(pts[ev])
    pr = tree.query_pairs(cfg.window_m, p=np.inf, output_type="ndarray")
    if pr.shape[0] == 0:
        return 0
    a, b = ev[pr[:, 0]], ev[pr[:, 1]]
    d = np.column_stack([cl.x[a] - cl.x[b], cl.y[a] - cl.y[b], cl.T[a] - cl.T[b]])
    S = cl.cov[a] + cl.cov[b]
    try:
        m2 = np.einsum("ni,ni->n", d, np.linalg.solve(S, d[:, :, None])[:, :, 0])
    except np.linalg.LinAlgError:
        return 0
    keep = m2 <= quantile(cfg.gate_p, 3)
    a, b, m2 = a[keep], b[keep], m2[keep]
    if a.shape[0] == 0:
        return 0
    # disjoint observers
    idx = np.flatnonzero(cl.labels >= 0)
    nsrc = rep.n_src
    S_ev = sparse.csr_matrix(
        (np.ones(idx.shape[0]), (cl.labels[idx], src[idx])), shape=(cl.n, nsrc)
    )
    shared = np.asarray(S_ev[a].multiply(S_ev[b]).sum(axis=1)).ravel()
    keep = shared == 0
    a, b, m2 = a[keep], b[keep], m2[keep]
    order = np.lexsort((b, a, m2))
    used = np.zeros(cl.n, bool)
    remap = np.arange(cl.n)
    merged = 0
    for o in order.tolist():
        ea, eb = int(a[o]), int(b[o])
        if used[ea] or used[eb]:
            continue
        used[ea] = used[eb] = True
        remap[eb] = ea
        merged += 1
    if merged == 0:
        return 0
    m = cl.labels >= 0
    cl.labels[m] = remap[cl.labels[m]]
    return merged
