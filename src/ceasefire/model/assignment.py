"""Minimum-cost one-to-one assignment over sparse candidate edges, where any row
or column may stay unmatched: a perfect matching on a padded bipartite graph,
solved by OR-Tools' cost-scaling ``LinearSumAssignment`` (scipy's LAPJVsp gave the
same matchings but took minutes on some dense-fire slices). Components of the
graph with one edge, or with a few edges and one best matching
(:mod:`.small_matching`), are settled before the solver sees the rest: their
matching is the only one the solver could give. The rest is solved exactly first
(:mod:`.unique_matching`) and handed to the solver only when its optimum is not
certified unique (ties, a search that gives up, or costs the solver would rescale)."""

from __future__ import annotations

import warnings

import numpy as np
import numpy.typing as npt
from ortools.graph.python.linear_sum_assignment import SimpleLinearSumAssignment

from ceasefire.model.matching_setup import SETTLED, setup_kernel
from ceasefire.model.small_matching import small_component_kernel
from ceasefire.model.unique_matching import UNIQUE, unique_matching_kernel

IP = npt.NDArray[np.intp]

#: the largest integer cost times the number of nodes (the solver's cost scaling
#: multiplies costs by about the number of nodes, and more: at 2^40 a 260k-node
#: scorer problem solves without an overflow warning, at 2^48 it warns); on
#: POSSIBLE_OVERFLOW the scale is cut further
_INT_BUDGET = 2.0**40
#: costs are scaled to integers with at most this resolution
_SCALE = 1e6
#: heap pushes the exact search may spend per edge before the solver takes over
_SEARCH_BUDGET = 64
#: :func:`~.matching_setup._setup_loop`'s limits as :func:`min_cost_matching`
#: passes them (the top scale, the integer budget, the search budget): for a
#: compiled caller that runs the setup loop itself
SETUP_LIMITS = (_SCALE, _INT_BUDGET, _SEARCH_BUDGET)


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
    r64, c64 = np.asarray(rows, np.int64), np.asarray(cols, np.int64)
    _check_edges(r64, c64, w0, n_rows, n_cols)
    kernel = setup_kernel()
    if kernel is not None:
        # up to the solver in one compiled loop; the numpy code below when a part
        # is left to the solver (rare: a tie, or a search that gives up)
        out = np.empty(n_rows, np.intp)
        status, scale = kernel(
            r64, c64, w0, n_rows, n_cols,
            float(unmatched_cost), _SCALE, _INT_BUDGET, _SEARCH_BUDGET, out,
        )  # fmt: skip
        if status == SETTLED:
            if scale < 1.0:
                _coarse_warning(scale, w0, unmatched_cost, n_rows + n_cols + 1)
            return out
    edge = np.isfinite(w0).nonzero()[0]  # the edges offered, as indices into the input
    r = np.asarray(rows, dtype=np.int64)[edge]
    c = np.asarray(cols, dtype=np.int64)[edge]
    w0 = w0[edge]
    out = np.full(n_rows, -1, np.intp)
    m = r.shape[0]
    if m == 0:
        return out
    top = float(max(np.abs(w0).max(), abs(unmatched_cost)))
    n_nodes = n_rows + n_cols + 1
    scale = min(_SCALE, _INT_BUDGET / (top * n_nodes)) if top > 0 else 1.0
    # an edge whose row and column have no other edge is a problem of its own (the
    # padded graph falls apart along the components of the edges): taken when it
    # costs less than leaving both alone; the rest go to the solver, with the
    # integer costs of the whole problem (a tie goes to the solver too)
    lone = (np.bincount(r, minlength=n_rows)[r] == 1) & (np.bincount(c, minlength=n_cols)[c] == 1)
    w_int = np.rint(w0 * scale)
    take = lone & (w_int < 2.0 * np.rint(unmatched_cost * scale))
    out[r[take]] = edge[take]
    rest = (~(lone & (take | (w_int > 2.0 * np.rint(unmatched_cost * scale))))).nonzero()[0]
    if rest.shape[0] > 0:
        # small components settled exactly when their best is unique (the solver
        # could give no other), the rest solved; if the solver must then cut the
        # scale, the small ones' integer costs were not its own: all solved again
        u_int = np.rint(unmatched_cost * scale)
        big = _small_components(
            out, edge[rest], r[rest], c[rest], w_int[rest] - 2.0 * u_int, n_rows, n_cols
        )
        part = rest[big]
        used = scale
        if part.shape[0] > 0:
            used = _solve_rest(out, edge[part], r[part], c[part], w0[part], unmatched_cost, scale)
        if used != scale:
            out[r[rest]] = -1
            used = _solve_rest(out, edge[rest], r[rest], c[rest], w0[rest], unmatched_cost, scale)
        scale = used
    if scale < 1.0:
        _coarse_warning(scale, w0, unmatched_cost, n_nodes)
    return out


def _check_edges(
    r: npt.NDArray[np.int64], c: npt.NDArray[np.int64], w: npt.NDArray[np.float64],
    n_rows: int, n_cols: int,
) -> None:  # fmt: skip
    """Raise ValueError unless the edges are three 1-D arrays of one length with
    rows in ``0..n_rows-1`` and columns in ``0..n_cols-1`` (the compiled loops
    index by them unchecked)."""
    if not (r.ndim == c.ndim == w.ndim == 1 and r.shape == c.shape == w.shape):
        raise ValueError(
            f"matching edges: rows, cols and costs must be 1-D of one length, got shapes "
            f"{r.shape}, {c.shape}, {w.shape}"
        )
    if r.shape[0] and (r.min() < 0 or r.max() >= n_rows or c.min() < 0 or c.max() >= n_cols):
        raise ValueError(
            f"matching edges: rows must lie in 0..{n_rows - 1} and cols in 0..{n_cols - 1}, "
            f"got rows {r.min()}..{r.max()}, cols {c.min()}..{c.max()}"
        )


def _coarse_warning(scale: float, w0: npt.NDArray[np.float64], unmatched: float, n: int) -> None:
    """Warn that costs below a unit round to the same integer: the matching is then
    largest but its ties are arbitrary (a caller's huge outlier cost does this)."""
    finite = w0[np.isfinite(w0)]
    top = float(max(np.abs(finite).max(initial=0.0), abs(unmatched)))
    warnings.warn(
        f"assignment costs resolved to {1.0 / scale:.3g} units (largest cost {top:.3g} "
        f"over {n} nodes): smaller differences are not seen; bound the costs",
        RuntimeWarning,
        stacklevel=3,
    )


def _small_components(
    out: IP,
    edge: IP,
    r: npt.NDArray[np.int64],
    c: npt.NDArray[np.int64],
    gain: npt.NDArray[np.float64],
    n_rows: int,
    n_cols: int,
) -> IP:
    """The edges ``edge`` (rows ``r`` of ``n_rows``, columns ``c`` of ``n_cols``;
    ``gain``: integer cost less twice the integer cost of leaving one alone)
    whose connected component has at most
    :data:`~ceasefire.model.small_matching.MAX_EDGES` edges matched by
    enumeration, each matched row's edge written to ``out``; returns the
    positions (into ``edge``) of the edges left to the solver: those of larger
    components and of components with two best matchings (all of them without
    numba)."""
    m = r.shape[0]
    kernel = small_component_kernel()
    if kernel is None:
        return np.arange(m)
    chosen = np.zeros(m, bool)
    left = np.zeros(m, bool)
    kernel(r, c, gain.astype(np.int64), n_rows, n_cols, chosen, left)
    hit = chosen.nonzero()[0]
    out[r[hit]] = edge[hit]
    return left.nonzero()[0]


def _solve_rest(
    out: IP,
    edge: IP,
    r: IP,
    c: IP,
    w0: npt.NDArray[np.float64],
    unmatched: float,
    scale: float,
) -> float:
    """The edges ``edge`` (rows ``r``, columns ``c``, costs ``w0``) matched by
    :func:`_solve` on their own rows and columns (renumbered); each matched row's
    chosen edge written to ``out``. Returns the scale used."""
    r_ids, r_sub = np.unique(r, return_inverse=True)
    c_ids, c_sub = np.unique(c, return_inverse=True)
    r_sub, c_sub = r_sub.ravel(), c_sub.ravel()
    n_c = c_ids.shape[0]
    sub = _unique(r_sub, c_sub, w0, r_ids.shape[0], n_c, unmatched, scale)
    if sub is not None:
        hit = (sub >= 0).nonzero()[0]
        out[r_ids[hit]] = edge[sub[hit]]
        return scale
    mate, scale = _solve(r_sub, c_sub, w0, r_ids.shape[0], n_c, unmatched, scale)
    real = np.flatnonzero(mate >= 0)
    # the chosen edge of each matched row, found by its (row, column) key
    key = r_sub.astype(np.int64) * n_c + c_sub
    order = np.argsort(key, kind="stable")
    hit = order[np.searchsorted(key[order], real * n_c + mate[real])]
    out[r_ids[real]] = edge[hit]
    return scale


def _unique(
    r: IP,
    c: IP,
    w0: npt.NDArray[np.float64],
    n_rows: int,
    n_cols: int,
    unmatched: float,
    scale: float,
) -> IP | None:
    """Per row its chosen edge (-1 alone) when the padded problem of :func:`_solve`
    has one optimum on the integer costs ``rint(cost * scale)``, certified by
    :mod:`.unique_matching` (the solver, exact on those integers, could give no
    other); None when it has several, when the exact search gives up, when the
    solver would cut the scale, or without numba."""
    kernel = unique_matching_kernel()
    if kernel is None:
        return None
    w_int = np.rint(w0 * scale)
    u_int = float(np.rint(unmatched * scale))
    # the solver scales its integer costs by about its node count: where that may
    # overflow it cuts ``scale`` (:func:`_solve`), and these integers are not its own;
    # small weights keep the search's sums far inside int64
    top = max(float(np.abs(w_int).max(initial=0.0)), abs(u_int))
    if top * (2 * (n_rows + n_cols) + 1) >= 2.0**62 or 3.0 * top >= 2.0**58:
        return None
    # a pair's weight: what taking it saves over leaving its row and column alone
    weight = (2.0 * u_int - w_int).astype(np.int64)
    row_edge = np.empty(n_rows, np.int64)
    budget = _SEARCH_BUDGET * r.shape[0] + 10_000
    status = kernel(
        r.astype(np.int64), c.astype(np.int64), weight, n_rows, n_cols, budget, row_edge
    )
    return row_edge.astype(np.intp) if status == UNIQUE else None


def _solve(
    r: IP,
    c: IP,
    w0: npt.NDArray[np.float64],
    n_rows: int,
    n_cols: int,
    unmatched: float,
    scale: float,
) -> tuple[IP, float]:
    """The padded perfect matching of :func:`min_cost_matching` solved by OR-Tools
    with integer costs ``rint(cost * scale)`` (the scale cut by 64 while the solver
    may overflow): per row its column, or -1; and the scale used."""
    m = r.shape[0]
    left = np.concatenate([r, np.arange(n_rows), n_rows + np.arange(n_cols), n_rows + c])
    right = np.concatenate([c, n_cols + np.arange(n_rows), np.arange(n_cols), n_cols + r])
    w = np.concatenate([w0, np.full(n_rows, unmatched), np.full(n_cols, unmatched), np.zeros(m)])
    while True:
        solver = SimpleLinearSumAssignment()
        solver.add_arcs_with_cost(left, right, np.rint(w * scale).astype(np.int64))
        status = solver.solve()
        if status != solver.POSSIBLE_OVERFLOW or scale < 1e-3:
            break
        scale /= 64.0
    if status != solver.OPTIMAL:  # pragma: no cover - the padded graph always has one
        raise RuntimeError(f"assignment solver failed with status {status}")
    # one call per row is the only way out of the solver: map, not a generator
    mate = np.array(list(map(solver.right_mate, range(n_rows))), np.int64).reshape(n_rows)
    return np.where(mate < n_cols, mate, -1).astype(np.intp), scale
