"""Distinct (row, event) pairs ordered by row, then event: what
``unique(k * (n + 1) + g)`` gives, by one counting pass over the rows and an
insertion sort of each row's few events (numba, the ``fast`` extra) instead of
sorting every pair's 64-bit key on each reassignment pass; and each row's best
pair by one pass (:func:`best_of_rows`, attachment's choice) instead of a
lexsort. Without numba, both sort."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from ceasefire.fuse.compiled import compiled, compiled_calling, getter
from ceasefire.fuse.keys import unique

IP = npt.NDArray[np.intp]


def _by_row_loop(g: Any, k: Any, n_rows: int) -> tuple[Any, Any]:
    """The distinct pairs ``(k[i], g[i])`` (rows in ``0..n_rows-1``) ordered by row,
    then event: a counting sort by row, then per row an insertion sort of its
    events, duplicates dropped."""
    n = k.shape[0]
    start = np.zeros(n_rows + 1, np.intp)
    for i in range(n):
        start[k[i] + 1] += 1
    for r in range(n_rows):
        start[r + 1] += start[r]
    fill = start[:n_rows].copy()
    ev = np.empty(n, np.intp)
    for i in range(n):
        r = k[i]
        # insertion into the row's run so far, kept sorted
        p = fill[r]
        v = g[i]
        while p > start[r] and ev[p - 1] > v:
            ev[p] = ev[p - 1]
            p -= 1
        ev[p] = v
        fill[r] += 1
    out_g = np.empty(n, np.intp)
    out_k = np.empty(n, np.intp)
    m = 0
    for r in range(n_rows):
        for p in range(start[r], fill[r]):
            if p > start[r] and ev[p] == ev[p - 1]:
                continue
            out_g[m] = ev[p]
            out_k[m] = r
            m += 1
    return out_g[:m], out_k[:m]


@getter
def by_row_kernel() -> Callable[..., tuple[Any, Any]] | None:
    """:func:`_by_row_loop` compiled (on first use), or None without the ``fast``
    extra."""
    return compiled(_by_row_loop)


def by_row(g: IP, k: IP, n_rows: int, n_events: int) -> tuple[IP, IP]:
    """The distinct (event ``g``, row ``k``) pairs ordered by row, then event
    (events below ``n_events``, rows below ``n_rows``): returns (g, k)."""
    kernel = by_row_kernel()
    if kernel is None:
        key = unique(k.astype(np.int64) * (n_events + 1) + g)
        return (key % (n_events + 1)).astype(np.intp), (key // (n_events + 1)).astype(np.intp)
    og, ok = kernel(np.asarray(g, np.intp), np.asarray(k, np.intp), n_rows)
    return np.asarray(og, np.intp), np.asarray(ok, np.intp)


def first(si: float, sb: float, ki: int, kb: int) -> bool:
    """Whether score ``si`` with tie key ``ki`` comes before ``sb`` with ``kb``:
    the lower score first, NaN scores last, equal (or both NaN) by the lower key
    (``np.lexsort``'s order of (key, score))."""
    if si == sb or (si != si and sb != sb):
        return ki < kb
    if si != si:
        return False
    if sb != sb:
        return True
    return si < sb


#: :func:`first`, rebound to its compiled version in :func:`best_kernel`'s loop
_first = first


def _best_loop(k: Any, score: Any, g: Any, n_rows: int) -> Any:
    """Per row of ``k`` (rows in ``0..n_rows-1``) the index of its pair that comes
    first by (score, event ``g``, index), NaN scores last (``np.lexsort``'s order),
    in row order."""
    best = np.full(n_rows, -1, np.intp)
    for i in range(k.shape[0]):
        r = k[i]
        b = best[r]
        if b < 0:
            best[r] = i
            continue
        if _first(score[i], score[b], g[i], g[b]):
            best[r] = i
    m = 0
    for r in range(n_rows):
        if best[r] >= 0:
            m += 1
    out = np.empty(m, np.intp)
    m = 0
    for r in range(n_rows):
        if best[r] >= 0:
            out[m] = best[r]
            m += 1
    return out


@getter
def best_kernel() -> Callable[..., Any] | None:
    """:func:`_best_loop` compiled (on first use), or None without the ``fast``
    extra."""
    return compiled_calling(_best_loop, _first=first)


def best_of_rows(k: IP, score: npt.NDArray[np.float64], g: IP, n_rows: int) -> IP:
    """Per row among ``k`` (below ``n_rows``), the index of its pair with the lowest
    ``score``, ties by the lowest event ``g``, then the first (NaN last), in row
    order: the first of each row in ``np.lexsort((g, score, k))``."""
    kernel = best_kernel()
    if kernel is None:
        order = np.lexsort((g, score, k))
        first = np.ones(order.shape[0], bool)
        first[1:] = k[order][1:] != k[order][:-1]
        return np.asarray(order[first], np.intp)
    return np.asarray(
        kernel(
            np.asarray(k, np.intp), np.asarray(score, np.float64), np.asarray(g, np.intp), n_rows
        ),
        np.intp,
    )
