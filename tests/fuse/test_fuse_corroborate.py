"""Lone reports are flagged ``uncorroborated`` when nothing else was heard near
them (no located event, no other observer's report) in distance and time."""

from __future__ import annotations

from fuse_scenes import T0, Scene

from ceasefire.fuse import CorroborationConfig, FuseConfig, fuse


def _flags(sc: Scene, cfg: FuseConfig | None = None) -> dict[tuple[str, ...], tuple[str, ...]]:
    return {e.observation_ids: e.flags for e in fuse(sc.arrays(), cfg or FuseConfig())}


def test_a_lone_report_in_silence_is_uncorroborated() -> None:
    sc = Scene()
    sc.bearing("lone", "post-1", (0.0, 0.0), (0.0, 5_000.0), T0)
    flags = _flags(sc)
    assert "uncorroborated" in flags[("lone",)] and "no_position" in flags[("lone",)]


def test_a_located_event_nearby_corroborates_and_a_late_one_does_not() -> None:
    # An explosion located by two observers; a third observer 8 km away hears a
    # different sound 90 s later (a lone bearing pointing elsewhere): it is
    # corroborated (within 15 km and 2 minutes). A fourth observer's report 4 minutes
    # later is not, nor is a report whose observer is 17 km from the located event.
    sc = Scene()
    ev = (0.0, 6_000.0)
    sc.bearing("a", "obs-a", (-5_000.0, 0.0), ev, T0)
    sc.bearing("b", "obs-b", (5_000.0, 0.0), ev, T0)
    sc.bearing("near", "post-c", (8_000.0, 3_000.0), (14_000.0, 9_000.0), T0 + 90.0)
    sc.bearing("late", "post-d", (9_000.0, 3_000.0), (14_000.0, 9_000.0), T0 + 240.0)
    flags = _flags(sc)
    assert "single_observer" not in flags[("a", "b")]
    assert "uncorroborated" not in flags[("near",)]
    assert "uncorroborated" in flags[("late",)]
    far = Scene()
    far.bearing("a", "obs-a", (-5_000.0, 0.0), ev, T0)
    far.bearing("b", "obs-b", (5_000.0, 0.0), ev, T0)
    far.bearing("far", "post-f", (17_000.0, 6_000.0), (23_000.0, 12_000.0), T0 + 90.0)
    assert "uncorroborated" in _flags(far)[("far",)]


def test_lone_reports_of_two_observers_corroborate_each_other_not_of_one() -> None:
    # Two observers 12 km apart each hear something a minute apart, their rays not
    # crossing: each corroborates the other (within 15 km and 2 minutes); three
    # minutes apart they do not. One observer's two reports 31 degrees apart do not.
    sc = Scene()
    sc.bearing("x", "post-x", (0.0, 0.0), (0.0, 5_000.0), T0)
    sc.bearing("y", "post-y", (12_000.0, 0.0), (12_000.0, 5_000.0), T0 + 60.0)
    flags = _flags(sc)
    assert "uncorroborated" not in flags[("x",)] and "uncorroborated" not in flags[("y",)]
    apart = Scene()
    apart.bearing("x", "post-x", (0.0, 0.0), (0.0, 5_000.0), T0)
    apart.bearing("y", "post-y", (12_000.0, 0.0), (12_000.0, 5_000.0), T0 + 180.0)
    flags = _flags(apart)
    assert "uncorroborated" in flags[("x",)] and "uncorroborated" in flags[("y",)]
    solo = Scene()
    solo.bearing("p", "post-p", (0.0, 0.0), (0.0, 5_000.0), T0)
    solo.bearing("q", "post-p", (0.0, 0.0), (3_000.0, 5_000.0), T0 + 120.0)
    flags = _flags(solo)
    assert "uncorroborated" in flags[("p",)] and "uncorroborated" in flags[("q",)]


def test_one_observers_reports_from_one_direction_corroborate_each_other() -> None:
    # An engagement heard by one post alone: bursts from about one direction (within
    # 20 degrees) within 10 minutes corroborate each other; a report from another
    # direction, or 11 minutes later, stays uncorroborated.
    sc = Scene()
    post = (0.0, 0.0)
    sc.bearing("b1", "post-e", post, (0.0, 3_000.0), T0, event="burst", direction="outgoing")
    sc.bearing(
        "b2", "post-e", post, (600.0, 3_000.0), T0 + 300.0, event="burst", direction="outgoing"
    )  # fmt: skip  (11 degrees from b1)
    sc.bearing(
        "off", "post-e", post, (3_000.0, 0.0), T0 + 200.0, event="burst", direction="outgoing"
    )  # fmt: skip  (90 degrees off)
    sc.bearing("late", "post-e", post, (0.0, 3_000.0), T0 + 300.0 + 660.0, event="burst",
               direction="outgoing")  # fmt: skip
    flags = _flags(sc)
    assert "uncorroborated" not in flags[("b1",)] and "uncorroborated" not in flags[("b2",)]
    assert "uncorroborated" in flags[("off",)]
    assert "uncorroborated" in flags[("late",)]
    # another post at another place in the same direction is not the same observer
    other = Scene()
    other.bearing("p", "post-p", post, (0.0, 3_000.0), T0, event="burst", direction="outgoing")
    other.bearing("q", "post-q", (40_000.0, 0.0), (40_000.0, 3_000.0), T0 + 300.0,
                  event="burst", direction="outgoing")  # fmt: skip
    flags = _flags(other)
    assert "uncorroborated" in flags[("p",)] and "uncorroborated" in flags[("q",)]


def _array_scene(n_mics: int, mic_hears: bool, alive: bool = True) -> Scene:
    """Two posts locate an explosion 8 km north (activity that corroborates); an
    acoustic array at the origin, with ``n_mics`` microphones 2 km around it, alone
    hears another sound 30 s later from 10 km north-east; with ``mic_hears`` its first
    microphone perceives that sound too. Each microphone also hears something else a
    minute later (outside the window: it is listening), or with ``alive`` False only
    2 hours earlier (it may have died since)."""
    sc = Scene()
    boom = (0.0, 8_000.0)
    sc.bearing("a", "post-a", (-5_000.0, 0.0), boom, T0)
    sc.bearing("b", "post-b", (5_000.0, 0.0), boom, T0)
    src = (5_000.0, 9_000.0)
    sc.bearing("lone", "array-1", (0.0, 0.0), src, T0 + 30.0, sigma_deg=0.5,
               time_sigma_s=0.005)  # fmt: skip
    mics = [(2_000.0, 0.0), (0.0, 2_000.0), (-2_000.0, 0.0), (0.0, -2_000.0)][:n_mics]
    if mic_hears:
        sc.arrival("m", "mic-1a", mics[0], src, T0 + 30.0)
    for k, xy in enumerate(mics):
        other_t = T0 + 90.0 if alive else T0 - 7_200.0  # else: silent for the last 2 h
        sc.arrival(f"other{k}", f"mic-1{'abcd'[k]}", xy, (0.0, -20_000.0), other_t)
    return sc


def test_a_lone_report_its_own_microphones_did_not_hear_is_unheard() -> None:
    # the located explosion corroborates the array's lone report by time and place,
    # but four microphones 2 km away heard nothing while its sound passed: unheard
    flags = _flags(_array_scene(4, mic_hears=False))
    assert "single_observer" not in flags[("a", "b")]
    assert {"unheard", "uncorroborated"} <= set(flags[("lone",)])
    # one of them heard it: no longer unheard, and corroborated by the explosion
    flags = _flags(_array_scene(4, mic_hears=True))
    assert "unheard" not in flags[("lone",)] and "uncorroborated" not in flags[("lone",)]
    # two microphones are too few to tell silence from chance
    flags = _flags(_array_scene(2, mic_hears=False))
    assert "unheard" not in flags[("lone",)] and "uncorroborated" not in flags[("lone",)]
    # microphones that have perceived nothing for 2 hours may be dead: no evidence
    flags = _flags(_array_scene(4, mic_hears=False, alive=False))
    assert "unheard" not in flags[("lone",)] and "uncorroborated" not in flags[("lone",)]
    # the check can be switched off
    silent_off = FuseConfig(corroboration=CorroborationConfig(unheard=False))
    off = _flags(_array_scene(4, False), silent_off)
    assert "unheard" not in off[("lone",)] and "uncorroborated" not in off[("lone",)]


def test_two_observers_bearings_joined_without_position_corroborate_a_neighbour() -> None:
    # a mortar's firing heard by one post and its impact (26 s later) by another:
    # joined by ray pairing, without position; two observers heard it, so it is
    # corroborated, and it corroborates a third post's lone report a minute later
    # (as a lone report would), pointing elsewhere
    sc = Scene()
    sc.bearing("L", "post-a", (0.0, 0.0), (-1_500.0, 2_500.0), T0, event="firing",
               direction="outgoing", weapon="mortar", sigma_deg=5.0, time_sigma_s=2.0)  # fmt: skip
    sc.bearing("I", "post-b", (5_000.0, 0.0), (1_800.0, 3_500.0), T0 + 19.1,
               weapon="undetermined", sigma_deg=5.0, time_sigma_s=2.0)  # fmt: skip
    sc.bearing("c", "post-c", (8_000.0, 3_000.0), (14_000.0, 9_000.0), T0 + 80.0)
    flags = _flags(sc)
    joined = flags[("I", "L")]
    assert "paired" in joined and "no_position" in joined
    assert "single_observer" not in joined and "uncorroborated" not in joined
    assert "uncorroborated" not in flags[("c",)]
    # without ray pairing each bearing is its own lone report; "c" still corroborated
    apart = _flags(sc, FuseConfig(ray_pairs=False))
    assert ("I", "L") not in apart and "uncorroborated" not in apart[("c",)]
