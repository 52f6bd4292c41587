"""Order: one observer hears the rounds of a burst in the order they were fired.
Two reports of one observer in two events whose predicted arrivals at the
observer are in the other order (a crossing: its earlier report in the later
event) are swapped when the swap lowers their summed leave-one-out cost; for
time alone it always does (the rearrangement inequality), so what decides is the
bearing (and range) each report brings to the other event."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ceasefire.fuse.association.clusters import Clusters
from ceasefire.fuse.association.gates import GateConfig, fitted, quantile, row_nll
from ceasefire.fuse.association.reports import IP, Reports
from ceasefire.fuse.solve import Fit


@dataclass(frozen=True)
class OrderConfig:
    """When two crossed reports of one observer swap events."""

    #: passes of swaps (each followed by a settle); 0: never
    passes: int = 0
    #: two reports of one observer further apart than this are not compared, s
    window_s: float = 60.0
    #: a crossing counts when the two predicted arrivals are in the other order by
    #: more than this many sd of their difference (the events' time variances):
    #: a burst's events a few seconds apart swap order within their noise
    margin_sd: float = 2.0


def crossed_pairs(
    rep: Reports, cl: Clusters, window_s: float, margin_sd: float = 0.0
) -> tuple[IP, IP]:
    """Rows ``(a, b)``: consecutive members of one observer (in time, ``t_a <=
    t_b``, at most ``window_s`` apart) in two fitted events whose predicted arrival
    times at the observer are in the other order (``a``'s event later by more than
    ``margin_sd`` sd of the difference, from the events' time variances)."""
    rows = rep.rows
    m = np.flatnonzero(cl.labels >= 0)
    empty = (np.zeros(0, np.intp), np.zeros(0, np.intp))
    if m.shape[0] < 2:
        return empty
    m = m[np.lexsort((rows.t[m], rep.src[m]))]
    a, b = m[:-1], m[1:]
    ga, gb = cl.labels[a], cl.labels[b]
    ok = fitted(cl)
    near = (rep.src[a] == rep.src[b]) & (ga != gb) & (rows.t[b] - rows.t[a] <= window_s)
    near &= ok[ga] & ok[gb]
    a, b, ga, gb = a[near], b[near], ga[near], gb[near]
    if a.shape[0] == 0:
        return empty
    # the observer's position is the same for both rows (one observer): its
    # predicted arrival of each event
    pa = cl.T[ga] + rows.speed_factor[a] * np.hypot(cl.x[ga] - rows.ox[a], cl.y[ga] - rows.oy[a]) / rep.c
    pb = cl.T[gb] + rows.speed_factor[b] * np.hypot(cl.x[gb] - rows.ox[b], cl.y[gb] - rows.oy[b]) / rep.c
    sd = np.sqrt(np.maximum(cl.cov[ga, 2, 2] + cl.cov[gb, 2, 2], 0.0))
    cross = pa - pb > margin_sd * sd
    return a[cross], b[cross]


def uncross(rep: Reports, cl: Clusters, gates: GateConfig, cfg: OrderConfig) -> int:
    """One pass: each crossed pair (:func:`crossed_pairs`) whose swap lowers the
    summed leave-one-out -2 ln density (:func:`~ceasefire.fuse.association.gates.row_nll`,
    each report as a member where it is, as a newcomer where it would go) and
    whose swapped reports pass the attach gate; a row in two such pairs swaps in
    the one that gains more. Returns how many pairs swapped (labels changed in
    place, not refitted)."""
    a, b = crossed_pairs(rep, cl, cfg.window_s, cfg.margin_sd)
    if a.shape[0] == 0:
        return 0
    rows, c = rep.rows, rep.c
    ga, gb = cl.labels[a], cl.labels[b]
    n = a.shape[0]
    yes, no = np.ones(n, bool), np.zeros(n, bool)
    k = np.concatenate([a, b, a, b])
    g = np.concatenate([ga, gb, gb, ga])
    member = np.concatenate([yes, yes, no, no])
    chi2, dof, logdet = row_nll(rows, g, cl, c, member, sel=k)
    cost = chi2 + logdet
    now = cost[:n] + cost[n : 2 * n]
    swapped = cost[2 * n : 3 * n] + cost[3 * n :]
    gate = quantile(gates.attach_p, dof)
    passes = (chi2 <= gate) & (dof > 0) & np.isfinite(logdet)
    good = passes[2 * n : 3 * n] & passes[3 * n :] & (swapped < now)
    cand = np.flatnonzero(good)
    if cand.shape[0] == 0:
        return 0
    # greedy by gain: each row in at most one swap
    cand = cand[np.argsort(swapped[cand] - now[cand], kind="stable")]
    used = np.zeros(rep.n, bool)
    done = 0
    for i in cand.tolist():
        ra, rb = int(a[i]), int(b[i])
        if used[ra] or used[rb]:
            continue
        used[ra] = used[rb] = True
        cl.labels[ra], cl.labels[rb] = gb[i], ga[i]
        done += 1
    return done


def uncross_passes(rep: Reports, cl: Clusters, gates: GateConfig, cfg: OrderConfig) -> Fit | None:
    """Up to ``cfg.passes`` passes of :func:`uncross`, each followed by a settle
    (with pruning); stops when nothing swapped. Returns the last fit (None when
    nothing swapped)."""
    last: Fit | None = None
    for _ in range(cfg.passes if cl.n else 0):
        if not uncross(rep, cl, gates, cfg):
            break
        last = cl.settle(rep, gates)
    return last
