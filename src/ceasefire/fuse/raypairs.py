"""Launch ↔ impact pairing when one side is a lone bearing without range.

An observer often hears both the firing and the impact of one round, and no one
else hears one of them: the round then leaves a lone launch bearing and a lone
impact bearing (or a lone bearing and a located event of the other phase), and
counting each as a round counts it twice. A bearing without range puts its source
somewhere on a ray; the ray is sampled at log-spaced distances ``d`` (each sample
an emission time ``t - d / c`` and a position with cross-range sd ``d·σ_az`` and
the spread of a uniform over the sample spacing along the ray), and a candidate
pair costs the least flight-time chi-square over its samples (and, for two rays,
over both rays' samples), as :mod:`ceasefire.fuse.pairing` scores located pairs
(``flight_cost``: a weapon's range bounds, its named class), plus the contact-line
side prior and -2 ln of the source density along the ray (``_range_prior``).
Weapons whose impact makes no sound (bullets) are not tried. All candidates go
through one least-total-cost assignment, so each report joins at most one pair.
A pair of a ray and a point is then joined by other observers' lone bearings of
its ray's phase that fit its ray and point together (:func:`_more_rays`): a round
heard by two observers that association did not fix leaves two such bearings,
and the assignment takes one.
Each pair with a located impact also gets a side doubt from that impact's rival
launches across the line (:func:`_rival_doubt`), with the launches located
pairing gave to other impacts among the rivals (a pair with an impact ray gets
none: fusion flags no doubt of it, so its candidates' costs are found without
their sides).

Two rays are offered as a pair when one observer made both reports, or when two
observers within ``RayPairConfig.two_m`` (40 km) of each other did: one heard the firing,
the other the impact. (Session 2 left the second out: with candidates spanning
~100 km it tripled the fusion time on the stress day. At 40 km the stress day fuses
in the same time; heavy F1 is the same at 40 and 100 km, 0.002 lower at 20 km.)
Shapes: every input array is ``(n,)`` over its reports or events.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from ceasefire.fuse import pairing
from ceasefire.fuse.finite import finite_or_nan_as
from ceasefire.fuse.linesides import LineSides
from ceasefire.fuse.morerays import fit_system_kernel, more_costs_kernel
from ceasefire.fuse.pairing import LaunchPairConfig, flight_cost
from ceasefire.fuse.raycost import ray_cost_kernel
from ceasefire.fuse.solve import Rows
from ceasefire.fuse.weapons import per_code
from ceasefire.model.assignment import min_cost_matching
from ceasefire.model.vocab import WEAPONS

F8 = npt.NDArray[np.float64]
IP = npt.NDArray[np.intp]

#: candidates are scored in chunks of at most this many samples (memory bound)
_CHUNK = 2_000_000
#: chi-square by which :func:`_two_rays_fit`'s rounding might take it below 0
#: (a bound far beyond it: the fits are of 3 x 3 systems)
_FIT_SLACK = 1.0


@dataclass(frozen=True)
class RayPairConfig:
    """Lone bearings (no range) paired with the other phase of their round (the
    weapons' flight is located pairing's :class:`LaunchPairConfig`)."""

    #: the pairs offered: launch ray + located impact, located launch + impact ray,
    #: one observer's launch ray + impact ray, two observers' launch ray + impact ray
    kinds: tuple[str, ...] = ("ray_point", "point_ray", "ray_ray", "ray_ray_two")
    #: two observers' rays only when the observers are within this distance (m, a
    #: box) of each other
    two_m: float = 40_000.0
    #: each ray sampled at this many log-spaced distances from ``min_m`` (m) to
    #: ``max_range_m``
    samples: int = 24
    min_m: float = 150.0
    #: leaving a report unpaired costs this much (chi-square units; a pair is taken
    #: when its cost is below twice this)
    unpaired_cost: float = 10.0
    #: weapons whose impact makes no sound to pair (bullets), by name
    silent_impact_weapons: tuple[str, ...] = ("small_arms", "heavy_machine_gun")
    #: a sample far from (or very near) the weapon's 50 % hearing distance costs -2 ln
    #: of the source density there (``_range_prior``)
    range_prior: bool = True
    #: an impact sample dated before its launch sample is still tried when it is so
    #: by less than this many σ of the two reports' times (not the samples' extent
    #: along the ray), and the speed bound allows 2 σ of them, as located pairing
    #: does (``LaunchPairConfig.early_sd``: a tank's 2-4 s flight against clocks a
    #: second off); 0: the impact must follow its launch by the speed bound. Tuning
    #: draws: double counts 264 -> 260, matched the same (docs/family.md, session 18)
    early_sd: float = 3.0
    #: more bearings of a chosen pair's ray phase (other observers') join the pair
    #: when they fit its ray and its point together at most this much worse than the
    #: pair alone (chi-square, 3 dof: the two rays' source position and time);
    #: 0: none (:func:`_more_rays`). Tuning draws (docs/family.md, session 18):
    #: double counts 260 -> 241 / 238 at 11.34 / 25, matched 6,637 -> 6,634; of the
    #: 33 bearings joined at 25, 21 are of the pair's round, 11 of another, 1 clutter
    more_rays_chi2: float = 25.0
    #: flag a pair whose launch is a bearing with its side doubt
    #: (``pair_side_doubt:<p>``, :func:`_rival_doubt`) at or above this probability,
    #: for attribution to weigh; above 1: never
    side_doubt_min: float = 0.005
    #: a seen ray (light: no sound delay) sampled as what it is: every sample's
    #: emission time is the report's own time, whatever its distance (off: ``t - d /
    #: c``, as a heard ray's, which dates a camera's launch bearing a distance's
    #: sound travel early and so pairs it with the impacts of other rounds)
    seen_rays: bool = False


@dataclass(frozen=True)
class Rays:
    """Lone bearings: their observation ``rows`` (observer, grid azimuth, time and
    their sd; :class:`~ceasefire.fuse.solve.Rows`), weapon code (-1 unknown),
    observer ``src`` code, and ``side0``: their observers' side of the contact line
    when the caller knows it (``LineSides.points`` of the origins; else found here)."""

    rows: Rows
    weapon: IP
    src: IP
    side0: IP | None = None

    def __len__(self) -> int:
        return int(self.weapon.shape[0])


@dataclass(frozen=True)
class Points:
    """Located events: ``x``, ``y`` (m), emission time ``T`` (s) and its sd
    ``sd_t`` (s), covariance ``cov`` ``(n, 2, 2)`` (m²), weapon code (-1 unknown),
    and ``side``: their side of the contact line when the caller knows it
    (``LineSides.points`` of ``x``, ``y``; else found here)."""

    x: F8
    y: F8
    T: F8
    sd_t: F8
    cov: F8
    weapon: IP
    side: IP | None = None

    def __len__(self) -> int:
        return int(self.x.shape[0])


@dataclass(frozen=True)
class _Samples:
    """Candidate source points, ``(n, K)`` (``K`` = 1 for a located event):
    position (m), emission time (s), variances, side of the line, and ``prior``
    ``(n, K, W)``: -2 ln of the source density there for each weapon (0 for a
    located event)."""

    x: F8
    y: F8
    T: F8
    var_t: F8  # s²: observation time + the sample's extent along the ray
    var_obs: F8  # s²: the observation time alone (an early impact's allowance)
    var_pos: F8  # m²: cross-range and along-range, isotropic bound
    side: IP
    prior: F8

    def take(self, rows: IP, axis: int) -> _Samples:
        """Rows ``rows``, with the samples on axis ``axis`` (1 or 2) of a 3-d shape
        (the other sample axis has length 1; ``prior`` keeps its weapon axis last)."""

        def f(a: npt.NDArray[np.generic]) -> npt.NDArray[np.generic]:
            v = a[rows]
            return v[:, :, None] if axis == 1 else v[:, None, :]

        return _Samples(*(f(getattr(self, k)) for k in self.__dataclass_fields__))  # type: ignore[arg-type]


@functools.lru_cache(maxsize=8)
def _distances(min_m: float, R: float, k: int) -> tuple[F8, F8]:
    """A ray's ``k`` sample distances, log-spaced from ``min_m`` to ``R`` (m), and
    each one's spacing to the next (m), made once per setting and read-only
    (``geomspace`` costs ~20 us a call, made twice or more per fused window)."""
    d = np.geomspace(min_m, R, k)
    step = d * ((R / min_m) ** (1.0 / max(k - 1, 1)) - 1.0)
    d.flags.writeable = False
    step.flags.writeable = False
    return d, step


def _sample(
    r: Rays, cfg: RayPairConfig, hear: F8, c: float, R: float, sides: LineSides | None
) -> _Samples:
    """Each ray's samples out to ``R`` (m); ``hear``: 50 % hearing distance per weapon
    code (m); ``c``: speed of sound (m/s)."""
    k = cfg.samples
    d, step = _distances(cfg.min_m, R, k)
    o = r.rows
    ux, uy = np.sin(o.az)[:, None], np.cos(o.az)[:, None]
    x = o.ox[:, None] + d[None, :] * ux
    y = o.oy[:, None] + d[None, :] * uy
    # a seen ray's samples all carry its own time (no sound delay) with ``seen_rays``
    f = o.speed_factor[:, None] if cfg.seen_rays else 1.0
    T = o.t[:, None] - f * d[None, :] / c
    along = (step * step / 12.0)[None, :]
    var_t = o.sigma_t[:, None] ** 2 + f * along / (c * c)
    var_pos = (d[None, :] * o.sigma_az[:, None]) ** 2 + along
    if sides is None or len(r) == 0:
        side = np.zeros(x.shape, np.intp)
    else:
        side = sides.rays(o.ox, o.oy, o.az, d, r.side0)
    prior = np.broadcast_to(_range_prior(d[:, None], hear[None, :]), (len(r), k, hear.shape[0]))
    var_obs = np.repeat(o.sigma_t[:, None] ** 2, k, axis=1)
    return _Samples(x, y, T, var_t, var_obs, var_pos, side, prior)


def _points(p: Points, sides: LineSides | None, n_weapons: int) -> _Samples:
    """Located events as one sample each (absent uncertainties: 30 s, 10 km)."""
    sd = finite_or_nan_as(p.sd_t, 30.0)
    cov = finite_or_nan_as(p.cov, 1e8)
    if sides is None:
        side = np.zeros(len(p), np.intp)
    else:
        side = sides.points(p.x, p.y) if p.side is None else p.side
    col = lambda a: np.asarray(a)[:, None]  # noqa: E731
    return _Samples(
        col(p.x), col(p.y), col(p.T), col(sd * sd), col(sd * sd),
        col(0.5 * (cov[:, 0, 0] + cov[:, 1, 1])),
        col(side), np.zeros((len(p), 1, n_weapons)),
    )  # fmt: skip


def _range_prior(d: F8, l50: F8) -> F8:
    """-2 ln of the density of sources along a ray at distance ``d`` (log-spaced
    samples: ∝ d² / (1 + (d / L)⁴), heard with probability falling off beyond
    the weapon's 50 % distance L), relative to its peak at d = L."""
    q = d / l50
    return np.asarray(-2.0 * np.log(2.0 * q * q / (1.0 + q**4)), dtype=np.float64)


def _sample_costs(
    lo: _Samples, im: _Samples, lw: IP, iw: IP, cfg: RayPairConfig, launches: LaunchPairConfig
) -> tuple[F8, F8, F8]:
    """Per sample pair (the samples' broadcast shape): the cost with the same-side
    cost, the flight cost without it, and the distance (m). ``lw``/``iw``: weapon
    codes per row."""
    dist = np.hypot(im.x - lo.x, im.y - lo.y)

    def prior(w: int) -> F8:
        return np.asarray(lo.prior[..., w] + im.prior[..., w], dtype=np.float64)

    silent = frozenset(WEAPONS.index(n) for n in cfg.silent_impact_weapons if n in WEAPONS)
    dt, var_obs = im.T - lo.T, lo.var_obs + im.var_obs
    flight = flight_cost(
        dist, dt, lo.var_t + im.var_t, lo.var_pos + im.var_pos + 2e4, lw, iw,
        launches, silent, prior if cfg.range_prior else None, cfg.early_sd, var_obs,
    )  # fmt: skip
    if cfg.early_sd > 0:  # an impact dated early by the reports' times, not the samples' extent
        flight = np.where(dt > -cfg.early_sd * np.sqrt(var_obs), flight, np.inf)
    best = flight + np.where(lo.side * im.side > 0, launches.same_side_cost, 0.0)
    return best, flight, dist


def _best_cost(
    lo: _Samples, im: _Samples, lw: IP, iw: IP, cfg: RayPairConfig, launches: LaunchPairConfig
) -> tuple[F8, F8]:
    """Least cost per candidate (row) over its samples (trailing axes), inf when
    no sample passes the gate; and ``(n, 3)``: the least cost without the same-side
    cost over the launch samples left (side > 0) and right (< 0) of the line, and
    the launch side of the least-cost sample (0 when none passes; the first in
    sample order on a tie). ``lw``/``iw``: weapon codes per row."""
    best, flight, dist = _sample_costs(lo, im, lw, iw, cfg, launches)
    n = int(dist.shape[0])
    best = best.reshape(n, -1)
    flight = flight.reshape(n, -1)
    side = np.broadcast_to(lo.side, dist.shape).reshape(n, -1)
    least = best.min(axis=1)
    by_side = np.zeros((n, 3))
    by_side[:, 0] = np.where(side > 0, flight, np.inf).min(axis=1, initial=np.inf)
    by_side[:, 1] = np.where(side < 0, flight, np.inf).min(axis=1, initial=np.inf)
    at = side[np.arange(n), best.argmin(axis=1)] if n else np.zeros(0)
    by_side[:, 2] = np.where(np.isfinite(least), at, 0)
    return np.asarray(least, dtype=np.float64), by_side


def _more_rays(
    pt: _Samples,
    r1: _Samples,
    r2: _Samples,
    pw: IP,
    w1: IP,
    launch_ray: bool,
    pair_pt: IP,
    pair_ray: IP,
    pair_cost: F8,
    cand: IP,
    cand_ray: IP,
    src1: IP,
    src2: IP,
    rows1: Rows,
    rows2: Rows,
    cfg: RayPairConfig,
    launches: LaunchPairConfig,
    c: float,
    R: float,
) -> tuple[IP, IP]:
    """More bearings of chosen pairs' ray phase: candidate ``e`` offers ray
    ``cand_ray[e]`` (a row of ``r2``) to chosen pair ``cand[e]`` (its point
    ``pair_pt``, a row of ``pt``; its ray ``pair_ray``, a row of ``r1``; its cost
    ``pair_cost``). The candidate costs the least, over the pair ray's samples i and
    the offered ray's samples j, of the pair's cost at i plus the chi-square of
    the two samples' positions and emission times (3 dof, :func:`_two_rays_fit`;
    ``rows1``/``rows2``: the rays' rows); it joins when that is
    at most ``more_rays_chi2`` above the pair's cost and its observer is not the
    pair ray's. Each ray joins one pair, each pair one ray per observer, least
    increase first. ``launch_ray``: the rays are launches (the points impacts);
    ``pw``/``w1``: weapon codes of the points and the pair rays; ``c``: speed of
    sound (m/s); ``R``: the rays' sampled length (m). Returns the chosen
    (candidate's pair, ray)."""
    if cand.shape[0] == 0:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    p, q = pair_pt[cand], pair_ray[cand]
    j = cand_ray
    # a ray of the pair ray's observer never joins, nor through a sample of the
    # pair's ray whose cost alone rises above the bound (a fit only adds to it, up
    # to its rounding: _FIT_SLACK): the fits are made of the other (candidate,
    # sample) pairs only, which give the same least rise to every candidate that
    # can join
    other = src2[j] != src1[q]
    bound = cfg.more_rays_chi2 + _FIT_SLACK
    kernel = more_costs_kernel()
    if kernel is not None:
        lo, im, a, b, lw, iw = (r1, pt, q, p, w1, pw) if launch_ray else (pt, r1, p, q, pw, w1)
        per, ce, ci = kernel(
            _fields(lo), _fields(im), a, b, lw, iw, _weapon_terms(cfg, launches),
            _cost_terms(launches), cfg.range_prior, cfg.early_sd, pair_cost[cand], other, bound,
        )  # fmt: skip
    else:
        if launch_ray:
            per, _, _ = _sample_costs(r1.take(q, 1), pt.take(p, 2), w1[q], pw[p], cfg, launches)
        else:
            per, _, _ = _sample_costs(pt.take(p, 1), r1.take(q, 2), pw[p], w1[q], cfg, launches)
        per = per.reshape(cand.shape[0], -1)  # (n, K): the pair's cost at each of its ray's samples
        near = ~(per - pair_cost[cand][:, None] > bound)
        ce, ci = np.nonzero(other[:, None] & near)
    low = np.full(cand.shape[0], np.inf)
    step = max(1, _CHUNK // (9 * per.shape[1]))
    for s0 in range(0, ce.shape[0], step):
        ek, ik = ce[s0 : s0 + step], ci[s0 : s0 + step]
        # the largest fit by which a row's sample may still join (a fit above it
        # is left inf where a bound proves it so: the least rises of candidates
        # that can join stay the same); an inf bound less an inf cost is NaN,
        # which leaves every fit in
        with np.errstate(invalid="ignore"):
            cap = bound - (per[ek, ik] - pair_cost[cand][ek])
        fit = _two_rays_fit(r1, r2, q[ek], ik, j[ek], rows1, rows2, cfg, c, R, cap)
        np.minimum.at(low, ek, (per[ek, ik, None] + fit).min(axis=1))
    rise = low - pair_cost[cand]
    ok = (rise <= cfg.more_rays_chi2) & other
    taken: set[int] = set()
    slots: set[tuple[int, int]] = set()
    out_c: list[int] = []
    for e in np.flatnonzero(ok)[np.argsort(rise[ok], kind="stable")].tolist():
        key = (int(cand[e]), int(src2[j[e]]))
        if int(j[e]) in taken or key in slots:
            continue
        taken.add(int(j[e]))
        slots.add(key)
        out_c.append(e)
    sel = np.asarray(out_c, np.intp)
    return cand[sel].astype(np.intp), j[sel].astype(np.intp)


def _best_cost_compiled(
    lo: _Samples,
    im: _Samples,
    a: IP,
    b: IP,
    lw: IP,
    iw: IP,
    cfg: RayPairConfig,
    launches: LaunchPairConfig,
    sides: bool = True,
    terms: tuple[F8, F8, F8, npt.NDArray[np.bool_], F8, F8] | None = None,
) -> tuple[F8, F8]:
    """:func:`_best_cost` of the candidates ``(a, b)`` (rows of ``lo`` and ``im``;
    ``lw``/``iw``: weapon codes per row of each) by the compiled loop
    (:mod:`ceasefire.fuse.raycost`), the same costs to the bit; without
    ``sides`` the least costs only (the ``(n, 3)`` sides left 0: fewer sample
    pairs visited). ``terms``: :func:`_weapon_terms` of ``cfg`` and
    ``launches`` when the caller made them already."""
    kernel = ray_cost_kernel()
    assert kernel is not None
    by_side = np.zeros((a.shape[0], 3))
    if a.shape[0] == 0:
        return np.zeros(0), by_side
    speeds, lo_m, hi_m, tried, _, _ = _weapon_terms(cfg, launches) if terms is None else terms
    out = kernel(
        lo.x, lo.y, lo.T, lo.var_t, lo.var_obs, lo.var_pos, lo.side, lo.prior,
        im.x, im.y, im.T, im.var_t, im.var_obs, im.var_pos, im.side, im.prior,
        a, b, lw, iw, speeds, lo_m, hi_m, tried, launches.speed_spread,
        1.0 + 3.0 * launches.speed_spread, pairing._GATE, pairing._UNKNOWN_WEAPON,
        pairing._OTHER_WEAPON, launches.same_side_cost,
        cfg.range_prior, cfg.early_sd, sides, by_side,
    )  # fmt: skip
    return np.asarray(out, dtype=np.float64), by_side


def _candidates(
    ax: F8, ay: F8, at: F8, bx: F8, by: F8, bt: F8, r_m: float, lo_s: float, hi_s: float
) -> tuple[IP, IP]:
    """Index pairs with anchors within ``r_m`` (box) and ``lo_s < bt - at < hi_s``."""
    if ax.shape[0] == 0 or bx.shape[0] == 0:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    mid = 0.5 * (lo_s + hi_s)
    half = 0.5 * (hi_s - lo_s)
    s = r_m / half
    t0 = float(min(at.min(), bt.min()))
    ta = cKDTree(np.column_stack([ax, ay, (at + mid - t0) * s]))
    tb = cKDTree(np.column_stack([bx, by, (bt - t0) * s]))
    sm = ta.sparse_distance_matrix(tb, r_m, p=np.inf, output_type="ndarray")
    a = sm["i"].astype(np.intp)
    b = sm["j"].astype(np.intp)
    dt = bt[b] - at[a]
    ok = (dt > lo_s) & (dt < hi_s)
    return a[ok], b[ok]


def _flight_s(cfg: LaunchPairConfig) -> float:
    """Longest flight time any weapon class allows (s)."""
    v = per_code(cfg.weapons, "speed_m_s")
    r = per_code(cfg.weapons, "range_max_m")
    ok = v > 0
    return float(np.max(1.2 * r[ok] / v[ok])) if ok.any() else 0.0


def pair_rays(
    l_rays: Rays,
    i_rays: Rays,
    l_pts: Points,
    i_pts: Points,
    cfg: RayPairConfig,
    launches: LaunchPairConfig,
    c: float,
    max_range_m: float,
    sides: LineSides | None = None,
    rivals: Points | None = None,
    more: list[tuple[int, int]] | None = None,
) -> tuple[IP, IP, F8]:
    """Pairs ``(launch, impact)`` among lone launch rays, lone impact rays and
    unpaired located launches and impacts, and each pair's side doubt
    (:func:`_rival_doubt`; 0 without ``sides``, and for a pair whose impact is a
    ray). Launch indices run over
    ``[l_rays, l_pts]`` (a point ``j`` is ``len(l_rays) + j``), impact indices over
    ``[i_rays, i_pts]``. Point-point pairs are not offered (located pairing
    decided them). ``launches``: the weapons' flight; ``c``: speed of sound (m/s);
    ``max_range_m``: farthest a report is heard from; ``sides``: the contact line
    (fire is aimed across it); ``rivals``: located launches already paired (by
    located pairing), weighed in the side doubt of the pairs with a located impact
    only, never paired here; ``more``: filled, when given and
    ``cfg.more_rays_chi2`` > 0, with ``(k, ray)``: the ``k``-th returned pair (one
    with a point) is joined by lone ray ``ray`` of its ray's role too (a launch ray
    when its launch is a ray; :func:`_more_rays`)."""
    nlr, nir, nlp, nip = len(l_rays), len(i_rays), len(l_pts), len(i_pts)
    sound = max_range_m / c
    flight = _flight_s(launches)
    lr, ir = l_rays.rows, i_rays.rows
    hear = per_code(launches.weapons, "hearing_l50_m")
    ls = _sample(l_rays, cfg, hear, c, max_range_m, sides)
    is_ = _sample(i_rays, cfg, hear, c, max_range_m, sides)
    n_weapons = len(WEAPONS)
    lp = _points(l_pts, sides, n_weapons)
    ip = _points(i_pts, sides, n_weapons)
    rows: list[IP] = []
    cols: list[IP] = []
    costs: list[tuple[F8, F8]] = []
    k = cfg.samples
    wide = max_range_m + launches.max_flight_range_m
    # the weapons' terms of the compiled loops, made once
    terms = _weapon_terms(cfg, launches)

    def add(
        lo: _Samples, im: _Samples, a: IP, b: IP, lw: IP, iw: IP, per_row: int, sides: bool
    ) -> tuple[F8, F8]:
        # ``sides``: the side doubt reads them (candidates of a located impact)
        if ray_cost_kernel() is not None:
            return _best_cost_compiled(lo, im, a, b, lw, iw, cfg, launches, sides, terms)

        def one(s: slice) -> tuple[F8, F8]:
            return _best_cost(lo.take(a[s], 1), im.take(b[s], 2), lw[a[s]], iw[b[s]], cfg, launches)

        return _chunked(one, a.shape[0], per_row)

    # launch ray x located impact: emission times differ by the flight time
    if nlr and nip and "ray_point" in cfg.kinds:
        a, b = _candidates(lr.ox, lr.oy, lr.t, i_pts.x, i_pts.y, i_pts.T, wide, -sound, flight)
        rows.append(a)
        cols.append(b + nir)
        costs.append(add(ls, ip, a, b, l_rays.weapon, i_pts.weapon, k, True))
    # located launch x impact ray
    if nlp and nir and "point_ray" in cfg.kinds:
        a, b = _candidates(l_pts.x, l_pts.y, l_pts.T, ir.ox, ir.oy, ir.t, wide, 0.0, flight + sound)
        rows.append(a + nlr)
        cols.append(b)
        costs.append(add(lp, is_, a, b, l_pts.weapon, i_rays.weapon, k, False))
    # lone launch ray x lone impact ray: one observer's ("ray_ray"), two observers'
    # within ``two_m`` of each other ("ray_ray_two")
    one, two = "ray_ray" in cfg.kinds, "ray_ray_two" in cfg.kinds
    if nlr and nir and (one or two):
        a, b = _candidates(
            lr.ox, lr.oy, lr.t, ir.ox, ir.oy, ir.t,
            cfg.two_m if two else 1.0, -sound, flight + sound,
        )  # fmt: skip
        same = l_rays.src[a] == i_rays.src[b]
        keep = (same & one) | (~same & two)
        a, b = a[keep], b[keep]
        rows.append(a)
        cols.append(b)
        costs.append(add(ls, is_, a, b, l_rays.weapon, i_rays.weapon, k * k, False))
    if not rows:
        return np.zeros(0, np.intp), np.zeros(0, np.intp), np.zeros(0)
    r = np.concatenate(rows)
    co = np.concatenate(cols)
    w = np.concatenate([c[0] for c in costs])
    by_side = np.concatenate([c[1] for c in costs])
    ok = np.isfinite(w)
    r, co, w, by_side = r[ok], co[ok], w[ok], by_side[ok]
    edge = min_cost_matching(r, co, w, nlr + nlp, nir + nip, cfg.unpaired_cost)
    la = np.flatnonzero(edge >= 0)
    if more is not None and cfg.more_rays_chi2 > 0 and la.shape[0]:
        more += _offer_more(
            r, co, w, edge, la, nlr, nir, ls, is_, lp, ip, l_rays, i_rays, l_pts, i_pts,
            cfg, launches, c, max_range_m,
        )  # fmt: skip
    if sides is None or la.shape[0] == 0:
        return la.astype(np.intp), co[edge[la]].astype(np.intp), np.zeros(la.shape[0])
    # launches paired elsewhere by located pairing: rivals in the doubt only (one
    # round's launch paired with a neighbour's impact leaves its own impact to a
    # bearing of another round), of the chosen pairs whose impact is located (the
    # pairs whose doubt fusion flags)
    got = co[edge[la]]
    pts = np.unique(got[got >= nir]) - nir
    if rivals is not None and len(rivals) and pts.shape[0]:
        rp = _points(rivals, sides, n_weapons)
        a, b = _candidates(
            rivals.x, rivals.y, rivals.T, i_pts.x[pts], i_pts.y[pts], i_pts.T[pts], wide,
            -sound, flight,
        )  # fmt: skip
        b = pts[b]
        cost, side_of = add(rp, ip, a, b, rivals.weapon, i_pts.weapon, 1, True)
        fin = np.isfinite(cost)
        co = np.concatenate([co, b[fin] + nir])
        by_side = np.concatenate([by_side, side_of[fin]])
    # the doubt of the pairs with a located impact, from that impact's candidates
    # (a pair with an impact ray has none: fusion flags no doubt of it)
    at_pt = np.flatnonzero(co >= nir)
    pos = np.full(co.shape[0], -1, np.intp)
    pos[at_pt] = np.arange(at_pt.shape[0])
    doubt = np.zeros(la.shape[0])
    mine = got >= nir
    if mine.any():
        doubt[mine] = _rival_doubt(co[at_pt], by_side[at_pt], pos[edge[la][mine]])
    return la.astype(np.intp), got.astype(np.intp), doubt


def _two_rays_fit(
    r1: _Samples, r2: _Samples, q: IP, i: IP, j: IP, rows1: Rows, rows2: Rows,
    cfg: RayPairConfig, c: float, R: float, cap: F8 | None = None,
) -> F8:  # fmt: skip
    """``(n, K)``: the chi-square (3 dof) of sample ``i`` of rays ``q`` (rows of
    ``r1``) against samples j of rays ``j`` (of ``r2``) being one source: their
    difference in position and emission time over each sample's covariance in
    (x, y, T): across the ray the bearing's spread, along it the sample's extent,
    which moves the emission time with the position (T = t - d / c), and the
    report time's variance. ``cap`` ``(n,)``: by the compiled loop, inf where a
    lower bound of the chi-square is above the row's cap (not solved)."""
    d, step = _distances(cfg.min_m, R, cfg.samples)
    along = step**2 / 12.0
    kernel = fit_system_kernel()
    if kernel is not None:
        # numpy's sines and cosines, the rest of the systems in the loop
        t1 = _ray_terms(rows1)
        t2 = t1 if rows2 is rows1 else _ray_terms(rows2)
        lim = np.full(q.shape[0], np.inf) if cap is None else cap
        S1, S2 = (r1.x, r1.y, r1.T), (r2.x, r2.y, r2.T)
        C, D, at = kernel(S1, S2, t1, t2, d, along, q, i, j, -1.0 / c, lim)
        fit = np.full(q.shape[0] * r2.x.shape[1], np.inf)
        fit[at] = (D * np.linalg.solve(C, D[..., None])[..., 0]).sum(-1)
        return fit.reshape(q.shape[0], r2.x.shape[1])

    def cov(rows: Rows, r: IP, s: IP | None) -> F8:
        """``(n, K, 3, 3)`` of rays ``r``'s samples, or ``(n, 1, 3, 3)`` of their
        samples ``s``."""
        ux, uy = np.sin(rows.az[r]), np.cos(rows.az[r])
        w = np.stack([ux, uy, np.full_like(ux, -1.0 / c)], -1)[:, None, :]  # (n, 1, 3)
        m = np.stack([-uy, ux, np.zeros_like(ux)], -1)[:, None, :]
        dd, al = (d[None, :], along[None, :]) if s is None else (d[s][:, None], along[s][:, None])
        cross = (dd * rows.sigma_az[r][:, None]) ** 2  # (n, K) or (n, 1)
        out = al[..., None, None] * (w[..., :, None] * w[..., None, :])
        out = out + cross[..., None, None] * (m[..., :, None] * m[..., None, :])
        out[..., 2, 2] += rows.sigma_t[r][:, None] ** 2
        return np.asarray(out, dtype=np.float64)

    C = cov(rows1, q, i) + cov(rows2, j, None)
    D = np.stack(
        [r1.x[q, i][:, None] - r2.x[j], r1.y[q, i][:, None] - r2.y[j],
         r1.T[q, i][:, None] - r2.T[j]], -1,
    )  # fmt: skip
    return np.asarray((D * np.linalg.solve(C, D[..., None])[..., 0]).sum(-1), dtype=np.float64)


def _ray_terms(rows: Rows) -> tuple[F8, F8, F8, F8]:
    """Per ray: sin and cos of its grid azimuth (numpy's), its σ_az (rad) and σ_t (s)."""
    return np.sin(rows.az), np.cos(rows.az), rows.sigma_az, rows.sigma_t


def _fields(s: _Samples) -> tuple[F8, F8, F8, F8, F8, F8, IP, F8]:
    """``s``'s arrays in the compiled loops' order (x, y, T, var_t, var_obs,
    var_pos, side, prior)."""
    return s.x, s.y, s.T, s.var_t, s.var_obs, s.var_pos, s.side, s.prior


def _weapon_terms(
    cfg: RayPairConfig, launches: LaunchPairConfig
) -> tuple[F8, F8, F8, npt.NDArray[np.bool_], F8, F8]:
    """Per weapon code, as :func:`~ceasefire.fuse.pairing.flight_cost` prices it:
    speed (m/s), the range bounds (m), whether it is tried (flies, and its impact
    makes a sound), its speed spread and the speed bound's factor."""
    speeds = per_code(launches.weapons, "speed_m_s")
    spread = pairing.spread_per_code(launches)
    silent = frozenset(WEAPONS.index(n) for n in cfg.silent_impact_weapons if n in WEAPONS)
    tried = np.array([v > 0 and w not in silent for w, v in enumerate(speeds.tolist())])
    return (
        speeds,
        pairing._RANGE_SHORT * per_code(launches.weapons, "range_min_m"),
        pairing._RANGE_LONG * per_code(launches.weapons, "range_max_m"),
        tried,
        spread,
        1.0 + 3.0 * spread,
    )


def _cost_terms(launches: LaunchPairConfig) -> tuple[float, float, float, float]:
    """The gate, the weapons' costs (neither named, another named) and the
    same-side cost, as :mod:`.morerays` takes them."""
    return pairing._GATE, pairing._UNKNOWN_WEAPON, pairing._OTHER_WEAPON, launches.same_side_cost


def _offer_more(
    r: IP, co: IP, w: F8, edge: IP, la: IP, nlr: int, nir: int, ls: _Samples,
    is_: _Samples, lp: _Samples, ip: _Samples, l_rays: Rays, i_rays: Rays,
    l_pts: Points, i_pts: Points, cfg: RayPairConfig, launches: LaunchPairConfig,
    c_m_s: float, R: float,
) -> list[tuple[int, int]]:  # fmt: skip
    """:func:`_more_rays` of the chosen pairs (``la``: the matched rows, in
    ``pair_rays``'s order) with a point, over the candidates (``r``, ``co``, ``w``)
    whose ray stayed unpaired: ``(k, ray)`` with ``k`` the pair's place in ``la``."""
    got = co[edge[la]]
    row_free = edge < 0
    col_free = np.ones(int(co.max(initial=-1)) + 1 if co.shape[0] else 0, bool)
    col_free[got] = False
    out: list[tuple[int, int]] = []
    # launch ray + located impact: more launch rays offered to the impact
    # each chosen pair's place by its impact column, by its launch row (the
    # matching's rows and columns are distinct): -1 for the others
    k1 = np.flatnonzero((la < nlr) & (got >= nir))
    by_col = np.full(col_free.shape[0], -1, np.intp)
    by_col[got[k1]] = k1
    c = np.flatnonzero((r < nlr) & row_free[r] & (by_col[co] >= 0))
    if c.shape[0]:
        kk = by_col[co[c]]
        pk, ray = _more_rays(
            ip, ls, ls, i_pts.weapon, l_rays.weapon, True, got - nir, la, w[edge[la]],
            kk, r[c], l_rays.src, l_rays.src, l_rays.rows, l_rays.rows, cfg, launches, c_m_s, R,
        )  # fmt: skip
        out += list(zip(pk.tolist(), ray.tolist(), strict=True))
    # located launch + impact ray: more impact rays offered to the launch
    k2 = np.flatnonzero((la >= nlr) & (got < nir))
    by_row = np.full(edge.shape[0], -1, np.intp)
    by_row[la[k2]] = k2
    c = np.flatnonzero((co < nir) & col_free[co] & (by_row[r] >= 0))
    if c.shape[0]:
        kk = by_row[r[c]]
        pk, ray = _more_rays(
            lp, is_, is_, l_pts.weapon, i_rays.weapon, False, la - nlr, got, w[edge[la]],
            kk, co[c], i_rays.src, i_rays.src, i_rays.rows, i_rays.rows, cfg, launches, c_m_s, R,
        )  # fmt: skip
        out += list(zip(pk.tolist(), ray.tolist(), strict=True))
    return out


def _rival_doubt(co: IP, by_side: F8, chosen: IP) -> F8:
    """Each chosen pair's side doubt, as :func:`~ceasefire.fuse.pairing.side_doubt`
    gives a located pair's: the share of its impact's candidate launches' flight
    likelihood (``exp(-cost / 2)``, without the same-side cost) lying across the
    line from where the pair puts its launch. ``co``: each candidate's impact;
    ``by_side`` ``(n, 3)``: its least flight cost with the launch left and right of
    the line, and the side of the pair's launch (``_best_cost``); ``chosen``: the
    chosen candidates. A rival ray crossing the line weighs on both sides; the
    chosen launch ray's own samples across the line do not (attribution weighs the
    ray's density itself)."""
    n = co.shape[0]
    own = np.zeros(n, np.intp)
    own[chosen] = by_side[chosen, 2].astype(np.intp)
    keep = [np.isfinite(by_side[:, 0]) & (own >= 0), np.isfinite(by_side[:, 1]) & (own <= 0)]
    cand = np.concatenate([np.flatnonzero(k) for k in keep])
    side = np.concatenate([np.full(int(keep[0].sum()), 1), np.full(int(keep[1].sum()), -1)])
    cost = np.concatenate([by_side[keep[0], 0], by_side[keep[1], 1]])
    # one virtual launch per (candidate, side): the chosen pair's is the one on its side
    slot = np.full((n, 2), -1, np.intp)
    slot[cand, (side < 0).astype(np.intp)] = np.arange(cand.shape[0])
    pick = slot[chosen, (own[chosen] < 0).astype(np.intp)]
    out = pairing.side_doubt(np.arange(cand.shape[0]), co[cand], cost, pick, co[chosen], side)
    # a launch on the line itself (side 0, no left sample) has no side to doubt
    return np.where((own[chosen] != 0) & (pick >= 0), out, 0.0)


def _chunked(fn: Callable[[slice], tuple[F8, F8]], n: int, per_row: int) -> tuple[F8, F8]:
    """``fn`` over row slices of at most ``_CHUNK // per_row`` rows, concatenated."""
    if n == 0:
        return np.zeros(0), np.zeros((0, 3))
    step = max(1, _CHUNK // max(per_row, 1))
    parts = [fn(slice(s, min(s + step, n))) for s in range(0, n, step)]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
