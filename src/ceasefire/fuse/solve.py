"""The batched maximum-likelihood solver: many events at once, each a position
(x, y in m) and an emission time (T in s) fitted by Gauss-Newton to its
observations' bearings, ranges and perceived times.

Measurement model of one observation at observer ``o`` for an event at ``p``:

- bearing (rad, grid azimuth): ``atan2(px - ox, py - oy)``, sd ``sigma_az_rad``
- range (m): ``|p - o|``, sd ``sigma_range_m``
- perceived time (s): ``T + speed_factor * |p - o| / c`` (``speed_factor`` is 1
  for sound, 0 for light), sd ``sigma_t_s``

Absent measurements are NaN. The normal equations of all events are accumulated
with ``np.bincount`` and solved as a stack of 3×3 systems, so one iteration is
O(rows) numpy work whatever the number of events. The covariance is the inverse
Fisher information at the solution.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ceasefire.fuse.cofactor import regular3, upper3
from ceasefire.fuse.gauss_newton import fit_kernel, iteration_kernel
from ceasefire.fuse.inverse import inv3_kernel
from ceasefire.fuse.keys import stable_argsort
from ceasefire.fuse.normal import normal_kernel
from ceasefire.fuse.stats import chi2_999

F8 = npt.NDArray[np.float64]
IP = npt.NDArray[np.intp]

_MIN_RHO_M = 1.0

#: the compiled fit's ``sel`` argument when :func:`fit` has none (its rows are all)
_NO_SEL = np.zeros(0, np.intp)

#: :func:`fit` gathers its rows first from row arrays longer than this (their
#: nine arrays then outgrow a core's L2 cache: ~300 kB), when it fits at least
#: ``_GATHER_MIN`` rows (fewer are few misses, and nine gathers cost ~10 µs)
_GATHER_ROWS = 4096
_GATHER_MIN = 256
#: :func:`fit`'s default iterations, largest step (m) and the step under which an
#: event stops (m)
_ITERATIONS, _MAX_STEP_M, _TOL_M = 8, 5_000.0, 0.5
#: those and the gather's thresholds: how :func:`fit` calls its compiled loop, for
#: the compiled loops that fit as it does (:mod:`.association.settle_loops`)
FIT_DEFAULTS = (_ITERATIONS, _MAX_STEP_M, _TOL_M, _GATHER_MIN, _GATHER_ROWS)


@dataclass(frozen=True)
class Rows:
    """Observation rows (shape ``(n,)`` each), in a metric frame."""

    ox: F8
    oy: F8
    az: F8
    sigma_az: F8
    t: F8
    sigma_t: F8
    speed_factor: F8
    rng: F8
    sigma_rng: F8

    def take(self, index: IP) -> Rows:
        return Rows(*(getattr(self, f)[index] for f in self.__dataclass_fields__))


@dataclass(frozen=True)
class Fit:
    """Per-event solution: ``x``, ``y`` (m), ``T`` (s), ``cov`` ``(G, 3, 3)`` over
    (x, y, T), ``chi2`` and ``dof`` of the fit, ``ok`` when well determined,
    ``converged`` when its last Gauss-Newton step was under 0.5 m (False when the
    iterations ran out first)."""

    x: F8
    y: F8
    T: F8
    cov: F8
    chi2: F8
    dof: npt.NDArray[np.int64]
    ok: npt.NDArray[np.bool_]
    converged: npt.NDArray[np.bool_]


def wrap_pi(a: F8) -> F8:
    """Angles wrapped to [-pi, pi)."""
    return (a + np.pi) % (2.0 * np.pi) - np.pi


def residuals(rows: Rows, g: IP, x: F8, y: F8, T: F8, c: float) -> tuple[F8, F8, F8, F8, F8, F8]:
    """Per-row geometry and normalized residuals for events ``(x, y, T)`` at ``g``.

    Returns ``(dx, dy, rho, r_az, r_t, r_rng)``: residuals in rad, s and m (NaN
    where the measurement is absent)."""
    dx = x[g] - rows.ox
    dy = y[g] - rows.oy
    rho = np.maximum(np.hypot(dx, dy), _MIN_RHO_M)
    r_az = wrap_pi(rows.az - np.arctan2(dx, dy))
    r_t = rows.t - (T[g] + rows.speed_factor * rho / c)
    r_rng = rows.rng - rho
    return dx, dy, rho, r_az, r_t, r_rng


def _normal(
    rows: Rows,
    g: IP,
    n_groups: int,
    x: F8,
    y: F8,
    T: F8,
    c: float,
    sel: IP | None = None,
) -> tuple[F8, F8, F8]:
    """Fisher information ``(G,3,3)``, gradient ``(G,3)`` and chi2 ``(G,)`` of the
    rows ``sel`` (all when None; ``g`` labels them): the compiled loop when numba
    is installed (the same numbers, :mod:`.normal`; it reads the subset in place)."""
    kernel = normal_kernel()
    if kernel is None:
        return _normal_numpy(rows if sel is None else rows.take(sel), g, n_groups, x, y, T, c)
    if sel is None:
        idx = np.arange(g.shape[0])
        ox, oy, az = rows.ox, rows.oy, rows.az
    else:
        idx = sel
        ox, oy, az = rows.ox[sel], rows.oy[sel], rows.az[sel]
    # the angle only where a row has an azimuth: without one the residual is NaN
    # whatever the angle (arrival groups are arrivals only)
    has = ~np.isnan(az)
    if has.all():
        ang = np.arctan2(x[g] - ox, y[g] - oy)
    else:
        ang = np.full(g.shape[0], np.nan)
        ang[has] = np.arctan2(x[g[has]] - ox[has], y[g[has]] - oy[has])
    H, b, chi2, wrapped = kernel(
        rows.ox, rows.oy, rows.az, rows.sigma_az, rows.t, rows.sigma_t, rows.speed_factor,
        rows.rng, rows.sigma_rng, g, n_groups, x, y, T, ang, c, idx,
    )  # fmt: skip
    if not wrapped:  # an azimuth the loop does not wrap (never for fusion's rows)
        return _normal_numpy(rows if sel is None else rows.take(sel), g, n_groups, x, y, T, c)
    return H, b, chi2


def _normal_numpy(
    rows: Rows, g: IP, n_groups: int, x: F8, y: F8, T: F8, c: float
) -> tuple[F8, F8, F8]:
    """:func:`_normal` in numpy."""
    dx, dy, rho, r_az, r_t, r_rng = residuals(rows, g, x, y, T, c)
    rho2 = rho * rho
    H = np.zeros((n_groups, 3, 3))
    b = np.zeros((n_groups, 3))
    chi2 = np.zeros(n_groups)
    # bearing rows
    m = np.isfinite(r_az)
    if m.any():
        w = 1.0 / rows.sigma_az[m] ** 2
        a = (dy[m] / rho2[m], -dx[m] / rho2[m], np.zeros(int(m.sum())))
        _accumulate(H, b, chi2, g[m], a, w, r_az[m], n_groups)
    m = np.isfinite(r_t)
    if m.any():
        w = 1.0 / rows.sigma_t[m] ** 2
        k = rows.speed_factor[m] / (rho[m] * c)
        a = (k * dx[m], k * dy[m], np.ones(int(m.sum())))
        _accumulate(H, b, chi2, g[m], a, w, r_t[m], n_groups)
    m = np.isfinite(r_rng)
    if m.any():
        w = 1.0 / rows.sigma_rng[m] ** 2
        a = (dx[m] / rho[m], dy[m] / rho[m], np.zeros(int(m.sum())))
        _accumulate(H, b, chi2, g[m], a, w, r_rng[m], n_groups)
    return H, b, chi2


def _accumulate(
    H: F8,
    b: F8,
    chi2: F8,
    g: IP,
    a: tuple[F8, F8, F8],
    w: F8,
    r: F8,
    n: int,
) -> None:
    for i in range(3):
        b[:, i] += np.bincount(g, weights=w * a[i] * r, minlength=n)
        for j in range(i, 3):
            v = np.bincount(g, weights=w * a[i] * a[j], minlength=n)
            H[:, i, j] += v
            if j != i:
                H[:, j, i] += v
    chi2 += np.bincount(g, weights=w * r * r, minlength=n)


def cofactors3(S: F8) -> tuple[F8, F8, F8, F8, F8, F8, F8]:
    """For a stack of symmetric 3×3 matrices ``(n, 3, 3)``: the cofactors
    ``(A, B, C, D, E, F)`` of the upper triangle (row-major: 00, 01, 02, 11, 12,
    22) and the determinant, elementwise (no LAPACK call per matrix)."""
    A, B, C, D, E, F, det = upper3(
        S[:, 0, 0], S[:, 0, 1], S[:, 0, 2], S[:, 1, 1], S[:, 1, 2], S[:, 2, 2]
    )
    return A, B, C, D, E, F, det


def _inv3(H: F8) -> tuple[F8, npt.NDArray[np.bool_]]:
    """Inverses of a stack of symmetric 3×3 matrices ``(G, 3, 3)`` by cofactors
    after diagonal scaling (no LAPACK call per matrix); the singular ones (those
    :func:`~ceasefire.fuse.cofactor.regular3` does not pass: a determinant within
    100 times its rounding error) are flagged and set to NaN. The compiled loop when numba
    is installed (the same numbers, :mod:`.inverse`)."""
    kernel = inv3_kernel()
    if kernel is None:
        return _inv3_numpy(H)
    inv, ok = kernel(np.ascontiguousarray(H, dtype=np.float64))
    return np.asarray(inv, np.float64), np.asarray(ok, bool)


def _inv3_numpy(H: F8) -> tuple[F8, npt.NDArray[np.bool_]]:
    """:func:`_inv3` in numpy (elementwise)."""
    scale = np.sqrt(np.maximum(np.einsum("gii->gi", H), 1e-300))
    S = H / scale[:, :, None] / scale[:, None, :]
    cof = cofactors3(S)
    A, B, C, D, E, F, det = cof
    tri = (S[:, 0, 0], S[:, 0, 1], S[:, 0, 2], S[:, 1, 1], S[:, 1, 2], S[:, 2, 2])
    with np.errstate(divide="ignore", invalid="ignore"):
        ok = np.asarray(regular3(*tri, cof), bool)
        inv = np.stack([A, B, C, B, D, E, C, E, F], axis=1).reshape(-1, 3, 3) / det[:, None, None]
    inv = inv / scale[:, :, None] / scale[:, None, :]
    inv[~ok] = np.nan
    return inv, ok


def _zero_nan(inv: F8, ok: npt.NDArray[np.bool_]) -> F8:
    """``np.nan_to_num(inv)`` for :func:`_inv3`'s output (the singular rows NaN,
    the regular ones finite), in place and without its per-call overhead (fit
    calls it once per Gauss-Newton iteration); any other input goes to
    ``nan_to_num`` itself."""
    inv[~ok] = 0.0
    if np.isfinite(inv).all():
        return inv
    return np.nan_to_num(inv)


def _ranges(lo: IP, hi: IP) -> IP:
    """Concatenated ``arange(lo[k], hi[k])`` over k, vectorized."""
    n = hi - lo
    tot = int(n.sum())
    if tot == 0:
        return np.zeros(0, np.intp)
    start = np.repeat(lo - np.concatenate([[0], np.cumsum(n)[:-1]]), n)
    return (start + np.arange(tot)).astype(np.intp)


def fit(
    rows: Rows,
    g: IP,
    n_groups: int,
    x0: F8,
    y0: F8,
    T0: F8,
    c: float,
    *,
    iterations: int = _ITERATIONS,
    max_step_m: float = _MAX_STEP_M,
    sel: IP | None = None,
    tol_m: float = _TOL_M,
) -> Fit:
    """Gauss-Newton ML fit of ``n_groups`` events whose rows are labelled ``g``
    (values in ``0..n_groups-1``), started at ``(x0, y0, T0)``; with ``sel``, the
    rows are ``rows[sel]``. An event stops after a step shorter than ``tol_m`` (m)
    or ``iterations`` steps. With numba, one compiled call
    (:func:`~ceasefire.fuse.gauss_newton.fit_kernel`: this code's numbers, the
    azimuths by numpy's own arctan2 routine); the code below otherwise."""
    made = fit_kernel()
    if made is not None:
        loop, atan2_at = made
        got = loop(
            rows.ox, rows.oy, rows.az, rows.sigma_az, rows.t, rows.sigma_t, rows.speed_factor,
            rows.rng, rows.sigma_rng, g, n_groups, _NO_SEL if sel is None else sel,
            sel is not None, np.asarray(x0, np.float64), np.asarray(y0, np.float64),
            np.asarray(T0, np.float64), c, iterations, max_step_m, tol_m, _GATHER_MIN,
            _GATHER_ROWS, atan2_at,
        )  # fmt: skip
        if got[8]:
            return Fit(*got[:8])
    return _fit_numpy(rows, g, n_groups, x0, y0, T0, c, iterations, max_step_m, sel, tol_m)


def _fit_numpy(
    rows: Rows, g: IP, n_groups: int, x0: F8, y0: F8, T0: F8, c: float, iterations: int,
    max_step_m: float, sel: IP | None, tol_m: float,
) -> Fit:  # fmt: skip
    """:func:`fit` by numpy calls (each iteration compiled with numba, numpy's
    ``arctan2`` between)."""
    x, y, T = np.array(x0, float), np.array(y0, float), np.array(T0, float)
    # each event stops on its own (its result does not depend on the batch); an
    # iteration works on the rows of the events still moving only (``src``: grouped
    # by event in a stable order, so each event's sums are those of its rows in
    # their order). Rows of many (beyond the caches) are gathered once in that
    # order: the iterations and the last normal equations read each ~3.4 times on
    # the stress day, and read in place, scattered over a tile's arrays, the fits
    # took ~2x the CPU
    order = stable_argsort(g)
    gs = g[order]
    src = order if sel is None else sel[order]
    if src.shape[0] >= _GATHER_MIN and rows.ox.shape[0] > _GATHER_ROWS:
        rows = rows.take(src)
        src = np.arange(gs.shape[0])
    bounds = gs.searchsorted(np.arange(n_groups + 1))
    active = np.ones(n_groups, bool)
    kernel = iteration_kernel()
    if kernel is None or not _iterate_compiled(
        kernel, rows, gs, src, bounds, x, y, T, active, c, iterations, max_step_m, tol_m
    ):
        x, y, T = x0.astype(float).copy(), y0.astype(float).copy(), T0.astype(float).copy()
        active[:] = True
        _iterate_numpy(rows, gs, src, bounds, x, y, T, active, c, iterations, max_step_m, tol_m)
    H, _b, chi2 = _normal(rows, gs, n_groups, x, y, T, c, src)
    cov, ok = _inv3(H)
    ok &= np.isfinite(x) & np.isfinite(y)
    cov[~ok] = np.nan
    # the measurements per row (0-3, exact in floats): one count per event
    per_row = np.isfinite(rows.az[src]).astype(float)
    per_row += np.isfinite(rows.t[src])
    per_row += np.isfinite(rows.rng[src])
    nmeas = np.bincount(gs, weights=per_row, minlength=n_groups)
    dof = (nmeas - 3).astype(np.int64)
    return Fit(x, y, T, cov, chi2, dof, ok, ~active)


def gn_step(inv: F8, ok: npt.NDArray[np.bool_], b: F8) -> F8:
    """The Gauss-Newton steps ``(G, 3)``: ``inv @ b`` per event (``inv`` as
    :func:`_inv3` returns it, NaN for the singular; their step 0), each entry
    summed as (0 + 2) + 1, the order numpy's ``einsum`` takes here (the compiled
    loop, :mod:`.gauss_newton`, sums the same way)."""
    z = _zero_nan(inv, ok)
    bb = b[:, None, :]
    step = (z[:, :, 0] * bb[:, :, 0] + z[:, :, 2] * bb[:, :, 2]) + z[:, :, 1] * bb[:, :, 1]
    return np.where(ok[:, None], step, 0.0)


def _iterate_numpy(
    rows: Rows, gs: IP, src: IP, bounds: IP, x: F8, y: F8, T: F8, active: npt.NDArray[np.bool_],
    c: float, iterations: int, max_step_m: float, tol_m: float,
) -> None:  # fmt: skip
    """:func:`fit`'s iterations in numpy: ``x``, ``y``, ``T`` stepped and
    ``active`` cleared in place (rows ``src`` grouped by event: ``gs``, ``bounds``)."""
    n_groups = x.shape[0]
    for it in range(iterations):
        if it == 0 and n_groups > 0:
            # every event moves: its rows are all rows, labelled as sorted
            act, sub_g, sub_src = np.arange(n_groups), gs, src
        else:
            act = np.flatnonzero(active)
            if act.shape[0] == 0:
                break
            sub_src = src[_ranges(bounds[act], bounds[act + 1])]
            sub_g = np.repeat(np.arange(act.shape[0]), bounds[act + 1] - bounds[act])
        H, b, _chi2 = _normal(rows, sub_g, act.shape[0], x[act], y[act], T[act], c, sub_src)
        inv, _ok = _inv3(H)
        step = gn_step(inv, _ok, b)
        norm = np.hypot(step[:, 0], step[:, 1])
        shrink = np.where(norm > max_step_m, max_step_m / np.maximum(norm, 1e-9), 1.0)
        x[act] += step[:, 0] * shrink
        y[act] += step[:, 1] * shrink
        T[act] += step[:, 2] * shrink
        active[act[norm < tol_m]] = False


def _iterate_compiled(
    kernel: Callable[..., tuple[IP, F8, F8, bool]], rows: Rows, gs: IP, src: IP, bounds: IP,
    x: F8, y: F8, T: F8, active: npt.NDArray[np.bool_], c: float, iterations: int,
    max_step_m: float, tol_m: float,
) -> bool:  # fmt: skip
    """:func:`_iterate_numpy` by the compiled loop (:mod:`.gauss_newton`), one call
    per iteration (numpy's ``arctan2`` between); False when an azimuth lies
    beyond the loop's wrapped range (then the caller starts over in numpy)."""
    if x.shape[0] == 0:
        return True
    act = np.arange(x.shape[0])
    # the angle only where a row has an azimuth (the loop skips the others)
    has = ~np.isnan(rows.az[src])
    if has.all():
        dx, dy = x[gs] - rows.ox[src], y[gs] - rows.oy[src]
    else:
        dx, dy = x[gs[has]] - rows.ox[src[has]], y[gs[has]] - rows.oy[src[has]]
    for _ in range(iterations):
        if act.shape[0] == 0:
            break
        act, dx, dy, wrapped = kernel(
            rows.ox, rows.oy, rows.az, rows.sigma_az, rows.t, rows.sigma_t, rows.speed_factor,
            rows.rng, rows.sigma_rng, src, bounds, act, x, y, T, np.arctan2(dx, dy), c,
            max_step_m, tol_m, active,
        )  # fmt: skip
        if not wrapped:
            return False
    return True


def stands(
    rows: Rows,
    g: IP,
    f: Fit,
    max_range_m: float,
    *,
    emission_first: bool = True,
    sel: IP | None = None,
) -> npt.NDArray[np.bool_]:
    """Events whose fit stands: fitted, within the 0.999 chi-square gate, within
    1.2 x the detection range of each of its rows (labelled ``g``) and, with
    ``emission_first``, emitted no later than each row's perceived time. With
    ``sel``, the rows are ``rows[sel]``."""
    G = f.x.shape[0]
    ox, oy, t = (
        (rows.ox, rows.oy, rows.t) if sel is None else (rows.ox[sel], rows.oy[sel], rows.t[sel])
    )
    rho = np.hypot(f.x[g] - ox, f.y[g] - oy)
    far = np.bincount(g, weights=(rho > 1.2 * max_range_m).astype(float), minlength=G) > 0
    ok = f.ok & (f.chi2 <= chi2_999(f.dof)) & ~far & np.isfinite(f.x)
    if emission_first:
        ok &= _group_min(g, t, G) + 1e-6 >= f.T
    return np.asarray(ok, dtype=bool)


def _group_min(g: IP, v: F8, n_groups: int) -> F8:
    """The least ``v`` per label ``g`` (inf for a label without rows; NaN when one
    of its values is): ``np.minimum.at``, by one ``reduceat`` when ``g`` is sorted."""
    out = np.full(n_groups, np.inf)
    if g.shape[0] and bool((g[1:] >= g[:-1]).all()):
        starts = np.flatnonzero(np.concatenate([[True], g[1:] != g[:-1]]))
        out[g[starts]] = np.minimum.reduceat(v, starts)
    else:
        np.minimum.at(out, g, v)
    return out


#: starts tried around an event's sensors when looking for a second solution
_RING_STARTS = 8


def ambiguous(
    rows: Rows, g: IP, x: F8, y: F8, T: F8, cand: IP, c: float, max_range_m: float
) -> npt.NDArray[np.bool_]:
    """For events ``cand`` (fitted at ``x, y, T``; member rows labelled ``g``),
    whether their reports admit a second solution more than 1 km away: with one
    degree of freedom (four arrivals, or a bearing and two arrivals) two
    intersections may both fit. Each is refitted from ``3 x _RING_STARTS`` starts
    on circles about its sensors' centroid (at half, one and twice its solution's
    distance); a fit that passes the 0.999 gate within the detection range
    elsewhere makes it ambiguous."""
    out = np.zeros(cand.shape[0], bool)
    if cand.shape[0] == 0:
        return out
    G = x.shape[0]
    pos = np.full(G, -1, np.intp)
    pos[cand] = np.arange(cand.shape[0])
    m = np.flatnonzero(pos[g] >= 0)
    gm = pos[g[m]]
    cnt = np.maximum(np.bincount(gm, minlength=cand.shape[0]), 1)
    cx = np.bincount(gm, weights=rows.ox[m], minlength=cand.shape[0]) / cnt
    cy = np.bincount(gm, weights=rows.oy[m], minlength=cand.shape[0]) / cnt
    xc, yc = x[cand], y[cand]
    rad = np.hypot(xc - cx, yc - cy)
    # starts on three circles (half, one and twice the solution's distance from the
    # centroid), each at _RING_STARTS angles
    turns = 2 * np.pi * np.arange(1, _RING_STARTS + 1) / (_RING_STARTS + 1)
    ang = np.arctan2(yc - cy, xc - cx)[:, None] + np.tile(turns, 3)[None, :]
    scale = np.repeat([0.5, 1.0, 2.0], _RING_STARTS)[None, :]
    k = 3 * _RING_STARTS
    sx = (cx[:, None] + scale * rad[:, None] * np.cos(ang)).ravel()
    sy = (cy[:, None] + scale * rad[:, None] * np.sin(ang)).ravel()
    sT = np.repeat(T[cand], k)
    rows_rep = np.repeat(m, k)
    lab = (gm[:, None] * k + np.arange(k)[None, :]).ravel()
    sub = rows.take(rows_rep)
    f = fit(sub, lab, cand.shape[0] * k, sx, sy, sT, c)
    good = (f.dof >= 1) & stands(sub, lab, f, max_range_m, emission_first=False)
    away = np.hypot(f.x - np.repeat(xc, k), f.y - np.repeat(yc, k)) > 1_000.0
    out[:] = (good & away).reshape(-1, k).any(axis=1)
    return out
