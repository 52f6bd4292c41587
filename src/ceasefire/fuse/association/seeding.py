"""Seeding: where new events start. Two free bearings that choose each other
first (mutual best pair, more support first); and, for bearings no pair explains,
one bearing with the arrivals it explains (an acoustic array and the microphones
around it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from ceasefire.fuse.association.clusters import Clusters
from ceasefire.fuse.association.hearing import HearingConfig, Listeners, loss_nats, silent
from ceasefire.fuse.association.pairs import Pairs, seed_choice
from ceasefire.fuse.association.reports import F8, IP, B, Reports, observer_runs
from ceasefire.fuse.association.seeding_loops import windows_kernel
from ceasefire.fuse.keys import first_max_of_runs, lexsort_int_float_int
from ceasefire.fuse.solve import fit, stands

#: candidate arrivals of one bearing tried in pairs by :func:`triple_seeds`
TRIPLE_ARRIVALS = 6


@dataclass(frozen=True)
class SeedConfig:
    """Where single-bearing seeds look for arrivals."""

    #: arrival sensors within this distance of the bearing's observer are tried
    #: (an acoustic array's microphones), m
    sensor_m: float = 8_000.0
    #: then the bearings still free try sensors out to this distance (far seeds,
    #: each with an arrival beyond ``sensor_m``), m; at most ``sensor_m``: none
    far_m: float = 30_000.0
    #: a far seed stands when the microphones silent at its point cost at most
    #: this against its hits (:func:`~.hearing.loss_nats`), nats; inf: no check
    #: (two near microphones silent where far ones heard: ~6)
    far_loss_nats: float = 6.0
    #: a far seed holds at least this many arrivals: with two (one degree of
    #: freedom over a long baseline) it takes another round's arrivals too often
    #: for the names attribution gives (docs/family.md, session 28)
    far_arrivals: int = 3
    hearing: HearingConfig = field(default_factory=HearingConfig)
    #: a bearing perceived by light (speed factor 0: its time is the emission's)
    #: places the source along its ray by an arrival's time with no delay of its
    #: own (:func:`seen_ranges`); off, every bearing's range is solved as if it
    #: were heard, and a camera's bearing with the microphones that heard the
    #: round is seldom a seed (docs/family.md, session 30, seedgate)
    seen_ranges: bool = False
    #: with ``seen_ranges``, a seen bearing's seed holds at least this many
    #: arrivals (two roots per arrival over a window up to (1.2 R + d) / c
    #: wide: two arrivals agree by chance more often than for a heard bearing)
    seen_arrivals: int = 2
    #: with ``seen_ranges``, a seen bearing's seed stands when the microphones
    #: silent at its point cost at most this against its hits, nats (as
    #: ``far_loss_nats``); inf: no check
    seen_loss_nats: float = float("inf")
    #: with ``seen_ranges``, which of a seen bearing's two ranges per arrival are
    #: candidates: "both"; "far", the larger only; "sure", only an arrival with
    #: one root in front of the observer (:func:`seen_ranges`)
    seen_root: str = "both"
    #: with ``seen_ranges``, a seen bearing's seed stands only when its own
    #: reports fit one source (x, y, T; the 0.999 gate, :func:`~.solve.stands`):
    #: the bearing's time is the emission's, and another round's arrivals that
    #: agree along the ray put the emission seconds from it
    seen_fit: bool = False


#: a seed's check: bearing row, arrival rows, x, y (m), T (s), how far off its
#: point may be (m) -> whether it stands
Accept = Callable[[int, IP, float, float, float, float], bool]


def seed_pairs(cl: Clusters, pairs: Pairs, tri: F8) -> int:
    """New events from the mutual-best pairs of two free bearings (more triangles
    first, then lower chi-square), unfitted; returns how many."""
    mb, rows, n_free = seed_choice(cl.labels, pairs, tri)
    if n_free == 0:
        return 0
    new = np.arange(mb.shape[0])
    cl.add(np.concatenate([new, new]), rows, pairs.x[mb], pairs.y[mb], pairs.T[mb])
    return int(mb.shape[0])


def add_ray_seeds(rep: Reports, cl: Clusters, cfg: SeedConfig) -> int:
    """Events seeded by :func:`ray_seeds` on the free rows, unfitted; returns how
    many."""
    ms, mr, sx, sy, sT = ray_seeds(rep, cl.labels, cfg)
    if sx.shape[0]:
        cl.add(ms, mr, sx, sy, sT)
    return int(sx.shape[0])


def ray_seeds(rep: Reports, labels: IP, cfg: SeedConfig) -> tuple[IP, IP, F8, F8, F8]:
    """Seeds from one bearing and the arrivals it explains within ``cfg.sensor_m``
    of its observer (:func:`reach_seeds`); then, when ``cfg.far_m`` reaches
    farther, the bearings and arrivals still free seed far ones, each with an
    arrival beyond ``sensor_m`` and standing only when the microphones silent at
    its point do not contradict it (:func:`far_check`). Returns as
    :func:`reach_seeds`."""
    seen_root = cfg.seen_root if cfg.seen_ranges else None
    near = reach_seeds(rep, labels, cfg.sensor_m, seen_check(rep, cfg, None), seen=seen_root)
    if cfg.far_m <= cfg.sensor_m:
        return near
    ms, mr, x, y, T = near
    lab = labels.copy()
    lab[mr] = 0
    fms, fmr, fx, fy, fT = reach_seeds(
        rep,
        lab,
        cfg.far_m,
        seen_check(rep, cfg, far_check(rep, cfg)),
        min_arrivals=cfg.far_arrivals,
        seen=seen_root,
    )
    if fx.shape[0] == 0:
        return near
    return (
        np.concatenate([ms, fms + x.shape[0]]), np.concatenate([mr, fmr]),
        np.concatenate([x, fx]), np.concatenate([y, fy]), np.concatenate([T, fT]),
    )  # fmt: skip


def far_check(rep: Reports, cfg: SeedConfig) -> FarCheck:
    """A far seed's check (:class:`FarCheck`)."""
    return FarCheck(rep, cfg)


def seen_check(rep: Reports, cfg: SeedConfig, inner: Accept | None) -> Accept | None:
    """``inner`` (a seed's check, or none), with :class:`SeenCheck` before it
    when ``cfg.seen_ranges`` is on and one of its seen tests is set."""
    tests = cfg.seen_arrivals > 2 or np.isfinite(cfg.seen_loss_nats) or cfg.seen_fit
    if not cfg.seen_ranges or not tests:
        return inner
    return SeenCheck(rep, cfg, inner)


class SeenCheck:
    """A seed's check (an :data:`Accept`) for seeds of a bearing perceived by
    light (speed factor 0): at least ``cfg.seen_arrivals`` arrivals, the
    microphones silent at its point cost at most ``cfg.seen_loss_nats`` against
    its hits (:meth:`FarCheck.heard_alike`) and, with ``cfg.seen_fit``, its
    rows' joint fit stands (:func:`fits_one`); then, for every seed, ``inner``."""

    def __init__(self, rep: Reports, cfg: SeedConfig, inner: Accept | None) -> None:
        self.rep, self.cfg, self.inner = rep, cfg, inner
        self.law = FarCheck(rep, replace(cfg, far_loss_nats=cfg.seen_loss_nats))

    def __call__(self, b: int, a: IP, x: float, y: float, T: float, sd_m: float) -> bool:
        if self.rep.rows.speed_factor[b] == 0.0 and not (
            a.shape[0] >= self.cfg.seen_arrivals
            and self.law.heard_alike(b, a, x, y, T, sd_m)
            and (not self.cfg.seen_fit or fits_one(self.rep, b, a, x, y, T))
        ):
            return False
        return self.inner is None or self.inner(b, a, x, y, T, sd_m)


def fits_one(rep: Reports, b: int, a: IP, x: float, y: float, T: float) -> bool:
    """Bearing row ``b`` and arrival rows ``a`` fit one source (x, y, T), started
    at (``x``, ``y`` m, ``T`` s), with at least one degree of freedom, and the fit
    stands (:func:`~.solve.stands`: the 0.999 gate, range, emission first)."""
    idx = np.r_[b, a].astype(np.intp)
    g = np.zeros(idx.shape[0], np.intp)
    sub = rep.rows.take(idx)
    f = fit(sub, g, 1, np.array([x]), np.array([y]), np.array([T]), rep.c)
    return bool(f.dof[0] >= 1 and stands(sub, g, f, rep.max_range_m)[0])


class FarCheck:
    """A far seed's check (an :data:`Accept`), its tests in order, the cheap ones
    first: some arrival is beyond ``cfg.sensor_m`` of the bearing's observer, it
    holds ``cfg.far_arrivals``, and the microphones silent at its point cost at
    most ``cfg.far_loss_nats`` against the ones it holds (:mod:`~.hearing`).

    :func:`reach_seeds` runs its compiled twin when it can,
    :func:`~.seeding_loops._far_ok`: a test added here is added there too, in
    the same place (``tests/fuse/test_fuse_hearing_loops.py`` holds them alike)."""

    def __init__(self, rep: Reports, cfg: SeedConfig) -> None:
        self.rep, self.cfg = rep, cfg
        # gathered on the first seed that needs them: most calls have none
        self._listeners: Listeners | None = None

    @property
    def listeners(self) -> Listeners:
        """The microphones of the reports (:class:`~.hearing.Listeners`)."""
        if self._listeners is None:
            self._listeners = Listeners.of(self.rep, self.cfg.hearing)
        return self._listeners

    def reaches_far(self, b: int, a: IP) -> bool:
        """Some arrival row of ``a`` is beyond ``sensor_m`` of bearing row ``b``'s
        observer."""
        rows = self.rep.rows
        d = np.hypot(rows.ox[a] - rows.ox[b], rows.oy[a] - rows.oy[b])
        return bool((d > self.cfg.sensor_m).any())

    def heard_alike(self, b: int, a: IP, x: float, y: float, T: float, sd_m: float) -> bool:
        """The microphones silent at (``x``, ``y``, ``T``) (slack ``sd_m`` / c)
        cost at most ``far_loss_nats`` against those of rows ``b`` and ``a``."""
        cfg, c = self.cfg, self.rep.c
        if not np.isfinite(cfg.far_loss_nats):
            return True
        ls = self.listeners
        heard = ls.of_rows(self.rep, np.r_[b, a])
        quiet, dist = silent(ls, c, x, y, T, heard, sd_m / c, cfg.hearing)
        return loss_nats(ls, dist, heard, quiet, cfg.hearing) <= cfg.far_loss_nats

    def __call__(self, b: int, a: IP, x: float, y: float, T: float, sd_m: float) -> bool:
        return (
            self.reaches_far(b, a)
            and a.shape[0] >= self.cfg.far_arrivals
            and self.heard_alike(b, a, x, y, T, sd_m)
        )


def reach_seeds(
    rep: Reports,
    labels: IP,
    reach_m: float,
    accept: Accept | None = None,
    min_arrivals: int = 2,
    seen: str | None = None,
) -> tuple[IP, IP, F8, F8, F8]:
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
    arrivals); the fit that follows checks it. Arrival sensors within ``reach_m``
    of the bearing's observer are tried; a seed stands when it holds at least
    ``min_arrivals`` arrivals and ``accept`` (if given) says so (its arrivals stay
    free otherwise); with more than two, no triple seeds are tried. With
    ``seen`` (a root choice, :attr:`SeedConfig.seen_root`), bearings perceived
    by light are solved by :func:`seen_ranges`.
    Returns ``(seed_of_row_b, member_rows, x, y, T)``: per seed its bearing row,
    then flattened ``member_rows`` with the seed index in the first array."""
    rows, src, c, R = rep.rows, rep.src, rep.c, rep.max_range_m
    near_m = reach_m
    fb = np.flatnonzero((labels < 0) & np.isfinite(rows.az))
    fa = np.flatnonzero((labels < 0) & np.isnan(rows.az))
    empty = (np.zeros(0, np.intp), np.zeros(0, np.intp), np.zeros(0), np.zeros(0), np.zeros(0))
    if fb.shape[0] == 0 or fa.shape[0] < 2:
        return empty
    # arrival sensors (positions) and their time-sorted free arrivals
    fa_s, runs = observer_runs(rep, fa)
    gb: list[IP] = []
    ga: list[IP] = []
    # the free bearings' columns gathered once for every sensor's run
    bx, by, bt, bst = rows.ox[fb], rows.oy[fb], rows.t[fb], rows.sigma_t[fb]
    for a0, a1 in runs:
        ra = fa_s[a0:a1]
        sx, sy = rows.ox[ra[0]], rows.oy[ra[0]]
        d = np.hypot(bx - sx, by - sy)
        near = np.flatnonzero(d <= near_m)
        if near.shape[0] == 0:
            continue
        slack = 4.0 * (bst[near] + float(rows.sigma_t[ra].max()))
        travel = d[near] / c
        lo = bt[near] - travel - slack
        hi = bt[near] + travel + slack
        if seen is not None:
            lo, hi = seen_windows(rows.speed_factor[fb[near]], d[near], lo, hi, c, R)
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
    if seen is not None:
        b, a, r, sd_r, cd = seen_ranges(rep, b, a, r, sd_r, seen)
    ok = np.isfinite(r) & (r > 50.0) & (r <= 1.2 * R) & (r + cd >= 0) & np.isfinite(sd_r)
    b, a, r, sd_r = b[ok], a[ok], r[ok], sd_r[ok]
    if b.shape[0] < 2:
        return empty
    # per bearing, the densest window of r: [r_k, r_k + tol_k]
    o = lexsort_int_float_int(b, r, a)
    b, a, r, sd_r = b[o], a[o], r[o], sd_r[o]
    # the r of two sensors differ by up to 3 sd of their difference: at most 3 √2
    # times the bearing's largest sd (the later fit checks the seed properly)
    first_b = np.flatnonzero(np.r_[True, b[1:] != b[:-1]])
    sd_b = np.repeat(np.maximum.reduceat(sd_r, first_b), np.diff(np.r_[first_b, b.shape[0]]))
    tol = np.maximum(np.maximum(300.0, 0.05 * r), np.minimum(4.25 * sd_b, 0.5 * r))
    key = b.astype(np.float64) * 1e7 + r
    hi_idx = np.searchsorted(key, key + tol, side="right")
    count = hi_idx - np.arange(b.shape[0])
    # best window per bearing: most arrivals, then the nearest r (the rows are in r
    # order within a bearing's: the first of its most)
    best = first_max_of_runs(b, count)
    need = max(2, min_arrivals)
    best = best[count[best] >= need]
    # an arrival may be claimed by several bearings: take windows by size first
    best = best[np.lexsort((r[best], -count[best]))]
    used = np.zeros(rows.ox.shape[0], bool)
    sb, n_mem, xs, ys, Ts, mem = _windows(rep, b, a, r, tol, best, hi_idx, need, used, accept)
    # bearings no window seeded: each pair of its candidate arrivals, fitted jointly
    # (x, y, T from the bearing and three times: one degree of freedom to check)
    triples = triple_seeds(rep, b, a, r, sd_r, used, accept) if need <= 2 else []
    if triples:
        for bk, rows_a, _, _, _ in triples:
            used[rows_a] = True
            used[bk] = True
        sb = np.concatenate([sb, np.array([tr[0] for tr in triples], np.intp)])
        n_mem = np.concatenate([n_mem, np.array([tr[1].shape[0] for tr in triples], np.intp)])
        mem = np.concatenate([mem, *(tr[1] for tr in triples)])
        xs = np.concatenate([xs, np.array([tr[2] for tr in triples])])
        ys = np.concatenate([ys, np.array([tr[3] for tr in triples])])
        Ts = np.concatenate([Ts, np.array([tr[4] for tr in triples])])
    if sb.shape[0] == 0:
        return empty
    ms = np.concatenate([np.arange(sb.shape[0]), np.repeat(np.arange(sb.shape[0]), n_mem)])
    mr = np.concatenate([sb, mem])
    return ms, mr, xs, ys, Ts


def seen_windows(f: F8, d: F8, lo: F8, hi: F8, c: float, R: float) -> tuple[F8, F8]:
    """:func:`reach_seeds`' time windows ``lo``, ``hi`` (s) of arrivals at a
    sensor ``d`` (m) from each bearing's observer, those of bearings perceived
    by light (speed factor ``f`` 0) moved: the arrival follows the emission,
    the bearing's time, by the source's distance from the sensor / c, up to
    (1.2 ``R`` + d) / c (``R`` the detection range, m)."""
    sn = f == 0.0
    return np.where(sn, lo + d / c, lo), np.where(sn, hi + 1.2 * R / c, hi)


#: :attr:`SeedConfig.seen_root`'s choices (:func:`seen_ranges`)
SEEN_ROOTS = ("both", "far", "sure")


def seen_ranges(
    rep: Reports, b: IP, a: IP, r: F8, sd_r: F8, choice: str = "both"
) -> tuple[IP, IP, F8, F8, F8]:
    """:func:`reach_seeds`' candidates (bearing rows ``b``, arrival rows ``a``,
    range ``r`` along the ray and its sd, m) with those of bearings perceived by
    light solved anew: such a bearing's time is the emission's, so the
    arrival's distance from the source is cΔ (Δ its time less the bearing's)
    and |w + r u|² = (cΔ)² (w from the sensor to the observer, u the ray):
    r = -w·u ± √((w·u)² - |w|² + (cΔ)²), both roots kept as candidates (the
    window's agreement chooses); the sd of r from the bearing's and both
    times' noise (first order). ``choice`` "far" keeps the larger root only,
    "sure" only an arrival whose smaller root is behind the observer (r ≤ 50 m,
    as :func:`reach_seeds` refuses): the sensor's circle meets the ray once in
    front of it. Returns ``b, a, r, sd_r`` and per candidate
    what ``r + cd >= 0`` checks (the arrival's distance from the source less
    r: cΔ - r here; cΔ, as given, for a heard bearing)."""
    if choice not in SEEN_ROOTS:
        raise ValueError(f"seen_root: {choice!r}, expected one of {', '.join(SEEN_ROOTS)}")
    rows, c = rep.rows, rep.c
    cd = c * (rows.t[a] - rows.t[b])
    sn = rows.speed_factor[b] == 0.0
    if not sn.any():
        return b, a, r, sd_r, cd
    bs, as_, cds = b[sn], a[sn], cd[sn]
    ux, uy = np.sin(rows.az[bs]), np.cos(rows.az[bs])
    wx, wy = rows.ox[bs] - rows.ox[as_], rows.oy[bs] - rows.oy[as_]
    wu = wx * ux + wy * uy
    dwu = wx * uy - wy * ux  # d(w·u) / d az
    sd_cd = c * np.hypot(rows.sigma_t[as_], rows.sigma_t[bs])
    out_r, out_sd = [], []
    with np.errstate(invalid="ignore", divide="ignore"):
        root = np.sqrt(wu * wu - wx * wx - wy * wy + cds * cds)
        for sign in (1.0, -1.0):
            out_r.append(np.where(cds >= 0, -wu + sign * root, np.nan))
            dr_daz = dwu * (sign * wu / root - 1.0)
            out_sd.append(np.hypot(dr_daz * rows.sigma_az[bs], sign * cds / root * sd_cd))
    if choice != "both":
        # the smaller root dropped ("far"), or both when it too is in front ("sure")
        out_r[1] = np.full_like(out_r[1], np.nan)
        if choice == "sure":
            out_r[0] = np.where(-wu - root <= 50.0, out_r[0], np.nan)
    hb = ~sn
    return (
        np.concatenate([b[hb], bs, bs]), np.concatenate([a[hb], as_, as_]),
        np.concatenate([r[hb], *out_r]), np.concatenate([sd_r[hb], *out_sd]),
        np.concatenate([cd[hb], cds - out_r[0], cds - out_r[1]]),
    )  # fmt: skip


def _windows(
    rep: Reports, b: IP, a: IP, r: F8, tol: F8, best: IP, hi_idx: IP, need: int, used: B,
    accept: Accept | None,
) -> tuple[IP, IP, F8, F8, F8, IP]:  # fmt: skip
    """:func:`reach_seeds`' windows, taken in the order of ``best``: each window
    (candidates ``best[i]`` up to ``hi_idx[best[i]]``, ranges ``r`` sorted) seeds
    when it holds ``need`` free arrivals of distinct sensors (a sensor's first in
    the window), its bearing is free and ``accept`` (if given) says so; its rows
    are marked in ``used`` (in place). One compiled call
    (:mod:`.seeding_loops`) when ``accept`` is none or a :class:`FarCheck`.
    Returns per seed its bearing row, member count, x, y, T (m, m, s), and the
    member rows, seed after seed."""
    rows, c = rep.rows, rep.c
    kernel = windows_kernel() if accept is None or type(accept) is FarCheck else None
    if kernel is not None:
        az = rows.az[b[best]]
        check = _far_args(accept) if isinstance(accept, FarCheck) else _NO_CHECK
        out: tuple[IP, IP, F8, F8, F8, IP] = kernel(
            best, hi_idx, b, a, r, tol, np.sin(az), np.cos(az), rep.src, used, need, rows.ox,
            rows.oy, rows.t, rows.speed_factor, c, *check,
        )  # fmt: skip
        return out
    seed_b: list[int] = []
    n_mem: list[int] = []
    mem: list[IP] = []
    xs: list[float] = []
    ys: list[float] = []
    Ts: list[float] = []
    for k in best.tolist():
        win = np.arange(k, int(hi_idx[k]))
        rows_a = a[win]
        # one arrival per sensor
        _, firsts = np.unique(rep.src[rows_a], return_index=True)
        rows_a = rows_a[np.sort(firsts)]
        rows_a = rows_a[~used[rows_a]]
        bk = int(b[k])
        if rows_a.shape[0] < need or used[bk]:
            continue
        rk = float(np.median(r[win]))
        x = float(rows.ox[bk] + rk * np.sin(rows.az[bk]))
        y = float(rows.oy[bk] + rk * np.cos(rows.az[bk]))
        T = float(rows.t[bk] - rows.speed_factor[bk] * rk / c)
        if accept is not None and not accept(bk, rows_a, x, y, T, float(tol[k])):
            continue
        used[rows_a] = True
        used[bk] = True
        seed_b.append(bk)
        n_mem.append(rows_a.shape[0])
        mem.append(rows_a)
        xs.append(x)
        ys.append(y)
        Ts.append(T)
    return (
        np.array(seed_b, np.intp), np.array(n_mem, np.intp), np.array(xs), np.array(ys),
        np.array(Ts), np.concatenate([np.zeros(0, np.intp), *mem]),
    )  # fmt: skip


#: :func:`~.seeding_loops._windows_loop`'s check arguments for no check
_NO_CHECK = (
    False, 0.0, 0, np.inf, np.zeros(0, np.intp), np.zeros(0), np.zeros(0), np.zeros(0),
    np.zeros(0), np.zeros(0), 0.0, 1.0, 0.0, 0.0, np.zeros(0), 0.0, 0.0,
)  # fmt: skip


def _far_args(check: FarCheck) -> tuple[object, ...]:
    """:func:`~.seeding_loops._windows_loop`'s arguments for ``check``: its
    numbers, each row's microphone, the listeners' arrays and the law's."""
    cfg, h, rep = check.cfg, check.cfg.hearing, check.rep
    lim = float(cfg.far_loss_nats)
    if not np.isfinite(lim):
        return (True, cfg.sensor_m, cfg.far_arrivals, *_NO_CHECK[3:])
    ls = check.listeners
    L = np.geomspace(h.l50_min_m, h.l50_max_m, h.l50_steps)
    mic = ls.of_rows(rep, np.arange(rep.n))
    return (
        True, float(cfg.sensor_m), int(cfg.far_arrivals), lim, mic, ls.x, ls.y, ls.sigma_t,
        ls.speed, ls.key, ls.t0, ls.span, float(h.quiet_s), float(h.alive_s), L, float(h.p0),
        float(h.cutoff),
    )  # fmt: skip


def triple_seeds(
    rep: Reports, b: IP, a: IP, r: F8, sd_r: F8, used: B, accept: Accept | None = None
) -> list[tuple[int, IP, float, float, float]]:
    """Seeds of one bearing and two arrivals, for bearings whose arrivals' ranges
    along the ray disagree too much for a window (a bearing ~2 sigma off with
    microphones on opposite sides): every pair of a free bearing's candidate
    arrivals (distinct sensors, at most ``TRIPLE_ARRIVALS`` nearest in r per
    bearing) is fitted jointly from the inverse-variance mean of their r; a triple
    stands when its fit passes the 1-dof gate with the emission before every
    arrival; each bearing takes its best, arrivals go to the best first (of those
    ``accept`` takes, when given)."""
    rows, src, c, R = rep.rows, rep.src, rep.c, rep.max_range_m
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
        if k.shape[0] > TRIPLE_ARRIVALS:
            k = k[np.argsort(sd_r[k], kind="stable")[:TRIPLE_ARRIVALS]]
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
        if accept is not None:
            sd_m = 3.0 * float(np.sqrt(max(f.cov[k, 0, 0] + f.cov[k, 1, 1], 0.0)))
            if not accept(int(bb[k]), mem, float(f.x[k]), float(f.y[k]), float(f.T[k]), sd_m):
                continue
        taken[bb[k]] = True
        taken[mem] = True
        out.append((int(bb[k]), mem, float(f.x[k]), float(f.y[k]), float(f.T[k])))
    return out
