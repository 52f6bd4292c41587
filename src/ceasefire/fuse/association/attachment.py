"""Attachment: free reports join the events that explain them. Each free report
(bearing or arrival) is tested against the events near it in space and time, by
its bearing, time and range residuals against the event's prediction and
uncertainty; it joins its best event, at most one report per observer per event.
An arrival (a time, no direction) joins only when one event alone passes its
gate, and arrival members another event would take are freed: where fire is
dense a microphone's time fits several rounds, and the wrong one drags a fix
kilometres off or builds a ghost."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ceasefire.fuse.association.attach_loops import (
    GRID_CELL,
    attach_kernels,
    gate_quantiles,
    pulled_kernel,
)
from ceasefire.fuse.association.byrow import best_of_rows
from ceasefire.fuse.association.clusters import Clusters
from ceasefire.fuse.association.gates import (
    GateConfig,
    fitted,
    gated,
    quad_inv3,
    row_chi2,
    same_phase,
    slot_free,
    time_candidates,
)
from ceasefire.fuse.association.reports import DIR_UNDET, F8, IP, B, Reports
from ceasefire.fuse.association.seentime import seen_late_misfits
from ceasefire.fuse.events import semi_major_95_m
from ceasefire.fuse.keys import unique
from ceasefire.fuse.solve import Fit
from ceasefire.fuse.stats import Q999

#: the marginal gate's chi-square (3 dof, 99.9 %)
_Q3 = float(Q999[2])


@dataclass(frozen=True)
class AttachConfig:
    """How free reports join events."""

    #: an event whose refit after attaching fails or leaves its former uncertainty
    #: gives back what it just took (:func:`guarded_attach`)
    guarded: bool = True
    #: ... and then takes back the one report that fits it best, if it holds
    guarded_best_one: bool = True
    #: an arrival joins an event only when no other event passes its gate, and an
    #: arrival member another event (with no report of its sensor) would take is
    #: freed after each round and at the end (:func:`free_shared_arrivals`)
    unique_arrivals: bool = True
    #: free bearings are offered once more to every sharp located event
    #: (:func:`late_attach`) before they become lone events, out to ``late_range_m``:
    #: an already located event needs only the bearing and time of a far report, and
    #: acoustic arrays hear the loudest weapons (an MLRS launch) 75 km away
    late: bool = True
    late_range_m: float = 80_000.0
    #: ... by this gate (chi-square probability): a lone report that a located event
    #: explains is that event's, not a round of its own
    late_gate_p: float = 0.99999
    #: ... whatever phase the bearing names: its event kind or direction class may
    #: be misread, and the located event's time and position already tell its phase
    #: (a launch's sound and its impact's are a flight apart). Family tuning draws,
    #: one window: lone-report double counts 288 -> 236, worst-decile double counts
    #: 10.0 -> 7.7 %, F1 mean 0.801 -> 0.803; heavy days 0.9100 -> 0.9111 (docs/family.md)
    late_any_phase: bool = True
    #: then the seen bearings (a camera's: no sound delay) still free are offered
    #: once more, to events of the phase they name, with this clock slack (s) added
    #: in quadrature to their time sigma, by the same gate and slot rule (the event
    #: holds no report of their observer). Registration cannot read a camera's
    #: clock (its sharp time sets the fix it joins), and an observer reports a round
    #: once: a camera's bearing seconds off an event it is absent from is likely that
    #: round. Applied only where registration found clocks or sigmas off (the engine
    #: sets it to 0 elsewhere). Family tuning draws, one window: double counts 348
    #: -> 308, named attributions right 96.1 -> 96.4 %, F1 mean 0.8034 -> 0.8036
    #: (docs/family.md)
    late_seen_slack_s: float = 10.0


def attach(
    rep: Reports,
    cl: Clusters,
    gates: GateConfig,
    unique_arrivals: bool = True,
    same_phase_only: bool = True,
) -> int:
    """Free rows join their best compatible event; returns how many joined.
    ``same_phase_only``: only events of the phase the row names (or undetermined).
    By three compiled loops when numba is installed (:mod:`.attach_loops`: the
    same labels), else by :func:`attach_numpy`."""
    kernels = attach_kernels()
    if kernels is None:
        return attach_numpy(rep, cl, gates, unique_arrivals, same_phase_only)
    if cl.n == 0:
        return 0
    front, middle, back = kernels
    rows = rep.rows
    cov9 = cl.cov.reshape(-1, 9)
    g, k, passed, at, dx, dy = front(
        cl.labels, rep.run_order, rep.position_id, rows.ox, rows.oy, rows.t,
        rows.speed_factor, rows.sigma_t, rows.az, rep.src, rep.direction, cl.x, cl.y, cl.T,
        cov9, rep.reach_m, rep.c, _Q3, same_phase_only, DIR_UNDET, GRID_CELL,
    )  # fmt: skip
    if g.shape[0] == 0:
        return 0
    wrapped, g, k, dx, dy = middle(
        passed, at, cov9, g, k, rows.az, rows.sigma_az, dx, dy, np.arctan2(dx, dy), _Q3,
        cl.x, cl.y, rows.ox, rows.oy,
    )  # fmt: skip
    if wrapped and g.shape[0] == 0:
        return 0
    joined = -1
    if wrapped:
        joined = back(
            g, k, dx, dy, np.arctan2(dx, dy), rows.az, rows.sigma_az, rows.t, rows.sigma_t,
            rows.speed_factor, rows.rng, rows.sigma_rng, cl.T, cov9, rep.c, rep.reach_m,
            gate_quantiles(gates.attach_p), rep.src, unique_arrivals, cl.labels,
        )  # fmt: skip
    if joined < 0:  # an azimuth the loops do not wrap (never for fusion's rows)
        return attach_numpy(rep, cl, gates, unique_arrivals, same_phase_only)
    return int(joined)


def attach_numpy(
    rep: Reports,
    cl: Clusters,
    gates: GateConfig,
    unique_arrivals: bool = True,
    same_phase_only: bool = True,
) -> int:
    """:func:`attach` in numpy (each step its own call)."""
    rows, src = rep.rows, rep.src
    free = (cl.labels < 0).nonzero()[0]
    if free.shape[0] == 0 or cl.n == 0:
        return 0
    g, k = time_candidates(rep, free, cl, pregate=True)  # all through `gated` below
    if g.shape[0] == 0:
        return 0
    # one report per observer per event; compatible direction
    keep = slot_free(rep, g, k, cl.labels)
    if same_phase_only:
        keep &= same_phase(rep.direction, cl.labels, cl.n, g, k)
    g, k, chi2, dof = gated(rep, g[keep], k[keep], cl, gates)
    if g.shape[0] == 0:
        return 0
    nsrc = rep.n_src
    score = chi2 - dof
    # each row: its best event
    sel = best_of_rows(k, score, g, rows.az.shape[0])
    if unique_arrivals:
        # an arrival (a time, no direction) that two events explain stays free
        n_cand = np.bincount(k, minlength=rows.az.shape[0])
        sel = sel[~((n_cand[k[sel]] > 1) & ~np.isfinite(rows.az[k[sel]]))]
    g, k, score = g[sel], k[sel], score[sel]
    # each (event, observer): its best row
    key = g.astype(np.int64) * nsrc + src[k]
    order = np.lexsort((k, score, key))
    first = np.ones(order.shape[0], bool)
    first[1:] = key[order][1:] != key[order][:-1]
    sel = order[first]
    cl.labels[k[sel]] = g[sel]
    return int(sel.shape[0])


def guarded_attach(rep: Reports, cl: Clusters, gates: GateConfig, cfg: AttachConfig) -> int:
    """:func:`attach`, then a refit; an event whose refit fails or leaves its former
    uncertainty (3-dof 99.9 % gate on x, y, T) gives back the reports it just took
    and keeps its former estimate. Reports gated one by one may be jointly
    inconsistent: two clutter arrivals (3 ms each) can pull a sound two-bearing
    fix tens of km away, and the failed fit would then dissolve the event. With
    ``guarded_best_one`` such an event then takes back the one report that fits it
    best, under the same test."""
    before = cl.labels.copy()
    old = cl.copy()
    joined = attach(rep, cl, gates, cfg.unique_arrivals)
    if not joined:
        return 0
    new = ((before < 0) & (cl.labels >= 0)).nonzero()[0]
    grew = unique(cl.labels[new])
    had = fitted(old)[grew]
    gb = grew[had & pulled_away(rep, cl, old, grew)]
    if gb.shape[0] == 0:
        return joined
    back = np.zeros(cl.n, bool)
    back[gb] = True
    gone = new[back[cl.labels[new]]]
    g_of = cl.labels[gone].copy()
    cl.labels[gone] = -1
    cl.restore(old, gb)
    joined -= int(gone.shape[0])
    if not cfg.guarded_best_one:
        return joined
    # each such event may still take the one report that fits it best
    chi2, dof = row_chi2(rep.rows.take(gone), g_of, cl, rep.c, True)
    order = np.lexsort((gone, chi2 - dof, g_of))
    first = np.ones(order.shape[0], bool)
    first[1:] = g_of[order][1:] != g_of[order][:-1]
    one, g1 = gone[order[first]], g_of[order[first]]
    cl.labels[one] = g1
    bad = pulled_away(rep, cl, old, g1)
    cl.labels[one[bad]] = -1
    cl.restore(old, g1[bad])
    return joined + int((~bad).sum())


def pulled_away(rep: Reports, cl: Clusters, old: Clusters, g: IP) -> B:
    """Refit all events; for events ``g``: whether the fit failed or left the former
    estimate's 3-dof 99.9 % region (``old``: the estimates before)."""
    f = cl.refit(rep)
    kernel = pulled_kernel()
    if kernel is not None:
        return np.asarray(
            kernel(f.ok, cl.x, cl.y, cl.T, old.x, old.y, old.T, old.cov.reshape(-1, 9), g, _Q3),
            dtype=bool,
        )
    d = np.column_stack([cl.x[g] - old.x[g], cl.y[g] - old.y[g], cl.T[g] - old.T[g]])
    m2 = quad_inv3(_finite(old.cov[g]), _finite(d))
    return np.asarray(~f.ok[g] | ~(m2 <= _Q3), dtype=bool)


def _finite(a: F8) -> F8:
    """``np.nan_to_num(a)``'s numbers: ``a`` itself when every entry is finite
    (``nan_to_num`` costs ~8 µs a call, twice per guarded attach)."""
    return a if bool(np.isfinite(a).all()) else np.nan_to_num(a)


def attach_rounds(
    rep: Reports, cl: Clusters, gates: GateConfig, cfg: AttachConfig, times: int
) -> Fit | None:
    """Up to ``times`` passes of attach (guarded when ``cfg.guarded``), each followed
    by a refit and a prune (a compact and refit after a prune); stops when a pass
    neither joined nor pruned anything. Returns the last fit (None when ``times``
    is 0)."""
    last: Fit | None = None
    for _ in range(times):
        if cfg.guarded:
            joined = guarded_attach(rep, cl, gates, cfg)
        else:
            joined = attach(rep, cl, gates, cfg.unique_arrivals)
        last, pruned = cl.refit_prune(rep, gates)
        if not joined and not pruned:
            break
    return last


def free_shared_arrivals(rep: Reports, cl: Clusters, gates: GateConfig) -> int:
    """Free the arrival members that another event (with no report of their sensor)
    would also take by the attach gate. Returns how many."""
    arr = ((cl.labels >= 0) & ~rep.is_bearing).nonzero()[0]
    if arr.shape[0] == 0:
        return 0
    g, k = time_candidates(rep, arr, cl, pregate=True)  # all through `gated` below
    keep = (g != cl.labels[k]) & slot_free(rep, g, k, cl.labels)
    _, k, _, _ = gated(rep, g[keep], k[keep], cl, gates)
    shared = unique(k)
    cl.labels[shared] = -1
    return int(shared.shape[0])


def release_shared_arrivals(
    rep: Reports, cl: Clusters, gates: GateConfig, cfg: AttachConfig
) -> Fit | None:
    """With ``unique_arrivals``: :func:`free_shared_arrivals`, then settle (an event
    left without enough reports dissolves). Returns the last fit, or None when
    nothing was freed."""
    if not (cl.n and cfg.unique_arrivals and free_shared_arrivals(rep, cl, gates)):
        return None
    return cl.settle(rep)


def late_attach(
    rep: Reports,
    labels: IP,
    x: F8,
    y: F8,
    T: F8,
    cov_xy: F8,
    sd_t: F8,
    gates: GateConfig,
    cfg: AttachConfig,
    wide_fix_m: float,
) -> int:
    """Free bearings offered once more to every sharp located event (association
    events and TDOA groups: ``x``, ``y``, ``T``, ``cov_xy`` ``(G, 2, 2)``, ``sd_t``;
    95 % semi-major within ``wide_fix_m``) out to ``cfg.late_range_m``, by the
    attach gates (by default whatever phase a bearing names: ``late_any_phase``).
    ``labels`` is updated in place; returns how many joined. The events keep their
    estimates."""
    G = x.shape[0]
    cov = np.zeros((G, 3, 3))
    cov[:, :2, :2] = cov_xy
    cov[:, 2, 2] = sd_t**2
    sharp = semi_major_95_m(cov_xy) <= wide_fix_m  # NaN (no fix): not sharp
    cov[~sharp] = np.nan  # not offered
    k = np.flatnonzero((labels >= 0) | rep.is_bearing)  # free arrivals: not offered
    far = Reports(
        rep.rows.take(k), rep.src[k], rep.direction[k], rep.c, cfg.late_range_m,
        rep.min_tdoa_sensors,
    )  # fmt: skip
    cl = Clusters(labels[k].copy(), x, y, T, cov)
    n = attach(
        far,
        cl,
        replace(gates, attach_p=cfg.late_gate_p),
        cfg.unique_arrivals,
        same_phase_only=not cfg.late_any_phase,
    )
    if cfg.late_seen_slack_s > 0:
        n += slack_offer(far, cl, replace(gates, attach_p=cfg.late_gate_p), cfg)
    got = (cl.labels >= 0) & (labels[k] < 0)
    if gates.seen_time_sd > 0:
        # a seen bearing joins only within the seen-time gate (by its own time sd)
        j = np.flatnonzero(got)
        out = j[seen_late_misfits(far, j, cl.labels[j], T, sd_t, gates.seen_time_sd)]
        got[out] = False
        n -= int(out.shape[0])
    labels[k[got]] = cl.labels[got]
    return n


def slack_offer(rep: Reports, cl: Clusters, gates: GateConfig, cfg: AttachConfig) -> int:
    """The free seen bearings of ``rep`` (no sound delay) offered to the events of
    ``cl`` of the phase they name, their time sigma widened by
    ``cfg.late_seen_slack_s`` in quadrature; ``cl.labels`` updated in place (the
    events keep their estimates); returns how many joined."""
    rows = rep.rows
    seen_free = (cl.labels < 0) & rep.is_bearing & (rows.speed_factor == 0.0)
    if not seen_free.any() or not fitted(cl).any():
        return 0
    k = np.flatnonzero((cl.labels >= 0) | seen_free)
    sub = rep.take(k)
    slack = np.where(seen_free[k], cfg.late_seen_slack_s, 0.0)
    wide = replace(sub.rows, sigma_t=np.sqrt(sub.rows.sigma_t**2 + slack**2))
    loose = Reports(wide, sub.src, sub.direction, sub.c, sub.max_range_m, sub.min_tdoa_sensors)
    sc = Clusters(cl.labels[k].copy(), cl.x, cl.y, cl.T, cl.cov)
    n = attach(loose, sc, gates, cfg.unique_arrivals, same_phase_only=True)
    cl.labels[k] = sc.labels
    return n
