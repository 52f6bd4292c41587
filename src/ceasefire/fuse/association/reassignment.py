"""Reassignment: bearings redistributed among the fitted events by one
least-total-cost assignment, which undoes what greedy attachment got wrong (two
rounds' reports swapped, a report in a ghost of several rounds)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ceasefire.fuse.association.byrow import by_row
from ceasefire.fuse.association.clusters import Clusters
from ceasefire.fuse.association.gates import (
    GateConfig,
    fitted,
    marginal_gate,
    quantile,
    row_nll,
    same_phase,
    time_candidates,
)
from ceasefire.fuse.association.reports import Reports
from ceasefire.fuse.keys import isin_sorted, unique, unique_inverse, unique_inverse_sorted
from ceasefire.fuse.solve import Fit
from ceasefire.model.assignment import min_cost_matching


@dataclass(frozen=True)
class ReassignConfig:
    """How often and at what price bearings move between events."""

    #: passes at the end of each round of association
    round_passes: int = 4
    #: passes at the end of association
    passes: int = 8
    #: the passes stop when fewer than this share of the bearings moved
    min_share: float = 0.01
    #: a bearing's cost in an event falls by this much for each other bearing in it
    #: (-2 ln of the odds by which one more report makes the event a real round: e)
    support_cost: float = 2.0


def reassign(rep: Reports, cl: Clusters, gates: GateConfig, cfg: ReassignConfig) -> int:
    """Bearings redistributed among the fitted events by one least-total-cost
    assignment: each bearing to at most one event, each event at most one bearing
    per observer, the cost of a bearing in an event its leave-one-out predictive
    -2 ln density (:func:`~ceasefire.fuse.association.gates.row_nll`) less
    ``support_cost`` for each other bearing in the event, candidates by the attach
    gates. Leaving a bearing free costs more than any gated edge, so a bearing is
    freed only when a chain of moves would cost more than that: mostly, only who
    goes where changes. Returns how many bearings changed event."""
    if cl.n == 0:
        return 0
    rows, src, c = rep.rows, rep.src, rep.c
    b = np.flatnonzero(rep.is_bearing)
    g, k = time_candidates(rep, b, cl)
    mem = b[cl.labels[b] >= 0]
    g = np.concatenate([g, cl.labels[mem]])
    k = np.concatenate([k, mem])
    g, k = by_row(g, k, rep.n, cl.n)
    member = cl.labels[k] == g
    nsrc = rep.n_src
    # an event's other members (arrivals stay where they are) hold their observer's slot
    held = np.flatnonzero((cl.labels >= 0) & ~rep.is_bearing)
    taken = unique(cl.labels[held].astype(np.int64) * nsrc + src[held])
    keep = ~isin_sorted(g.astype(np.int64) * nsrc + src[k], taken)
    keep &= same_phase(rep.direction, cl.labels, cl.n, g, k)
    keep &= fitted(cl)[g]
    # the pre-gate only where it still decides (it is elementwise: same result)
    test = np.flatnonzero(keep & ~member)
    keep[test] = marginal_gate(rows, g[test], k[test], cl, c)
    g, k, member = g[keep], k[keep], member[keep]
    if g.shape[0] == 0:
        return 0
    chi2, dof, logdet = row_nll(rows.take(k), g, cl, c, member)
    rho = np.hypot(cl.x[g] - rows.ox[k], cl.y[g] - rows.oy[k])
    gate = quantile(gates.attach_p, dof)
    keep = ((chi2 <= gate) | member) & (rho <= rep.reach_m) & (dof > 0) & np.isfinite(logdet)
    # a member beyond the gate costs what the worst gated edge would (it stays unless a
    # gated event takes it; uncapped, one member 100 sigma off cost ~1e9 and coarsened
    # the integer costs of the whole problem to whole units); each other bearing in the
    # event lowers the cost by support_cost (an event's odds of being a real round grow
    # with its reports: ghosts of two rounds' reports lose their members)
    nb = np.bincount(cl.labels[mem], minlength=cl.n)
    cost = np.minimum(chi2, gate) + logdet - cfg.support_cost * (nb[g] - member)
    g, k, cost = g[keep], k[keep], cost[keep]
    if g.shape[0] == 0:
        return 0
    ur, ri = unique_inverse_sorted(k)  # k is sorted (by_row)
    _, ci = unique_inverse(g.astype(np.int64) * nsrc + src[k])
    free_cost = float(np.abs(cost).max()) + 1.0
    edge = min_cost_matching(ri, ci, cost, ur.shape[0], int(ci.max()) + 1, free_cost)
    new = np.where(edge >= 0, g[np.maximum(edge, 0)], -1)
    moved = int((new != cl.labels[ur]).sum())
    cl.labels[ur] = new
    return moved


def reassign_passes(
    rep: Reports, cl: Clusters, gates: GateConfig, cfg: ReassignConfig, passes: int
) -> Fit | None:
    """Up to ``passes`` rounds of :func:`reassign`, each followed by a settle (with
    pruning); stops when at most ``min_share`` of the bearings changed event (a few
    keep swapping between two events that fit them alike). Returns the last fit
    (None when nothing moved)."""
    last: Fit | None = None
    n_b = int(rep.is_bearing.sum())
    for _ in range(passes if cl.n else 0):
        moved = reassign(rep, cl, gates, cfg)
        if not moved:
            break
        last = cl.settle(rep, gates)
        if moved <= cfg.min_share * n_b:
            break
    return last
