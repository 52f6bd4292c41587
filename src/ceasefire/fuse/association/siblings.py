"""Burst siblings: a second round fired from one position seconds after the first
(a burst) is heard by the same observers. An event holds one report per observer
(:func:`~ceasefire.fuse.association.gates.slot_free`), so each observer's report of
the second round stays out of the first round's event; where two or more observers
have such a free bearing pointing at an event that holds their own report seconds
apart, the bearings are a sibling round at the event's place and seed an event
there (:func:`sibling_seeds`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ceasefire.fuse.association.clusters import Clusters
from ceasefire.fuse.association.gates import fitted
from ceasefire.fuse.association.reports import F8, IP, Reports


@dataclass(frozen=True)
class SiblingConfig:
    """When free bearings seed a burst sibling of an event."""

    #: seed sibling events after association's late pairs
    enabled: bool = False
    #: a free bearing and its observer's report in the event at most this far apart, s
    near_s: float = 30.0
    #: the free bearing's ray passes the event's position within this many of its sd
    bearing_sd: float = 3.0
    #: observers (one free bearing each) a sibling needs
    min_observers: int = 2
    #: split events whose members' emission times fall in two groups
    #: (:func:`time_splits`), after association's late pairs
    split: bool = False
    #: ... when the best cut lowers their time chi-square by more than this
    split_gain: float = 20.0
    #: ... with at least this many members a side
    split_min: int = 2


def sibling_pairs(rep: Reports, cl: Clusters, cfg: SiblingConfig) -> tuple[IP, IP]:
    """Per (fitted event ``g``, free bearing ``k``): the event holds a report of the
    bearing's observer within ``near_s`` of it and the bearing's ray passes the
    event's position within ``bearing_sd`` of its sd. Each bearing kept with its
    best-pointing event. Returns ``(g, k)``."""
    rows, src = rep.rows, rep.src
    empty = np.zeros(0, np.intp), np.zeros(0, np.intp)
    mem = np.flatnonzero(cl.labels >= 0)
    mem = mem[fitted(cl)[cl.labels[mem]]]
    free = np.flatnonzero((cl.labels < 0) & rep.is_bearing)
    if mem.shape[0] == 0 or free.shape[0] == 0:
        return empty
    # one sorted key per row: observer code, then time (observers a span apart)
    t0 = float(min(rows.t[mem].min(), rows.t[free].min()))
    span = float(max(rows.t[mem].max(), rows.t[free].max())) - t0 + 4.0 * cfg.near_s + 1.0
    key_f = src[free] * span + (rows.t[free] - t0)
    order = np.argsort(key_f, kind="stable")
    key_f, free = key_f[order], free[order]
    key_m = src[mem] * span + (rows.t[mem] - t0)
    lo = np.searchsorted(key_f, key_m - cfg.near_s, "left")
    hi = np.searchsorted(key_f, key_m + cfg.near_s, "right")
    n = hi - lo
    if int(n.sum()) == 0:
        return empty
    m_of = np.repeat(mem, n)
    start = np.repeat(lo - np.cumsum(n) + n, n)
    k = free[start + np.arange(m_of.shape[0])]
    g = cl.labels[m_of]
    off = _bearing_off(rows.az[k], rows.ox[k], rows.oy[k], cl.x[g], cl.y[g])
    z = np.abs(off) / rows.sigma_az[k]
    keep = z <= cfg.bearing_sd
    g, k, z = g[keep], k[keep], z[keep]
    # each bearing: its best-pointing event (ties by the lower event)
    order = np.lexsort((g, z, k))
    first = np.ones(order.shape[0], bool)
    first[1:] = k[order][1:] != k[order][:-1]
    sel = order[first]
    return g[sel], k[sel]


def _bearing_off(az: F8, ox: F8, oy: F8, x: F8, y: F8) -> F8:
    """The ray's azimuth less the azimuth from its observer to ``(x, y)``, wrapped
    to ``[-pi, pi)`` (radians)."""
    return np.asarray((az - np.arctan2(x - ox, y - oy) + np.pi) % (2 * np.pi) - np.pi)


def sibling_seeds(rep: Reports, cl: Clusters, cfg: SiblingConfig) -> int:
    """New unfitted events from the free bearings of :func:`sibling_pairs`: per
    event, one bearing per observer (its first row), seeded at the event's position
    with the bearings' median emission time when ``min_observers`` observers have
    one. Returns how many."""
    g, k = sibling_pairs(rep, cl, cfg)
    if g.shape[0] == 0:
        return 0
    rows, src = rep.rows, rep.src
    # one bearing per (event, observer): the earliest
    order = np.lexsort((k, g.astype(np.int64) * rep.n_src + src[k]))
    g, k = g[order], k[order]
    pair = g.astype(np.int64) * rep.n_src + src[k]
    first = np.ones(g.shape[0], bool)
    first[1:] = pair[1:] != pair[:-1]
    g, k = g[first], k[first]
    ev, start, count = np.unique(g, return_index=True, return_counts=True)
    ok = count >= cfg.min_observers
    if not ok.any():
        return 0
    ev, start, count = ev[ok], start[ok], count[ok]
    take = np.concatenate([np.arange(s, s + c) for s, c in zip(start, count, strict=True)])
    seed_of = np.repeat(np.arange(ev.shape[0]), count)
    rk = k[take]
    rho = np.hypot(cl.x[g[take]] - rows.ox[rk], cl.y[g[take]] - rows.oy[rk])
    emitted = rows.t[rk] - rows.speed_factor[rk] * rho / rep.c
    T = np.array([float(np.median(emitted[seed_of == i])) for i in range(ev.shape[0])])
    cl.add(seed_of, rk, cl.x[ev].copy(), cl.y[ev].copy(), T)
    return int(ev.shape[0])


def time_splits(rep: Reports, cl: Clusters, cfg: SiblingConfig) -> int:
    """Events whose members' emission times fall in two groups (a burst whose two
    rounds' reports came from different observers, so no slot held them apart) are
    split: members sorted by their emission time at the event's position (time less
    the sound's travel), the cut that most lowers the time chi-square (each group about
    its own weighted mean, each report by its time sd) taken when it lowers it by more
    than ``split_gain`` with ``split_min`` members a side. The later group seeds a new
    unfitted event at the event's position. Returns how many were split."""
    rows, c = rep.rows, rep.c
    ok = fitted(cl)
    mem = np.flatnonzero(cl.labels >= 0)
    mem = mem[ok[cl.labels[mem]]]
    if mem.shape[0] == 0:
        return 0
    g = cl.labels[mem]
    rho = np.hypot(cl.x[g] - rows.ox[mem], cl.y[g] - rows.oy[mem])
    emit = rows.t[mem] - rows.speed_factor[mem] * rho / c
    w = 1.0 / rows.sigma_t[mem] ** 2
    order = np.lexsort((emit, g))
    mem, g, emit, w = mem[order], g[order], emit[order], w[order]
    ev, start, count = np.unique(g, return_index=True, return_counts=True)
    seeds: list[IP] = []
    times: list[float] = []
    where: list[int] = []
    for e, s, n in zip(ev.tolist(), start.tolist(), count.tolist(), strict=True):
        if n < 2 * cfg.split_min:
            continue
        # times about the event's first (epoch seconds squared lose the seconds)
        cut, gain, late_t = _best_cut(emit[s : s + n] - emit[s], w[s : s + n], cfg.split_min)
        if gain > cfg.split_gain:
            seeds.append(mem[s + cut : s + n])
            times.append(late_t + float(emit[s]))
            where.append(e)
    if not seeds:
        return 0
    at = np.array(where, np.intp)
    seed_of = np.repeat(np.arange(at.shape[0]), [x.shape[0] for x in seeds])
    cl.add(seed_of, np.concatenate(seeds), cl.x[at].copy(), cl.y[at].copy(), np.array(times))
    return int(at.shape[0])


def _best_cut(t: F8, w: F8, least: int) -> tuple[int, float, float]:
    """Of sorted times ``t`` (weights ``w``), the cut ``j`` (``t[:j]``, ``t[j:]``,
    at least ``least`` a side) that most lowers the weighted sum of squares about the
    mean; returns it, the drop and the later group's weighted mean."""
    cw, cwt, cwtt = np.cumsum(w), np.cumsum(w * t), np.cumsum(w * t * t)
    W, S, Q = cw[-1], cwt[-1], cwtt[-1]
    j = np.arange(least, t.shape[0] - least + 1)
    w1, s1, q1 = cw[j - 1], cwt[j - 1], cwtt[j - 1]
    w2, s2, q2 = W - w1, S - s1, Q - q1
    whole = Q - S * S / W
    split = (q1 - s1 * s1 / w1) + (q2 - s2 * s2 / w2)
    drop = whole - split
    best = int(np.argmax(drop))
    jb = int(j[best])
    return jb, float(drop[best]), float(s2[best] / w2[best])
