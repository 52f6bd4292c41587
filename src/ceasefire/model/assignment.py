"""Minimum-cost one-to-one assignment over sparse candidate edges, where any row
or column may stay unmatched (scipy's LAPJVsp on a padded bipartite graph)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

IP = npt.NDArray[np.intp]


def min_cost_matching(
    rows: npt.ArrayLike,
    cols: npt.ArrayLike,
    cost: npt.ArrayLike,
    n_rows: int,
    n_cols: int,
    unmatched_cost: float,
) -> IP:
    """For each of ``n_rows`` rows, the index of its chosen edge (``rows[e]``,
    ``cols[e]``, ``cost[e]``), or -1 when it stays unmatched.

    Leaving a row or a column unmatched costs ``unmatched_cost`` each, so an edge
    is worth taking when its cost is below twice that; the total cost is least.
    Solved as one full matching: rows are the rows and a stand-in per column,
    columns the columns and a stand-in per row; a row left alone takes its own
    stand-in, a column its own, and stand-ins pair freely along the edges. Every
    weight is raised by 1 (a full matching has a fixed number of edges, so the
    optimum is unchanged and no weight is zero). Edges must be distinct pairs."""
    r = np.asarray(rows, dtype=np.int64)
    c = np.asarray(cols, dtype=np.int64)
    w0 = np.asarray(cost, dtype=np.float64)
    out = np.full(n_rows, -1, np.intp)
    m = r.shape[0]
    if m == 0:
        return out
    r_idx = np.concatenate([r, np.arange(n_rows), n_rows + np.arange(n_cols), n_rows + c])
    c_idx = np.concatenate([c, n_cols + np.arange(n_rows), np.arange(n_cols), n_cols + r])
    w = np.concatenate(
        [w0, np.full(n_rows, unmatched_cost), np.full(n_cols, unmatched_cost), np.zeros(m)]
    )
    g = coo_matrix((w + 1.0, (r_idx, c_idx)), shape=(n_rows + n_cols, n_cols + n_rows)).tocsr()
    _, col = min_weight_full_bipartite_matching(g)
    real = np.flatnonzero(col[:n_rows] < n_cols)
    key = r * n_cols + c
    order = np.argsort(key, kind="stable")
    out[real] = order[np.searchsorted(key[order], real * n_cols + col[real])]
    return out
