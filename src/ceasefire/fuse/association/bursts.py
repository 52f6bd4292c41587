"""A battery's next round: an event whose observer also reported, seconds apart and
from the same spot, a bearing the slot rule keeps free.

An observer reports a round once. A free bearing whose ray passes a located event
that already holds a bearing of its observer, seconds away, is that observer
hearing a second round from the same spot (a battery firing a burst). From one
spot the sound takes the same time to reach the observer both times, so the two
reports' time difference ``delta`` is the two rounds' emission difference,
whatever the observer's clock. The event's members of other observers that fit
the later (or earlier) emission ``T + delta`` better than ``T`` by their time
residuals are the second round's reports that joined the first (their observers
missed it): they go with the free bearing to a new event at the same spot, when
the time residuals' squared sum falls by at least ``gain`` and both events still
fix a position (two bearings, or a bearing and two arrivals). The settle and the
passes after it refit, prune and redistribute as anywhere else."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ceasefire.fuse.association.clusters import Clusters
from ceasefire.fuse.association.gates import fitted
from ceasefire.fuse.association.reports import F8, IP, B, Reports


@dataclass(frozen=True)
class BurstConfig:
    """When an event's slot-blocked free bearing splits a second round off it."""

    enabled: bool = False
    #: a free bearing's ray passes the event within this many of its bearing sd
    ray_sd: float = 3.0
    #: the two reports of its observer are at most this far apart, s (a burst's
    #: spacing) ...
    max_delta_s: float = 40.0
    #: ... and at least this many sd of their time difference apart (else one round)
    min_delta_sd: float = 3.0
    #: the members moved must lower the time residuals' squared sum by this much
    gain: float = 6.0
    #: also after each of the rounds' reassignments (not only before the late pairs)
    early: bool = False


def _stands(bearings: int, arrivals: int) -> bool:
    """A group of reports fixes a position: two bearings, or one and two arrivals."""
    return bearings >= 2 or (bearings >= 1 and arrivals >= 2)


def two_times(
    rep: Reports, own: IP, pinned: B, x: float, y: float, T: float, delta: float
) -> tuple[float, float, B, float]:
    """The event's members ``own`` (at ``(x, y)``, emission ``T`` s) as two rounds
    ``delta`` s apart from the same spot: the first emission ``T1`` (the second
    ``T2 = T1 + delta``) and the split of the members (``move``: of the second;
    ``pinned`` members stay with the first) that least sum their squared time
    residuals in sd, searched every 0.02 s within ``|delta| + 2`` s of ``T``; and by
    how much that sum falls from one round's (at its weighted mean time)."""
    rows, c = rep.rows, rep.c
    dist = np.hypot(x - rows.ox[own], y - rows.oy[own])
    r = rows.t[own] - rows.speed_factor[own] * dist / c
    w = 1.0 / rows.sigma_t[own] ** 2
    one = float(np.sum(w * (r - np.sum(w * r) / np.sum(w)) ** 2))
    span = abs(delta) + 2.0
    grid = T + np.arange(-span, span + 1e-9, 0.02)
    a = (r[None, :] - grid[:, None]) ** 2 * w[None, :]
    b = (r[None, :] - grid[:, None] - delta) ** 2 * w[None, :]
    second = (b < a) & ~pinned[None, :]
    ssr = np.where(second, b, a).sum(axis=1)
    k = int(np.argmin(ssr))
    return float(grid[k]), float(grid[k]) + delta, second[k], one - float(ssr[k])


def second_rounds(rep: Reports, cl: Clusters, cfg: BurstConfig) -> int:
    """New events split off located events by their observers' slot-blocked free
    bearings (module docstring); unfitted, the first event takes the first of the
    two emission times (:func:`two_times`). Returns how many."""
    rows, src, c = rep.rows, rep.src, rep.c
    labels = cl.labels
    if cl.n == 0:
        return 0
    ok = fitted(cl) & np.isfinite(cl.T)
    is_b = np.isfinite(rows.az)
    free_b = np.flatnonzero((labels < 0) & is_b)
    mem = np.flatnonzero(labels >= 0)
    mem = mem[ok[labels[mem]]]
    if free_b.shape[0] == 0 or mem.shape[0] == 0:
        return 0
    # each (observer, event)'s member row, by observer
    order = np.lexsort((labels[mem], src[mem]))
    mem = mem[order]
    msrc = src[mem]
    lo = np.searchsorted(msrc, src[free_b], side="left")
    hi = np.searchsorted(msrc, src[free_b], side="right")
    cand: dict[int, list[tuple[int, int, float]]] = {}
    for f, a, b in zip(free_b.tolist(), lo.tolist(), hi.tolist(), strict=True):
        best: tuple[float, int, int, float] | None = None
        for m in mem[a:b].tolist():
            e = int(labels[m])
            delta = float(rows.t[f] - rows.t[m])
            sd = float(np.hypot(rows.sigma_t[f], rows.sigma_t[m]))
            if abs(delta) > cfg.max_delta_s or abs(delta) < cfg.min_delta_sd * sd:
                continue
            dx, dy = cl.x[e] - rows.ox[f], cl.y[e] - rows.oy[f]
            miss = abs(float(np.angle(np.exp(1j * (rows.az[f] - np.arctan2(dx, dy))))))
            z = miss / float(rows.sigma_az[f])
            if z <= cfg.ray_sd and (best is None or z < best[0]):
                best = (z, e, m, delta)
        if best is not None:
            cand.setdefault(best[1], []).append((f, best[2], best[3]))
    if not cand:
        return 0
    ev_rows = np.split(mem[np.argsort(labels[mem], kind="stable")],
                       np.cumsum(np.bincount(labels[mem], minlength=cl.n))[:-1])  # fmt: skip
    seeds: list[IP] = []
    Ts: list[float] = []
    es: list[int] = []
    taken: B = np.zeros(labels.shape[0], bool)
    for e, fs in sorted(cand.items()):
        # the bearings that agree with the median difference (within their time sd)
        d = np.array([x[2] for x in fs])
        dmed = float(np.median(d))
        fr = np.array([x[0] for x in fs], np.intp)
        sd_f = np.hypot(rows.sigma_t[fr], rows.sigma_t[np.array([x[1] for x in fs])])
        keep = np.abs(d - dmed) <= 3.0 * sd_f
        fr, d = fr[keep], d[keep]
        if fr.shape[0] == 0 or taken[fr].any():
            continue
        delta = float(np.mean(d))
        own = ev_rows[e]
        T1, T2, move, gain = two_times(rep, own, np.isin(src[own], src[fr]), cl.x[e], cl.y[e],
                                       float(cl.T[e]), delta)  # fmt: skip
        moved = own[move]
        stay = own[~np.isin(own, moved)]
        nb_new = int(fr.shape[0] + is_b[moved].sum())
        na_new = int((~is_b[moved]).sum())
        nb_old, na_old = int(is_b[stay].sum()), int((~is_b[stay]).sum())
        if gain < cfg.gain or not _stands(nb_new, na_new) or not _stands(nb_old, na_old):
            continue
        new = np.concatenate([fr, moved])
        taken[new] = True
        seeds.append(new)
        Ts.append(T2)
        cl.T[e] = T1
        es.append(e)
    if not seeds:
        return 0
    seed_of = np.concatenate([np.full(s.shape[0], i, np.intp) for i, s in enumerate(seeds)])
    ev = np.asarray(es, np.intp)
    x: F8 = cl.x[ev].copy()
    y: F8 = cl.y[ev].copy()
    cl.add(seed_of, np.concatenate(seeds), x, y, np.asarray(Ts))
    return len(seeds)


__all__ = ["BurstConfig", "second_rounds"]
