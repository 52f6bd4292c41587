"""A burst's rounds share one firing position: the side of a sibling whose launch is
located speaks for a round whose own launch is not.

A battery fires several rounds seconds apart from one spot at one target. Fusion
often locates the launch of one of them (a paired launch point or a firing
position) and leaves a sibling with its impact alone, or with a bearing towards its
launch: attribution then has only the aiming prior (an impact came from across the
line) or a ray, and leaves it undetermined. A located launch nearby in time of the
same weapon, whose impact lies near the sibling's impact or whose launch lies on the
sibling's launch bearing, is evidence for the sibling's side, weighed as a separate
piece of evidence that names the wrong side with ``sibling_error_p``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ceasefire.assess.table import EventTable
from ceasefire.geo.geodesy import inverse

F8 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]
I8 = npt.NDArray[np.intp]

#: the bases whose events locate their round's launch (the siblings that speak)
LOCATED_LAUNCH = ("launch point", "firing position")
#: the bases whose events do not (the siblings spoken for)
UNLOCATED_LAUNCH = (
    "impact across the line",
    "launch bearing and the impact",
    "launch and impact bearings",
    "bearing ray",
)
#: the bases whose event carries a bearing towards its round's launch
LAUNCH_RAY = ("launch bearing and the impact", "launch and impact bearings")


def _pairs(time_s: F8, anchors: I8, targets: I8, window_s: float) -> tuple[I8, I8]:
    """Every (anchor, target) pair at most ``window_s`` s apart: positions in
    ``anchors`` and event rows of ``targets``."""
    order = np.argsort(time_s[anchors], kind="stable")
    ta = time_s[anchors][order]
    lo = np.searchsorted(ta, time_s[targets] - window_s, side="left")
    hi = np.searchsorted(ta, time_s[targets] + window_s, side="right")
    n = hi - lo
    start = np.repeat(lo - np.cumsum(n) + n, n)
    return order[start + np.arange(int(n.sum()))], np.repeat(targets, n)


def _launch_positions(t: EventTable, rows: I8) -> tuple[F8, F8]:
    """Where each event of ``rows`` locates its launch: its launch point, or its own
    position (a firing position)."""
    ev = t.events
    lat = np.array([ev[i].launch_lat for i in rows.tolist()], dtype=np.float64)
    lon = np.array([ev[i].launch_lon for i in rows.tolist()], dtype=np.float64)
    own = ~np.isfinite(t.launch_signed_m[rows])
    lat[own], lon[own] = t.lat[rows][own], t.lon[rows][own]
    return lat, lon


def sibling_p_left(
    t: EventTable,
    p: F8,
    basis: npt.NDArray[np.object_],
    q: F8,
    window_s: float,
    impact_m: float,
    ray_deg: float,
    anchor_p: float,
    error_p: float,
) -> tuple[F8, B]:
    """P(left) of the events whose launch is not located, with their siblings' side.

    ``p``/``basis``: :func:`~ceasefire.assess.sides.shooter_p_left`'s; ``q``: P(the
    event's source is a launch), which tells a lone launch bearing from an impact's.
    A sibling is an event located by its launch (:data:`LOCATED_LAUNCH`) named at
    ``anchor_p`` or more, at most ``window_s`` s apart, whose weapon does not
    contradict the event's, and either whose impact lies within ``impact_m`` m of the
    event's located impact (the same weapon named by both), or whose launch lies within
    ``ray_deg`` degrees of the event's launch bearing. Where all of an event's siblings
    lie on one side, the likeliest of them counts as independent evidence wrong with
    ``error_p``; where they disagree, none does. Returns the new P(left) and where
    sibling evidence was used."""
    out, used = p.copy(), np.zeros(len(t), dtype=bool)
    pb = np.maximum(p, 1.0 - p)
    anchors = np.flatnonzero(np.isin(basis, LOCATED_LAUNCH) & (pb >= anchor_p))
    targets = np.flatnonzero(np.isin(basis, UNLOCATED_LAUNCH))
    if not len(anchors) or not len(targets) or window_s <= 0.0:
        return out, used
    k, g = _pairs(t.time_s, anchors, targets, window_s)
    a = anchors[k]
    wa, wg = t.weapon[a], t.weapon[g]
    link = np.zeros(len(a), dtype=bool)
    # the same target: the anchor's (paired) impact beside the event's impact
    imp = np.isfinite(t.launch_signed_m[a]) & t.has_pos[g] & (wa == wg) & (wg != "undetermined")
    if imp.any():
        _, d = inverse(t.lat[a[imp]], t.lon[a[imp]], t.lat[g[imp]], t.lon[g[imp]])
        link[imp] = d <= impact_m
    # the same firing position: the anchor's launch on the event's launch bearing
    ray = np.isin(basis[g], LAUNCH_RAY) | ((basis[g] == "bearing ray") & (q[g] >= 0.5))
    ray &= np.isfinite(t.bearing_deg[g]) & np.isfinite(t.observer_lat[g])
    ray &= (wa == wg) | (wa == "undetermined") | (wg == "undetermined")
    if ray.any():
        alat, alon = _launch_positions(t, anchors)
        az, _ = inverse(t.observer_lat[g[ray]], t.observer_lon[g[ray]], alat[k[ray]], alon[k[ray]])
        link[ray] |= np.abs((az - t.bearing_deg[g[ray]] + 180.0) % 360.0 - 180.0) <= ray_deg
    a, g = a[link], g[link]
    if not len(a):
        return out, used
    n = len(t)
    count = np.bincount(g, minlength=n)
    lefts = np.bincount(g, weights=(p[a] >= 0.5).astype(np.float64), minlength=n)
    # each target's likeliest sibling: pairs by target, then by how sure the sibling is
    o = np.lexsort((-np.abs(p[a] - 0.5), g))
    first = np.r_[True, g[o][1:] != g[o][:-1]]
    rows, s = g[o][first], p[a][o][first]
    one_side = (lefts[rows] == 0) | (lefts[rows] == count[rows])
    rows, s = rows[one_side], s[one_side]
    ev_p = s * (1.0 - error_p) + (1.0 - s) * error_p
    x, y = p[rows] * ev_p, (1.0 - p[rows]) * (1.0 - ev_p)
    out[rows] = x / np.maximum(x + y, 1e-300)
    used[rows] = True
    return out, used
