"""BASELINE, for comparison only: the straightforward pipeline of issue 4.

Pairs of bearing reports within the sound-propagation window, kept when the
rays cross in front of both observers and the implied emission times agree;
connected components of the pairs are the groups; each group is checked by a
Stansfield + ML fit and its worst report dropped until the fit passes. Returns
groups of observation indices and their fixes (x, y in the given frame, m)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from scipy.stats import chi2

from ceasefire.fuse.triangulate import intersect_rays, triangulate

C = 343.0


def baseline_fuse(
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    t: npt.NDArray[np.float64],
    sigma_t: npt.NDArray[np.float64],
    src: npt.NDArray[np.intp],
    az_deg: npt.NDArray[np.float64],
    sigma_deg: npt.NDArray[np.float64],
    max_range_m: float = 30_000.0,
    emission_check: bool = True,
) -> list[tuple[npt.NDArray[np.intp], float, float]]:
    """Groups (indices into the bearing rows) with their fix (x, y)."""
    window = max_range_m / C
    scale = 2 * max_range_m / window
    tree = cKDTree(np.column_stack([x, y, (t - t.min()) * scale]))
    pr = tree.query_pairs(2 * max_range_m, p=np.inf, output_type="ndarray")
    i, j = pr[:, 0], pr[:, 1]
    keep = src[i] != src[j]
    i, j = i[keep], j[keep]
    az = np.radians(az_deg)
    _px, _py, r1, r2, _ = intersect_rays(x[i], y[i], az[i], x[j], y[j], az[j])
    with np.errstate(invalid="ignore"):
        keep = (r1 > 0) & (r2 > 0) & (r1 < max_range_m) & (r2 < max_range_m)
        if emission_check:
            ei, ej = t[i] - r1 / C, t[j] - r2 / C
            keep &= np.abs(ei - ej) <= 3 * np.hypot(sigma_t[i], sigma_t[j]) + 1.0
    i, j = i[keep], j[keep]
    n = x.shape[0]
    g = coo_matrix((np.ones(i.shape[0]), (i, j)), shape=(n, n))
    _, lab = connected_components(g, directed=False)
    order = np.argsort(lab, kind="stable")
    bounds = np.flatnonzero(np.diff(lab[order])) + 1
    out: list[tuple[npt.NDArray[np.intp], float, float]] = []
    for grp in np.split(order, bounds):
        members = grp
        while members.shape[0] >= 2:
            try:
                f = triangulate(x[members], y[members], az_deg[members], sigma_deg[members])
            except ValueError:
                break
            if f.dof <= 0 or f.chi2 <= chi2.ppf(0.99, f.dof):
                out.append((members, f.x, f.y))
                break
            res = (
                np.abs(
                    (
                        np.degrees(np.arctan2(f.x - x[members], f.y - y[members]))
                        - az_deg[members]
                        + 180
                    )
                    % 360
                    - 180
                )
                / sigma_deg[members]
            )
            members = np.delete(members, int(np.argmax(res)))
    return out
