"""The mission's observers: fixed posts, cameras, acoustic arrays with their
GPS-timed microphones, and patrols that move from stop to stop by day.

Every observer is a row of :class:`Observers` with an active time window; a
patrol is one row per stop (same ``source``). Posts, cameras and arrays stand
on both sides of the line, as the OSCE's did.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

from ceasefire.geo import forward
from ceasefire.mandate import Mandate
from ceasefire.simulate.along import line_length_m, offset_point
from ceasefire.simulate.profiles import Profile

F8 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class SensorSpec:
    """How one type of observer perceives (σ are 1-sigma).

    ``l50_day``/``l50_night`` multiply a weapon's 50 % detection distance;
    ``small_arms_mult`` further scales it for bullets (quiet for microphones);
    ``p0`` is the detection probability at zero distance; ``*_ok`` the
    probability that a reported class is right; ``clutter_per_h`` the rate of
    false reports; ``uav_*`` how it sights a passing drone; ``sees``: it perceives
    a launch or an impact by its light (a flash, a burst on a camera: no delay), not
    by its sound.
    """

    name: str
    kind: str
    bearing_sigma_deg: float
    time_sigma_s: float
    range_share: float
    range_rel_sigma: float
    p0: float
    l50_day: float
    l50_night: float
    small_arms_mult: float
    weapon_ok: float
    direction_ok: float
    event_ok: float
    clutter_per_h: float
    uav_p_per_min: float
    uav_range_m: float
    uav_sigma_m: float
    sees: bool = False


SENSORS: tuple[SensorSpec, ...] = (
    SensorSpec("post", "bearing", 5.0, 2.0, 0.3, 0.3, 0.9, 1.0, 1.3, 1.0, 0.7, 0.85, 0.9,
               0.15, 0.06, 3_000.0, 400.0),
    SensorSpec("patrol", "bearing", 7.0, 2.0, 0.3, 0.35, 0.85, 1.0, 1.3, 1.0, 0.6, 0.8, 0.85,
               0.2, 0.06, 3_000.0, 500.0),
    SensorSpec("camera", "bearing", 1.0, 0.2, 0.0, 0.0, 0.95, 0.6, 1.6, 0.7, 0.5, 0.9, 0.9,
               0.1, 0.15, 4_000.0, 200.0, sees=True),
    SensorSpec("array", "bearing", 0.5, 0.005, 0.0, 0.0, 0.95, 1.8, 2.0, 0.5, 0.3, 0.9, 0.8,
               1.0, 0.0, 0.0, 0.0),
    SensorSpec("mic", "arrival", 0.0, 0.003, 0.0, 0.0, 0.95, 1.8, 2.0, 0.5, 0.0, 0.0, 0.8,
               2.0, 0.0, 0.0, 0.0),
)  # fmt: skip
SENSOR_INDEX: dict[str, int] = {s.name: i for i, s in enumerate(SENSORS)}


@dataclass(frozen=True)
class Observers:
    """Observer rows, shape (m,): ``source`` id, ``sensor`` code into
    :data:`SENSORS`, position (deg), active window ``t0_s``-``t1_s`` (epoch s)."""

    source: npt.NDArray[np.object_]
    sensor: npt.NDArray[np.int8]
    lat: F8
    lon: F8
    t0_s: F8
    t1_s: F8

    def __len__(self) -> int:
        return int(self.lat.shape[0])


def _spread(rng: np.random.Generator, n: int, length_m: float) -> F8:
    """``n`` chainages spaced evenly with jitter along ``length_m``."""
    k = np.arange(n, dtype=np.float64)
    return (k + rng.uniform(0.2, 0.8, n)) * (length_m / max(n, 1))


def _count(density_per_100km: float, length_m: float) -> int:
    return max(1, round(density_per_100km * length_m / 100_000.0))


def place_observers(
    mandate: Mandate,
    profile: Profile,
    start_s: float,
    end_s: float,
    rng: np.random.Generator,
    span_m: tuple[float, float] | None = None,
) -> Observers:
    """Posts, cameras, arrays (+ microphones) and patrol stops for [start_s, end_s),
    along the stretch ``span_m`` (chainage from, to; m) or the whole line."""
    line = mandate.contact
    a0, a1 = span_m if span_m is not None else (0.0, line_length_m(line))
    length = a1 - a0
    src: list[str] = []
    sens: list[int] = []
    lats: list[F8] = []
    lons: list[F8] = []
    t0: list[F8] = []
    t1: list[F8] = []

    def add(name: str, sensor: str, la: F8, lo: F8, a: F8, b: F8) -> None:
        src.extend(f"{name}-{i + 1:03d}" for i in range(la.shape[0]))
        sens.extend([SENSOR_INDEX[sensor]] * la.shape[0])
        lats.append(la)
        lons.append(lo)
        t0.append(a)
        t1.append(b)

    def fixed(name: str, sensor: str, density: float, dmin: float, dmax: float) -> None:
        n = _count(density, length)
        ch = a0 + _spread(rng, n, length)
        side = np.where(np.arange(n) % 2 == rng.integers(0, 2), 1.0, -1.0)
        la, lo = offset_point(line, ch, side, rng.uniform(dmin, dmax, n))
        add(name, sensor, la, lo, np.full(n, start_s), np.full(n, end_s))

    fixed("post", "post", profile.posts_per_100km, 1_000.0, 6_000.0)
    fixed("cam", "camera", profile.cameras_per_100km, 500.0, 4_000.0)

    n_arr = _count(profile.arrays_per_100km, length)
    ch = a0 + _spread(rng, n_arr, length)
    side = np.where(np.arange(n_arr) % 2 == 0, 1.0, -1.0)
    alat, alon = offset_point(line, ch, side, rng.uniform(4_000.0, 10_000.0, n_arr))
    add("array", "array", alat, alon, np.full(n_arr, start_s), np.full(n_arr, end_s))
    k = profile.mics_per_array
    if k > 0:
        az = (np.arange(k)[None, :] * 360.0 / k + rng.uniform(0, 360.0, (n_arr, 1))) % 360.0
        mlat, mlon = forward(
            np.repeat(alat, k), np.repeat(alon, k), az.ravel(), rng.uniform(1_500, 2_500, n_arr * k)
        )
        src.extend(f"mic-{i + 1:03d}{chr(97 + j)}" for i in range(n_arr) for j in range(k))
        sens.extend([SENSOR_INDEX["mic"]] * (n_arr * k))
        lats.append(mlat)
        lons.append(mlon)
        t0.append(np.full(n_arr * k, start_s))
        t1.append(np.full(n_arr * k, end_s))

    # patrols: by day, 5 stops of 60 min with 20 min of driving between them
    n_pat = _count(profile.patrols_per_100km, length)
    home = a0 + _spread(rng, n_pat, length)
    tz = mandate.tz
    day = datetime.fromtimestamp(start_s, tz=tz).date()
    last = datetime.fromtimestamp(end_s, tz=tz).date()
    while day <= last:
        t_first = datetime(day.year, day.month, day.day, 8, 0, tzinfo=tz).timestamp()
        for p in range(n_pat):
            begin = t_first + float(rng.uniform(0.0, 3_600.0))
            stops = 5
            a = begin + np.arange(stops) * 4_800.0
            b = a + 3_600.0
            ch_s = np.clip(home[p] + rng.uniform(-15_000, 15_000, stops), a0, a1)
            sd = np.where(rng.random(stops) < 0.5, 1.0, -1.0)
            la, lo = offset_point(line, ch_s, sd, rng.uniform(1_000, 6_000, stops))
            keep = (b > start_s) & (a < end_s)
            if keep.any():
                src.extend([f"patrol-{p + 1:03d}"] * int(keep.sum()))
                sens.extend([SENSOR_INDEX["patrol"]] * int(keep.sum()))
                lats.append(la[keep])
                lons.append(lo[keep])
                t0.append(np.maximum(a[keep], start_s))
                t1.append(np.minimum(b[keep], end_s))
        day += timedelta(days=1)

    return Observers(
        source=np.array(src, dtype=object),
        sensor=np.array(sens, dtype=np.int8),
        lat=np.concatenate(lats),
        lon=np.concatenate(lons),
        t0_s=np.concatenate(t0),
        t1_s=np.concatenate(t1),
    )
