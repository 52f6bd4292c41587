"""The Cramér-Rao bound of a position fixed from the reports that perceived it.

Unknowns: east and north position (m) and the emission time (s). A bearing of
σθ (rad) at distance r informs the position across the line of sight with
1/(σθ r)²; a range of σr along it with 1/σr²; a report's perceived time
t = t₀ + r/c with σt informs position along the line of sight and t₀ (a report
seen by its light, t = t₀, informs t₀ only). The bound is the 2×2 position block
of the inverse Fisher information.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ceasefire.geo import inverse
from ceasefire.model.vocab import SPEED_OF_SOUND_M_S

F8 = npt.NDArray[np.float64]


def crlb_position(
    lat: float,
    lon: float,
    obs_lat: F8,
    obs_lon: F8,
    bearing_sigma_deg: F8,
    range_sigma_m: F8,
    time_sigma_s: F8,
    heard: F8 | None = None,
) -> npt.NDArray[np.float64] | None:
    """2×2 covariance bound (m², east/north) for a source at (lat, lon) seen by the
    observers given (NaN σ = that measurement absent); ``heard``: 1 for a report
    perceived by sound, 0 by light (default: all heard); None when unidentifiable."""
    az, r = inverse(obs_lat, obs_lon, lat, lon)
    a = np.radians(az)
    u = np.column_stack([np.sin(a), np.cos(a)])  # unit vector observer → source (east, north)
    perp = np.column_stack([np.cos(a), -np.sin(a)])
    J = np.zeros((3, 3))
    sb = np.radians(bearing_sigma_deg)
    for k in range(len(r)):
        rk = max(float(r[k]), 1.0)
        if np.isfinite(sb[k]):
            g = np.append(perp[k] / rk, 0.0)
            J += np.outer(g, g) / sb[k] ** 2
        if np.isfinite(range_sigma_m[k]):
            g = np.append(u[k], 0.0)
            J += np.outer(g, g) / range_sigma_m[k] ** 2
        if np.isfinite(time_sigma_s[k]):
            f = 1.0 if heard is None else float(heard[k])
            g = np.append(f * u[k] / SPEED_OF_SOUND_M_S, 1.0)
            J += np.outer(g, g) / time_sigma_s[k] ** 2
    if np.linalg.cond(J) > 1e14:
        return None
    return np.asarray(np.linalg.inv(J)[:2, :2], dtype=np.float64)
