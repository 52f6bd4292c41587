"""Sets of integer keys by one sort: the unique values (with inverse or first
index) and membership, with the same results as ``np.unique`` / ``np.isin``.

Why not ``np.unique``: on numpy 2.3+ it goes through a hash table for integer
arrays and then sorts, 30-60 x slower than ``np.sort`` on the 0.5 M-key arrays
association builds on every pass (benchmarks/README.md, fusion speed)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from ceasefire.fuse.compiled import compiled, getter

IP = npt.NDArray[np.intp]
S = TypeVar("S", bound=np.integer)
IA = npt.NDArray[np.integer]


def _runs(s: IA) -> npt.NDArray[np.bool_]:
    """Per position of the sorted ``s``: it starts a run of equal values."""
    first = np.empty(s.shape[0], bool)
    if s.shape[0]:
        first[0] = True
        np.not_equal(s[1:], s[:-1], out=first[1:])
    return first


#: keys spanning fewer values than this are sorted as 16-bit integers (numpy's
#: stable sort is then a radix sort, ~10 x faster than its merge sort on 64-bit keys)
_RADIX_SPAN = 1 << 16


def stable_argsort(a: IA) -> IP:
    """``np.argsort(a, kind="stable")`` of a 1-D integer array (a stable order is
    unique, so the result is the same): by radix sort on ``a - a.min()`` as 16-bit
    integers when the keys span fewer than 2**16 values (as event labels do)."""
    if a.shape[0] > 1024:
        lo, hi = int(a.min()), int(a.max())
        if hi - lo < _RADIX_SPAN:
            return np.argsort((a - lo).astype(np.uint16), kind="stable").astype(np.intp)
    return a.argsort(kind="stable").astype(np.intp, copy=False)


def lexsort_int_float_int(major: IA, mid: npt.NDArray[np.floating], minor: IA) -> IP:
    """``np.lexsort((minor, mid, major))`` of three ``(n,)`` keys, the outer two
    integers: the same order (a stable order is unique) by three stable sorts of
    which the integer ones are radix sorts when their keys span fewer than 2**16
    values (:func:`stable_argsort`; ~1.4x numpy's three merge sorts on ray seeds'
    (bearing, range, arrival) keys). NaNs in ``mid`` last, as numpy has them."""
    o = stable_argsort(minor)
    o = o[np.argsort(mid[o], kind="stable")]
    return o[stable_argsort(major[o])]


def first_max_of_runs(key: IA, count: IA) -> IP:
    """Per run of equal values of the sorted ``key``, the position of its first
    largest ``count`` (increasing): the first of each run in
    ``np.lexsort((-count, key))`` order, without the sort."""
    if key.shape[0] == 0:
        return np.zeros(0, np.intp)
    start = _runs(key).nonzero()[0]
    size = np.diff(np.append(start, key.shape[0]))
    top = np.repeat(np.maximum.reduceat(count, start), size)
    at = (count == top).nonzero()[0]
    return at[_runs(key[at])].astype(np.intp, copy=False)


#: bits sorted per pass of :func:`_radix_unique_loop` (2,048 counters: 16 kB, in
#: the first cache; 8 and 12 bits took as long on the voxel codes)
_DIGIT = 11
#: 64-bit keys at least this many go to the radix loop (below, its passes over
#: 2,048 counters cost more than numpy's sort saves)
_RADIX_MIN = 4096


def _radix_unique_loop(a: Any, lo: int, passes: int) -> Any:
    """The sorted distinct values of the int64 ``a`` by an LSD radix sort of ``a -
    lo`` (``lo`` its least value; ``passes`` digits of ``_DIGIT`` bits cover the
    span), then one pass dropping repeats (compiled by numba)."""
    n = a.shape[0]
    nb = 1 << _DIGIT
    mask = nb - 1
    src = np.empty(n, np.int64)
    for i in range(n):
        src[i] = a[i] - lo
    dst = np.empty(n, np.int64)
    cnt = np.empty(nb + 1, np.int64)
    for p in range(passes):
        sh = p * _DIGIT
        cnt[:] = 0
        for i in range(n):
            cnt[((src[i] >> sh) & mask) + 1] += 1
        for b in range(nb):
            cnt[b + 1] += cnt[b]
        for i in range(n):
            d = (src[i] >> sh) & mask
            dst[cnt[d]] = src[i]
            cnt[d] += 1
        src, dst = dst, src
    m = 0
    for i in range(n):
        if i == 0 or src[i] != src[i - 1]:
            dst[m] = src[i] + lo
            m += 1
    return dst[:m]


@getter
def _radix_unique_kernel() -> Callable[..., Any] | None:
    """:func:`_radix_unique_loop` compiled (on first use), or None without numba."""
    return compiled(_radix_unique_loop)


def unique(a: npt.NDArray[S]) -> npt.NDArray[S]:
    """The sorted distinct values of the 1-D integer array ``a`` (``np.unique(a)``).
    Large int64 arrays by a compiled radix sort (numpy's sort of 64-bit integers
    is a comparison sort: ~3.5 x the time on the 0.4 M voxel codes of a stress
    window's bearing pairs; the values are the same, as a sorted set is one)."""
    if a.dtype == np.int64 and a.ndim == 1 and a.shape[0] >= _RADIX_MIN:
        kernel = _radix_unique_kernel()
        lo, hi = int(a.min()), int(a.max())
        # a span that fits 62 bits: a - lo never overflows
        if kernel is not None and hi - lo < (1 << 62):
            passes = max(-(-(hi - lo).bit_length() // _DIGIT), 1)
            return np.asarray(kernel(a, lo, passes), dtype=a.dtype)
    s = np.sort(a)
    return s[_runs(s)]


def unique_inverse(a: npt.NDArray[S]) -> tuple[npt.NDArray[S], IP]:
    """``np.unique(a, return_inverse=True)`` for a 1-D integer array: the sorted
    distinct values and, per element of ``a``, the index of its value among them."""
    order = stable_argsort(a)
    s = a[order]
    first = _runs(s)
    inv = np.empty(a.shape[0], np.intp)
    inv[order] = first.cumsum() - 1
    return s[first], inv


def unique_inverse_sorted(s: npt.NDArray[S]) -> tuple[npt.NDArray[S], IP]:
    """:func:`unique_inverse` of an already sorted 1-D integer array (its stable
    order is the identity: no sort)."""
    first = _runs(s)
    return s[first], (first.cumsum() - 1).astype(np.intp)


def unique_index(a: npt.NDArray[S]) -> tuple[npt.NDArray[S], IP]:
    """``np.unique(a, return_index=True)`` for a 1-D integer array: the sorted
    distinct values and the index of each one's first occurrence in ``a``."""
    order = stable_argsort(a)
    first = _runs(a[order])
    return a[order][first], order[first].astype(np.intp)


def isin_sorted(a: IA, table: IA) -> npt.NDArray[np.bool_]:
    """Per element of ``a``: whether it is in ``table`` (sorted, distinct: the
    output of :func:`unique`); ``np.isin(a, table)``."""
    if table.shape[0] == 0 or a.shape[0] == 0:
        return np.zeros(a.shape[0], bool)
    lo, hi = int(table[0]), int(table[-1])
    if hi - lo <= 4 * a.shape[0] + 1024:
        # a dense table over the keys' range: one lookup per key, no search
        dense = np.zeros(hi - lo + 1, bool)
        dense[table - lo] = True
        inside = (a >= lo) & (a <= hi)
        out = np.zeros(a.shape[0], bool)
        out[inside] = dense[a[inside] - lo]
        return out
    pos = np.minimum(np.searchsorted(table, a), table.shape[0] - 1)
    return np.asarray(table[pos] == a, dtype=bool)


def isin_keys(a: IA, keys: IA, size: int) -> npt.NDArray[np.bool_]:
    """Per element of ``a``: whether it is among ``keys`` (any order, repeats
    allowed), both in ``0..size-1``; ``np.isin(a, keys)``. A table of ``size``
    flags when that is small next to the arrays (no sort), else
    :func:`isin_sorted` of the sorted keys."""
    if size <= 8 * (a.shape[0] + keys.shape[0]) + (1 << 20):
        table = np.zeros(size, bool)
        table[keys] = True
        return np.asarray(table[a], dtype=bool)
    return isin_sorted(a, unique(keys))


def row_ranks(*columns: npt.NDArray[np.floating]) -> IP:
    """Per row of the float ``columns`` (each ``(n,)``), the rank of its record among
    the distinct records in column order: ``np.unique(np.column_stack(columns),
    axis=0, return_inverse=True)``'s inverse, by one lexsort (numpy's unique along
    an axis sorts the rows as records, ~7 x the time). Records with a NaN or an
    infinity go to numpy itself (its record order of NaN is its own)."""
    n = columns[0].shape[0]
    if n == 0 or not all(bool(np.isfinite(c).all()) for c in columns):
        _, inv = np.unique(np.column_stack(columns), axis=0, return_inverse=True)
        return np.asarray(inv.ravel(), dtype=np.intp)
    order = np.lexsort(columns[::-1])
    new = np.zeros(n, bool)
    new[0] = True
    for c in columns:
        s = c[order]
        new[1:] |= s[1:] != s[:-1]
    out = np.empty(n, np.intp)
    out[order] = np.cumsum(new) - 1
    return out


def ranges(start: npt.NDArray[np.integer], count: npt.NDArray[np.integer]) -> IP:
    """The indices ``start[i]:start[i] + count[i]`` of every ``i``, concatenated
    (the rows of segments of a flat array, without a loop)."""
    total = int(count.sum())
    before = np.cumsum(count) - count
    return (np.repeat(start - before, count) + np.arange(total)).astype(np.intp, copy=False)
