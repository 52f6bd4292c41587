"""Association on crafted scenes: two explosions close in time heard at different
distances, clutter, a lone report, launch/impact pairing, sighting tracks, and
determinism under input order."""

from __future__ import annotations

import numpy as np
from fuse_scenes import T0, Scene

from ceasefire.fuse import FuseConfig, RayPairConfig, fuse
from ceasefire.model.arrays import ObservationArrays

OBSERVERS = [(-6_000.0, -500.0), (500.0, -6_000.0), (6_000.0, 300.0), (0.0, 6_500.0)]


def _groups(events: list) -> set[frozenset[str]]:
    return {frozenset(e.observation_ids) for e in events if "single_observer" not in e.flags}


def test_two_close_explosions_are_told_apart_by_sound_travel() -> None:
    # A near observer 0 and B near observer 2, 3 s apart: observer 0 hears A at once and
    # B ~35 s later; observer 2 the other way round. A fixed window would mix them.
    sc = Scene()
    a, b = (-5_500.0, 0.0), (5_500.0, 0.0)
    for k, o in enumerate(OBSERVERS):
        sc.bearing(f"A{k}", f"obs{k}", o, a, T0)
        sc.bearing(f"B{k}", f"obs{k}", o, b, T0 + 3.0)
    events = fuse(sc.arrays())
    assert _groups(events) == {
        frozenset(f"A{k}" for k in range(4)),
        frozenset(f"B{k}" for k in range(4)),
    }
    ev_a = next(e for e in events if "A0" in e.observation_ids)
    # emission time, not perception time
    assert abs(ev_a.time_s - T0) < 0.5
    assert ev_a.n_observers == 4


def test_clutter_and_a_lone_report_do_not_become_confident_events() -> None:
    rng = np.random.default_rng(5)
    sc = Scene()
    ev = (1_000.0, 1_500.0)
    for k, o in enumerate(OBSERVERS[:3]):
        sc.bearing(f"E{k}", f"obs{k}", o, ev, T0, noise_deg=float(rng.normal(0, 1.0)))
    # clutter: random directions at random times from every observer, far from the event
    for i in range(12):
        k = i % 4
        az = float(rng.uniform(0, 360))
        far = (OBSERVERS[k][0] + 8_000 * np.sin(np.radians(az)),
               OBSERVERS[k][1] + 8_000 * np.cos(np.radians(az)))  # fmt: skip
        sc.bearing(f"C{i}", f"obs{k}", OBSERVERS[k], far, T0 + 300.0 + 97.0 * i)
    events = fuse(sc.arrays())
    confident = [e for e in events if "single_observer" not in e.flags]
    assert [set(e.observation_ids) for e in confident] == [{"E0", "E1", "E2"}]
    lone = next(e for e in events if "C3" in e.observation_ids)
    assert lone.lat is None and "no_position" in lone.flags
    assert lone.observer_lat is not None and lone.bearing_deg is not None


def test_launch_and_impact_of_one_round_count_once() -> None:
    sc = Scene()
    launch, impact = (-3_000.0, -2_000.0), (3_000.0, 2_000.0)
    d = float(np.hypot(6_000.0, 4_000.0))
    t_impact = T0 + d / 330.0  # artillery, ~330 m/s mean speed
    for k, o in enumerate(OBSERVERS):
        sc.bearing(f"L{k}", f"obs{k}", o, launch, T0, event="firing", direction="outgoing")
        sc.bearing(f"I{k}", f"obs{k}", o, impact, t_impact)
    events = fuse(sc.arrays())
    assert len(events) == 1
    e = events[0]
    assert e.kind == "explosion" and "paired" in e.flags
    assert e.launch_lat is not None and e.launch_cov_m2 is not None
    assert len(e.observation_ids) == 8


def test_a_tank_seen_five_times_is_one_tank() -> None:
    sc = Scene()
    rng = np.random.default_rng(2)
    for i in range(5):
        xy = (2_000.0 + rng.normal(0, 50), 1_000.0 + rng.normal(0, 50))
        sc.sighting(f"S{i}", f"uav-{i % 2}", xy, T0 + 3_600.0 * i, "tank", party="RU")
    # another tank 3 km away, and an APC at the first place
    sc.sighting("S9", "uav-0", (5_000.0, 1_000.0), T0 + 100.0, "tank", party="RU")
    sc.sighting("S8", "uav-1", (2_000.0, 1_000.0), T0 + 200.0, "apc", party="UA")
    events = [e for e in fuse(sc.arrays()) if e.kind == "sighting"]
    tanks = sorted((e for e in events if e.object == "tank"), key=lambda e: -len(e.observation_ids))
    assert len(tanks) == 2 and len(tanks[0].observation_ids) == 5
    assert tanks[0].party_marked == "RU" and tanks[0].first_seen_s == T0
    assert tanks[0].last_seen_s == T0 + 4 * 3_600.0
    assert [e.object for e in events].count("apc") == 1


def test_fusion_is_deterministic_and_independent_of_input_order() -> None:
    rng = np.random.default_rng(11)
    sc = Scene()
    for n in range(30):
        ev = tuple(rng.uniform(-4_000, 4_000, 2))
        for k, o in enumerate(OBSERVERS):
            if rng.random() < 0.8:
                sc.bearing(f"e{n}o{k}", f"obs{k}", o, ev, T0 + 40.0 * n,
                           noise_deg=float(rng.normal(0, 2)),
                           noise_t_s=float(rng.normal(0, 1)))  # fmt: skip
    obs = sc.arrays()
    first = fuse(obs)
    perm = rng.permutation(len(obs))
    second = fuse(obs.take(perm))
    assert first == second
    assert len({e.id for e in first}) == len(first)


def test_empty_input_gives_no_events() -> None:
    assert fuse(ObservationArrays.empty()) == []


def test_reports_pair_by_the_phase_their_kind_names_not_a_misread_direction() -> None:
    # Two observers report the same explosion; one misreads its direction class as
    # "outgoing" (direction classes are right in ~86 % of reports, event kinds in
    # ~98 %). Both say "explosion": they are one event, not two lone bearings.
    sc = Scene()
    ev = (0.0, 6_000.0)
    sc.bearing("a", "obs-a", (-5_000.0, 0.0), ev, T0, direction="incoming")
    sc.bearing("b", "obs-b", (5_000.0, 0.0), ev, T0, direction="outgoing")
    events = fuse(sc.arrays())
    assert len(events) == 1 and events[0].n_observers == 2
    # a firing and an explosion at the same place and time are two phases: never
    # one located event, whatever their direction classes say (at most a launch
    # ray paired with an impact ray, without position)
    sc2 = Scene()
    sc2.bearing("a", "obs-a", (-5_000.0, 0.0), ev, T0, event="firing", direction="incoming")
    sc2.bearing("b", "obs-b", (5_000.0, 0.0), ev, T0, event="explosion", direction="incoming")
    two = fuse(sc2.arrays())
    assert all(e.lat is None for e in two)
    assert all(e.n_observers == 1 or "paired" in e.flags for e in two)
    no_two = FuseConfig(rays=RayPairConfig(kinds=("ray_point", "point_ray", "ray_ray")))
    assert all(e.n_observers == 1 for e in fuse(sc2.arrays(), no_two))
