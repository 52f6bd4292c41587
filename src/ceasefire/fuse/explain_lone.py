"""Lone bearings that explain each other: two observers' lone bearings of one
round's phase, left apart by association, count as one violation, not two.

Two lone bearings (different observers) are one emission when their rays cross in
front of both within ``max_range_m`` and the emission times the crossing implies
agree: each report's time less the sound's travel from the crossing (none for a
seen report), within ``sqrt(gate_chi2)`` times the sd of their difference (the two
time σ and the crossing's position σ over ``c``, from the bearing σ across the
rays) plus the two clock slacks. A phase named by both (incoming / outgoing) must
agree. The sharper bearing (smaller σ) explains the other; a report explains or is
explained, never both, each at most once explained, least residual first.

The crossing is found on the equirectangular plane about the pair's mid-latitude
(meridians vertical, azimuths kept to ~0.1 degree over the tens of km of a pair).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ceasefire.fuse.keys import ranges
from ceasefire.model.arrays import ObservationArrays
from ceasefire.model.vocab import DIRECTIONS, SENSES

F8 = npt.NDArray[np.float64]
IP = npt.NDArray[np.intp]
I8 = npt.NDArray[np.int64]
SEEN = SENSES.index("seen")
UNDET = DIRECTIONS.index("undetermined")
EARTH_R_M = 6_371_008.8


def lone_pairs(
    rows: IP,
    obs: ObservationArrays,
    src: I8,
    gate_chi2: float,
    slack_seen_s: float,
    slack_heard_s: float,
    max_range_m: float,
    c: float,
    unique: bool = False,
) -> list[tuple[int, int]]:
    """``(explained, explainer)`` indices into ``rows`` (lone bearing report rows of
    ``obs``; ``src``: every observation's observer code), by the module's test."""
    n = rows.shape[0]
    if n < 2:
        return []
    order = np.argsort(obs.time_s[rows], kind="stable")
    r = rows[order]
    t = obs.time_s[r]
    window = max_range_m / c + 2.0 * max(slack_seen_s, slack_heard_s)
    hi = np.searchsorted(t, t + window, "right")
    start = np.arange(n) + 1
    cnt = np.maximum(hi - start, 0)
    a = np.repeat(np.arange(n), cnt)
    b = ranges(start, cnt)
    ra, rb = r[a], r[b]
    keep = src[ra] != src[rb]
    da, db = obs.direction[ra], obs.direction[rb]
    keep &= (da == UNDET) | (db == UNDET) | (da == db)
    a, b, ra, rb = a[keep], b[keep], ra[keep], rb[keep]
    if a.shape[0] == 0:
        return []
    mid = np.radians(0.5 * (obs.lat[ra] + obs.lat[rb]))
    bx = EARTH_R_M * np.radians((obs.lon[rb] - obs.lon[ra] + 180.0) % 360.0 - 180.0) * np.cos(mid)
    by = EARTH_R_M * np.radians(obs.lat[rb] - obs.lat[ra])
    za, zb = np.radians(obs.bearing_deg[ra]), np.radians(obs.bearing_deg[rb])
    ua, ub = np.stack([np.sin(za), np.cos(za)]), np.stack([np.sin(zb), np.cos(zb)])
    # s_a ua - s_b ub = (bx, by): Cramer's rule
    det = ua[0] * -ub[1] + ub[0] * ua[1]
    sine = np.abs(det)
    with np.errstate(divide="ignore", invalid="ignore"):
        s_a = (bx * -ub[1] + ub[0] * by) / det
        s_b = (ua[0] * by - ua[1] * bx) / det
    ok = (sine > 1e-3) & (s_a > 0.0) & (s_b > 0.0) & (s_a <= max_range_m) & (s_b <= max_range_m)
    seen_a, seen_b = obs.sense[ra] == SEEN, obs.sense[rb] == SEEN
    e_a = obs.time_s[ra] - np.where(seen_a, 0.0, s_a / c)
    e_b = obs.time_s[rb] - np.where(seen_b, 0.0, s_b / c)
    # the crossing's position sd: each ray's sd across it, over the angle's sine
    sb_a = np.radians(np.nan_to_num(obs.bearing_sigma_deg[ra], nan=5.0))
    sb_b = np.radians(np.nan_to_num(obs.bearing_sigma_deg[rb], nan=5.0))
    sd_pos = np.hypot(s_a * sb_a, s_b * sb_b) / np.maximum(sine, 1e-3)
    heard = (~seen_a).astype(float) + (~seen_b).astype(float)
    sd = np.sqrt(
        np.nan_to_num(obs.time_sigma_s[ra], nan=1.0) ** 2
        + np.nan_to_num(obs.time_sigma_s[rb], nan=1.0) ** 2
        + heard * (sd_pos / c) ** 2
    )
    slack = np.where(seen_a, slack_seen_s, slack_heard_s) + np.where(
        seen_b, slack_seen_s, slack_heard_s
    )
    off = np.maximum(np.abs(e_a - e_b) - slack, 0.0)
    with np.errstate(invalid="ignore"):
        z2 = (off / np.maximum(sd, 1e-6)) ** 2
    ok &= np.isfinite(z2) & (z2 <= gate_chi2)
    a, b, z2 = a[ok], b[ok], z2[ok]
    if unique:
        # only pairs whose two reports have no other partner: nothing else explains them
        deg = np.bincount(a, minlength=n) + np.bincount(b, minlength=n)
        one = (deg[a] == 1) & (deg[b] == 1)
        a, b, z2 = a[one], b[one], z2[one]
    ra, rb = r[a], r[b]
    # the sharper bearing explains
    weak_a = np.nan_to_num(obs.bearing_sigma_deg[ra], nan=np.inf) >= np.nan_to_num(
        obs.bearing_sigma_deg[rb], nan=np.inf
    )
    weak = np.where(weak_a, a, b)
    strong = np.where(weak_a, b, a)
    role = np.zeros(n, np.int8)  # 1 explained, 2 explainer
    out: list[tuple[int, int]] = []
    for q in np.argsort(z2, kind="stable").tolist():
        w, s = int(weak[q]), int(strong[q])
        for x, y in ((w, s), (s, w)):
            if role[x] == 0 and role[y] != 1:
                role[x], role[y] = 1, 2
                out.append((int(order[x]), int(order[y])))
                break
    return out


__all__ = ["lone_pairs"]
