"""Exact maximum-weight matchings of a sparse bipartite graph with integer weights,
kept only when they are provably the one optimum: the matching comes with the
LP duals that certify it optimal, and the tight arcs (zero reduced cost) are
checked to admit no other optimum. A matching that passes both checks is the
matching any exact solver gives on the same integer costs (OR-Tools' included),
so :mod:`.assignment` hands the solver only the problems that fail them.

The solver is the primal-dual method with Dijkstra searches (successive shortest
paths; Mehlhorn and Näher's LEDA book, section 7.8): each free row in turn grows
a search over alternating paths with reduced costs until it reaches a free
column, or a row whose dual can fall to zero (that row is then left alone).
Duals ``y >= 0`` with ``y[r] + y[c] >= w[e]`` on every edge; a matched edge is
tight, an unmatched row or column has ``y = 0``.

Another optimum exists exactly when the tight graph holds an alternating cycle,
or an alternating path between two ends that may be left alone (an unmatched
end, or a matched one whose dual is zero). With matched edges directed column
-> row, tight unmatched edges row -> column and one extra node ``z`` joined to
the ends (``z`` -> path starts, path ends -> ``z``), both are directed cycles:
the optimum is unique when that graph is acyclic (Kahn's algorithm).

Compiled by numba (the ``fast`` extra) on first use; without numba
:func:`unique_matching_kernel` is None and every problem goes to the solver."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from ceasefire.model.numba_cache import stamp_caches

#: the kernel's answers: the matching is the one optimum; another optimum exists;
#: the search gave up (its work budget spent) or its certificate did not hold
UNIQUE, NOT_UNIQUE, GAVE_UP = 0, 1, 2

_INF = np.iinfo(np.int64).max // 4
#: the largest dual the certificate accepts (with weights below 2^59, so that no
#: sum of the check can overflow, whatever the search did)
_Y_MAX = 2**60


def _heap_push(hk: Any, hv: Any, n: int, key: int, val: int) -> int:
    """Push ``(key, val)`` on the binary min-heap ``hk``/``hv`` of ``n`` items; the new size."""
    i = n
    while i > 0:
        p = (i - 1) >> 1
        if hk[p] <= key:
            break
        hk[i] = hk[p]
        hv[i] = hv[p]
        i = p
    hk[i] = key
    hv[i] = val
    return n + 1


def _heap_pop(hk: Any, hv: Any, n: int) -> int:
    """Remove the least item (read it at index 0 first) of the heap of ``n`` items; the new size."""
    n -= 1
    key = hk[n]
    val = hv[n]
    i = 0
    while True:
        child = 2 * i + 1
        if child >= n:
            break
        if child + 1 < n and hk[child + 1] < hk[child]:
            child += 1
        if hk[child] >= key:
            break
        hk[i] = hk[child]
        hv[i] = hv[child]
        i = child
    hk[i] = key
    hv[i] = val
    return n


def _solve(
    r: Any, c: Any, w: Any, n_rows: int, n_cols: int, start: Any, order: Any, budget: int,
    row_edge: Any, col_row: Any, yr: Any, yc: Any,
) -> bool:  # fmt: skip
    """A maximum-weight matching of the edges (rows ``r``, columns ``c``, integer
    weights ``w``; rows' edges at ``order[start[i]:start[i + 1]]``) with its duals:
    each row's matched edge in ``row_edge`` (-1 alone), each column's row in
    ``col_row``, duals in ``yr``/``yc``. False when the searches' heap operations
    exceed ``budget`` (nothing is then certified)."""
    dr = np.full(n_rows, _INF, np.int64)
    dc = np.full(n_cols, _INF, np.int64)
    pred = np.full(n_cols, -1, np.int64)
    done_c = np.zeros(n_cols, np.bool_)
    seen_r = np.empty(n_rows, np.int64)
    seen_c = np.empty(n_cols, np.int64)
    hk = np.empty(order.shape[0] + 1, np.int64)
    hv = np.empty(order.shape[0] + 1, np.int64)
    for i in range(n_rows):
        top = 0
        for k in range(start[i], start[i + 1]):
            if w[order[k]] > top:
                top = w[order[k]]
        yr[i] = top
    for j in range(n_cols):
        yc[j] = 0
    work = 0
    for a in range(n_rows):
        if yr[a] == 0:
            continue
        n_sr = 0
        n_sc = 0
        nh = 0
        dr[a] = 0
        seen_r[n_sr] = a
        n_sr += 1
        best = yr[a]  # leaving ``a`` alone: its dual falls to zero
        target_row = a
        target_col = -1
        v = a
        dv = 0
        while True:
            # settle row v at distance dv: relax its unmatched edges
            if dv + yr[v] < best:
                best = dv + yr[v]
                target_row = v
                target_col = -1
            own = row_edge[v]
            base = dv + yr[v]
            for k in range(start[v], start[v + 1]):
                e = order[k]
                if e == own:
                    continue
                j = c[e]
                if done_c[j]:
                    continue
                nd = base + yc[j] - w[e]
                if nd < dc[j] and nd < best:
                    if dc[j] == _INF:
                        seen_c[n_sc] = j
                        n_sc += 1
                    dc[j] = nd
                    pred[j] = e
                    nh = _heap_push(hk, hv, nh, nd, j)
                    work += 1
            # the nearest column not settled yet
            j = -1
            while nh > 0:
                key = hk[0]
                jj = hv[0]
                nh = _heap_pop(hk, hv, nh)
                if not done_c[jj] and key == dc[jj]:
                    j = jj
                    break
            if j < 0 or dc[j] >= best:
                break
            done_c[j] = True
            if col_row[j] < 0:
                best = dc[j]
                target_col = j
                target_row = -1
                break
            v = col_row[j]
            dv = dc[j]
            dr[v] = dv
            seen_r[n_sr] = v
            n_sr += 1
        if work > budget:
            return False
        delta = best
        # duals: settled rows fall, settled columns rise, by delta less their distance
        for t in range(n_sr):
            v = seen_r[t]
            yr[v] -= delta - dr[v]
            dr[v] = _INF
        for t in range(n_sc):
            j = seen_c[t]
            if done_c[j]:
                yc[j] += delta - dc[j]
            dc[j] = _INF
            done_c[j] = False
        # augment: along the search tree back to ``a`` from the free column reached,
        # or from the column of the row left alone
        if target_col < 0:
            v = target_row
            if v == a:
                continue
            j = c[row_edge[v]]
            row_edge[v] = -1
            col_row[j] = -1
        else:
            j = target_col
        while True:
            e = pred[j]
            v = r[e]
            nxt = c[row_edge[v]] if row_edge[v] >= 0 else -1
            row_edge[v] = e
            col_row[j] = v
            if v == a:
                break
            j = nxt
    return True


def _check_unique(
    r: Any, c: Any, w: Any, n_rows: int, n_cols: int, row_edge: Any, col_row: Any,
    yr: Any, yc: Any,
) -> int:  # fmt: skip
    """:data:`UNIQUE` when ``row_edge`` is a matching certified optimal by the
    duals ``yr``/``yc`` and no other matching is optimal; :data:`NOT_UNIQUE` when
    another is; :data:`GAVE_UP` when the certificate does not hold."""
    m = r.shape[0]
    # the certificate: a matching, duals feasible, matched edges tight, the
    # unmatched at zero
    for e in range(m):
        if not -_Y_MAX < w[e] < _Y_MAX // 2:
            return GAVE_UP
    for j in range(n_cols):
        if yc[j] < 0 or yc[j] > _Y_MAX or (col_row[j] < 0 and yc[j] != 0):
            return GAVE_UP
        if col_row[j] >= 0:
            e = row_edge[col_row[j]]
            if e < 0 or c[e] != j:
                return GAVE_UP
    for i in range(n_rows):
        e = row_edge[i]
        if yr[i] < 0 or yr[i] > _Y_MAX or (e < 0 and yr[i] != 0):
            return GAVE_UP
        if e >= 0 and (r[e] != i or col_row[c[e]] != i or yr[i] + yc[c[e]] != w[e]):
            return GAVE_UP
    # the tight graph's arcs (rows 0.., columns n_rows.., z last), in-degrees first
    z = n_rows + n_cols
    indeg = np.zeros(z + 1, np.int64)
    n_out = np.zeros(z + 2, np.int64)
    for e in range(m):
        s = yr[r[e]] + yc[c[e]] - w[e]
        if s < 0:
            return GAVE_UP
        if s == 0 and row_edge[r[e]] != e:
            n_out[r[e] + 1] += 1
    for i in range(n_rows):
        if row_edge[i] >= 0 and yr[i] == 0:
            n_out[i + 1] += 1  # -> z
        if row_edge[i] < 0:
            n_out[z + 1] += 1  # z -> an unmatched row
    for j in range(n_cols):
        n_out[n_rows + j + 1] += 1  # -> its row, or -> z when unmatched
        if col_row[j] >= 0 and yc[j] == 0:
            n_out[z + 1] += 1  # z -> a matched column at zero
    for k in range(z + 1):
        n_out[k + 1] += n_out[k]
    head = np.empty(n_out[z + 1], np.int64)
    fill = n_out[:-1].copy()
    for e in range(m):
        if yr[r[e]] + yc[c[e]] == w[e] and row_edge[r[e]] != e:
            head[fill[r[e]]] = n_rows + c[e]
            fill[r[e]] += 1
    for i in range(n_rows):
        if row_edge[i] >= 0 and yr[i] == 0:
            head[fill[i]] = z
            fill[i] += 1
        if row_edge[i] < 0:
            head[fill[z]] = i
            fill[z] += 1
    for j in range(n_cols):
        head[fill[n_rows + j]] = col_row[j] if col_row[j] >= 0 else z
        fill[n_rows + j] += 1
        if col_row[j] >= 0 and yc[j] == 0:
            head[fill[z]] = n_rows + j
            fill[z] += 1
    for k in range(head.shape[0]):
        indeg[head[k]] += 1
    # Kahn: acyclic when every node comes off
    stack = np.empty(z + 1, np.int64)
    n_st = 0
    for k in range(z + 1):
        if indeg[k] == 0:
            stack[n_st] = k
            n_st += 1
    gone = 0
    while n_st > 0:
        n_st -= 1
        k = stack[n_st]
        gone += 1
        for t in range(n_out[k], n_out[k + 1]):
            h = head[t]
            indeg[h] -= 1
            if indeg[h] == 0:
                stack[n_st] = h
                n_st += 1
    return UNIQUE if gone == z + 1 else NOT_UNIQUE


def _unique_matching(
    r: Any, c: Any, w: Any, n_rows: int, n_cols: int, budget: int, row_edge: Any
) -> int:
    """The maximum-weight matching of the edges (rows ``r``, columns ``c``, integer
    weights ``w``; distinct pairs; an unmatched row or column weighs 0): each
    row's edge written to ``row_edge`` (-1 alone). Returns :data:`UNIQUE` when it
    is certified the one optimum, else :data:`NOT_UNIQUE` or :data:`GAVE_UP`
    (``budget``: heap pushes allowed), and ``row_edge`` is then not to be used."""
    m = r.shape[0]
    start = np.zeros(n_rows + 1, np.int64)
    for e in range(m):
        start[r[e] + 1] += 1
    for i in range(n_rows):
        start[i + 1] += start[i]
    fill = start[:-1].copy()
    order = np.empty(m, np.int64)
    for e in range(m):
        order[fill[r[e]]] = e
        fill[r[e]] += 1
    col_row = np.full(n_cols, -1, np.int64)
    yr = np.zeros(n_rows, np.int64)
    yc = np.zeros(n_cols, np.int64)
    for i in range(n_rows):
        row_edge[i] = -1
    if not _solve(r, c, w, n_rows, n_cols, start, order, budget, row_edge, col_row, yr, yc):
        return GAVE_UP
    return _check_unique(r, c, w, n_rows, n_cols, row_edge, col_row, yr, yc)


@functools.cache
def unique_matching_kernel() -> Callable[..., int] | None:
    """:func:`_unique_matching` compiled by numba, or None when numba is not installed."""
    try:
        import numba
    except ImportError:  # pragma: no cover - depends on the install
        return None
    stamp_caches()
    jit: Any = numba.njit(cache=True, nogil=True)
    g = _unique_matching.__globals__
    for name in ("_heap_push", "_heap_pop", "_solve", "_check_unique"):
        g[name] = jit(g[name])
    kernel: Callable[..., int] = jit(_unique_matching)
    return kernel


__all__ = ["GAVE_UP", "NOT_UNIQUE", "UNIQUE", "unique_matching_kernel"]
