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
from ceasefire.fuse.association.reports import F8, IP, B, Reports
from ceasefire.fuse.association.seeding import SeedConfig, ray_seeds


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
    #: a new event keeps its pair only when it holds at least this many reports
    #: after attaching (else the member goes back to its event, the free bearing
    #: stays free)
    min_reports: int = 3
    #: also pairs whose two rows are members of two other events
    both_members: bool = False
    #: split off members with the free arrivals they explain (:func:`split_rays`)
    rays: bool = False
    #: ... members whose deleted-residual chi-square exceeds this
    ray_chi2: float = 4.0


@dataclass(frozen=True)
class Split:
    """The splits :func:`split_pairs` made: per split, its two rows ``(n, 2)`` and
    for each the row of another member of the event it left (which finds that
    event again after renumbering), -1 for a row that was free."""

    rows: IP
    anchor: IP

    @property
    def n(self) -> int:
        return int(self.rows.shape[0])


def _standing(rep: Reports, cl: Clusters) -> tuple[B, IP, IP]:
    """Per event: whether it stands without one of its bearings (two bearings, or
    one and two arrivals, or enough arrivals left); per event its lowest and
    highest member row."""
    m = np.flatnonzero(cl.labels >= 0)
    lab = cl.labels[m]
    is_b = rep.is_bearing[m]
    nb = np.bincount(lab, weights=is_b.astype(float), minlength=cl.n) - 1
    na = np.bincount(lab, weights=(~is_b).astype(float), minlength=cl.n)
    stands = (nb >= 2) | ((nb >= 1) & (na >= 2)) | (na >= rep.min_tdoa_sensors)
    low = np.full(cl.n, rep.n, np.intp)
    high = np.full(cl.n, -1, np.intp)
    np.minimum.at(low, lab, m)
    np.maximum.at(high, lab, m)
    return stands & fitted(cl), low, high


def split_pairs(rep: Reports, cl: Clusters, pairs: Pairs, tri: F8, cfg: RefineConfig) -> Split:
    """New events of a gated bearing pair of which one row (or, with
    ``cfg.both_members``, each row) is a member of another event, where the
    module's test holds: at most one member leaves each event, each row in one new
    event, best gain first. The members leave their events. Unfitted (settle
    after); returns the splits."""
    none = Split(np.zeros((0, 2), np.intp), np.zeros((0, 2), np.intp))
    if cl.n == 0 or pairs.i.shape[0] == 0:
        return none
    li, lj = cl.labels[pairs.i], cl.labels[pairs.j]
    cand = ((li < 0) ^ (lj < 0)) & (tri >= cfg.min_support)
    if cfg.both_members:
        cand |= (li >= 0) & (lj >= 0) & (li != lj) & (tri >= cfg.min_support)
    p = np.flatnonzero(cand)
    if p.shape[0] == 0:
        return none
    stands, low, high = _standing(rep, cl)
    rows = np.column_stack([pairs.i[p], pairs.j[p]])
    lab = cl.labels[rows]
    mem = lab >= 0
    ok = np.all(~mem | stands[np.maximum(lab, 0)], axis=1)
    p, rows, lab, mem = p[ok], rows[ok], lab[ok], mem[ok]
    if p.shape[0] == 0:
        return none
    chi2 = np.zeros(rows.shape)
    flat = np.flatnonzero(mem.ravel())
    c2, _ = row_chi2(rep.rows.take(rows.ravel()[flat]), lab.ravel()[flat], cl, rep.c, True, -1.0)
    chi2.ravel()[flat] = c2
    gain = chi2.sum(axis=1) - pairs.chi2[p]
    keep = gain > cfg.gain
    p, rows, lab, gain = p[keep], rows[keep], lab[keep], gain[keep]
    # one split per row and per event: best gain first
    used_row = np.zeros(rep.n, bool)
    used_ev = np.zeros(cl.n + 1, bool)  # the last entry: free rows, never used
    take = []
    for o in np.argsort(-gain, kind="stable").tolist():
        a, b = int(rows[o, 0]), int(rows[o, 1])
        ea, eb = int(lab[o, 0]), int(lab[o, 1])
        if used_row[a] or used_row[b] or used_ev[ea] or used_ev[eb]:
            continue
        used_row[a] = used_row[b] = True
        used_ev[ea] = used_ev[eb] = ea >= 0 or eb >= 0
        used_ev[-1] = False
        take.append(o)
    if not take:
        return none
    t = np.asarray(take, np.intp)
    rows, lab, pt = rows[t], lab[t], p[t]
    e = np.maximum(lab, 0)
    anchor = np.where(low[e] == rows, high[e], low[e])
    anchor = np.where(lab >= 0, anchor, -1)
    new = np.arange(t.shape[0])
    cl.add(np.concatenate([new, new]), np.concatenate([rows[:, 0], rows[:, 1]]),
           pairs.x[pt], pairs.y[pt], pairs.T[pt])  # fmt: skip
    return Split(rows, anchor)


def undo_unsupported(rep: Reports, cl: Clusters, s: Split, min_reports: int) -> int:
    """After a split and its settle and attach: a new event holding fewer than
    ``min_reports`` reports (or gone) is let go; its reports are freed and each
    member goes back to the event it left (when that still stands). Labels only
    (settle after); returns how many were undone."""
    if s.n == 0:
        return 0
    la, lb = cl.labels[s.rows[:, 0]], cl.labels[s.rows[:, 1]]
    size = np.bincount(cl.labels[cl.labels >= 0], minlength=cl.n)
    ok = (la >= 0) & (la == lb)
    ok[ok] &= size[la[ok]] >= min_reports
    bad = np.flatnonzero(~ok)
    for i in bad.tolist():
        for r in (0, 1):
            e = int(cl.labels[s.rows[i, r]])
            if e >= 0 and e == cl.labels[s.rows[i, 1 - r]]:
                cl.labels[cl.labels == e] = -1
            a = int(s.anchor[i, r])
            cl.labels[s.rows[i, r]] = cl.labels[a] if a >= 0 else -1
    return int(bad.shape[0])


def split_rays(rep: Reports, cl: Clusters, cfg: RefineConfig, seeds: SeedConfig) -> Split:
    """New events of a member bearing and the free arrivals it explains (the ray
    seeds of :func:`~.seeding.ray_seeds`, as if the member were free), for members
    whose deleted-residual chi-square in their event exceeds ``cfg.ray_chi2`` and
    whose event stands without them; at most one per event. The members leave their
    events. Unfitted (settle after); returns the splits (the member and the seed's
    first arrival, which finds the new event)."""
    none = Split(np.zeros((0, 2), np.intp), np.zeros((0, 2), np.intp))
    if cl.n == 0:
        return none
    stands, low, high = _standing(rep, cl)
    mem = np.flatnonzero((cl.labels >= 0) & rep.is_bearing)
    mem = mem[stands[cl.labels[mem]]]
    if mem.shape[0] == 0:
        return none
    g = cl.labels[mem]
    chi2, _ = row_chi2(rep.rows.take(mem), g, cl, rep.c, True, -1.0)
    keep = chi2 > cfg.ray_chi2
    mem, g, chi2 = mem[keep], g[keep], chi2[keep]
    # at most one per event: its worst member
    order = np.lexsort((-chi2, g))
    first = np.ones(order.shape[0], bool)
    first[1:] = g[order][1:] != g[order][:-1]
    mem, g = mem[order[first]], g[order[first]]
    if mem.shape[0] == 0:
        return none
    labels = cl.labels.copy()
    labels[mem] = -1
    # only these members may seed: the other free bearings had their ray seeds
    others = np.flatnonzero((cl.labels < 0) & rep.is_bearing)
    labels[others] = cl.n  # not free, not an event of cl
    ms, mr, sx, sy, sT = ray_seeds(rep, labels, seeds)
    if sx.shape[0] == 0:
        return none
    n_seed = sx.shape[0]
    sb = mr[:n_seed]  # each seed's bearing row first
    # the seed's first arrival
    arr = np.full(n_seed, -1, np.intp)
    rest = np.arange(n_seed, mr.shape[0])
    arr[ms[rest][::-1]] = mr[rest][::-1]
    e = cl.labels[sb]
    anchor = np.where(low[e] == sb, high[e], low[e])
    cl.labels[sb] = -1
    cl.add(ms, mr, sx, sy, sT)
    return Split(np.column_stack([sb, arr]), np.column_stack([anchor, np.full(n_seed, -1)]))
