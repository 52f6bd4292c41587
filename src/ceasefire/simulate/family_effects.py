"""The departures from the base simulator that a scenario family switches on:
batteries firing several rounds from one spot, flight speeds that vary, observers
who misstate their σ, clocks that are off and drift, observers that go silent,
clutter in bursts. Each is a pure function of arrays and a generator; with
:data:`~ceasefire.simulate.assumptions.NEUTRAL` none of them is called.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ceasefire.simulate.assumptions import Assumptions
from ceasefire.simulate.observers import SENSOR_INDEX, Observers

F8 = npt.NDArray[np.float64]
IP = npt.NDArray[np.intp]

#: spread of the guns of one firing position about it, m (1 σ)
BURST_POSITION_SIGMA_M = 15.0


@dataclass(frozen=True)
class ObserverFaults:
    """Per observer row, shape (m,): true / stated σ, clock offset (s) and drift
    (s per s) counted from ``t_ref_s``."""

    sigma_mult: F8
    clock_offset_s: F8
    drift: F8
    t_ref_s: float

    def clock_error_s(self, observer: IP, t_s: F8) -> F8:
        """How far the clocks of ``observer`` rows are off at times ``t_s``, s."""
        return self.clock_offset_s[observer] + self.drift[observer] * (t_s - self.t_ref_s)


def observer_faults(
    obs: Observers, a: Assumptions, t_ref_s: float, rng: np.random.Generator
) -> ObserverFaults:
    """Draw each observer's σ misstatement and clock error. A patrol's rows
    (one per stop) share its source's draw: one person, one watch."""
    names, row_src = np.unique(obs.source.astype(str), return_inverse=True)
    k = names.shape[0]
    mult = a.sigma_true_mult * np.exp(rng.normal(0.0, 1.0, k) * a.sigma_observer_spread)
    gps_sensor = np.array([SENSOR_INDEX["array"], SENSOR_INDEX["mic"]])
    first = np.zeros(k, dtype=np.intp)
    first[row_src[::-1]] = np.arange(len(obs))[::-1]
    gps = np.isin(obs.sensor[first], gps_sensor)
    offset = rng.normal(0.0, 1.0, k) * np.where(gps, a.gps_offset_s, a.clock_offset_s)
    drift = np.where(gps, 0.0, rng.normal(0.0, 1.0, k) * a.clock_drift_ppm * 1e-6)
    return ObserverFaults(mult[row_src], offset[row_src], drift[row_src], t_ref_s)


def drop_out(obs: Observers, share: float, rng: np.random.Generator) -> Observers:
    """Observers with a share of their rows silent for a stretch (20-80 % of the
    row's window, anywhere in it): such a row becomes the parts before and after."""
    m = len(obs)
    hit = rng.random(m) < share
    span = obs.t1_s - obs.t0_s
    gap = rng.uniform(0.2, 0.8, m) * span
    at = obs.t0_s + rng.random(m) * (span - gap)
    rows: list[tuple[int, float, float]] = []
    for i in range(m):
        if not hit[i]:
            rows.append((i, float(obs.t0_s[i]), float(obs.t1_s[i])))
            continue
        if at[i] > obs.t0_s[i]:
            rows.append((i, float(obs.t0_s[i]), float(at[i])))
        if at[i] + gap[i] < obs.t1_s[i]:
            rows.append((i, float(at[i] + gap[i]), float(obs.t1_s[i])))
    idx = np.array([r[0] for r in rows], dtype=np.intp)
    return Observers(
        source=obs.source[idx],
        sensor=obs.sensor[idx],
        lat=obs.lat[idx],
        lon=obs.lon[idx],
        t0_s=np.array([r[1] for r in rows], dtype=np.float64),
        t1_s=np.array([r[2] for r in rows], dtype=np.float64),
    )


def burst_leaders(
    group: IP, mean: float, rng: np.random.Generator
) -> tuple[IP, npt.NDArray[np.int64]]:
    """Split each run of equal ``group`` values (one side of one engagement, in
    order) into bursts of 1 + Poisson(``mean`` - 1) rounds: per round, the index
    of its burst's first round and its place in the burst (0 for the first)."""
    n = group.shape[0]
    leader = np.arange(n, dtype=np.intp)
    place = np.zeros(n, dtype=np.int64)
    order = np.argsort(group, kind="stable")
    i = 0
    while i < n:
        j = i
        while j < n and group[order[j]] == group[order[i]]:
            j += 1
        k = i
        while k < j:
            size = 1 + int(rng.poisson(max(mean - 1.0, 0.0)))
            members = order[k : min(k + size, j)]
            leader[members] = members[0]
            place[members] = np.arange(members.shape[0])
            k += size
        i = j
    return leader, place


def burst_times(
    launch_s: F8, leader: IP, place: npt.NDArray[np.int64], spacing_s: float,
    rng: np.random.Generator,
) -> F8:  # fmt: skip
    """Launch times of bursts: the first round's time, then one round every
    ``spacing_s`` × U(0.5, 1.5) seconds."""
    if launch_s.shape[0] == 0:
        return launch_s.copy()
    gaps = np.where(place > 0, spacing_s * rng.uniform(0.5, 1.5, launch_s.shape[0]), 0.0)
    idx = np.lexsort((place, leader))
    csum = np.cumsum(gaps[idx])
    start = np.r_[0, np.flatnonzero(np.diff(leader[idx])) + 1]
    base = np.repeat(csum[start] - gaps[idx][start], np.diff(np.r_[start, idx.shape[0]]))
    out = np.empty_like(launch_s)
    out[idx] = launch_s[leader[idx]] + csum - base
    return out


def speed_factors(n: int, spread: float, rng: np.random.Generator) -> F8:
    """Per-round factors of the mean flight speed (log-normal, sd ``spread``)."""
    return np.exp(rng.normal(0.0, 1.0, n) * spread)


def clutter_episodes(
    k: npt.NDArray[np.int64], mean: float, rng: np.random.Generator
) -> tuple[IP, F8, F8]:
    """Clutter in bursts: from ``k`` Poisson counts per observer (already divided
    by ``mean``), episodes of 1 + Poisson(``mean`` - 1) reports each. Returns per
    report its observer, its episode's uniform(0, 1) position in the observer's
    window, and its delay after the episode's first report (s, a few per second)."""
    ep_obs = np.repeat(np.arange(k.shape[0], dtype=np.intp), k)
    ep_u = rng.random(ep_obs.shape[0])
    size = 1 + rng.poisson(max(mean - 1.0, 0.0), ep_obs.shape[0])
    obs_i = np.repeat(ep_obs, size)
    u = np.repeat(ep_u, size)
    first = np.repeat(np.cumsum(size) - size, size)
    within = np.arange(obs_i.shape[0]) - first
    delay = np.where(within > 0, rng.exponential(3.0, obs_i.shape[0]), 0.0)
    # cumulative within the episode
    csum = np.cumsum(delay)
    delay = csum - csum[first]
    return obs_i, u, delay
