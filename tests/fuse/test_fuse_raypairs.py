"""Lone bearings paired with the other phase of their round (fuse/raypairs.py):
one observer's launch and impact bearings, a launch bearing with a located
impact, and the cases that must stay apart (impossible timing, small arms)."""

from __future__ import annotations

import numpy as np
import pytest
from fuse_scenes import T0, Scene, latlon

from ceasefire.fuse import FuseConfig, RayPairConfig, fuse
from ceasefire.fuse.pairing import LaunchPairConfig
from ceasefire.fuse.raypairs import Points, Rays, pair_rays
from ceasefire.fuse.solve import Rows
from ceasefire.model.results import Event, side_doubt
from ceasefire.model.vocab import WEAPONS

OBSERVERS = [(-6_000.0, -500.0), (500.0, -6_000.0), (6_000.0, 300.0), (0.0, 6_500.0)]
MORTAR_M_S = 180.0  # FuseConfig's mean speed of a mortar round
LAUNCH, IMPACT = (-1_500.0, 2_500.0), (1_800.0, 3_500.0)
FLIGHT_S = float(np.hypot(IMPACT[0] - LAUNCH[0], IMPACT[1] - LAUNCH[1])) / MORTAR_M_S


def _one_observer(impact_shift_s: float = 0.0, launch_kind: str = "firing") -> list[Event]:
    """A post at the origin hears a mortar's firing and, FLIGHT_S later (plus
    ``impact_shift_s``), its impact; no one else hears either."""
    sc = Scene()
    sc.bearing("L", "post", (0.0, 0.0), LAUNCH, T0, event=launch_kind, direction="outgoing",
               weapon="mortar", sigma_deg=5.0, time_sigma_s=2.0)  # fmt: skip
    sc.bearing("I", "post", (0.0, 0.0), IMPACT, T0 + FLIGHT_S + impact_shift_s,
               weapon="undetermined", sigma_deg=5.0, time_sigma_s=2.0)  # fmt: skip
    return fuse(sc.arrays())


def test_one_observers_launch_and_impact_bearings_are_one_round() -> None:
    events = _one_observer()
    assert len(events) == 1
    e = events[0]
    assert set(e.observation_ids) == {"L", "I"}
    assert "paired" in e.flags and "no_position" in e.flags
    # the launch bearing is kept: attribution reads the launch ray
    assert e.kind == "firing" and e.weapon == "mortar"
    assert e.bearing_deg is not None
    az = np.degrees(np.arctan2(LAUNCH[0], LAUNCH[1])) % 360.0
    assert abs(e.bearing_deg - az) < 0.5


def test_without_ray_pairing_the_two_bearings_stay_two_events() -> None:
    sc = Scene()
    sc.bearing("L", "post", (0.0, 0.0), LAUNCH, T0, event="firing", direction="outgoing",
               weapon="mortar", sigma_deg=5.0, time_sigma_s=2.0)  # fmt: skip
    sc.bearing("I", "post", (0.0, 0.0), IMPACT, T0 + FLIGHT_S, weapon="undetermined",
               sigma_deg=5.0, time_sigma_s=2.0)  # fmt: skip
    events = fuse(sc.arrays(), FuseConfig(ray_pairs=False))
    assert sorted(len(e.observation_ids) for e in events) == [1, 1]


def _two_observers(far_m: float, cfg: FuseConfig | None = None) -> list[Event]:
    """A post at the origin hears only the firing; a second post ``far_m`` to the
    east hears only the impact, FLIGHT_S (+ the sound's travel) later."""
    sc = Scene()
    sc.bearing("L", "post-a", (0.0, 0.0), LAUNCH, T0, event="firing", direction="outgoing",
               weapon="mortar", sigma_deg=5.0, time_sigma_s=2.0)  # fmt: skip
    sc.bearing("I", "post-b", (far_m, 0.0), IMPACT, T0 + FLIGHT_S, event="explosion",
               weapon="undetermined", sigma_deg=5.0, time_sigma_s=2.0)  # fmt: skip
    return fuse(sc.arrays(), cfg)


def test_two_observers_launch_and_impact_bearings_are_one_round() -> None:
    near = _two_observers(5_000.0)
    assert len(near) == 1 and set(near[0].observation_ids) == {"L", "I"}
    assert "paired" in near[0].flags and near[0].n_observers == 2
    assert near[0].kind == "firing"  # the launch ray is kept for attribution
    # observers farther apart than RayPairConfig.two_m are not offered
    apart = _two_observers(5_000.0, FuseConfig(rays=RayPairConfig(two_m=4_000.0)))
    assert sorted(len(e.observation_ids) for e in apart) == [1, 1]


def test_an_impact_heard_long_before_the_firing_stays_apart() -> None:
    # heard 60 s before the firing. With both sources within 30 km of the observer,
    # the impact can be heard before the firing by at most R (1/c - 1/v): ~21 s for
    # an MLRS round (v = 450 m/s, R <= 30 km + the ray's spread), ~13 s for a tank.
    events = _one_observer(impact_shift_s=-FLIGHT_S - 60.0)
    assert sorted(len(e.observation_ids) for e in events) == [1, 1]


def test_a_burst_of_small_arms_is_no_launch_of_an_explosion() -> None:
    # bullets make no explosion: a burst and a later explosion are two events
    events = _one_observer(launch_kind="burst")
    assert sorted(len(e.observation_ids) for e in events) == [1, 1]


def test_a_launch_bearing_joins_the_located_impact_its_flight_fits_best() -> None:
    sc = Scene()
    far_impact = (30_000.0, 25_000.0)  # beyond a mortar's range from any point of the ray
    for k, o in enumerate(OBSERVERS):
        sc.bearing(f"I{k}", f"obs{k}", o, IMPACT, T0 + FLIGHT_S, weapon="undetermined")
        sc.bearing(f"J{k}", f"obs{k}", (o[0] + 28_000.0, o[1] + 22_000.0), far_impact,
                   T0 + FLIGHT_S, weapon="undetermined")  # fmt: skip
    # a far post hears only the firing of the mortar (a lone bearing, no range)
    sc.bearing("L", "far", (-9_000.0, -4_000.0), LAUNCH, T0, event="firing",
               direction="outgoing", weapon="mortar", sigma_deg=2.0, time_sigma_s=1.0)  # fmt: skip
    events = fuse(sc.arrays())
    assert len(events) == 2
    joined = next(e for e in events if "L" in e.observation_ids)
    assert set(joined.observation_ids) == {"L", "I0", "I1", "I2", "I3"}
    assert "launch_ray" in joined.flags and joined.lat is not None
    assert joined.observer_lat is not None and joined.bearing_deg is not None
    other = next(e for e in events if "J0" in e.observation_ids)
    assert "launch_ray" not in other.flags and len(other.observation_ids) == 4


def test_an_impact_bearing_joins_the_located_launch() -> None:
    sc = Scene()
    for k, o in enumerate(OBSERVERS):
        sc.bearing(f"L{k}", f"obs{k}", o, LAUNCH, T0, event="firing", direction="outgoing",
                   weapon="mortar")  # fmt: skip
    sc.bearing("I", "far", (9_000.0, 8_000.0), IMPACT, T0 + FLIGHT_S, weapon="undetermined",
               sigma_deg=2.0, time_sigma_s=1.0)  # fmt: skip
    events = fuse(sc.arrays())
    assert len(events) == 1
    e = events[0]
    assert set(e.observation_ids) == {"L0", "L1", "L2", "L3", "I"}
    assert e.kind == "firing" and "paired" in e.flags and e.lat is not None


def _rival_launch_rays(rival: tuple[float, float], post_dx: float) -> list[Event]:
    """A located mortar impact east of a north-south contact line (x = 0), and two
    lone launch bearings, each from its own far post, fired together: the round's
    launch west of the line, and a rival at ``rival`` at the same distance from the
    impact (an equally good flight), heard from a post as far from it, ``post_dx``
    (m, ±7,500) east of it."""
    sc = Scene()
    for k, o in enumerate(OBSERVERS):
        sc.bearing(f"I{k}", f"obs{k}", o, IMPACT, T0 + FLIGHT_S, weapon="undetermined")
    sc.bearing("L", "far-w", (-9_000.0, -4_000.0), LAUNCH, T0, event="firing",
               direction="outgoing", weapon="mortar", sigma_deg=2.0, time_sigma_s=1.0)  # fmt: skip
    post = (rival[0] + post_dx, rival[1] - 6_500.0)
    sc.bearing("R", "far-e", post, rival, T0, event="firing", direction="outgoing",
               weapon="mortar", sigma_deg=2.0, time_sigma_s=1.0)  # fmt: skip
    line = (latlon(0.0, -60_000.0)[::-1], latlon(0.0, 60_000.0)[::-1])
    return fuse(sc.arrays(), FuseConfig(contact_line_lonlat=line))


def test_a_launch_bearing_joined_to_an_impact_states_a_rival_across_the_line() -> None:
    d = float(np.hypot(IMPACT[0] - LAUNCH[0], IMPACT[1] - LAUNCH[1]))
    # the rival on the impact's side of the line: the same-side cost lets the
    # western launch take the impact, and the rival's flight is as likely
    across = _rival_launch_rays((IMPACT[0], IMPACT[1] - d), 7_500.0)
    joined = next(e for e in across if "launch_ray" in e.flags)
    assert "L" in joined.observation_ids and "R" not in joined.observation_ids
    doubt = side_doubt(joined.flags)
    assert 0.3 < doubt < 0.7
    # the rival west of the line as well (a battery's two tubes; its post's ray
    # parallel to the other, so the two bearings do not cross): only the far end
    # of the rival's ray, past the line, is across
    west = _rival_launch_rays((IMPACT[0] - d, IMPACT[1]), -7_500.0)
    joined = next(e for e in west if "launch_ray" in e.flags)
    assert side_doubt(joined.flags) < 0.15
    # without a contact line there is no side to doubt
    sc = Scene()
    for k, o in enumerate(OBSERVERS):
        sc.bearing(f"I{k}", f"obs{k}", o, IMPACT, T0 + FLIGHT_S, weapon="undetermined")
    sc.bearing("L", "far-w", (-9_000.0, -4_000.0), LAUNCH, T0, event="firing",
               direction="outgoing", weapon="mortar", sigma_deg=2.0, time_sigma_s=1.0)  # fmt: skip
    sc.bearing("R", "far-e", (IMPACT[0] + 7_500.0, IMPACT[1] - d - 6_500.0),
               (IMPACT[0], IMPACT[1] - d), T0, event="firing", direction="outgoing",
               weapon="mortar", sigma_deg=2.0, time_sigma_s=1.0)  # fmt: skip
    joined = next(e for e in fuse(sc.arrays()) if "launch_ray" in e.flags)
    assert side_doubt(joined.flags) == 0.0


def test_a_launch_paired_elsewhere_is_a_rival_of_a_joined_launch_bearing() -> None:
    # Impact B (east of the line x = 0) is joined by a lone launch bearing from the
    # west. A located launch A east of the line, 3 s later, is paired by located
    # pairing with impact X west of the line (fire aimed across it); its flight to
    # B fits as well, so it is a rival across from the bearing's launch even though
    # ray pairing may not give it B
    v = MORTAR_M_S
    d_ab = v * (FLIGHT_S - 3.0)
    a_xy = (IMPACT[0], IMPACT[1] - d_ab)
    x_xy = (a_xy[0] - 0.8 * d_ab, a_xy[1] + 0.6 * d_ab)
    assert a_xy[0] > 0 > x_xy[0]
    sc = Scene()
    for k, o in enumerate(OBSERVERS):
        sc.bearing(f"B{k}", f"obs{k}", o, IMPACT, T0 + FLIGHT_S, weapon="mortar")
        sc.bearing(f"A{k}", f"obs{k}", o, a_xy, T0 + 3.0, event="firing",
                   direction="outgoing", weapon="mortar")  # fmt: skip
        sc.bearing(f"X{k}", f"obs{k}", o, x_xy, T0 + 3.0 + d_ab / v, weapon="mortar")
    sc.bearing("L", "far-w", (-9_000.0, -4_000.0), LAUNCH, T0, event="firing",
               direction="outgoing", weapon="mortar", sigma_deg=2.0, time_sigma_s=1.0)  # fmt: skip
    line = (latlon(0.0, -60_000.0)[::-1], latlon(0.0, 60_000.0)[::-1])
    events = fuse(sc.arrays(), FuseConfig(contact_line_lonlat=line))
    assert len(events) == 2
    ax = next(e for e in events if "A0" in e.observation_ids)
    assert "X0" in ax.observation_ids and "launch_ray" not in ax.flags
    joined = next(e for e in events if "L" in e.observation_ids)
    assert "B0" in joined.observation_ids and "launch_ray" in joined.flags
    # a located launch fits its flight more sharply than the ray's best sample: more
    # than a coin toss across (attribution caps the doubt at one)
    assert 0.5 < side_doubt(joined.flags) < 0.95


C_M_S = 343.0
MORTAR = WEAPONS.index("mortar")
#: a located mortar launch at the origin at t = 100 s; its impact 3,606 m away,
#: emitted a flight of 3,606 / 180 s later
HIT = (3_000.0, 2_000.0)
HIT_T = 100.0 + float(np.hypot(*HIT)) / MORTAR_M_S


def _impact_rays(posts: list[tuple[float, float, float]], src: list[int]) -> Rays:
    """Impact bearings at HIT from ``posts`` ``(x, y, late_s)`` (m, s), each heard
    at the impact's time plus the sound's travel plus ``late_s``, sd 2° and 1 s;
    observers ``src``."""
    x = np.array([p[0] for p in posts])
    y = np.array([p[1] for p in posts])
    az = np.arctan2(HIT[0] - x, HIT[1] - y)
    n = len(posts)
    t = HIT_T + np.hypot(HIT[0] - x, HIT[1] - y) / C_M_S + np.array([p[2] for p in posts])
    one = np.ones(n)
    rows = Rows(x, y, az, np.radians(2.0) * one, t, one, one, one * np.nan, one * np.nan)
    return Rays(rows, np.full(n, -1, np.intp), np.array(src, np.intp))


def _launch_point() -> Points:
    return Points(np.zeros(1), np.zeros(1), np.full(1, 100.0), np.full(1, 0.5),
                  np.eye(2)[None] * 100.0**2, np.full(1, MORTAR, np.intp))  # fmt: skip


def _joined(
    posts: list[tuple[float, float, float]],
    src: list[int],
    gate: float = RayPairConfig.more_rays_chi2,
) -> list[int]:
    """The impact rays joined to the located launch: the pair's, then ``more``."""
    none = _impact_rays([], [])
    nopts = Points(*(np.zeros((0, *s)) for s in ((), (), (), (), (2, 2))), np.zeros(0, np.intp))
    more: list[tuple[int, int]] = []
    a, b, _ = pair_rays(
        Rays(none.rows, none.weapon, none.src), _impact_rays(posts, src), _launch_point(), nopts,
        RayPairConfig(more_rays_chi2=gate), LaunchPairConfig(), C_M_S, 30_000.0, more=more,
    )  # fmt: skip
    assert a.tolist() == [0]  # the located launch (no launch rays: the first point)
    return [int(b[0])] + [ray for k, ray in more if k == 0]


def test_two_observers_impact_bearings_both_join_the_located_launch() -> None:
    east, south = (9_000.0, 2_000.0, 0.0), (3_000.0, -5_000.0, 0.0)
    assert sorted(_joined([east, south], [0, 1])) == [0, 1]
    # off: one of them only
    assert len(_joined([east, south], [0, 1], 0.0)) == 1
    # one observer reports a round once: its second bearing is another round's
    assert len(_joined([east, south], [0, 0])) == 1
    # the same spot hit 30 s later is another round (of a battery): its bearing
    # crosses the first one where their times disagree by 30 s
    assert len(_joined([east, (3_000.0, -5_000.0, 30.0)], [0, 1])) == 1


def test_more_rays_fits_only_what_can_join_and_joins_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # twenty impact bearings of six observers, from posts around the hit, late by
    # up to 10 s: the fits made are fewer than the rays' samples (pair's own
    # observer and far samples left out), and the rays joined are those of fitting
    # every sample pair; a bound cut 23 below the gate joins others
    from ceasefire.fuse import raypairs

    rng = np.random.default_rng(4)
    ang = rng.uniform(0.0, 2.0 * np.pi, 20)
    dist = rng.uniform(2_000.0, 9_000.0, 20)
    late = rng.uniform(-10.0, 10.0, 20)
    posts = [
        (HIT[0] + r * np.sin(a), HIT[1] + r * np.cos(a), s)
        for a, r, s in zip(ang.tolist(), dist.tolist(), late.tolist(), strict=True)
    ]
    src = rng.integers(0, 6, 20).tolist()
    fitted: list[int] = []
    fit = raypairs._two_rays_fit

    def counted(*args: object) -> np.ndarray:
        out = fit(*args)  # type: ignore[arg-type]
        fitted.append(int(out.size))
        return out

    monkeypatch.setattr(raypairs, "_two_rays_fit", counted)
    joined = _joined(posts, src)
    pruned = sum(fitted)
    monkeypatch.setattr(raypairs, "_FIT_SLACK", np.inf)
    fitted.clear()
    assert _joined(posts, src) == joined
    assert len(joined) > 2
    assert 0 < pruned < sum(fitted)
    monkeypatch.setattr(raypairs, "_FIT_SLACK", -23.0)
    assert _joined(posts, src) != joined


def test_a_single_observers_fix_joined_by_another_observer_is_no_single_observers() -> None:
    # one post locates the impact alone (bearing and range); a far post hears only the
    # firing: joined, the round is heard by two observers, so it is corroborated like
    # any located event of two (corroborate.py) and may explain lone bearings
    sc = Scene()
    sc.bearing("I", "post", (0.0, 0.0), IMPACT, T0 + FLIGHT_S, weapon="undetermined",
               range_m=float(np.hypot(*IMPACT)), range_sigma_m=150.0)  # fmt: skip
    sc.bearing("L", "far", (-9_000.0, -4_000.0), LAUNCH, T0, event="firing",
               direction="outgoing", weapon="mortar", sigma_deg=2.0, time_sigma_s=1.0)  # fmt: skip
    alone = fuse(sc.arrays(), FuseConfig(ray_pairs=False))
    located = next(e for e in alone if "I" in e.observation_ids)
    assert located.lat is not None and "single_observer" in located.flags
    events = fuse(sc.arrays())
    assert len(events) == 1 and set(events[0].observation_ids) == {"I", "L"}
    assert "paired" in events[0].flags and events[0].n_observers == 2
    assert "single_observer" not in events[0].flags
    assert "uncorroborated" not in events[0].flags  # was flagged so: counted as no violation


def test_two_observers_joined_bearings_are_corroborated_by_each_other() -> None:
    # no position, but two observers heard the round: not one observer's lone report
    e = _two_observers(5_000.0)[0]
    assert e.lat is None and e.n_observers == 2
    assert "single_observer" not in e.flags and "uncorroborated" not in e.flags


def test_the_sides_a_caller_knows_are_the_ones_ray_pairing_uses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a contact line along y = 1,000 m between the launch point (south) and the
    # impact ray's post: the located launch's and the post's sides given as
    # LineSides finds them pair the same, without a side test of their own
    from ceasefire.fuse.frame import Grid
    from ceasefire.fuse.linesides import LineSides
    from ceasefire.geo import GeoLine

    grid = Grid.about(np.array([48.0]), np.array([37.5]))
    la, lo = grid.to_latlon(np.array([-40_000.0, 40_000.0]), np.array([1_000.0, 1_000.0]))
    sides = LineSides.of(GeoLine(tuple(la.tolist()), tuple(lo.tolist())), grid)
    posts = [(3_000.0, 6_000.0, 0.0)]
    none = _impact_rays([], [])
    e, no = np.zeros(0), np.zeros(0, np.intp)
    nopts = Points(e, e, e, e, np.zeros((0, 2, 2)), no, no)

    def cost(side: np.ndarray | None, side0: np.ndarray | None) -> tuple[list[int], list[float]]:
        p = _launch_point()
        launch = Points(p.x, p.y, p.T, p.sd_t, p.cov, p.weapon, side)
        r = _impact_rays(posts, [0])
        rays = Rays(r.rows, r.weapon, r.src, side0)
        a, b, d = pair_rays(
            none, rays, launch, nopts, RayPairConfig(), LaunchPairConfig(), C_M_S, 30_000.0,
            sides,
        )  # fmt: skip
        return a.tolist() + b.tolist(), d.tolist()

    found = cost(None, None)
    assert found[0] == [0, 0]
    here = sides.points(np.zeros(1), np.zeros(1))
    post = sides.points(np.array([3_000.0]), np.array([6_000.0]))
    assert here.tolist() != post.tolist()

    def no_side_test(*_args: object) -> None:
        raise AssertionError("a known side tested again")

    monkeypatch.setattr(LineSides, "points", no_side_test)
    assert cost(here, post) == found
