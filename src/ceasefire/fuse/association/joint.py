"""Joint refinement: merges and splits of events kept only when the likelihood of
the whole association improves, counting what a round costs and what the
observers that did not report it say, not the fit alone.

Every report is either a member of one event or free (clutter, or a round heard
by that observer alone). Against the state "every report free", an event ``e``
with members ``R`` and fit ``(x, y, T)``, covariance ``C``, chi-square ``chi2``
adds (Laplace's approximation of the round's integral over its point and time)

    ln L_e = ln lambda + 1.5 ln 2 pi + 0.5 ln det C - 0.5 chi2
             + sum_{r in R} (-ln norm_r - ln f_r)
             + sum_{o reported e} ln Pd(o, e) + sum_{o active, did not} ln(1 - Pd(o, e))

``lambda``: rounds per s and m²; ``norm_r``: the normalizing constant of row r's
Gaussian ((2 pi)^(k/2) times its sigmas); ``f_r``: the density of a free report
(clutter per s and radian, plus a round heard by this observer alone);
``Pd(o, e) = p0 / (1 + (d / l50)^4)`` the chance that observer ``o``, at ``d``
from the event and active then (a report within ``active_s``), reports it. A
proposal (two events as one; a member bearing and a free bearing it pairs with
as a new round) changes the total by the events it touches; it is kept when that
change exceeds ``gain``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from ceasefire.fuse.association.clusters import Clusters
from ceasefire.fuse.association.gates import fitted, quantile, row_nll
from ceasefire.fuse.association.pairs import Pairs
from ceasefire.fuse.association.reports import F8, IP, Reports
from ceasefire.fuse.solve import fit

LN_2PI = float(np.log(2.0 * np.pi))
#: TEMP: proposals recorded for a diagnostic (None: not recorded)
TRACE: list[tuple[object, ...]] | None = None


@dataclass(frozen=True)
class JointConfig:
    """The likelihood of an association, and which proposals are scored by it."""

    #: run the step after the late pairs (off: association as before)
    on: bool = False
    #: rounds per day per km² (each phase of a round is an event)
    rounds_per_day_km2: float = 0.1
    #: clutter reports per observer per hour
    clutter_per_h: float = 0.1
    #: detection law of every observer: probability at zero distance, and the
    #: distance where it halves, m
    p0: float = 0.9
    l50_m: float = 6_000.0
    #: an observer is active at an event when it reported within this of the
    #: event's arrival at it, s
    active_s: float = 900.0
    #: a proposal is kept when the log-likelihood rises by more than this
    gain: float = 0.0
    #: proposals: merges, splits
    merges: bool = True
    splits: bool = True
    #: candidates for a merge: estimates within this box in x, y and c x T, m
    merge_window_m: float = 3_000.0
    #: only in the association of reports registered anew (the engine's second)
    registered_only: bool = False
    #: rounds of (merge, split)
    passes: int = 1
    #: a split's new event counts the free reports it explains (within this
    #: gate, as the probability a true report passes; arriving from ``support_slack_s``
    #: before its time to the sound's travel over the reach after)
    support: bool = False
    support_gate_p: float = 0.999
    support_slack_s: float = 10.0


@dataclass(frozen=True)
class Observers:
    """Every observer (``src`` code) of the reports: its rows sorted by time as
    keys ``src * span + (t - t0)`` (``key``, rows ``row``), for the row nearest a
    time."""

    key: F8
    row: IP
    span: float
    t0: float
    n_src: int

    @staticmethod
    def of(rep: Reports) -> Observers:
        t = rep.rows.t
        t0 = float(t.min()) if t.shape[0] else 0.0
        span = float(t.max() - t0) + 1e6 if t.shape[0] else 1e6
        key = rep.src.astype(float) * span + (t - t0)
        order = np.argsort(key, kind="stable")
        return Observers(key[order], order.astype(np.intp), span, t0, rep.n_src)


def free_log_density(rep: Reports, cfg: JointConfig) -> F8:
    """Per row, ln of the density of a free report at what it says (clutter, or a
    round heard by its observer alone), in the units of its Gaussian (s, rad, m)."""
    rows = rep.rows
    bearing = np.isfinite(rows.az)
    lam = cfg.rounds_per_day_km2 / 86_400.0 / 1e6
    # a round heard from anywhere along the ray: lambda p0 * int rho / (1 + (rho/L)^4)
    single = lam * cfg.p0 * cfg.l50_m**2 * np.pi / 4.0
    per_rad = cfg.clutter_per_h / 3_600.0 / (2.0 * np.pi) + single
    dens = np.where(bearing, per_rad, 2.0 * np.pi * per_rad)
    ranged = np.isfinite(rows.rng)
    dens = np.where(ranged, dens / rep.reach_m, dens)
    return np.log(dens)


def row_log_norm(rep: Reports) -> F8:
    """Per row, ln of its Gaussian's normalizing constant (time, bearing, range)."""
    rows = rep.rows
    out = 0.5 * LN_2PI + np.log(rows.sigma_t)
    b = np.isfinite(rows.az)
    out = out + np.where(b, 0.5 * LN_2PI + np.log(np.where(b, rows.sigma_az, 1.0)), 0.0)
    r = np.isfinite(rows.rng)
    return out + np.where(r, 0.5 * LN_2PI + np.log(np.where(r, rows.sigma_rng, 1.0)), 0.0)


def detection_terms(
    rep: Reports, obs: Observers, x: F8, y: F8, T: F8, reporters: list[IP], cfg: JointConfig
) -> F8:
    """Per event at ``(x, y, T)``: sum of ln Pd over the observers that reported it
    (``reporters[i]``, src codes) and of ln(1 - Pd) over the other active ones."""
    n = x.shape[0]
    out = np.zeros(n)
    if n == 0 or obs.key.shape[0] == 0:
        return out
    rows = rep.rows
    srcs = np.arange(obs.n_src)
    for i in range(n):
        if not (np.isfinite(x[i]) and np.isfinite(y[i]) and np.isfinite(T[i])):
            out[i] = -np.inf
            continue
        want = srcs * obs.span + (T[i] - obs.t0)
        pos = np.searchsorted(obs.key, want)
        best = np.full(obs.n_src, -1, np.intp)
        gap = np.full(obs.n_src, np.inf)
        for cand in (pos - 1, pos):
            ok = (cand >= 0) & (cand < obs.key.shape[0])
            c = np.where(ok, cand, 0)
            r = obs.row[c]
            same = ok & (rep.src[r] == srcs)
            d = np.hypot(rows.ox[r] - x[i], rows.oy[r] - y[i])
            lag = np.abs(rows.t[r] - T[i] - d / rep.c)
            better = same & (lag < gap)
            best = np.where(better, r, best)
            gap = np.where(better, lag, gap)
        act = (best >= 0) & (gap <= cfg.active_s)
        r = best[act]
        d = np.hypot(rows.ox[r] - x[i], rows.oy[r] - y[i])
        pd = cfg.p0 / (1.0 + (d / cfg.l50_m) ** 4)
        miss = np.log1p(-pd)
        total = float(miss.sum())
        rep_src = np.unique(reporters[i])
        # reporters: ln Pd at their own rows' distance, in place of ln(1 - Pd)
        where = np.searchsorted(srcs[act], rep_src)
        inside = where < r.shape[0]
        inside[inside] &= srcs[act][where[inside]] == rep_src[inside]
        total -= float(miss[where[inside]].sum())
        dr = np.array([_src_distance(rep, s, x[i], y[i], T[i]) for s in rep_src.tolist()])
        total += float(np.log(cfg.p0 / (1.0 + (dr / cfg.l50_m) ** 4)).sum()) if dr.size else 0.0
        out[i] = total
    return out


def _src_distance(rep: Reports, s: int, x: float, y: float, T: float) -> float:
    """Distance (m) from ``(x, y)`` to observer ``s`` at its report nearest ``T``."""
    r = np.flatnonzero(rep.src == s)
    k = int(r[np.argmin(np.abs(rep.rows.t[r] - T))])
    return float(np.hypot(rep.rows.ox[k] - x, rep.rows.oy[k] - y))


@dataclass(frozen=True)
class Scored:
    """Groups of rows fitted and scored: per group its fit and ln L (−inf when it
    cannot stand)."""

    x: F8
    y: F8
    T: F8
    cov: F8
    loglik: F8


def score_groups(
    rep: Reports,
    obs: Observers,
    rows_of: list[IP],
    x0: F8,
    y0: F8,
    T0: F8,
    cfg: JointConfig,
    free_gain: F8,
) -> Scored:
    """Fit each group of rows ``rows_of[i]`` from ``(x0, y0, T0)[i]`` and score it
    (ln L_e of the module's doc; ``free_gain`` per row: -ln norm_r - ln f_r)."""
    n = len(rows_of)
    if n == 0:
        z = np.zeros(0)
        return Scored(z, z, z, np.zeros((0, 3, 3)), z)
    sel = np.concatenate(rows_of).astype(np.intp)
    g = np.repeat(np.arange(n), [r.shape[0] for r in rows_of])
    f = fit(rep.rows, g, n, x0, y0, T0, rep.c, sel=sel, iterations=16)
    lam = cfg.rounds_per_day_km2 / 86_400.0 / 1e6
    with np.errstate(invalid="ignore", divide="ignore"):
        det = np.linalg.det(np.where(np.isfinite(f.cov), f.cov, 0.0))
        logdet = np.where(f.ok & (det > 0), np.log(np.where(det > 0, det, 1.0)), -np.inf)
    base = np.log(lam) + 1.5 * LN_2PI + 0.5 * logdet - 0.5 * f.chi2
    members = np.bincount(g, weights=free_gain[sel], minlength=n)
    reach = np.ones(n, bool)
    rho = np.hypot(f.x[g] - rep.rows.ox[sel], f.y[g] - rep.rows.oy[sel])
    np.logical_and.at(reach, g, rho <= rep.reach_m)
    stand = f.ok & reach & np.isfinite(base)
    det_terms = np.full(n, -np.inf)
    ok = np.flatnonzero(stand)
    det_terms[ok] = detection_terms(
        rep, obs, f.x[ok], f.y[ok], f.T[ok], [rep.src[rows_of[i]] for i in ok.tolist()], cfg
    )
    ll = np.where(stand, base + members + det_terms, -np.inf)
    return Scored(f.x, f.y, f.T, f.cov, ll)


def free_support(
    rep: Reports, sc: Scored, taken: list[IP], free: IP, cfg: JointConfig, free_gain: F8
) -> F8:
    """Per scored event, what the free reports it explains add to its ln L: each
    free row of an observer not in ``taken[i]`` (src codes) within the attach gate,
    its predictive density and its observer's detection in place of its free
    density and the observer's miss; the best row per observer, gains above 0."""
    n = sc.x.shape[0]
    out = np.zeros(n)
    if n == 0 or free.shape[0] == 0:
        return out
    rows = rep.rows
    order = free[np.argsort(rows.t[free], kind="stable")]
    tf = rows.t[order]
    lo = np.searchsorted(tf, sc.T - cfg.support_slack_s)
    hi = np.searchsorted(tf, sc.T + rep.reach_m / rep.c + cfg.support_slack_s)
    ok = np.isfinite(sc.x) & np.isfinite(sc.cov).all(axis=(1, 2))
    ev = [i for i in range(n) if ok[i] and hi[i] > lo[i]]
    if not ev:
        return out
    g = np.concatenate([np.full(hi[i] - lo[i], i, np.intp) for i in ev])
    r = np.concatenate([order[lo[i] : hi[i]] for i in ev])
    keep = np.array([rep.src[rr] not in taken[gg] for gg, rr in zip(g.tolist(), r.tolist())], bool)
    g, r = g[keep], r[keep]
    if g.shape[0] == 0:
        return out
    chi2, dof, logdet = row_nll(rows, g, sc, rep.c, np.zeros(g.shape[0], bool), sel=r)
    d = np.hypot(sc.x[g] - rows.ox[r], sc.y[g] - rows.oy[r])
    pd = cfg.p0 / (1.0 + (d / cfg.l50_m) ** 4)
    gain = free_gain[r] - 0.5 * (chi2 + logdet) + np.log(pd) - np.log1p(-pd)
    gain = np.where((chi2 <= quantile(cfg.support_gate_p, dof)) & np.isfinite(gain), gain, 0.0)
    best: dict[tuple[int, int], float] = {}
    for gg, ss, v in zip(g.tolist(), rep.src[r].tolist(), gain.tolist()):
        if v > best.get((gg, ss), 0.0):
            best[(gg, ss)] = v
    for (gg, _), v in best.items():
        out[gg] += v
    return out


def _members(cl: Clusters) -> list[IP]:
    m = np.flatnonzero(cl.labels >= 0)
    order = np.argsort(cl.labels[m], kind="stable")
    m = m[order]
    bounds = np.searchsorted(cl.labels[m], np.arange(cl.n + 1))
    return [m[bounds[e] : bounds[e + 1]] for e in range(cl.n)]


def _standing_without(rep: Reports, rows: IP) -> bool:
    """The rows fix a position with a check (two bearings; a bearing and two
    arrivals; enough arrivals)."""
    b = int(np.isfinite(rep.rows.az[rows]).sum())
    a = rows.shape[0] - b
    return b >= 2 or (b >= 1 and a >= 2) or a >= rep.min_tdoa_sensors


def merge_proposals(
    rep: Reports, cl: Clusters, obs: Observers, cfg: JointConfig, free_gain: F8
) -> int:
    """Merge pairs of events (estimates within ``merge_window_m``, no observer in
    both) whose union's ln L beats the two's by more than ``gain``; best first, each
    event once. Labels change (settle after); returns how many merged."""
    if cl.n < 2:
        return 0
    ok = fitted(cl)
    pts = np.column_stack([cl.x, cl.y, (cl.T - float(np.nanmin(cl.T))) * rep.c])
    ev = np.flatnonzero(ok & np.all(np.isfinite(pts), axis=1))
    if ev.shape[0] < 2:
        return 0
    pr = cKDTree(pts[ev]).query_pairs(cfg.merge_window_m, p=np.inf, output_type="ndarray")
    if pr.shape[0] == 0:
        return 0
    a, b = ev[pr[:, 0]], ev[pr[:, 1]]
    mem = _members(cl)
    keep = np.array(
        [np.intersect1d(rep.src[mem[i]], rep.src[mem[j]]).shape[0] == 0 for i, j in zip(a, b)],
        bool,
    )
    a, b = a[keep], b[keep]
    if a.shape[0] == 0:
        return 0
    involved = np.unique(np.concatenate([a, b]))
    single = score_groups(
        rep, obs, [mem[e] for e in involved.tolist()], cl.x[involved], cl.y[involved],
        cl.T[involved], cfg, free_gain,
    )  # fmt: skip
    ll = np.full(cl.n, -np.inf)
    ll[involved] = single.loglik
    # the union from the sharper of the two estimates
    tr = np.trace(np.where(np.isfinite(cl.cov), cl.cov, np.inf), axis1=1, axis2=2)
    start = np.where(tr[a] <= tr[b], a, b)
    union = score_groups(
        rep, obs, [np.concatenate([mem[i], mem[j]]) for i, j in zip(a, b)], cl.x[start],
        cl.y[start], cl.T[start], cfg, free_gain,
    )  # fmt: skip
    delta = union.loglik - ll[a] - ll[b]
    good = np.isfinite(delta) & (delta > cfg.gain)
    if TRACE is not None:
        for o in range(a.shape[0]):
            TRACE.append(("merge", id(rep), mem[a[o]], mem[b[o]], float(delta[o])))
    used = np.zeros(cl.n, bool)
    remap = np.arange(cl.n)
    merged = 0
    for o in np.argsort(-np.where(good, delta, -np.inf), kind="stable").tolist():
        if not good[o]:
            break
        ea, eb = int(a[o]), int(b[o])
        if used[ea] or used[eb]:
            continue
        used[ea] = used[eb] = True
        remap[eb] = ea
        cl.x[ea], cl.y[ea], cl.T[ea] = union.x[o], union.y[o], union.T[o]
        merged += 1
    if merged:
        m = cl.labels >= 0
        cl.labels[m] = remap[cl.labels[m]]
    return merged


def split_proposals(
    rep: Reports, cl: Clusters, pairs: Pairs, obs: Observers, cfg: JointConfig, free_gain: F8
) -> int:
    """New events of a gated bearing pair of one member bearing and one free
    bearing, where the member's event still stands without it and ln L (the new
    event's plus its event's without it, against its event's) rises by more than
    ``gain``; best first, one per event and per row. Labels change (settle after);
    returns how many were made."""
    if cl.n == 0 or pairs.i.shape[0] == 0:
        return 0
    li, lj = cl.labels[pairs.i], cl.labels[pairs.j]
    p = np.flatnonzero((li < 0) ^ (lj < 0))
    if p.shape[0] == 0:
        return 0
    member = np.where(li[p] >= 0, pairs.i[p], pairs.j[p])
    free = np.where(li[p] >= 0, pairs.j[p], pairs.i[p])
    ev = cl.labels[member]
    mem = _members(cl)
    stands = np.array(
        [_standing_without(rep, mem[e][mem[e] != r]) for e, r in zip(ev, member)], bool
    )
    stands &= fitted(cl)[ev]
    p, member, free, ev = p[stands], member[stands], free[stands], ev[stands]
    if p.shape[0] == 0:
        return 0
    involved = np.unique(ev)
    before = score_groups(
        rep, obs, [mem[e] for e in involved.tolist()], cl.x[involved], cl.y[involved],
        cl.T[involved], cfg, free_gain,
    )  # fmt: skip
    ll = np.full(cl.n, -np.inf)
    ll[involved] = before.loglik
    without = score_groups(
        rep, obs, [mem[e][mem[e] != r] for e, r in zip(ev, member)], cl.x[ev], cl.y[ev],
        cl.T[ev], cfg, free_gain,
    )  # fmt: skip
    new = score_groups(
        rep, obs, [np.array([r, f], np.intp) for r, f in zip(member, free)], pairs.x[p],
        pairs.y[p], pairs.T[p], cfg, free_gain,
    )  # fmt: skip
    delta = new.loglik + without.loglik - ll[ev]
    if cfg.support:
        taken = [rep.src[np.array([r, f])] for r, f in zip(member, free)]
        delta = delta + free_support(
            rep, new, taken, np.flatnonzero(cl.labels < 0), cfg, free_gain
        )
    good = np.isfinite(delta) & (delta > cfg.gain)
    if TRACE is not None:
        TRACE.append(("labels", id(rep), cl.labels.copy()))
        for o in range(p.shape[0]):
            TRACE.append(("split", id(rep), int(member[o]), int(free[o]), mem[ev[o]],
                          float(delta[o])))
    used_row = np.zeros(rep.n, bool)
    used_ev = np.zeros(cl.n, bool)
    take: list[int] = []
    for o in np.argsort(-np.where(good, delta, -np.inf), kind="stable").tolist():
        if not good[o]:
            break
        r, f, e = int(member[o]), int(free[o]), int(ev[o])
        if used_row[r] or used_row[f] or used_ev[e]:
            continue
        used_row[r] = used_row[f] = used_ev[e] = True
        take.append(o)
    if not take:
        return 0
    t = np.asarray(take, np.intp)
    k = t.shape[0]
    seed = np.arange(k)
    cl.add(np.concatenate([seed, seed]), np.concatenate([member[t], free[t]]),
           new.x[t], new.y[t], new.T[t])  # fmt: skip
    return k


def refine(rep: Reports, cl: Clusters, pairs: Pairs, cfg: JointConfig) -> tuple[int, int]:
    """``cfg.passes`` rounds of merges then splits (each followed by a settle);
    returns how many merges and splits were made."""
    if not cfg.on or cl.n == 0:
        return 0, 0
    obs = Observers.of(rep)
    free_gain = -row_log_norm(rep) - free_log_density(rep, cfg)
    merged = split = 0
    for _ in range(cfg.passes):
        got = 0
        if cfg.merges:
            cl.refit(rep)
            got = merge_proposals(rep, cl, obs, cfg, free_gain)
            if got:
                cl.settle(rep)
            merged += got
        if cfg.splits:
            cl.refit(rep)
            s = split_proposals(rep, cl, pairs, obs, cfg, free_gain)
            if s:
                cl.settle(rep)
            split += s
            got += s
        if not got:
            break
    import os  # TEMP instrumentation

    if os.environ.get("JOINT_LOG"):
        with open(os.environ["JOINT_LOG"], "a") as fh:
            fh.write(f"{rep.n} {cl.n} {merged} {split}\n")
    return merged, split


__all__ = [
    "JointConfig",
    "Observers",
    "Scored",
    "detection_terms",
    "free_log_density",
    "merge_proposals",
    "refine",
    "row_log_norm",
    "score_groups",
    "split_proposals",
]
