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
