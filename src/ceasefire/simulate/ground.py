"""Heavy weapons on the ground, the parties' drones, objects in disengagement
areas, and the mission's drone sorties and posts that sight them.

Weapons stand on their party's side: most outside their withdrawal zone
(measured from the party's reference line), ``inside_share`` inside it; some
move at each day boundary. A sortie covers a stretch of the line for ~90
minutes and sights what stands in its footprint, with a geolocation error,
sometimes twice, sometimes misclassified.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ceasefire.geo import LocalFrame, distance_m, forward
from ceasefire.mandate import Mandate
from ceasefire.mandate.schema import BufferZone
from ceasefire.patrol import Plan
from ceasefire.simulate.along import line_length_m, offset_point
from ceasefire.simulate.observers import SENSOR_INDEX, SENSORS, Observers
from ceasefire.simulate.profiles import Profile
from ceasefire.simulate.weapons import MISCLASSIFY, OBJECT_SHARES

F8 = npt.NDArray[np.float64]


@dataclass
class Thing:
    """One object on the ground or in the air: positions over time ``(t_from_s, lat, lon)``."""

    id: str
    cls: str
    party: str
    track: list[tuple[float, float, float]]
    t_end_s: float
    sightings: list[int] = field(default_factory=list)

    def at(self, t: float) -> tuple[float, float]:
        pos = self.track[0]
        for p in self.track:
            if p[0] <= t:
                pos = p
        return pos[1], pos[2]


@dataclass(frozen=True)
class Sighting:
    """A sighting report: the thing seen, by whom, when, where, as what."""

    thing: int
    source: str
    time_s: float
    lat: float
    lon: float
    sigma_m: float
    cls: str
    marked: str | None


def zone_width_m(m: Mandate, cls: str, party: str) -> float | None:
    """Width (m) of the widest withdrawal zone that covers ``cls`` for ``party``."""
    widths = []
    for r in m.doc.rules:
        if r.kind == "withdrawal" and cls in r.objects and r.zone:
            z = m.zone(r.zone)
            if isinstance(z, BufferZone) and party in z.width_km:
                widths.append(z.width_km[party] * 1000.0)
    return max(widths) if widths else None


def place_things(
    m: Mandate, profile: Profile, start_s: float, end_s: float, rng: np.random.Generator
) -> list[Thing]:
    """Weapons of both parties, party drone flights, and objects in disengagement areas."""
    things: list[Thing] = []
    classes = list(OBJECT_SHARES)
    shares = np.array([OBJECT_SHARES[c] for c in classes])
    days = max(1, int(np.ceil((end_s - start_s) / 86400.0)))
    for party in m.party_ids:
        side = m.party_side(party)
        ref = m.reference_line(party)
        length = line_length_m(ref)
        n = max(1, round(profile.weapons_per_100km * length / 100_000.0))
        cls = rng.choice(len(classes), n, p=shares / shares.sum())
        for i in range(n):
            c = classes[cls[i]]
            track = []
            for day in range(days):
                if day > 0 and rng.random() >= profile.move_share:
                    continue
                w = zone_width_m(m, c, party)
                if w is not None and rng.random() < profile.inside_share:
                    depth = rng.uniform(0.1, 0.95) * w
                elif w is not None:
                    depth = w + rng.uniform(1_000.0, 20_000.0)
                else:
                    depth = rng.uniform(1_000.0, 30_000.0)
                la, lo = offset_point(ref, rng.uniform(0, length), side, depth)
                track.append((start_s + day * 86400.0, float(la[0]), float(lo[0])))
            things.append(Thing(f"{party}-{c}-{i + 1:04d}", c, party, track, end_s))
        # the party's drones: flights of 10-40 min near the line
        k = rng.poisson(profile.uav_per_100km * length / 100_000.0 * (end_s - start_s) / 86400.0)
        for j in range(k):
            t0 = rng.uniform(start_s, end_s - 600.0)
            dur = rng.uniform(600.0, 2_400.0)
            la, lo = offset_point(
                m.contact,
                rng.uniform(0, line_length_m(m.contact)),
                side if rng.random() < 0.8 else -side,
                rng.uniform(200.0, 5_000.0),
            )
            things.append(
                Thing(
                    f"{party}-uav-{j + 1:04d}",
                    "uav",
                    party,
                    [(t0, float(la[0]), float(lo[0]))],
                    min(t0 + dur, end_s),
                )
            )
    for z in m.doc.zones:
        if z.kind != "polygon":
            continue
        for day in range(days):
            if rng.random() >= profile.da_object_p:
                continue
            ring = np.asarray([c[:2] for c in z.coordinates])
            lo = rng.uniform(ring[:, 0].min(), ring[:, 0].max())
            la = rng.uniform(ring[:, 1].min(), ring[:, 1].max())
            party = m.party_ids[int(rng.integers(0, len(m.party_ids)))]
            cls_da = str(rng.choice(["troops", "apc", "tank"]))
            t0 = start_s + day * 86400.0 + rng.uniform(0, 0.8) * 86400.0
            things.append(
                Thing(
                    f"DA-{z.id}-{day}",
                    cls_da,
                    party,
                    [(t0, la, lo)],
                    min(t0 + rng.uniform(1, 6) * 3600.0, end_s),
                )
            )
    return things


def _misread(c: str, rng: np.random.Generator) -> str:
    u = rng.random()
    acc = 0.0
    for other, p in MISCLASSIFY.get(c, ()):
        acc += p
        if u < acc:
            return other
    return c


def sight(
    m: Mandate,
    profile: Profile,
    things: list[Thing],
    posts: Observers,
    start_s: float,
    end_s: float,
    rng: np.random.Generator,
    patrol: Plan | None = None,
) -> list[Sighting]:
    """Sightings by mission drone sorties (ground objects) and posts/cameras
    (drones); with a ``patrol`` plan, its sorties are flown instead of random ones."""
    out: list[Sighting] = []
    line = m.contact
    length = line_length_m(line)
    frame = LocalFrame.about(line.lats, line.lons)
    n_sorties = rng.poisson(
        profile.sorties_per_100km * length / 100_000.0 * (end_s - start_s) / 86400.0
    )
    if patrol is not None:
        from ceasefire.simulate.patrolled import fly_plan

        out.extend(fly_plan(m, patrol, things, start_s, end_s, rng))
        n_sorties = 0
    ground = [i for i, t in enumerate(things) if t.cls != "uav"]
    # a sortie flies 90 minutes, or the whole window when that is shorter
    dur = min(5_400.0, end_s - start_s)
    for s in range(n_sorties):
        t0 = rng.uniform(start_s, end_s - dur)
        ch = rng.uniform(0, length)
        cla, clo = offset_point(line, ch, 1, 0.0)
        cx, cy = (float(v[0]) for v in frame.to_xy(cla, clo))
        src = f"uav-sortie-{s + 1:04d}"
        for i in ground:
            th = things[i]
            t = t0 + rng.uniform(0, dur)
            if not (th.track[0][0] <= t < th.t_end_s):
                continue
            la, lo = th.at(t)
            x, y = (float(v) for v in frame.to_xy(la, lo))
            # footprint: a circle of 25 km about a point on the line
            if float(np.hypot(x - cx, y - cy)) > 25_000.0:
                continue
            if rng.random() > 0.8:
                continue
            for _ in range(1 + int(rng.random() < 0.3)):  # sometimes seen twice
                sig = float(rng.uniform(20.0, 60.0))
                dla, dlo = forward(la, lo, rng.uniform(0, 360), abs(rng.normal(0, sig)) * 1.2)
                tt = min(t + rng.uniform(0, 1_200.0), end_s - 1.0)
                out.append(
                    Sighting(
                        i,
                        src,
                        tt,
                        float(dla),
                        float(dlo),
                        sig,
                        _misread(th.cls, rng),
                        th.party if rng.random() < 0.6 else None,
                    )
                )
    # drones sighted by posts and cameras
    cam_like = np.isin(
        posts.sensor, [SENSOR_INDEX["post"], SENSOR_INDEX["camera"], SENSOR_INDEX["patrol"]]
    )
    for i, th in enumerate(things):
        if th.cls != "uav":
            continue
        la, lo = th.at(th.track[0][0])
        d = distance_m(posts.lat, posts.lon, la, lo)
        for oi in np.flatnonzero(cam_like):
            spec = SENSORS[int(posts.sensor[oi])]
            if d[oi] > spec.uav_range_m:
                continue
            t_a = max(th.track[0][0], posts.t0_s[oi])
            t_b = min(th.t_end_s, posts.t1_s[oi])
            if t_b <= t_a:
                continue
            if rng.random() > 1.0 - (1.0 - spec.uav_p_per_min) ** ((t_b - t_a) / 60.0):
                continue
            sig = spec.uav_sigma_m
            dla, dlo = forward(la, lo, rng.uniform(0, 360), abs(rng.normal(0, sig)))
            out.append(
                Sighting(
                    i,
                    str(posts.source[oi]),
                    float(rng.uniform(t_a, t_b)),
                    float(dla),
                    float(dlo),
                    sig,
                    "uav",
                    th.party if rng.random() < 0.5 else None,
                )
            )
    out.sort(key=lambda s: (s.time_s, s.source, s.thing))
    for k, seen in enumerate(out):
        things[seen.thing].sightings.append(k)
    return out
