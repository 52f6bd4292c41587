"""The detection law of the microphones, read against a proposed source: would the
microphones that stayed silent have heard a round that the ones in the proposal
heard?

Every microphone (arrival sensor) hears by one law, p(d) = p0 / (1 + (d / L)⁴)
at distance d (m), nothing beyond ``cutoff`` x L, with one loudness L per round
(its weapon, phase, day or night: unknown here, so profiled over a grid). A
microphone is *silent* for a source at (x, y, T) when it was listening (it
reported something within ``alive_s`` before and after its arrival time T + d /
c) and reported nothing near that time. The proposal's loss (nats) is how much less
likely its hits and silences are, at the best L, than its hits alone at the best
L: ``max_L sum_hits log p(D_i) - max_L [sum_hits log p(D_i) + sum_silent log (1 -
p(d_j))]``. A silent microphone much nearer than the farthest hit costs about
log 1 / (1 - p0) = 3 nats; one as far or farther costs little.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ceasefire.fuse.association.reports import F8, IP, Reports, observer_run_bounds


@dataclass(frozen=True)
class HearingConfig:
    """The microphones' detection law and what counts as silence."""

    #: detection probability at zero distance
    p0: float = 0.95
    #: nothing is heard beyond this many 50 % distances
    cutoff: float = 2.5
    #: the microphones' 50 % distances profiled over, m (log-spaced)
    l50_min_m: float = 500.0
    l50_max_m: float = 80_000.0
    l50_steps: int = 48
    #: a report within this of the expected time (plus the source's own
    #: uncertainty over c and 3 time sd) means the microphone heard something, s
    quiet_s: float = 2.0
    #: a microphone listens when it reported within this before and after, s
    alive_s: float = 600.0


@dataclass(frozen=True)
class Listeners:
    """The microphones of a set of reports: per microphone its position (m),
    position rank (:attr:`Reports.position_id`), largest time sd (s) and speed
    factor (1: sound); and its reports' times (any label) as one sorted key,
    microphone index x ``span`` + (time - ``t0``)."""

    x: F8
    y: F8
    position_id: IP
    sigma_t: F8
    speed: F8
    key: F8
    t0: float
    span: float

    @staticmethod
    def of(rep: Reports, cfg: HearingConfig) -> Listeners:
        rows = rep.rows
        idx = np.flatnonzero(np.isnan(rows.az))
        if idx.shape[0] == 0:
            z = np.zeros(0)
            return Listeners(z, z, np.zeros(0, np.intp), z, z, z, 0.0, 1.0)
        out, starts, ends = observer_run_bounds(rep, idx)
        first = out[starts]
        t = rows.t[out]
        t0 = float(t.min())
        # the stride covers every time and any window about them
        span = float(t.max()) - t0 + 4.0 * cfg.alive_s + 1.0
        sensor = np.repeat(np.arange(starts.shape[0]), ends - starts)
        sig = np.maximum.reduceat(rows.sigma_t[out], starts)
        speed = np.maximum.reduceat(rows.speed_factor[out], starts)
        # runs are in position-rank order: ranks increase with the microphone index
        return Listeners(
            rows.ox[first], rows.oy[first], rep.position_id[first], sig, speed,
            sensor * span + (t - t0), t0, span,
        )  # fmt: skip

    @property
    def n(self) -> int:
        return int(self.x.shape[0])

    def of_rows(self, rep: Reports, rows: IP) -> IP:
        """The microphone index of each row ``rows`` of ``rep`` (-1: a bearing)."""
        if self.n == 0:
            return np.full(rows.shape[0], -1, np.intp)
        pid = rep.position_id[rows]
        k = np.minimum(np.searchsorted(self.position_id, pid), self.n - 1)
        return np.where(self.position_id[k] == pid, k, -1)


def silent(
    ls: Listeners, c: float, x: float, y: float, T: float, heard: IP, slack_s: float,
    cfg: HearingConfig,
) -> tuple[IP, F8]:  # fmt: skip
    """The microphones silent for a source at (``x``, ``y``) emitting at ``T`` (s):
    listening, not in ``heard``, and nothing reported within ``quiet_s`` +
    ``slack_s`` + 3 time sd of their arrival time; and every microphone's
    distance (m)."""
    d = np.hypot(ls.x - x, ls.y - y)
    others = np.ones(ls.n, bool)
    others[heard[heard >= 0]] = False
    k = np.flatnonzero(others)
    if k.shape[0] == 0:
        return k, d
    at = k * ls.span + (T + ls.speed[k] * d[k] / c - ls.t0)
    w = cfg.quiet_s + slack_s + 3.0 * ls.sigma_t[k]
    key = ls.key
    before = np.searchsorted(key, at - w, side="left")
    after = np.searchsorted(key, at + w, side="right")
    near = after > before
    # listening: a report of its own within alive_s on each side of the window
    a_lo = np.searchsorted(key, at - cfg.alive_s, side="left")
    a_hi = np.searchsorted(key, at + cfg.alive_s, side="right")
    alive = (before > a_lo) & (a_hi > after)
    return k[alive & ~near], d


def loss_nats(ls: Listeners, d: F8, hits: IP, quiet: IP, cfg: HearingConfig) -> float:
    """How much less likely (nats) the hits (microphone indices ``hits``) and the
    silences (``quiet``) are than the hits alone, each at its best loudness
    (module docstring); ``d`` every microphone's distance (m). 0 with no silence."""
    hits = hits[hits >= 0]
    if quiet.shape[0] == 0 or hits.shape[0] == 0:
        return 0.0
    L = np.geomspace(cfg.l50_min_m, cfg.l50_max_m, cfg.l50_steps)[:, None]

    def p(k: IP) -> F8:
        out = cfg.p0 / (1.0 + (d[k][None, :] / L) ** 4)
        return np.where(d[k][None, :] <= cfg.cutoff * L, out, 0.0)

    with np.errstate(divide="ignore"):
        ll_hits = np.log(p(hits)).sum(axis=1)
        ll = ll_hits + np.log1p(-p(quiet)).sum(axis=1)
    best = float(ll.max())
    if not np.isfinite(best):
        return np.inf
    return float(ll_hits.max()) - best
