"""Minimum-cost one-to-one assignment over sparse candidate edges, where any row
or column may stay unmatched: a perfect matching on a padded bipartite graph,
solved by OR-Tools' cost-scaling ``LinearSumAssignment`` (scipy's LAPJVsp gave the
same matchings but took minutes on some dense-fire slices)."""

from __future__ import annotations

import warnings

import numpy as np
import numpy.typing as npt
from ortools.graph.python.linear_sum_assignment import SimpleLinearSumAssignment

IP = npt.NDArray[np.intp]

#: the largest integer cost times the number of nodes (the solver's cost scaling
#: multiplies costs by about the number of nodes, and more: at 2^40 a 260k-node
#: scorer problem solves without an overflow warning, at 2^48 it warns); on
#: POSSIBLE_OVERFLOW the scale is cut further
_INT_BUDGET = 2.0**40
#: costs are scaled to integers with at most this resolution
_SCALE = 1e6


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
    is worth taking when its cost is below twice that; the total cost is least
    (costs are resolved to 1e-6 of a unit, coarser on huge problems so that the
    integer costs cannot overflow; edges of infinite cost are never taken).
    Solved as one perfect matching: the left side holds the rows and a stand-in
    per column, the right side the columns and a stand-in per row; a row left
    alone takes its own stand-in, a column its own, and stand-ins pair freely (at
    no cost) along the edges. Edges must be distinct pairs."""
    w0 = np.asarray(cost, dtype=np.float64)
    edge = np.flatnonzero(np.isfinite(w0))  # the edges offered, as indices into the input
    r = np.asarray(rows, dtype=np.int64)[edge]
    c = np.asarray(cols, dtype=np.int64)[edge]
    w0 = w0[edge]
    out = np.full(n_rows, -1, np.intp)
    m = r.shape[0]
    if m == 0:
        return out
    left = np.concatenate([r, np.arange(n_rows), n_rows + np.arange(n_cols), n_rows + c])
    right = np.concatenate([c, n_cols + np.arange(n_rows), np.arange(n_cols), n_cols + r])
    w = np.concatenate(
        [w0, np.full(n_rows, unmatched_cost), np.full(n_cols, unmatched_cost), np.zeros(m)]
    )
    top = float(np.abs(w).max())
    n_nodes = n_rows + n_cols + 1
    scale = min(_SCALE, _INT_BUDGET / (top * n_nodes)) if top > 0 else 1.0
    while True:
        solver = SimpleLinearSumAssignment()
        solver.add_arcs_with_cost(left, right, np.rint(w * scale).astype(np.int64))
        status = solver.solve()
        if status != solver.POSSIBLE_OVERFLOW or scale < 1e-3:
            break
        scale /= 64.0
    if status != solver.OPTIMAL:  # pragma: no cover - the padded graph always has one
        raise RuntimeError(f"assignment solver failed with status {status}")
    if scale < 1.0:
        # costs below a unit round to the same integer: the matching is then largest
        # but its ties are arbitrary (a caller's huge outlier cost does this)
        warnings.warn(
            f"assignment costs resolved to {1.0 / scale:.3g} units (largest cost {top:.3g} "
            f"over {n_nodes} nodes): smaller differences are not seen; bound the costs",
            RuntimeWarning,
            stacklevel=2,
        )
    # one call per row is the only way out of the solver: map, not a generator
    mate = np.array(list(map(solver.right_mate, range(n_rows))), np.int64).reshape(n_rows)
    real = np.flatnonzero(mate < n_cols)
    key = r * n_cols + c
    order = np.argsort(key, kind="stable")
    out[real] = edge[order[np.searchsorted(key[order], real * n_cols + mate[real])]]
    return out
