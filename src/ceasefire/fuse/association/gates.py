"""Gates: how well one report fits one event, and which (event, report)
candidates are worth testing. A report's residual vector (bearing, time, range)
against an event's prediction is judged in the report's own noise units with the
event's uncertainty: the innovation of a newcomer, the deleted residual of a
member, or the leave-one-out predictive density that compares events."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from ceasefire.fuse.association.jacobian import marginal_kernels, normalized_kernel, quad_kernel
from ceasefire.fuse.association.kept_loops import (
    CELL,
    DONE,
    NO_PAIRS,
    kept_kernels,
    search_kernel,
)
from ceasefire.fuse.association.reports import (
    DIR_UNDET,
    F8,
    I8,
    IP,
    B,
    Reports,
    WindowMemo,
    observer_run_bounds,
)
from ceasefire.fuse.association.windows import TimeGate, slice_tables, windows
from ceasefire.fuse.cofactor import quadratic3
from ceasefire.fuse.compiled import compiled, compiled_calling, getter
from ceasefire.fuse.keys import isin_keys, ranges
from ceasefire.fuse.solve import Rows, cofactors3, residuals
from ceasefire.fuse.stats import Q999, chi2_999, chi2_quantile


@dataclass(frozen=True)
class GateConfig:
    """Chi-square gates as the probability that a true report passes."""

    #: a report against an event it might join (its innovation)
    attach_p: float = 0.999
    #: a member kept in a refitted event (its deleted residual)
    member_p: float = 0.999
    #: a seen member (light: no sound delay, dated at the emission) whose time's
    #: deleted residual against its event's emission time exceeds this many sd is
    #: freed after each step of association, and a seen bearing the late offer
    #: joins beyond it is let go (:mod:`.seentime`; 0: off)
    seen_time_sd: float = 0.0


class Fixes(Protocol):
    """Per-event estimates: ``x``, ``y`` (m), ``T`` (s), ``cov`` ``(G, 3, 3)`` over
    (x, y, T) (NaN while unfitted)."""

    x: F8
    y: F8
    T: F8
    cov: F8


def quantile(p: float, dof: npt.ArrayLike) -> F8:
    """The chi-square ``p`` quantile for ``dof`` (a table lookup for p = 0.999)."""
    if p == 0.999:
        return chi2_999(dof)
    d = np.clip(np.asarray(dof, dtype=np.int64), 1, None)
    return chi2_quantile(p, d)


def _fitted_loop(cov9: Any) -> Any:
    """:func:`fitted` as one loop (compiled by numba): every entry finite."""
    n = cov9.shape[0]
    out = np.empty(n, np.bool_)
    for i in range(n):
        ok = True
        for u in range(9):
            v = cov9[i, u]
            if v - v != 0.0:  # NaN or infinite
                ok = False
                break
        out[i] = ok
    return out


@getter
def _fitted_kernel() -> Callable[..., Any] | None:
    """:func:`_fitted_loop` compiled (on first use), or None without numba."""
    return compiled(_fitted_loop)


def fitted(ev: Fixes) -> B:
    """Per event: its covariance is known (the fit held: all 9 entries finite)."""
    n = ev.x.shape[0]
    kernel = _fitted_kernel()
    if kernel is not None:
        return np.asarray(kernel(ev.cov.reshape(n, 9)), dtype=bool)
    return np.asarray(np.all(np.isfinite(ev.cov.reshape(n, 9)), axis=1), dtype=bool)


def quad_inv3(S: F8, r: F8) -> F8:
    """``rᵀ S⁻¹ r`` for stacks of symmetric 3×3 ``S`` ``(n, 3, 3)`` and ``r`` ``(n, 3)``
    by cofactors (elementwise, no LAPACK call per matrix)."""
    cof = cofactors3(S)
    det = cof[6]
    q = quadratic3(cof, r[:, 0], r[:, 1], r[:, 2])
    with np.errstate(divide="ignore", invalid="ignore"):
        out = q / det
    return np.where(det > 0, out, np.inf)


def normalized(rows: Rows, g: IP, ev: Fixes, c: float, sel: IP | None = None) -> tuple[F8, F8, F8]:
    """Each row's (bearing, time, range) residual against event ``g`` in units of the
    row's measurement sd, ``rn`` ``(n, 3)``; ``M`` = An P Anᵀ ``(n, 3, 3)``, with An
    the Jacobian of the prediction in (x, y, T) in the same units and P the event's
    covariance; and the dof (the components the row has). With ``sel``, the rows
    are ``rows[sel]`` (read in place by the loop). One compiled loop when numba is
    installed (the same numbers, :mod:`.jacobian`)."""
    kernel = normalized_kernel()
    if kernel is not None:
        if sel is None:
            dx = ev.x[g] - rows.ox
            dy = ev.y[g] - rows.oy
            sel = np.arange(g.shape[0])
        else:
            dx = ev.x[g] - rows.ox[sel]
            dy = ev.y[g] - rows.oy[sel]
        rn, M, dof, wrapped = kernel(
            rows.az, rows.sigma_az, rows.t, rows.sigma_t, rows.speed_factor, rows.rng,
            rows.sigma_rng, g, ev.T, ev.cov.reshape(-1, 9), dx, dy, np.arctan2(dx, dy), c, sel,
        )  # fmt: skip
        if wrapped:  # else an azimuth the loop does not wrap (never for fusion's rows)
            return rn, M, dof
    return _normalized_numpy(rows if sel is None else rows.take(sel), g, ev, c)


def _normalized_numpy(rows: Rows, g: IP, ev: Fixes, c: float) -> tuple[F8, F8, F8]:
    """:func:`normalized` in numpy."""
    dx, dy, rho, r_az, r_t, r_rng = residuals(rows, g, ev.x, ev.y, ev.T, c)
    rn, An, dof = _jacobian_numpy(rows, dx, dy, rho, r_az, r_t, r_rng, c)
    # NaN covariances zeroed (nan_to_num's numbers; its per-call overhead only
    # when one is not finite)
    P = ev.cov[g]
    if not np.isfinite(P).all():
        P = np.nan_to_num(P)
    M = np.matmul(np.matmul(An, P), An.transpose(0, 2, 1))
    return rn, M, dof


def _jacobian_numpy(
    rows: Rows, dx: F8, dy: F8, rho: F8, r_az: F8, r_t: F8, r_rng: F8, c: float
) -> tuple[F8, F8, F8]:
    """``rn``, An and the dof of :func:`normalized` (the residuals ``r_az``,
    ``r_t``, ``r_rng`` of :func:`~ceasefire.fuse.solve.residuals`)."""
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
    return r / sd, A / sd[:, :, None], has.sum(axis=1).astype(np.float64)


def row_chi2(
    rows: Rows,
    g: IP,
    ev: Fixes,
    c: float,
    with_cov: bool,
    sign: float = 1.0,
    sel: IP | None = None,
) -> tuple[F8, F8]:
    """Mahalanobis distance of each row's (bearing, time, range) residual vector
    against event ``g``, and its dof. ``sign`` +1: innovation of a new row
    (S = R + A P Aᵀ); -1: in-sample residual of a member (S = R - A P Aᵀ, the
    deleted-residual test). Without ``with_cov``, S = R. With ``sel``, the rows
    are ``rows[sel]``."""
    rn, M, dof = normalized(rows, g, ev, c, sel)
    kernel = quad_kernel()
    if kernel is not None and with_cov:
        # np.empty and fill, not np.full: its Python wrapper costs ~2 us a call
        # (row_chi2 runs ~1,800 times a fuse of the bearing row)
        signs, floor = np.empty(dof.shape[0]), np.empty(dof.shape[0])
        signs.fill(sign)
        floor.fill(0.02)
        quad, _ = kernel(M, rn, signs, floor, sign < 0)
        return np.asarray(quad, np.float64), dof
    # normalized by the measurement sd: S = I ± D^-1/2 A P Aᵀ D^-1/2
    S = np.broadcast_to(np.eye(3), M.shape).copy()
    if with_cov:
        S += sign * M
    if sign < 0:
        # members: keep at least 2 % of the measurement variance (rows the fit rests on)
        S += 0.02 * np.eye(3)
    return quad_inv3(S, rn), dof


def row_nll(
    rows: Rows, g: IP, ev: Fixes, c: float, member: B, sel: IP | None = None
) -> tuple[F8, F8, F8]:
    """Leave-one-out predictive chi-square, dof and log-determinant (normalized by
    the measurement sd) of each row against event ``g``: for a member of ``g`` the
    deleted residual (S = (I - A P Aᵀ)⁻¹ in normalized units, with the 2 % floor of
    :func:`row_chi2`), for any other row the innovation (S = I + A P Aᵀ); chi-square
    + log det S is -2 ln of its predictive density up to the row's own constant,
    comparable across events. With ``sel``, the rows are ``rows[sel]``."""
    sign = np.where(member, -1.0, 1.0)
    rn, M, dof = normalized(rows, g, ev, c, sel)
    kernel = quad_kernel()
    if kernel is not None:
        quad, det = kernel(M, rn, sign, np.where(member, 0.02, 0.0), True)
        with np.errstate(divide="ignore", invalid="ignore"):
            logdet = np.where(det > 0, sign * np.log(det), np.inf)
        return np.asarray(quad, np.float64), dof, logdet
    S = np.eye(3) + sign[:, None, None] * M + np.where(member, 0.02, 0.0)[:, None, None] * np.eye(3)
    det = cofactors3(S)[6]
    with np.errstate(divide="ignore", invalid="ignore"):
        logdet = np.where(det > 0, sign * np.log(det), np.inf)
    return quad_inv3(S, rn), dof, logdet


def _run_arrays(rep: Reports, free: IP) -> tuple[IP, IP, IP, IP, F8, F8]:
    """Rows ``free`` by observer position, then time (``fs``); each run's start and
    end in ``fs``, first row, smallest speed factor and largest time sd."""
    rows = rep.rows
    fs, starts, ends = observer_run_bounds(rep, free)
    first = fs[starts]
    f_lo = np.minimum.reduceat(rows.speed_factor[fs], starts)
    sig_max = np.maximum.reduceat(rows.sigma_t[fs], starts)
    return fs, starts, ends, first, f_lo, sig_max


def _event_terms(rep: Reports, ev: Fixes, ok: IP) -> tuple[F8, F8, F8, F8]:
    """x, y, T of events ``ok`` and the sd of their predicted time (T and position
    / c, s)."""
    c = rep.c
    sd_ev = np.sqrt(ev.cov[ok, 2, 2]) + np.sqrt(ev.cov[ok, 0, 0] + ev.cov[ok, 1, 1]) / c
    return ev.x[ok], ev.y[ok], ev.T[ok], sd_ev


def time_candidates(rep: Reports, free: IP, ev: Fixes, pregate: bool = False) -> tuple[IP, IP]:
    """(event, row) candidates: rows ``free`` whose perceived time lies within 4
    sigma of the time the event's sound (or light) reaches their observer, within
    the reach; by observer position, then event, then time
    (:mod:`~ceasefire.fuse.association.windows`). ``pregate``: for a caller that
    puts every pair through :func:`marginal_gate` (as :func:`gated` does) and
    reads none that fails it: pairs whose time the gate would turn away may be
    left out (most of attachment's: their windows are cut to the gate's time
    bound, :class:`~ceasefire.fuse.association.windows.TimeGate`); the others
    are the same, in the same order."""
    rows, c = rep.rows, rep.c
    ok = fitted(ev).nonzero()[0]
    if ok.shape[0] == 0 or free.shape[0] == 0:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    ex, ey, eT, sd_ev = _event_terms(rep, ev, ok)
    fs, starts, ends, first, f_lo, sig_max = _run_arrays(rep, free)
    gate = None
    if pregate:
        f_hi = np.maximum.reduceat(rows.speed_factor[fs], starts)
        sd_hi = np.maximum.reduceat(np.abs(rows.sigma_t[fs]), starts)
        gate = TimeGate(ev.cov[ok].reshape(-1, 9), f_hi, sd_hi, float(Q999[2]))
    gg, kk = windows(
        rows.ox[first], rows.oy[first], starts, ends, rows.t[fs], f_lo, sig_max,
        ex, ey, eT, sd_ev, rep.reach_m, c, gate=gate,
    )  # fmt: skip
    return ok[gg], fs[kk]


def bearing_candidates(rep: Reports, ev: Fixes) -> tuple[IP, IP]:
    """:func:`time_candidates` of every bearing row (``free`` = the bearings): the
    same pairs, by event (each event's rows by position, then time). Each event's
    rows are kept in ``rep.window_memo`` under its estimate's bits, so only the
    events whose estimate changed are searched: the reassignment passes ask again
    for every event while a pass moves few. The memo then holds this call's events
    only."""
    g, k, _ = bearing_candidates_gated(rep, ev)
    return g, k


def bearing_candidates_gated(rep: Reports, ev: Fixes) -> tuple[IP, IP, B]:
    """:func:`bearing_candidates` with, per pair, its :func:`marginal_gate`: kept in
    the memo with the pair (the gate depends on the event's x, y, T and covariance,
    all in the memo's key, and on the row), so only the pairs of the events searched
    are gated."""
    return KeptPairs.search(rep, ev).expand()


@dataclass(frozen=True)
class KeptPairs:
    """The bearings' candidate pairs of one search by segments of the memo's pool:
    event ``events[i]`` (an index of the events searched) has the bearing rows
    ``rows[start[i]:start[i] + count[i]]`` (by position, then time), each pair's
    marginal gate in ``passes``; segments in no particular event order, the pool
    holding segments of earlier searches too (not read). From the compiled
    search, also each segment's passing rows alone, in order:
    ``pass_rows[pass_start[i]:pass_start[i] + pass_count[i]]`` (None from the
    numpy code)."""

    events: IP
    start: IP
    count: IP
    rows: IP
    passes: B
    pass_start: IP | None = None
    pass_count: IP | None = None
    pass_rows: IP | None = None

    @classmethod
    def search(cls, rep: Reports, ev: Fixes) -> KeptPairs:
        """Every bearing's pairs with every fitted event of ``ev`` through
        ``rep.window_memo`` (:func:`_kept_search`)."""
        return _kept_search(rep, rep.window_memo, rep.is_bearing, ev)

    def expand(self) -> tuple[IP, IP, B]:
        """The pairs ``(event, row, passes)`` by event, each event's rows in their
        segment's order."""
        by_event = np.argsort(self.events, kind="stable")
        at = ranges(self.start[by_event], self.count[by_event])
        return (
            np.repeat(self.events[by_event], self.count[by_event]),
            self.rows[at],
            self.passes[at],
        )


#: empty arrays, read only
_NO_INT, _NO_BOOL = np.zeros(0, np.intp), np.zeros(0, bool)

#: the memo's pool is rebuilt from the live segments when it holds more than
#: this many times their pairs (else a search appends the new segments only)
_POOL_SLACK = 3


def _kept_search(rep: Reports, memo: WindowMemo, sel: B, ev: Fixes) -> KeptPairs:
    """The (event, row) candidates of the rows ``sel`` (per row: the same rows on
    every call with ``memo``) against every fitted event, with their marginal gate,
    through ``memo``: the events whose estimate it holds take its segment of the
    pool, the others are searched and their segments appended; the memo then holds
    this call's events. Each event's rows by position, then time."""
    if memo.runs is None:
        fs, starts, ends, first, f_lo, sig_max = _run_arrays(rep, np.flatnonzero(sel))
        r = rep.rows
        memo.runs = (fs, starts, ends, r.ox[first], r.oy[first], r.t[fs], f_lo, sig_max)
        memo.by_run = r.take(fs)
        # the runs stay the same on every call: their time slices made once
        memo.tables = slice_tables(memo.runs[5], starts, ends)
    fs, starts, ends, px, py, tk, f_lo, sig_max = memo.runs
    kernels = kept_kernels()
    if kernels is not None:
        return _kept_compiled(rep, memo, ev, kernels)
    ok = fitted(ev).nonzero()[0]
    if ok.shape[0] == 0 or fs.shape[0] == 0:
        none = np.zeros(0, np.intp)
        return KeptPairs(none, none, none, none, np.zeros(0, bool))
    ex, ey, eT, sd_ev = _event_terms(rep, ev, ok)
    # the window needs x, y, T and sd_ev (a function of the covariance); the
    # marginal gate the whole covariance
    bits = np.column_stack([ex, ey, eT, ev.cov[ok].reshape(-1, 9)]).view(np.uint64)
    hashes = bits[:, 0] ^ bits[:, 2]
    hit = np.zeros(ok.shape[0], bool)
    slot = np.zeros(ok.shape[0], np.intp)
    if memo.keys is not None and memo.keys.shape[0]:
        assert memo.hashes is not None and memo.lookup is not None
        at = np.minimum(memo.hashes.searchsorted(hashes), memo.hashes.shape[0] - 1)
        slot = memo.lookup[at]
        # an equal hash is a hit only when all values are the same bits
        hit = (memo.hashes[at] == hashes) & (memo.keys[slot] == bits).all(axis=1)
    hits, miss = hit.nonzero()[0], (~hit).nonzero()[0]
    if hits.shape[0]:
        assert memo.start is not None and memo.count is not None
        assert memo.rows is not None and memo.passes is not None
        hit_start, hit_count = memo.start[slot[hits]], memo.count[slot[hits]]
        pool_rows, pool_pass = memo.rows, memo.passes
    else:
        hit_start = hit_count = np.zeros(0, np.intp)
        pool_rows, pool_pass = np.zeros(0, np.intp), np.zeros(0, bool)
    # each searched event's rows together, in the order found (position, then time)
    gg, at = windows(
        px, py, starts, ends, tk, f_lo, sig_max, ex[miss], ey[miss], eT[miss], sd_ev[miss],
        rep.reach_m, rep.c, memo.tables, by_event=True,
    )  # fmt: skip
    miss_rows = fs[at]
    assert memo.by_run is not None
    miss_pass = marginal_gate(memo.by_run, ok[miss[gg]], at, ev, rep.c)
    n_miss = np.bincount(gg, minlength=miss.shape[0]).astype(np.intp)
    live = int(hit_count.sum())
    if pool_rows.shape[0] > _POOL_SLACK * (live + miss_rows.shape[0]):
        # mostly dead segments: the live ones copied out
        at = ranges(hit_start, hit_count)
        pool_rows, pool_pass = pool_rows[at], pool_pass[at]
        hit_start = np.cumsum(hit_count) - hit_count
    base = pool_rows.shape[0]
    events = np.concatenate([hits, miss])
    count = np.concatenate([hit_count, n_miss])
    start = np.concatenate([hit_start, base + n_miss.cumsum() - n_miss]).astype(np.intp)
    rows = np.concatenate([pool_rows, miss_rows.astype(np.intp, copy=False)])
    passes = np.concatenate([pool_pass, miss_pass])
    memo.keys, memo.count, memo.start, memo.rows, memo.passes = (
        bits[events],
        count,
        start,
        rows,
        passes,
    )
    memo.lookup = hashes[events].argsort()
    memo.hashes = hashes[events][memo.lookup]
    # the compiled search's pool of passing rows does not hold these slots
    memo.pass_start = memo.pass_count = memo.pass_rows = None
    return KeptPairs(ok[events], start, count, rows, passes)


def _kept_compiled(
    rep: Reports, memo: WindowMemo, ev: Fixes, kernels: tuple[Callable[..., Any], ...]
) -> KeptPairs:
    """:func:`_kept_search` with the memo's look-up and the pool's upkeep by the
    compiled loops of :mod:`.kept_loops` (the same pairs; the windows and gates
    of the events searched as the numpy code makes them)."""
    assert memo.runs is not None and memo.by_run is not None
    fs, starts, ends, px, py, tk, f_lo, sig_max = memo.runs
    lookup_loop, pool_loop = kernels
    cov9 = ev.cov.reshape(-1, 9)
    if memo.keys is not None and memo.keys.shape[0] and memo.pass_start is not None:
        keys, hashes, lookup = memo.keys, memo.hashes, memo.lookup
        m_start, m_count = memo.start, memo.count
        m_pstart, m_pcount = memo.pass_start, memo.pass_count
    else:
        keys, hashes = np.zeros((0, 12), np.uint64), np.zeros(0, np.uint64)
        lookup = m_start = m_count = m_pstart = m_pcount = np.zeros(0, np.intp)
    one = search_kernel()
    if one is not None and memo.tables is not None:
        # the search as one compiled call (the same loops on the same arrays)
        search_loop, atan2_at = one
        by, tables = memo.by_run, memo.tables
        # (the pool is read only with hits: a memo of the numpy code's has none)
        have_pool = (
            memo.rows is not None and memo.buffers is not None and memo.pass_rows is not None
        )
        if have_pool:
            assert memo.rows is not None and memo.pass_rows is not None
            assert memo.buffers is not None
            buffers, used, p_used = memo.buffers, memo.rows.shape[0], memo.pass_rows.shape[0]
        else:
            buffers, used, p_used = (_NO_INT, _NO_BOOL, _NO_INT), 0, 0
        got = search_loop(
            ev.x, ev.y, ev.T, cov9, rep.c, keys, hashes, lookup, m_start, m_count, m_pstart,
            m_pcount, fs, starts, ends, px, py, tk, f_lo, sig_max, *tables, rep.reach_m, CELL,
            by.ox, by.oy, by.t, by.az, by.speed_factor, by.sigma_t, by.sigma_az, float(Q999[2]),
            atan2_at, have_pool, *buffers, used, p_used, _POOL_SLACK,
        )  # fmt: skip
        outcome, slots, new_keys, new_lookup, new_hashes, buf_rows, buf_pass, buf_prows = got[:8]
        used, p_used = got[8:]
        if outcome == NO_PAIRS:
            none = np.zeros(0, np.intp)
            return KeptPairs(none, none, none, none, np.zeros(0, bool))
        if outcome == DONE:
            memo.keys, memo.lookup, memo.hashes = new_keys, new_lookup, new_hashes
            memo.buffers = (buf_rows, buf_pass, buf_prows)
            rows, passes, prows = buf_rows[:used], buf_pass[:used], buf_prows[:p_used]
            events, start, count, pstart, pcount = slots
            memo.start, memo.count, memo.rows, memo.passes = start, count, rows, passes
            memo.pass_start, memo.pass_count, memo.pass_rows = pstart, pcount, prows
            return KeptPairs(events, start, count, rows, passes, pstart, pcount, prows)
    ok, bits, hsh, hits, miss, hit_start, hit_count, hit_pstart, hit_pcount, ex, ey, eT, sd_ev = (
        lookup_loop(
            ev.x, ev.y, ev.T, cov9, rep.c, keys, hashes, lookup, m_start, m_count, m_pstart,
            m_pcount,
        )
    )  # fmt: skip
    if ok.shape[0] == 0 or fs.shape[0] == 0:
        none = np.zeros(0, np.intp)
        return KeptPairs(none, none, none, none, np.zeros(0, bool))
    # the pool is the buffers' first rows; none is read without hits (then new
    # buffers: the old ones hold the segments earlier searches returned)
    if hits.shape[0] and memo.rows is not None and memo.buffers is not None:
        assert memo.pass_rows is not None
        used, buffers = memo.rows.shape[0], memo.buffers
        p_used = memo.pass_rows.shape[0]
    else:
        used, buffers = 0, (np.zeros(0, np.intp), np.zeros(0, bool), np.zeros(0, np.intp))
        p_used = 0
    # each searched event's rows together, in the order found (position, then time)
    gg, at = windows(
        px, py, starts, ends, tk, f_lo, sig_max, ex, ey, eT, sd_ev, rep.reach_m, rep.c,
        memo.tables, by_event=True,
    )  # fmt: skip
    miss_pass = marginal_gate(memo.by_run, ok[miss[gg]], at, ev, rep.c)
    (
        events, start, count, buf_rows, buf_pass, used, pstart, pcount, buf_prows, p_used,
        memo.keys, memo.lookup, memo.hashes,
    ) = pool_loop(
        ok, bits, hsh, hits, miss, hit_start, hit_count, hit_pstart, hit_pcount, buffers[0],
        buffers[1], used, buffers[2], p_used, gg, fs[at], miss_pass, _POOL_SLACK,
    )  # fmt: skip
    memo.buffers = (buf_rows, buf_pass, buf_prows)
    rows, passes, prows = buf_rows[:used], buf_pass[:used], buf_prows[:p_used]
    memo.start, memo.count, memo.rows, memo.passes = start, count, rows, passes
    memo.pass_start, memo.pass_count, memo.pass_rows = pstart, pcount, prows
    return KeptPairs(events, start, count, rows, passes, pstart, pcount, prows)


def marginal_gate(rows: Rows, g: IP, k: IP, ev: Fixes, c: float) -> B:
    """Cheap necessary condition of the joint innovation test: the time and the
    bearing residuals each pass the 3-dof gate on their own (a component of a
    Mahalanobis distance never exceeds the whole). The compiled loop when numba is
    installed (the same booleans, :mod:`.jacobian`)."""
    kernels = marginal_kernels()
    if kernels is None:
        return _marginal_numpy(rows, g, k, ev, c)
    time_loop, bearing_loop = kernels
    cov9, q = ev.cov.reshape(-1, 9), float(Q999[2])
    ok, at, dx, dy = time_loop(
        ev.x, ev.y, ev.T, cov9, g, k, rows.ox, rows.oy, rows.t, rows.az, rows.speed_factor,
        rows.sigma_t, c, q,
    )  # fmt: skip
    # the azimuth only where the time passed (a quarter of the candidates)
    ang = np.arctan2(dx, dy)
    if not bearing_loop(ok, at, cov9, g, k, rows.az, rows.sigma_az, dx, dy, ang, q):
        return _marginal_numpy(rows, g, k, ev, c)  # an azimuth the loop does not wrap
    return np.asarray(ok, dtype=bool)


def _marginal_numpy(rows: Rows, g: IP, k: IP, ev: Fixes, c: float) -> B:
    """:func:`marginal_gate` in numpy."""
    dx = ev.x[g] - rows.ox[k]
    dy = ev.y[g] - rows.oy[k]
    rho = np.maximum(np.hypot(dx, dy), 1.0)
    # the six covariance terms gathered one by one (not the (n, 3, 3) stack)
    cv = ev.cov.reshape(-1, 9)
    p00, p11, p22 = cv[:, 0][g], cv[:, 4][g], cv[:, 8][g]
    p01, p02, p12 = cv[:, 1][g], cv[:, 2][g], cv[:, 5][g]
    q = float(Q999[2])
    f = rows.speed_factor[k] / (rho * c)
    gx, gy = f * dx, f * dy
    var_t = (
        rows.sigma_t[k] ** 2
        + gx * gx * p00
        + gy * gy * p11
        + p22
        + 2 * (gx * gy * p01 + gx * p02 + gy * p12)
    )
    r_t = rows.t[k] - ev.T[g] - rows.speed_factor[k] * rho / c
    ok = r_t * r_t <= q * var_t
    has_az = np.isfinite(rows.az[k])
    ax, ay = dy / rho**2, -dx / rho**2
    var_az = rows.sigma_az[k] ** 2 + ax * ax * p00 + ay * ay * p11
    var_az = var_az + 2 * ax * ay * p01
    r_az = (rows.az[k] - np.arctan2(dx, dy) + np.pi) % (2 * np.pi) - np.pi
    with np.errstate(invalid="ignore"):
        ok &= ~has_az | (r_az * r_az <= q * var_az)
    return np.asarray(ok, dtype=bool)


def gated(rep: Reports, g: IP, k: IP, ev: Fixes, cfg: GateConfig) -> tuple[IP, IP, F8, F8]:
    """The (event, row) candidates that pass the attach gates: the marginal pre-gate,
    then the joint innovation chi-square at ``attach_p`` and the reach. Returns them
    with their chi-square and dof."""
    rows, c = rep.rows, rep.c
    keep = marginal_gate(rows, g, k, ev, c)
    g, k = g[keep], k[keep]
    chi2, dof = row_chi2(rows, g, ev, c, with_cov=True, sel=k)
    rho = np.hypot(ev.x[g] - rows.ox[k], ev.y[g] - rows.oy[k])
    keep = (chi2 <= quantile(cfg.attach_p, dof)) & (rho <= rep.reach_m)
    keep &= dof > 0
    return g[keep], k[keep], chi2[keep], dof[keep]


def held_observers(labels: Any, src: Any, skip: Any, n_ev: int) -> tuple[Any, Any]:
    """The slot test's table, for compiled loops (bound into them by
    :func:`~ceasefire.fuse.compiled.compiled_calling`): per event (``n_ev`` of
    them), the observers ``src`` of its rows (``labels``) not ``skip``ped, event
    ``e``'s in ``held[start[e]:start[e + 1]]`` (a counting sort of the rows by
    event). Returns ``(start, held)``."""
    start = np.zeros(n_ev + 1, np.intp)
    for r in range(labels.shape[0]):
        if labels[r] >= 0 and not skip[r]:
            start[labels[r] + 1] += 1
    for e in range(n_ev):
        start[e + 1] += start[e]
    fill = start[:n_ev].copy()
    held = np.empty(start[n_ev], np.intp)
    for r in range(labels.shape[0]):
        e = labels[r]
        if e >= 0 and not skip[r]:
            held[fill[e]] = src[r]
            fill[e] += 1
    return start, held


#: the name the compiled loops call (bound compiled by ``compiled_calling``)
_held_observers = held_observers


def _slot_free_loop(g: Any, k: Any, labels: Any, src: Any, n_ev: int) -> Any:
    """:func:`slot_free` as one loop (compiled by numba): each event's members'
    observers listed once (:func:`held_observers`), then each pair's event
    searched for its row's observer (in this loop: a call passed the table's
    arrays would cost numba atomic reference counts per pair)."""
    start, held = _held_observers(labels, src, np.zeros(labels.shape[0], np.bool_), n_ev)
    out = np.empty(g.shape[0], np.bool_)
    for i in range(g.shape[0]):
        e = g[i]
        s = src[k[i]]
        free = True
        for p in range(start[e], start[e + 1]):
            if held[p] == s:
                free = False
                break
        out[i] = free
    return out


def _direction_loop(direction: Any, labels: Any, n_events: int, undet: int) -> Any:
    """:func:`event_direction` as one loop (compiled by numba): the determined codes
    (0 and 1 of 0..2) counted per event, then the most counted, ties by the lower
    code (``np.argmax``'s first)."""
    counts = np.zeros((n_events, 3), np.intp)
    for r in range(labels.shape[0]):
        e = labels[r]
        d = direction[r]
        if e >= 0 and e < n_events and d != undet:
            counts[e, d] += 1
    out = np.empty(n_events, np.int64)
    for e in range(n_events):
        best = 0
        for d in range(1, 3):
            if counts[e, d] > counts[e, best]:
                best = d
        total = counts[e, 0] + counts[e, 1] + counts[e, 2]
        out[e] = best if total > 0 else undet
    return out


@getter
def _slot_kernels() -> tuple[Callable[..., Any], Callable[..., Any]] | None:
    """:func:`_slot_free_loop` and :func:`_direction_loop` compiled (on first use),
    or None without numba."""
    slot_loop = compiled_calling(_slot_free_loop, _held_observers=held_observers)
    direction_loop = compiled(_direction_loop)
    if slot_loop is None or direction_loop is None:
        return None
    return slot_loop, direction_loop


def slot_free(rep: Reports, g: IP, k: IP, labels: IP) -> B:
    """Per (event ``g``, row ``k``) candidate: the event holds no report of the row's
    observer (one report per observer per event)."""
    kernels = _slot_kernels()
    if kernels is not None:
        n_ev = max(int(labels.max(initial=-1)), int(g.max(initial=-1))) + 1
        return np.asarray(kernels[0](g, k, labels, rep.src, n_ev), dtype=bool)
    nsrc = rep.n_src
    member = np.flatnonzero(labels >= 0)
    taken = labels[member].astype(np.int64) * nsrc + rep.src[member]
    slot = g.astype(np.int64) * nsrc + rep.src[k]
    n_slots = (max(int(labels.max()), int(g.max(initial=-1))) + 1) * nsrc
    return np.asarray(~isin_keys(slot, taken, n_slots), dtype=bool)


def same_phase(direction: I8, labels: IP, n_events: int, g: IP, k: IP) -> B:
    """Per (event ``g``, row ``k``) candidate: the row's phase agrees with the
    event's majority phase (or either is undetermined)."""
    edir = event_direction(direction, labels, n_events)
    dk = direction[k]
    return np.asarray((dk == DIR_UNDET) | (edir[g] == DIR_UNDET) | (edir[g] == dk), dtype=bool)


def event_direction(direction: I8, labels: IP, n_events: int) -> npt.NDArray[np.int64]:
    """Per event, the majority determined direction code (codes 0..2; ties by the
    lower), or undetermined."""
    kernels = _slot_kernels()
    if kernels is not None:
        return np.asarray(kernels[1](direction, labels, n_events, DIR_UNDET), np.int64)
    m = (labels >= 0) & (direction != DIR_UNDET)
    counts = np.bincount(
        labels[m] * 3 + direction[m].astype(np.intp), minlength=3 * max(n_events, 1)
    ).reshape(-1, 3)[:n_events]
    out = np.argmax(counts, axis=1)
    out[counts.sum(axis=1) == 0] = DIR_UNDET
    return out
