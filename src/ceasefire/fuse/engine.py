"""``fuse``: observations → events. Canonical ordering, one metric frame,
association and localization of acoustic/visual reports, launch/impact pairing,
sighting tracks; tiles in time (and sectors) through fuse/tiles.py, over worker
processes for scale."""

from __future__ import annotations

import functools
import math
import operator
import os
from collections.abc import Callable
from dataclasses import dataclass, fields, replace

import numpy as np
import numpy.typing as npt

from ceasefire.fuse.association import (
    Clusters,
    ObserverRegistration,
    Reports,
    Residuals,
    associate,
    late_attach,
    register,
    residuals,
)
from ceasefire.fuse.config import FuseConfig
from ceasefire.fuse.corroborate import corroborate
from ceasefire.fuse.events import (
    EXPLOSION,
    FIRING,
    INCOMING,
    KIND_BY_DIRECTION,
    OUTGOING,
    UND_DIR,
    UND_EVENT,
    UND_WEAPON,
    consensus,
    event_id,
    kind_by_direction,
    kind_name,
    semi_major_95_m,
)
from ceasefire.fuse.finite import nan_as
from ceasefire.fuse.frame import Grid
from ceasefire.fuse.linesides import LineSides
from ceasefire.fuse.obsindex import observer_codes
from ceasefire.fuse.pairing import LaunchPairConfig, launch_candidates, pair_launches
from ceasefire.fuse.raypairs import Points, Rays, pair_rays
from ceasefire.fuse.solve import Rows
from ceasefire.fuse.speedcal import clear_pairs, measured
from ceasefire.fuse.tdoa_groups import group_arrivals
from ceasefire.fuse.tiles import Firsts, canonical, fuse_sightings, fuse_tiles
from ceasefire.fuse.tracks import track_sightings
from ceasefire.geo import GeoLine
from ceasefire.model.arrays import ObservationArrays
from ceasefire.model.collector import collector_paused
from ceasefire.model.results import SIDE_DOUBT, Event
from ceasefire.model.vocab import (
    DIRECTIONS,
    EVENT_KINDS,
    KINDS,
    LAUNCH_EVENT_KINDS,
    OBJECTS,
    SENSES,
    WEAPONS,
)

F8 = npt.NDArray[np.float64]
IP = npt.NDArray[np.intp]
I8 = npt.NDArray[np.int64]

K_BEARING = KINDS.index("bearing")
K_ARRIVAL = KINDS.index("arrival")
K_SIGHTING = KINDS.index("sighting")
LAUNCH_KINDS = np.array([EVENT_KINDS.index(k) for k in LAUNCH_EVENT_KINDS], np.intp)


@dataclass
class _Acoustic:
    """Fused acoustic/visual events in grid coordinates, before Event objects."""

    x: F8
    y: F8
    T: F8
    cov: F8  # (G, 2, 2) grid axes, NaN when no position
    sd_t_s: F8  # (G,) sd of the emission time, s (NaN when unknown)
    members: IP  # row indices into the acoustic subset, grouped: group g's are
    # ``members[bounds[g]:bounds[g + 1]]``, in row order
    bounds: IP  # (G + 1,)
    first: IP  # (G,) each group's first member (row), -1 when it has none
    kind: IP
    direction: IP
    weapon: IP
    n_obs: IP
    flags: list[tuple[str, ...]]
    rows: Rows  # the rows as association judged them (observers registered)


def _rows(obs: ObservationArrays, grid: Grid, cfg: FuseConfig) -> Rows:
    x, y, gam = grid.xy_and_convergence(obs.lat, obs.lon)
    az = np.radians(obs.bearing_deg) + gam
    az = np.where(np.isfinite(az), (az + np.pi) % (2 * np.pi) - np.pi, np.nan)
    # a report perceived by light (``sense`` seen, or an event kind fusion counts as
    # light) carries no propagation delay
    light_codes = [EVENT_KINDS.index(k) for k in cfg.light_kinds if k in EVENT_KINDS]
    seen = (obs.sense == SENSES.index("seen")) | _any_of(obs.event, light_codes)
    speed = np.where(seen, 0.0, 1.0)
    sig_t = np.where(np.isfinite(obs.time_sigma_s) & (obs.time_sigma_s > 0), obs.time_sigma_s, 1.0)
    sig_az = np.radians(np.where(np.isfinite(obs.bearing_sigma_deg), obs.bearing_sigma_deg, 5.0))
    rng = np.where(np.isfinite(obs.range_m) & (obs.range_m > 0), obs.range_m, np.nan)
    srng = np.where(
        np.isfinite(obs.range_sigma_m) & (obs.range_sigma_m > 0), obs.range_sigma_m, 0.3 * rng
    )
    return Rows(x, y, az, sig_az, obs.time_s.astype(float), sig_t, speed, rng, srng)


def _any_of(codes: npt.NDArray[np.int8], wanted: list[int]) -> npt.NDArray[np.bool_]:
    """``np.isin(codes, wanted)`` for a few wanted codes: one comparison each (isin
    sorts, ~20 us a call on a small tile's rows)."""
    out = np.zeros(codes.shape[0], bool)
    for c in wanted:
        out |= codes == c
    return out


def _reports(
    obs: ObservationArrays, rows: Rows, cfg: FuseConfig
) -> tuple[Reports, npt.NDArray[np.str_]]:
    """The association's view of ``obs`` and the observers' names by code."""
    names, src = observer_codes(obs.source)
    # the phase a report names (launch or impact), for association: from its event
    # kind (right in ~98 % of reports), from its direction class (~86 %) otherwise
    phase = np.where(
        _any_of(obs.event, LAUNCH_KINDS.tolist()),
        OUTGOING,
        np.where(obs.event == EXPLOSION, INCOMING, obs.direction),
    ).astype(obs.direction.dtype)
    rep = Reports(
        rows, src.astype(np.intp), phase, cfg.speed_of_sound_m_s, cfg.max_range_m,
        cfg.min_tdoa_sensors,
    )  # fmt: skip
    return rep, names


@dataclass(frozen=True)
class Association:
    """What fusion keeps of an association of a window's reports: the clusters
    and, per event, the last fit's chi-square and degrees of freedom (None when
    that fit is not one per event). A window's first association (observers as
    stated) is kept for its second pass: with a registration that does not
    matter there, the second would repeat it on the same reports."""

    clusters: Clusters
    chi2: F8 | None
    dof: I8 | None

    @property
    def n_rows(self) -> int:
        """How many report rows it labels."""
        return int(self.clusters.labels.shape[0])


def _associate(rep: Reports, cfg: FuseConfig) -> Association:
    cl, f = associate(rep, cfg.association)
    if f is None or f.chi2.shape[0] != cl.n:
        return Association(cl, None, None)
    return Association(cl, f.chi2, f.dof)


def registration_residuals(
    obs: ObservationArrays, cfg: FuseConfig, span: tuple[float, float]
) -> tuple[npt.NDArray[np.str_], Residuals, Association | None]:
    """The first association of ``obs``'s acoustic reports (canonical rows) and the
    registration residuals of its events emitted in ``span`` (s), with the
    observers' names by code: a window's share of a registration over many; and
    the association itself (None without acoustic reports), which
    ``fuse_whole(obs, cfg, registration, first=...)`` reuses where the
    registration does not matter."""
    acoustic = obs.kind != K_SIGHTING
    # a tile's rows hold no sightings: no copy of them then
    ac = obs if acoustic.all() else obs.take(np.flatnonzero(acoustic))
    if len(ac) == 0:
        return np.zeros(0, str), Residuals.empty(), None
    rep, names = _reports(ac, _rows(ac, Grid.about(ac.lat, ac.lon), cfg), cfg)
    first = _associate(rep, cfg)
    res = residuals(rep, first.clusters, cfg.association.registration)
    return names, res.take((res.event_t >= span[0]) & (res.event_t < span[1])), first


def _fuse_acoustic(
    obs: ObservationArrays,
    rows: Rows,
    cfg: FuseConfig,
    registration: ObserverRegistration | None = None,
    first: Association | None = None,
) -> _Acoustic:
    """Associate and locate; observers registered by ``registration`` when given,
    else from this window's own first association. ``first``: this window's
    first association (``registration_residuals``), taken as the association
    when ``registration`` does not matter here (the same reports)."""
    n = len(obs)
    c = cfg.speed_of_sound_m_s
    rep, names = _reports(obs, rows, cfg)
    src = rep.src
    reg_cfg = cfg.association.registration
    registered = False  # clocks or sigmas found misstated: reports judged anew
    if registration is not None and reg_cfg.enabled:
        reg = registration.of(names)
        if reg.matters(rep, reg_cfg):
            rep = reg.apply(rep, reg_cfg.seen_time_sigma_min_s)
            rows = rep.rows
            registered = True
            got = _associate(rep, cfg)
        elif first is not None and first.n_rows == rep.n:
            got = first
        else:
            got = _associate(rep, cfg)
    else:
        got = _associate(rep, cfg)
        if reg_cfg.enabled:
            # each observer's clock and noise from the first association; a second
            # one judges the reports by them (fuse/association/registration.py)
            reg = register(rep, got.clusters, reg_cfg)
            if reg.matters(rep, reg_cfg):
                rep = reg.apply(rep, reg_cfg.seen_time_sigma_min_s)
                rows = rep.rows
                registered = True
                got = _associate(rep, cfg)
    cl = got.clusters
    cov = cl.cov
    if cfg.inflate_cov and got.chi2 is not None and got.dof is not None:
        # the fit's chi-square per dof, when above 1, widens the event's uncertainty
        # (a new array: a kept first association stays as it was)
        with np.errstate(divide="ignore", invalid="ignore"):
            k = np.where(got.dof > 0, got.chi2 / np.maximum(got.dof, 1), 1.0)
        k = np.clip(np.nan_to_num(k, nan=1.0, posinf=1.0), 1.0, cfg.inflate_max)
        cov = cov * k[:, None, None]
    labels = cl.labels.copy()
    G = cl.n
    xs: list[F8] = [cl.x]
    ys: list[F8] = [cl.y]
    Ts: list[F8] = [cl.T]
    covs: list[F8] = [cov[:, :2, :2] if G else np.zeros((0, 2, 2))]
    sds: list[F8] = [np.sqrt(cov[:, 2, 2]) if G else np.zeros(0)]
    flag_groups: list[tuple[str, ...]] = [()] * G
    # arrival-only groups (TDOA)
    free_arr = np.flatnonzero((labels < 0) & np.isnan(rows.az))
    if free_arr.shape[0] >= cfg.min_tdoa_sensors:
        sub = rows.take(free_arr)
        glab, gx, gy, gT, gcov = group_arrivals(sub, src[free_arr], cfg)
        m = glab >= 0
        labels[free_arr[m]] = glab[m] + G
        xs.append(gx)
        ys.append(gy)
        Ts.append(gT)
        covs.append(gcov)
        sds.append(np.full(gx.shape[0], 0.05))
        flag_groups += [("tdoa",)] * gx.shape[0]
        G += gx.shape[0]
    if cfg.association.attach.late and G:
        # the late offer's clock slack for cameras only where clocks were found off
        late_cfg = cfg.association.attach
        if not registered:
            late_cfg = replace(late_cfg, late_seen_slack_s=0.0)
        late_attach(
            rep,
            labels,
            np.concatenate(xs),
            np.concatenate(ys),
            np.concatenate(Ts),
            np.concatenate(covs),
            np.concatenate(sds),
            cfg.association.gates,
            late_cfg,
            cfg.wide_fix_m,
        )
    # single bearings: with range → a wide fix; without → no position
    single = np.flatnonzero((labels < 0) & np.isfinite(rows.az))
    ns = single.shape[0]
    labels[single] = G + np.arange(ns)
    r = rows.rng[single]
    az = rows.az[single]
    has_r = np.isfinite(r)
    ux, uy = np.sin(az), np.cos(az)
    rr = np.where(has_r, r, 0.0)
    sx = np.where(has_r, rows.ox[single] + rr * ux, np.nan)
    sy = np.where(has_r, rows.oy[single] + rr * uy, np.nan)
    sT = rows.t[single] - rows.speed_factor[single] * rr / c
    va = rows.sigma_rng[single] ** 2
    vc = (rr * rows.sigma_az[single]) ** 2
    scov = np.empty((ns, 2, 2))
    scov[:, 0, 0] = va * ux * ux + vc * uy * uy
    scov[:, 1, 1] = va * uy * uy + vc * ux * ux
    scov[:, 0, 1] = scov[:, 1, 0] = (va - vc) * ux * uy
    scov[~has_r] = np.nan
    xs.append(sx)
    ys.append(sy)
    Ts.append(sT)
    covs.append(scov)
    sds.append(np.where(has_r, rows.sigma_t[single] + rows.sigma_rng[single] / c, np.nan))
    flag_groups += [
        ("single_observer",) if h else ("single_observer", "no_position") for h in has_r
    ]
    G += ns
    x = np.concatenate(xs)
    y = np.concatenate(ys)
    T = np.concatenate(Ts)
    cov = np.concatenate(covs)
    sd_t_s = np.concatenate(sds)
    members, bounds, first_row = _grouped(labels, G)
    kind = consensus(obs.event, labels, G, len(EVENT_KINDS), UND_EVENT)
    direction = consensus(obs.direction, labels, G, len(DIRECTIONS), UND_DIR)
    weapon = consensus(obs.weapon, labels, G, len(WEAPONS), UND_WEAPON)
    n_obs = np.bincount(labels[labels >= 0], minlength=G)
    del n
    return _Acoustic(
        x, y, T, cov, sd_t_s, members, bounds, first_row, kind, direction, weapon, n_obs,
        flag_groups, rows,
    )  # fmt: skip


def _grouped(labels: IP, G: int) -> tuple[IP, IP, IP]:
    """The labelled rows grouped by label (in row order within a group), the
    groups' bounds in them ``(G + 1,)``, and each group's first row (-1 when it
    has none)."""
    m = np.flatnonzero(labels >= 0)
    order = m[np.argsort(labels[m], kind="stable")]
    bounds = np.searchsorted(labels[order], np.arange(G + 1))
    first = np.full(G, -1, np.intp)
    some = bounds[:-1] < bounds[1:]
    first[some] = order[bounds[:-1][some]]
    return order, bounds, first


def _split(labels: IP, G: int) -> tuple[list[IP], IP]:
    """Row indices of each group, in row order, and each group's first row (-1
    when it has none)."""
    order, bounds, first = _grouped(labels, G)
    # sliced by Python ints (numpy integers cost more per slice)
    b = bounds.tolist()
    return [order[b[k] : b[k + 1]] for k in range(G)], first


@functools.lru_cache(maxsize=4)
def _line(coords: tuple[tuple[float, float], ...]) -> GeoLine:
    return GeoLine.from_lonlat(list(coords))


def _on_line(
    lat: F8, lon: F8, cfg: FuseConfig, wanted: IP | None = None
) -> tuple[IP, F8 | None] | None:
    """Each event's side of the contact line (+1 left, -1 right, 0 where its
    position is unknown) and, when pairing prices a pair on one side by its
    impact's distance from the line (``short_band_m``), that distance (m, NaN where
    unknown, and where not ``wanted``: the events whose distance is read, all when
    None); None without a line. Launch pairing and ray pairing read both from this
    one projection on the line."""
    if cfg.contact_line_lonlat is None:
        return None
    line = _line(cfg.contact_line_lonlat)
    side = np.zeros(lat.shape[0], np.intp)
    ok = np.isfinite(lat) & np.isfinite(lon)
    pos = np.flatnonzero(ok)
    if cfg.launches.short_band_m <= 0.0:
        if pos.shape[0]:
            side[pos] = line.sides(lat[pos], lon[pos])
        return side, None
    dist = np.full(lat.shape[0], np.nan)
    if pos.shape[0]:
        if wanted is None:
            want = ok[pos]
        else:
            mask = np.zeros(lat.shape[0], bool)
            mask[wanted] = True
            want = mask[pos]
        # fused positions hardly ever repeat: no search for repeats; the nearest
        # point back on the globe and its geodesic only for the distances read
        side[pos], dist[pos] = line.sides_and_distances(lat[pos], lon[pos], want, repeats=False)
    return side, dist


def _roles(ac: _Acoustic) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """One role per event for ray pairing: launch or impact (from the event kind,
    else the direction class); neither when both are undetermined. Bursts and
    shots (small arms: bullets make no explosion) are no launch here."""
    und = ac.kind == UND_EVENT
    is_l = (ac.kind == FIRING) | (und & (ac.direction == OUTGOING))
    is_i = (ac.kind == EXPLOSION) | (und & (ac.direction == INCOMING))
    return is_l, is_i


def _line_sides(grid: Grid, cfg: FuseConfig) -> LineSides | None:
    """The contact line seen from the grid, or None without a line."""
    if cfg.contact_line_lonlat is None:
        return None
    return LineSides.of(_line(cfg.contact_line_lonlat), grid)


def _ray_pairs(
    rows: Rows,
    ac: _Acoustic,
    has_pos: npt.NDArray[np.bool_],
    taken: npt.NDArray[np.bool_],
    weapon: IP,
    grid: Grid,
    cfg: FuseConfig,
    side: IP | None = None,
) -> list[tuple[int, int, int, float]]:
    """Lone bearings paired with the other phase of their round, as ``(keep, gone,
    ray_row, doubt)``: event indices, ``gone`` joins ``keep``; ``ray_row`` is the
    launch bearing's row when ``keep`` is a located impact (else -1); ``doubt``, the
    side doubt of a launch bearing joined to a located impact (``pair_rays``; else 0).
    ``weapon``: per event, its weapon code (-1 unknown); ``side``: per located event,
    its side of the contact line when known (``LineSides.points`` of its position)."""
    G = ac.x.shape[0]
    first = ac.first
    lone = ~has_pos & (ac.n_obs == 1) & (first >= 0)
    lone[lone] &= np.isfinite(rows.az[first[lone]])
    is_l, is_i = _roles(ac)
    lr = np.flatnonzero(lone & is_l)
    ir = np.flatnonzero(lone & is_i)
    lp = np.flatnonzero(has_pos & ~taken & is_l)
    ip = np.flatnonzero(has_pos & ~taken & is_i)
    if (lr.shape[0] == 0 and ir.shape[0] == 0) or G == 0:
        return []
    # the lone bearings' rows, launches then impacts
    o = first[np.concatenate([lr, ir])]
    # one observer = one position (a patrol's stops are apart: their rays share no
    # origin): codes equal where the origins are, of the lone bearings' rows only
    # (pairing compares them, nothing else; a stress tile has ~60 k rows)
    src = np.unique(rows.ox[o] + 1j * rows.oy[o], return_inverse=True)[1].astype(np.intp)
    sides = _line_sides(grid, cfg)
    # every lone bearing's observer side in one projection on the line
    side0 = None if sides is None else sides.points(rows.ox[o], rows.oy[o])
    nlr, nir = lr.shape[0], ir.shape[0]

    def rays(g: IP, s: slice) -> Rays:
        return Rays(rows.take(first[g]), weapon[g], src[s], None if side0 is None else side0[s])

    def points(g: IP) -> Points:
        return Points(
            ac.x[g], ac.y[g], ac.T[g], ac.sd_t_s[g], ac.cov[g], weapon[g],
            None if side is None else side[g],
        )  # fmt: skip

    more: list[tuple[int, int]] = []
    a, b, doubt = pair_rays(
        rays(lr, slice(0, nlr)), rays(ir, slice(nlr, nlr + nir)), points(lp), points(ip), cfg.rays,
        cfg.launches, cfg.speed_of_sound_m_s, cfg.max_range_m, sides,
        points(np.flatnonzero(has_pos & taken & is_l)), more,
    )  # fmt: skip
    out: list[tuple[int, int, int, float]] = []
    for i, j, d in zip(a.tolist(), b.tolist(), doubt.tolist(), strict=True):
        if i < nlr and j >= nir:  # launch ray -> located impact
            out.append((int(ip[j - nir]), int(lr[i]), int(first[lr[i]]), d))
        elif i >= nlr:  # located launch <- impact ray: the launch point is its own evidence
            out.append((int(lp[i - nlr]), int(ir[j]), -1, 0.0))
        else:  # launch and impact rays: not flagged. Their doubt over-stated the
            # other side on the heavy training days (docs/family.md, session 17)
            out.append((int(lr[i]), int(ir[j]), -1, 0.0))
    # more bearings of a pair's ray phase, after the pairs: joined to the pair's
    # point, neither the pair's ray row nor its doubt
    for k, ray in more:
        i, j = int(a[k]), int(b[k])
        if i < nlr:
            out.append((int(ip[j - nir]), int(lr[ray]), -1, 0.0))
        else:
            out.append((int(lp[i - nlr]), int(ir[ray]), -1, 0.0))
    return out


def _acoustic_events(
    obs: ObservationArrays, rows: Rows, ac: _Acoustic, grid: Grid, cfg: FuseConfig
) -> list[Event]:
    G = ac.x.shape[0]
    if G == 0:
        return []
    has_pos = np.isfinite(ac.x) & np.isfinite(ac.y) & np.all(np.isfinite(ac.cov.reshape(G, 4)), 1)
    lat = np.full(G, np.nan)
    lon = np.full(G, np.nan)
    cov_en = np.full((G, 2, 2), np.nan)
    if has_pos.any():
        la, lo = grid.to_latlon(ac.x[has_pos], ac.y[has_pos])
        lat[has_pos], lon[has_pos] = la, lo
        # fused positions hardly ever repeat: no search for repeats
        cov_en[has_pos] = grid.cov_to_en(ac.cov[has_pos], la, lo, repeats=False)
    semi = np.where(has_pos, semi_major_95_m(nan_as(cov_en, 0.0)), np.inf)
    # launch/impact pairing among positioned events; the role comes from the event
    # kind (a firing is a launch, an explosion an impact: named right in ~98 % of
    # reports), from the direction class (~86 %) only when no kind is named; bursts
    # and shots are small arms, whose bullets make no explosion to pair with
    is_launch_kind = ac.kind == FIRING
    und_kind = ac.kind == UND_EVENT
    can_launch = is_launch_kind | (und_kind & (ac.direction != INCOMING))
    can_impact = (ac.kind == EXPLOSION) | (und_kind & (ac.direction != OUTGOING))
    launch = np.flatnonzero(has_pos & can_launch)
    impact = np.flatnonzero(has_pos & can_impact)
    weapon = np.where(ac.weapon == UND_WEAPON, -1, ac.weapon).astype(np.intp)  # -1 unknown
    # only the impacts' distances are read (launch pairing's ``line_m``)
    line = _on_line(lat, lon, cfg, impact)
    sides: tuple[IP | None, IP | None] = (
        (None, None) if line is None else (line[0][launch], line[0][impact])
    )
    line_m = None if line is None or line[1] is None else line[1][impact]

    lx, ly, lT = ac.x[launch], ac.y[launch], ac.T[launch]
    ix, iy, iT = ac.x[impact], ac.y[impact], ac.T[impact]
    # the candidates depend on the range and the slowest speed, which the speeds
    # measured from pairs (below) leave as they are: searched once
    near: dict[tuple[float, float], tuple[IP, IP]] = {}

    def pairs(lcfg: LaunchPairConfig) -> tuple[IP, IP, F8, F8]:
        key = (lcfg.max_flight_range_m, lcfg.speed_min_m_s)
        if key not in near:
            near[key] = launch_candidates(lx, ly, lT, ix, iy, iT, lcfg)
        return pair_launches(
            lx, ly, lT, ix, iy, iT, lcfg, weapon[launch], weapon[impact], ac.cov[launch],
            ac.cov[impact], ac.sd_t_s[launch], ac.sd_t_s[impact], launch, impact, *sides, line_m,
            near[key],
        )  # fmt: skip

    pl, pi, margin, doubt = pairs(cfg.launches)
    if cfg.launches.speed_from_pairs and pl.shape[0]:
        # each weapon's speed from this window's clear pairs, then paired again
        # (fuse/speedcal.py)
        lg, ig = launch[pl], impact[pi]
        clear, w = clear_pairs(margin, cfg.launches, weapon[lg], weapon[ig])
        dist = np.hypot(ac.x[ig] - ac.x[lg], ac.y[ig] - ac.y[lg])
        lcfg = measured(cfg.launches, dist[clear], ac.T[ig][clear] - ac.T[lg][clear], w[clear])
        if lcfg is not cfg.launches:
            pl, pi, margin, doubt = pairs(lcfg)
    partner = np.full(G, -1, np.intp)
    partner[impact[pi]] = launch[pl]
    # a pair whose launch or impact had another candidate nearly as good
    close_call = np.zeros(G, bool)
    close_call[impact[pi]] = margin < cfg.launches.close_margin
    # ... and the probability that its launch lies across the line from the chosen one
    side_doubt = np.zeros(G)
    side_doubt[impact[pi]] = doubt
    absorbed = np.zeros(G, bool)
    absorbed[launch[pl]] = True
    # lone bearings paired with the other phase of their round (fuse/raypairs.py)
    extra: dict[int, list[int]] = {}
    launch_ray = np.full(G, -1, np.intp)
    ray_doubt = np.zeros(G)
    if cfg.ray_pairs:
        taken = absorbed | (partner >= 0)
        # ray pairing's sides of located events are these (the same projection)
        # unless a grid position has none on the globe
        on_globe = bool(np.isfinite(lat[has_pos]).all() and np.isfinite(lon[has_pos]).all())
        known = line[0] if line is not None and on_globe else None
        for keep, gone, ray_row, d in _ray_pairs(
            rows, ac, has_pos, taken, weapon, grid, cfg, known
        ):
            extra.setdefault(keep, []).append(gone)
            absorbed[gone] = True
            if len(extra[keep]) == 1:  # the pair's own; more bearings follow it
                launch_ray[keep] = ray_row
                ray_doubt[keep] = d
    return _event_objects(obs, ac, lat, lon, cov_en, semi, has_pos, partner, close_call,
                          side_doubt, absorbed, extra, launch_ray, ray_doubt, cfg)  # fmt: skip


#: each (event kind code, direction code)'s event kind name (:func:`kind_name`),
#: and whether the direction named it (:func:`kind_by_direction`)
_KIND_NAMES = np.array(
    [[kind_name(k, d) for d in range(len(DIRECTIONS))] for k in range(len(EVENT_KINDS))], object
)
_KIND_BY_DIR = np.array(
    [[kind_by_direction(k, d) for d in range(len(DIRECTIONS))] for k in range(len(EVENT_KINDS))]
)
_DIRECTION_NAMES = np.array(DIRECTIONS, object)
#: the order :func:`_event_objects` passes Event's fields in
_EVENT_FIELDS = (
    "id", "kind", "time_s", "lat", "lon", "cov_m2", "observation_ids", "n_observers",
    "direction", "weapon", "object", "count", "party_marked", "first_seen_s", "last_seen_s",
    "launch_lat", "launch_lon", "launch_cov_m2", "observer_lat", "observer_lon", "bearing_deg",
    "flags",
)  # fmt: skip
if tuple(f.name for f in fields(Event)) != _EVENT_FIELDS:  # a reordered Event: fail at import
    raise ImportError("engine._event_objects passes Event's fields out of their order")


def _event_objects(
    obs: ObservationArrays,
    ac: _Acoustic,
    lat: F8,
    lon: F8,
    cov_en: F8,
    semi: F8,
    has_pos: npt.NDArray[np.bool_],
    partner: IP,
    close_call: npt.NDArray[np.bool_],
    side_doubt: F8,
    absorbed: npt.NDArray[np.bool_],
    extra: dict[int, list[int]],
    launch_ray: IP,
    ray_doubt: F8,
    cfg: FuseConfig,
) -> list[Event]:
    """The Event of each group not absorbed by another: a group's partner (the
    launch paired with its impact) and ``extra`` groups (lone bearings of its
    round) join its reports. Per-group values are arrays, read as Python lists
    once; the loop only gathers members, flags and ids."""
    # values a pairing settles, per group: a paired impact is an explosion, and
    # takes its launch's weapon when it names none (``extra`` ones: in the loop)
    paired = partner >= 0
    kind = np.where(paired, EXPLOSION, ac.kind)
    weap = ac.weapon.copy()
    take = paired & (weap == UND_WEAPON)
    weap[take] = ac.weapon[partner[take]]
    # the report whose observer and bearing an event carries: a located event's
    # launch ray, an unlocated one's first report
    ray_k = np.where(has_pos, launch_ray, ac.first)
    # an unlocated event's time is its report's when the group has none
    time_s = np.where(has_pos | np.isfinite(ac.T), ac.T, obs.time_s[ray_k])
    # Python lists once: the loop below indexes lists, not numpy scalars (the same
    # floats and strings: ``tolist`` converts them exactly; ids and sources are
    # Python strings already: no numpy string round trip)
    ids_l: list[str] = obs.id.tolist()
    src_l: list[str] = obs.source.tolist()
    mem_l: list[int] = ac.members.tolist()
    bnd_l: list[int] = ac.bounds.tolist()
    lat_l: list[float] = lat.tolist()
    lon_l: list[float] = lon.tolist()
    time_l: list[float] = time_s.tolist()
    cov_l: list[tuple[float, float, float]] = list(
        zip(
            cov_en[:, 0, 0].tolist(),
            cov_en[:, 1, 1].tolist(),
            cov_en[:, 0, 1].tolist(),
            strict=True,
        )
    )
    has_l: list[bool] = has_pos.tolist()
    wide_l: list[bool] = (has_pos & (semi > cfg.wide_fix_m)).tolist()
    kind_l: list[str] = _KIND_NAMES[kind, ac.direction].tolist()
    kbd_l: list[bool] = _KIND_BY_DIR[kind, ac.direction].tolist()
    dir_l: list[str] = _DIRECTION_NAMES[ac.direction].tolist()
    weap_l: list[int] = weap.tolist()
    raw_weap_l: list[int] = ac.weapon.tolist()
    partner_l: list[int] = partner.tolist()
    close_l: list[bool] = close_call.tolist()
    side_l: list[float] = side_doubt.tolist()
    ray_l: list[int] = launch_ray.tolist()
    ray_k_l: list[int] = ray_k.tolist()
    ray_doubt_l: list[float] = ray_doubt.tolist()
    # the carried report's observer and bearing per group (read where ``ray_k`` >= 0)
    olat_l: list[float] = obs.lat[ray_k].tolist()
    olon_l: list[float] = obs.lon[ray_k].tolist()
    obear_l: list[float] = obs.bearing_deg[ray_k].tolist()
    flags_g = ac.flags
    side_min, ray_side_min = cfg.launches.side_doubt_min, cfg.rays.side_doubt_min
    # an event's flags as a sorted set, by its list's tuple: a window's events have
    # a few hundred distinct lists
    flag_sets: dict[tuple[str, ...], tuple[str, ...]] = {}
    out: list[Event] = []
    for g in np.flatnonzero(~absorbed).tolist():
        mem = mem_l[bnd_l[g] : bnd_l[g + 1]]
        flags = list(flags_g[g])
        weap_c = weap_l[g]
        launch_lat = launch_lon = None
        launch_cov: tuple[float, float, float] | None = None
        p = partner_l[g]
        if p >= 0:
            mem += mem_l[bnd_l[p] : bnd_l[p + 1]]
            flags.append("paired")
            if close_l[g]:
                flags.append("pair_close_call")
            if side_l[g] >= side_min:
                flags.append(f"{SIDE_DOUBT}{side_l[g]:.2f}")
            launch_lat, launch_lon, launch_cov = lat_l[p], lon_l[p], cov_l[p]
        if g in extra:
            for o in extra[g]:
                mem += mem_l[bnd_l[o] : bnd_l[o + 1]]
                if weap_c == UND_WEAPON:
                    weap_c = raw_weap_l[o]
            flags.append("paired")
            if ray_l[g] >= 0:
                flags.append("launch_ray")
            if ray_doubt_l[g] >= ray_side_min:
                flags.append(f"{SIDE_DOUBT}{ray_doubt_l[g]:.2f}")
        if kbd_l[g]:  # a pairing names the phase: not flagged
            flags.append(KIND_BY_DIRECTION)
        n_src = len({src_l[i] for i in mem})
        if n_src == 1 and "single_observer" not in flags:
            flags.append("single_observer")
        elif n_src > 1 and "single_observer" in flags:
            # pairing joined another observer's reports: not one observer's event
            # (corroborated by them; a located one may explain lone bearings)
            flags.remove("single_observer")
        eid = event_id([f"{src_l[i]}/{ids_l[i]}" for i in mem])
        obs_ids = tuple(sorted([ids_l[i] for i in mem]))
        if has_l[g]:
            if wide_l[g]:
                flags.append("wide_fix")
            on = ray_k_l[g] >= 0
            # positional: the fields in their order (``_EVENT_FIELDS``), ~1/3 less
            # CPU than by keyword; object, count, party and first/last seen: sightings'
            out.append(
                Event(
                    eid, kind_l[g], time_l[g], lat_l[g], lon_l[g], cov_l[g], obs_ids, n_src,
                    dir_l[g], WEAPONS[weap_c], None, 0, None, None, None, launch_lat,
                    launch_lon, launch_cov, olat_l[g] if on else None,
                    olon_l[g] if on else None, obear_l[g] if on else None,
                    _sorted_flags(flags, flag_sets),
                )
            )  # fmt: skip
        else:
            if "no_position" not in flags:
                flags.append("no_position")
            b = obear_l[g]
            out.append(
                Event(
                    eid, kind_l[g], time_l[g], None, None, None, obs_ids, n_src, dir_l[g],
                    WEAPONS[weap_c], None, 0, None, None, None, None, None, None, olat_l[g],
                    olon_l[g], b if math.isfinite(b) else None, _sorted_flags(flags, flag_sets),
                )
            )  # fmt: skip
    return out


def _sorted_flags(
    flags: list[str], known: dict[tuple[str, ...], tuple[str, ...]]
) -> tuple[str, ...]:
    """``tuple(sorted(set(flags)))``, remembered in ``known``."""
    key = tuple(flags)
    got = known.get(key)
    if got is None:
        got = known[key] = tuple(sorted(set(key)))
    return got


def _sighting_events(obs: ObservationArrays, grid: Grid, cfg: FuseConfig) -> list[Event]:
    n = len(obs)
    if n == 0:
        return []
    x, y = grid.to_xy(obs.lat, obs.lon)
    sig = np.where(np.isfinite(obs.position_sigma_m), obs.position_sigma_m, 100.0)
    _, src = np.unique(obs.source.astype(str), return_inverse=True)
    labels = track_sightings(x, y, sig, obs.time_s, obs.object, src.astype(np.intp), cfg.tracks)
    G = int(labels.max()) + 1
    w = 1.0 / sig**2
    sw = np.bincount(labels, weights=w, minlength=G)
    tx = np.bincount(labels, weights=w * x, minlength=G) / sw
    ty = np.bincount(labels, weights=w * y, minlength=G) / sw
    lat, lon = grid.to_latlon(tx, ty)
    ids = obs.id.astype(str)
    sources = obs.source.astype(str)
    keys = np.char.add(np.char.add(sources, "/"), ids)
    out: list[Event] = []
    for g, mem in enumerate(_split(labels, G)[0]):
        var = float(1.0 / sw[g])
        parties = [str(p) for p in obs.party[mem].tolist() if p is not None]
        party = None
        if parties:
            vals, cnt = np.unique(np.asarray(parties), return_counts=True)
            party = str(vals[int(np.argmax(cnt))])
        n_src = len(set(sources[mem].tolist()))
        flags = ["track"]
        if n_src == 1:
            flags.append("single_observer")
        if np.sqrt(5.991464547107979 * var) > cfg.wide_fix_m:
            flags.append("wide_fix")
        t = obs.time_s[mem]
        out.append(
            Event(
                id=event_id(keys[mem].tolist(), "tr-"),
                kind="sighting",
                time_s=float(t.min()),
                lat=float(lat[g]),
                lon=float(lon[g]),
                cov_m2=(var, var, 0.0),
                observation_ids=tuple(sorted(ids[mem].tolist())),
                n_observers=n_src,
                object=OBJECTS[int(obs.object[mem[0]])],
                count=int(obs.count[mem].max()),
                party_marked=party,
                first_seen_s=float(t.min()),
                last_seen_s=float(t.max()),
                flags=tuple(flags),
            )
        )
    return out


def fuse_whole(
    obs: ObservationArrays,
    cfg: FuseConfig,
    registration: ObserverRegistration | None = None,
    first: Association | None = None,
) -> list[Event]:
    """Fuse ``obs`` (rows in canonical order) as one window, in a grid about them;
    not corroborated (fuse/tiles.py fuses a tile with this). ``registration``: the
    observers' (default: registered from this window). ``first``: the first
    association ``registration_residuals`` made of the same rows, reused when
    ``registration`` does not matter for them."""
    grid = Grid.about(obs.lat, obs.lon)
    sight = obs.kind == K_SIGHTING
    out: list[Event] = []
    # no copy of the rows when all are of one sort (a tile's: acoustic/visual)
    n_sight = int(np.count_nonzero(sight))
    ac_obs = obs if n_sight == 0 else obs.take(np.flatnonzero(~sight))
    if len(ac_obs):
        rows = _rows(ac_obs, grid, cfg)
        ac = _fuse_acoustic(ac_obs, rows, cfg, registration, first)
        out += _acoustic_events(ac_obs, ac.rows, ac, grid, cfg)
    if n_sight:
        out += _sighting_events(obs.take(np.flatnonzero(sight)), grid, cfg)
    return out


def fuse(
    obs: ObservationArrays,
    config: FuseConfig | None = None,
    *,
    on_tile: Callable[[int, int], None] | None = None,
    span: tuple[float, float] | None = None,
    registration: ObserverRegistration | None = None,
    firsts: Firsts | None = None,
) -> list[Event]:
    """Fuse observations into events (sorted by time, then id). Deterministic: the
    same observations in any order give the same events. Acoustic and visual
    reports are fused tile by tile (fuse/tiles.py: the cut a live worker makes
    too), sightings per sector over all of ``obs``; with ``tile_s`` None the
    whole input is one window. ``span``: fuse only the tiles whose time core meets
    ``[start, end)`` (s; a day read with the tiles' margins). ``on_tile(done,
    total)`` is told as each tile is fused (for a progress display).
    ``registration``: the observers', pooled over more than ``obs`` (a day read
    in parts: ``tiles.pooled`` of each part's ``tiles.first_pass``), when
    fusion registers observers over the run. ``firsts``: the tiles' first
    associations from ``tiles.first_pass`` of the same rows (reused where
    ``registration`` does not matter for a tile)."""
    cfg = config or FuseConfig()
    if len(obs) == 0:
        return []
    # the collector off: fusing makes no reference cycles, and its young and full
    # collections walked the events and lists it makes (~3 % of the dense row's
    # CPU; the pipeline's workers pause it around their fusing likewise)
    with collector_paused():
        obs = canonical(obs)
        if cfg.tile_s is None:
            events = corroborate(
                fuse_whole(obs, cfg), cfg.corroboration, obs, cfg.speed_of_sound_m_s
            )
            if on_tile is not None:
                on_tile(1, 1)
        else:
            workers = cfg.workers if cfg.workers is not None else (os.cpu_count() or 1)
            if len(obs) < cfg.parallel_min_obs:
                workers = 1
            events = fuse_tiles(
                obs,
                cfg,
                workers=workers,
                on_tile=on_tile,
                span=span,
                registration=registration,
                firsts=firsts,
            )
            events += fuse_sightings(obs, cfg)
        events.sort(key=operator.attrgetter("time_s", "id"))
    return events


__all__ = ["Association", "fuse", "fuse_whole", "registration_residuals"]
