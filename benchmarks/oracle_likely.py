"""The likelihood oracle: association by what the reports could tell, given the true rounds.

    .venv/bin/python benchmarks/oracle_likely.py [--draws 1000 1001] [--sigma-scale 0.001]

The oracle of ``oracle.py`` knows which reports belong together: more than any
system can. This one knows only what a report could tell, but knows it as well as
anything could: the draw's true rounds (launch and impact points and times) and its
true noise model (each observer's true σ, clock offset and drift, detection law,
misreport and clutter rates, as the simulator drew them: ``simulate/hearing.py``).
Each acoustic report goes to the most probable of "phase p of true round r" and
"clutter", each hypothesis weighed by its intensity at what the report says:

- phase p of round r: the probability that this observer perceives it (the
  simulator's detection law at the true distance, day or night, while the
  observer watches), times the density of the reported time (emission + sound's
  travel + the observer's true clock error, true σ) and bearing (true azimuth,
  true σ), the chance of a range (and its log-normal density) and of the reported
  event, direction and weapon class (the sensor's misreport rates);
- clutter: the observer's clutter rate per second while it watches, uniform in
  bearing (per degree), no range, its uniform event and direction, no weapon.

Reports are then grouped by their chosen phase and the rest of the system runs
exactly as under the oracle (:class:`LikelyOracle` is an :class:`oracle.Oracle`
with other groups, and every phase of every round a point). Reports are assigned
one by one (not one report per observer and phase): an optimistic bound for any
association that decides from the reports, since it is told the true rounds;
its double counts and F1 are what the reports allow.

Variants (``bench_family.py --ceilings``) know less of the noise (``World.noise``,
``World.registered``) or read where and when alone (``World.classes`` False).
``World.estimated`` replaces the true rounds by the system's own fused events of
the draw (:meth:`Hypotheses.of_events`): each located event's point, time and
weapon as fusion estimated them, its position variance folded into the bearing
and time densities. With the noise as registered, it knows only what the system
knows after one fusion; :func:`relabelled` names its choices by the truth for
:func:`agreement`.

Run alone, it checks itself on tuning draws: how many reports it assigns as the
truth does, and the F1 and double counts of the oracle and of it; with
``--sigma-scale`` the draw's sensor σ (bearing, time, range) are scaled (with
all σ tiny the two oracles must agree).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from oracle import SHIPPED, Oracle, patched, scored

from ceasefire.fuse import engine, tiles
from ceasefire.fuse.association.registration import ObserverRegistration
from ceasefire.geo import inverse
from ceasefire.mandate import load_mandate
from ceasefire.model.arrays import ObservationArrays
from ceasefire.model.results import Event
from ceasefire.model.vocab import (
    DIRECTIONS,
    EVENT_KINDS,
    KINDS,
    LAUNCH_EVENT_KINDS,
    SENSES,
    SPEED_OF_SOUND_M_S,
    WEAPONS,
)
from ceasefire.simulate.family import Draw, get_family, simulate_draw
from ceasefire.simulate.family_effects import ObserverFaults
from ceasefire.simulate.files import write_scenario
from ceasefire.simulate.hearing import MAX_L, _local_hours, _night
from ceasefire.simulate.observers import SENSOR_INDEX, Observers, SensorSpec
from ceasefire.simulate.rounds import Rounds
from ceasefire.simulate.weapons import SPEC_BY_CODE
from ceasefire.simulate.world import Scenario

F8 = npt.NDArray[np.float64]
IP = npt.NDArray[np.intp]
ROOT = Path(__file__).resolve().parents[1]
MANDATE = ROOT / "examples" / "donbas-2015" / "mandate.yaml"
#: a reported bearing is rounded to 0.01°: its rounding's variance, deg²
BEARING_ROUND_VAR = 0.01**2 / 12.0
#: a report's candidate phases: emitted at most this many σ (the report's true time σ)
#: after its time, or before it by at most the sound's travel from the farthest
#: perceivable point and as many σ
CANDIDATE_SIGMAS = 12.0
#: clutter's event kinds and directions (``hearing._with_clutter``), uniform
CLUTTER_EVENTS = tuple(
    EVENT_KINDS.index(x) for x in ("explosion", "firing", "undetermined", "shot")
)
UNDETERMINED_EVENT = EVENT_KINDS.index("undetermined")
UNDETERMINED_DIRECTION = DIRECTIONS.index("undetermined")
UNDETERMINED_WEAPON = WEAPONS.index("undetermined")
LOG_0 = -np.inf
#: likelihood ratios of a choice over its runner-up that ``agreement`` counts reports below
MARGINS = (10, 100)
#: how much of the draw's noise model a likelihood oracle may know (``World.noise``)
NOISE = ("true", "stated", "clocks", "sigmas")


@dataclass(frozen=True)
class Hypotheses:
    """The phases a report may belong to: per phase its point (lat, lon, deg), its
    emission time (s), weapon code, whether it is a launch, the variance of its
    point per axis (m²) and of its time (s²; 0: exactly known)."""

    lat: F8
    lon: F8
    t: F8
    weapon: IP
    is_launch: npt.NDArray[np.bool_]
    var_m2: F8
    t_var_s2: F8

    @staticmethod
    def of_rounds(r: Rounds) -> Hypotheses:
        """Every phase of every round, exactly: phase ``2 i`` is round i's launch,
        ``2 i + 1`` its impact."""
        n = len(r)
        return Hypotheses(
            np.column_stack([r.launch_lat, r.impact_lat]).ravel(),
            np.column_stack([r.launch_lon, r.impact_lon]).ravel(),
            np.column_stack([r.launch_s, r.impact_s]).ravel(),
            np.repeat(r.weapon.astype(np.intp), 2),
            np.tile(np.array([True, False]), n),
            np.zeros(2 * n),
            np.zeros(2 * n),
        )

    @staticmethod
    def of_events(events: Sequence[Event], obs: ObservationArrays) -> Hypotheses:
        """The located events of a fusion of ``obs`` as phases: each event's point
        and time; a paired round's launch too, at its launch point, emitted at the
        median of what its launch reports (outgoing, or a launch event) say with
        the sound's travel taken off (no launch phase when it has none). An event's
        undetermined weapon is the one the events name most. Its point's variance
        is the mean of its covariance's two axes; its time's, that of a mean (a
        median's: × π/2) of its reports' times at their stated σ."""
        named = [WEAPONS.index(e.weapon) for e in events if e.weapon != "undetermined"]
        common = int(np.bincount(named).argmax()) if named else WEAPONS.index("mortar")
        row = {str(x): i for i, x in enumerate(obs.id)}
        acoustic = obs.kind != KINDS.index("sighting")
        launchy = acoustic & (
            (obs.direction == DIRECTIONS.index("outgoing"))
            | np.isin(obs.event, [EVENT_KINDS.index(k) for k in LAUNCH_EVENT_KINDS])
        )
        heard = obs.sense != SENSES.index("seen")
        w_t = 1.0 / obs.time_sigma_s**2
        out: list[tuple[float, float, float, int, bool, float, float]] = []

        def var(cov: tuple[float, float, float] | None) -> float:
            return 0.0 if cov is None else 0.5 * (cov[0] + cov[1])

        for e in events:
            if e.lat is None or e.lon is None:
                continue
            w = common if e.weapon == "undetermined" else WEAPONS.index(e.weapon)
            m = np.array([row[x] for x in e.observation_ids], np.intp)
            paired = e.launch_lat is not None and e.launch_lon is not None
            # a paired round's impact: its time from its reports that are not the launch's
            own = m[acoustic[m] & ~(paired & launchy[m])]
            t_var = 1.0 / max(float(w_t[own].sum()), 1e-12)
            if e.launch_lat is not None and e.launch_lon is not None:
                la = m[launchy[m]]
                if la.size:
                    _, d = inverse(obs.lat[la], obs.lon[la], e.launch_lat, e.launch_lon)
                    t = float(np.median(obs.time_s[la] - heard[la] * d / SPEED_OF_SOUND_M_S))
                    tv = 0.5 * np.pi / float(w_t[la].sum())
                    out.append((e.launch_lat, e.launch_lon, t, w, True, var(e.launch_cov_m2), tv))
                out.append((e.lat, e.lon, e.time_s, w, False, var(e.cov_m2), t_var))
            else:
                launch = e.kind in LAUNCH_EVENT_KINDS
                out.append((e.lat, e.lon, e.time_s, w, launch, var(e.cov_m2), t_var))
        a = np.array(out, float).reshape(-1, 7)
        return Hypotheses(
            a[:, 0], a[:, 1], a[:, 2], a[:, 3].astype(np.intp), a[:, 4] > 0.5, a[:, 5], a[:, 6]
        )


@dataclass(frozen=True)
class World:
    """What the likelihood oracle knows of a draw: the true rounds, the observer
    rows (as placed, after dropouts), their true σ and clocks (``faults``; None:
    as stated, no clock error), the sensors' specs, the clutter multiplier, and
    the time zone (day or night detection)."""

    rounds: Rounds
    observers: Observers
    faults: ObserverFaults | None
    sensors: tuple[SensorSpec, ...]
    clutter_mult: float
    tz: Any
    start_s: float
    end_s: float
    #: per observer row, true / stated bearing σ when it differs from the time σ's
    #: (``faults.sigma_mult``); None: the same
    az_mult: F8 | None = None
    #: whether a report's range, event, direction and weapon class are read (False:
    #: where and when alone, and who reported)
    classes: bool = True
    #: the phases a report may belong to instead of the true rounds' (None: the rounds')
    events: Hypotheses | None = None
    #: the rate (per s) of phases not among ``events`` that an observer may report,
    #: uniform in bearing, whatever the report says: a report's alternative to the
    #: events besides clutter (0: none, as with the true rounds)
    other_per_s: float = 0.0

    @staticmethod
    def of(sc: Scenario, d: Draw, tz: Any) -> World:
        """The world of draw ``d`` simulated as ``sc``."""
        return World(
            sc.rounds, sc.observers, sc.faults, d.assume.sensors, d.profile.clutter_mult, tz,
            d.start_s, d.start_s + d.hours * 3600.0,
        )  # fmt: skip

    def noise(self, known: str) -> World:
        """This world with the noise known as ``known`` says (:data:`NOISE`): ``true``
        (as drawn), ``stated`` (the observers' stated σ, no clock error), ``clocks``
        (stated σ, true clocks) or ``sigmas`` (true σ, no clock error)."""
        f = self.faults
        if known == "true" or (f is None and known in NOISE):
            return self
        if known == "stated":
            return replace(self, faults=None)
        if known == "clocks":
            return replace(self, faults=replace(f, sigma_mult=np.ones_like(f.sigma_mult)))
        if known == "sigmas":
            zero = np.zeros_like(f.clock_offset_s)
            return replace(self, faults=replace(f, clock_offset_s=zero, drift=zero))
        raise ValueError(f"noise known as {known!r}: expected one of {', '.join(NOISE)}")

    def registered(self, reg: ObserverRegistration) -> World:
        """This world with the noise as the system's registration ``reg`` estimated
        it (clock offsets, σ factors of bearings and times; no drift): what the
        system knows of the noise."""
        r = reg.of(self.observers.source.astype(str))
        zero = np.zeros(len(self.observers))
        faults = ObserverFaults(r.scale_t, r.offset_s, zero, self.start_s)
        return replace(self, faults=faults, az_mult=r.scale_az)

    def estimated(
        self, events: Sequence[Event], obs: ObservationArrays, others: bool = False
    ) -> World:
        """This world with the phases of ``events`` (a fusion of ``obs``) in place of
        the true rounds' (:meth:`Hypotheses.of_events`). With ``others`` a report
        may also be of a round fusion did not locate: as many such phases as
        located ones, over the draw's span (:attr:`other_per_s`)."""
        h = Hypotheses.of_events(events, obs)
        rate = len(h.t) / max(self.end_s - self.start_s, 1.0) if others else 0.0
        return replace(self, events=h, other_per_s=rate)

    def hypotheses(self) -> Hypotheses:
        """The phases a report may belong to: ``events``, or every phase of every
        true round (phase ``2 i`` is round i's launch, ``2 i + 1`` its impact)."""
        return self.events if self.events is not None else Hypotheses.of_rounds(self.rounds)

    def phases(self) -> tuple[F8, F8, F8]:
        """Every hypothesis's point: lat, lon (deg), emission time (s)."""
        h = self.hypotheses()
        return h.lat, h.lon, h.t


def _stations(obs: ObservationArrays, observers: Observers) -> tuple[IP, F8, F8]:
    """Each report's observer: a row index (σ, clock, sensor are per observer)
    and the watch windows of every row of that observer at that spot, (n, k),
    padded with NaN."""
    windows: dict[tuple[str, float, float], list[int]] = {}
    for i in range(len(observers)):
        k = (str(observers.source[i]), float(observers.lat[i]), float(observers.lon[i]))
        windows.setdefault(k, []).append(i)
    n = len(obs)
    row = np.empty(n, np.intp)
    width = max((len(v) for v in windows.values()), default=1)
    t0 = np.full((n, width), np.nan)
    t1 = np.full((n, width), np.nan)
    for j in range(n):
        k = (str(obs.source[j]), float(obs.lat[j]), float(obs.lon[j]))
        if k not in windows:
            raise ValueError(f"report {obs.id[j]}: no observer {k[0]} at ({k[1]}, {k[2]})")
        rows = windows[k]
        row[j] = rows[0]
        t0[j, : len(rows)] = observers.t0_s[rows]
        t1[j, : len(rows)] = observers.t1_s[rows]
    return row, t0, t1


def _watching(t0: F8, t1: F8, t: F8) -> npt.NDArray[np.bool_]:
    """Whether one of the windows (rows of ``t0``, ``t1``) holds time ``t``."""
    with np.errstate(invalid="ignore"):
        return ((t0 <= t[:, None]) & (t[:, None] < t1)).any(axis=1)


def _log_normal_pdf(x: F8, var: F8) -> F8:
    return -0.5 * (x * x / var + np.log(2.0 * np.pi * var))


def _log(p: F8) -> F8:
    with np.errstate(divide="ignore"):
        return np.log(p)


@dataclass(frozen=True)
class Assignment:
    """Per report: its phase (``2 r + p``; -1: clutter, or not an acoustic
    report), the log intensity of its most intense phase, of its second, and of
    clutter (or, when ``World.other_per_s`` allows it, a round not among the
    hypotheses, whichever is more intense)."""

    phase: IP
    log_best: F8
    log_clutter: F8
    log_second: F8

    def margin(self) -> F8:
        """Per report, log of how many times its choice is more intense than the
        runner-up (a phase or clutter); inf when nothing else is possible."""
        top = np.maximum(self.log_best, self.log_clutter)
        runner = np.maximum(np.minimum(self.log_best, self.log_clutter), self.log_second)
        with np.errstate(invalid="ignore"):
            return np.where(np.isfinite(top), top - runner, np.nan)


def _log_said(
    o: ObservationArrays, j: IP, q: IP, is_launch: npt.NDArray[np.bool_], pw: IP, dist: F8,
    spec_j: Callable[[str], F8],
) -> F8:  # fmt: skip
    """Per (report ``j``, phase ``q``) pair, the log chance of what the report says
    besides where and when: a range (and its log-normal density about the true
    distance ``dist``, m), its event, direction and weapon class (the sensor's
    misreport rates about the phase's true ones)."""
    ranged = np.isfinite(o.range_m)
    share = spec_j("range_share")
    rel = spec_j("range_rel_sigma")
    with np.errstate(divide="ignore", invalid="ignore"):
        log_range = (
            _log(share)
            + _log_normal_pdf(np.log(o.range_m[j] / dist), rel**2)
            - np.log(o.range_m[j])
        )
    out = np.where(ranged[j], log_range, _log(1.0 - share))
    # misreports: the sensor's rates of a right class, of undetermined, of a wrong one
    launch_ev = np.array(
        [EVENT_KINDS.index(SPEC_BY_CODE[int(c)].launch_event) for c in pw[q]], np.intp
    ).reshape(-1)
    true_ev = np.where(is_launch[q], launch_ev, EVENT_KINDS.index("explosion"))
    ev_ok = spec_j("event_ok")
    ev = o.event[j]
    out += _log(np.where(ev == true_ev, ev_ok, np.where(ev == UNDETERMINED_EVENT, 1 - ev_ok, 0.0)))
    true_dir = np.where(is_launch[q], DIRECTIONS.index("outgoing"), DIRECTIONS.index("incoming"))
    d_ok = spec_j("direction_ok")
    di = o.direction[j]
    p_dir = np.where(
        di == true_dir,
        d_ok,
        np.where(di == UNDETERMINED_DIRECTION, 0.7 * (1 - d_ok), 0.3 * (1 - d_ok)),
    )
    out += _log(p_dir)
    w_ok = spec_j("weapon_ok")
    p_any = np.minimum(w_ok + 0.1, 1.0) - w_ok  # a random class of the real ones
    wi = o.weapon[j]
    p_w = np.where(
        wi == UNDETERMINED_WEAPON,
        1.0 - w_ok - p_any,
        p_any / (len(WEAPONS) - 1) + np.where(wi == pw[q], w_ok, 0.0),
    )
    out += _log(np.maximum(p_w, 0.0))
    return out


def assign(obs: ObservationArrays, w: World) -> Assignment:
    """Each acoustic report of ``obs`` to its most intense hypothesis in ``w``
    (a round's phase, or clutter); sightings get -1."""
    n = len(obs)
    out = Assignment(
        np.full(n, -1, np.intp), np.full(n, LOG_0), np.full(n, LOG_0), np.full(n, LOG_0)
    )
    idx = np.flatnonzero(obs.kind != KINDS.index("sighting"))
    if idx.size == 0:
        return out
    o = obs.take(idx)
    row, w0, w1 = _stations(o, w.observers)
    sens = w.observers.sensor[row].astype(np.intp)
    S = w.sensors

    def spec(attr: str) -> F8:
        return np.array([float(getattr(s, attr)) for s in S])[sens]

    mult = w.faults.sigma_mult[row] if w.faults is not None else np.ones(row.shape[0])
    tsig = spec("time_sigma_s") * mult
    bsig = spec("bearing_sigma_deg") * (mult if w.az_mult is None else w.az_mult[row])
    off = w.faults.clock_offset_s[row] if w.faults is not None else np.zeros(row.shape[0])
    drift = w.faults.drift[row] if w.faults is not None else np.zeros(row.shape[0])
    t_ref = w.faults.t_ref_s if w.faults is not None else 0.0
    is_bearing = sens != SENSOR_INDEX["mic"]
    sees = np.array([s.sees for s in S], bool)[sens]
    t = o.time_s
    ranged = np.isfinite(o.range_m)

    # clutter: the observer's rate while it watches, in [start, end)
    watch_c = _watching(w0, w1, t) & (t >= w.start_s) & (t < w.end_s)
    rate_s = spec("clutter_per_h") * w.clutter_mult / 3600.0
    log_c = _log(rate_s) + np.where(is_bearing, -np.log(360.0), 0.0)
    if w.classes:
        said = np.isin(o.event, CLUTTER_EVENTS) & ~ranged & (o.weapon == UNDETERMINED_WEAPON)
        log_c += np.where(said, -np.log(len(CLUTTER_EVENTS)) - np.log(len(DIRECTIONS)), LOG_0)
    if w.other_per_s > 0:  # or a round not among the hypotheses: free as clutter is
        log_o = np.log(w.other_per_s) + np.where(is_bearing, -np.log(360.0), 0.0)
        log_c = np.maximum(log_c, log_o)
    log_c = np.where(watch_c, log_c, LOG_0)

    # candidate phases: emitted in [t - reach, t + slack]
    h = w.hypotheses()
    plat, plon, pt, pw, is_launch = h.lat, h.lon, h.t, h.weapon, h.is_launch
    l50 = np.array(
        [SPEC_BY_CODE[int(c)].launch_l50_m if la else SPEC_BY_CODE[int(c)].impact_l50_m
         for c, la in zip(pw, is_launch, strict=True)], float,
    ).reshape(-1)  # fmt: skip
    night = _night(_local_hours(pt, w.tz)) if pt.size else np.zeros(0, bool)
    order = np.argsort(pt, kind="stable")
    far = MAX_L * float(l50.max(initial=0.0)) * max(max(s.l50_day, s.l50_night) for s in S)
    clock = np.abs(off) + np.abs(drift) * (np.abs(t - t_ref) + 1.0)
    slack = CANDIDATE_SIGMAS * tsig + clock + 1e-3
    lo = np.searchsorted(pt[order], t - far / SPEED_OF_SOUND_M_S - slack, "left")
    hi = np.searchsorted(pt[order], t + slack, "right")
    cnt = hi - lo
    j = np.repeat(np.arange(idx.size), cnt)
    q = order[np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt) + np.repeat(lo, cnt)]
    if q.size:
        az, dist = inverse(o.lat[j], o.lon[j], plat[q], plon[q])
    else:
        az = dist = np.zeros(0)
    sj = sens[j]

    def spec_j(attr: str) -> F8:
        return np.array([float(getattr(s, attr)) for s in S])[sj]

    small = np.isin(pw[q], [WEAPONS.index("small_arms"), WEAPONS.index("heavy_machine_gun")])
    ll = l50[q] * np.where(night[q], spec_j("l50_night"), spec_j("l50_day"))
    ll = ll * np.where(small, spec_j("small_arms_mult"), 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_det = spec_j("p0") / (1.0 + (dist / ll) ** 4)
    heard = (ll > 0) & (dist < MAX_L * ll) & (dist > 20.0) & _watching(w0[j], w1[j], pt[q])
    log_r = _log(np.where(heard, p_det, 0.0))
    t_pred = pt[q] + np.where(sees[j], 0.0, dist / SPEED_OF_SOUND_M_S)
    resid = t[j] - t_pred - (off[j] + drift[j] * (t_pred - t_ref))
    # an estimated point's variance spreads the sound's travel and the azimuth, its
    # time's the emission
    pv = h.var_m2[q]
    t_var = tsig[j] ** 2 + h.t_var_s2[q] + np.where(sees[j], 0.0, pv / SPEED_OF_SOUND_M_S**2)
    log_r += _log_normal_pdf(resid, t_var)
    db = (o.bearing_deg[j] - az + 180.0) % 360.0 - 180.0
    with np.errstate(divide="ignore", invalid="ignore"):
        az_var = np.where(pv > 0, pv / np.maximum(dist, 1.0) ** 2 * np.degrees(1.0) ** 2, 0.0)
    b_var = bsig[j] ** 2 + BEARING_ROUND_VAR + az_var
    log_r += np.where(is_bearing[j], _log_normal_pdf(db, b_var), 0.0)
    if w.classes:
        log_r += _log_said(o, j, q, is_launch, pw, dist, spec_j)
    log_r = np.where(np.isnan(log_r), LOG_0, log_r)

    # the most intense phase of each report, then against clutter
    best = np.full(idx.size, LOG_0)
    best_q = np.full(idx.size, -1, np.intp)
    if q.size:
        pick = np.lexsort((-log_r, j))
        first = np.r_[True, j[pick][1:] != j[pick][:-1]]
        at = pick[first]
        best[j[at]] = log_r[at]
        best_q[j[at]] = q[at]
        starts = np.flatnonzero(first)
        two = np.diff(np.r_[starts, pick.size]) >= 2  # the report has a second candidate
        sec = pick[starts[two] + 1]
        out.log_second[idx[j[sec]]] = log_r[sec]
    real = np.isfinite(best) & (best > log_c)
    out.phase[idx] = np.where(real, best_q, -1)
    out.log_best[idx] = best
    out.log_clutter[idx] = log_c
    return out


def kept_registration() -> tuple[list[ObserverRegistration], Any]:
    """Keep every registration fusion pools over its tiles (``tiles.pooled``) in the
    list returned, until the undo returned is called."""
    got: list[ObserverRegistration] = []
    orig = tiles.pooled

    def pooled(*args: Any) -> ObserverRegistration:
        got.append(orig(*args))
        return got[-1]

    tiles.pooled = pooled  # type: ignore[assignment]

    def undo() -> None:
        tiles.pooled = orig  # type: ignore[assignment]

    return got, undo


def kept_events() -> tuple[list[list[Event]], Any]:
    """Keep the events of every fusion (``engine.fuse``) in the list returned, until
    the undo returned is called."""
    got: list[list[Event]] = []
    orig = engine.fuse

    def fuse(*args: Any, **kw: Any) -> list[Event]:
        got.append(orig(*args, **kw))
        return got[-1]

    engine.fuse = fuse  # type: ignore[assignment]

    def undo() -> None:
        engine.fuse = orig  # type: ignore[assignment]

    return got, undo


def noise_told(sc: Scenario) -> Scenario:
    """``sc`` as observers who knew their own noise would report it: each acoustic
    report's time less its observer's true clock error (offset and drift, read at
    the reported time: off by drift x error, < 1 ms), and its stated bearing and
    time σ the true ones (stated x ``faults.sigma_mult``). Sightings, ranges and
    the truth are unchanged; without drawn faults, ``sc`` itself. Fused as shipped
    (or under the oracle) it measures what perfect knowledge of the noise gives."""
    f = sc.faults
    if f is None:
        return sc
    obs = sc.observations
    ac = np.flatnonzero(obs.kind != KINDS.index("sighting"))
    row, _, _ = _stations(obs.take(ac), sc.observers)
    t = obs.time_s.copy()
    t[ac] = t[ac] - f.clock_error_s(row, t[ac])
    t_sig = obs.time_sigma_s.copy()
    t_sig[ac] = t_sig[ac] * f.sigma_mult[row]
    b_sig = obs.bearing_sigma_deg.copy()
    b_sig[ac] = b_sig[ac] * f.sigma_mult[row]  # NaN (microphones) stays NaN
    told = replace(obs, time_s=t, time_sigma_s=t_sig, bearing_sigma_deg=b_sig)
    return replace(sc, observations=told.take(np.lexsort((told.id, told.time_s))))


class LikelyOracle(Oracle):
    """An :class:`Oracle` whose groups are :func:`assign`'s phases: every phase of
    every round is a point (``2 r + p``), and a report joins the phase it chose."""

    def __init__(self, truth: dict[str, Any], obs: ObservationArrays, w: World) -> None:
        super().__init__(truth)
        self.assignment = assign(obs, w)
        lat, lon, t = w.phases()
        self.lat, self.lon, self.T = lat, lon, t
        ph = self.assignment.phase
        self.group = {str(obs.id[i]): int(ph[i]) for i in np.flatnonzero(ph >= 0)}


def true_phases(truth: dict[str, Any], obs: ObservationArrays) -> IP:
    """Per report of ``obs``, its true phase (``2 r + p``, in the truth's order of
    rounds), -1 for clutter and sightings."""
    g: dict[str, int] = {}
    for i, r in enumerate(truth["rounds"]):
        for p, phase in enumerate(("launch", "impact")):
            for x in r[f"{phase}_observations"]:
                g[x] = 2 * i + p
    return np.array([g.get(str(x), -1) for x in obs.id], np.intp)


def relabelled(truth: dict[str, Any], obs: ObservationArrays, a: Assignment) -> Assignment:
    """``a`` (over hypotheses that are not the true rounds' phases) with each
    hypothesis named as the true phase (``2 r + p``) most of the real reports it
    was given belong to; a hypothesis given only clutter gets a label of its own
    beyond every true phase (so its reports count as clutter given a round)."""
    tp = true_phases(truth, obs)
    got = a.phase
    name = np.full(int(got.max(initial=-1)) + 1, -1, np.intp)
    if name.size == 0:  # no report chose a hypothesis
        return a
    pair = (got >= 0) & (tp >= 0)
    if pair.any():
        # per hypothesis, its most frequent true phase (ties: the lowest)
        keys, n = np.unique(np.column_stack([got[pair], tp[pair]]), axis=0, return_counts=True)
        order = np.lexsort((keys[:, 1], -n, keys[:, 0]))
        first = np.r_[True, keys[order][1:, 0] != keys[order][:-1, 0]]
        best = keys[order][first]
        name[best[:, 0]] = best[:, 1]
    fresh = name < 0
    name[fresh] = 2 * len(truth["rounds"]) + np.arange(int(fresh.sum()))
    return replace(a, phase=np.where(got >= 0, name[np.maximum(got, 0)], -1))


def agreement(truth: dict[str, Any], obs: ObservationArrays, a: Assignment) -> dict[str, int]:
    """How :func:`assign`'s choices compare with the truth, over the acoustic
    reports: right, a real report called clutter, clutter given a round, a real
    report given the other phase of its round, or another round; and how many
    (and of them wrong) were chosen by a likelihood ratio below each of
    :data:`MARGINS` over the runner-up."""
    ac = obs.kind != KINDS.index("sighting")
    tp, got = true_phases(truth, obs)[ac], a.phase[ac]
    real = tp >= 0
    margin = a.margin()[ac]
    return {
        **{f"margin_below_{k}": int((margin < np.log(float(k))).sum()) for k in MARGINS},
        **{
            f"wrong_margin_below_{k}": int(((margin < np.log(float(k))) & (tp != got)).sum())
            for k in MARGINS
        },
        "reports": int(ac.sum()),
        "right": int((tp == got).sum()),
        "real_as_clutter": int((real & (got < 0)).sum()),
        "clutter_as_real": int((~real & (got >= 0)).sum()),
        "other_phase": int((real & (got >= 0) & (got != tp) & (got // 2 == tp // 2)).sum()),
        "other_round": int((real & (got >= 0) & (got // 2 != tp // 2)).sum()),
    }


def scaled_sigmas(d: Draw, scale: float) -> Draw:
    """Draw ``d`` with every sensor's stated (and so true) σ of bearing, time and
    range × ``scale``."""
    sensors = tuple(
        replace(
            s,
            bearing_sigma_deg=s.bearing_sigma_deg * scale,
            time_sigma_s=s.time_sigma_s * scale,
            range_rel_sigma=s.range_rel_sigma * scale,
        )
        for s in d.assume.sensors
    )
    return replace(d, assume=replace(d.assume, sensors=sensors))


def check_draw(k: int, scale: float | None, tile_s: float | str | None) -> dict[str, Any]:
    """Draw ``k`` (σ × ``scale``, if given): agreement of the likelihood oracle
    with the truth, and the F1 and double counts of both oracles."""
    m = load_mandate(MANDATE)
    d = get_family("varied").draw(m, k)
    if scale is not None:
        d = scaled_sigmas(d, scale)
    sc = simulate_draw(m, d)
    t0, t1 = d.start_s, d.start_s + d.hours * 3600.0
    out: dict[str, Any] = {"draw": k}
    with tempfile.TemporaryDirectory() as tmp:
        path = write_scenario(Path(tmp), sc.observations, sc.truth)["observations"]
        for name, orc in (
            ("oracle", Oracle(sc.truth)),
            ("likely", LikelyOracle(sc.truth, sc.observations, World.of(sc, d, m.tz))),
        ):
            undo = patched(orc)
            try:
                s, _ = scored(sc, m, t0, t1, path, tile_s)
            finally:
                undo()
            out[name] = {"f1": s["f1"], "doubles": s["double_counts"], "system": s["system"]}
            if isinstance(orc, LikelyOracle):
                out["agreement"] = agreement(sc.truth, sc.observations, orc.assignment)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--draws", type=int, nargs="+", default=[1000, 1001])
    ap.add_argument("--sigma-scale", type=float, help="× every sensor's σ (e.g. 0.001)")
    a = ap.parse_args()
    if any(0 <= k < 1000 for k in a.draws):
        ap.error("check on tuning draws (K >= 1000): the test draws are for measuring only")
    for k in a.draws:
        r = check_draw(k, a.sigma_scale, SHIPPED)
        g = r["agreement"]
        print(
            f"draw {k}: {g['right']} of {g['reports']} reports as the truth "
            f"({g['real_as_clutter']} real as clutter, {g['clutter_as_real']} clutter as real, "
            f"{g['other_phase']} other phase, {g['other_round']} other round); F1 oracle "
            f"{r['oracle']['f1']:.4f} likely {r['likely']['f1']:.4f}; double counts "
            f"{r['oracle']['doubles']} / {r['likely']['doubles']} of "
            f"{r['oracle']['system']} / {r['likely']['system']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
