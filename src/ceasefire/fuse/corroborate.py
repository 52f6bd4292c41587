"""Corroboration of lone reports: a report no other observer's report joined is
flagged ``uncorroborated`` when nothing else was heard near it: no located
multi-observer event within ``corroboration_m`` of its observer and
``corroboration_s`` of its time, and no other observer's lone report within the
tighter ``corroboration_lone_m`` and ``corroboration_lone_s`` (the sound of one
round reaches observers 15 km apart within a minute; false reports coincide by
chance in wider windows).

Fire comes in engagements; false reports (a door slam, a misheard echo) come at
any time. Measured on the simulator: see ``docs/fuse.md``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from ceasefire.fuse.config import FuseConfig
from ceasefire.geo import LocalFrame
from ceasefire.model.results import Event

F8 = npt.NDArray[np.float64]


def corroborate(events: Sequence[Event], cfg: FuseConfig) -> list[Event]:
    """``events`` with ``uncorroborated`` added to the flags of lone reports that
    nothing corroborates (same order)."""
    out = list(events)
    anchors = [_anchor(e) for e in out]
    acoustic = [k for k, e in enumerate(out) if e.kind != "sighting" and anchors[k] is not None]
    lone = [k for k in acoustic if "single_observer" in out[k].flags]
    located = [k for k in acoustic if out[k].has_position and "single_observer" not in out[k].flags]
    if not lone:
        return out
    where = [a for k in lone + located if (a := anchors[k]) is not None]
    lat = np.array([a[0] for a in where], float)
    lon = np.array([a[1] for a in where], float)
    x, y = LocalFrame.about(lat, lon).to_xy(lat, lon)
    t = np.array([out[k].time_s for k in lone + located], float)
    t = t - t.min()
    n = len(lone)
    xl, yl, tl = x[:n], y[:n], t[:n]
    found = _near(xl, yl, tl, x[n:], y[n:], t[n:], cfg.corroboration_m, cfg.corroboration_s, 0.0)
    # another observer's lone report (not the same observer: more than 1 m apart)
    found |= _near(xl, yl, tl, xl, yl, tl, cfg.corroboration_lone_m, cfg.corroboration_lone_s, 1.0)
    for i, k in enumerate(lone):
        if not found[i]:
            e = out[k]
            out[k] = dataclasses.replace(e, flags=tuple(sorted({*e.flags, "uncorroborated"})))
    return out


def _near(
    qx: F8, qy: F8, qt: F8, px: F8, py: F8, pt: F8, r_m: float, w_s: float, min_m: float
) -> npt.NDArray[np.bool_]:
    """For each query point, whether a point lies within ``r_m`` (and beyond
    ``min_m``) in the plane and within ``w_s`` in time."""
    found = np.zeros(qx.shape[0], bool)
    if px.shape[0] == 0 or qx.shape[0] == 0:
        return found
    s = r_m / w_s  # time in metres: a box |Δx|, |Δy| <= r and |Δt| <= w, then the disc
    q = cKDTree(np.column_stack([qx, qy, qt * s]))
    p = cKDTree(np.column_stack([px, py, pt * s]))
    near = q.sparse_distance_matrix(p, r_m, p=np.inf, output_type="coo_matrix")
    i, j = near.row, near.col
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
