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
scale lies in ``[1, max_scale]``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ceasefire.fuse.association.clusters import Clusters
from ceasefire.fuse.association.gates import fitted, normalized
from ceasefire.fuse.association.reports import F8, IP, B, Reports
from ceasefire.fuse.keys import unique
from ceasefire.fuse.solve import Rows


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
    #: every fix it joins, so its own residual stays near zero whatever its clock.
    #: When registration finds this data's clocks or sigmas misstated, seen reports
    #: are trusted to this much (family tuning draws 1000-1039: lone-report double
    #: counts 771 -> 261; docs/family.md); where nothing is off, nothing changes
    seen_time_sigma_min_s: float = 1.0


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


def register(rep: Reports, cl: Clusters, cfg: RegistrationConfig) -> Registration:
    """Each observer's clock offset and noise scales from its members of the fitted
    events of ``cl`` with at least ``min_observers`` observers. A member's in-sample
    residual is shrunk by its own weight in the fit (its leverage h: variance
    σ² (1 - h)), so the estimates divide by the sum of 1 - h, not the count; a
    residual beyond ``clip_sd`` counts as ``clip_sd`` (another round's report among
    the members must not make the observer look noisy). Scales only grow: a stated
    σ is a floor."""
    n_src = rep.n_src
    none = Registration(np.zeros(n_src), np.ones(n_src), np.ones(n_src), np.zeros(n_src))
    idx = np.flatnonzero(cl.labels >= 0)
    if idx.shape[0] == 0 or cl.n == 0:
        return none
    g = cl.labels[idx]
    src = rep.src[idx]
    # distinct observers per event
    pair = unique(g.astype(np.int64) * n_src + src)
    n_obs = np.bincount((pair // n_src).astype(np.intp), minlength=cl.n)
    keep = ((n_obs >= cfg.min_observers) & fitted(cl))[g]
    idx, g, src = idx[keep], g[keep], src[keep]
    if idx.shape[0] == 0:
        return none
    rows = rep.rows.take(idx)
    rn, M, _ = normalized(rows, g, cl, rep.c)  # components: bearing, time, range
    n0 = cfg.prior_reports
    c2 = cfg.clip_sd**2

    def component(j: int) -> tuple[F8, F8, F8]:
        has = np.isfinite(rows.az) if j == 0 else np.isfinite(rows.t)
        w = np.where(has, np.clip(1.0 - M[:, j, j], 0.0, 1.0), 0.0)
        z = np.where(has, rn[:, j], 0.0)
        return z, w, np.bincount(src, weights=w, minlength=n_src).astype(np.float64)

    zt, wt, st = component(1)
    # clock: the mean time residual over the members' own weight, shrunk to 0
    sd = rows.sigma_t
    off_z = np.bincount(src, weights=np.clip(zt, -cfg.clip_sd, cfg.clip_sd) * sd, minlength=n_src)
    n_t = _count(src, np.isfinite(rows.t), n_src)
    offset = np.where(n_t >= cfg.min_reports, off_z / (st + n0), 0.0)
    zt = np.where(wt > 0, zt - offset[src] / sd * wt, 0.0)

    def scale(z: F8, w: F8, sw: F8, n: F8) -> F8:
        ss = np.bincount(src, weights=np.minimum(z * z, c2), minlength=n_src)
        var = (ss + n0) / (sw + n0)
        v = np.where(n >= cfg.min_reports, np.clip(var, 1.0, cfg.max_scale**2), 1.0)
        return np.asarray(np.sqrt(v), dtype=np.float64)

    s_t = scale(zt, wt, st, n_t)
    zaz, waz, saz = component(0)
    n_az = _count(src, np.isfinite(rows.az), n_src)
    s_az = scale(zaz, waz, saz, n_az)
    return Registration(offset, s_az, s_t, np.maximum(n_t, n_az))


def _count(src: IP, has: B, n_src: int) -> F8:
    """Per observer code, how many of its rows have ``has``."""
    return np.asarray(np.bincount(src[has], minlength=n_src), dtype=np.float64)
