"""Refinement: a round's bearing held by a neighbour's event is split off with the
free bearing it pairs with. Association grows events greedily: a bearing of round
R that a located event E of another round explains within its member gate stays
there, and R's other bearing, left free, becomes a lone report (R counted as a
lone bearing or missed, E's fit dragged). Seeding pairs only free bearings, and
reassignment moves bearings among events but never starts one, so nothing later
proposes the round {member, free bearing}. This step proposes it and keeps it
when the joint fit improves by more than a round's prior: the member's deleted
residual chi-square in E (2 dof) against the pair's own chi-square (1 dof, the
crossing's time agreement) exceeds ``gain``, E still stands without it, and the
pair has third-report support (a round heard by three observers, not two rays
that happen to cross)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ceasefire.fuse.association.clusters import Clusters
from ceasefire.fuse.association.gates import fitted, row_chi2
from ceasefire.fuse.association.pairs import Pairs
from ceasefire.fuse.association.reports import F8, Reports


@dataclass(frozen=True)
class RefineConfig:
    """When a member bearing and a free bearing become a round of their own."""

    #: split off pairs at the end of association (off: association as before)
    split: bool = False
    #: the member's deleted-residual chi-square in its event less the pair's
    #: chi-square must exceed this (-2 ln of a new round's prior odds against
    #: the member being its event's)
    gain: float = 6.0
    #: least number of third bearings that pair with both (:func:`~.pairs.triangles`)
    min_support: int = 1
    #: rounds of split, settle, attach
    passes: int = 1


def split_pairs(rep: Reports, cl: Clusters, pairs: Pairs, tri: F8, cfg: RefineConfig) -> int:
    """New events of a member bearing and a free bearing it pairs with, where the
    module's test holds (at most one member leaves each event, each row in one
    new event, best gain first); the members leave their events. Unfitted; returns
    how many (settle after)."""
    if cl.n == 0 or pairs.i.shape[0] == 0:
        return 0
    lab_i, lab_j = cl.labels[pairs.i], cl.labels[pairs.j]
    one_free = (lab_i < 0) ^ (lab_j < 0)
    p = np.flatnonzero(one_free & (tri >= cfg.min_support))
    if p.shape[0] == 0:
        return 0
    mem = np.where(lab_i[p] >= 0, pairs.i[p], pairs.j[p])
    free = np.where(lab_i[p] >= 0, pairs.j[p], pairs.i[p])
    g = cl.labels[mem]
    ok = fitted(cl)
    p, mem, free, g = p[ok[g]], mem[ok[g]], free[ok[g]], g[ok[g]]
    if p.shape[0] == 0:
        return 0
    # the event must stand without the member: two bearings, or one and two arrivals,
    # or enough arrivals
    m = np.flatnonzero(cl.labels >= 0)
    is_b = rep.is_bearing[m]
    nb = np.bincount(cl.labels[m], weights=is_b.astype(float), minlength=cl.n)
    na = np.bincount(cl.labels[m], weights=(~is_b).astype(float), minlength=cl.n)
    nb1 = nb[g] - 1
    stands = (nb1 >= 2) | ((nb1 >= 1) & (na[g] >= 2)) | (na[g] >= rep.min_tdoa_sensors)
    p, mem, free, g = p[stands], mem[stands], free[stands], g[stands]
    if p.shape[0] == 0:
        return 0
    chi2, _ = row_chi2(rep.rows.take(mem), g, cl, rep.c, True, -1.0)
    gain = chi2 - pairs.chi2[p]
    keep = gain > cfg.gain
    p, mem, free, g, gain = p[keep], mem[keep], free[keep], g[keep], gain[keep]
    if p.shape[0] == 0:
        return 0
    # one proposal per member, per free bearing and per event: best gain first
    order = np.argsort(-gain, kind="stable")
    used_row = np.zeros(rep.n, bool)
    used_ev = np.zeros(cl.n, bool)
    take = []
    for o in order.tolist():
        a, b, e = int(mem[o]), int(free[o]), int(g[o])
        if used_row[a] or used_row[b] or used_ev[e]:
            continue
        used_row[a] = used_row[b] = used_ev[e] = True
        take.append(o)
    t = np.asarray(take, np.intp)
    new = np.arange(t.shape[0])
    pt = p[t]
    cl.add(np.concatenate([new, new]), np.concatenate([mem[t], free[t]]),
           pairs.x[pt], pairs.y[pt], pairs.T[pt])  # fmt: skip
    return int(t.shape[0])

