"""Corroboration of lone reports: a report no other observer's report joined is
flagged ``uncorroborated`` when nothing else was heard near it: no located
multi-observer event within ``located_m`` of its observer and ``located_s`` of
its time, and no other observer's lone report within ``lone_m`` and ``lone_s``
(:class:`CorroborationConfig`; the sound of one
round reaches observers 15 km apart within a minute; false reports coincide by
chance in wider windows).

Fire comes in engagements; false reports (a door slam, a misheard echo) come at
any time and from any direction. So a lone report is also corroborated by another
report of the same observer (same position) from about the same direction
(``self_deg``) within ``self_s``: an engagement heard
by one post alone.

Silence is evidence too: a lone report whose observer has several microphones
close by (``unheard_min_sensors`` within ``unheard_m``: an acoustic array's own),
none of which perceived anything while its sound would have passed them, is
flagged ``unheard`` and ``uncorroborated`` even where activity nearby corroborated
it. Measured on the simulator: see ``docs/fuse.md``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from ceasefire.fuse.corroborate_near import near_sorted_kernel
from ceasefire.fuse.explain import ExplainConfig, explain, run_starts
from ceasefire.fuse.keys import row_ranks
from ceasefire.fuse.obsindex import EventRows, RowIds, source_codes
from ceasefire.geo import LocalFrame
from ceasefire.model.arrays import ObservationArrays
from ceasefire.model.results import Event
from ceasefire.model.vocab import KINDS, SPEED_OF_SOUND_M_S

F8 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class CorroborationConfig:
    """When a lone report counts as corroborated (windows in m and s)."""

    #: a located multi-observer event within this distance of the lone report's
    #: observer and this time (one round's sound reaches observers 15 km apart within
    #: a minute: 20 km and 10 minutes, a former window, let every false report on a
    #: day of heavy fire pass)
    located_m: float = 15_000.0
    located_s: float = 120.0
    #: ... or another observer's lone report within this distance and time
    lone_m: float = 15_000.0
    lone_s: float = 120.0
    #: ... or the same observer's report from within this many degrees of its
    #: bearing within this time: an engagement heard by one post alone
    self_deg: float = 20.0
    self_s: float = 600.0
    #: a lone report whose observer has at least ``unheard_min_sensors`` listening
    #: arrival sensors (microphones that perceived something within
    #: ``unheard_alive_s``) within ``unheard_m``, none of which perceived anything
    #: within the sound's travel time over that distance (+ ``unheard_slack_s``), is
    #: flagged ``unheard`` and ``uncorroborated`` whatever else corroborates it
    unheard: bool = True
    unheard_m: float = 3_000.0
    unheard_min_sensors: int = 3
    unheard_slack_s: float = 1.0
    unheard_alive_s: float = 1_800.0
    #: lone bearings a located event explains are flagged ``explained`` and not
    #: counted (fuse/explain.py)
    explain: ExplainConfig = dataclasses.field(default_factory=ExplainConfig)


def corroborate(
    events: Sequence[Event],
    cfg: CorroborationConfig,
    obs: ObservationArrays | None = None,
    c: float = SPEED_OF_SOUND_M_S,
) -> list[Event]:
    """``events`` with ``uncorroborated`` added to the flags of lone reports that
    nothing corroborates (same order), and those a located event explains
    flagged ``explained`` when ``cfg.explain`` is on (fuse/explain.py). ``obs``:
    the observations fused (for the same observer's other reports; without them
    that test is skipped); ``c``: the speed of sound, m/s."""
    out = list(events)
    # acoustic reports with an anchor: lone ones (one observer; or no position, which
    # may corroborate others though two observers' reports corroborate it), and
    # located multi-observer events
    lone: list[int] = []
    located: list[int] = []
    lone_at: list[tuple[float, float]] = []
    located_at: list[tuple[float, float]] = []
    for k, e in enumerate(out):
        if e.kind == "sighting" or (a := _anchor(e)) is None:
            continue
        if "single_observer" in e.flags or e.lat is None or e.lon is None:
            lone.append(k)
            lone_at.append(a)
        else:
            located.append(k)
            located_at.append(a)
    if not lone:
        return explain(out, cfg.explain, obs, c)
    where = lone_at + located_at
    lat = np.array([a[0] for a in where], float)
    lon = np.array([a[1] for a in where], float)
    frame = LocalFrame.about(lat, lon)
    n = len(lone)
    # lone reports repeat their observers' positions, located events hardly ever:
    # each part projected on its own (pointwise: the same numbers), so the lone
    # part's repeats are found however many located events there are
    xl, yl = frame.to_xy(lat[:n], lon[:n])
    xe, ye = frame.to_xy(lat[n:], lon[n:], repeats=False)
    t = np.array([out[k].time_s for k in lone + located], float)
    t = t - t.min()
    tl = t[:n]
    found = _near(xl, yl, tl, xe, ye, t[n:], cfg.located_m, cfg.located_s, 0.0)
    # another observer's lone report (not the same observer: more than 1 m apart)
    found |= _near(xl, yl, tl, xl, yl, tl, cfg.lone_m, cfg.lone_s, 1.0)
    unheard = np.zeros(n, bool)
    ids: RowIds | None = None
    src: npt.NDArray[np.int64] | None = None
    ev_rows: EventRows | None = None
    if obs is not None and len(obs):
        # found once for both tests and explanation: every event's members' rows
        # once (explanation asks of lone, located and paired ones in turn)
        ids, src = RowIds.of(obs), source_codes(obs)
        ev_rows = EventRows.of(ids, out)
        lone_ev = [out[k] for k in lone]
        reports = ev_rows.members(lone)
        found |= _same_direction(lone_ev, obs, cfg, reports, src)
        if cfg.unheard:
            unheard = _unheard(lone_ev, obs, cfg, c, reports, src)
    for i, k in enumerate(lone):
        if "single_observer" not in out[k].flags:
            continue
        add = {"uncorroborated", "unheard"} if unheard[i] else set()
        if not found[i]:
            add.add("uncorroborated")
        if add:
            e = out[k]
            out[k] = dataclasses.replace(e, flags=tuple(sorted({*e.flags, *add})))
    return explain(out, cfg.explain, obs, c, ids, src, ev_rows)


def _near(
    qx: F8, qy: F8, qt: F8, px: F8, py: F8, pt: F8, r_m: float, w_s: float, min_m: float
) -> npt.NDArray[np.bool_]:
    """For each query point, whether a point lies within ``r_m`` (and beyond
    ``min_m``) in the plane and within ``w_s`` in time (compiled in
    :mod:`.corroborate_near` when numba is there: the same points found)."""
    found = np.zeros(qx.shape[0], bool)
    if px.shape[0] == 0 or qx.shape[0] == 0:
        return found
    s = r_m / w_s  # time in metres: a box |Δx|, |Δy| <= r and |Δt| <= w, then the disc
    kernel = near_sorted_kernel()
    if kernel is not None:
        ps = pt * s
        order = ps.argsort(kind="stable")
        out: npt.NDArray[np.bool_] = kernel(qx, qy, qt * s, px, py, ps[order], order, r_m, min_m)
        return out
    q = cKDTree(np.column_stack([qx, qy, qt * s]))
    p = cKDTree(np.column_stack([px, py, pt * s]))
    # the pairs as arrays (a sparse matrix object costs more than the search here)
    near = q.sparse_distance_matrix(p, r_m, p=np.inf, output_type="ndarray")
    i, j = near["i"].astype(np.intp), near["j"].astype(np.intp)
    d = np.hypot(px[j] - qx[i], py[j] - qy[i])
    found[i[(d <= r_m) & (d > min_m)]] = True
    return found


def _anchor(e: Event) -> tuple[float, float] | None:
    """Where a lone report was made: its observer, else its own position."""
    if e.observer_lat is not None and e.observer_lon is not None:
        return e.observer_lat, e.observer_lon
    if e.lat is not None and e.lon is not None:
        return e.lat, e.lon
    return None


def _same_direction(
    lone: Sequence[Event],
    obs: ObservationArrays,
    cfg: CorroborationConfig,
    reports: tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]],
    src: npt.NDArray[np.int64],
) -> npt.NDArray[np.bool_]:
    """For each lone event, whether its observer made another bearing report (not one
    of the event's own) within ``self_s`` and ``self_deg``
    of the event's first report. ``reports``: (event, row) of the lone events'
    reports (:meth:`RowIds.members`); ``src``: each row's observer code
    (:func:`source_codes`)."""
    found = np.zeros(len(lone), bool)
    b = np.flatnonzero(np.isfinite(obs.bearing_deg))
    if b.shape[0] < 2 or not lone:
        return found
    # one observer = one source at one position
    code = row_ranks(src[b].astype(np.float64), obs.lat[b], obs.lon[b])
    order = np.lexsort((obs.time_s[b], code))
    rows = b[order]
    c_sorted = code[order].astype(np.float64)
    span = float(obs.time_s[b].max() - obs.time_s[b].min()) + 4.0 * cfg.self_s + 1.0
    key = c_sorted * span + (obs.time_s[rows] - obs.time_s[b].min())
    # each lone event's reports, as positions in ``rows`` (non-bearing ones dropped)
    owner, at = reports
    pos = np.full(len(obs), -1, np.intp)
    pos[rows] = np.arange(rows.shape[0])
    hit = pos[at] >= 0
    if not hit.any():
        return found
    ev, rk = owner[hit], pos[at[hit]]
    first = run_starts(ev)
    q_ev, q_k = ev[first], rk[first]  # each event's first report
    lo = np.searchsorted(key, key[q_k] - cfg.self_s, side="left")
    hi = np.searchsorted(key, key[q_k] + cfg.self_s, side="right")
    cnt = hi - lo
    c_ev = np.repeat(q_ev, cnt)
    c_k = np.repeat(q_k, cnt)
    c_j = np.repeat(lo - (np.cumsum(cnt) - cnt), cnt) + np.arange(int(cnt.sum()))
    n_rows = rows.shape[0]
    # the event's own reports: a sorted search (np.isin's set-up costs more here)
    own = ev * n_rows + rk
    own.sort()
    cand = c_ev * n_rows + c_j
    mine = own[np.minimum(own.searchsorted(cand), own.shape[0] - 1)] == cand
    d = (obs.bearing_deg[rows[c_j]] - obs.bearing_deg[rows[c_k]] + 180.0) % 360.0 - 180.0
    ok = ~mine & (np.abs(d) <= cfg.self_deg)
    found[c_ev[ok]] = True
    return found


def _unheard(
    lone: Sequence[Event],
    obs: ObservationArrays,
    cfg: CorroborationConfig,
    c: float,
    reports: tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]],
    src: npt.NDArray[np.int64],
) -> npt.NDArray[np.bool_]:
    """For each lone event: its observer has at least ``unheard_min_sensors`` arrival
    sensors within ``unheard_m`` that are listening (they perceived something within
    ``unheard_alive_s``), and none of them perceived anything within ``unheard_m`` / c
    + ``unheard_slack_s`` of the event's first report. ``reports``, ``src``: as
    :func:`_same_direction` takes them."""
    out = np.zeros(len(lone), bool)
    arr = np.flatnonzero(obs.kind == KINDS.index("arrival"))
    if arr.shape[0] == 0 or not lone:
        return out
    owner, at = reports
    first = run_starts(owner)
    have, rows = owner[first], at[first]  # each event's first report
    frame = LocalFrame.about(obs.lat, obs.lon)
    # each arrival sensor where it first reported (microphones stay put)
    _, s_first, s_of = np.unique(src[arr], return_index=True, return_inverse=True)
    s_of = s_of.ravel()
    sx, sy = frame.to_xy(obs.lat[arr[s_first]], obs.lon[arr[s_first]])
    qx, qy = frame.to_xy(obs.lat[rows], obs.lon[rows])
    near = cKDTree(np.column_stack([qx, qy])).sparse_distance_matrix(
        cKDTree(np.column_stack([sx, sy])), cfg.unheard_m, output_type="ndarray"
    )
    pair_q, pair_s = near["i"].astype(np.intp), near["j"].astype(np.intp)  # (report, sensor)
    if not (np.bincount(pair_q, minlength=have.shape[0]) >= cfg.unheard_min_sensors).any():
        return out
    # each sensor's arrival times, sorted, in one array keyed by sensor; the key's
    # stride covers every time of the input (arrivals and reports) and the windows
    t0 = float(obs.time_s.min())
    reach_s = cfg.unheard_alive_s + cfg.unheard_m / c + cfg.unheard_slack_s
    span = float(obs.time_s.max()) - t0 + 4.0 * reach_s + 1.0
    key = np.sort(s_of.astype(np.float64) * span + (obs.time_s[arr] - t0))
    tq = obs.time_s[rows[pair_q]] - t0

    def any_within(w_s: float) -> npt.NDArray[np.bool_]:
        lo = np.searchsorted(key, pair_s * span + tq - w_s, side="left")
        hi = np.searchsorted(key, pair_s * span + tq + w_s, side="right")
        return np.asarray(hi > lo)

    heard = any_within(cfg.unheard_m / c + cfg.unheard_slack_s)
    # a microphone listens if it perceived anything within unheard_alive_s (a dead
    # one is silent all the time and says nothing)
    alive = any_within(cfg.unheard_alive_s)
    n_alive = np.bincount(pair_q, weights=alive.astype(np.float64), minlength=have.shape[0])
    n_heard = np.bincount(pair_q, weights=heard.astype(np.float64), minlength=have.shape[0])
    out[have] = (n_alive >= cfg.unheard_min_sensors) & (n_heard == 0)
    return out
