"""What the observers perceive of the rounds: detection probability falling
with distance and loudness, bearings with each sensor's noise, sound delay at
343 m/s (none for a sensor that sees: a camera) plus clock error, rough ranges
for some, misread classes, clutter.

Detection: p(d) = p0 / (1 + (d / L)⁴) with L the weapon's 50 % distance times
the sensor's day or night factor; beyond 2.5 L nothing is perceived.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from ceasefire.geo import LocalFrame, inverse
from ceasefire.model.vocab import DIRECTIONS, EVENT_KINDS, SPEED_OF_SOUND_M_S, WEAPONS
from ceasefire.simulate.family_effects import ObserverFaults, clutter_episodes
from ceasefire.simulate.observers import SENSOR_INDEX, SENSORS, Observers, SensorSpec
from ceasefire.simulate.rounds import Rounds
from ceasefire.simulate.weapons import SPEC_BY_CODE

F8 = npt.NDArray[np.float64]
I8 = npt.NDArray[np.int8]
I4 = npt.NDArray[np.int64]
LAUNCH, IMPACT, CLUTTER = 0, 1, 2
MAX_L = 2.5


@dataclass(frozen=True)
class Perceived:
    """One row per report. ``round`` is the round index (-1 for clutter),
    ``phase`` LAUNCH, IMPACT or CLUTTER; ``observer`` the observer row."""

    round: I4
    phase: I8
    observer: I4
    time_s: F8
    bearing_deg: F8
    range_m: F8
    range_sigma_m: F8
    event: I8
    direction: I8
    weapon: I8

    def __len__(self) -> int:
        return int(self.round.shape[0])


def _night(tz_hours: F8) -> npt.NDArray[np.bool_]:
    return (tz_hours < 6.0) | (tz_hours >= 20.0)


def _local_hours(times: F8, tz: object) -> F8:
    """Local hour of day (float) of epoch times, via one offset per hour bucket."""
    if times.size == 0:
        return times
    base = np.floor(times / 3600.0) * 3600.0
    uniq, inv = np.unique(base, return_inverse=True)
    offs = np.array([datetime.fromtimestamp(u, tz).utcoffset().total_seconds() for u in uniq])  # type: ignore[arg-type, union-attr]
    return ((times + offs[inv]) % 86400.0) / 3600.0


def perceive(
    rounds: Rounds,
    obs: Observers,
    frame: LocalFrame,
    tz: object,
    rng: np.random.Generator,
    clutter_mult: float = 1.0,
    start_s: float = 0.0,
    end_s: float = 0.0,
    *,
    sensors: tuple[SensorSpec, ...] = SENSORS,
    faults: ObserverFaults | None = None,
    clutter_burst_mean: float = 1.0,
    rng_x: np.random.Generator | None = None,
) -> Perceived:
    """Every report of every observer: real detections, then clutter.

    ``sensors`` replace the base specs; ``faults`` (true / stated σ, clocks) and
    clutter in bursts of ``clutter_burst_mean`` reports draw from ``rng_x``."""
    ox, oy = frame.to_xy(obs.lat, obs.lon)
    tree = cKDTree(np.column_stack([ox, oy]))
    sensor = obs.sensor.astype(np.int64)
    p0 = np.array([s.p0 for s in sensors])[sensor]
    l_day = np.array([s.l50_day for s in sensors])[sensor]
    l_night = np.array([s.l50_night for s in sensors])[sensor]
    sa_mult = np.array([s.small_arms_mult for s in sensors])[sensor]
    parts: list[dict[str, np.ndarray]] = []
    for phase in (LAUNCH, IMPACT):
        lat = rounds.launch_lat if phase == LAUNCH else rounds.impact_lat
        lon = rounds.launch_lon if phase == LAUNCH else rounds.impact_lon
        t_emit = rounds.launch_s if phase == LAUNCH else rounds.impact_s
        ex, ey = frame.to_xy(lat, lon)
        night = _night(_local_hours(t_emit, tz))
        for code, spec in SPEC_BY_CODE.items():
            l50 = spec.launch_l50_m if phase == LAUNCH else spec.impact_l50_m
            sel = np.flatnonzero(rounds.weapon == code)
            if l50 <= 0 or sel.size == 0:
                continue
            radius = MAX_L * l50 * float(max(l_day.max(), l_night.max()))
            rt = cKDTree(np.column_stack([ex[sel], ey[sel]]))
            pairs = rt.sparse_distance_matrix(tree, radius, output_type="ndarray")
            if pairs.size == 0:
                continue
            ri = sel[pairs["i"]]
            oi = pairs["j"].astype(np.int64)
            d = pairs["v"]
            small = spec.name in ("small_arms", "heavy_machine_gun")
            ll = l50 * np.where(night[ri], l_night[oi], l_day[oi]) * (sa_mult[oi] if small else 1.0)
            p = p0[oi] / (1.0 + (d / ll) ** 4)
            hit = (rng.random(d.shape[0]) < p) & (d < MAX_L * ll) & (d > 20.0)
            # the observer must be watching then (patrol stops, windows)
            hit &= (t_emit[ri] >= obs.t0_s[oi]) & (t_emit[ri] < obs.t1_s[oi])
            ri, oi = ri[hit], oi[hit]
            parts.append(
                {
                    "round": ri,
                    "phase": np.full(ri.shape, phase, dtype=np.int8),
                    "observer": oi,
                    "lat": lat[ri],
                    "lon": lon[ri],
                    "t_emit": t_emit[ri],
                }
            )
    det = {
        k: np.concatenate([p[k] for p in parts]) if parts else np.zeros(0)
        for k in ("round", "phase", "observer", "lat", "lon", "t_emit")
    }
    ri = det["round"].astype(np.int64)
    oi = det["observer"].astype(np.int64)
    ph = det["phase"].astype(np.int8)
    n = ri.shape[0]
    az, dist = inverse(obs.lat[oi], obs.lon[oi], det["lat"], det["lon"])
    sens = sensor[oi]
    bsig = np.array([s.bearing_sigma_deg for s in sensors])[sens]
    tsig = np.array([s.time_sigma_s for s in sensors])[sens]
    if faults is not None:
        bsig = bsig * faults.sigma_mult[oi]
        tsig = tsig * faults.sigma_mult[oi]
    bearing = (az + rng.normal(0, 1, n) * bsig) % 360.0
    sees = np.array([s.sees for s in sensors], dtype=bool)[sens]
    t_emit = det["t_emit"]
    time_s = np.where(sees, t_emit, t_emit + dist / SPEED_OF_SOUND_M_S) + rng.normal(0, 1, n) * tsig
    if faults is not None:
        time_s = time_s + faults.clock_error_s(oi, time_s)
    with_range = rng.random(n) < np.array([s.range_share for s in sensors])[sens]
    rel = np.array([s.range_rel_sigma for s in sensors])[sens]
    range_m = np.where(with_range, dist * np.exp(rng.normal(0, 1, n) * rel), np.nan)
    range_sigma = np.where(with_range, rel * range_m, np.nan)
    wcode = rounds.weapon[ri]
    launch_event = np.array(
        [EVENT_KINDS.index(SPEC_BY_CODE[int(w)].launch_event) for w in range(len(WEAPONS) - 1)]
        + [0]
    )
    event = np.where(ph == LAUNCH, launch_event[wcode], EVENT_KINDS.index("explosion"))
    event_ok = np.array([s.event_ok for s in sensors])[sens]
    event = np.where(rng.random(n) < event_ok, event, EVENT_KINDS.index("undetermined"))
    direction = np.where(ph == LAUNCH, DIRECTIONS.index("outgoing"), DIRECTIONS.index("incoming"))
    dir_ok = np.array([s.direction_ok for s in sensors])[sens]
    u = rng.random(n)
    wrong = (u >= dir_ok) & (u < dir_ok + 0.3 * (1 - dir_ok))  # a few are the opposite class
    direction = np.where(
        u < dir_ok, direction, np.where(wrong, 1 - direction, DIRECTIONS.index("undetermined"))
    )
    w_ok = np.array([s.weapon_ok for s in sensors])[sens]
    u = rng.random(n)
    weapon = np.where(
        u < w_ok,
        wcode,
        np.where(
            u < w_ok + 0.1, rng.integers(0, len(WEAPONS) - 1, n), WEAPONS.index("undetermined")
        ),
    )
    real = Perceived(
        round=ri,
        phase=ph,
        observer=oi,
        time_s=time_s,
        bearing_deg=np.where(sens == SENSOR_INDEX["mic"], np.nan, bearing),
        range_m=range_m,
        range_sigma_m=range_sigma,
        event=event.astype(np.int8),
        direction=direction.astype(np.int8),
        weapon=weapon.astype(np.int8),
    )
    burst = (clutter_burst_mean, rng_x) if clutter_burst_mean > 1.0 and rng_x else None
    return _with_clutter(real, obs, rng, clutter_mult, start_s, end_s, sensors, burst)


def _with_clutter(
    real: Perceived,
    obs: Observers,
    rng: np.random.Generator,
    mult: float,
    start_s: float,
    end_s: float,
    sensors: tuple[SensorSpec, ...] = SENSORS,
    burst: tuple[float, np.random.Generator] | None = None,
) -> Perceived:
    """Add false reports: each observer at its sensor's clutter rate while active;
    with ``burst`` (mean size, generator) in episodes of reports seconds apart
    from about one direction, at the same mean rate."""
    sensor = obs.sensor.astype(np.int64)
    rate_h = np.array([s.clutter_per_h for s in sensors])[sensor] * mult
    active_h = np.clip(
        (np.minimum(obs.t1_s, end_s) - np.maximum(obs.t0_s, start_s)) / 3600.0, 0, None
    )
    lo, hi = np.maximum(obs.t0_s, start_s), np.minimum(obs.t1_s, end_s)
    if burst is None:
        k = rng.poisson(rate_h * active_h)
        oi = np.repeat(np.arange(len(obs)), k)
        n = oi.shape[0]
        t = rng.uniform(lo[oi], hi[oi])
    else:
        mean, rx = burst
        oi, u, delay = clutter_episodes(rx.poisson(rate_h * active_h / mean), mean, rx)
        n = oi.shape[0]
        t = np.minimum(lo[oi] + u * (hi[oi] - lo[oi]) + delay, np.nextafter(hi[oi], -np.inf))
    is_mic = sensor[oi] == SENSOR_INDEX["mic"]
    az = rng.uniform(0, 360, n)
    if burst is not None and n:
        # an episode's reports point about one way (a stray source, an echo)
        first = np.r_[True, (oi[1:] != oi[:-1]) | (np.diff(t) > 60.0)]
        head = np.maximum.accumulate(np.where(first, np.arange(n), 0))
        az = (az[head] + burst[1].normal(0, 3.0, n)) % 360.0
    clutter = Perceived(
        round=np.full(n, -1, dtype=np.int64),
        phase=np.full(n, CLUTTER, dtype=np.int8),
        observer=oi,
        time_s=t,
        bearing_deg=np.where(is_mic, np.nan, az),
        range_m=np.full(n, np.nan),
        range_sigma_m=np.full(n, np.nan),
        event=rng.choice(
            [EVENT_KINDS.index(x) for x in ("explosion", "firing", "undetermined", "shot")], n
        ).astype(np.int8),
        direction=rng.integers(0, 3, n).astype(np.int8),
        weapon=np.full(n, WEAPONS.index("undetermined"), dtype=np.int8),
    )
    cols = {
        f: np.concatenate([getattr(real, f), getattr(clutter, f)])
        for f in Perceived.__dataclass_fields__
    }
    order = np.lexsort((cols["observer"], cols["time_s"]))
    return Perceived(**{f: v[order] for f, v in cols.items()})
