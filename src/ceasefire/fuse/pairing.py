"""Launch ↔ impact pairing: an outgoing-fire event and an incoming explosion are
one round when the impact follows the launch by a flight time whose implied mean
speed is plausible and the distance is within range. Each launch and each impact
joins at most one pair; the best (speed nearest the middle of the plausible
band, in log terms) are taken first."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from ceasefire.fuse.config import FuseConfig

F8 = npt.NDArray[np.float64]
IP = npt.NDArray[np.intp]


def pair_launches(
    lx: F8,
    ly: F8,
    lT: F8,
    ix: F8,
    iy: F8,
    iT: F8,
    cfg: FuseConfig,
    l_weapon: IP | None = None,
    i_weapon: IP | None = None,
) -> tuple[IP, IP]:
    """Indices ``(launch, impact)`` of the pairs, from launch and impact positions
    (m), emission times (s) and weapon codes (vocab order, -1 or None when
    unknown). With a known weapon the implied speed must lie within
    ``flight_speed_tolerance`` of the weapon's mean speed."""
    if lx.shape[0] == 0 or ix.shape[0] == 0:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    R = cfg.max_flight_range_m
    tmax = R / cfg.flight_speed_min_m_s
    scale = R / tmax
    t0 = float(min(np.min(lT), np.min(iT)))
    # launch at time L, impact within (L, L + tmax]: centre the launch window
    tl = cKDTree(np.column_stack([lx, ly, (lT + tmax / 2 - t0) * scale]))
    ti = cKDTree(np.column_stack([ix, iy, (iT - t0) * scale]))
    sm = tl.sparse_distance_matrix(ti, R, p=np.inf, output_type="ndarray")
    if sm.shape[0] == 0:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    a = sm["i"].astype(np.intp)
    b = sm["j"].astype(np.intp)
    dt = iT[b] - lT[a]
    d = np.hypot(ix[b] - lx[a], iy[b] - ly[a])
    with np.errstate(divide="ignore", invalid="ignore"):
        v = d / dt
    ok = (dt > 0) & (d <= R) & (v >= cfg.flight_speed_min_m_s) & (v <= cfg.flight_speed_max_m_s)
    a, b, v = a[ok], b[ok], v[ok]
    mid = 0.5 * (np.log(cfg.flight_speed_min_m_s) + np.log(cfg.flight_speed_max_m_s))
    nominal = np.full(v.shape[0], np.exp(mid))
    known = np.zeros(v.shape[0], bool)
    table = np.asarray(cfg.flight_speed_by_weapon_m_s, float)
    for w in (i_weapon, l_weapon):  # the launch's class wins when both are known
        if w is None:
            continue
        code = np.asarray(w)[b if w is i_weapon else a]
        sp = np.where(
            (code >= 0) & (code < table.shape[0]), table[np.clip(code, 0, table.shape[0] - 1)], 0.0
        )
        nominal = np.where(sp > 0, sp, nominal)
        known |= sp > 0
    tol = np.log(cfg.flight_speed_tolerance)
    cost = np.abs(np.log(v) - np.log(nominal))
    ok = ~known | (cost <= tol)
    a, b, cost = a[ok], b[ok], cost[ok]
    order = np.lexsort((b, a, cost))
    used_l = np.zeros(lx.shape[0], bool)
    used_i = np.zeros(ix.shape[0], bool)
    out_l: list[int] = []
    out_i: list[int] = []
    for o in order.tolist():
        p, q = int(a[o]), int(b[o])
        if used_l[p] or used_i[q]:
            continue
        used_l[p] = used_i[q] = True
        out_l.append(p)
        out_i.append(q)
    return np.asarray(out_l, np.intp), np.asarray(out_i, np.intp)
