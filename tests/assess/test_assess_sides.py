"""A bearing ray's samples (assess/sides.py ``_ray_geometry``): each is the point
``forward`` reaches from the observer along the bearing at its distance, with
the side and the distance to the contact line that ``GeoLine.nearest`` gives that
point alone, to the bit, however many rays are sampled at once."""

from __future__ import annotations

import numpy as np

from ceasefire.assess.sides import AttributionConfig, _ray_geometry
from ceasefire.assess.table import build_table
from ceasefire.geo import forward
from ceasefire.mandate import parse_mandate
from ceasefire.model import Event

DOC = """\
mission: {name: t, authority: {body: UNSC, resolution: x}}
parties: [{id: UA, name: Ukraine}, {id: RU, name: Russia}]
contact_line: {left: RU, right: UA, coordinates: [[37.0, 49.0], [38.0, 48.6], [38.2, 47.8]]}
rules: [{id: ceasefire, kind: ceasefire}]
"""


def _ray(k: int, lat: float, lon: float, bearing: float, weapon: str) -> Event:
    return Event(
        id=f"r{k}", kind="firing", time_s=float(k), lat=None, lon=None, cov_m2=None,
        observation_ids=(f"o{k}",), n_observers=1, direction="outgoing", weapon=weapon,
        flags=("no_position",), observer_lat=lat, observer_lon=lon, bearing_deg=bearing,
    )  # fmt: skip


def test_ray_samples_are_each_points_own_geometry() -> None:
    m = parse_mandate(DOC)
    rng = np.random.default_rng(23)
    # 40 rays x 32 samples: more points than the frame's search for repeats takes
    # on; several rays share an observer (a post reports all day), two share a
    # bearing too, and one weapon is not among the hearing distances
    posts = [(48.5, 37.9), (48.2, 38.3), (48.9, 37.2), (47.9, 38.0)]
    weapons = ["mortar", "artillery", "small_arms", "undetermined", "drone"]
    events = []
    for k in range(40):
        lat, lon = posts[k % len(posts)]
        bearing = 123.45 if k in (4, 8) else float(rng.uniform(0.0, 360.0))
        events.append(_ray(k, lat, lon, bearing, weapons[k % len(weapons)]))
    t = build_table(events, m)
    cfg = AttributionConfig()
    idx = np.arange(len(events), dtype=np.intp)[::-1].copy()  # any order of rays
    dist, geo, lw = _ray_geometry(t, idx, cfg)
    k = cfg.ray_samples
    assert dist.shape == (k,) and geo.shape == (2, len(idx), k) and lw.shape == (len(idx),)
    # log-spaced from ray_min_m to ray_max_m, each sample in the middle of its step
    assert cfg.ray_min_m < dist[0] < dist[-1] < cfg.ray_max_m
    np.testing.assert_allclose(np.diff(np.log(dist)), np.log(cfg.ray_max_m / cfg.ray_min_m) / k)
    l50 = dict(cfg.hearing_l50_m)
    for r, i in enumerate(idx):
        e = events[int(i)]
        assert lw[r] == l50.get(e.weapon or "", l50["undetermined"])
        for j in (0, 7, k - 1):
            la, lo = forward(e.observer_lat, e.observer_lon, e.bearing_deg, dist[j])
            near = m.contact.nearest(la, lo)
            assert geo[0, r, j] == (1.0 if near.side[0] > 0 else 0.0)
            assert geo[1, r, j] == near.distance_m[0]
    # the two rays from one post along one bearing have the same samples
    r4, r8 = int(np.flatnonzero(idx == 4)[0]), int(np.flatnonzero(idx == 8)[0])
    np.testing.assert_array_equal(geo[:, r4], geo[:, r8])
    # the rays cross the line: both sides are sampled
    assert 0.0 < geo[0].mean() < 1.0
