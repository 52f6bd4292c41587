"""Explaining away lone bearings at the counting stage: a lone report (one
observer, no position) is flagged ``explained`` (and ``explained_by:<event id>``)
when a located event accounts for it, so that assessment does not count it as a
violation of its own. It stays among the events, traceable to what explained it.

A located event explains a lone bearing when, at one of its points (its fix; a
paired round's launch point too):

- the bearing's ray passes the point: the bearing residual against the azimuth
  from the observer, over the stated bearing σ (× ``sigma_scale``) and the point's
  position σ across the ray, in quadrature;
- the time fits: the report's time against the point's emission time plus the
  sound's travel (none for a seen report), less a clock slack (``slack_seen_s``,
  ``slack_heard_s``: cameras' and people's clocks are seconds off), over the stated
  time σ (× ``sigma_scale``) with a floor for seen reports (``seen_floor_s``);
- the two squared residuals sum to at most ``gate_chi2``;
- the event holds no report of the same observer at that point (the slot rule:
  an observer reports one round once, so its second report of a point is another
  round of the battery). With ``slot`` = ``"event"`` the observer must be absent
  from the whole event.

A paired round's launch time is the median emission time, at the launch point, of
its members that the impact time does not explain (heard more than 3 σ + 1 s off
it); with none, any flight between the weapon class's speed × (1 ∓
``speed_spread``) fits.

Located pieces (``pieces``): an unpaired located event (no launch point, no ray
joined) is the same round split in two when a stronger located event (paired,
else more observers, else a sharper fix) has a point that explains each of its
reports as above (each within ``piece_gate_chi2``; the point's position σ over
the speed of sound joins each report's time σ), and none of its observers holds
that point. It is flagged the same way; an explainer is never itself explained.

Measured on the scenario family in session 13 (``docs/family.md``): many lone
bearings an event explains are a battery's *next* round (same spot, seconds
apart), which the scorer counts as found; at the tuned gate the double counts
removed outweigh them (test draws: 406 -> 388 double counts, 8 true rounds
fewer, F1 median unchanged, mean +0.0005).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from ceasefire.fuse.explain_near import (
    EARTH_R_M,
    SPHERE_LAT,
    SPHERE_M,
    TIME_SLACK_S,
    near_kernel,
    window_near_kernel,
)
from ceasefire.fuse.finite import nan_as
from ceasefire.fuse.keys import ranges
from ceasefire.fuse.obsindex import EventRows, RowIds, source_codes
from ceasefire.fuse.weapons import WEAPON_FLIGHTS, WeaponFlight
from ceasefire.geo import inverse
from ceasefire.model.arrays import ObservationArrays
from ceasefire.model.results import Event
from ceasefire.model.vocab import SENSES, SPEED_OF_SOUND_M_S

F8 = npt.NDArray[np.float64]
IP = npt.NDArray[np.intp]
I8 = npt.NDArray[np.int64]
SEEN = SENSES.index("seen")
#: the flag of an explained lone report; ``explained_by:<id>`` names the event
EXPLAINED = "explained"
EXPLAINED_BY = "explained_by:"


@dataclass(frozen=True)
class ExplainConfig:
    """When a located event explains a lone bearing, or a weaker located piece
    (windows in s, angles in deg)."""

    #: on: fewer double counts on the family's draws, F1 no lower (docs/family.md)
    enabled: bool = True
    #: the gate on the sum of the squared bearing and time residuals (2 dof; tuned
    #: on the family's tuning draws: 4 loses half as many true lone rounds per
    #: double count removed as 9-25)
    gate_chi2: float = 4.0
    #: stated σ (bearing and time) are multiplied by this (observers understate)
    sigma_scale: float = 1.0
    #: clock slack of seen and of heard reports, s (not counted against the time)
    slack_seen_s: float = 5.0
    slack_heard_s: float = 2.0
    #: a seen report's time σ is at least this, s (cameras' clocks)
    seen_floor_s: float = 1.0
    #: ``"point"``: the event holds no report of the observer at that point;
    #: ``"event"``: none at all
    slot: Literal["point", "event"] = "point"
    #: a paired round's launch time without launch members: the weapon's speed
    #: × (1 ∓ this)
    speed_spread: float = 0.3
    #: the weapons' speeds, by name (an undetermined one: any of them)
    weapons: Mapping[str, WeaponFlight] = field(default_factory=lambda: dict(WEAPON_FLIGHTS))
    #: farthest a lone report's source is from the point it may explain, m
    max_range_m: float = 45_000.0
    #: longest flight plus sound travel considered, s (bounds the candidate search)
    window_s: float = 400.0
    #: located pieces too: an unpaired located event each of whose reports a
    #: stronger located event's point explains (each within ``piece_gate_chi2``, its
    #: observer not holding that point) is the same round split in two
    #: (docs/family.md, session 14)
    pieces: bool = True
    #: the gate on each report of a piece (bearing and time residuals, 2 dof;
    #: 9 and 16 alike on the tuning draws, 16 took 6 true rounds more)
    piece_gate_chi2: float = 9.0


@dataclass(frozen=True)
class _Points:
    """Candidate points of located events: event index, lat/lon, emission time
    window [t_lo, t_hi] (s; equal when known), cov (E, N m²)."""

    event: IP
    lat: F8
    lon: F8
    t_lo: F8
    t_hi: F8
    cov: F8  # (P, 3): ee, nn, en


def explain(
    events: Sequence[Event],
    cfg: ExplainConfig,
    obs: ObservationArrays | None,
    c: float = SPEED_OF_SOUND_M_S,
    ids: RowIds | None = None,
    src: I8 | None = None,
    rows: EventRows | None = None,
) -> list[Event]:
    """``events`` with lone bearings a located event explains flagged
    ``explained`` and ``explained_by:<its id>`` (same order). ``obs``: the
    observations fused (the lone reports' and the events' members); ``c``: the
    speed of sound, m/s; ``ids``, ``src``: ``obs``'s :class:`RowIds` and
    :func:`source_codes` when the caller has them; ``rows``: ``events``' members'
    rows (:meth:`EventRows.of` by ``ids``) when the caller has them."""
    out = list(events)
    if not cfg.enabled or obs is None or len(obs) == 0:
        return out
    ids = RowIds.of(obs) if ids is None else ids
    rows = EventRows.of(ids, out) if rows is None else rows
    lone_k, lone_row = _lone_reports(out, obs, rows)
    located = [
        k
        for k, e in enumerate(out)
        if e.lat is not None
        and e.lon is not None
        and e.kind != "sighting"
        and "single_observer" not in e.flags
    ]
    if not located or (lone_k.shape[0] == 0 and not cfg.pieces):
        return out
    # the located events' members' rows, as a list of them
    loc_rows = rows.take(located)
    pts = _points([out[k] for k in located], obs, loc_rows, cfg, c)
    src = source_codes(obs) if src is None else src
    if cfg.pieces:
        for k, by_k in _explain_pieces(out, located, pts, obs, rows, loc_rows, src, cfg, c):
            out[k] = _flagged(out[k], out[by_k].id)
    if lone_k.shape[0] == 0:
        return out
    by = _explain_rows(lone_row, pts, obs, loc_rows, src, cfg, c)
    for i in np.flatnonzero(by >= 0):
        k = int(lone_k[i])
        out[k] = _flagged(out[k], out[located[int(by[i])]].id)
    return out


def run_starts(
    key: npt.NDArray[np.generic], also: npt.NDArray[np.generic] | None = None
) -> npt.NDArray[np.bool_]:
    """Whether each element of ``key`` (``(n,)``, sorted into runs) starts a run:
    the first, and each that differs from the one before (in ``key``, or in
    ``also``). ``np.r_[True, key[1:] != key[:-1]]`` without np.r_'s Python-level
    parsing (empty for an empty ``key``)."""
    out = np.empty(key.shape[0], bool)
    out[:1] = True
    np.not_equal(key[1:], key[:-1], out=out[1:])
    if also is not None:
        out[1:] |= also[1:] != also[:-1]
    return out


def _runs(key: npt.NDArray[np.generic]) -> tuple[IP, IP]:
    """The start and the length of each run of equal values of a sorted ``key``
    (``np.unique(key, return_index=True, return_counts=True)``'s index and counts
    without its Python-level set-up and sort)."""
    start = run_starts(key).nonzero()[0]
    count = np.empty(start.shape[0], np.intp)
    count[:-1] = start[1:] - start[:-1]
    count[-1:] = key.shape[0] - start[-1:]
    return start, count


def _flagged(e: Event, by: str) -> Event:
    return dataclasses.replace(e, flags=tuple(sorted({*e.flags, EXPLAINED, EXPLAINED_BY + by})))


def explained_by(e: Event) -> str | None:
    """The id of the event that explained ``e``, if any."""
    for f in e.flags:
        if f.startswith(EXPLAINED_BY):
            return f[len(EXPLAINED_BY) :]
    return None


def _lone_reports(
    events: Sequence[Event], obs: ObservationArrays, rows: EventRows
) -> tuple[IP, IP]:
    """The lone bearings among ``events`` (no position, a bearing; one observer, or a
    pairing of two observers' bearings, counted as one violation without position):
    their indices and the row in ``obs`` of each one's first bearing report
    (``rows``: ``events``' members' rows)."""
    ks = np.array(
        [
            k
            for k, e in enumerate(events)
            if (e.lat is None or e.lon is None)
            and e.kind != "sighting"
            and e.bearing_deg is not None
        ],
        np.intp,
    )
    owner, at = rows.members(ks)
    bearing = np.isfinite(obs.bearing_deg[at])
    owner, at = owner[bearing], at[bearing]
    first = run_starts(owner)
    return ks[owner[first]], at[first]


def _emission(obs: ObservationArrays, rows: IP, lat: F8, lon: F8, c: float) -> tuple[F8, F8, F8]:
    """For reports ``rows`` and points (lat, lon): the implied emission time (s),
    the azimuth from the report's position to the point (deg) and the distance (m)."""
    az, d = inverse(obs.lat[rows], obs.lon[rows], lat, lon)
    travel = np.where(obs.sense[rows] == SEEN, 0.0, d / c)
    return obs.time_s[rows] - travel, az, d


def _points(
    located: Sequence[Event],
    obs: ObservationArrays,
    rows: EventRows,
    cfg: ExplainConfig,
    c: float,
) -> _Points:
    """Each located event's fix, and a paired round's launch point with its
    launch time (from its launch members, else from the weapon's flight).
    ``rows``: ``located``'s members' rows."""
    n = len(located)
    lat = np.array([e.lat for e in located], np.float64)
    lon = np.array([e.lon for e in located], np.float64)
    t = np.array([e.time_s for e in located], np.float64)
    cov = np.array([e.cov_m2 or (0.0, 0.0, 0.0) for e in located], np.float64).reshape(n, 3)
    paired = np.flatnonzero(
        [e.launch_lat is not None and e.launch_lon is not None for e in located]
    )
    if paired.shape[0] == 0:
        return _Points(np.arange(n, dtype=np.intp), lat, lon, t, t, cov)
    pe = [located[int(q)] for q in paired]
    llat = np.array([e.launch_lat for e in pe], np.float64)
    llon = np.array([e.launch_lon for e in pe], np.float64)
    lcov = np.array([e.launch_cov_m2 or (0.0, 0.0, 0.0) for e in pe], np.float64).reshape(-1, 3)
    # the flight's bounds from the weapon's speed (an undetermined one: any weapon's)
    _, flight_m = inverse(lat[paired], lon[paired], llat, llon)
    speed = {k: w.speed_m_s for k, w in cfg.weapons.items() if w.speed_m_s > 0}
    slow, fast = min(speed.values()), max(speed.values())
    v_lo = np.array([speed.get(e.weapon, slow) for e in pe])
    v_hi = np.array([speed.get(e.weapon, fast) for e in pe])
    v_lo *= max(1.0 - cfg.speed_spread, 0.05)
    v_hi *= 1.0 + cfg.speed_spread
    lo = t[paired] - flight_m / v_lo
    hi = t[paired] - flight_m / v_hi
    # the launch time from members the impact time does not explain
    ev, at = rows.members(paired)
    if ev.shape[0]:
        is_launch = _unexplained(obs, at, lat[paired][ev], lon[paired][ev], t[paired][ev], c)
        # the geodesic to the launch point of those members only (pointwise)
        ev, at = ev[is_launch], at[is_launch]
        e_lau, _, _ = _emission(obs, at, llat[ev], llon[ev], c)
        order = np.lexsort((e_lau, ev))
        ev, e_lau = ev[order], e_lau[order]
        first, count = _runs(ev)
        have = ev[first]
        mid = 0.5 * (e_lau[first + (count - 1) // 2] + e_lau[first + count // 2])
        lo[have] = mid
        hi[have] = mid
    return _Points(
        np.concatenate([np.arange(n, dtype=np.intp), paired]),
        np.concatenate([lat, llat]),
        np.concatenate([lon, llon]),
        np.concatenate([t, lo]),
        np.concatenate([t, hi]),
        np.concatenate([cov, lcov]),
    )


def _unexplained(
    obs: ObservationArrays, rows: IP, lat: F8, lon: F8, t: F8, c: float
) -> npt.NDArray[np.bool_]:
    """Whether each report ``rows`` is more than 3 σ + 1 s (its time σ, 1 s when
    unknown) from the emission time ``t`` (s) at the point (``lat``, ``lon``), as
    :func:`_emission` has it. A seen report needs no distance; a heard one within
    100 km is decided by the sphere's distance where the geodesic's bounds (2 % +
    100 m either side: within 100 km the sphere is within 0.6 % of the spheroid)
    leave no doubt, the rest by the geodesic (pyproj's inverse costs ~1 µs a pair)."""
    sd = nan_as(obs.time_sigma_s[rows], 1.0)
    lim = 3.0 * sd + 1.0
    time = obs.time_s[rows]
    # the emission time of a seen report is its own (``_emission``'s travel 0.0)
    out = np.abs((time - 0.0) - t) > lim
    heard = obs.sense[rows] != SEEN
    la1, lo1 = obs.lat[rows], obs.lon[rows]
    d_s, _ = _sphere(la1, lo1, lat, lon)
    near = (d_s <= SPHERE_M) & (np.abs(la1) <= SPHERE_LAT) & (np.abs(lat) <= SPHERE_LAT)
    u_lo = (time - (1.02 * d_s + 100.0) / c) - t
    u_hi = (time - (0.98 * d_s - 100.0) / c) - t
    off = near & ((u_lo > lim) | (u_hi < -lim))
    on = near & (u_lo > -lim) & (u_hi < lim)
    out[heard] = off[heard]
    exact = np.flatnonzero(heard & ~off & ~on)
    if exact.shape[0]:
        e, _, _ = _emission(obs, rows[exact], lat[exact], lon[exact], c)
        out[exact] = np.abs(e - t[exact]) > lim[exact]
    return out


def _explain_rows(
    lone_row: IP,
    pts: _Points,
    obs: ObservationArrays,
    loc_rows: EventRows,
    src: I8,
    cfg: ExplainConfig,
    c: float,
) -> IP:
    """For each lone report row, the index (among the located events ``pts`` holds)
    of the event that explains it best (least chi-square within the gate), or -1.
    ``loc_rows``: the located events' members' rows; ``src``: each observation's
    observer code (:func:`source_codes`)."""
    n = lone_row.shape[0]
    best = np.full(n, -1, np.intp)
    li, pj, chi2 = _residuals(lone_row, pts, obs, cfg, cfg.gate_chi2, c)
    # the slot rule, on the pairs within the gate only
    free = ~_held(pts, obs, loc_rows, src, pj, src[lone_row[li]], cfg, c)
    li, pj, chi2 = li[free], pj[free], chi2[free]
    if li.shape[0] == 0:
        return best
    o = np.lexsort((pj, chi2, li))
    li, pj = li[o], pj[o]
    first = run_starts(li)
    best[li[first]] = pts.event[pj[first]]
    return best


def _explain_pieces(
    events: Sequence[Event],
    located: Sequence[int],
    pts: _Points,
    obs: ObservationArrays,
    rows_of: EventRows,
    loc_rows: EventRows,
    src: I8,
    cfg: ExplainConfig,
    c: float,
) -> list[tuple[int, int]]:
    """``(piece, explainer)`` event indices: located events not paired (no launch
    point, no ray) each of whose reports a point of a stronger located event
    explains (:func:`_residuals` within ``piece_gate_chi2``; the report's observer
    does not hold that point, :func:`_held`), at least cost. Stronger: paired, then
    more observers, then a smaller position variance (a strict order, so two
    pieces never explain each other); an explainer is never itself explained.
    ``rows_of``: ``events``' members' rows; ``loc_rows``: ``located``'s."""
    loc = np.asarray(located, np.intp)
    strength = [_strength(events[int(k)]) for k in loc]
    rank = np.empty(loc.shape[0], np.intp)
    rank[sorted(range(loc.shape[0]), key=strength.__getitem__)] = np.arange(loc.shape[0])
    cand = [
        k
        for k, e in enumerate(events)
        if e.lat is not None
        and e.lon is not None
        and e.kind != "sighting"
        and e.launch_lat is None
        and "paired" not in e.flags
        and EXPLAINED not in e.flags
    ]
    if not cand:
        return []
    pos_in_loc = {int(k): q for q, k in enumerate(loc)}
    # a single observer's located report is weaker than any located event
    c_rank = np.array([rank[pos_in_loc[k]] if k in pos_in_loc else -1 for k in cand], np.intp)
    owner, rows = rows_of.members(cand)
    if owner.shape[0] == 0:
        return []
    n_mem = np.bincount(owner, minlength=len(cand))
    li, pj, chi2 = _piece_residuals(owner, rows, n_mem, pts, obs, cfg, c)
    own = owner[li]
    # the point's event is stronger than the piece (so not the piece itself)
    ok = rank[pts.event[pj]] > c_rank[own]
    li, pj, chi2, own = li[ok], pj[ok], chi2[ok], own[ok]
    free = ~_held(pts, obs, loc_rows, src, pj, src[rows[li]], cfg, c)
    li, pj, chi2, own = li[free], pj[free], chi2[free], own[free]
    if li.shape[0] == 0:
        return []
    # every report of the piece explained by the same point (a report once per point)
    key = own.astype(np.int64) * pts.event.shape[0] + pj
    o = np.lexsort((li, key))
    key, li, chi2, own, pj = key[o], li[o], chi2[o], own[o], pj[o]
    first = run_starts(key, li)
    key, chi2, own, pj = key[first], chi2[first], own[first], pj[first]
    start, cnt = _runs(key)
    tot = np.add.reduceat(chi2, start) if start.shape[0] else np.zeros(0)
    whole = cnt == n_mem[own[start]]
    u_own, u_pt, u_tot = own[start][whole], pj[start][whole], tot[whole]
    if u_own.shape[0] == 0:
        return []
    o = np.lexsort((u_pt, u_tot, u_own))
    u_own, u_pt = u_own[o], u_pt[o]
    first = run_starts(u_own)
    pairs = zip(u_own[first].tolist(), u_pt[first].tolist(), strict=True)
    picks = [(cand[a], int(loc[pts.event[b]])) for a, b in pairs]
    explained = {k for k, _ in picks}
    return [(k, by) for k, by in picks if by not in explained]


def _strength(e: Event) -> tuple[int, int, float]:
    """Order of located events for explaining pieces: paired first, then more
    observers, then a smaller position variance (m²)."""
    tr = (e.cov_m2[0] + e.cov_m2[1]) if e.cov_m2 is not None else np.inf
    return (int(e.launch_lat is not None), e.n_observers, -float(tr))


def _piece_residuals(
    owner: IP,
    rows: IP,
    n_mem: IP,
    pts: _Points,
    obs: ObservationArrays,
    cfg: ExplainConfig,
    c: float,
) -> tuple[IP, IP, F8]:
    """:func:`_residuals` of the pieces' member ``rows`` (``owner``: each one's
    piece, ascending; ``n_mem``: members per piece) within ``piece_gate_chi2``,
    the point's σ in the time's, for only the points within the gate of each
    piece's first member: a point explains a piece only if it explains every
    member, so no other pair can count (the same pairs and chi-squares, found
    from one member's search instead of every member's)."""
    start = (np.cumsum(n_mem) - n_mem).astype(np.intp)[n_mem > 0]
    gate = cfg.piece_gate_chi2
    f_li, f_pj, _ = _residuals(rows[start], pts, obs, cfg, gate, c, travel_sd=True)
    none = np.zeros(0, np.intp), np.zeros(0, np.intp), np.zeros(0)
    if f_li.shape[0] == 0:
        return none
    # each (piece, point) candidate over every member of the piece
    first = start[f_li]
    cnt = n_mem[owner[first]]
    li = ranges(first, cnt)
    pj = np.repeat(f_pj, cnt)
    # the time window _window_pairs searches, as a condition
    t_rep = obs.time_s[rows[li]]
    slack = max(cfg.slack_seen_s, cfg.slack_heard_s)
    tp = pts.t_lo[pj]
    inside = (tp >= t_rep - cfg.window_s) & (tp <= t_rep + slack + 60.0)
    li, pj = li[inside], pj[inside]
    return _pair_residuals(rows, li, pj, pts, obs, cfg, gate, c, travel_sd=True)


def _window_pairs(
    rows: IP,
    pts: _Points,
    obs: ObservationArrays,
    cfg: ExplainConfig,
    gate: float,
    c: float = SPEED_OF_SOUND_M_S,
    travel_sd: bool = False,
) -> tuple[IP, IP, bool]:
    """(index into ``rows``, point) of every pair whose point was emitted within
    ``window_s`` before the report (up to the clock slack and a minute after),
    and whether they are already through :func:`_near`'s pre-gate (by the
    compiled loop, which makes only those: most pairs in the window fail it;
    ``c``, ``travel_sd``: as :func:`_residuals` takes them)."""
    order = np.argsort(pts.t_lo, kind="stable")
    t_sorted = pts.t_lo[order]
    t_rep = obs.time_s[rows]
    slack = max(cfg.slack_seen_s, cfg.slack_heard_s)
    lo = np.searchsorted(t_sorted, t_rep - cfg.window_s, "left")
    hi = np.searchsorted(t_sorted, t_rep + slack + 60.0, "right")
    kernel = window_near_kernel()
    if kernel is not None:
        li, pj = kernel(
            obs.lat, obs.lon, obs.bearing_deg, obs.bearing_sigma_deg, rows, lo, hi, order,
            pts.lat, pts.lon, pts.cov, cfg.max_range_m, cfg.sigma_scale, gate,
            _times(obs, pts, cfg), c, travel_sd,
        )  # fmt: skip
        return li, pj, True
    cnt = hi - lo
    li = np.repeat(np.arange(rows.shape[0]), cnt)
    pj = order[ranges(lo, cnt)]
    return li, pj, False


def _residuals(
    rows: IP,
    pts: _Points,
    obs: ObservationArrays,
    cfg: ExplainConfig,
    gate: float,
    c: float,
    travel_sd: bool = False,
) -> tuple[IP, IP, F8]:
    """(index into ``rows``, point, chi-square) of every report-point pair within
    ``gate``: the bearing residual (none for a report without a bearing) and the
    time residual against the point's emission window plus the travel (module
    docstring). ``travel_sd``: a report's time σ also holds the point's: its
    position σ over ``c`` (a fix's emission time and position move together;
    a microphone's millisecond clock says nothing finer about a point known to
    100 m)."""
    li, pj, gated = _window_pairs(rows, pts, obs, cfg, gate, c, travel_sd)
    return _pair_residuals(rows, li, pj, pts, obs, cfg, gate, c, travel_sd, gated)


def _pair_residuals(
    rows: IP,
    li: IP,
    pj: IP,
    pts: _Points,
    obs: ObservationArrays,
    cfg: ExplainConfig,
    gate: float,
    c: float,
    travel_sd: bool = False,
    gated: bool = False,
) -> tuple[IP, IP, F8]:
    """:func:`_residuals` of the given (index into ``rows``, point) pairs
    (``gated``: already through the pre-gate, :func:`_near`)."""
    none = np.zeros(0, np.intp), np.zeros(0, np.intp), np.zeros(0)
    if li.shape[0] == 0:
        return none
    t_rep = obs.time_s[rows]
    # in dense fire most points in the time window are far along the line: a
    # spherical distance (within 1 % of the geodesic's at these ranges) drops
    # them before the geodesic, and only pairs the range gate refuses anyway
    if not gated:
        near = _near(rows[li], pj, pts, obs, cfg, gate, c, travel_sd)
        li, pj = li[near], pj[near]
    r = rows[li]
    e_lo, az, dist = _emission(obs, r, pts.lat[pj], pts.lon[pj], c)
    keep = dist <= cfg.max_range_m
    # bearing residual, over the stated σ and the point's σ across the ray
    db = (obs.bearing_deg[r] - az + 180.0) % 360.0 - 180.0
    a = np.radians(az)
    ce, sn = np.cos(a), np.sin(a)  # across the ray: (cos az, -sin az) in (E, N)
    cv = pts.cov[pj]
    v_perp = np.maximum(cv[:, 0] * ce**2 + cv[:, 1] * sn**2 - 2.0 * cv[:, 2] * ce * sn, 0.0)
    sd_pos = np.degrees(np.sqrt(v_perp) / np.maximum(dist, 1.0))
    sd_b = np.hypot(cfg.sigma_scale * obs.bearing_sigma_deg[r], sd_pos)
    b_term = np.where(np.isfinite(db), (db / sd_b) ** 2, 0.0)
    # time residual: outside the emission window, less the clock slack
    seen = obs.sense[r] == SEEN
    t = t_rep[li]
    arrive_lo = pts.t_lo[pj] + (t - e_lo)  # + the travel
    arrive_hi = pts.t_hi[pj] + (t - e_lo)
    off = np.maximum(np.maximum(arrive_lo - t, t - arrive_hi), 0.0)
    off = np.maximum(off - np.where(seen, cfg.slack_seen_s, cfg.slack_heard_s), 0.0)
    sd_t = cfg.sigma_scale * nan_as(obs.time_sigma_s[r], 1.0)
    sd_t = np.where(seen, np.maximum(sd_t, cfg.seen_floor_s), sd_t)
    if travel_sd:
        sd_t = np.hypot(sd_t, np.sqrt(np.maximum(cv[:, 0] + cv[:, 1], 0.0)) / c)
    chi2 = b_term + (off / np.maximum(sd_t, 1e-6)) ** 2
    keep &= np.isfinite(chi2) & (chi2 <= gate)
    return li[keep], pj[keep], chi2[keep]


def _times(
    obs: ObservationArrays, pts: _Points, cfg: ExplainConfig
) -> tuple[F8, F8, F8, npt.NDArray[np.bool_], F8, F8]:
    """What the pre-gate's time bound reads (:func:`.explain_near.time_passes`),
    per report ``(n,)``: its time (s), its time σ as :func:`_pair_residuals` has
    it before the point's (s), its clock slack (s) and whether it was heard; per
    point: its emission window's ends (s)."""
    seen = obs.sense == SEEN
    sd = cfg.sigma_scale * nan_as(obs.time_sigma_s, 1.0)
    sd = np.where(seen, np.maximum(sd, cfg.seen_floor_s), sd)
    slack = np.where(seen, cfg.slack_seen_s, cfg.slack_heard_s)
    return obs.time_s, sd, slack, ~seen, pts.t_lo, pts.t_hi


def _near(
    r: IP,
    pj: IP,
    pts: _Points,
    obs: ObservationArrays,
    cfg: ExplainConfig,
    gate: float,
    c: float = SPEED_OF_SOUND_M_S,
    travel_sd: bool = False,
) -> npt.NDArray[np.bool_]:
    """Whether each pair (report row ``r``, point ``pj``) passes the pre-gate of
    :func:`_pair_residuals` (compiled in :mod:`.explain_near` when numba is there):
    the range, the time (``c``, ``travel_sd``: as :func:`_residuals` takes them)
    and the bearing bounds."""
    kernel = near_kernel()
    if kernel is not None:
        out: npt.NDArray[np.bool_] = kernel(
            obs.lat, obs.lon, obs.bearing_deg, obs.bearing_sigma_deg, r, pts.lat, pts.lon,
            pts.cov, pj, cfg.max_range_m, cfg.sigma_scale, gate, _times(obs, pts, cfg), c,
            travel_sd,
        )  # fmt: skip
        return out
    d_s, az_s = _sphere(obs.lat[r], obs.lon[r], pts.lat[pj], pts.lon[pj])
    near = d_s <= 1.02 * cfg.max_range_m + 100.0
    near &= _time_near(r, pj, pts, obs, cfg, gate, c, travel_sd, d_s)
    # and those whose ray misses by more than the gate allows: the bearing's σ
    # bounded above (the point's σ across the ray by its covariance's trace, the
    # distance by the sphere's less 2 %), a degree's slack for the sphere's azimuth
    cv = pts.cov[pj]
    sd_pos = np.degrees(
        np.sqrt(np.maximum(cv[:, 0] + cv[:, 1], 0.0)) / np.maximum(d_s / 1.02 - 100.0, 1.0)
    )
    sd_b = np.hypot(cfg.sigma_scale * obs.bearing_sigma_deg[r], sd_pos)
    has_b = np.isfinite(obs.bearing_deg[r])
    db = np.abs((obs.bearing_deg[r] - az_s + 180.0) % 360.0 - 180.0)
    near &= ~has_b | (db <= np.sqrt(gate) * sd_b + 1.0)
    return near


def _time_near(
    r: IP,
    pj: IP,
    pts: _Points,
    obs: ObservationArrays,
    cfg: ExplainConfig,
    gate: float,
    c: float,
    travel_sd: bool,
    d_s: F8,
) -> npt.NDArray[np.bool_]:
    """:func:`.explain_near.time_passes` of each pair (report row ``r``, point
    ``pj``) at the spherical distance ``d_s`` (m), by arrays."""
    t, sd, slack, heard, t_lo, t_hi = _times(obs, pts, cfg)
    t, sd, slack, heard = t[r], sd[r], slack[r], heard[r]
    t_lo, t_hi = t_lo[pj], t_hi[pj]
    with np.errstate(invalid="ignore"):
        sphere = (d_s <= SPHERE_M) & (np.abs(obs.lat[r]) <= SPHERE_LAT)
        sphere &= np.abs(pts.lat[pj]) <= SPHERE_LAT
        early = np.where(heard, t_lo + np.maximum(0.98 * d_s - 100.0, 0.0) / c - t, t_lo - t)
        late = np.where(heard, t - t_hi - (1.02 * d_s + 100.0) / c, t - t_hi)
        off = np.where(early > late, early, late) - slack - TIME_SLACK_S
        cv = pts.cov[pj]
        tr = cv[:, 0] + cv[:, 1]
        tsd = np.sqrt(np.where(tr < 0.0, 0.0, tr)) / c if travel_sd else np.zeros(r.shape[0])
        s = np.where(tsd > 0.0, np.hypot(sd, tsd), sd)
        far = off > np.sqrt(gate) * np.where(s > 1e-6, s, 1e-6) * (1.0 + 1e-9)
    return ~(far & (sphere | ~heard))


def _sphere(lat1: F8, lon1: F8, lat2: F8, lon2: F8) -> tuple[F8, F8]:
    """Distance (m) and azimuth (deg) on the sphere of the mean Earth radius,
    equirectangular at the mid-latitude: a cheap stand-in for the geodesic over
    tens of km (distance within 1 %, azimuth within a fraction of a degree)."""
    mid = np.radians(0.5 * (lat1 + lat2))
    dx = np.radians((lon2 - lon1 + 180.0) % 360.0 - 180.0) * np.cos(mid)
    dy = np.radians(lat2 - lat1)
    return EARTH_R_M * np.hypot(dx, dy), np.degrees(np.arctan2(dx, dy)) % 360.0


def _held(
    pts: _Points,
    obs: ObservationArrays,
    loc_rows: EventRows,
    src: I8,
    pj: IP,
    who: I8,
    cfg: ExplainConfig,
    c: float,
) -> npt.NDArray[np.bool_]:
    """For each (point ``pj``, observer code ``who``) pair, whether the observer
    already holds that point: with ``slot`` = ``"event"`` it has any report in the
    point's event, else a report of the event fits that point best of the event's
    points (a report without a bearing: by its time alone). ``loc_rows``: the
    located events' (``pts.event``'s) members' rows; ``src``: each observation's
    observer code."""
    out = np.zeros(pj.shape[0], bool)
    if pj.shape[0] == 0:
        return out
    n_src = np.int64(src.max() + 1) if src.shape[0] else np.int64(1)
    want_ev = np.sort(pts.event[pj])
    want_ev = want_ev[run_starts(want_ev)]
    ev, at = loc_rows.members(want_ev)
    ev = want_ev[ev]
    # only the members of the observers asked about, in the events asked about
    asked = np.sort(pts.event[pj].astype(np.int64) * n_src + who)
    mine = _among(ev.astype(np.int64) * n_src + src[at], asked)
    ev, at = ev[mine], at[mine]
    if ev.shape[0] == 0:
        return out
    if cfg.slot == "event":
        held = np.sort(ev.astype(np.int64) * n_src + src[at])
        return _among(pts.event[pj].astype(np.int64) * n_src + who, held)
    # each member against each point of its event
    of_ev = np.argsort(pts.event, kind="stable")
    starts = np.searchsorted(pts.event[of_ev], ev, "left")
    ends = np.searchsorted(pts.event[of_ev], ev, "right")
    cnt = ends - starts
    mi = np.repeat(np.arange(ev.shape[0]), cnt)
    pm = of_ev[np.repeat(starts - (np.cumsum(cnt) - cnt), cnt) + np.arange(int(cnt.sum()))]
    rows = at[mi]
    e, az, _ = _emission(obs, rows, pts.lat[pm], pts.lon[pm], c)
    db = (obs.bearing_deg[rows] - az + 180.0) % 360.0 - 180.0
    sd_t = np.maximum(nan_as(obs.time_sigma_s[rows], 1.0), 0.01)
    off = np.maximum(np.maximum(pts.t_lo[pm] - e, e - pts.t_hi[pm]), 0.0)
    sd_b = np.maximum(nan_as(obs.bearing_sigma_deg[rows], 1.0), 0.01)
    cost = np.where(np.isfinite(db), (db / sd_b) ** 2, 0.0) + (off / sd_t) ** 2
    # each member at its least-cost point (the fix first on a tie)
    o = np.lexsort((pm, cost, mi))
    first = run_starts(mi[o])
    best = o[first]
    held = np.sort(pm[best].astype(np.int64) * n_src + src[rows[best]])
    return _among(pj.astype(np.int64) * n_src + who, held)


def _among(a: I8, b_sorted: I8) -> npt.NDArray[np.bool_]:
    """``np.isin(a, b)`` for ``b`` sorted ascending, by one search (np.isin's
    Python-level set-up costs more than the search on a tile's keys)."""
    if b_sorted.shape[0] == 0:
        return np.zeros(a.shape[0], bool)
    at = np.minimum(b_sorted.searchsorted(a), b_sorted.shape[0] - 1)
    return np.asarray(b_sorted[at] == a)
