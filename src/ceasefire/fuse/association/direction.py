"""A far seed's arrivals read against its point by their time differences (TDOA).

Two microphones of one far acoustic array, a few km apart and ~20 km from the
source, give t_i - t_j = (|p - s_i| - |p - s_j|) / c within a few ms whatever
the source's emission time: a hyperbola, nearly the array's own direction to the
source. The seed's window along its bearing (:func:`~.seeding.reach_seeds`)
judges each arrival's range against the bearing's time, whose noise (2 s for a
post) moves both arrivals' ranges alike: it cannot see that the two arrivals
disagree with each other. Here the pair's difference is checked at the seed's
point, allowing the point to slide along the ray within the window and across it
by the bearing's sd.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ceasefire.fuse.association.reports import IP, Reports


@dataclass(frozen=True)
class DirectionConfig:
    """How strictly a far seed's arrival pairs must agree with its point."""

    #: a pair's TDOA residual may be this many sd (after the slack along the ray);
    #: inf: no check
    sigmas: float = np.inf
    #: time sd added to each arrival's stated one (unstated clock offsets), s
    floor_s: float = 0.01
    #: only pairs of microphones this close are read (one far array's), m
    pair_m: float = 8_000.0
    #: the point slides along the ray this share of its seed's window
    slide: float = 1.0


def tdoa_agrees(
    rep: Reports, b: int, a: IP, x: float, y: float, slide_m: float, cfg: DirectionConfig
) -> bool:
    """Whether every pair of arrival rows ``a`` (microphones within ``cfg.pair_m``
    of each other) has the time difference the point (``x``, ``y``) (m) predicts,
    within ``cfg.sigmas`` sd: the point may move ``cfg.slide`` x ``slide_m`` (m) along the ray of
    bearing row ``b`` freely, across it by the bearing's sd, and each time has its
    stated sd plus ``cfg.floor_s``."""
    if not np.isfinite(cfg.sigmas) or a.shape[0] < 2:
        return True
    rows, c = rep.rows, rep.c
    i, j = np.triu_indices(a.shape[0], 1)
    ai, aj = a[i], a[j]
    base = np.hypot(rows.ox[ai] - rows.ox[aj], rows.oy[ai] - rows.oy[aj])
    near = base <= cfg.pair_m
    if not near.any():
        return True
    ai, aj = ai[near], aj[near]
    ox, oy = float(rows.ox[b]), float(rows.oy[b])
    ux, uy = np.sin(rows.az[b]), np.cos(rows.az[b])
    r = float(np.hypot(x - ox, y - oy))
    # each microphone's unit vector to the point, times its speed factor: the
    # gradient of speed x distance over the point
    dxi, dyi = x - rows.ox[ai], y - rows.oy[ai]
    dxj, dyj = x - rows.ox[aj], y - rows.oy[aj]
    di, dj = np.hypot(dxi, dyi), np.hypot(dxj, dyj)
    ki, kj = rows.speed_factor[ai], rows.speed_factor[aj]
    with np.errstate(divide="ignore", invalid="ignore"):
        gx = ki * dxi / di - kj * dxj / dj
        gy = ki * dyi / di - kj * dyj / dj
    pred = ki * di - kj * dj
    meas = c * (rows.t[ai] - rows.t[aj])
    along = np.abs(gx * ux + gy * uy) * cfg.slide * slide_m
    across = np.abs(gx * uy - gy * ux) * r * float(rows.sigma_az[b])
    var_t = rows.sigma_t[ai] ** 2 + rows.sigma_t[aj] ** 2 + 2.0 * cfg.floor_s**2
    sd = np.sqrt(across**2 + c * c * var_t)
    miss = np.maximum(np.abs(meas - pred) - along, 0.0)
    return bool((miss <= cfg.sigmas * sd).all())
