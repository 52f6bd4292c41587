"""Merging: two events that are the same explosion (estimates within their joint
uncertainty, no observer in both) become one. The candidate pairs and the
shared-observer test are compiled loops with the ``fast`` extra (numba): a merge
(~3 a tile) cost ~160 us in numpy and a k-d tree on a bearing tile's ~50 events;
numpy's ``solve`` between them, so the same distances to the bit."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from ceasefire.fuse.association import gates
from ceasefire.fuse.association.clusters import Clusters
from ceasefire.fuse.association.gates import fitted, quantile
from ceasefire.fuse.association.reports import F8, IP, B, Reports
from ceasefire.fuse.compiled import compiled, compiled_calling, getter
from ceasefire.fuse.keys import isin_sorted, ranges, unique


@dataclass(frozen=True)
class MergeConfig:
    """When two events are one."""

    #: chi-square gate (3 dof over x, y, T) of the difference of two estimates, as
    #: the probability that one event's two estimates pass
    gate_p: float = 0.999
    #: candidates: estimates within this distance in x, y and c x T (a box), m
    window_m: float = 2_000.0


#: the compiled shared-observer test's table of (event, observer) flags is made
#: when it holds at most this many (bytes; a tile's merge: ~2,500 events)
TABLE_MAX = 1 << 24


def shares_observer(labels: IP, src: IP, n_src: int, a: IP, b: IP) -> B:
    """Per pair ``(a[i], b[i])`` of events: whether an observer (``src`` of the rows,
    codes below ``n_src``) has a row in both (``labels``: event per row, -1 free).
    Each of ``a``'s distinct observers looked up among ``b``'s by one sorted table
    of (event, observer) keys (a sparse product costs ~0.2 ms a call: merge runs
    ~3 times a tile); with numba, by one compiled loop over a table of (event,
    observer) flags when it holds at most :data:`TABLE_MAX` of them."""
    kernels = merge_kernels()
    n_ev = max(int(labels.max(initial=-1)), int(a.max(initial=-1)), int(b.max(initial=-1))) + 1
    if kernels is not None and n_ev * n_src <= TABLE_MAX:
        return np.asarray(kernels[1](labels, src, n_src, n_ev, a, b), bool)
    m = labels >= 0
    keys = unique(labels[m].astype(np.int64) * n_src + src[m])
    ev = keys // n_src
    lo = np.searchsorted(ev, a, side="left")
    cnt = np.searchsorted(ev, a, side="right") - lo
    pair = np.repeat(np.arange(a.shape[0]), cnt)
    # every observer of a's event, as a key of b's event
    want = b[pair].astype(np.int64) * n_src + keys[ranges(lo, cnt)] % n_src
    found = isin_sorted(want, keys)
    return np.bincount(pair[found], minlength=a.shape[0]) > 0


def _chebyshev_pairs_loop(p: Any, r: float) -> Any:
    """:func:`chebyshev_pairs` by a sweep (compiled by numba) along the coordinate of
    the widest spread (on a day's tile the third, ``c`` T: a merge's window is
    ~6 s of it): the points in increasing order of it (a stable sort), each
    paired with those after it until theirs lies beyond ``r``."""
    n = p.shape[0]
    ax = 0
    if n:
        top = -1.0
        for u in range(3):
            lo = hi = p[0, u]
            for i in range(1, n):
                lo = min(lo, p[i, u])
                hi = max(hi, p[i, u])
            if hi - lo > top:
                ax, top = u, hi - lo
    v, w = (ax + 1) % 3, (ax + 2) % 3
    order = np.argsort(p[:, ax], kind="mergesort")
    # two passes: count, then fill
    out = np.empty((0, 2), np.intp)
    for fill in range(2):
        m = 0
        for a in range(n):
            i = order[a]
            for b in range(a + 1, n):
                j = order[b]
                if p[j, ax] - p[i, ax] > r:
                    break
                if abs(p[j, v] - p[i, v]) <= r and abs(p[j, w] - p[i, w]) <= r:
                    if fill == 1:
                        out[m, 0] = min(i, j)
                        out[m, 1] = max(i, j)
                    m += 1
        if fill == 0:
            out = np.empty((m, 2), np.intp)
    return out


#: :func:`_chebyshev_pairs_loop` and :func:`~.gates.fitted`'s loop, rebound to their
#: compiled selves in :func:`_candidates_loop`
_chebyshev_pairs = _chebyshev_pairs_loop
_fitted = gates._fitted_loop


def _candidates_loop(x: Any, y: Any, T: Any, cov9: Any, c: float, r: float) -> tuple[Any, ...]:
    """:func:`merge`'s candidates before their test (compiled by numba): the
    fitted events (every covariance entry finite) whose point (x, y and
    ``c`` times T since the earliest T) is finite, their pairs within ``r`` in
    every coordinate (:func:`_chebyshev_pairs_loop`) as events ``a < b``, and per
    pair the difference of the estimates ``(m, 3)`` and the sum of the
    covariances ``(m, 3, 3)``: the numpy code's arithmetic, element by element."""
    n = x.shape[0]
    t0 = math.inf
    for e in range(n):
        if T[e] < t0:  # (NaN never: numpy's nanmin)
            t0 = T[e]
    if t0 == math.inf:
        t0 = math.nan  # no finite T (nanmin of all NaN): no point is finite
        for e in range(n):
            if T[e] == math.inf:
                t0 = math.inf
    fine = _fitted(cov9)
    ev = np.empty(n, np.intp)
    k = 0
    for e in range(n):
        z = (T[e] - t0) * c
        if fine[e] and x[e] - x[e] == 0.0 and y[e] - y[e] == 0.0 and z - z == 0.0:
            ev[k] = e
            k += 1
    pts = np.empty((k, 3))
    for i in range(k):
        e = ev[i]
        pts[i, 0] = x[e]
        pts[i, 1] = y[e]
        pts[i, 2] = (T[e] - t0) * c
    pr = _chebyshev_pairs(pts, r) if k >= 2 else np.empty((0, 2), np.intp)
    m = pr.shape[0]
    a = np.empty(m, np.intp)
    b = np.empty(m, np.intp)
    d = np.empty((m, 3))
    S = np.empty((m, 3, 3))
    for i in range(m):
        ea, eb = ev[pr[i, 0]], ev[pr[i, 1]]
        a[i] = ea
        b[i] = eb
        d[i, 0] = x[ea] - x[eb]
        d[i, 1] = y[ea] - y[eb]
        d[i, 2] = T[ea] - T[eb]
        for u in range(9):
            S[i, u // 3, u % 3] = cov9[ea, u] + cov9[eb, u]
    return a, b, d, S


def _shares_loop(labels: Any, src: Any, n_src: int, n_ev: int, a: Any, b: Any) -> Any:
    """:func:`shares_observer` (compiled by numba): a flag per (event, observer)
    held, then each pair's events' flags compared."""
    held = np.zeros(n_ev * n_src, np.bool_)
    for r in range(labels.shape[0]):
        e = labels[r]
        if e >= 0:
            held[e * n_src + src[r]] = True
    out = np.zeros(a.shape[0], np.bool_)
    for i in range(a.shape[0]):
        pa, pb = a[i] * n_src, b[i] * n_src
        for s in range(n_src):
            if held[pa + s] and held[pb + s]:
                out[i] = True
                break
    return out


@getter
def merge_kernels() -> tuple[Callable[..., Any], Callable[..., Any]] | None:
    """:func:`_candidates_loop` and :func:`_shares_loop` compiled (on first
    use), or None without numba."""
    fitted = gates._fitted_kernel()
    if fitted is None:
        return None
    cand = compiled_calling(
        _candidates_loop, _chebyshev_pairs=_chebyshev_pairs_loop, _fitted=fitted
    )
    shares = compiled(_shares_loop)
    if cand is None or shares is None:
        return None
    return cand, shares


def chebyshev_pairs(p: F8, r: float) -> IP:
    """The pairs ``(i, j)``, ``i < j``, of the finite points ``p`` ``(n, 3)`` no
    farther than ``r`` apart in any coordinate (the Chebyshev distance at most
    ``r``), as an ``(m, 2)`` array in no particular order: the pairs of
    ``cKDTree.query_pairs(r, p=inf)`` (by its compiled sweep with numba)."""
    kernels = merge_kernels()
    if kernels is None:
        return np.asarray(
            cKDTree(p).query_pairs(r, p=np.inf, output_type="ndarray"), np.intp
        ).reshape(-1, 2)
    return np.asarray(_chebyshev_pairs(np.ascontiguousarray(p, np.float64), float(r)), np.intp)


def merge_candidates(cl: Clusters, c: float, r: float) -> tuple[IP, IP, F8, F8]:
    """:func:`merge`'s candidate pairs of events ``(a, b)``, ``a < b``, within
    ``r`` (m) of each other in x, y and ``c`` T, with the difference of their
    estimates ``(m, 3)`` and the sum of their covariances ``(m, 3, 3)``."""
    kernels = merge_kernels()
    if kernels is not None:
        a, b, d, S = kernels[0](cl.x, cl.y, cl.T, cl.cov.reshape(-1, 9), c, r)
        return a, b, d, S
    none = np.zeros(0, np.intp)
    ok = fitted(cl)
    pts = np.column_stack([cl.x, cl.y, (cl.T - float(np.nanmin(cl.T))) * c])
    ev = (ok & np.all(np.isfinite(pts), axis=1)).nonzero()[0]
    if ev.shape[0] < 2:
        return none, none, np.zeros((0, 3)), np.zeros((0, 3, 3))
    pr = chebyshev_pairs(pts[ev], r)
    a, b = ev[pr[:, 0]], ev[pr[:, 1]]
    d = np.column_stack([cl.x[a] - cl.x[b], cl.y[a] - cl.y[b], cl.T[a] - cl.T[b]])
    return a, b, d, cl.cov[a] + cl.cov[b]


def merge(rep: Reports, cl: Clusters, cfg: MergeConfig) -> int:
    """Merge pairs of events that are one: estimates within their joint uncertainty,
    no observer in both; each event merges at most once per call. Labels change;
    the estimates are those of before (settle after). Returns how many merged."""
    if cl.n < 2:
        return 0
    a, b, d, S = merge_candidates(cl, rep.c, cfg.window_m)
    if a.shape[0] == 0:
        return 0
    try:
        m2 = np.einsum("ni,ni->n", d, np.linalg.solve(S, d[:, :, None])[:, :, 0])
    except np.linalg.LinAlgError:
        return 0
    keep = m2 <= quantile(cfg.gate_p, 3)
    a, b, m2 = a[keep], b[keep], m2[keep]
    if a.shape[0] == 0:
        return 0
    # disjoint observers
    keep = ~shares_observer(cl.labels, rep.src, rep.n_src, a, b)
    a, b, m2 = a[keep], b[keep], m2[keep]
    order = np.lexsort((b, a, m2))
    used = np.zeros(cl.n, bool)
    remap = np.arange(cl.n)
    merged = 0
    for o in order.tolist():
        ea, eb = int(a[o]), int(b[o])
        if used[ea] or used[eb]:
            continue
        used[ea] = used[eb] = True
        remap[eb] = ea
        merged += 1
    if merged == 0:
        return 0
    m = cl.labels >= 0
    cl.labels[m] = remap[cl.labels[m]]
    return merged
