"""Registration: each observer's clock offset and noise scale, estimated from its
reports in events that several observers fixed, so that a second association
judges its reports by what they are worth rather than by what it states.

A real front has clocks that are off by a second or two (posts, cameras,
patrols without a GPS-disciplined clock) and observers who misstate their own σ
(by ×0.5 to ×2): gates built on the stated σ then split one round's reports into
several events, or let another round's in. The residuals of an observer's
reports in events fixed by at least ``min_observers`` observers carry both: their
mean is its clock offset, their spread (after it) its noise against the stated
σ. Each is shrunk toward "as stated" by ``prior_reports`` pseudo-reports; a
scale lies in ``[1, max_scale]``. A sharp observer (a camera: 0.2 s) hides its
clock from that mean twice: its seen time sets the fit of every event it joins
(so the residuals are read against fits that trust a seen time to a second),
and when its clock is off association leaves its reports out (so its free
bearings are read too, against the events whose bearing they fit, and the mode
of its residuals is its offset where it disagrees with the mean)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from ceasefire.fuse.association.clusters import Clusters
from ceasefire.fuse.association.gates import fitted, normalized, slot_free, time_candidates
from ceasefire.fuse.association.reports import F8, IP, B, Reports
from ceasefire.fuse.keys import unique
from ceasefire.fuse.solve import Rows
from ceasefire.fuse.solve import fit as solve_fit

S = npt.NDArray[np.str_]


@dataclass(frozen=True)
class RegistrationConfig:
    """When and how observers are registered."""

    #: register and associate a second time (off: one association, as stated)
    enabled: bool = True
    #: events whose residuals inform: fixed by at least this many observers
    min_observers: int = 3
    #: an observer is registered only with at least this many such reports
    min_reports: int = 5
    #: shrinkage: this many pseudo-reports say "offset 0, scale 1"
    prior_reports: float = 5.0
    #: largest noise scale (× the stated σ; a stated σ is never lowered)
    max_scale: float = 3.0
    #: a residual counts at most this many σ (robust to another round's report)
    clip_sd: float = 4.0
    #: a second association runs only when an observer's clock is off by more than
    #: this many of its (registered) time σ, or a scale exceeds ``scale_change``
    offset_sd: float = 1.0
    scale_change: float = 1.5
    #: in the second association, the least time sigma of a report seen rather than
    #: heard, s. A camera states how well it times its frame (0.2 s), but its clock,
    #: set by hand or over a field network, may be off by seconds, and its offset
    #: cannot be read from the residuals: its sharp time sets the emission time of
    #: every fix it joins, so its own residual stays near zero whatever its clock
    #: (``read_seen_sigma_s`` and ``clock_gate_s`` find part of it).
    #: When registration finds this data's clocks or sigmas misstated, seen reports
    #: are trusted to this much (family tuning draws 1000-1039: lone-report double
    #: counts 771 -> 261; docs/family.md); where nothing is off, nothing changes
    seen_time_sigma_min_s: float = 1.0
    #: each observer's scale shrunk by ``prior_reports`` toward the run's (every
    #: observer's members pooled, per component; at least 1) instead of toward
    #: "as stated", and observers with fewer than ``min_reports`` reports take it:
    #: a data set whose σ are understated is understated for most observers, while
    #: one observer's few members (those its too narrow gates let in) say little.
    #: Off: on the family's tuning draws it trades 6 double counts for 5 matched
    #: rounds, on the test draws it costs 10 right names (docs/family.md, session
    #: 23). Not read by ``mixture``'s estimate
    pool_scales: bool = False
    #: spread by a two-part mixture per observer and component: a report's
    #: normalized residual is N(0, scale²) when it is of the event, uniform over
    #: ``±mixture_sd`` when it is clutter or another round's; its share of the first
    #: (EM, ``mixture_iter`` steps) weighs it in the offset and the scale, instead of
    #: clipping at ``clip_sd`` (clutter then no longer reads as noise)
    mixture: bool = False
    mixture_sd: float = 8.0
    mixture_iter: int = 20
    #: ... the share of the first part, shrunk by these pseudo-reports (of the
    #: event, clutter): with few reports, a wide one reads as noise more than clutter
    mixture_prior: tuple[float, float] = (9.0, 1.0)
    #: free bearings read too (0: members only): each against the fitted event of
    #: at least ``min_observers`` observers that holds no report of its observer and
    #: that it fits best, within this many stated sigma per component; its residual
    #: is the innovation over sqrt(1 + the event's share). An observer whose σ is
    #: understated joins few events, so its members alone say it is as stated
    free_gate_sd: float = 0.0
    #: residuals read against the events refitted with every seen report's time σ
    #: at least this much, s (0: the association's fits, as stated): a camera's
    #: sharp seen time sets its event's emission time in the fit, so its own
    #: residual says ~0 whatever its clock; at a second's σ (as the second
    #: association trusts it, ``seen_time_sigma_min_s``) the others set most of it
    read_seen_sigma_s: float = 1.0
    #: clocks read from free bearings too (0: off): each free bearing against the
    #: fitted event of at least ``min_observers`` observers whose bearing it fits
    #: best (within ``clock_gate_az_sd``), its time residual within this many s.
    #: Association's gates let in only the reports whose time fits as stated, so a
    #: sharp camera off by 2 s is found among the reports association left out. The
    #: offset of a sharp observer is then the mode of its residuals (members'
    #: leave-one-out ones and these). With ``read_seen_sigma_s`` on the family's
    #: tuning draws 1000-1039 (docs/family.md, session 18): registered camera clocks
    #: RMS 1.43 -> 0.99 s off the truth; system double counts 264 -> 245
    clock_gate_s: float = 8.0
    clock_gate_az_sd: float = 3.0
    #: ... the mode needs at least ``min_reports`` residuals within ``clock_band`` ×
    #: their median σ (at least ``clock_band_min_s``) of it
    clock_band: float = 2.0
    clock_band_min_s: float = 0.25
    #: ... only for observers whose least time σ as read is at most this, s: the
    #: sharp ones (cameras: 0.2 s free, 1 s as members read), which association's
    #: gates leave out when their clock is off. A post's 2 s lets it in, and the
    #: mean of its members reads its clock better than a mode
    clock_mode_sigma_s: float = 0.5
    #: ... and only where the mode and the members' mean differ by more than this, s:
    #: a clock the gates hid. Elsewhere a mode of few reports is noisier than the
    #: mean (the heavy demo day, no clock errors: three cameras at 0.21-0.26 s, each
    #: more than its σ, which would call for a second association), and an error
    #: under it costs little where the second association trusts a seen time to 1 s
    clock_mode_margin_s: float = 0.5


@dataclass(frozen=True)
class Registration:
    """Per observer code: clock offset (s, subtracted from its times), and the
    factors on its stated bearing and time σ; ``informed``: reports it rests on."""

    offset_s: F8
    scale_az: F8
    scale_t: F8
    informed: F8

    def apply(self, rep: Reports, seen_time_sigma_min_s: float = 0.0) -> Reports:
        """The reports with their times corrected and their σ scaled; the time σ of a
        seen report (no sound delay) at least ``seen_time_sigma_min_s``."""
        r, s = rep.rows, rep.src
        sigma_t = r.sigma_t * self.scale_t[s]
        sigma_t = np.where(
            r.speed_factor == 0.0, np.maximum(sigma_t, seen_time_sigma_min_s), sigma_t
        )
        rows = Rows(
            r.ox, r.oy, r.az, r.sigma_az * self.scale_az[s], r.t - self.offset_s[s],
            sigma_t, r.speed_factor, r.rng, r.sigma_rng,
        )  # fmt: skip
        return Reports(rows, s, rep.direction, rep.c, rep.max_range_m, rep.min_tdoa_sensors)

    def matters(self, rep: Reports, cfg: RegistrationConfig) -> bool:
        """Whether registering changes anything worth a second association."""
        n = self.offset_s.shape[0]
        sd_t = np.full(n, np.inf)
        np.minimum.at(sd_t, rep.src, rep.rows.sigma_t * self.scale_t[rep.src])
        off = np.abs(self.offset_s) > cfg.offset_sd * sd_t
        scaled = (self.scale_az > cfg.scale_change) | (self.scale_t > cfg.scale_change)
        return bool((off | scaled).any())

    def of(self, codes: IP) -> Registration:
        """The registration of observers ``codes`` in this one's codes, in order;
        a code -1 (an observer it does not know) as stated."""
        ok = codes >= 0
        c = np.where(ok, codes, 0)

        def pick(a: F8, none: float) -> F8:
            return np.where(ok, a[c] if a.shape[0] else none, none)

        return Registration(
            pick(self.offset_s, 0.0),
            pick(self.scale_az, 1.0),
            pick(self.scale_t, 1.0),
            pick(self.informed, 0.0),
        )


@dataclass(frozen=True)
class ObserverRegistration:
    """A registration of observers by name (``names`` sorted, ``reg`` in their
    order): estimated over a span larger than a window (a day's tiles), so that
    every window of it judges an observer's reports alike."""

    names: S
    reg: Registration

    def of(self, names: S) -> Registration:
        """The registration of observers ``names`` (unknown ones as stated)."""
        if self.names.shape[0] == 0:
            return self.reg.of(np.full(np.shape(names), -1, np.intp))
        i = np.minimum(np.searchsorted(self.names, names), self.names.shape[0] - 1)
        return self.reg.of(np.where(self.names[i] == names, i, -1).astype(np.intp))


@dataclass(frozen=True)
class Residuals:
    """What registration reads of a fitted association: per member report of an
    event fixed by at least ``min_observers`` observers, its observer code ``src``,
    its event's emission time ``event_t`` (s), and per component (time, bearing)
    its normalized residual ``z`` (0 where the report has none), the weight of
    that residual ``w`` (1 - its leverage) and whether it has one; ``sd_t`` its
    time σ, s. Residuals of several windows concatenate (:meth:`concat`) once
    their codes name the same observers (:meth:`recode`)."""

    src: IP
    event_t: F8
    zt: F8
    wt: F8
    has_t: B
    sd_t: F8
    zaz: F8
    waz: F8
    has_az: B
    event: IP
    #: read against an event the report is not a member of (``clock_gate_s``)
    free: B

    def take(self, idx: IP | B) -> Residuals:
        return Residuals(*(np.asarray(getattr(self, f))[idx] for f in _FIELDS))

    def recode(self, codes: IP) -> Residuals:
        """The same residuals with observer code ``c`` renamed ``codes[c]``."""
        return replace(self, src=np.asarray(codes, np.intp)[self.src])

    @staticmethod
    def concat(parts: Sequence[Residuals], apart: bool = True) -> Residuals:
        """One residuals of ``parts``; ``apart``: of events of different windows
        (each part's event ids moved past the previous parts')."""
        if not parts:
            return Residuals.empty()
        if not apart:
            return Residuals(*(np.concatenate([getattr(p, f) for p in parts]) for f in _FIELDS))
        base = np.cumsum([0] + [int(p.event.max()) + 1 if p.event.shape[0] else 0 for p in parts])
        parts = [replace(p, event=p.event + b) for p, b in zip(parts, base[:-1], strict=True)]
        return Residuals(*(np.concatenate([getattr(p, f) for p in parts]) for f in _FIELDS))

    @staticmethod
    def empty() -> Residuals:
        f, b, i = np.zeros(0), np.zeros(0, bool), np.zeros(0, np.intp)
        return Residuals(i, f, f, f, b, f, f, f, b, i, b)


_FIELDS = (
    "src", "event_t", "zt", "wt", "has_t", "sd_t", "zaz", "waz", "has_az", "event", "free",
)  # fmt: skip


def residuals(rep: Reports, cl: Clusters, cfg: RegistrationConfig) -> Residuals:
    """The members of the fitted events of ``cl`` with at least ``min_observers``
    observers, with their residuals as registration reads them. A member's
    in-sample residual is weighed by 1 - h (h: its leverage in the fit: variance
    σ² (1 - h))."""
    n_src = rep.n_src
    idx = np.flatnonzero(cl.labels >= 0)
    if idx.shape[0] == 0 or cl.n == 0:
        return Residuals.empty()
    g = cl.labels[idx]
    src = rep.src[idx]
    # distinct observers per event
    pair = unique(g.astype(np.int64) * n_src + src)
    n_obs = np.bincount((pair // n_src).astype(np.intp), minlength=cl.n)
    keep = ((n_obs >= cfg.min_observers) & fitted(cl))[g]
    idx, g, src = idx[keep], g[keep], src[keep]
    if idx.shape[0] == 0:
        return Residuals.empty()
    rows = rep.rows.take(idx)
    ev = cl
    if cfg.read_seen_sigma_s > 0 and (rows.speed_factor == 0.0).any():
        # the events refitted with the seen times blunted (the association's own
        # clusters stay as they are)
        seen = rows.speed_factor == 0.0
        floor = np.maximum(rows.sigma_t, cfg.read_seen_sigma_s)
        rows = replace(rows, sigma_t=np.where(seen, floor, rows.sigma_t))
        f = solve_fit(rows, g, cl.n, cl.x, cl.y, cl.T, rep.c)
        ev = cl.copy()
        ev.x, ev.y, ev.T, ev.cov = f.x, f.y, f.T, f.cov
    rn, M, _ = normalized(rows, g, ev, rep.c)  # components: bearing, time, range

    def component(j: int) -> tuple[F8, F8, B]:
        has = np.isfinite(rows.az) if j == 0 else np.isfinite(rows.t)
        w = np.where(has, np.clip(1.0 - M[:, j, j], 0.0, 1.0), 0.0)
        return np.where(has, rn[:, j], 0.0), w, has

    zt, wt, has_t = component(1)
    zaz, waz, has_az = component(0)
    out = Residuals(
        src, ev.T[g], zt, wt, has_t, rows.sigma_t, zaz, waz, has_az, g.astype(np.intp),
        np.zeros(g.shape[0], bool),
    )  # fmt: skip
    more = [out]
    if cfg.free_gate_sd > 0:
        more.append(free_residuals(rep, cl, n_obs >= cfg.min_observers, cfg))
    if cfg.clock_gate_s > 0:
        more.append(clock_residuals(rep, cl, n_obs >= cfg.min_observers, cfg))
    return Residuals.concat(more, apart=False) if len(more) > 1 else out


def free_residuals(rep: Reports, cl: Clusters, ok: B, cfg: RegistrationConfig) -> Residuals:
    """The free bearings of ``rep`` read against events ``ok`` of ``cl`` (fitted):
    each against the event holding no report of its observer that it fits best
    (least sum of squared normalized innovations), kept when every component lies
    within ``free_gate_sd``; one report per (event, observer). Weight 1."""
    G = cfg.free_gate_sd
    free = np.flatnonzero((cl.labels < 0) & rep.is_bearing)
    ok = ok & fitted(cl)
    if free.shape[0] == 0 or not ok.any():
        return Residuals.empty()
    # candidates in time out to the gate (time_candidates looks 4 sigma out)
    r = rep.rows
    got = _free_candidates(rep, cl, free, ok, r.sigma_t * max(G / 4.0, 1.0))
    if got is None:
        return Residuals.empty()
    g, k, rows, rn, M = got
    with np.errstate(invalid="ignore"):
        z = rn[:, :2] / np.sqrt(1.0 + np.maximum(np.diagonal(M, axis1=1, axis2=2)[:, :2], 0.0))
    has = np.column_stack([np.isfinite(rows.az), np.isfinite(rows.t)])
    z = np.where(has, np.nan_to_num(z), 0.0)
    inside = np.all(np.abs(z) <= G, axis=1)
    g, k, z, has = g[inside], k[inside], z[inside], has[inside]
    sel = _best_pairs(g, k, np.sum(z * z, axis=1), rep.src, rep.n_src)
    g, k, z, has = g[sel], k[sel], z[sel], has[sel]
    one = np.ones(k.shape[0])
    return Residuals(
        rep.src[k], cl.T[g], z[:, 1], np.where(has[:, 1], one, 0.0), has[:, 1],
        r.sigma_t[k], z[:, 0], np.where(has[:, 0], one, 0.0), has[:, 0], g.astype(np.intp),
        np.zeros(g.shape[0], bool),
    )  # fmt: skip


def _free_candidates(
    rep: Reports, cl: Clusters, free: IP, ok: B, sigma_t: F8
) -> tuple[IP, IP, Rows, F8, F8] | None:
    """Candidate (event ``g``, free report ``k``) pairs: events ``ok`` within the
    time window of ``free``'s reports at time σ ``sigma_t`` (s, per report), whose
    slot for the report's observer is free; with the reports' rows and
    :func:`~.gates.normalized`'s residuals ``rn`` and ``M``. None when there are none."""
    wide = Reports(
        replace(rep.rows, sigma_t=sigma_t), rep.src, rep.direction, rep.c, rep.max_range_m,
        rep.min_tdoa_sensors,
    )  # fmt: skip
    g, k = time_candidates(wide, free, cl)
    keep = ok[g] & slot_free(rep, g, k, cl.labels)
    g, k = g[keep], k[keep]
    if g.shape[0] == 0:
        return None
    rows = rep.rows.take(k)
    rn, M, _ = normalized(rows, g, cl, rep.c)
    return g, k, rows, rn, M


def _best_pairs(g: IP, k: IP, cost: F8, src: IP, n_src: int) -> IP:
    """Of candidate (event ``g``, report ``k``) pairs costing ``cost``: each report's
    least-cost event, then each (event, observer ``src[k]``) its least-cost report
    (ties to the lower event, then report). Returns the chosen pairs' indices."""
    order = np.lexsort((g, cost, k))
    first = np.ones(order.shape[0], bool)
    first[1:] = k[order][1:] != k[order][:-1]
    sel = order[first]
    key = g[sel].astype(np.int64) * n_src + src[k[sel]]
    o2 = np.lexsort((k[sel], cost[sel], key))
    f2 = np.ones(o2.shape[0], bool)
    f2[1:] = key[o2][1:] != key[o2][:-1]
    return np.asarray(sel[o2[f2]], dtype=np.intp)


def clock_residuals(rep: Reports, cl: Clusters, ok: B, cfg: RegistrationConfig) -> Residuals:
    """The free timed bearings of ``rep`` read against events ``ok`` of ``cl``: each
    against the event holding no report of its observer whose bearing it fits best
    (normalized innovation within ``clock_gate_az_sd``), its time residual within
    ``clock_gate_s``; one report per (event, observer). ``free`` set, weight 1."""
    free = np.flatnonzero((cl.labels < 0) & rep.is_bearing & np.isfinite(rep.rows.t))
    ok = ok & fitted(cl)
    if free.shape[0] == 0 or not ok.any():
        return Residuals.empty()
    r = rep.rows
    got = _free_candidates(rep, cl, free, ok, np.maximum(r.sigma_t, cfg.clock_gate_s / 4.0))
    if got is None:
        return Residuals.empty()
    g, k, rows, rn, M = got
    with np.errstate(invalid="ignore"):
        zaz = rn[:, 0] / np.sqrt(1.0 + np.maximum(M[:, 0, 0], 0.0))
    dt = rn[:, 1] * rows.sigma_t  # s
    inside = (np.abs(zaz) <= cfg.clock_gate_az_sd) & (np.abs(dt) <= cfg.clock_gate_s)
    g, k, zaz, dt = g[inside], k[inside], zaz[inside], dt[inside]
    sel = _best_pairs(g, k, zaz * zaz, rep.src, rep.n_src)
    g, k, dt = g[sel], k[sel], dt[sel]
    n = k.shape[0]
    one, no = np.ones(n), np.zeros(n, bool)
    return Residuals(
        rep.src[k], cl.T[g], dt / r.sigma_t[k], one, ~no, r.sigma_t[k], np.zeros(n),
        np.zeros(n), no, g.astype(np.intp), ~no,
    )  # fmt: skip


def estimate(res: Residuals, n_src: int, cfg: RegistrationConfig) -> Registration:
    """Each observer's clock offset and noise scales from ``res`` (codes below
    ``n_src``): the offset is the mean time residual over the members' own weight,
    shrunk to 0 by ``prior_reports``; a residual beyond ``clip_sd`` counts as
    ``clip_sd`` (another round's report among the members must not make the
    observer look noisy). Scales only grow: a stated σ is a floor."""
    every = res  # with the free reports' residuals, for the modes of sharp clocks
    if res.free.any():
        res = res.take(~res.free)
    if res.src.shape[0] == 0 and not (cfg.clock_gate_s > 0 and every.src.shape[0]):
        return Registration(np.zeros(n_src), np.ones(n_src), np.ones(n_src), np.zeros(n_src))
    if cfg.mixture:
        return _estimate_mixture(res, n_src, cfg)
    src = res.src
    n0 = cfg.prior_reports
    c2 = cfg.clip_sd**2
    sd = res.sd_t
    st = np.bincount(src, weights=res.wt, minlength=n_src).astype(np.float64)
    off_z = np.bincount(
        src, weights=np.clip(res.zt, -cfg.clip_sd, cfg.clip_sd) * sd, minlength=n_src
    )
    n_t = _count(src, res.has_t, n_src)
    offset = np.where(n_t >= cfg.min_reports, off_z / (st + n0), 0.0)
    zt = np.where(res.wt > 0, res.zt - offset[src] / sd * res.wt, 0.0)
    n_mode = np.zeros(n_src)
    if cfg.clock_gate_s > 0:
        # the mode where it disagrees with the members' mean: association's gates hid
        # that clock (else the mean, as for any observer)
        mode, n_mode = _mode_offsets(every, n_src, cfg)
        n_mode = np.where(np.abs(mode - offset) > cfg.clock_mode_margin_s, n_mode, 0.0)
        offset = np.where(n_mode > 0, mode, offset)
        zt = np.where(res.wt > 0, res.zt - offset[src] / sd * res.wt, 0.0)

    def scale(z: F8, sw: F8, n: F8) -> F8:
        ss = np.bincount(src, weights=np.minimum(z * z, c2), minlength=n_src)
        if cfg.pool_scales:
            prior = min(max((ss.sum() + n0) / (sw.sum() + n0), 1.0), cfg.max_scale**2)
            var = (ss + n0 * prior) / (sw + n0)
            return np.asarray(np.sqrt(np.clip(var, 1.0, cfg.max_scale**2)), dtype=np.float64)
        var = (ss + n0) / (sw + n0)
        v = np.where(n >= cfg.min_reports, np.clip(var, 1.0, cfg.max_scale**2), 1.0)
        return np.asarray(np.sqrt(v), dtype=np.float64)

    s_t = scale(zt, st, n_t)
    saz = np.bincount(src, weights=res.waz, minlength=n_src).astype(np.float64)
    n_az = _count(src, res.has_az, n_src)
    s_az = scale(res.zaz, saz, n_az)
    return Registration(offset, s_az, s_t, np.maximum(np.maximum(n_t, n_az), n_mode))


def _mode_offsets(res: Residuals, n_src: int, cfg: RegistrationConfig) -> tuple[F8, F8]:
    """Each sharp observer's clock offset (s) as the mode of its time residuals:
    members' leave-one-out ones (in-sample over 1 - h, where 1 - h ≥ 0.2) and free
    ones within ``clock_gate_s`` (:func:`clock_residuals`). A box of ± ``clock_band``
    × their median σ (at least ``clock_band_min_s``) slides over them; the offset
    is the mean of those in the fullest box. Also how many that box holds (0: not
    found: fewer than ``min_reports``, or the observer's least σ above
    ``clock_mode_sigma_s``)."""
    member = res.has_t & ~res.free & (res.wt >= 0.2)
    x_all = np.where(member, res.zt * res.sd_t / np.maximum(res.wt, 1e-9), res.zt * res.sd_t)
    use = member | (res.free & res.has_t & (np.abs(x_all) <= cfg.clock_gate_s))
    x, o, sd = x_all[use], res.src[use], res.sd_t[use]
    band = np.maximum(cfg.clock_band * sd, cfg.clock_band_min_s)
    off, count = np.zeros(n_src), np.zeros(n_src)
    least = np.full(n_src, np.inf)
    np.minimum.at(least, o, sd)
    order = np.lexsort((x, o))
    x, o, band = x[order], o[order], band[order]
    starts = np.searchsorted(o, np.arange(n_src + 1))
    for j in np.flatnonzero(least <= cfg.clock_mode_sigma_s):
        xs = x[starts[j] : starts[j + 1]]
        if xs.shape[0] < cfg.min_reports:
            continue
        h = float(np.median(band[starts[j] : starts[j + 1]]))
        inside = np.searchsorted(xs, xs + 2.0 * h, side="right") - np.arange(xs.shape[0])
        best = int(np.argmax(inside))
        if inside[best] >= cfg.min_reports:
            off[j] = float(np.mean(xs[best : best + inside[best]]))
            count[j] = inside[best]
    return off, count


def _estimate_mixture(res: Residuals, n_src: int, cfg: RegistrationConfig) -> Registration:
    """:func:`estimate` with each residual weighed by its probability of being of
    its event (``RegistrationConfig.mixture``) instead of clipped."""
    src = res.src
    n0 = cfg.prior_reports
    L = cfg.mixture_sd
    flat = 1.0 / (2.0 * L)  # clutter: uniform over +-L (normalized units)
    n_t = _count(src, res.has_t, n_src)
    n_az = _count(src, res.has_az, n_src)

    def fit(z: F8, w: F8, has: B, n: F8, sd: F8 | None) -> tuple[F8, F8]:
        """Offset (s; 0 when ``sd`` is None) and scale per observer."""
        on = has & (np.abs(z) <= L)
        # start from the clipped spread (from 1 the wide reports of a noisy observer
        # would all read as clutter: EM's other fixed point)
        sw0 = np.bincount(src, weights=np.where(on, w, 0.0), minlength=n_src)
        c2 = cfg.clip_sd**2
        ss0 = np.bincount(src, weights=np.where(on, np.minimum(z * z, c2), 0.0), minlength=n_src)
        s2 = np.clip((ss0 + n0) / (sw0 + n0), 1.0, cfg.max_scale**2)
        a, b = cfg.mixture_prior
        n_on = _count(src, on, n_src)
        share = np.full(n_src, a / (a + b))
        off = np.zeros(n_src)
        for _ in range(cfg.mixture_iter):
            zc = z - off[src] / sd * w if sd is not None else z
            v = s2[src] * np.maximum(w, 0.05)  # an in-sample residual's variance: s² (1 - h)
            dens = np.exp(-0.5 * zc * zc / v) / np.sqrt(2.0 * np.pi * v)
            pt = share[src] * dens
            r = np.where(on, pt / (pt + (1.0 - share[src]) * flat), 0.0)
            sw = np.bincount(src, weights=r * w, minlength=n_src)
            if sd is not None:
                o = np.bincount(src, weights=r * z * sd, minlength=n_src) / (sw + n0)
                off = np.where(n >= cfg.min_reports, o, 0.0)
                zc = z - off[src] / sd * w
            ss = np.bincount(src, weights=r * zc * zc, minlength=n_src)
            var = (ss + n0) / (sw + n0)
            s2 = np.where(n >= cfg.min_reports, np.clip(var, 1.0, cfg.max_scale**2), 1.0)
            nr = np.bincount(src, weights=r, minlength=n_src)
            share = np.clip((nr + a) / (n_on + a + b), 0.05, 0.99)
        return off, np.sqrt(s2)

    offset, s_t = fit(res.zt, res.wt, res.has_t, n_t, res.sd_t)
    _, s_az = fit(res.zaz, res.waz, res.has_az, n_az, None)
    return Registration(offset, s_az, s_t, np.maximum(n_t, n_az))


def register(rep: Reports, cl: Clusters, cfg: RegistrationConfig) -> Registration:
    """Each observer's clock offset and noise scales from its members of the fitted
    events of ``cl`` (:func:`residuals`, then :func:`estimate`)."""
    return estimate(residuals(rep, cl, cfg), rep.n_src, cfg)


def _count(src: IP, has: B, n_src: int) -> F8:
    """Per observer code, how many of its rows have ``has``."""
    return np.asarray(np.bincount(src[has], minlength=n_src), dtype=np.float64)
