"""A stand-in scenario for the fusion benchmark (used until ``ceasefire simulate``
output is given with ``--data``): a straight contact line, posts, cameras,
acoustic arrays (bearing + GPS time) and microphones (arrival only) on both
sides, rounds with a launch and an impact, clutter. Sensor figures follow
``ceasefire.simulate.observers.SENSORS`` (σ bearing / time, range share,
clutter per hour); detection falls off as p0 / (1 + (r / l50)^4).

Truth: per round the emission times and positions of launch and impact and the
ids of the reports that perceived each; clutter ids."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ceasefire.geo import LocalFrame
from ceasefire.model.arrays import ObservationArrays
from ceasefire.model.vocab import DIRECTIONS, EVENT_KINDS, KINDS, WEAPONS

C = 343.0
LAT0, LON0 = 48.0, 37.8
T0 = 1_700_000_000.0

# name, kind, sigma_deg, sigma_t, range_share, range_rel, p0, l50_mult, clutter/h, per 100 km
SENSORS = (
    ("post", "bearing", 5.0, 2.0, 0.3, 0.3, 0.9, 1.0, 0.15),
    ("cam", "bearing", 1.0, 0.2, 0.0, 0.0, 0.95, 0.6, 0.1),
    ("array", "bearing", 0.5, 0.005, 0.0, 0.0, 0.95, 1.8, 1.0),
    ("mic", "arrival", 0.0, 0.003, 0.0, 0.0, 0.95, 1.8, 2.0),
)
# weapon, share, range min/max m, speed m/s, launch l50, impact l50, depth min/max
WEAPON_SPECS = (
    ("mortar", 0.45, 800.0, 7_000.0, 180.0, 3_000.0, 6_000.0, 300.0, 3_000.0),
    ("artillery", 0.35, 4_000.0, 20_000.0, 330.0, 12_000.0, 9_000.0, 3_000.0, 12_000.0),
    ("mlrs", 0.08, 5_000.0, 20_000.0, 450.0, 15_000.0, 12_000.0, 4_000.0, 12_000.0),
    ("tank", 0.12, 800.0, 4_000.0, 1_200.0, 8_000.0, 6_000.0, 500.0, 3_000.0),
)
PROFILES = {
    # rounds/day, line km, posts, cams, arrays per 100 km, clutter mult
    "quiet": (300.0, 100.0, 5.0, 3.0, 1.0, 1.0),
    "heavy": (4_000.0, 100.0, 5.0, 3.0, 1.0, 1.5),
    "stress": (80_000.0, 300.0, 8.0, 6.0, 4.0, 2.0),
}


@dataclass
class Truth:
    """Per round: launch/impact (x, y) m and emission times s, weapon code, and the
    report indices (into the observation arrays) of each phase; clutter indices."""

    launch_xy: npt.NDArray[np.float64]
    impact_xy: npt.NDArray[np.float64]
    launch_t: npt.NDArray[np.float64]
    impact_t: npt.NDArray[np.float64]
    round_of_obs: npt.NDArray[np.intp]  # -1 clutter
    phase_of_obs: npt.NDArray[np.int8]  # 0 launch, 1 impact, -1 clutter
    frame: LocalFrame


def generate(profile: str, hours: float = 24.0, seed: int = 1) -> tuple[ObservationArrays, Truth]:
    """Observations and truth of ``profile`` over ``hours``."""
    rng = np.random.default_rng(seed)
    rounds_day, line_km, posts, cams, arrays, clutter_mult = PROFILES[profile]
    L = line_km * 1000.0
    dur = hours * 3600.0
    frame = LocalFrame(LAT0, LON0)
    # observers: x along the line (y = 0), y offset by side
    ox: list[float] = []
    oy: list[float] = []
    osens: list[int] = []
    names: list[str] = []
    for s, dens, dmin, dmax in ((0, posts, 1_000.0, 6_000.0), (1, cams, 500.0, 4_000.0)):
        n = max(1, round(dens * line_km / 100))
        xs = (np.arange(n) + rng.uniform(0.2, 0.8, n)) * L / n - L / 2
        side = np.where(np.arange(n) % 2 == 0, 1.0, -1.0)
        ys = side * rng.uniform(dmin, dmax, n)
        ox += xs.tolist()
        oy += ys.tolist()
        osens += [s] * n
        names += [f"{SENSORS[s][0]}-{i:03d}" for i in range(n)]
    na = max(1, round(arrays * line_km / 100))
    axs = (np.arange(na) + rng.uniform(0.2, 0.8, na)) * L / na - L / 2
    ays = np.where(np.arange(na) % 2 == 0, 1.0, -1.0) * rng.uniform(4_000, 10_000, na)
    for i in range(na):
        ox.append(float(axs[i]))
        oy.append(float(ays[i]))
        osens.append(2)
        names.append(f"array-{i:03d}")
        for j in range(4):
            a = rng.uniform(0, 2 * np.pi) + j * np.pi / 2
            d = rng.uniform(1_500, 2_500)
            ox.append(float(axs[i] + d * np.sin(a)))
            oy.append(float(ays[i] + d * np.cos(a)))
            osens.append(3)
            names.append(f"mic-{i:03d}{'abcd'[j]}")
    OX, OY, OS = np.array(ox), np.array(oy), np.array(osens)
    # rounds: clustered into engagements at hot spots
    nr = int(rounds_day * hours / 24.0)
    shares = np.array([w[1] for w in WEAPON_SPECS])
    wk = rng.choice(len(WEAPON_SPECS), nr, p=shares / shares.sum())
    spec = np.array([w[2:] for w in WEAPON_SPECS])[wk]
    hot = rng.uniform(-L / 2, L / 2, max(3, int(line_km / 10)))
    along = np.clip(
        hot[rng.integers(0, hot.shape[0], nr)] + rng.normal(0, 3_000, nr), -L / 2, L / 2
    )
    side = np.where(rng.random(nr) < 0.5, 1.0, -1.0)
    lx = along
    ly = side * rng.uniform(spec[:, 5], spec[:, 6])
    rng_m = rng.uniform(spec[:, 0], np.maximum(spec[:, 1], spec[:, 0] + 1))
    ang = rng.normal(0, 0.35, nr)
    ix = lx + rng_m * np.sin(ang)
    iy = ly - side * rng_m * np.cos(ang)
    lt = T0 + np.sort(rng.uniform(0, dur, nr))
    it = lt + rng_m / spec[:, 2]
    cols: dict[str, list[npt.NDArray[np.generic]]] = {k: [] for k in (
        "obs", "t", "az", "rng", "round", "phase", "dir", "weapon")}  # fmt: skip
    sens = np.array([s[2:] for s in SENSORS], dtype=float)
    for phase, ex, ey, et, l50col in ((0, lx, ly, lt, 3), (1, ix, iy, it, 4)):
        l50 = spec[:, l50col]
        # candidate observers within 3 × l50 × 1.8 of each event (chunked)
        for a in range(0, nr, 20_000):
            b = min(a + 20_000, nr)
            dx = ex[a:b, None] - OX[None, :]
            dy = ey[a:b, None] - OY[None, :]
            d = np.hypot(dx, dy)
            mult = sens[OS, 5][None, :]
            p = sens[OS, 4][None, :] / (1 + (d / (l50[a:b, None] * mult)) ** 4)
            hit = rng.random(p.shape) < p
            r_i, o_i = np.nonzero(hit)
            dd = d[r_i, o_i]
            sd = sens[OS[o_i], 1]
            cols["obs"].append(o_i)
            cols["t"].append(et[a:b][r_i] + dd / C + rng.normal(0, 1, r_i.shape[0]) * sd)
            az = np.degrees(np.arctan2(dx[r_i, o_i], dy[r_i, o_i]))
            az = az + rng.normal(0, 1, r_i.shape[0]) * sens[OS[o_i], 0]
            az = np.where(OS[o_i] == 3, np.nan, az % 360.0)
            cols["az"].append(az)
            has_r = rng.random(r_i.shape[0]) < sens[OS[o_i], 2]
            rr = dd * (1 + rng.normal(0, 1, r_i.shape[0]) * sens[OS[o_i], 3])
            cols["rng"].append(np.where(has_r & (rr > 100), rr, np.nan))
            cols["round"].append(r_i + a)
            cols["phase"].append(np.full(r_i.shape[0], phase, np.int8))
            ok = rng.random(r_i.shape[0]) < 0.85
            true_dir = DIRECTIONS.index("outgoing" if phase == 0 else "incoming")
            dirv = np.where(ok, true_dir, DIRECTIONS.index("undetermined"))
            cols["dir"].append(np.where(OS[o_i] == 3, DIRECTIONS.index("undetermined"), dirv))
            wok = rng.random(r_i.shape[0]) < 0.6
            wcode = np.array([WEAPONS.index(w[0]) for w in WEAPON_SPECS])[wk[a:b][r_i]]
            cols["weapon"].append(np.where(wok, wcode, WEAPONS.index("undetermined")))
    # clutter
    nc = rng.poisson(sens[OS, 6] * clutter_mult * hours)
    co = np.repeat(np.arange(OS.shape[0]), nc)
    m = co.shape[0]
    cols["obs"].append(co)
    cols["t"].append(T0 + rng.uniform(0, dur, m))
    cols["az"].append(np.where(OS[co] == 3, np.nan, rng.uniform(0, 360, m)))
    cols["rng"].append(np.full(m, np.nan))
    cols["round"].append(np.full(m, -1))
    cols["phase"].append(np.full(m, -1, np.int8))
    cols["dir"].append(rng.integers(0, 3, m))
    cols["weapon"].append(np.full(m, WEAPONS.index("undetermined")))
    o = np.concatenate(cols["obs"])
    n = o.shape[0]
    perm = rng.permutation(n)
    o = o[perm]
    get = {k: np.concatenate(v)[perm] for k, v in cols.items()}
    lat, lon = frame.to_latlon(OX[o], OY[o])
    sd_t = sens[OS[o], 1]
    rngv = get["rng"]
    kind = np.where(OS[o] == 3, KINDS.index("arrival"), KINDS.index("bearing")).astype(np.int8)
    ev = np.where(get["phase"] == 0, EVENT_KINDS.index("firing"), EVENT_KINDS.index("explosion"))
    ev = np.where(get["phase"] < 0, EVENT_KINDS.index("undetermined"), ev)
    obs = ObservationArrays(
        id=np.array([f"o{i:08d}" for i in range(n)], dtype=object),
        source=np.array(names, dtype=object)[o],
        kind=kind,
        time_s=get["t"],
        time_sigma_s=sd_t,
        lat=lat,
        lon=lon,
        bearing_deg=get["az"],
        bearing_sigma_deg=np.where(kind == 1, np.nan, sens[OS[o], 0]),
        range_m=rngv,
        range_sigma_m=np.where(np.isfinite(rngv), 0.3 * rngv, np.nan),
        event=ev.astype(np.int8),
        direction=get["dir"].astype(np.int8),
        weapon=get["weapon"].astype(np.int8),
        position_sigma_m=np.full(n, np.nan),
        object=np.full(n, -1, np.int8),
        count=np.zeros(n, np.int32),
        party=np.full(n, None, dtype=object),
    )
    truth = Truth(
        np.column_stack([lx, ly]),
        np.column_stack([ix, iy]),
        lt,
        it,
        get["round"].astype(np.intp),
        get["phase"].astype(np.int8),
        frame,
    )
    return obs, truth
