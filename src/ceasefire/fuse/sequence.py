"""A burst counted over its whole sequence: a lone bearing the slot rule kept
counted is a leftover of a counted round when its observer heard no more rounds
of the burst than the burst has located events.

Explanation (:mod:`.explain`) refuses a lone bearing at a located event's point
when the bearing's observer already holds that point (the slot rule: an observer
reports one round once, so its second report of a spot is the battery's next
round). In a burst that is often wrong the other way: the observer's report in
the event is a neighbour round's, and the lone bearing is the event's own round
heard once. Each observer hears each round of a burst at most once, and in
firing order, so the number of rounds a burst holds is at least what any one
observer reports of it. Here, for a lone bearing refused by the slot rule at a
point ``j``:

- the burst: the located events with a point within ``burst_m`` of ``j`` and an
  emission time within ``burst_s`` of ``j``'s (``K`` events);
- the observer's reports of the burst: its bearing reports (lone or in any event)
  whose ray passes ``j`` (bearing residual over the stated σ × ``sigma_scale`` and
  the point's σ across the ray within ``gate_chi2``) and whose emission time at
  ``j`` falls within the burst's emission span widened by the clock slack and
  ``time_sd`` time σ;
- the bearing is a leftover when those reports can be given to distinct burst
  events in time order, each within the same widened window of its event's
  emission time (so at most ``K`` of them): the observer heard no round the
  burst's events do not already count. It is then explained by the event its
  report is given to.

Off by default (:class:`SequenceConfig`); measured in ``docs/family.md``,
"Session 26, sequence".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

from ceasefire.geo import inverse
from ceasefire.model.arrays import ObservationArrays
from ceasefire.model.vocab import SENSES

F8 = npt.NDArray[np.float64]
IP = npt.NDArray[np.intp]
I8 = npt.NDArray[np.int64]
SEEN = SENSES.index("seen")
#: :func:`_burst_slot`'s answers other than an event
NOT_PASSING, MORE_REPORTS, OUT_OF_ORDER = -2, -3, -4


@dataclass(frozen=True)
class SequenceConfig:
    """When a slot-refused lone bearing is a burst's leftover (m, s)."""

    #: off: the slot rule alone decides (docs/family.md, session 26)
    enabled: bool = False
    #: a burst's points lie within this distance of the refused point, m (fixed
    #: launch points of one battery scatter by their σ, hundreds of metres)
    burst_m: float = 1_500.0
    #: ... and were emitted within this long of it, s (the family's spacing is
    #: 3-30 s)
    burst_s: float = 40.0
    #: a report's time fits an event within this many of its time σ, plus the
    #: clock slack
    time_sd: float = 3.0
    #: which lone bearings are tried: ``"slot"``, those the slot rule refused at a
    #: point within the gate; ``"ray"``, also those whose ray passes a point emitted
    #: within ``burst_s`` of the report's emission there (the time gate left to the
    #: burst's order)
    reach: Literal["slot", "ray"] = "slot"
    #: at most this many points are tried per lone bearing (least cost first)
    tries: int = 4
    #: the burst's count must be witnessed: some other observer holds a report in
    #: every one of its (two or more) events, so it heard the whole burst
    witness: bool = False


class _PointsLike(Protocol):
    """Explanation's candidate points (:class:`.explain._Points`): event index,
    lat/lon, emission window (s), cov (E, N m²)."""

    @property
    def event(self) -> IP: ...
    @property
    def lat(self) -> F8: ...
    @property
    def lon(self) -> F8: ...
    @property
    def t_lo(self) -> F8: ...
    @property
    def t_hi(self) -> F8: ...
    @property
    def cov(self) -> F8: ...


def leftovers(
    cand_li: IP,
    cand_pj: IP,
    rows: IP,
    pts: _PointsLike,
    obs: ObservationArrays,
    src: I8,
    cfg: SequenceConfig,
    gate_chi2: float,
    sigma_scale: float,
    slack_seen_s: float,
    slack_heard_s: float,
    c: float,
    holders: tuple[IP, I8] | None = None,
) -> IP:
    """For each lone report ``rows[i]``, the event index (``pts.event``'s) that
    takes it as a burst's leftover (module docstring), or -1. ``cand_li``,
    ``cand_pj``: the (index into ``rows``, point) pairs to try (``reach``), each
    row's in the order tried; ``src``: each observation's observer code; the
    gate, σ scale and clock slacks are explanation's
    (:class:`.explain.ExplainConfig`); ``holders``: (event index, observer code) of
    the events' members, for ``witness``."""
    out = np.full(rows.shape[0], -1, np.intp)
    if not cfg.enabled or cand_li.shape[0] == 0:
        return out
    has_b = np.isfinite(obs.bearing_deg)
    t_mid = 0.5 * (pts.t_lo + pts.t_hi)
    tried = np.zeros(rows.shape[0], np.intp)
    for i, j in zip(cand_li.tolist(), cand_pj.tolist(), strict=True):
        if out[i] >= 0 or tried[i] >= cfg.tries:
            continue
        tried[i] += 1
        by = _burst_slot(
            int(rows[i]), j, pts, t_mid, obs, src, has_b, cfg, gate_chi2, sigma_scale,
            slack_seen_s, slack_heard_s, c,
        )  # fmt: skip
        if by >= 0 and (not cfg.witness or _witnessed(by, j, pts, t_mid, cfg, holders)):
            out[i] = by
    return out


def _burst_slot(
    row: int,
    j: int,
    pts: _PointsLike,
    t_mid: F8,
    obs: ObservationArrays,
    src: I8,
    has_b: npt.NDArray[np.bool_],
    cfg: SequenceConfig,
    gate_chi2: float,
    sigma_scale: float,
    slack_seen_s: float,
    slack_heard_s: float,
    c: float,
    need_row: bool = True,
) -> int:
    """The burst event (``pts.event``'s index) that report ``row`` goes to when
    its observer's reports of the burst at point ``j`` fit the burst's events one
    each in time order, else why not: ``MORE_REPORTS`` (the observer heard more
    of the spot than the burst has events), ``OUT_OF_ORDER`` (no order fits the
    events' times), -1 (``row`` does not pass ``j``: its ray, or the burst's span;
    ``NOT_PASSING`` when not ``need_row``)."""
    near_t = np.flatnonzero(np.abs(t_mid - t_mid[j]) <= cfg.burst_s)
    _, d = inverse(
        np.full(near_t.shape[0], pts.lat[j]), np.full(near_t.shape[0], pts.lon[j]),
        pts.lat[near_t], pts.lon[near_t],
    )  # fmt: skip
    burst = near_t[d <= cfg.burst_m]
    # one window per event: of its points in the burst, the one nearest j in time
    order = np.lexsort((np.abs(t_mid[burst] - t_mid[j]), pts.event[burst]))
    burst = burst[order]
    first = np.r_[True, pts.event[burst][1:] != pts.event[burst][:-1]]
    burst = burst[first]
    burst = burst[np.argsort(t_mid[burst], kind="stable")]
    lo, hi = pts.t_lo[burst], pts.t_hi[burst]
    # the observer's bearing reports whose ray passes j, in the burst's time span
    mine = np.flatnonzero((src == src[row]) & has_b)
    az, dist = inverse(
        obs.lat[mine], obs.lon[mine],
        np.full(mine.shape[0], pts.lat[j]), np.full(mine.shape[0], pts.lon[j]),
    )  # fmt: skip
    seen = obs.sense[mine] == SEEN
    e = obs.time_s[mine] - np.where(seen, 0.0, dist / c)
    sd_t = sigma_scale * np.nan_to_num(obs.time_sigma_s[mine], nan=1.0)
    tol = np.where(seen, slack_seen_s, slack_heard_s) + cfg.time_sd * sd_t
    db = (obs.bearing_deg[mine] - az + 180.0) % 360.0 - 180.0
    a = np.radians(az)
    cv = pts.cov[j]
    v_perp = np.maximum(cv[0] * np.cos(a) ** 2 + cv[1] * np.sin(a) ** 2
                        - 2.0 * cv[2] * np.cos(a) * np.sin(a), 0.0)  # fmt: skip
    sd_b = np.hypot(
        sigma_scale * obs.bearing_sigma_deg[mine],
        np.degrees(np.sqrt(v_perp) / np.maximum(dist, 1.0)),
    )
    passes = (db / sd_b) ** 2 <= gate_chi2
    inside = (e >= lo.min() - tol) & (e <= hi.max() + tol)
    keep = passes & inside
    mine, e, tol = mine[keep], e[keep], tol[keep]
    if row not in mine:
        return -1 if need_row else NOT_PASSING
    if mine.shape[0] > burst.shape[0]:
        return MORE_REPORTS
    o = np.argsort(e, kind="stable")
    mine, e, tol = mine[o], e[o], tol[o]
    # in time order, each report to the earliest later event whose window fits it
    k = 0
    given = -1
    for q in range(mine.shape[0]):
        while k < burst.shape[0] and not (lo[k] - tol[q] <= e[q] <= hi[k] + tol[q]):
            k += 1
        if k == burst.shape[0]:
            return OUT_OF_ORDER
        if mine[q] == row:
            given = int(pts.event[burst[k]])
        k += 1
    return given


def _witnessed(
    by: int,
    j: int,
    pts: _PointsLike,
    t_mid: F8,
    cfg: SequenceConfig,
    holders: tuple[IP, I8] | None,
) -> bool:
    """Whether some observer holds a report in every event of the burst at ``j``
    (two or more events; ``by`` among them)."""
    if holders is None:
        return False
    events = _burst_events(j, pts, t_mid, cfg)
    if events.shape[0] < 2:
        return False
    ev, who = holders
    inside = np.isin(ev, events)
    pairs = np.unique(ev[inside].astype(np.int64) * (int(who.max()) + 1) + who[inside])
    _, n = np.unique(pairs % (int(who.max()) + 1), return_counts=True)
    return bool(n.max(initial=0) >= events.shape[0])


def _burst_events(j: int, pts: _PointsLike, t_mid: F8, cfg: SequenceConfig) -> IP:
    """The events with a point within ``burst_m`` and ``burst_s`` of point ``j``."""
    near_t = np.flatnonzero(np.abs(t_mid - t_mid[j]) <= cfg.burst_s)
    _, d = inverse(
        np.full(near_t.shape[0], pts.lat[j]),
        np.full(near_t.shape[0], pts.lon[j]),
        pts.lat[near_t],
        pts.lon[near_t],
    )
    return np.unique(pts.event[near_t[d <= cfg.burst_m]])
