"""The detection law of arrival sensors (microphones), read against a proposed
source: would the microphones that stayed silent have heard a round that the
ones in the proposal heard?

Every microphone hears by one law, p(d) = p0 / (1 + (d / L)⁴) at distance d (m),
nothing beyond ``cutoff`` x L, with one loudness L per round (its weapon, phase,
day or night: unknown here, so profiled over a grid). A microphone is *silent*
for a source at (x, y, T) when it was listening (it reported something within
``alive_s`` before and after its arrival time T + d / c) and reported nothing
near that time. The proposal's loss (nats) is how much less likely its hits and
silences are, at the best L, than its hits alone at the best L:
``n log p0 - max_L [sum_hits log p(D_i) + sum_silent log (1 - p(d_j))]``. A
silent microphone much nearer than the farthest hit costs about log 1 / (1 - p0)
= 3 nats; one as far or farther costs little.
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
    #: the 50 % distances profiled over, m (log-spaced)
    l50_min_m: float = 500.0
    l50_max_m: float = 80_000.0
    l50_steps: int = 48
    #: a report within this of the expected arrival (plus the source's own
    #: uncertainty over c and 3 time sd) means the microphone heard something, s
    quiet_s: float = 2.0
    #: a microphone listens when it reported within this before and after, s
    alive_s: float = 600.0


@dataclass(frozen=True)
class Microphones:
    """The arrival sensors of a set of reports: per sensor its position (m), its
    position rank (:attr:`Reports.position_id`) and largest time sd (s); and its
    reports' times (any label) as one sorted key, sensor index x ``span`` + (time
    - ``t0``)."""

    x: F8
    y: F8
    position_id: IP
    sigma_t: F8
    key: F8
    t0: float
    span: float

    @staticmethod
    def of(rep: Reports, alive_s: float) -> Microphones:
        arr = np.flatnonzero(np.isnan(rep.rows.az))
        if arr.shape[0] == 0:
            z = np.zeros(0)
            return Microphones(z, z, np.zeros(0, np.intp), z, z, 0.0, 1.0)
        out, starts, ends = observer_run_bounds(rep, arr)
        first = out[starts]
        t = rep.rows.t[out]
        t0 = float(t.min())
        # the stride covers every time and any window about them
        span = float(t.max()) - t0 + 4.0 * alive_s + 1.0
        sensor = np.repeat(np.arange(starts.shape[0]), ends - starts)
        sig = np.maximum.reduceat(rep.rows.sigma_t[out], starts)
        # runs are in position-rank order: ranks increase with the sensor index
        return Microphones(
            rep.rows.ox[first], rep.rows.oy[first], rep.position_id[first], sig,
            sensor * span + (t - t0), t0, span,
        )  # fmt: skip

    @property
    def n(self) -> int:
        return int(self.x.shape[0])

    def sensor_of(self, rep: Reports, rows: IP) -> IP:
        """The sensor index of each arrival row ``rows`` of ``rep``."""
        return np.searchsorted(self.position_id, rep.position_id[rows])


def silent(
    mics: Microphones, c: float, x: float, y: float, T: float, heard: IP, slack_s: float,
    cfg: HearingConfig,
) -> tuple[F8, F8]:  # fmt: skip
    """Distances (m) to a source at (``x``, ``y``) emitting at ``T`` (s) of the
    microphones in ``heard`` (sensor indices) and of the silent ones (listening,
    nothing reported within ``quiet_s`` + ``slack_s`` + 3 time sd of their arrival
    time)."""
    d = np.hypot(mics.x - x, mics.y - y)
    others = np.ones(mics.n, bool)
    others[heard] = False
    k = np.flatnonzero(others)
    if k.shape[0] == 0:
        return d[heard], np.zeros(0)
    at = k * mics.span + (T + d[k] / c - mics.t0)
    w = cfg.quiet_s + slack_s + 3.0 * mics.sigma_t[k]
    key = mics.key
    before = np.searchsorted(key, at - w, side="left")
    after = np.searchsorted(key, at + w, side="right")
    near = after > before
    # listening: a report of its own within alive_s on each side of the window
    a_lo = np.searchsorted(key, at - cfg.alive_s, side="left")
    a_hi = np.searchsorted(key, at + cfg.alive_s, side="right")
    alive = (before > a_lo) & (a_hi > after)
    return d[heard], d[k[alive & ~near]]


def loss_nats(hits_m: F8, silent_m: F8, cfg: HearingConfig) -> float:
    """How much less likely (nats) the hits at ``hits_m`` and the silences at
    ``silent_m`` are than the hits alone, each at its best loudness (module
    docstring); 0 with no silence."""
    if silent_m.shape[0] == 0 or hits_m.shape[0] == 0:
        return 0.0
    L = np.geomspace(cfg.l50_min_m, cfg.l50_max_m, cfg.l50_steps)[:, None]
    with np.errstate(divide="ignore"):
        ph = cfg.p0 / (1.0 + (hits_m[None, :] / L) ** 4)
        ph = np.where(hits_m[None, :] <= cfg.cutoff * L, ph, 0.0)
        ps = cfg.p0 / (1.0 + (silent_m[None, :] / L) ** 4)
        ps = np.where(silent_m[None, :] <= cfg.cutoff * L, ps, 0.0)
        ll_hits = np.log(ph).sum(axis=1)
        ll = ll_hits + np.log1p(-ps).sum(axis=1)
    best = float(ll.max())
    if not np.isfinite(best):
        return np.inf
    return float(ll_hits.max()) - best
