""":func:`~ceasefire.model.assignment.min_cost_matching` up to the solver as one
compiled loop (numba, the ``fast`` extra): the edges offered, the scale, the
lone edges, the small components (:mod:`.small_matching`) and the exact search
of the rest (:mod:`.unique_matching`) on its own rows and columns, each step the
numpy code's arithmetic in its order, instead of ~45 numpy calls a matching
(the reassignment passes of association ask for ~840 matchings a fuse of the
bearing row, of ~200 edges each). What the exact search does not certify goes
back to the numpy code (and the solver). Without numba :func:`setup_kernel`
gives None."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from ceasefire.model.numba_cache import stamp_caches
from ceasefire.model.small_matching import small_component_kernel
from ceasefire.model.unique_matching import UNIQUE, unique_matching_kernel

#: the loops :func:`_setup_loop` calls, rebound to their compiled dispatchers
#: by :func:`setup_kernel` (a compiled loop calls compiled functions only)
_small: Any = None
_unique: Any = None

#: :func:`_setup_loop`'s outcomes: every row settled; a part left to the solver
SETTLED, LEFT = 0, 1


def _renumber(ids: Any, n: int) -> tuple[Any, Any]:
    """``np.unique(ids, return_inverse=True)`` for ids in ``0..n-1``: the sorted
    distinct ids and each one's index among them (a mark per id)."""
    rank = np.full(n, -1, np.int64)
    for i in range(ids.shape[0]):
        rank[ids[i]] = 0
    k = 0
    for v in range(n):
        if rank[v] == 0:
            rank[v] = k
            k += 1
    distinct = np.empty(k, np.int64)
    inv = np.empty(ids.shape[0], np.int64)
    for i in range(ids.shape[0]):
        inv[i] = rank[ids[i]]
        distinct[inv[i]] = ids[i]
    return distinct, inv


def _setup_loop(
    rows: Any, cols: Any, w_in: Any, n_rows: int, n_cols: int, unmatched: float,
    top_scale: float, int_budget: float, search_budget: int, out: Any,
) -> tuple[int, float]:  # fmt: skip
    """:func:`~.assignment.min_cost_matching`'s steps up to the solver on the
    edges (``rows``, ``cols``, costs ``w_in``; infinite costs never offered),
    each matched row's edge written to ``out`` (-1 alone, filled here): returns
    :data:`SETTLED` and the scale of the integer costs, or :data:`LEFT` when
    some component is neither enumerated nor certified by the exact search (the
    caller then runs the numpy code and the solver: ``out`` is not to be
    used)."""
    for i in range(n_rows):
        out[i] = -1
    n_in = w_in.shape[0]
    m = 0
    for e in range(n_in):
        if w_in[e] - w_in[e] == 0.0:
            m += 1
    edge = np.empty(m, np.int64)
    r = np.empty(m, np.int64)
    c = np.empty(m, np.int64)
    w0 = np.empty(m)
    j = 0
    for e in range(n_in):
        if w_in[e] - w_in[e] == 0.0:
            edge[j] = e
            r[j] = rows[e]
            c[j] = cols[e]
            w0[j] = w_in[e]
            j += 1
    if m == 0:
        return SETTLED, 1.0
    wmax = 0.0
    for j in range(m):
        a = abs(w0[j])
        if j == 0 or a > wmax:
            wmax = a
    au = abs(unmatched)
    # Python's max: the first unless the second is larger
    top = au if au > wmax else wmax
    n_nodes = n_rows + n_cols + 1
    scale = min(top_scale, int_budget / (top * n_nodes)) if top > 0 else 1.0
    per_row = np.zeros(n_rows, np.int64)
    per_col = np.zeros(n_cols, np.int64)
    for j in range(m):
        per_row[r[j]] += 1
        per_col[c[j]] += 1
    u2 = 2.0 * np.rint(unmatched * scale)
    w_int = np.empty(m)
    rest = np.empty(m, np.int64)
    n_rest = 0
    for j in range(m):
        wi = np.rint(w0[j] * scale)
        w_int[j] = wi
        lone = per_row[r[j]] == 1 and per_col[c[j]] == 1
        take = lone and wi < u2
        if take:
            out[r[j]] = edge[j]
        if not (lone and (take or wi > u2)):
            rest[n_rest] = j
            n_rest += 1
    if n_rest == 0:
        return SETTLED, scale
    rest = rest[:n_rest]
    u_int = np.rint(unmatched * scale)
    rr = np.empty(n_rest, np.int64)
    rc = np.empty(n_rest, np.int64)
    gain = np.empty(n_rest, np.int64)
    for i in range(n_rest):
        j = rest[i]
        rr[i] = r[j]
        rc[i] = c[j]
        gain[i] = np.int64(w_int[j] - 2.0 * u_int)
    chosen = np.zeros(n_rest, np.bool_)
    left = np.zeros(n_rest, np.bool_)
    _small(rr, rc, gain, n_rows, n_cols, chosen, left)
    n_part = 0
    for i in range(n_rest):
        if chosen[i]:
            out[rr[i]] = edge[rest[i]]
        if left[i]:
            n_part += 1
    if n_part == 0:
        return SETTLED, scale
    part = np.empty(n_part, np.int64)
    k = 0
    for i in range(n_rest):
        if left[i]:
            part[k] = rest[i]
            k += 1
    # the exact search on the part's own rows and columns (renumbered)
    pr = np.empty(n_part, np.int64)
    pc = np.empty(n_part, np.int64)
    for i in range(n_part):
        pr[i] = r[part[i]]
        pc[i] = c[part[i]]
    r_ids, r_sub = _renumber(pr, n_rows)
    c_ids, c_sub = _renumber(pc, n_cols)
    nr, nc = r_ids.shape[0], c_ids.shape[0]
    wtop = 0.0
    for i in range(n_part):
        a = abs(w_int[part[i]])
        if a > wtop:
            wtop = a
    top_i = wtop if not (abs(u_int) > wtop) else abs(u_int)
    if top_i * (2 * (nr + nc) + 1) >= 2.0**62 or 3.0 * top_i >= 2.0**58:
        return LEFT, scale
    weight = np.empty(n_part, np.int64)
    for i in range(n_part):
        weight[i] = np.int64(2.0 * u_int - w_int[part[i]])
    row_edge = np.empty(nr, np.int64)
    budget = search_budget * n_part + 10_000
    if _unique(r_sub, c_sub, weight, nr, nc, budget, row_edge) != UNIQUE:
        return LEFT, scale
    for i in range(nr):
        if row_edge[i] >= 0:
            out[r_ids[i]] = edge[part[row_edge[i]]]
    return SETTLED, scale


@functools.cache
def setup_kernel() -> Callable[..., tuple[int, float]] | None:
    """:func:`_setup_loop` compiled by numba (on first use), or None when numba
    is not installed."""
    try:
        import numba
    except ImportError:  # pragma: no cover - depends on the install
        return None
    small, unique = small_component_kernel(), unique_matching_kernel()
    if small is None or unique is None:  # pragma: no cover - numba is installed
        return None
    stamp_caches()
    jit: Any = numba.njit(cache=True, nogil=True)
    g = _setup_loop.__globals__
    g["_small"], g["_unique"], g["_renumber"] = small, unique, jit(_renumber)
    kernel: Callable[..., tuple[int, float]] = jit(_setup_loop)
    return kernel


__all__ = ["LEFT", "SETTLED", "setup_kernel"]
