"""Reassignment: bearings redistributed among the fitted events by one
least-total-cost assignment, which undoes what greedy attachment got wrong (two
rounds' reports swapped, a report in a ghost of several rounds)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ceasefire.fuse.association.byrow import by_row
from ceasefire.fuse.association.clusters import Clusters
from ceasefire.fuse.association.edges import moving_kept, open_edges
from ceasefire.fuse.association.gates import GateConfig, KeptPairs, quantile, row_nll
from ceasefire.fuse.association.reassign_loops import (
    Problem,
    compiled_pass,
    compiled_problem,
    partition_kernel,
)
from ceasefire.fuse.association.reports import F8, IP, B, Reports
from ceasefire.fuse.keys import unique_inverse, unique_inverse_sorted
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
    #: after a reassignment pass, the next redistributes only the bearings with a
    #: candidate event the pass changed (refitted or new) and those its settle
    #: freed; the other bearings keep their events (their costs did not change)
    incremental: bool = True
    #: the passes stop when the grouping differs from that of two passes before in
    #: at most ``min_share`` of the rows (:func:`reassign_passes`)
    stop_cycles: bool = True


def reassign(
    rep: Reports,
    cl: Clusters,
    gates: GateConfig,
    cfg: ReassignConfig,
    focus: tuple[B, B] | None = None,
) -> int:
    """Bearings redistributed among the fitted events by one least-total-cost
    assignment: each bearing to at most one event, each event at most one bearing
    per observer, the cost of a bearing in an event its leave-one-out predictive
    -2 ln density (:func:`~ceasefire.fuse.association.gates.row_nll`) less
    ``support_cost`` for each other bearing in the event, candidates by the attach
    gates. Leaving a bearing free costs more than any gated edge, so a bearing is
    freed only when a chain of moves would cost more than that: mostly, only who
    goes where changes. With ``focus`` ``(events, rows)`` (per event, per row
    masks), only the bearings with a candidate event in ``events`` or a row in
    ``rows`` are redistributed; the other members hold their slots as they are.
    Returns how many bearings changed event."""
    if cl.n == 0:
        return 0
    # every bearing's candidates (only the events whose estimate changed are
    # searched again) with their marginal pre-gate
    kept = KeptPairs.search(rep, cl)
    table = _gate_table(gates.attach_p)
    # the pass in two compiled calls when it can; else the problem, then the matching
    moved = compiled_pass(rep, cl.labels, cl, kept, focus, rep.reach_m, cfg.support_cost, table)
    if moved is not None:
        return moved
    problem = compiled_problem(
        rep, cl.labels, cl, kept, focus, rep.reach_m, cfg.support_cost, table
    )
    if problem is None:
        problem = _problem(rep, cl, gates, cfg, kept, focus)
    g, _, cost, ri, ci, ur, n_cols, free_cost = problem
    if g.shape[0] == 0:
        return 0
    edge = min_cost_matching(ri, ci, cost, ur.shape[0], n_cols, free_cost)
    new = np.where(edge >= 0, g[np.maximum(edge, 0)], -1)
    moved = int((new != cl.labels[ur]).sum())
    cl.labels[ur] = new
    return moved


@functools.cache
def _gate_table(p: float) -> F8:
    """The chi-square ``p`` quantile for 1..64 dof (:func:`~.gates.quantile`'s;
    :func:`compiled_problem` reads it by dof)."""
    return quantile(p, np.arange(1, 65))


def _problem(
    rep: Reports,
    cl: Clusters,
    gates: GateConfig,
    cfg: ReassignConfig,
    kept: KeptPairs,
    focus: tuple[B, B] | None,
) -> Problem:
    """:func:`reassign`'s matching problem in numpy (what
    :func:`~.reassign_loops.compiled_problem` gives by its compiled loops): the
    edges (event, bearing) by bearing, then event, their costs, each edge's row
    and column, the rows' bearings, the number of columns and the cost of leaving
    a row or column alone."""
    rows, src, c = rep.rows, rep.src, rep.c
    b = rep.is_bearing.nonzero()[0]
    mem = b[cl.labels[b] >= 0]
    # with focus: the bearings with a candidate event among the changed (their own
    # event included), and those freed since; then only their candidates (their
    # order does not matter: by_row sorts them)
    g, k, moving = moving_kept(rep, cl, kept, focus)
    g, k = by_row(g, k, rep.n, cl.n)
    member = cl.labels[k] == g
    # an event's other members (arrivals, and the bearings not redistributed, stay
    # where they are) hold their observer's slot
    keep = open_edges(rep, cl, g, k, moving)
    g, k, member = g[keep], k[keep], member[keep]
    none = np.zeros(0, np.intp)
    if g.shape[0] == 0:
        return none, none, np.zeros(0), none, none, none, 0, 1.0
    chi2, dof, logdet = row_nll(rows, g, cl, c, member, sel=k)
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
        return none, none, np.zeros(0), none, none, none, 0, 1.0
    ur, ri = unique_inverse_sorted(k)  # k is sorted (by_row)
    _, ci = unique_inverse(g.astype(np.int64) * rep.n_src + src[k])
    free_cost = float(np.abs(cost).max()) + 1.0
    return g, k, cost, ri, ci, ur, int(ci.max()) + 1, free_cost


def partition(labels: IP) -> IP:
    """Per row, the lowest row of its event (-1 free): labels that name the same
    grouping alike whatever the events' numbering."""
    kernel = partition_kernel()
    if kernel is not None:
        return np.asarray(kernel(labels), np.intp)
    m = (labels >= 0).nonzero()[0]
    # np.empty and fill, not np.full (its Python wrapper: ~2 us a call)
    out = np.empty(labels.shape[0], np.intp)
    out.fill(-1)
    if m.shape[0] == 0:
        return out
    low = np.empty(int(labels.max()) + 1, np.intp)
    low.fill(labels.shape[0])
    np.minimum.at(low, labels[m], m)
    out[m] = low[labels[m]]
    return out


def reassign_passes(
    rep: Reports, cl: Clusters, gates: GateConfig, cfg: ReassignConfig, passes: int
) -> Fit | None:
    """Up to ``passes`` rounds of :func:`reassign`, each followed by a settle (with
    pruning); stops when at most ``min_share`` of the bearings changed event, or
    (``stop_cycles``) when the grouping differs from that of two passes before in
    at most ``min_share`` of the rows: then a few hundred bearings that fit two
    events alike swap between them on every pass, and the passes left would
    alternate between the last two states (the one they would end in is kept).
    Returns the last fit (None when nothing moved)."""
    last: Fit | None = None
    n_b = int(rep.is_bearing.sum())
    focus: tuple[B, B] | None = None
    # the states after the last two passes: (clusters, fit, grouping)
    before: list[tuple[Clusters, Fit | None, IP]] = []
    if cfg.stop_cycles:
        before.append((cl, None, partition(cl.labels)))
    for p in range(passes if cl.n else 0):
        moved = reassign(rep, cl, gates, cfg, focus if cfg.incremental else None)
        if not moved:
            break
        r0 = cl.refits
        was = cl.labels >= 0
        last = cl.settle(rep, gates)
        if moved <= cfg.min_share * n_b:
            break
        if cfg.stop_cycles:
            now = partition(cl.labels)
            if len(before) == 2 and int((now != before[0][2]).sum()) <= cfg.min_share * n_b:
                prev, f, _ = before[1]
                if (passes - p - 1) % 2 == 1 and f is not None:
                    cl.take_state(prev)
                    last = f
                break
            before = [*before[-1:], (cl.snapshot(), last, now)]
        # the next pass: the bearings near what this one's settle changed
        focus = (cl.refitted_since(r0), was & (cl.labels < 0))
    return last
