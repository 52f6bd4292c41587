"""The parts added for scale and for the simulator's failure modes: an acoustic
array heard with its own microphones only, voxel pair candidates, the batched
TDOA groups, flight-time pairing of launch and impact, and time slices over
worker processes giving the same events as one serial pass."""

from __future__ import annotations

import math

import numpy as np
from fuse_scenes import FRAME, T0, Scene, latlon

from ceasefire.fuse import FuseConfig, fuse
from ceasefire.fuse.association import PairConfig, Reports, SeedConfig
from ceasefire.fuse.association.pairs import bearing_pairs
from ceasefire.fuse.association.seeding import ray_seeds, reach_seeds
from ceasefire.fuse.pairing import LaunchPairConfig, pair_launches
from ceasefire.fuse.solve import Rows
from ceasefire.fuse.tdoa_groups import group_arrivals
from ceasefire.fuse.weapons import WEAPON_FLIGHTS
from ceasefire.model.vocab import SPEED_OF_SOUND_M_S, WEAPONS

C = SPEED_OF_SOUND_M_S


def _xy(e: object) -> tuple[float, float]:
    x, y = FRAME.to_xy(np.array([e.lat]), np.array([e.lon]))  # type: ignore[attr-defined]
    return float(x[0]), float(y[0])


def test_an_array_heard_only_with_its_own_microphones_is_one_fixed_event() -> None:
    # An acoustic array (0.5 deg, 5 ms) and three microphones 2 km around it hear an
    # explosion 9 km away; no other observer. The bearing fixes the direction, the
    # arrival-time differences across the 2-4 km baseline the range: one event,
    # not a lone bearing plus a TDOA group.
    sc = Scene()
    array = (0.0, 0.0)
    mics = [(2_000.0 * math.sin(a), 2_000.0 * math.cos(a)) for a in (0.3, 2.4, 4.5)]
    src = (6_000.0, 6_700.0)
    sc.bearing("A", "array-1", array, src, T0, sigma_deg=0.5, time_sigma_s=0.005)
    for k, m in enumerate(mics):
        sc.arrival(f"M{k}", f"mic-1{'abc'[k]}", m, src, T0)
    events = fuse(sc.arrays())
    assert len(events) == 1
    e = events[0]
    assert "single_observer" not in e.flags and e.n_observers == 4
    x, y = _xy(e)
    # noise-free reports: the fix is the source (to the geodesy's metre level)
    assert math.hypot(x - src[0], y - src[1]) < 50.0
    assert abs(e.time_s - T0) < 0.05


def _rows_of(sc: Scene) -> tuple[Rows, np.ndarray, np.ndarray]:
    from ceasefire.fuse.engine import _rows
    from ceasefire.fuse.frame import Grid
    from ceasefire.fuse.tiles import canonical as _canonical

    obs = _canonical(sc.arrays())
    rows = _rows(obs, Grid(FRAME), FuseConfig())
    _, src = np.unique(obs.source.astype(str), return_inverse=True)
    return rows, src.astype(np.intp), obs.direction


def _reports(rows: Rows, src: np.ndarray, direction: np.ndarray) -> Reports:
    cfg = FuseConfig()
    return Reports(rows, src, direction, cfg.speed_of_sound_m_s, cfg.max_range_m)


def test_voxel_candidates_keep_crossing_rays_with_matching_emission_times() -> None:
    # Observer 0 and 1 see the same explosion; observer 1 also sees one 60 s later
    # at the same place: its ray crosses observer 0's too, but the emission times
    # differ by 60 s (far more than the 8 s voxel and the 1 s time sigma).
    sc = Scene()
    o0, o1 = (-5_000.0, 0.0), (5_000.0, 0.0)
    ev = (0.0, 6_000.0)
    sc.bearing("a0", "obs0", o0, ev, T0)
    sc.bearing("a1", "obs1", o1, ev, T0)
    sc.bearing("b1", "obs1", o1, ev, T0 + 60.0)
    rows, src, direction = _rows_of(sc)
    p = bearing_pairs(_reports(rows, src, direction), PairConfig())
    assert p.i.shape[0] == 1
    assert math.hypot(p.x[0] - ev[0], p.y[0] - ev[1]) < 50.0
    assert abs(p.T[0] - T0) < 0.5


def test_batched_tdoa_separates_two_simultaneous_sources() -> None:
    # Five microphones on a 6 km ring; two explosions 1.5 s apart at different
    # places. Each microphone hears both; the groups must not mix them.
    sc = Scene()
    mics = [(6_000.0 * math.sin(a), 6_000.0 * math.cos(a)) for a in np.linspace(0, 6, 5)]
    s1, s2 = (1_000.0, 2_000.0), (-3_000.0, -1_000.0)
    for k, m in enumerate(mics):
        sc.arrival(f"p{k}", f"mic{k}", m, s1, T0)
        sc.arrival(f"q{k}", f"mic{k}", m, s2, T0 + 1.5)
    rows, src, _ = _rows_of(sc)
    labels, x, y, T, cov = group_arrivals(rows, src, FuseConfig())
    assert x.shape[0] == 2
    got = sorted(zip(x.tolist(), y.tolist(), T.tolist(), strict=True), key=lambda v: v[2])
    for (gx, gy, gT), (sx, sy), st in zip(got, (s1, s2), (T0, T0 + 1.5), strict=True):
        assert math.hypot(gx - sx, gy - sy) < 20.0
        assert abs(gT - st) < 0.01
    # no group mixes the sources: every member's arrival time is the one its
    # group's fix predicts at its microphone (3 ms sensors, exact here)
    for k in range(2):
        m = np.flatnonzero(labels == k)
        assert m.shape[0] >= 4
        rho = np.hypot(rows.ox[m] - x[k], rows.oy[m] - y[k])
        assert np.all(np.abs(rows.t[m] - T[k] - rho / C) < 0.01)
    assert cov.shape == (2, 2, 2) and np.all(np.linalg.eigvalsh(cov) > 0)


def test_flight_time_pairing_picks_the_impact_the_weapon_speed_predicts() -> None:
    # An artillery launch at the origin; two impacts 9,900 m away, one 30 s later
    # (9,900 / 330 m/s: the artillery flight time) and one 45 s later (220 m/s:
    # 33 % slow for artillery, 3.3 sigma of a 2 % speed spread... far beyond; a
    # mortar's 180 m/s is out of its 8 km range bound).
    cfg = LaunchPairConfig()
    art = WEAPONS.index("artillery")
    lx, ly, lT = np.array([0.0]), np.array([0.0]), np.array([0.0])
    ix = np.array([9_900.0, 0.0])
    iy = np.array([0.0, 9_900.0])
    iT = np.array([45.0, 30.0])
    cov = np.tile(np.eye(2) * 100.0**2, (1, 1, 1))
    pl, pi, _, _ = pair_launches(
        lx, ly, lT, ix, iy, iT, cfg, np.array([art]), np.array([-1, -1]),
        cov, np.tile(cov[0], (2, 1, 1)), np.array([0.1]), np.array([0.1, 0.1]),
    )  # fmt: skip
    assert pl.tolist() == [0] and pi.tolist() == [1]
    # a mortar round cannot fly 20 km: out of its range bounds, even at 180 m/s
    mortar = WEAPONS.index("mortar")
    cfg_m = LaunchPairConfig(weapons={"mortar": WEAPON_FLIGHTS["mortar"]})
    pl, pi, _, _ = pair_launches(
        lx, ly, lT, np.array([20_000.0]), np.array([0.0]), np.array([20_000.0 / 180.0]),
        cfg_m, np.array([mortar]), np.array([-1]),
    )  # fmt: skip
    assert pl.shape[0] == 0


def test_time_slices_over_workers_give_the_events_of_one_serial_pass() -> None:
    # Explosions every 97 s for 3 hours, heard by four observers: sliced in 30-minute
    # slices over two worker processes, fusion must give exactly the serial events
    # (events near slice boundaries are built with margins and kept once).
    rng = np.random.default_rng(3)
    sc = Scene()
    obs_xy = [(-6_000.0, -500.0), (500.0, -6_000.0), (6_000.0, 300.0), (0.0, 6_500.0)]
    for n in range(110):
        ev = (float(rng.uniform(-3_000, 3_000)), float(rng.uniform(-3_000, 3_000)))
        for k, o in enumerate(obs_xy):
            nd, nt = float(rng.normal(0, 1.0)), float(rng.normal(0, 0.5))
            sc.bearing(f"e{n}o{k}", f"obs{k}", o, ev, T0 + 97.0 * n, noise_deg=nd, noise_t_s=nt)
    obs = sc.arrays()
    serial = fuse(obs, FuseConfig(tile_s=None))  # one window
    sliced = fuse(obs, FuseConfig(parallel_min_obs=1, tile_s=1_800.0, workers=2))
    # the same events (ids are content hashes of the members); estimates equal to
    # rounding (sums accumulate in another order): well under a millimetre
    assert [e.id for e in serial] == [e.id for e in sliced]
    assert [e.observation_ids for e in serial] == [e.observation_ids for e in sliced]
    for a, b in zip(serial, sliced, strict=True):
        assert a.flags == b.flags and abs(a.time_s - b.time_s) < 1e-6
        if a.lat is not None:
            assert abs(a.lat - b.lat) < 1e-8 and abs(a.lon - b.lon) < 1e-8  # type: ignore[operator]
    # and each mode is deterministic to the bit
    assert sliced == fuse(obs, FuseConfig(parallel_min_obs=1, tile_s=1_800.0, workers=2))
    assert len([e for e in serial if e.n_observers >= 3]) >= 100


_SOURCE = (0.0, 9_000.0)


def _array_off_by(noise_deg: float) -> tuple[Scene, tuple[float, float]]:
    """An array (0.5 deg, 5 ms) at the origin whose bearing to an explosion 9 km
    north is ``noise_deg`` off, and its two microphones 2 km east and west."""
    sc = Scene()
    sc.bearing(
        "A", "array-1", (0.0, 0.0), _SOURCE, T0, sigma_deg=0.5, time_sigma_s=0.005,
        noise_deg=noise_deg,
    )  # fmt: skip
    for k, m in enumerate([(2_000.0, 0.0), (-2_000.0, 0.0)]):
        sc.arrival(f"M{k}", f"mic-1{'ab'[k]}", m, _SOURCE, T0)
    return sc, _SOURCE


def test_an_array_two_sigma_off_still_seeds_with_its_microphones() -> None:
    # The array's bearing is 1 deg off (2 sigma) for an explosion 9 km away; its
    # microphones stand on opposite sides, 2 km out. Along the wrong ray each
    # microphone's arrival implies a different range (about 7.6 and 10.3 km): the
    # seed must judge their agreement within the spread the bearing noise gives
    # them, and the fit must then land near the source.
    sc, src = _array_off_by(1.0)
    events = fuse(sc.arrays())
    assert len(events) == 1 and "single_observer" not in events[0].flags
    x, y = _xy(events[0])
    assert math.hypot(x - src[0], y - src[1]) < 400.0


def test_global_pairing_keeps_both_rounds_where_mutual_best_loses_one() -> None:
    # Launch 0 fits impact 1 best (cost 0.5) and impact 0 well (1.0); launch 1 fits
    # only impact 1 (1.0). Mutual best takes (0, 1) and leaves launch 1 and impact
    # 0 unpaired: three events for two rounds. The least total cost pairs (0, 0)
    # and (1, 1): two rounds, as many as there were.
    from ceasefire.fuse.pairing import _global_pairs

    a = np.array([0, 0, 1])
    b = np.array([0, 1, 1])
    cost = np.array([1.0, 0.5, 1.0])
    gl, gi = np.array([0, 1]), np.array([2, 3])
    pl, pi = _global_pairs(a, b, cost, gl, gi, 2, 2)
    assert sorted(zip(pl.tolist(), pi.tolist(), strict=True)) == [(0, 0), (1, 1)]


def _battery_scene(direction: str) -> Scene:
    """An artillery round fired at (0, 0) and landing 9,900 m east 30 s later
    (330 m/s), each heard by two observers; the launch's reports name it a
    ``firing`` with the given direction class."""
    sc = Scene()
    launch, impact = (0.0, 0.0), (9_900.0, 0.0)
    for k, o in enumerate([(-3_000.0, 4_000.0), (-3_000.0, -4_000.0)]):
        sc.bearing(f"L{k}", f"l{k}", o, launch, T0, event="firing", direction=direction)
    for k, o in enumerate([(13_000.0, 4_000.0), (13_000.0, -4_000.0)]):
        sc.bearing(f"I{k}", f"i{k}", o, impact, T0 + 30.0)
    return sc


def test_the_event_kind_names_the_launch_even_when_the_direction_is_misread() -> None:
    # Both reports of the launch say "firing" but misread the direction as
    # "incoming" (the direction class is right in ~86 % of reports, the kind in
    # ~98 %): the round must still be one paired event with its launch point.
    for direction in ("outgoing", "incoming"):
        events = fuse(_battery_scene(direction).arrays())
        assert len(events) == 1, direction
        e = events[0]
        assert "paired" in e.flags and e.launch_lat is not None
        lx, ly = FRAME.to_xy(np.array([e.launch_lat]), np.array([e.launch_lon]))
        assert math.hypot(float(lx[0]), float(ly[0])) < 100.0


def test_a_launch_pairs_with_the_impact_across_the_contact_line() -> None:
    # One artillery launch at (0, 0), two impacts equally consistent in flight time
    # (9,900 m away, 30 s later): one east across a north-south line at x = 3 km,
    # one west on the launch's own side. With the line known, fire aimed across it
    # wins; without it, the tie goes to the first candidate.
    cfg_line = FuseConfig(
        contact_line_lonlat=(latlon(3_000.0, -50_000.0)[::-1], latlon(3_000.0, 50_000.0)[::-1])
    )
    lx, ly, lT = np.array([0.0]), np.array([0.0]), np.array([0.0])
    ix, iy, iT = np.array([-9_900.0, 9_900.0]), np.array([0.0, 0.0]), np.array([30.0, 30.0])
    from ceasefire.geo import GeoLine

    line = GeoLine.from_lonlat([list(c) for c in cfg_line.contact_line_lonlat or ()])
    la, lo = FRAME.to_latlon(np.r_[lx, ix], np.r_[ly, iy])
    side = line.nearest(la, lo).side.astype(np.intp)
    assert side[0] == side[1] != side[2]  # launch and west impact on one side
    pairing = cfg_line.launches
    pl, pi, _, _ = pair_launches(lx, ly, lT, ix, iy, iT, pairing, l_side=side[:1], i_side=side[1:])
    assert pl.tolist() == [0]
    assert pi.tolist() == [1]


def test_a_bearing_whose_microphones_disagree_along_it_is_fitted_with_them() -> None:
    # The array's bearing is 1.5 deg (3 sigma) off for an explosion 9 km away;
    # its microphones stand on opposite sides, 2 km out. Along the wrong ray their
    # arrivals imply ranges more than half the range apart, beyond any window: the
    # bearing and the pair are fitted jointly (x, y, emission time; one degree of
    # freedom to check), and the fix lands near the source.
    sc, src = _array_off_by(1.5)
    rows, src_codes, direction = _rows_of(sc)
    rep = _reports(rows, src_codes, direction)
    seeds = ray_seeds(rep, np.full(3, -1, np.intp), SeedConfig())
    assert seeds[2].shape[0] == 1  # one seed, from the joint fit
    events = fuse(sc.arrays())
    assert len(events) == 1 and "single_observer" not in events[0].flags
    x, y = _xy(events[0])
    assert math.hypot(x - src[0], y - src[1]) < 500.0


def test_seeds_asked_for_three_arrivals_skip_a_bearing_with_two() -> None:
    # The same bearing and its two microphones: a seed of two arrivals (the joint
    # fit's), which a call asking three of each seed (the far seeds') does not make.
    sc, _ = _array_off_by(1.5)
    rows, src_codes, direction = _rows_of(sc)
    rep = _reports(rows, src_codes, direction)
    free = np.full(3, -1, np.intp)
    two = reach_seeds(rep, free, 8_000.0)
    assert two[2].shape[0] == 1 and two[1].shape[0] == 3  # the bearing and 2 arrivals
    assert reach_seeds(rep, free, 8_000.0, min_arrivals=3)[2].shape[0] == 0


def test_a_mirrored_solution_makes_arrivals_ambiguous() -> None:
    # Four microphones along a straight road hear an explosion 5 km north of it:
    # its mirror image 5 km south gives the same arrival times. Fitted at the true
    # source, the check must find the second solution; for microphones on a square
    # there is none.
    from ceasefire.fuse.solve import ambiguous

    src = (1_000.0, 5_000.0)
    row = Scene()
    for k, x in enumerate((-4_500.0, -1_500.0, 1_500.0, 4_500.0)):
        row.arrival(f"M{k}", f"mic-{k}", (x, 0.0), src, T0)
    square = Scene()
    corners = [(-3_000.0, -3_000.0), (3_000.0, -3_000.0), (3_000.0, 3_000.0), (-3_000.0, 3_000.0)]
    for k, m in enumerate(corners):
        square.arrival(f"M{k}", f"mic-{k}", m, src, T0)
    for sc, want in ((row, True), (square, False)):
        rows, _, _ = _rows_of(sc)
        one = np.array([0])
        amb = ambiguous(
            rows, np.zeros(4, np.intp), np.array([src[0]]), np.array([src[1]]),
            np.array([T0]), one, C, 30_000.0,
        )  # fmt: skip
        assert bool(amb[0]) is want


def test_a_pair_with_a_near_rival_is_a_close_call_and_a_lone_one_is_not() -> None:
    cfg = LaunchPairConfig()
    # one launch; two impacts 6 km away at flight times 1 s apart (artillery, 330 m/s):
    # both fit, the better by less than close_margin
    lx, ly, lT = np.array([0.0]), np.array([0.0]), np.array([T0])
    ix, iy = np.array([6_000.0, 6_000.0]), np.array([0.0, 200.0])
    iT = T0 + np.array([6_000.0, 6_003.3]) / 330.0 + np.array([0.0, 1.0])
    pl, pi, margin, _ = pair_launches(lx, ly, lT, ix, iy, iT, cfg, np.array([1]), np.array([1, 1]))
    assert pl.tolist() == [0] and pi.tolist() == [0]
    assert 0.0 <= margin[0] < cfg.close_margin
    # the rival gone: no alternative at all
    pl, pi, margin, _ = pair_launches(
        lx, ly, lT, ix[:1], iy[:1], iT[:1], cfg, np.array([1]), np.array([1])
    )
    assert pl.tolist() == [0] and np.isinf(margin[0])


def test_a_round_slower_than_its_class_mean_still_pairs() -> None:
    # An artillery round 9,900 m in 37.5 s: 264 m/s, 20 % below the class's 330 m/s
    # (charge, elevation and range move real mean speeds by tens of percent). With
    # the spread at 0.02 (our own simulator's exact speeds) it found no impact.
    art = np.array([WEAPONS.index("artillery")])
    lx, ly, lT = np.array([0.0]), np.array([0.0]), np.array([0.0])
    ix, iy, iT = np.array([9_900.0]), np.array([0.0]), np.array([37.5])
    pl, _, _, _ = pair_launches(lx, ly, lT, ix, iy, iT, LaunchPairConfig(), art, art)
    assert pl.tolist() == [0]
    slow = LaunchPairConfig(speed_spread=0.02)
    pl, _, _, _ = pair_launches(lx, ly, lT, ix, iy, iT, slow, art, art)
    assert pl.shape[0] == 0
    # ... but no round flies 3 spreads faster than its class: 9,900 m in 11 s is 900
    # m/s, beyond artillery's and an MLRS's 1.45 x mean, and a tank's range
    pl, _, _, _ = pair_launches(lx, ly, lT, ix, iy, np.array([11.0]), LaunchPairConfig(), art, art)
    assert pl.shape[0] == 0
