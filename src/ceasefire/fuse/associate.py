"""Association of acoustic and visual observations (bearings and arrivals) into
events, vectorized end to end.

1. **Pairs.** Bearing reports of different observers within the sound-travel
   window (a kd-tree over observer position and scaled time) whose rays cross in
   front of both, within the detection range, and whose implied emission times
   (perceived time minus range / c) agree: a 1-dof chi-square (+1 per range).
2. **Seeds.** Pairs ranked by support (how many third reports pair with both)
   and chi-square; a pair whose two reports choose each other first (mutual best)
   seeds an event.
3. **Attach.** Every free report (bearing or arrival) is tested against the
   events near it in space and time (kd-tree), by its bearing, time and range
   residuals against the event's predicted values and covariance; each report
   joins its best event, at most one report per observer per event. An arrival
   (a time, no direction) joins only when one event alone passes its gate.
4. **Refit and prune.** All events are refitted at once (batched Gauss-Newton
   over x, y and emission time); members whose residual fails the gate are freed.
5. **Merge.** Events that are the same explosion (means within their joint
   uncertainty, disjoint observers) are merged.
6. **Reassign.** Bearings are redistributed among the events by one
   least-total-cost assignment; arrival members another event would also take
   are freed.

The rounds repeat on what is still free; then bearings no pair explains seed
events with the arrivals they explain, a last reassignment runs, and what it
freed is paired once more. An observation ends in at most one event.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.spatial import cKDTree
from scipy.stats import chi2 as chi2_dist

from ceasefire.fuse.config import FuseConfig
from ceasefire.fuse.events import semi_major_95_m
from ceasefire.fuse.solve import Fit, Rows, ambiguous, cofactors3, fit, residuals, stands
from ceasefire.fuse.stats import Q999, chi2_999
from ceasefire.fuse.triangulate import intersect_rays
from ceasefire.model.assignment import min_cost_matching

F8 = npt.NDArray[np.float64]
IP = npt.NDArray[np.intp]
I8 = npt.NDArray[np.int8]
B = npt.NDArray[np.bool_]

#: direction code meaning "undetermined" (vocab DIRECTIONS index 2)
_DIR_UNDET = 2


def _quantile(p: float, dof: npt.ArrayLike) -> F8:
    """The chi-square ``p`` quantile for ``dof`` (a table lookup for p = 0.999)."""
    if p == 0.999:
        return chi2_999(dof)
    d = np.clip(np.asarray(dof, dtype=np.int64), 1, None)
    return np.asarray(chi2_dist.ppf(p, d), dtype=np.float64)


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


def _candidate_pairs(
    rows: Rows, idx: IP, cell_m: float, cell_s: float, range_m: float, c: float
) -> tuple[IP, IP]:
    """Index pairs (into ``idx``) of bearing rows whose rays pass through a common
    voxel of (x, y, emission time): each ray is sampled every ``cell_m / 2`` out to
    ``range_m``, a sample at distance r carrying the emission time t - r / c; two
    reports of one event meet near its (x, y, T). Two grids shifted by half a cell
    catch meetings near cell boundaries. Returns ``(a, b)`` with ``a < b``."""
    n = idx.shape[0]
    if n < 2:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    steps = np.arange(cell_m / 4.0, range_m + cell_m / 2.0, cell_m / 2.0)
    az = rows.az[idx]
    x = rows.ox[idx, None] + steps[None, :] * np.sin(az)[:, None]
    y = rows.oy[idx, None] + steps[None, :] * np.cos(az)[:, None]
    T = rows.t[idx, None] - rows.speed_factor[idx, None] * steps[None, :] / c
    x0, y0, T0 = float(x.min()), float(y.min()), float(T.min())
    bits = max(int(n - 1).bit_length(), 1)
    out: list[npt.NDArray[np.int64]] = []
    row = np.broadcast_to(np.arange(n, dtype=np.int64)[:, None], x.shape).ravel()
    for shift in (0.0, 0.5):
        kx = np.floor((x - x0) / cell_m + shift).astype(np.int64).ravel()
        ky = np.floor((y - y0) / cell_m + shift).astype(np.int64).ravel()
        kt = np.floor((T - T0) / cell_s + shift).astype(np.int64).ravel()
        cell = (kt * (int(ky.max()) + 1) + ky) * (int(kx.max()) + 1) + kx
        code = np.unique((cell << bits) | row)
        cell = code >> bits
        r = code & ((1 << bits) - 1)
        brk = np.flatnonzero(cell[1:] != cell[:-1]) + 1
        ends = np.append(brk, cell.shape[0])
        run_end = np.repeat(ends, np.diff(np.concatenate([[0], ends])))
        after = run_end - np.arange(cell.shape[0]) - 1
        if int(after.sum()) == 0:
            continue
        a = np.repeat(np.arange(cell.shape[0]), after)
        start = np.repeat(np.cumsum(after) - after, after)
        b = a + (np.arange(a.shape[0]) - start) + 1
        i, j = r[a], r[b]
        out.append((np.minimum(i, j) << bits) | np.maximum(i, j))
    if not out:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    pr = np.unique(np.concatenate(out))
    return (pr >> bits).astype(np.intp), (pr & ((1 << bits) - 1)).astype(np.intp)


def bearing_pairs(rows: Rows, src: IP, direction: I8, idx: IP, cfg: FuseConfig) -> Pairs:
    """The gated pairs among bearing rows ``idx`` (time-sorted)."""
    c = cfg.speed_of_sound_m_s
    R = cfg.max_range_m
    a, b = _candidate_pairs(rows, idx, cfg.pair_cell_m, cfg.pair_cell_s, R, c)
    i, j = idx[a], idx[b]
    keep = src[i] != src[j]
    di, dj = direction[i], direction[j]
    keep &= (di == dj) | (di == _DIR_UNDET) | (dj == _DIR_UNDET)
    dox = rows.ox[j] - rows.ox[i]
    doy = rows.oy[j] - rows.oy[i]
    d_obs = np.hypot(dox, doy)
    s2 = rows.sigma_t[i] ** 2 + rows.sigma_t[j] ** 2
    # two reports of one event: heard both, their times differ by at most the sound's
    # way between the observers; seen both, not at all; one seen, by its sound's way
    fi, fj = rows.speed_factor[i], rows.speed_factor[j]
    way = np.where(fi == fj, fi * d_obs, 1.2 * R)
    keep &= np.abs(rows.t[j] - rows.t[i]) <= way / c + 4.0 * np.sqrt(s2) + 1e-9
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
    i, j, x, y = i[keep], j[keep], x[keep], y[keep]
    chi2, T, dof = _pair_chi2(rows, i, j, x, y, c)
    keep = chi2 <= _quantile(cfg.pair_gate_p, dof)
    return Pairs(i[keep], j[keep], chi2[keep], x[keep], y[keep], T[keep])


def _pair_chi2(rows: Rows, i: IP, j: IP, x: F8, y: F8, c: float) -> tuple[F8, F8, F8]:
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


def _triangles(pairs: Pairs, n: int) -> F8:
    """Per pair, how many third rows pair with both of its rows."""
    m = pairs.i.shape[0]
    if m == 0:
        return np.zeros(0)
    A = sparse.coo_matrix(
        (np.ones(2 * m), (np.concatenate([pairs.i, pairs.j]), np.concatenate([pairs.j, pairs.i]))),
        shape=(n, n),
    ).tocsr()
    A.data[:] = 1.0
    A2 = A @ A
    return np.asarray(A2[pairs.i, pairs.j]).ravel()


def _mutual_best(pi: IP, pj: IP, score: F8) -> npt.NDArray[np.bool_]:
    """Pairs whose two rows both rank them first (lowest ``score``, ties by order)."""
    m = pi.shape[0]
    if m == 0:
        return np.zeros(0, bool)
    obs = np.concatenate([pi, pj])
    pid = np.concatenate([np.arange(m), np.arange(m)])
    sc = np.concatenate([score, score])
    order = np.lexsort((pid, sc, obs))
    first = np.ones(order.shape[0], bool)
    first[1:] = obs[order][1:] != obs[order][:-1]
    o_sorted = obs[order][first]
    p_sorted = pid[order][first]
    best = np.full(int(max(pi.max(), pj.max())) + 1, -1, np.intp)
    best[o_sorted] = p_sorted
    k = np.arange(m)
    return (best[pi] == k) & (best[pj] == k)


@dataclass
class Clusters:
    """Events under construction: per-row labels and per-event estimates."""

    labels: IP
    x: F8
    y: F8
    T: F8
    cov: F8

    @property
    def n(self) -> int:
        return int(self.x.shape[0])


def _refit(rows: Rows, cl: Clusters, c: float) -> Fit:
    m = cl.labels >= 0
    idx = np.flatnonzero(m)
    f = fit(rows.take(idx), cl.labels[idx], cl.n, cl.x, cl.y, cl.T, c)
    cl.x, cl.y, cl.T = f.x, f.y, f.T
    cl.cov = f.cov
    return f


def _compact(cl: Clusters, rows: Rows, min_tdoa: int, max_range_m: float = np.inf) -> None:
    """Drop events that cannot stand: a failed fit, a fit beyond 1.2 x the detection
    range of one of its reports, or too few reports to fix a position with a check
    (two bearings; one bearing and two arrivals; or ``min_tdoa`` arrivals); their
    rows are freed. Renumber."""
    m = cl.labels >= 0
    is_b = np.isfinite(rows.az[m])
    lab = cl.labels[m]
    nb = np.bincount(lab, weights=is_b.astype(float), minlength=cl.n)
    na = np.bincount(lab, weights=(~is_b).astype(float), minlength=cl.n)
    fitted = np.all(np.isfinite(cl.cov.reshape(cl.n, -1)), axis=1)
    rho = np.hypot(cl.x[lab] - rows.ox[m], cl.y[lab] - rows.oy[m])
    far = np.bincount(lab, weights=(~(rho <= 1.2 * max_range_m)).astype(float), minlength=cl.n)
    alive = fitted & (far == 0) & ((nb >= 2) | ((nb >= 1) & (na >= 2)) | (na >= min_tdoa))
    cl.labels[m & ~alive[np.maximum(cl.labels, 0)]] = -1
    remap = np.full(cl.n, -1, np.intp)
    remap[alive] = np.arange(int(alive.sum()))
    m = cl.labels >= 0
    cl.labels[m] = remap[cl.labels[m]]
    cl.x, cl.y, cl.T, cl.cov = cl.x[alive], cl.y[alive], cl.T[alive], cl.cov[alive]


def _quad_inv3(S: F8, r: F8) -> F8:
    """``rᵀ S⁻¹ r`` for stacks of symmetric 3×3 ``S`` ``(n, 3, 3)`` and ``r`` ``(n, 3)``
    by cofactors (elementwise, no LAPACK call per matrix)."""
    A, B, C, D, E, F, det = cofactors3(S)
    x, y, z = r[:, 0], r[:, 1], r[:, 2]
    q = A * x * x + D * y * y + F * z * z + 2 * (B * x * y + C * x * z + E * y * z)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = q / det
    return np.where(det > 0, out, np.inf)


def _normalized(rows: Rows, g: IP, cl: Clusters, c: float) -> tuple[F8, F8, F8]:
    """Each row's (bearing, time, range) residual against event ``g`` in units of the
    row's measurement sd, ``rn`` ``(n, 3)``; ``M`` = An P Anᵀ ``(n, 3, 3)``, with An
    the Jacobian of the prediction in (x, y, T) in the same units and P the event's
    covariance; and the dof (the components the row has)."""
    dx, dy, rho, r_az, r_t, r_rng = residuals(rows, g, cl.x, cl.y, cl.T, c)
    n = dx.shape[0]
    rho2 = rho * rho
    k = rows.speed_factor / (rho * c)
    A = np.zeros((n, 3, 3))
    A[:, 0, 0], A[:, 0, 1] = dy / rho2, -dx / rho2
    A[:, 1, 0], A[:, 1, 1], A[:, 1, 2] = k * dx, k * dy, 1.0
    A[:, 2, 0], A[:, 2, 1] = dx / rho, dy / rho
    r = np.column_stack([r_az, r_t, r_rng])
    var = np.column_stack([rows.sigma_az**2, rows.sigma_t**2, rows.sigma_rng**2])
    has = np.isfinite(r)
    r = np.where(has, r, 0.0)
    A[~has] = 0.0
    var = np.where(has & np.isfinite(var) & (var > 0), var, 1.0)
    sd = np.sqrt(var)
    An = A / sd[:, :, None]
    M = np.matmul(np.matmul(An, np.nan_to_num(cl.cov[g])), An.transpose(0, 2, 1))
    return r / sd, M, has.sum(axis=1).astype(np.float64)


def _row_chi2(
    rows: Rows, g: IP, cl: Clusters, c: float, with_cov: bool, sign: float = 1.0
) -> tuple[F8, F8]:
    """Mahalanobis distance of each row's (bearing, time, range) residual vector
    against event ``g``, and its dof. ``sign`` +1: innovation of a new row
    (S = R + A P Aᵀ); -1: in-sample residual of a member (S = R - A P Aᵀ, the
    deleted-residual test). Without ``with_cov``, S = R."""
    rn, M, dof = _normalized(rows, g, cl, c)
    # normalized by the measurement sd: S = I ± D^-1/2 A P Aᵀ D^-1/2
    S = np.broadcast_to(np.eye(3), M.shape).copy()
    if with_cov:
        S += sign * M
    if sign < 0:
        # members: keep at least 2 % of the measurement variance (rows the fit rests on)
        S += 0.02 * np.eye(3)
    return _quad_inv3(S, rn), dof


def _row_nll(rows: Rows, g: IP, cl: Clusters, c: float, member: B) -> tuple[F8, F8, F8]:
    """Leave-one-out predictive chi-square, dof and log-determinant (normalized by
    the measurement sd) of each row against event ``g``: for a member of ``g`` the
    deleted residual (S = (I - A P Aᵀ)⁻¹ in normalized units, with the 2 % floor of
    :func:`_row_chi2`), for any other row the innovation (S = I + A P Aᵀ); chi-square
    + log det S is -2 ln of its predictive density up to the row's own constant,
    comparable across events."""
    sign = np.where(member, -1.0, 1.0)
    rn, M, dof = _normalized(rows, g, cl, c)
    S = np.eye(3) + sign[:, None, None] * M + np.where(member, 0.02, 0.0)[:, None, None] * np.eye(3)
    det = cofactors3(S)[6]
    with np.errstate(divide="ignore", invalid="ignore"):
        logdet = np.where(det > 0, sign * np.log(det), np.inf)
    return _quad_inv3(S, rn), dof, logdet


def _reassign(rows: Rows, src: IP, direction: I8, cl: Clusters, cfg: FuseConfig) -> int:
    """Bearings redistributed among the fitted events by one least-total-cost
    assignment: each bearing to at most one event, each event at most one bearing
    per observer, the cost of a bearing in an event its leave-one-out predictive
    -2 ln density (:func:`_row_nll`) less ``reassign_support_cost`` for each other
    bearing in the event, candidates by the attach gates. Leaving a bearing free costs
    more than any gated edge, so a bearing is freed only when a chain of moves would
    cost more than that: mostly, only who goes where changes. Returns how many
    bearings changed event."""
    if cl.n == 0:
        return 0
    c, R = cfg.speed_of_sound_m_s, cfg.max_range_m
    b = np.flatnonzero(np.isfinite(rows.az))
    g, k = _time_candidates(rows, b, cl, c, 1.2 * R)
    mem = b[cl.labels[b] >= 0]
    g = np.concatenate([g, cl.labels[mem]])
    k = np.concatenate([k, mem])
    key = np.unique(k.astype(np.int64) * (cl.n + 1) + g)
    k, g = (key // (cl.n + 1)).astype(np.intp), (key % (cl.n + 1)).astype(np.intp)
    member = cl.labels[k] == g
    nsrc = int(src.max()) + 1
    # an event's other members (arrivals stay where they are) hold their observer's slot
    held = np.flatnonzero((cl.labels >= 0) & ~np.isfinite(rows.az))
    taken = np.unique(cl.labels[held].astype(np.int64) * nsrc + src[held])
    keep = ~np.isin(g.astype(np.int64) * nsrc + src[k], taken)
    edir = _event_direction(direction, cl)
    dk = direction[k]
    keep &= (dk == _DIR_UNDET) | (edir[g] == _DIR_UNDET) | (edir[g] == dk)
    keep &= np.all(np.isfinite(cl.cov[g].reshape(g.shape[0], -1)), axis=1)
    keep &= member | _marginal_gate(rows, g, k, cl, c)
    g, k, member = g[keep], k[keep], member[keep]
    if g.shape[0] == 0:
        return 0
    chi2, dof, logdet = _row_nll(rows.take(k), g, cl, c, member)
    rho = np.hypot(cl.x[g] - rows.ox[k], cl.y[g] - rows.oy[k])
    gate = _quantile(cfg.attach_gate_p, dof)
    keep = ((chi2 <= gate) | member) & (rho <= 1.2 * R) & (dof > 0) & np.isfinite(logdet)
    # a member beyond the gate costs what the worst gated edge would (it stays unless a
    # gated event takes it; uncapped, one member 100 sigma off cost ~1e9 and coarsened
    # the integer costs of the whole problem to whole units); each other bearing in the
    # event lowers the cost by reassign_support_cost (an event's odds of being a real
    # round grow with its reports: ghosts of two rounds' reports lose their members)
    nb = np.bincount(cl.labels[mem], minlength=cl.n)
    cost = np.minimum(chi2, gate) + logdet - cfg.reassign_support_cost * (nb[g] - member)
    g, k, cost = g[keep], k[keep], cost[keep]
    if g.shape[0] == 0:
        return 0
    ur, ri = np.unique(k, return_inverse=True)
    _, ci = np.unique(g.astype(np.int64) * nsrc + src[k], return_inverse=True)
    free_cost = float(np.abs(cost).max()) + 1.0
    edge = min_cost_matching(ri, ci, cost, ur.shape[0], int(ci.max()) + 1, free_cost)
    new = np.where(edge >= 0, g[np.maximum(edge, 0)], -1)
    moved = int((new != cl.labels[ur]).sum())
    cl.labels[ur] = new
    return moved


def _reassign_passes(
    rows: Rows, src: IP, direction: I8, cl: Clusters, cfg: FuseConfig, passes: int
) -> Fit | None:
    """Up to ``passes`` rounds of :func:`_reassign`, each followed by refit, prune and
    compact; stops when at most ``reassign_min_share`` of the bearings changed event
    (a few keep swapping between two events that fit them alike). Returns the last
    fit (None when nothing moved)."""
    last: Fit | None = None
    n_b = int(np.isfinite(rows.az).sum())
    c = cfg.speed_of_sound_m_s
    for _ in range(passes if cl.n else 0):
        moved = _reassign(rows, src, direction, cl, cfg)
        if not moved:
            break
        _refit(rows, cl, c)
        if _prune(rows, cl, cfg):
            _refit(rows, cl, c)
        _compact(cl, rows, cfg.min_tdoa_sensors)
        last = _refit(rows, cl, c)
        if moved <= cfg.reassign_min_share * n_b:
            break
    return last


def _event_direction(direction: I8, cl: Clusters) -> npt.NDArray[np.int64]:
    """Per event, the majority determined direction code, or undetermined."""
    m = (cl.labels >= 0) & (direction != _DIR_UNDET)
    counts = np.bincount(
        cl.labels[m] * 3 + direction[m].astype(np.intp), minlength=3 * max(cl.n, 1)
    ).reshape(-1, 3)[: cl.n]
    out = np.argmax(counts, axis=1)
    out[counts.sum(axis=1) == 0] = _DIR_UNDET
    return out


def _time_candidates(rows: Rows, free: IP, cl: Clusters, c: float, range_m: float) -> tuple[IP, IP]:
    """(event, row) candidates: free rows whose perceived time lies within 4 sigma of
    the time the event's sound (or light) reaches their observer. One pass per
    observer position over all events (searchsorted on the position's times)."""
    ok = np.flatnonzero(np.all(np.isfinite(cl.cov.reshape(cl.n, -1)), axis=1))
    if ok.shape[0] == 0 or free.shape[0] == 0:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    ex, ey, eT = cl.x[ok], cl.y[ok], cl.T[ok]
    # sd of the predicted time from the event's uncertainty (T and position / c)
    sd_ev = np.sqrt(cl.cov[ok, 2, 2]) + np.sqrt(cl.cov[ok, 0, 0] + cl.cov[ok, 1, 1]) / c
    pos = np.column_stack([rows.ox[free], rows.oy[free]])
    _, p_id = np.unique(pos, axis=0, return_inverse=True)
    p_id = p_id.ravel()
    order = np.lexsort((rows.t[free], p_id))
    fs, ps = free[order], p_id[order]
    bounds = np.flatnonzero(np.diff(ps)) + 1
    starts = np.concatenate([[0], bounds])
    ends = np.append(bounds, fs.shape[0])
    out_g: list[IP] = []
    out_k: list[IP] = []
    for a0, b0 in zip(starts.tolist(), ends.tolist(), strict=True):
        rk = fs[a0:b0]
        px, py = rows.ox[rk[0]], rows.oy[rk[0]]
        d = np.hypot(ex - px, ey - py)
        near = np.flatnonzero(d <= range_m)
        if near.shape[0] == 0:
            continue
        tk = rows.t[rk]
        f_lo = float(rows.speed_factor[rk].min())
        slack = 4.0 * (float(rows.sigma_t[rk].max()) + sd_ev[near])
        lo = eT[near] + f_lo * d[near] / c - slack
        hi = eT[near] + d[near] / c + slack
        ia = np.searchsorted(tk, lo)
        ib = np.searchsorted(tk, hi, side="right")
        cnt = ib - ia
        tot = int(cnt.sum())
        if tot == 0:
            continue
        gg = np.repeat(near, cnt)
        start = np.repeat(np.cumsum(cnt) - cnt, cnt)
        kk = np.repeat(ia, cnt) + (np.arange(tot) - start)
        out_g.append(ok[gg])
        out_k.append(rk[kk])
    if not out_g:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    return np.concatenate(out_g), np.concatenate(out_k)


def _marginal_gate(rows: Rows, g: IP, k: IP, cl: Clusters, c: float) -> npt.NDArray[np.bool_]:
    """Cheap necessary condition of the joint innovation test: the time and the
    bearing residuals each pass the 3-dof gate on their own (a component of a
    Mahalanobis distance never exceeds the whole)."""
    dx = cl.x[g] - rows.ox[k]
    dy = cl.y[g] - rows.oy[k]
    rho = np.maximum(np.hypot(dx, dy), 1.0)
    P = cl.cov[g]
    q = float(Q999[2])
    f = rows.speed_factor[k] / (rho * c)
    gx, gy = f * dx, f * dy
    var_t = (
        rows.sigma_t[k] ** 2
        + gx * gx * P[:, 0, 0]
        + gy * gy * P[:, 1, 1]
        + P[:, 2, 2]
        + 2 * (gx * gy * P[:, 0, 1] + gx * P[:, 0, 2] + gy * P[:, 1, 2])
    )
    r_t = rows.t[k] - cl.T[g] - rows.speed_factor[k] * rho / c
    ok = r_t * r_t <= q * var_t
    has_az = np.isfinite(rows.az[k])
    ax, ay = dy / rho**2, -dx / rho**2
    var_az = rows.sigma_az[k] ** 2 + ax * ax * P[:, 0, 0] + ay * ay * P[:, 1, 1]
    var_az = var_az + 2 * ax * ay * P[:, 0, 1]
    r_az = (rows.az[k] - np.arctan2(dx, dy) + np.pi) % (2 * np.pi) - np.pi
    with np.errstate(invalid="ignore"):
        ok &= ~has_az | (r_az * r_az <= q * var_az)
    return ok


def _slot_free(g: IP, k: IP, src: IP, cl: Clusters) -> B:
    """Per (event ``g``, row ``k``) candidate: the event holds no report of the row's
    observer (one report per observer per event)."""
    nsrc = int(src.max()) + 1
    member = np.flatnonzero(cl.labels >= 0)
    taken = np.unique(cl.labels[member].astype(np.int64) * nsrc + src[member])
    return ~np.isin(g.astype(np.int64) * nsrc + src[k], taken)


def _gated(rows: Rows, g: IP, k: IP, cl: Clusters, cfg: FuseConfig) -> tuple[IP, IP, F8, F8]:
    """The (event, row) candidates that pass the attach gates: the marginal pre-gate,
    then the joint innovation chi-square at ``attach_gate_p`` and the detection range
    (1.2 x ``max_range_m``). Returns them with their chi-square and dof."""
    c = cfg.speed_of_sound_m_s
    keep = _marginal_gate(rows, g, k, cl, c)
    g, k = g[keep], k[keep]
    chi2, dof = _row_chi2(rows.take(k), g, cl, c, with_cov=True)
    rho = np.hypot(cl.x[g] - rows.ox[k], cl.y[g] - rows.oy[k])
    keep = (chi2 <= _quantile(cfg.attach_gate_p, dof)) & (rho <= 1.2 * cfg.max_range_m)
    keep &= dof > 0
    return g[keep], k[keep], chi2[keep], dof[keep]


def _free_shared_arrivals(rows: Rows, src: IP, cl: Clusters, cfg: FuseConfig) -> int:
    """Free the arrival members that another event (with no report of their sensor)
    would also take by the attach gate. Returns how many."""
    arr = np.flatnonzero((cl.labels >= 0) & ~np.isfinite(rows.az))
    if arr.shape[0] == 0:
        return 0
    g, k = _time_candidates(rows, arr, cl, cfg.speed_of_sound_m_s, 1.2 * cfg.max_range_m)
    keep = (g != cl.labels[k]) & _slot_free(g, k, src, cl)
    _, k, _, _ = _gated(rows, g[keep], k[keep], cl, cfg)
    shared = np.unique(k)
    cl.labels[shared] = -1
    return int(shared.shape[0])


def _release_shared_arrivals(rows: Rows, src: IP, cl: Clusters, cfg: FuseConfig) -> Fit | None:
    """With ``unique_arrivals``: :func:`_free_shared_arrivals`, then refit and compact
    (an event left without enough reports dissolves). Returns the last fit, or None
    when nothing was freed."""
    if not (cl.n and cfg.unique_arrivals and _free_shared_arrivals(rows, src, cl, cfg)):
        return None
    c = cfg.speed_of_sound_m_s
    _refit(rows, cl, c)
    _compact(cl, rows, cfg.min_tdoa_sensors)
    return _refit(rows, cl, c)


def _attach(rows: Rows, src: IP, direction: I8, cl: Clusters, cfg: FuseConfig) -> int:
    """Free rows join their best compatible event; returns how many joined."""
    free = np.flatnonzero(cl.labels < 0)
    if free.shape[0] == 0 or cl.n == 0:
        return 0
    g, k = _time_candidates(rows, free, cl, cfg.speed_of_sound_m_s, 1.2 * cfg.max_range_m)
    if g.shape[0] == 0:
        return 0
    # one report per observer per event; compatible direction
    edir = _event_direction(direction, cl)
    dk = direction[k]
    keep = _slot_free(g, k, src, cl)
    keep &= (dk == _DIR_UNDET) | (edir[g] == _DIR_UNDET) | (edir[g] == dk)
    g, k, chi2, dof = _gated(rows, g[keep], k[keep], cl, cfg)
    if g.shape[0] == 0:
        return 0
    nsrc = int(src.max()) + 1
    score = chi2 - dof
    # each row: its best event
    order = np.lexsort((g, score, k))
    first = np.ones(order.shape[0], bool)
    first[1:] = k[order][1:] != k[order][:-1]
    sel = order[first]
    if cfg.unique_arrivals:
        # an arrival (a time, no direction) that two events explain stays free
        n_cand = np.bincount(k, minlength=rows.az.shape[0])
        sel = sel[~((n_cand[k[sel]] > 1) & ~np.isfinite(rows.az[k[sel]]))]
    g, k, score = g[sel], k[sel], score[sel]
    # each (event, observer): its best row
    key = g.astype(np.int64) * nsrc + src[k]
    order = np.lexsort((k, score, key))
    first = np.ones(order.shape[0], bool)
    first[1:] = key[order][1:] != key[order][:-1]
    sel = order[first]
    cl.labels[k[sel]] = g[sel]
    return int(sel.shape[0])


def _guarded_attach(rows: Rows, src: IP, direction: I8, cl: Clusters, cfg: FuseConfig) -> int:
    """:func:`_attach`, then a refit; an event whose refit fails or leaves its former
    uncertainty (3-dof 99.9 % gate on x, y, T) gives back the reports it just took
    and keeps its former estimate. Reports gated one by one may be jointly
    inconsistent: two clutter arrivals (3 ms each) can pull a sound two-bearing
    fix tens of km away, and the failed fit would then dissolve the event. With
    ``guarded_attach_best_one`` such an event then takes back the one report that
    fits it best, under the same test."""
    before = cl.labels.copy()
    old = Clusters(before, cl.x.copy(), cl.y.copy(), cl.T.copy(), cl.cov.copy())
    joined = _attach(rows, src, direction, cl, cfg)
    if not joined:
        return 0
    new = np.flatnonzero((before < 0) & (cl.labels >= 0))
    grew = np.unique(cl.labels[new])
    had = np.all(np.isfinite(old.cov[grew].reshape(grew.shape[0], -1)), axis=1)
    gb = grew[had & _pulled_away(rows, cl, old, grew, cfg)]
    if gb.shape[0] == 0:
        return joined
    back = np.zeros(cl.n, bool)
    back[gb] = True
    gone = new[back[cl.labels[new]]]
    g_of = cl.labels[gone].copy()
    cl.labels[gone] = -1
    _restore(cl, old, gb)
    joined -= int(gone.shape[0])
    if not cfg.guarded_attach_best_one:
        return joined
    # each such event may still take the one report that fits it best
    chi2, dof = _row_chi2(rows.take(gone), g_of, cl, cfg.speed_of_sound_m_s, True)
    order = np.lexsort((gone, chi2 - dof, g_of))
    first = np.ones(order.shape[0], bool)
    first[1:] = g_of[order][1:] != g_of[order][:-1]
    one, g1 = gone[order[first]], g_of[order[first]]
    cl.labels[one] = g1
    bad = _pulled_away(rows, cl, old, g1, cfg)
    cl.labels[one[bad]] = -1
    _restore(cl, old, g1[bad])
    return joined + int((~bad).sum())


def _pulled_away(rows: Rows, cl: Clusters, old: Clusters, g: IP, cfg: FuseConfig) -> B:
    """Refit all events; for events ``g``: whether the fit failed or left the former
    estimate's 3-dof 99.9 % region (``old``: the estimates before)."""
    f = _refit(rows, cl, cfg.speed_of_sound_m_s)
    d = np.column_stack([cl.x[g] - old.x[g], cl.y[g] - old.y[g], cl.T[g] - old.T[g]])
    m2 = _quad_inv3(np.nan_to_num(old.cov[g]), np.nan_to_num(d))
    return np.asarray(~f.ok[g] | ~(m2 <= float(Q999[2])), dtype=bool)


def _restore(cl: Clusters, old: Clusters, g: IP) -> None:
    """Events ``g`` take back their former estimates."""
    cl.x[g], cl.y[g], cl.T[g], cl.cov[g] = old.x[g], old.y[g], old.T[g], old.cov[g]


def _prune(rows: Rows, cl: Clusters, cfg: FuseConfig) -> int:
    """Free the worst member of each event whose worst member fails the gate."""
    idx = np.flatnonzero(cl.labels >= 0)
    if idx.shape[0] == 0:
        return 0
    g = cl.labels[idx]
    chi2, dof = _row_chi2(rows.take(idx), g, cl, cfg.speed_of_sound_m_s, True, -1.0)
    rho = np.hypot(cl.x[g] - rows.ox[idx], cl.y[g] - rows.oy[idx])
    far = ~(rho <= 1.2 * cfg.max_range_m)
    chi2 = np.where(far, np.inf, chi2)
    bad = chi2 > _quantile(cfg.member_gate_p, dof)
    if not bad.any():
        return 0
    score = np.where(bad, chi2 / np.maximum(dof, 1), -np.inf)
    order = np.lexsort((idx, -score, g))
    first = np.ones(order.shape[0], bool)
    first[1:] = g[order][1:] != g[order][:-1]
    worst = order[first]
    worst = worst[bad[worst]]
    cl.labels[idx[worst]] = -1
    return int(worst.shape[0])


def _merge(rows: Rows, src: IP, cl: Clusters, cfg: FuseConfig) -> int:
    """Merge pairs of events that are one: estimates within their joint uncertainty,
    no observer in both; each event merges at most once per call."""
    if cl.n < 2:
        return 0
    c = cfg.speed_of_sound_m_s
    ok = np.all(np.isfinite(cl.cov.reshape(cl.n, -1)), axis=1)
    pts = np.column_stack([cl.x, cl.y, (cl.T - float(np.nanmin(cl.T))) * c])
    ev = np.flatnonzero(ok & np.all(np.isfinite(pts), axis=1))
    if ev.shape[0] < 2:
        return 0
    tree = cKDTree(pts[ev])
    pr = tree.query_pairs(2_000.0, p=np.inf, output_type="ndarray")
    if pr.shape[0] == 0:
        return 0
    a, b = ev[pr[:, 0]], ev[pr[:, 1]]
    d = np.column_stack([cl.x[a] - cl.x[b], cl.y[a] - cl.y[b], cl.T[a] - cl.T[b]])
    S = cl.cov[a] + cl.cov[b]
    try:
        m2 = np.einsum("ni,ni->n", d, np.linalg.solve(S, d[:, :, None])[:, :, 0])
    except np.linalg.LinAlgError:
        return 0
    keep = m2 <= _quantile(0.999, 3)
    a, b, m2 = a[keep], b[keep], m2[keep]
    if a.shape[0] == 0:
        return 0
    # disjoint observers
    idx = np.flatnonzero(cl.labels >= 0)
    nsrc = int(src.max()) + 1
    S_ev = sparse.csr_matrix(
        (np.ones(idx.shape[0]), (cl.labels[idx], src[idx])), shape=(cl.n, nsrc)
    )
    shared = np.asarray(S_ev[a].multiply(S_ev[b]).sum(axis=1)).ravel()
    keep = shared == 0
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


def _attach_and_prune(
    rows: Rows, src: IP, direction: I8, cl: Clusters, cfg: FuseConfig, times: int
) -> Fit | None:
    """Up to ``times`` passes of attach (guarded when ``guarded_attach``), refit and
    prune (compact and refit after a prune); stops when a pass neither joined nor
    pruned anything. Returns the last fit (None when ``times`` is 0)."""
    c = cfg.speed_of_sound_m_s
    last: Fit | None = None
    for _ in range(times):
        joined = (_guarded_attach if cfg.guarded_attach else _attach)(rows, src, direction, cl, cfg)
        last = _refit(rows, cl, c)
        pruned = _prune(rows, cl, cfg)
        if pruned:
            _compact(cl, rows, cfg.min_tdoa_sensors)
            last = _refit(rows, cl, c)
        if not joined and not pruned:
            break
    return last


def _seed_pairs(cl: Clusters, pairs: Pairs, tri: F8) -> int:
    """New events from the mutual-best pairs of two free bearings (more triangles
    first, then lower chi-square), unfitted; returns how many."""
    fp = np.flatnonzero((cl.labels[pairs.i] < 0) & (cl.labels[pairs.j] < 0))
    if fp.shape[0] == 0:
        return 0
    score = pairs.chi2[fp] - 1000.0 * tri[fp]
    mb = fp[_mutual_best(pairs.i[fp], pairs.j[fp], score)]
    base = cl.n
    cl.labels[pairs.i[mb]] = base + np.arange(mb.shape[0])
    cl.labels[pairs.j[mb]] = base + np.arange(mb.shape[0])
    cl.x = np.concatenate([cl.x, pairs.x[mb]])
    cl.y = np.concatenate([cl.y, pairs.y[mb]])
    cl.T = np.concatenate([cl.T, pairs.T[mb]])
    cl.cov = np.concatenate([cl.cov, np.full((mb.shape[0], 3, 3), np.nan)])
    return int(mb.shape[0])


def _final_pairs(
    rows: Rows, src: IP, direction: I8, cl: Clusters, pairs: Pairs, tri: F8, cfg: FuseConfig
) -> Fit | None:
    """Bearings freed late (by the last reassignment, the arrival check, a dissolved
    event) are never paired again by the rounds: their mutual-best pairs seed events
    once more, which take what they explain (guarded attach) and go through two
    reassignment passes. Returns the last fit (None when no pair was left)."""
    if not _seed_pairs(cl, pairs, tri):
        return None
    c = cfg.speed_of_sound_m_s
    _refit(rows, cl, c)
    _compact(cl, rows, cfg.min_tdoa_sensors)
    _refit(rows, cl, c)
    last = _attach_and_prune(rows, src, direction, cl, cfg, 1)
    return _reassign_passes(rows, src, direction, cl, cfg, 2) or last


def associate(rows: Rows, src: IP, direction: I8, cfg: FuseConfig) -> tuple[Clusters, Fit | None]:
    """Labels (event index per row, -1 when in no multi-report event) and the fit
    of each event. ``rows`` must be sorted by time."""
    n = rows.ox.shape[0]
    c = cfg.speed_of_sound_m_s
    cl = Clusters(
        np.full(n, -1, np.intp), np.zeros(0), np.zeros(0), np.zeros(0), np.zeros((0, 3, 3))
    )
    bidx = np.flatnonzero(np.isfinite(rows.az))
    pairs = bearing_pairs(rows, src, direction, bidx, cfg)
    tri = _triangles(pairs, n)
    last: Fit | None = None
    for _ in range(max(cfg.rounds, 1)):
        if not _seed_pairs(cl, pairs, tri) and cl.n == 0:
            break
        last = _refit(rows, cl, c)
        _compact(cl, rows, cfg.min_tdoa_sensors)
        last = _refit(rows, cl, c)
        last = _attach_and_prune(rows, src, direction, cl, cfg, 2)
        if _merge(rows, src, cl, cfg):
            _compact(cl, rows, cfg.min_tdoa_sensors)
            last = _refit(rows, cl, c)
            if _prune(rows, cl, cfg):
                _compact(cl, rows, cfg.min_tdoa_sensors)
                last = _refit(rows, cl, c)
        last = _reassign_passes(rows, src, direction, cl, cfg, cfg.reassign_round_passes) or last
        last = _release_shared_arrivals(rows, src, cl, cfg) or last
    # bearings no pair explains, with the arrivals they explain
    ms, mr, sx, sy, sT = ray_seeds(rows, src, cl.labels, cfg)
    if sx.shape[0]:
        cl.labels[mr] = cl.n + ms
        cl.x = np.concatenate([cl.x, sx])
        cl.y = np.concatenate([cl.y, sy])
        cl.T = np.concatenate([cl.T, sT])
        cl.cov = np.concatenate([cl.cov, np.full((sx.shape[0], 3, 3), np.nan)])
        last = _refit(rows, cl, c)
        _prune(rows, cl, cfg)
        _compact(cl, rows, cfg.min_tdoa_sensors)
        last = _refit(rows, cl, c)
        last = _attach_and_prune(rows, src, direction, cl, cfg, 2)
    last = _reassign_passes(rows, src, direction, cl, cfg, cfg.reassign_passes) or last
    last = _release_shared_arrivals(rows, src, cl, cfg) or last
    for _ in range(cfg.final_pairs):
        got = _final_pairs(rows, src, direction, cl, pairs, tri, cfg)
        if got is None:
            break
        last = got
    if cl.n:
        last = _refit(rows, cl, c)
        _drop_ambiguous(rows, cl, last, cfg)
        n_before = cl.n
        # now only: a fit still converging may pass far out on its way
        _compact(cl, rows, cfg.min_tdoa_sensors, cfg.max_range_m)
        if cl.n != n_before:
            last = _refit(rows, cl, c)
    return cl, last


def _drop_ambiguous(rows: Rows, cl: Clusters, f: Fit, cfg: FuseConfig) -> None:
    """Free the rows of events fixed by fewer than two bearings with one degree of
    freedom (four arrivals; a bearing and two arrivals) whose reports fit a second
    position as well (:func:`ceasefire.fuse.solve.ambiguous`)."""
    m = np.flatnonzero(cl.labels >= 0)
    lab = cl.labels[m]
    nb = np.bincount(lab, weights=np.isfinite(rows.az[m]).astype(float), minlength=cl.n)
    cand = np.flatnonzero((nb < 2) & (f.dof <= 1) & f.ok)
    if cand.shape[0] == 0:
        return
    c, R = cfg.speed_of_sound_m_s, cfg.max_range_m
    amb = ambiguous(rows.take(m), lab, cl.x, cl.y, cl.T, cand, c, R)
    gone = np.zeros(cl.n, bool)
    gone[cand[amb]] = True
    cl.labels[m[gone[lab]]] = -1
    cl.cov[gone] = np.nan


def ray_seeds(rows: Rows, src: IP, labels: IP, cfg: FuseConfig) -> tuple[IP, IP, F8, F8, F8]:
    """Seeds from one bearing and the arrivals it explains (an acoustic array and
    the microphones around it, or any bearing with precise time and nearby
    microphones), for bearings no pair explains.

    For a free bearing row b (observer o, unit direction u, time t_b) and a free
    arrival a at sensor s (time t_a), the source at distance r along the ray has
    t_a - t_b = (|o + r u - s| - r) / c, solved in closed form:
    r = ((cΔ)² - |w|²) / (2 (w·u - cΔ)) with w = o - s, Δ = t_a - t_b. Arrivals
    of one event give nearly the same r; the largest set of sensors agreeing
    within ``tol`` = max(300 m, 5 % r, 3 √2 x the bearing's largest sd of r from
    the bearing and time noise, at most r / 2) seeds an event (b + at least two
    arrivals); the fit that follows checks it.
    Returns ``(seed_of_row_b, member_rows, x, y, T)``: per seed its bearing row,
    then flattened ``member_rows`` with the seed index in the first array."""
    c = cfg.speed_of_sound_m_s
    R = cfg.max_range_m
    near_m = cfg.ray_seed_sensor_m
    fb = np.flatnonzero((labels < 0) & np.isfinite(rows.az))
    fa = np.flatnonzero((labels < 0) & np.isnan(rows.az))
    empty = (np.zeros(0, np.intp), np.zeros(0, np.intp), np.zeros(0), np.zeros(0), np.zeros(0))
    if fb.shape[0] == 0 or fa.shape[0] < 2:
        return empty
    # arrival sensors (positions) and their time-sorted free arrivals
    pos = np.column_stack([rows.ox[fa], rows.oy[fa]])
    _, pid = np.unique(pos, axis=0, return_inverse=True)
    pid = pid.ravel()
    order = np.lexsort((rows.t[fa], pid))
    fa_s, pid_s = fa[order], pid[order]
    bnd = np.flatnonzero(np.diff(pid_s)) + 1
    starts = np.concatenate([[0], bnd])
    ends = np.append(bnd, fa_s.shape[0])
    gb: list[IP] = []
    ga: list[IP] = []
    for a0, a1 in zip(starts.tolist(), ends.tolist(), strict=True):
        ra = fa_s[a0:a1]
        sx, sy = rows.ox[ra[0]], rows.oy[ra[0]]
        d = np.hypot(rows.ox[fb] - sx, rows.oy[fb] - sy)
        near = np.flatnonzero(d <= near_m)
        if near.shape[0] == 0:
            continue
        slack = 4.0 * (rows.sigma_t[fb[near]] + float(rows.sigma_t[ra].max()))
        lo = rows.t[fb[near]] - d[near] / c - slack
        hi = rows.t[fb[near]] + d[near] / c + slack
        ta = rows.t[ra]
        ia = np.searchsorted(ta, lo)
        ib = np.searchsorted(ta, hi, side="right")
        cnt = ib - ia
        tot = int(cnt.sum())
        if tot == 0:
            continue
        st = np.repeat(np.cumsum(cnt) - cnt, cnt)
        gb.append(fb[np.repeat(near, cnt)])
        ga.append(ra[np.repeat(ia, cnt) + (np.arange(tot) - st)])
    if not gb:
        return empty
    b = np.concatenate(gb)
    a = np.concatenate(ga)
    keep = src[a] != src[b]
    b, a = b[keep], a[keep]
    ux, uy = np.sin(rows.az[b]), np.cos(rows.az[b])
    wx, wy = rows.ox[b] - rows.ox[a], rows.oy[b] - rows.oy[a]
    cd = c * (rows.t[a] - rows.t[b])
    den = 2.0 * (wx * ux + wy * uy - cd)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (cd * cd - wx * wx - wy * wy) / den
    # sd of r from the bearing's and both times' noise (first order): the bearing
    # error moves each sensor's r differently, so agreement is judged within it
    dr_daz = -r * (wx * uy - wy * ux) / (0.5 * den)
    dr_dcd = 2.0 * (cd + r) / den
    sd_cd = c * np.hypot(rows.sigma_t[a], rows.sigma_t[b])
    sd_r = np.hypot(dr_daz * rows.sigma_az[b], dr_dcd * sd_cd)
    ok = np.isfinite(r) & (r > 50.0) & (r <= 1.2 * R) & (r + cd >= 0) & np.isfinite(sd_r)
    b, a, r, sd_r = b[ok], a[ok], r[ok], sd_r[ok]
    if b.shape[0] < 2:
        return empty
    # per bearing, the densest window of r: [r_k, r_k + tol_k]
    o = np.lexsort((a, r, b))
    b, a, r, sd_r = b[o], a[o], r[o], sd_r[o]
    # the r of two sensors differ by up to 3 sd of their difference: at most 3 √2
    # times the bearing's largest sd (the later fit checks the seed properly)
    first_b = np.flatnonzero(np.r_[True, b[1:] != b[:-1]])
    sd_b = np.repeat(np.maximum.reduceat(sd_r, first_b), np.diff(np.r_[first_b, b.shape[0]]))
    tol = np.maximum(np.maximum(300.0, 0.05 * r), np.minimum(4.25 * sd_b, 0.5 * r))
    key = b.astype(np.float64) * 1e7 + r
    hi_idx = np.searchsorted(key, key + tol, side="right")
    count = hi_idx - np.arange(b.shape[0])
    # best window per bearing: most arrivals, then the nearest r
    o2 = np.lexsort((r, -count, b))
    first = np.ones(o2.shape[0], bool)
    first[1:] = b[o2][1:] != b[o2][:-1]
    best = o2[first]
    best = best[count[best] >= 2]
    # an arrival may be claimed by several bearings: take windows by size first
    best = best[np.lexsort((r[best], -count[best]))]
    used = np.zeros(rows.ox.shape[0], bool)
    seed_b: list[int] = []
    mem_seed: list[IP] = []
    mem_row: list[IP] = []
    xs: list[float] = []
    ys: list[float] = []
    Ts: list[float] = []
    for k in best.tolist():
        win = np.arange(k, int(hi_idx[k]))
        rows_a = a[win]
        # one arrival per sensor
        _, firsts = np.unique(src[rows_a], return_index=True)
        rows_a = rows_a[np.sort(firsts)]
        rows_a = rows_a[~used[rows_a]]
        bk = int(b[k])
        if rows_a.shape[0] < 2 or used[bk]:
            continue
        used[rows_a] = True
        used[bk] = True
        rk = float(np.median(r[win]))
        s = len(seed_b)
        seed_b.append(bk)
        mem_seed.append(np.full(rows_a.shape[0], s, np.intp))
        mem_row.append(rows_a)
        xs.append(float(rows.ox[bk] + rk * np.sin(rows.az[bk])))
        ys.append(float(rows.oy[bk] + rk * np.cos(rows.az[bk])))
        Ts.append(float(rows.t[bk] - rows.speed_factor[bk] * rk / c))
    # bearings no window seeded: each pair of its candidate arrivals, fitted jointly
    # (x, y, T from the bearing and three times: one degree of freedom to check)
    for bk, rows_a, x, y, T in _triple_seeds(rows, src, b, a, r, sd_r, used, cfg):
        used[rows_a] = True
        used[bk] = True
        s = len(seed_b)
        seed_b.append(bk)
        mem_seed.append(np.full(rows_a.shape[0], s, np.intp))
        mem_row.append(rows_a)
        xs.append(x)
        ys.append(y)
        Ts.append(T)
    if not seed_b:
        return empty
    sb = np.asarray(seed_b, np.intp)
    ms = np.concatenate([np.arange(sb.shape[0]), *mem_seed])
    mr = np.concatenate([sb, *mem_row])
    return ms, mr, np.asarray(xs), np.asarray(ys), np.asarray(Ts)


def _triple_seeds(
    rows: Rows,
    src: IP,
    b: IP,
    a: IP,
    r: F8,
    sd_r: F8,
    used: npt.NDArray[np.bool_],
    cfg: FuseConfig,
) -> list[tuple[int, IP, float, float, float]]:
    """Seeds of one bearing and two arrivals, for bearings whose arrivals' ranges
    along the ray disagree too much for a window (a bearing ~2 sigma off with
    microphones on opposite sides): every pair of a free bearing's candidate
    arrivals (distinct sensors, at most ``_TRIPLE_ARRIVALS`` nearest in r per
    bearing) is fitted jointly from the inverse-variance mean of their r; a triple
    stands when its fit passes the 1-dof gate with the emission before every
    arrival; each bearing takes its best, arrivals go to the best first."""
    c, R = cfg.speed_of_sound_m_s, cfg.max_range_m
    free = ~used[b] & ~used[a]
    b, a, r, sd_r = b[free], a[free], r[free], sd_r[free]
    if b.shape[0] < 2:
        return []
    # per bearing, its candidates in order (b sorted, then r)
    starts = np.flatnonzero(np.r_[True, b[1:] != b[:-1]])
    ends = np.r_[starts[1:], b.shape[0]]
    tb: list[int] = []
    t1: list[int] = []
    t2: list[int] = []
    r0: list[float] = []
    for lo, hi in zip(starts.tolist(), ends.tolist(), strict=True):
        if hi - lo < 2:
            continue
        k = np.arange(lo, hi)
        if k.shape[0] > _TRIPLE_ARRIVALS:
            k = k[np.argsort(sd_r[k], kind="stable")[:_TRIPLE_ARRIVALS]]
        for i in range(k.shape[0]):
            for j in range(i + 1, k.shape[0]):
                ki, kj = int(k[i]), int(k[j])
                if src[a[ki]] == src[a[kj]]:
                    continue
                wi, wj = 1.0 / sd_r[ki] ** 2, 1.0 / sd_r[kj] ** 2
                tb.append(int(b[ki]))
                t1.append(int(a[ki]))
                t2.append(int(a[kj]))
                r0.append(float((wi * r[ki] + wj * r[kj]) / (wi + wj)))
    if not tb:
        return []
    G = len(tb)
    bb, aa1, aa2 = np.asarray(tb), np.asarray(t1), np.asarray(t2)
    rr = np.asarray(r0)
    idx = np.concatenate([bb, aa1, aa2])
    g = np.tile(np.arange(G), 3)
    x0 = rows.ox[bb] + rr * np.sin(rows.az[bb])
    y0 = rows.oy[bb] + rr * np.cos(rows.az[bb])
    T0 = rows.t[bb] - rows.speed_factor[bb] * rr / c
    sub = rows.take(idx)
    f = fit(sub, g, G, x0, y0, T0, c)
    cand = np.flatnonzero((f.dof >= 1) & stands(sub, g, f, R))
    out: list[tuple[int, IP, float, float, float]] = []
    taken = np.zeros(rows.ox.shape[0], bool)
    for k in cand[np.argsort(f.chi2[cand], kind="stable")].tolist():
        mem = np.array([aa1[k], aa2[k]], np.intp)
        if taken[bb[k]] or taken[mem].any():
            continue
        taken[bb[k]] = True
        taken[mem] = True
        out.append((int(bb[k]), mem, float(f.x[k]), float(f.y[k]), float(f.T[k])))
    return out


#: candidate arrivals of one bearing tried in pairs by ``_triple_seeds``
_TRIPLE_ARRIVALS = 6


def late_attach(
    rows: Rows,
    src: IP,
    direction: I8,
    labels: IP,
    x: F8,
    y: F8,
    T: F8,
    cov_xy: F8,
    sd_t: F8,
    cfg: FuseConfig,
) -> int:
    """Free bearings offered once more to every sharp located event (association
    events and TDOA groups: ``x``, ``y``, ``T``, ``cov_xy`` ``(G, 2, 2)``, ``sd_t``;
    95 % semi-major within ``wide_fix_m``) out to ``late_attach_range_m``, by the
    attach gates. ``labels`` is updated in place; returns how many joined. The
    events keep their estimates."""
    G = x.shape[0]
    cov = np.zeros((G, 3, 3))
    cov[:, :2, :2] = cov_xy
    cov[:, 2, 2] = sd_t**2
    sharp = semi_major_95_m(cov_xy) <= cfg.wide_fix_m  # NaN (no fix): not sharp
    cov[~sharp] = np.nan  # not offered
    k = np.flatnonzero((labels >= 0) | np.isfinite(rows.az))  # free arrivals: not offered
    cl = Clusters(labels[k].copy(), x, y, T, cov)
    n = _attach(
        rows.take(k), src[k], direction[k], cl, replace(cfg, max_range_m=cfg.late_attach_range_m)
    )
    got = (cl.labels >= 0) & (labels[k] < 0)
    labels[k[got]] = cl.labels[got]
    return n
