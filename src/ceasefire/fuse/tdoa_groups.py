"""Arrival-only events: acoustic arrivals that no bearing explains, grouped by
TDOA consistency and multilaterated (position and emission time)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.stats import chi2 as chi2_dist

from ceasefire.fuse.config import FuseConfig
from ceasefire.fuse.multilaterate import multilaterate
from ceasefire.fuse.solve import Rows

F8 = npt.NDArray[np.float64]
IP = npt.NDArray[np.intp]


def group_arrivals(rows: Rows, src: IP, cfg: FuseConfig) -> tuple[IP, F8, F8, F8, F8]:
    """Labels (group per arrival, -1 for none) and per group x, y (m), T (s) and
    position covariance ``(G, 2, 2)``. ``rows`` are arrivals sorted by time.

    Greedy in time order: the earliest free arrival anchors a group; from every
    other sensor the free arrival that fits the sound-travel window joins a
    candidate set; the set is multilaterated and its worst arrival dropped until
    the fit passes the chi-square gate or too few sensors remain."""
    n = rows.ox.shape[0]
    c, R = cfg.speed_of_sound_m_s, cfg.max_range_m
    labels = np.full(n, -1, np.intp)
    xs: list[float] = []
    ys: list[float] = []
    Ts: list[float] = []
    covs: list[F8] = []
    t = rows.t
    for i in range(n):
        if labels[i] >= 0:
            continue
        hi = int(np.searchsorted(t, t[i] + 2 * R / c + 0.1, side="right"))
        cand = np.arange(i + 1, hi)
        cand = cand[(labels[cand] < 0) & (src[cand] != src[i])]
        if cand.shape[0] < cfg.min_tdoa_sensors - 1:
            continue
        d = np.hypot(rows.ox[cand] - rows.ox[i], rows.oy[cand] - rows.oy[i])
        slack = 4 * np.sqrt(rows.sigma_t[cand] ** 2 + rows.sigma_t[i] ** 2)
        cand = cand[(t[cand] - t[i] <= d / c + slack) & (d <= 2 * R)]
        # one arrival per sensor: the earliest
        _, first = np.unique(src[cand], return_index=True)
        cand = np.sort(cand[first])
        group = np.concatenate([[i], cand])
        while group.shape[0] >= cfg.min_tdoa_sensors:
            try:
                fx = multilaterate(rows.ox[group], rows.oy[group], t[group], rows.sigma_t[group], c)
            except ValueError:
                break
            ok = fx.dof <= 0 or fx.chi2 <= float(chi2_dist.ppf(0.999, fx.dof))
            rho = np.hypot(fx.x - rows.ox[group], fx.y - rows.oy[group])
            if ok and float(rho.max()) <= 1.2 * R and fx.time_s <= float(t[group].min()):
                labels[group] = len(xs)
                xs.append(fx.x)
                ys.append(fx.y)
                Ts.append(fx.time_s)
                covs.append(fx.cov[:2, :2])
                break
            res = np.abs(t[group] - fx.time_s - rho / c) / rows.sigma_t[group]
            res[0] = -1.0 if group.shape[0] > cfg.min_tdoa_sensors else res[0]
            group = np.delete(group, int(np.argmax(res)))
    cov = np.array(covs) if covs else np.zeros((0, 2, 2))
    return labels, np.array(xs), np.array(ys), np.array(Ts), cov
