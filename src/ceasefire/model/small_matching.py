"""Exact minimum-cost matchings of small components of a sparse assignment, by
enumeration (the reassignment's problems are mostly components of a few edges,
each of which an exact search settles faster than the cost-scaling solver's
phases over the whole graph). A component whose best matching is not unique is
left to the solver, so a caller gets the matching the solver would give.

The enumeration is compiled by numba (the ``fast`` extra) on first use; without
numba :func:`small_component_kernel` is None and every component goes to the
solver."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from ceasefire.model.numba_cache import stamp_caches

#: components of at most this many edges are enumerated (a few thousand choices at most)
MAX_EDGES = 12


def _find(parent: Any, i: int) -> int:
    """The root of ``i`` in the union-find forest ``parent`` (paths halved)."""
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _small_matchings(
    r: Any, c: Any, gain: Any, n_rows: int, n_cols: int, chosen: Any, left: Any
) -> None:
    """For the edges (rows ``r``, columns ``c``; distinct pairs) of each connected
    component of at most :data:`MAX_EDGES` edges, the matching of least total
    ``gain`` (integers: an edge's cost less the cost of leaving its row and its
    column alone; the empty matching gains 0): its edges set in ``chosen``. The
    edges of larger components, and of components with two best matchings, are
    set in ``left`` (for the solver)."""
    m = r.shape[0]
    parent = np.arange(n_rows + n_cols)
    for e in range(m):
        a = _find(parent, r[e])
        b = _find(parent, n_rows + c[e])
        if a != b:
            parent[a] = b
    root = np.empty(m, np.int64)
    count = np.zeros(n_rows + n_cols, np.int64)
    for e in range(m):
        root[e] = _find(parent, r[e])
        count[root[e]] += 1
    # the small components' edges gathered per component (counting sort by root)
    first = np.zeros(n_rows + n_cols + 1, np.int64)
    for k in range(n_rows + n_cols):
        first[k + 1] = first[k] + (count[k] if count[k] <= MAX_EDGES else 0)
    fill = first[:-1].copy()
    grouped = np.empty(first[-1], np.int64)
    for e in range(m):
        k = root[e]
        if count[k] <= MAX_EDGES:
            grouped[fill[k]] = e
            fill[k] += 1
        else:
            left[e] = True
    ed = np.empty(MAX_EDGES, np.int64)
    col = np.empty(MAX_EDGES, np.int64)
    cols_seen = np.empty(MAX_EDGES, np.int64)
    row_lo = np.empty(MAX_EDGES + 1, np.int64)
    pick = np.empty(MAX_EDGES, np.int64)
    best_pick = np.empty(MAX_EDGES, np.int64)
    for k in range(n_rows + n_cols):
        n_e = first[k + 1] - first[k]
        if n_e == 0:
            continue
        # the component's edges by row (insertion sort), columns numbered locally
        for i in range(n_e):
            e = grouped[first[k] + i]
            j = i
            while j > 0 and r[ed[j - 1]] > r[e]:
                ed[j] = ed[j - 1]
                j -= 1
            ed[j] = e
        n_c = 0
        for i in range(n_e):
            cc = c[ed[i]]
            j = 0
            while j < n_c and cols_seen[j] != cc:
                j += 1
            if j == n_c:
                cols_seen[n_c] = cc
                n_c += 1
            col[i] = j
        n_r = 0
        for i in range(n_e):
            if i == 0 or r[ed[i]] != r[ed[i - 1]]:
                row_lo[n_r] = i
                n_r += 1
        row_lo[n_r] = n_e
        # every matching: per row, alone (-1) or one of its edges (an odometer)
        for i in range(n_r):
            pick[i] = -1
            best_pick[i] = -1
        best = 0
        n_best = 1  # the empty matching
        while True:
            # the next choice (the empty one, first, is counted above)
            i = 0
            while i < n_r:
                pick[i] = row_lo[i] if pick[i] < 0 else pick[i] + 1
                if pick[i] < row_lo[i + 1]:
                    break
                pick[i] = -1
                i += 1
            if i == n_r:
                break
            used = 0
            total = 0
            ok = True
            for i in range(n_r):
                q = pick[i]
                if q >= 0:
                    bit = 1 << col[q]
                    if used & bit:
                        ok = False
                        break
                    used |= bit
                    total += gain[ed[q]]
            if not ok:
                continue
            if total < best:
                best = total
                n_best = 1
                for i in range(n_r):
                    best_pick[i] = pick[i]
            elif total == best:
                n_best += 1
        for i in range(n_e):
            if n_best > 1:
                left[ed[i]] = True
        if n_best == 1:
            for i in range(n_r):
                if best_pick[i] >= 0:
                    chosen[ed[best_pick[i]]] = True


@functools.cache
def small_component_kernel() -> Callable[..., None] | None:
    """:func:`_small_matchings` compiled by numba, or None when numba is not installed."""
    try:
        import numba
    except ImportError:  # pragma: no cover - depends on the install
        return None
    stamp_caches()
    jit: Any = numba.njit(cache=True, nogil=True)
    _small_matchings.__globals__["_find"] = jit(_find)
    kernel: Callable[..., None] = jit(_small_matchings)
    return kernel


__all__ = ["MAX_EDGES", "small_component_kernel"]
