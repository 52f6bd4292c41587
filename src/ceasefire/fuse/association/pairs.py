"""Pairs and gates of bearings: two reports of different observers whose rays
cross in front of both, within the detection range, and whose implied emission
times (perceived time minus range / c) agree: a 1-dof chi-square (+1 per range).
Candidates come from a voxel grid of (x, y, emission time) the rays are sampled
into; a pair's support is how many third reports pair with both of its own."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse

from ceasefire.fuse.association import byrow
from ceasefire.fuse.association.byrow import best_of_rows
from ceasefire.fuse.association.gates import quantile
from ceasefire.fuse.association.reports import DIR_UNDET, F8, IP, Reports
from ceasefire.fuse.compiled import compiled, compiled_calling, getter
from ceasefire.fuse.keys import unique
from ceasefire.fuse.solve import Rows, fit, stands
from ceasefire.fuse.triangulate import intersect_rays


@dataclass(frozen=True)
class PairConfig:
    """Which two bearings make a pair."""

    #: chi-square gate of a two-bearing pair (1 dof from timing, + 1 per range), as
    #: the probability a true pair passes
    gate_p: float = 0.999
    #: candidates: voxel size of the (x, y, emission time) grid the rays are sampled
    #: into, m and s (two reports of one event share a voxel)
    cell_m: float = 3_000.0
    cell_s: float = 8.0
    #: smallest crossing angle of two rays kept as a pair, degrees
    min_crossing_deg: float = 1.0
    #: two heard bearings whose rays are within this many sd (of their two
    #: azimuths together) of opposite but do not cross in front of both (or
    #: cross at under ``min_crossing_deg``), one of them in no crossing pair,
    #: are a pair when a fit of both bearings and both times stands
    #: (:func:`opposite_pairs`); 0: none. Off: at 3, tuning draws 191 -> 181
    #: double counts (named right 98.30 %), but the test draws 295 -> 291 with
    #: named right 97.33 -> 97.29 % and F1 / oracle 0.9686 -> 0.9681
    #: (docs/family.md, session 30, seedgate)
    opposite_sd: float = 0.0
    #: 0: the candidates are the voxel grids' pairs (``cell_m``, ``cell_s``);
    #: > 0: they are every two rays crossing in front of both within the range
    #: whose emission times at the crossing agree within this many s, wherever
    #: the cells' edges fall (:func:`near_pairs`), and the rays that do not
    #: cross so but pass near each other (within ``cell_m / 2``, or up to ``cell_m``).
    #: Off: every value from 4 to 1000 s names worse on the tuning draws (at 20:
    #: 188 double counts, named right 98.24 %; at 8: 215, 98.14 %)
    offer_s: float = 0.0
    #: > 0 (and ``offer_s`` 0): the candidates are every two rays with a sample
    #: each within ``cell_m / 2`` in x and y and this many s in emission time
    #: (:func:`box_pairs`: the voxel's test without its edges; ``cell_s`` unused);
    #: 0: the voxel grids'. Off: at 8, tuning draws 191 -> 187 double counts
    #: (named right 98.30 %, F1 / oracle 0.9699 -> 0.9730), but the test draws
    #: 295 -> 290 with named right 97.33 -> 97.29 % (docs/family.md, session 30, grid)
    box_s: float = 0.0
    #: what the mutual-best choice of a seed ranks a pair by (:func:`seed_ranks`):
    #: "triangles", its chi-square less 1000 x the third rows that pair with both
    #: of its rows (a count that moves with which pairs are offered); "point",
    #: its chi-square per degree of freedom less 1000 x the bearings of other
    #: observers that pass its crossing point and time (:func:`point_support`:
    #: the same whatever pairs are offered). Off: "point" on the tuning draws
    #: 193 -> 230 double counts, named right 98.30 -> 97.76 % (docs/family.md,
    #: session 31, combo)
    seed_rank: str = "triangles"


@dataclass(frozen=True)
class Pairs:
    """Gated bearing pairs: row indices ``i < j``, chi-square, crossing point and
    emission time."""

    i: IP
    j: IP
    chi2: F8
    x: F8
    y: F8
    T: F8


def candidate_pairs(
    rows: Rows,
    idx: IP,
    cell_m: float,
    cell_s: float,
    range_m: float,
    c: float,
    observer: IP | None = None,
    phase: npt.NDArray[np.integer] | None = None,
) -> tuple[IP, IP]:
    """Index pairs (into ``idx``) of bearing rows whose rays pass through a common
    voxel of (x, y, emission time): each ray is sampled every ``cell_m / 2`` out to
    ``range_m``, a sample at distance r carrying the emission time t - r / c; two
    reports of one event meet near its (x, y, T). Two grids shifted by half a cell
    catch meetings near cell boundaries. With ``observer`` and ``phase`` (per row
    of ``idx``: observer code, direction code), the pairs that cannot be one
    event's (one observer's two reports; two phases both determined and
    different, :data:`~.reports.DIR_UNDET` agreeing with any) are left out as each
    voxel's pairs are made, before the pairs are sorted (on the stress slice ~45 %
    of the voxel pairs). Returns ``(a, b)`` with ``a < b``. The voxel codes and
    each voxel's pairs by compiled loops when numba is installed (the same pairs:
    the keys are integers)."""
    n = idx.shape[0]
    if n < 2:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    obs = np.arange(n, dtype=np.intp) if observer is None else np.asarray(observer, np.intp)
    ph = np.full(n, DIR_UNDET, np.int64) if phase is None else np.asarray(phase, np.int64)
    steps = np.arange(cell_m / 4.0, range_m + cell_m / 2.0, cell_m / 2.0)
    az = rows.az[idx]
    # the samples: x = ox + step sin(az), y = oy + step cos(az), T = t - f step / c
    sa, ca = np.sin(az), np.cos(az)
    ox, oy, t, f = rows.ox[idx], rows.oy[idx], rows.t[idx], rows.speed_factor[idx]
    bits = max(int(n - 1).bit_length(), 1)
    kernels = voxel_kernels()
    out: list[npt.NDArray[np.int64]] = []
    if kernels is None:
        x = ox[:, None] + steps[None, :] * sa[:, None]
        y = oy[:, None] + steps[None, :] * ca[:, None]
        T = t[:, None] - f[:, None] * steps[None, :] / c
        x0, y0, T0 = float(x.min()), float(y.min()), float(T.min())
    else:
        bounds, codes, pairs = kernels
        # each sample computed where used (the same arithmetic as the arrays)
        lo_hi = bounds(ox, oy, t, f, sa, ca, steps, c)
    for shift in (0.0, 0.5):
        if kernels is None:
            code = _voxel_codes_numpy(x, y, T, x0, y0, T0, cell_m, cell_s, shift, bits)
        else:
            code = codes(ox, oy, t, f, sa, ca, steps, c, lo_hi, cell_m, cell_s, shift, bits)
        code = unique(code)
        if kernels is None:
            pr = _voxel_pairs_numpy(code, bits, obs, ph, DIR_UNDET)
        else:
            pr = pairs(code, bits, obs, ph, DIR_UNDET)
        if pr.shape[0]:
            out.append(pr)
    if not out:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    pr = unique(np.concatenate(out))
    return (pr >> bits).astype(np.intp), (pr & ((1 << bits) - 1)).astype(np.intp)


def _voxel_codes_numpy(
    x: F8, y: F8, T: F8, x0: float, y0: float, T0: float, cell_m: float, cell_s: float,
    shift: float, bits: int,
) -> npt.NDArray[np.int64]:  # fmt: skip
    """Per sample of ``x``, ``y``, ``T`` ``(n, steps)`` (by row, then step): its
    voxel's code shifted left by ``bits``, or'd with its row; a sample in its row's
    previous sample's voxel dropped (a repeat)."""
    kx = np.floor((x - x0) / cell_m + shift).astype(np.int64).ravel()
    ky = np.floor((y - y0) / cell_m + shift).astype(np.int64).ravel()
    kt = np.floor((T - T0) / cell_s + shift).astype(np.int64).ravel()
    row = np.broadcast_to(np.arange(x.shape[0], dtype=np.int64)[:, None], x.shape).ravel()
    cell = (kt * (int(ky.max()) + 1) + ky) * (int(kx.max()) + 1) + kx
    code = (cell << bits) | row
    new = np.empty(code.shape[0], bool)
    new[0] = True
    np.not_equal(code[1:], code[:-1], out=new[1:])
    return code[new]


def _sample_bounds_loop(
    ox: Any, oy: Any, t: Any, f: Any, sa: Any, ca: Any, steps: Any, c: float
) -> Any:
    """The smallest and largest x, y and the smallest T of the rays' samples
    (:func:`candidate_pairs`), ``(x0, x1, y0, y1, T0)``."""
    x0 = y0 = T0 = math.inf
    x1 = y1 = -math.inf
    for i in range(ox.shape[0]):
        for s in range(steps.shape[0]):
            x = ox[i] + steps[s] * sa[i]
            y = oy[i] + steps[s] * ca[i]
            T = t[i] - f[i] * steps[s] / c
            x0 = min(x0, x)
            x1 = max(x1, x)
            y0 = min(y0, y)
            y1 = max(y1, y)
            T0 = min(T0, T)
    out = np.empty(5)
    out[0], out[1], out[2], out[3], out[4] = x0, x1, y0, y1, T0
    return out


def _voxel_codes_loop(
    ox: Any, oy: Any, t: Any, f: Any, sa: Any, ca: Any, steps: Any, c: float, lo_hi: Any,
    cell_m: float, cell_s: float, shift: float, bits: int,
) -> Any:  # fmt: skip
    """:func:`_voxel_codes_numpy` as one loop, each sample computed in place (the
    same floats floored, the same integer codes); ``lo_hi`` from
    :func:`_sample_bounds_loop`: the largest voxel index is the largest sample's
    (rounding is monotonic, so is the floor)."""
    x0, x1, y0, y1, T0 = lo_hi[0], lo_hi[1], lo_hi[2], lo_hi[3], lo_hi[4]
    n, m = ox.shape[0], steps.shape[0]
    mx = math.floor((x1 - x0) / cell_m + shift)
    my = math.floor((y1 - y0) / cell_m + shift)
    out = np.empty(n * m, np.int64)
    k = 0
    last = -1
    for i in range(n):
        for s in range(m):
            x = ox[i] + steps[s] * sa[i]
            y = oy[i] + steps[s] * ca[i]
            T = t[i] - f[i] * steps[s] / c
            kx = math.floor((x - x0) / cell_m + shift)
            ky = math.floor((y - y0) / cell_m + shift)
            kt = math.floor((T - T0) / cell_s + shift)
            code = (((kt * (my + 1) + ky) * (mx + 1) + kx) << bits) | i
            if k == 0 or code != last:
                out[k] = code
                k += 1
            last = code
    return out[:k]


def _voxel_pairs_numpy(
    code: npt.NDArray[np.int64], bits: int, obs: IP, ph: npt.NDArray[np.int64], undet: int
) -> npt.NDArray[np.int64]:
    """Every pair of two rows in one voxel, ``(lower << bits) | higher``, from the
    sorted distinct codes of :func:`_voxel_codes_numpy` (a voxel's rows are a run
    of equal ``code >> bits``), but pairs of one observer ``obs`` or of two
    determined phases ``ph`` that differ (``undet`` agrees with any)."""
    cell = code >> bits
    r = code & ((1 << bits) - 1)
    brk = np.flatnonzero(cell[1:] != cell[:-1]) + 1
    ends = np.append(brk, cell.shape[0])
    run_end = np.repeat(ends, np.diff(np.concatenate([[0], ends])))
    after = run_end - np.arange(cell.shape[0]) - 1
    a = np.repeat(np.arange(cell.shape[0]), after)
    start = np.repeat(np.cumsum(after) - after, after)
    b = a + (np.arange(a.shape[0]) - start) + 1
    i, j = r[a], r[b]
    pi, pj = ph[i], ph[j]
    keep = (obs[i] != obs[j]) & ((pi == pj) | (pi == undet) | (pj == undet))
    i, j = i[keep], j[keep]
    return np.asarray((np.minimum(i, j) << bits) | np.maximum(i, j), np.int64)


def _voxel_pairs_loop(code: Any, bits: int, obs: Any, ph: Any, undet: int) -> Any:
    """:func:`_voxel_pairs_numpy` as a loop (the same keys in the same order),
    written into an array of the largest size, then cut."""
    n = code.shape[0]
    mask = (np.int64(1) << bits) - 1
    total = 0
    a = 0
    while a < n:
        b = a + 1
        while b < n and (code[b] >> bits) == (code[a] >> bits):
            b += 1
        total += (b - a) * (b - a - 1) // 2
        a = b
    out = np.empty(total, np.int64)
    k = 0
    a = 0
    while a < n:
        b = a + 1
        while b < n and (code[b] >> bits) == (code[a] >> bits):
            b += 1
        for u in range(a, b):
            i = code[u] & mask
            for v in range(u + 1, b):
                j = code[v] & mask
                if obs[i] == obs[j]:
                    continue
                if ph[i] != ph[j] and ph[i] != undet and ph[j] != undet:
                    continue
                out[k] = ((i << bits) | j) if i < j else ((j << bits) | i)
                k += 1
        a = b
    return out[:k]


@getter
def voxel_kernels() -> tuple[Callable[..., Any], Callable[..., Any], Callable[..., Any]] | None:
    """:func:`_sample_bounds_loop`, :func:`_voxel_codes_loop` and
    :func:`_voxel_pairs_loop` compiled (on first use), or None without the
    ``fast`` extra."""
    bounds = compiled(_sample_bounds_loop)
    codes, pairs = compiled(_voxel_codes_loop), compiled(_voxel_pairs_loop)
    if bounds is None or codes is None or pairs is None:
        return None
    return bounds, codes, pairs


def near_pairs(
    rows: Rows,
    idx: IP,
    cell_m: float,
    offer_s: float,
    range_m: float,
    c: float,
    observer: IP | None = None,
    phase: npt.NDArray[np.integer] | None = None,
) -> tuple[IP, IP]:
    """Index pairs (into ``idx``) of bearing rows offered as pairs wherever a grid's
    edges fall: two rays crossing in front of both, at most ``range_m + cell_m / 4``
    out (m), whose emission times at the crossing (t - f r / c) differ by at most
    ``offer_s`` (s); and two rays that do not cross so but have samples in
    neighbouring cells (all within ``cell_m / 2`` per axis, some up to ``cell_m``:
    :func:`opposite_pairs`' candidates). The rays are
    sampled as in :func:`candidate_pairs` (every ``cell_m / 2`` from ``cell_m / 4``:
    a crossing within the range is within ``cell_m / 4`` of a sample of each ray),
    so two samples near a crossing differ by at most ``cell_m / 2`` in x and y and
    ``offer_s + cell_m / (2 c)`` in time: the rows of samples in the same or
    neighbouring cells of a grid of those sizes (:func:`_near_candidates_loop`)
    hold every such pair, and the exact gate on the crossing chooses. ``observer``
    and ``phase`` as in :func:`candidate_pairs`. Returns ``(a, b)``, ``a < b``,
    ordered by ``(a, b)``."""
    n = idx.shape[0]
    if n < 2:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    obs = np.arange(n, dtype=np.intp) if observer is None else np.asarray(observer, np.intp)
    ph = np.full(n, DIR_UNDET, np.int64) if phase is None else np.asarray(phase, np.int64)
    steps = np.arange(cell_m / 4.0, range_m + cell_m / 2.0, cell_m / 2.0)
    az = rows.az[idx]
    sa, ca = np.sin(az), np.cos(az)
    ox, oy, t, f = rows.ox[idx], rows.oy[idx], rows.t[idx], rows.speed_factor[idx]
    bits = max(int(n - 1).bit_length(), 1)
    cell_t = offer_s + cell_m / (2.0 * c)
    kernel = near_kernel()
    loop = _near_candidates_loop if kernel is None else kernel
    key = unique(
        loop(ox, oy, t, f, sa, ca, steps, c, cell_m / 2.0, cell_t, bits, obs, ph, DIR_UNDET)
    )
    a = (key >> bits).astype(np.intp)
    b = (key & ((1 << bits) - 1)).astype(np.intp)
    _, _, r1, r2, _ = intersect_rays(ox[a], oy[a], az[a], ox[b], oy[b], az[b])
    with np.errstate(invalid="ignore"):
        front = (r1 > 0) & (r2 > 0)
        near = (r1 <= range_m + cell_m / 4.0) & (r2 <= range_m + cell_m / 4.0)
        agree = np.abs((t[a] - f[a] * r1 / c) - (t[b] - f[b] * r2 / c)) <= offer_s
    # the rays that do not cross in front pass on as the neighbouring cells offer
    # them: the crossing's gates refuse them, nearly opposite ones may pair by times
    keep = ~front | (near & agree)
    return a[keep], b[keep]


def _neighbour_offsets(nx: int, ny: int) -> Any:
    """The code offsets ``(14,)`` of a cell itself and the 13 of its 26
    neighbours after it, in a grid whose cell code is ``(t * ny + y) * nx + x``
    (a free index at both ends of x and y): each neighbouring pair of cells is
    visited once, from the lower code (for the loops of :func:`near_pairs` and
    :func:`box_pairs`)."""
    offs = np.empty(14, np.int64)
    k = 0
    for dt in range(2):
        for dy in range(-1, 2):
            for dx in range(-1, 2):
                if dt == 1 or dy == 1 or (dy == 0 and dx >= 0):
                    offs[k] = (dt * ny + dy) * nx + dx
                    k += 1
    return offs


def _run_of(cells: Any, value: int) -> tuple[Any, Any]:
    """The positions ``[lo, hi)`` of ``value`` in the sorted ``cells`` (empty
    where it is not)."""
    lo = np.searchsorted(cells, value)
    hi = lo
    while hi < cells.shape[0] and cells[hi] == value:
        hi += 1
    return lo, hi


def _near_candidates_loop(
    ox: Any, oy: Any, t: Any, f: Any, sa: Any, ca: Any, steps: Any, c: float,
    cell_xy: float, cell_t: float, bits: int, obs: Any, ph: Any, undet: int,
) -> Any:  # fmt: skip
    """Keys ``(lower << bits) | higher`` (repeats kept) of every two rows with
    samples (as :func:`candidate_pairs`') in the same or neighbouring cells of a
    grid of ``cell_xy`` x ``cell_xy`` m x ``cell_t`` s, but pairs of one observer
    ``obs`` or of two determined phases ``ph`` that differ (``undet`` agrees with
    any). A cell's code leaves a free index at both ends of x and y, so a
    neighbour's code is the cell's plus an offset; the 13 neighbours after a cell
    (and the cell itself) are looked up in the sorted codes."""
    n, m = ox.shape[0], steps.shape[0]
    kx = np.empty(n * m, np.int64)
    ky = np.empty(n * m, np.int64)
    kt = np.empty(n * m, np.int64)
    for i in range(n):
        for s in range(m):
            u = i * m + s
            kx[u] = math.floor((ox[i] + steps[s] * sa[i]) / cell_xy)
            ky[u] = math.floor((oy[i] + steps[s] * ca[i]) / cell_xy)
            kt[u] = math.floor((t[i] - f[i] * steps[s] / c) / cell_t)
    x0, y0, t0 = kx.min(), ky.min(), kt.min()
    nx, ny = kx.max() - x0 + 3, ky.max() - y0 + 3
    code = np.empty(n * m, np.int64)
    for i in range(n):
        for s in range(m):
            u = i * m + s
            cell = ((kt[u] - t0) * ny + (ky[u] - y0 + 1)) * nx + (kx[u] - x0 + 1)
            code[u] = (cell << bits) | i
    code = np.unique(code)
    cells = code >> bits
    mask = (np.int64(1) << bits) - 1
    offs = _neighbour_offsets(nx, ny)
    # two passes: count, then fill
    out = np.empty(0, np.int64)
    for fill in range(2):
        k = 0
        a = 0
        while a < cells.shape[0]:
            b = a + 1
            while b < cells.shape[0] and cells[b] == cells[a]:
                b += 1
            for o in range(14):
                lo, hi = (a, b) if offs[o] == 0 else _run_of(cells, cells[a] + offs[o])
                for u in range(a, b):
                    i = code[u] & mask
                    for v in range(u + 1 if offs[o] == 0 else lo, hi):
                        j = code[v] & mask
                        if obs[i] == obs[j]:
                            continue
                        if ph[i] != ph[j] and ph[i] != undet and ph[j] != undet:
                            continue
                        if fill == 1:
                            out[k] = ((i << bits) | j) if i < j else ((j << bits) | i)
                        k += 1
            a = b
        if fill == 0:
            out = np.empty(k, np.int64)
    return out


@getter
def near_kernel() -> Callable[..., Any] | None:
    """:func:`_near_candidates_loop` compiled (on first use), or None without the
    ``fast`` extra."""
    return compiled_calling(
        _near_candidates_loop, _neighbour_offsets=_neighbour_offsets, _run_of=_run_of
    )


def box_pairs(
    rows: Rows,
    idx: IP,
    cell_m: float,
    box_s: float,
    range_m: float,
    c: float,
    observer: IP | None = None,
    phase: npt.NDArray[np.integer] | None = None,
) -> tuple[IP, IP]:
    """Index pairs (into ``idx``) of bearing rows whose rays have a sample each
    (as :func:`candidate_pairs`') within ``cell_m / 2`` in x and in y (m) and
    ``box_s`` in emission time (s): a box around each sample where the voxel
    grids test a cell of fixed edges. ``observer`` and ``phase`` as in
    :func:`candidate_pairs`. Returns ``(a, b)``, ``a < b``, ordered by ``(a, b)``."""
    n = idx.shape[0]
    if n < 2:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    obs = np.arange(n, dtype=np.intp) if observer is None else np.asarray(observer, np.intp)
    ph = np.full(n, DIR_UNDET, np.int64) if phase is None else np.asarray(phase, np.int64)
    steps = np.arange(cell_m / 4.0, range_m + cell_m / 2.0, cell_m / 2.0)
    az = rows.az[idx]
    sa, ca = np.sin(az), np.cos(az)
    ox, oy, t, f = rows.ox[idx], rows.oy[idx], rows.t[idx], rows.speed_factor[idx]
    bits = max(int(n - 1).bit_length(), 1)
    kernel = box_kernel()
    loop = _box_pairs_loop if kernel is None else kernel
    key = unique(
        loop(ox, oy, t, f, sa, ca, steps, c, cell_m / 2.0, box_s, bits, obs, ph, DIR_UNDET)
    )
    return (key >> bits).astype(np.intp), (key & ((1 << bits) - 1)).astype(np.intp)


def _box_pairs_loop(
    ox: Any, oy: Any, t: Any, f: Any, sa: Any, ca: Any, steps: Any, c: float,
    half_xy: float, half_t: float, bits: int, obs: Any, ph: Any, undet: int,
) -> Any:  # fmt: skip
    """Keys ``(lower << bits) | higher`` (repeats kept) of every two rows with a
    sample each within ``half_xy`` in x and y and ``half_t`` in time, but pairs
    of one observer or two determined phases that differ: the samples sorted by
    their cell of a grid of those sizes, each compared with those of its cell
    and the 13 neighbouring cells after it."""
    n, m = ox.shape[0], steps.shape[0]
    N = n * m
    x = np.empty(N)
    y = np.empty(N)
    T = np.empty(N)
    row = np.empty(N, np.int64)
    kx = np.empty(N, np.int64)
    ky = np.empty(N, np.int64)
    kt = np.empty(N, np.int64)
    for i in range(n):
        for s in range(m):
            u = i * m + s
            x[u] = ox[i] + steps[s] * sa[i]
            y[u] = oy[i] + steps[s] * ca[i]
            T[u] = t[i] - f[i] * steps[s] / c
            row[u] = i
            kx[u] = math.floor(x[u] / half_xy)
            ky[u] = math.floor(y[u] / half_xy)
            kt[u] = math.floor(T[u] / half_t)
    x0, y0, t0 = kx.min(), ky.min(), kt.min()
    nx, ny = kx.max() - x0 + 3, ky.max() - y0 + 3
    cell = np.empty(N, np.int64)
    for u in range(N):
        cell[u] = ((kt[u] - t0) * ny + (ky[u] - y0 + 1)) * nx + (kx[u] - x0 + 1)
    order = np.argsort(cell, kind="mergesort")
    cells = cell[order]
    offs = _neighbour_offsets(nx, ny)
    out = np.empty(0, np.int64)
    for fill in range(2):
        k = 0
        a = 0
        while a < N:
            b = a + 1
            while b < N and cells[b] == cells[a]:
                b += 1
            for o in range(14):
                lo, hi = (a, b) if offs[o] == 0 else _run_of(cells, cells[a] + offs[o])
                for p in range(a, b):
                    u = order[p]
                    i = row[u]
                    for q in range(p + 1 if offs[o] == 0 else lo, hi):
                        v = order[q]
                        j = row[v]
                        if obs[i] == obs[j]:
                            continue
                        if ph[i] != ph[j] and ph[i] != undet and ph[j] != undet:
                            continue
                        if abs(x[u] - x[v]) > half_xy or abs(y[u] - y[v]) > half_xy:
                            continue
                        if abs(T[u] - T[v]) > half_t:
                            continue
                        if fill == 1:
                            out[k] = ((i << bits) | j) if i < j else ((j << bits) | i)
                        k += 1
            a = b
        if fill == 0:
            out = np.empty(k, np.int64)
    return out


@getter
def box_kernel() -> Callable[..., Any] | None:
    """:func:`_box_pairs_loop` compiled (on first use), or None without the
    ``fast`` extra."""
    return compiled_calling(_box_pairs_loop, _neighbour_offsets=_neighbour_offsets, _run_of=_run_of)


def bearing_pairs(rep: Reports, cfg: PairConfig, idx: IP | None = None) -> Pairs:
    """The gated pairs among the bearing rows ``idx`` (time-sorted; all bearings
    when None)."""
    rows, src, direction, c, R = rep.rows, rep.src, rep.direction, rep.c, rep.max_range_m
    if idx is None:
        idx = np.flatnonzero(rep.is_bearing)
    # one observer's two reports, or two phases that differ, never a pair
    if cfg.offer_s > 0:
        a, b = near_pairs(rows, idx, cfg.cell_m, cfg.offer_s, R, c, src[idx], direction[idx])
    elif cfg.box_s > 0:
        a, b = box_pairs(rows, idx, cfg.cell_m, cfg.box_s, R, c, src[idx], direction[idx])
    else:
        a, b = candidate_pairs(rows, idx, cfg.cell_m, cfg.cell_s, R, c, src[idx], direction[idx])
    i, j = idx[a], idx[b]
    dox = rows.ox[j] - rows.ox[i]
    doy = rows.oy[j] - rows.oy[i]
    d_obs = np.hypot(dox, doy)
    s2 = rows.sigma_t[i] ** 2 + rows.sigma_t[j] ** 2
    # two reports of one event: heard both, their times differ by at most the sound's
    # way between the observers; seen both, not at all; one seen, by its sound's way
    fi, fj = rows.speed_factor[i], rows.speed_factor[j]
    way = np.where(fi == fj, fi * d_obs, 1.2 * R)
    keep = np.abs(rows.t[j] - rows.t[i]) <= way / c + 4.0 * np.sqrt(s2) + 1e-9
    i, j = i[keep], j[keep]
    x, y, r1, r2, sn = intersect_rays(
        rows.ox[i], rows.oy[i], rows.az[i], rows.ox[j], rows.oy[j], rows.az[j]
    )
    rmax = 1.2 * R
    with np.errstate(invalid="ignore"):
        keep = (
            (np.abs(sn) >= np.sin(np.radians(cfg.min_crossing_deg)))
            & (r1 > 0)
            & (r2 > 0)
            & (r1 <= rmax)
            & (r2 <= rmax)
        )
    oi, oj = (i[:0], j[:0]) if cfg.opposite_sd <= 0 else _opposite(rows, i, j, sn, keep, cfg)
    i, j, x, y = i[keep], j[keep], x[keep], y[keep]
    chi2, T, dof = pair_chi2(rows, i, j, x, y, c)
    keep = chi2 <= quantile(cfg.gate_p, dof)
    out = Pairs(i[keep], j[keep], chi2[keep], x[keep], y[keep], T[keep])
    if oi.shape[0] == 0:
        return out
    # only where a crossing pair does not already offer both ends a seed: each
    # crossing pair more is a rival in the mutual-best choice inside a burst
    paired = np.zeros(rep.n, bool)
    paired[out.i] = True
    paired[out.j] = True
    lone = ~(paired[oi] & paired[oj])
    got = opposite_pairs(rep, oi[lone], oj[lone], cfg.gate_p)
    return _sorted_union(out, got) if got.i.shape[0] else out


def _opposite(
    rows: Rows, i: IP, j: IP, sn: F8, crossing: npt.NDArray[np.bool_], cfg: PairConfig
) -> tuple[IP, IP]:
    """The pairs ``i``, ``j`` (rows; ``sn`` the sine of their rays' angle) that
    the ``crossing`` gates refuse, their rays within ``cfg.opposite_sd`` x
    their azimuths' combined sd of opposite."""
    with np.errstate(invalid="ignore"):
        near = np.abs(sn) <= np.sin(
            np.minimum(cfg.opposite_sd * np.hypot(rows.sigma_az[i], rows.sigma_az[j]), 0.5 * np.pi)
        )
    opp = ~crossing & (np.cos(rows.az[i] - rows.az[j]) < 0.0) & near
    return i[opp], j[opp]


def _sorted_union(a: Pairs, b: Pairs) -> Pairs:
    """The pairs of ``a`` and ``b`` (no pair in both) ordered by ``(i, j)``, as
    :func:`candidate_pairs` orders them."""
    i, j = np.concatenate([a.i, b.i]), np.concatenate([a.j, b.j])
    o = np.lexsort((j, i))
    return Pairs(
        i[o], j[o], np.concatenate([a.chi2, b.chi2])[o], np.concatenate([a.x, b.x])[o],
        np.concatenate([a.y, b.y])[o], np.concatenate([a.T, b.T])[o],
    )  # fmt: skip


def opposite_pairs(rep: Reports, i: IP, j: IP, gate_p: float) -> Pairs:
    """Pairs of bearing rows ``i``, ``j`` whose rays do not cross where a source
    could be (nearly opposite: the source near the line between the observers,
    where their times' difference places it), located by their times: along each ray,
    the distance r at which the other report's time agrees (the other observer
    as a microphone: r = ((cΔ)² - |w|²) / (2 (w·u - cΔ)), w from the other
    observer to this one, Δ the other's time less this one's, m) starts a fit of
    the two bearings and two times (x, y, T; one dof, + 1 per range); a pair
    stands when a start's fit does (:func:`~ceasefire.fuse.solve.stands`: within
    the ``gate_p`` gate, the range, emission first), the better start kept.
    Only reports perceived by sound both (seen ones carry no delay to place
    the source by)."""
    rows, c, R = rep.rows, rep.c, rep.max_range_m
    heard = (rows.speed_factor[i] == 1.0) & (rows.speed_factor[j] == 1.0)
    i, j = i[heard], j[heard]
    if i.shape[0] == 0:
        return Pairs(i, j, np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0))
    ends = []
    for a, b in ((i, j), (j, i)):
        ux, uy = np.sin(rows.az[a]), np.cos(rows.az[a])
        wx, wy = rows.ox[a] - rows.ox[b], rows.oy[a] - rows.oy[b]
        cd = c * (rows.t[b] - rows.t[a])
        with np.errstate(divide="ignore", invalid="ignore"):
            r = (cd * cd - wx * wx - wy * wy) / (2.0 * (wx * ux + wy * uy - cd))
        ok = np.isfinite(r) & (r > 50.0) & (r <= 1.2 * R) & (r + cd >= 0.0)
        k = np.flatnonzero(ok)
        ends.append((k, rows.ox[a[k]] + r[k] * ux[k], rows.oy[a[k]] + r[k] * uy[k],
                     rows.t[a[k]] - r[k] / c))  # fmt: skip
    k = np.concatenate([e[0] for e in ends])
    G = k.shape[0]
    if G == 0:
        return Pairs(i[:0], j[:0], np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0))
    sub = rows.take(np.concatenate([i[k], j[k]]))
    g = np.tile(np.arange(G), 2)
    x0, y0, T0 = (np.concatenate([e[n] for e in ends]) for n in (1, 2, 3))
    f = fit(sub, g, G, x0, y0, T0, c)
    good = (f.dof >= 1) & stands(sub, g, f, R) & (f.chi2 <= quantile(gate_p, f.dof))
    # per pair, its best standing start
    s = np.flatnonzero(good)
    s = s[np.lexsort((f.chi2[s], k[s]))]
    s = s[np.r_[True, k[s][1:] != k[s][:-1]]] if s.shape[0] else s
    return Pairs(i[k[s]], j[k[s]], f.chi2[s], f.x[s], f.y[s], f.T[s])


def pair_chi2(rows: Rows, i: IP, j: IP, x: F8, y: F8, c: float) -> tuple[F8, F8, F8]:
    """Chi-square of timing (and ranges) of two bearing rows crossing at (x, y)."""
    dxi, dyi = x - rows.ox[i], y - rows.oy[i]
    dxj, dyj = x - rows.ox[j], y - rows.oy[j]
    ri = np.maximum(np.hypot(dxi, dyi), 1.0)
    rj = np.maximum(np.hypot(dxj, dyj), 1.0)
    wi = 1.0 / (rows.sigma_az[i] * ri * ri) ** 2
    wj = 1.0 / (rows.sigma_az[j] * rj * rj) ** 2
    # Fisher information of the two bearings: a = (dy, -dx) / rho²
    h11 = wi * dyi * dyi + wj * dyj * dyj
    h22 = wi * dxi * dxi + wj * dxj * dxj
    h12 = -(wi * dxi * dyi + wj * dxj * dyj)
    det = h11 * h22 - h12 * h12
    det = np.where(det > 0, det, np.nan)
    p11, p22, p12 = h22 / det, h11 / det, -h12 / det
    fi, fj = rows.speed_factor[i], rows.speed_factor[j]
    ei = rows.t[i] - fi * ri / c
    ej = rows.t[j] - fj * rj / c
    gx = (fi * dxi / ri - fj * dxj / rj) / c
    gy = (fi * dyi / ri - fj * dyj / rj) / c
    var = (
        rows.sigma_t[i] ** 2
        + rows.sigma_t[j] ** 2
        + gx * gx * p11
        + gy * gy * p22
        + 2 * gx * gy * p12
    )
    chi2 = (ei - ej) ** 2 / var
    wti, wtj = 1.0 / rows.sigma_t[i] ** 2, 1.0 / rows.sigma_t[j] ** 2
    T = (wti * ei + wtj * ej) / (wti + wtj)
    dof = np.ones_like(chi2)
    for k, dx, dy, r in ((i, dxi, dyi, ri), (j, dxj, dyj, rj)):
        has = np.isfinite(rows.rng[k])
        ux, uy = dx / r, dy / r
        vr = rows.sigma_rng[k] ** 2 + ux * ux * p11 + uy * uy * p22 + 2 * ux * uy * p12
        term = np.where(has, (rows.rng[k] - r) ** 2 / vr, 0.0)
        chi2 = chi2 + term
        dof = dof + has
    chi2 = np.where(np.isfinite(chi2), chi2, np.inf)
    return chi2, T, dof


def point_support(rep: Reports, pairs: Pairs, gate_p: float) -> F8:
    """Per pair, how many bearing rows of other observers pass its crossing
    point and emission time (x, y, T): a row's azimuth to the point and its
    emission time there (t - f r / c) within the ``gate_p`` chi-square gate of two
    dof, each residual's variance its own plus the point's (from the pair's two
    bearings' Fisher information, as :func:`pair_chi2`; T's as their times'
    weighted mean), its phase code one the pair's rows may share, and the point
    within the reach (1.2 x the range). Depends on the pair's own point only:
    the same whichever other pairs were offered."""
    rows, c = rep.rows, rep.c
    m = pairs.i.shape[0]
    out = np.zeros(m)
    b = np.flatnonzero(rep.is_bearing)
    if m == 0 or b.shape[0] < 3:
        return out
    b = b[np.argsort(rows.t[b], kind="stable")]
    tb = rows.t[b]
    i, j, x, y, T = pairs.i, pairs.j, pairs.x, pairs.y, pairs.T
    # the point's covariance from the two bearings (as pair_chi2's p11, p22, p12)
    h11 = np.zeros(m)
    h22 = np.zeros(m)
    h12 = np.zeros(m)
    for k in (i, j):
        dx, dy = x - rows.ox[k], y - rows.oy[k]
        r2 = np.maximum(dx * dx + dy * dy, 1.0)
        w = 1.0 / (rows.sigma_az[k] ** 2 * r2 * r2)
        h11 += w * dy * dy
        h22 += w * dx * dx
        h12 -= w * dx * dy
    det = h11 * h22 - h12 * h12
    ok = det > 0
    det = np.where(ok, det, 1.0)
    p11, p22, p12 = h22 / det, h11 / det, -h12 / det
    vT = 1.0 / (1.0 / rows.sigma_t[i] ** 2 + 1.0 / rows.sigma_t[j] ** 2)
    reach = rep.reach_m
    lo = np.searchsorted(tb, T - 60.0, "left")
    hi = np.searchsorted(tb, T + reach / c + 60.0, "right")
    gate = float(quantile(gate_p, 2))
    dirs = rep.direction
    chunk = 1 << 14
    for s in range(0, m, chunk):
        p = np.arange(s, min(s + chunk, m))
        n_c = hi[p] - lo[p]
        pp = np.repeat(p, n_c)
        k = b[np.repeat(lo[p] - np.cumsum(n_c) + n_c, n_c) + np.arange(pp.shape[0])]
        own = (rep.src[k] == rep.src[i[pp]]) | (rep.src[k] == rep.src[j[pp]])
        d_k, d_i, d_j = dirs[k], dirs[i[pp]], dirs[j[pp]]
        phase = ((d_k == DIR_UNDET) | (d_i == DIR_UNDET) | (d_k == d_i)) & (
            (d_k == DIR_UNDET) | (d_j == DIR_UNDET) | (d_k == d_j)
        )
        keep = ~own & phase & ok[pp]
        pp, k = pp[keep], k[keep]
        dx, dy = x[pp] - rows.ox[k], y[pp] - rows.oy[k]
        r = np.maximum(np.hypot(dx, dy), 1.0)
        ea = np.angle(np.exp(1j * (np.arctan2(dx, dy) - rows.az[k])))
        gx, gy = dy / (r * r), -dx / (r * r)
        va = rows.sigma_az[k] ** 2 + gx * gx * p11[pp] + gy * gy * p22[pp] + 2 * gx * gy * p12[pp]
        f = rows.speed_factor[k]
        et = rows.t[k] - f * r / c - T[pp]
        ux, uy = f * dx / (r * c), f * dy / (r * c)
        vt = rows.sigma_t[k] ** 2 + vT[pp] + ux * ux * p11[pp] + uy * uy * p22[pp]
        vt = vt + 2 * ux * uy * p12[pp]
        hit = (r <= reach) & (ea * ea / va + et * et / vt <= gate)
        out += np.bincount(pp[hit], minlength=m)
    return out


def seed_ranks(rep: Reports, pairs: Pairs, tri: F8, cfg: PairConfig) -> tuple[Pairs, F8]:
    """The pairs and support :func:`seed_choice` ranks by (``chi2 - 1000 x
    support``), as ``cfg.seed_rank`` names them: "triangles", the pairs' chi-square
    and ``tri`` as given; "point", each pair's chi-square per degree of freedom
    (1 from timing, + 1 per stated range) and :func:`point_support`."""
    if cfg.seed_rank == "triangles":
        return pairs, tri
    if cfg.seed_rank != "point":
        raise ValueError(f"seed_rank {cfg.seed_rank!r}: expected 'triangles' or 'point'")
    rng = rep.rows.rng
    dof = 1.0 + np.isfinite(rng[pairs.i]) + np.isfinite(rng[pairs.j])
    return replace(pairs, chi2=pairs.chi2 / dof), point_support(rep, pairs, cfg.gate_p)


def _common_loop(indptr: Any, indices: Any, pi: Any, pj: Any) -> Any:
    """Per pair ``(pi[p], pj[p])``: how many rows are neighbours of both, by a walk
    through the two sorted neighbour lists of a CSR adjacency (``indptr``,
    ``indices``)."""
    out = np.empty(pi.shape[0])
    for p in range(pi.shape[0]):
        x, xe = indptr[pi[p]], indptr[pi[p] + 1]
        y, ye = indptr[pj[p]], indptr[pj[p] + 1]
        c = 0
        while x < xe and y < ye:
            u, v = indices[x], indices[y]
            if u < v:
                x += 1
            elif u > v:
                y += 1
            else:
                c += 1
                x += 1
                y += 1
        out[p] = float(c)
    return out


def _adjacency_loop(pi: Any, pj: Any, n: int) -> tuple[Any, Any]:
    """The pairs' symmetric adjacency over rows ``0..n-1`` as CSR ``(indptr,
    indices)``, each row's neighbours sorted and listed once (what
    ``coo_matrix(...).tocsr()`` and ``sort_indices`` give its pattern): a counting
    sort by row, each row's run sorted, repeats dropped."""
    m = pi.shape[0]
    start = np.zeros(n + 1, np.intp)
    for p in range(m):
        start[pi[p] + 1] += 1
        start[pj[p] + 1] += 1
    for r in range(n):
        start[r + 1] += start[r]
    fill = start[:n].copy()
    nb = np.empty(2 * m, np.intp)
    for p in range(m):
        nb[fill[pi[p]]] = pj[p]
        fill[pi[p]] += 1
        nb[fill[pj[p]]] = pi[p]
        fill[pj[p]] += 1
    indptr = np.zeros(n + 1, np.intp)
    indices = np.empty(2 * m, np.intp)
    k = 0
    for r in range(n):
        run = np.sort(nb[start[r] : start[r + 1]])
        for u in range(run.shape[0]):
            if u == 0 or run[u] != run[u - 1]:
                indices[k] = run[u]
                k += 1
        indptr[r + 1] = k
    return indptr, indices[:k]


def _triangles_loop(pi: Any, pj: Any, n: int) -> Any:
    """:func:`_adjacency_loop`, then :func:`_common_loop` over the pairs."""
    indptr, indices = _adjacency(pi, pj, n)
    return _common(indptr, indices, pi, pj)


#: the loops :func:`_triangles_loop` calls (bound compiled by ``compiled_calling``)
_adjacency, _common = _adjacency_loop, _common_loop


@getter
def common_kernel() -> Callable[..., Any] | None:
    """:func:`_common_loop` compiled (on first use), or None without the ``fast``
    extra."""
    return compiled(_common_loop)


@getter
def triangles_kernel() -> Callable[..., Any] | None:
    """:func:`_triangles_loop` compiled (on first use), or None without the
    ``fast`` extra."""
    common = common_kernel()
    if common is None:
        return None
    return compiled_calling(_triangles_loop, _adjacency=_adjacency_loop, _common=common)


def triangles(pairs: Pairs, n: int) -> F8:
    """Per pair, how many third rows pair with both of its rows (the pair's entry of
    A², A the pairs' adjacency: by the common neighbours of its two rows, the
    adjacency made by a compiled loop, when numba is installed; the same counts)."""
    m = pairs.i.shape[0]
    if m == 0:
        return np.zeros(0)
    kernel = triangles_kernel()
    if kernel is not None:
        return np.asarray(
            kernel(np.asarray(pairs.i, np.intp), np.asarray(pairs.j, np.intp), n), np.float64
        )
    A = sparse.coo_matrix(
        (np.ones(2 * m), (np.concatenate([pairs.i, pairs.j]), np.concatenate([pairs.j, pairs.i]))),
        shape=(n, n),
    ).tocsr()
    A.data[:] = 1.0
    A2 = A @ A
    return np.asarray(A2[pairs.i, pairs.j]).ravel()


def mutual_best(pi: IP, pj: IP, score: F8) -> npt.NDArray[np.bool_]:
    """Pairs whose two rows both rank them first (lowest ``score``, ties by order)."""
    m = pi.shape[0]
    if m == 0:
        return np.zeros(0, bool)
    obs = np.concatenate([pi, pj])
    pid = np.concatenate([np.arange(m), np.arange(m)])
    sc = np.concatenate([score, score])
    n_obs = int(max(pi.max(), pj.max())) + 1
    # each row's first pair by (score, pair): the first of its rows in
    # np.lexsort((pid, sc, obs)), without sorting every pair
    first = best_of_rows(obs, sc, pid, n_obs)
    best = np.full(n_obs, -1, np.intp)
    best[obs[first]] = pid[first]
    k = np.arange(m)
    return (best[pi] == k) & (best[pj] == k)


def _seed_loop(labels: Any, pi: Any, pj: Any, chi2: Any, tri: Any) -> tuple[Any, Any, int]:
    """:func:`seed_choice` as one loop: the pairs of two free rows, their score
    ``chi2 - 1000 tri``, each row's best by :func:`~.byrow.best_of_rows`' loop on
    the rows of both ends (``mutual_best``'s arrays), the pairs both ends chose;
    returns them, for :meth:`~.clusters.Clusters.add` their rows (the first
    ends, then the second), and how many pairs had two free rows."""
    m = 0
    for p in range(pi.shape[0]):
        m += (labels[pi[p]] < 0) & (labels[pj[p]] < 0)
    fp = np.empty(m, np.intp)
    j = 0
    for p in range(pi.shape[0]):
        if labels[pi[p]] < 0 and labels[pj[p]] < 0:
            fp[j] = p
            j += 1
    obs = np.empty(2 * m, np.intp)
    pid = np.empty(2 * m, np.intp)
    sc = np.empty(2 * m)
    n_obs = 0
    for u in range(m):
        p = fp[u]
        score = chi2[p] - 1000.0 * tri[p]
        obs[u] = pi[p]
        obs[m + u] = pj[p]
        pid[u] = pid[m + u] = u
        sc[u] = sc[m + u] = score
        n_obs = max(n_obs, pi[p] + 1, pj[p] + 1)
    first = _best(obs, sc, pid, n_obs)
    best = np.full(n_obs, -1, np.intp)
    for f in first:
        best[obs[f]] = pid[f]
    n_mb = 0
    for u in range(m):
        n_mb += (best[pi[fp[u]]] == u) & (best[pj[fp[u]]] == u)
    mb = np.empty(n_mb, np.intp)
    rows = np.empty(2 * n_mb, np.intp)
    j = 0
    for u in range(m):
        p = fp[u]
        if best[pi[p]] == u and best[pj[p]] == u:
            mb[j] = p
            rows[j] = pi[p]
            rows[n_mb + j] = pj[p]
            j += 1
    return mb, rows, m


#: the loop :func:`_seed_loop` calls (bound compiled by ``compiled_calling``)
_best = byrow._best_loop


@getter
def seed_kernel() -> Callable[..., tuple[Any, Any, int]] | None:
    """:func:`_seed_loop` compiled (on first use), or None without the ``fast``
    extra."""
    best = byrow.best_kernel()
    return None if best is None else compiled_calling(_seed_loop, _best=best)


def seed_choice(labels: IP, pairs: Pairs, tri: F8) -> tuple[IP, IP, int]:
    """The pairs of two free rows (``labels`` < 0) that are mutual best
    (:func:`mutual_best` of the score ``chi2 - 1000 tri``: more triangles first,
    then lower chi-square), as indices into ``pairs``; their rows (every first
    end, then every second); and how many pairs had two free rows. One compiled
    loop when numba is installed (the same pairs)."""
    kernel = seed_kernel()
    if kernel is not None:
        mb, rows, n_free = kernel(labels, pairs.i, pairs.j, pairs.chi2, tri)
        return np.asarray(mb, np.intp), np.asarray(rows, np.intp), int(n_free)
    fp = ((labels[pairs.i] < 0) & (labels[pairs.j] < 0)).nonzero()[0]
    if fp.shape[0] == 0:
        return np.zeros(0, np.intp), np.zeros(0, np.intp), 0
    score = pairs.chi2[fp] - 1000.0 * tri[fp]
    mb = fp[mutual_best(pairs.i[fp], pairs.j[fp], score)]
    return mb, np.concatenate([pairs.i[mb], pairs.j[mb]]), int(fp.shape[0])
