"""Rounds fired: engagements clustered in hot spots and bursting in time with a
day/night rhythm; launch points on the firing party's side at a depth typical
for the weapon, impacts mostly across the line (some short), flight times from
range and mean speed. All arrays have shape ``(n_rounds,)``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from ceasefire.geo import azimuth_deg, distance_m, forward
from ceasefire.mandate import Mandate
from ceasefire.model.vocab import WEAPONS
from ceasefire.simulate.along import line_length_m, offset_point
from ceasefire.simulate.assumptions import NEUTRAL, Assumptions
from ceasefire.simulate.family_effects import (
    BURST_POSITION_SIGMA_M,
    burst_leaders,
    burst_times,
    speed_factors,
)
from ceasefire.simulate.profiles import Profile

F8 = npt.NDArray[np.float64]
I8 = npt.NDArray[np.int8]

#: Relative firing intensity by local hour (OSCE reports: most at dusk and night).
HOURLY = np.array(
    [1.6, 1.4, 1.1, 0.8, 0.6, 0.5, 0.5, 0.6, 0.7, 0.8, 0.8, 0.8,
     0.8, 0.8, 0.9, 1.0, 1.1, 1.3, 1.6, 1.9, 2.0, 2.0, 1.9, 1.8]
)  # fmt: skip


@dataclass(frozen=True)
class Rounds:
    """Every round: weapon code, party side (+1 left / -1 right), launch and impact."""

    weapon: I8
    side: I8
    launch_lat: F8
    launch_lon: F8
    launch_s: F8
    impact_lat: F8
    impact_lon: F8
    impact_s: F8
    chainage_m: F8

    def __len__(self) -> int:
        return int(self.weapon.shape[0])


def _hour_weights(m: Mandate, start_s: float, end_s: float) -> tuple[F8, F8]:
    """Hour starts in [start_s, end_s) and their intensity weights."""
    starts = np.arange(start_s, end_s, 3600.0)
    hours = np.array([datetime.fromtimestamp(t, m.tz).hour for t in starts])
    return starts, HOURLY[hours]


def fire_rounds(
    m: Mandate,
    profile: Profile,
    start_s: float,
    end_s: float,
    rng: np.random.Generator,
    assume: Assumptions = NEUTRAL,
    rng_x: np.random.Generator | None = None,
) -> Rounds:
    """Draw the rounds of [start_s, end_s) (on ``assume.span_m`` when set).
    ``rng_x`` draws what non-neutral ``assume`` adds (bursts, speed spread)."""
    line = m.contact
    a0, a1 = assume.span_m if assume.span_m is not None else (0.0, line_length_m(line))
    length = a1 - a0
    rng_x = rng_x if rng_x is not None else np.random.default_rng(0)
    hours = (end_s - start_s) / 3600.0
    n_eng = int(rng.poisson(profile.rounds_per_day * hours / 24.0 / profile.rounds_per_engagement))
    # engagements: where (hot spots or anywhere), when (hourly rhythm), who, what
    centres = a0 + rng.uniform(0.03, 0.97, profile.hotspots) * length
    hot = rng.random(n_eng) < profile.hotspot_share
    ch = np.where(
        hot,
        centres[rng.integers(0, profile.hotspots, n_eng)]
        + rng.normal(0, profile.hotspot_sigma_m, n_eng),
        rng.uniform(a0, a1, n_eng),
    )
    ch = np.clip(ch, a0 + 500.0, a1 - 500.0)
    hstart, w = _hour_weights(m, start_s, end_s)
    t_eng = hstart[rng.choice(len(hstart), n_eng, p=w / w.sum())] + rng.uniform(0, 3600.0, n_eng)
    dur = rng.exponential(profile.engagement_s, n_eng) + 60.0
    specs = assume.weapons
    shares = np.array([s.share for s in specs])
    w_eng = rng.choice(len(specs), n_eng, p=shares / shares.sum())
    side_eng = np.where(rng.random(n_eng) < 0.5, 1, -1)
    k = rng.poisson(profile.rounds_per_engagement - 1, n_eng) + 1
    return engagement_rounds(m, ch, t_eng, dur, w_eng, side_eng, k, rng, assume=assume, rng_x=rng_x)


def engagement_rounds(
    m: Mandate,
    ch: F8,
    t_eng: F8,
    dur: F8,
    w_eng: npt.NDArray[np.int64],
    side_eng: npt.NDArray[np.int64],
    k: npt.NDArray[np.int64],
    rng: np.random.Generator,
    own_share: float | None = None,
    *,
    assume: Assumptions = NEUTRAL,
    rng_x: np.random.Generator | None = None,
) -> Rounds:
    """The rounds of engagements at chainage ``ch`` (m), starting at ``t_eng`` (s)
    for ``dur`` (s), of weapon index ``w_eng`` (into ``assume.weapons``), begun by
    side ``side_eng``, with ``k`` rounds each; ``own_share`` of them (default: all
    but ``assume.return_share``) come from the side that began it (the rest is
    return fire). ``rng_x`` draws what non-neutral ``assume`` adds."""
    line = m.contact
    a0, a1 = assume.span_m if assume.span_m is not None else (0.0, line_length_m(line))
    rng_x = rng_x if rng_x is not None else np.random.default_rng(0)
    specs = assume.weapons
    own = 1.0 - assume.return_share if own_share is None else own_share
    n_eng = ch.shape[0]
    e = np.repeat(np.arange(n_eng), k)
    n = e.shape[0]
    spec = [specs[i] for i in w_eng]
    depth_min = np.array([s.depth_min_m for s in spec])[e]
    depth_max = np.array([s.depth_max_m for s in spec])[e]
    rmin = np.array([s.range_min_m for s in spec])[e]
    rmax = np.array([s.range_max_m for s in spec])[e]
    speed = np.array([s.speed_m_s for s in spec])[e]
    # return fire: the rest of an engagement's rounds come from the other side
    side = np.where(rng.random(n) < own, side_eng[e], -side_eng[e]).astype(np.int8)
    # a battery per engagement and side: launch points within ~200 m of it
    battery_depth = rng.uniform(depth_min, depth_max)
    l_ch = ch[e] + rng.normal(0, assume.battery_sigma_m, n)
    l_ch = np.clip(l_ch, a0, a1)
    l_depth = battery_depth + rng.normal(0, 100.0, n).clip(-50, 50)
    if assume.burst_mean > 1.0:
        # several rounds from one firing position: a burst shares its first round's spot
        leader, place = burst_leaders(e * 2 + (side > 0), assume.burst_mean, rng_x)
        l_ch = np.clip(l_ch[leader] + rng_x.normal(0, BURST_POSITION_SIGMA_M, n), a0, a1)
        l_depth = l_depth[leader] + rng_x.normal(0, BURST_POSITION_SIGMA_M, n)
    llat, llon = offset_point(line, l_ch, side, l_depth)
    # aim: positions of the other side lie 0.1-3 km beyond the line; some short
    short = rng.random(n) < assume.short_share
    t_ch = np.clip(l_ch + rng.normal(0, 1500.0, n), a0, a1)
    t_depth = np.where(
        short, rng.uniform(0.1, 0.6, n) * battery_depth, rng.uniform(100.0, 3000.0, n)
    )
    t_side = np.where(short, side, -side)
    tlat, tlon = offset_point(line, t_ch, t_side, t_depth)
    az = azimuth_deg(llat, llon, tlat, tlon)
    rng_m = np.clip(distance_m(llat, llon, tlat, tlon), rmin, rmax)
    ilat, ilon = forward(llat, llon, az, rng_m)
    launch_s = t_eng[e] + rng.uniform(0, 1, n) * dur[e]
    if assume.burst_mean > 1.0:
        launch_s = burst_times(launch_s, leader, place, assume.burst_spacing_s, rng_x)
    if assume.speed_spread > 0.0:
        speed = speed * speed_factors(n, assume.speed_spread, rng_x)
    order = np.argsort(launch_s, kind="stable")
    wcode = np.array([WEAPONS.index(s.name) for s in specs], dtype=np.int8)[w_eng][e]
    return Rounds(
        weapon=wcode[order],
        side=side[order],
        launch_lat=llat[order],
        launch_lon=llon[order],
        launch_s=launch_s[order],
        impact_lat=ilat[order],
        impact_lon=ilon[order],
        impact_s=(launch_s + rng_m / speed)[order],
        chainage_m=l_ch[order],
    )
