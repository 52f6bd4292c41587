"""A lone bearing is explained (flagged, kept, not counted) when a located event
accounts for it: its ray passes the event's fix or launch point and its time fits
that point's emission plus the sound's travel, within the clock slack and the
gate; an observer's second report of a point it already holds is another round."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from fuse_scenes import T0, Scene, latlon

from ceasefire.fuse.explain import ExplainConfig, explain, explained_by
from ceasefire.model.results import Event

ON = ExplainConfig()
IMPACT = (0.0, 6_000.0)
LAUNCH = (0.0, -8_000.0)
T_LAUNCH = T0 - 40.0


def _located(ids: tuple[str, ...], *, paired: bool = False) -> Event:
    la, lo = latlon(*IMPACT)
    e = Event(
        id="located-1",
        kind="explosion",
        time_s=T0,
        lat=la,
        lon=lo,
        cov_m2=(100.0**2, 100.0**2, 0.0),
        observation_ids=ids,
        n_observers=len(ids),
    )
    if not paired:
        return e
    lla, llo = latlon(*LAUNCH)
    return replace(
        e,
        launch_lat=lla,
        launch_lon=llo,
        launch_cov_m2=(150.0**2, 150.0**2, 0.0),
        flags=("paired",),
    )


def _lone(sc: Scene, oid: str) -> Event:
    r = next(r for r in sc.rows if r["id"] == oid)
    return Event(
        id=f"lone-{oid}",
        kind=str(r["event"]),
        time_s=float(r["time_s"]),  # type: ignore[arg-type]
        lat=None,
        lon=None,
        cov_m2=None,
        observation_ids=(oid,),
        n_observers=1,
        observer_lat=float(r["lat"]),  # type: ignore[arg-type]
        observer_lon=float(r["lon"]),  # type: ignore[arg-type]
        bearing_deg=float(r["bearing_deg"]),  # type: ignore[arg-type]
        flags=("no_position", "single_observer"),
    )


def _scene() -> Scene:
    """An impact located by two observers."""
    sc = Scene()
    sc.bearing("a", "obs-a", (-5_000.0, 0.0), IMPACT, T0)
    sc.bearing("b", "obs-b", (5_000.0, 0.0), IMPACT, T0)
    return sc


def _explained(sc: Scene, events: list[Event], cfg: ExplainConfig = ON) -> dict[str, str | None]:
    out = explain(events, cfg, sc.arrays())
    assert [e.id for e in out] == [e.id for e in events]  # nothing deleted
    return {e.id: explained_by(e) for e in out if e.id.startswith("lone")}


def test_a_lone_bearing_through_a_located_impact_is_explained_and_kept() -> None:
    sc = _scene()
    # a third post hears the impact 2.5 s late (its clock) and 3 degrees off (sigma 2)
    sc.bearing("c", "post-c", (8_000.0, 0.0), IMPACT, T0, noise_t_s=2.5, noise_deg=3.0)
    events = [_located(("a", "b")), _lone(sc, "c")]
    out = explain(events, ON, sc.arrays())
    assert out[0] == events[0]
    assert explained_by(out[1]) == "located-1"
    assert "explained" in out[1].flags and "no_position" in out[1].flags
    assert out[1].observation_ids == ("c",)
    # off, nothing is flagged
    assert explain(events, ExplainConfig(enabled=False), sc.arrays()) == events


@pytest.mark.parametrize(
    ("noise_t_s", "noise_deg", "expected"),
    [
        (2.5, 3.0, "located-1"),  # 0.5 s beyond the 2 s slack, 1.5 sigma in bearing
        (-2.5, -3.0, "located-1"),
        (5.0, 0.0, None),  # 3 s beyond the slack at sigma 1 s: another round
        (-5.0, 0.0, None),
        (0.0, 5.0, None),  # 2.5 sigma off in bearing: another direction
    ],
)
def test_time_and_bearing_decide(noise_t_s: float, noise_deg: float, expected: str | None) -> None:
    sc = _scene()
    sc.bearing("c", "post-c", (8_000.0, 0.0), IMPACT, T0, noise_t_s=noise_t_s, noise_deg=noise_deg)
    assert _explained(sc, [_located(("a", "b")), _lone(sc, "c")]) == {"lone-c": expected}


def test_a_wider_gate_or_sigma_scale_explains_more() -> None:
    sc = _scene()
    sc.bearing("c", "post-c", (8_000.0, 0.0), IMPACT, T0, noise_deg=6.0)
    events = [_located(("a", "b")), _lone(sc, "c")]
    assert _explained(sc, events) == {"lone-c": None}
    assert _explained(sc, events, replace(ON, gate_chi2=10.0)) == {"lone-c": "located-1"}
    assert _explained(sc, events, replace(ON, sigma_scale=2.0)) == {"lone-c": "located-1"}


def test_an_observer_already_in_the_event_reports_another_round() -> None:
    # post-c's own report is in the event: its second one, 6 s later from the same
    # direction, is the battery's next round and stays counted
    sc = _scene()
    sc.bearing("c", "post-c", (8_000.0, 0.0), IMPACT, T0)
    sc.bearing("c2", "post-c", (8_000.0, 0.0), IMPACT, T0, noise_t_s=1.0)
    assert _explained(sc, [_located(("a", "b", "c")), _lone(sc, "c2")]) == {"lone-c2": None}


def test_a_paired_rounds_launch_explains_a_lone_bearing_of_the_launch() -> None:
    # the launch located by two more observers, 40 s before the impact
    sc = _scene()
    sc.bearing("la", "obs-la", (-5_000.0, -12_000.0), LAUNCH, T_LAUNCH, event="firing")
    sc.bearing("lb", "obs-lb", (5_000.0, -12_000.0), LAUNCH, T_LAUNCH, event="firing")
    # post-c heard the impact (its report is in the event) and the launch alone
    sc.bearing("c", "post-c", (8_000.0, -2_000.0), IMPACT, T0)
    sc.bearing("cl", "post-c", (8_000.0, -2_000.0), LAUNCH, T_LAUNCH, event="firing")
    located = _located(("a", "b", "c", "la", "lb"), paired=True)
    assert _explained(sc, [located, _lone(sc, "cl")]) == {"lone-cl": "located-1"}
    # its launch report 20 s off the launch time the launch members give: not explained
    late = _scene()
    late.rows += [r for r in sc.rows if r["id"] in ("la", "lb", "c")]
    late.bearing(
        "cl", "post-c", (8_000.0, -2_000.0), LAUNCH, T_LAUNCH, event="firing", noise_t_s=20.0
    )
    assert _explained(late, [located, _lone(late, "cl")]) == {"lone-cl": None}
    # the slot of the launch point taken by post-c's own launch report: not explained
    taken = _located(("a", "b", "cl", "la", "lb"), paired=True)
    sc.bearing("cl2", "post-c", (8_000.0, -2_000.0), LAUNCH, T_LAUNCH, event="firing")
    assert _explained(sc, [taken, _lone(sc, "cl2")]) == {"lone-cl2": None}
    # with the observer's absence from the whole event asked, the first case is out too
    assert _explained(sc, [located, _lone(sc, "cl")], replace(ON, slot="event")) == {
        "lone-cl": None
    }


def _piece(ids: tuple[str, ...], xy: tuple[float, float], t: float, sd_m: float = 200.0) -> Event:
    """An unpaired located firing of ``ids`` (each its own observer) at ``xy``."""
    la, lo = latlon(*xy)
    return Event(
        id="piece-1",
        kind="firing",
        time_s=t,
        lat=la,
        lon=lo,
        cov_m2=(sd_m**2, sd_m**2, 0.0),
        observation_ids=ids,
        n_observers=len(ids),
    )


def _launch_scene() -> Scene:
    """A paired round: its impact located by obs-a and obs-b, its launch 40 s earlier
    by obs-la and obs-lb."""
    sc = _scene()
    sc.bearing("la", "obs-la", (-5_000.0, -12_000.0), LAUNCH, T_LAUNCH, event="firing")
    sc.bearing("lb", "obs-lb", (5_000.0, -12_000.0), LAUNCH, T_LAUNCH, event="firing")
    return sc


def _pieces(sc: Scene, events: list[Event], cfg: ExplainConfig = ON) -> dict[str, str | None]:
    out = explain(events, cfg, sc.arrays())
    assert [e.id for e in out] == [e.id for e in events]  # nothing deleted
    return {e.id: explained_by(e) for e in out}


def test_a_second_fix_of_a_paired_rounds_launch_by_other_observers_is_explained() -> None:
    # two more posts and a microphone heard the same launch, located apart (200 m off,
    # 1.5 deg and a second of clock off): one round split in two, counted once
    sc = _launch_scene()
    sc.bearing("lc", "post-lc", (-9_000.0, -6_000.0), LAUNCH, T_LAUNCH, noise_deg=1.5,
               event="firing")  # fmt: skip
    sc.bearing("ld", "post-ld", (9_000.0, -6_000.0), LAUNCH, T_LAUNCH, noise_t_s=1.0,
               event="firing")  # fmt: skip
    sc.arrival("m", "mic-m", (0.0, -14_000.0), LAUNCH, T_LAUNCH)
    paired = _located(("a", "b", "la", "lb"), paired=True)
    piece = _piece(("lc", "ld", "m"), (LAUNCH[0] + 200.0, LAUNCH[1]), T_LAUNCH + 0.5)
    got = _pieces(sc, [paired, piece])
    assert got == {"located-1": None, "piece-1": "located-1"}
    out = explain([paired, piece], ON, sc.arrays())
    assert "explained" in out[1].flags and out[1].observation_ids == piece.observation_ids
    # off: counted as before
    assert _pieces(sc, [paired, piece], replace(ON, pieces=False)) == {
        "located-1": None,
        "piece-1": None,
    }


def test_a_piece_is_another_round_when_an_observer_already_holds_that_point() -> None:
    # obs-la's report is the paired round's launch: its second report from there, with
    # post-lc's, is the battery's next round, seconds later
    sc = _launch_scene()
    sc.bearing("la2", "obs-la", (-5_000.0, -12_000.0), LAUNCH, T_LAUNCH, event="firing")
    sc.bearing("lc", "post-lc", (-9_000.0, -6_000.0), LAUNCH, T_LAUNCH, event="firing")
    paired = _located(("a", "b", "la", "lb"), paired=True)
    piece = _piece(("la2", "lc"), LAUNCH, T_LAUNCH)
    assert _pieces(sc, [paired, piece])["piece-1"] is None


@pytest.mark.parametrize(
    ("noise_t_s", "noise_deg", "expected"),
    [
        (0.0, 0.0, "located-1"),
        # the time sigma: the report's 1 s and the launch point's 212 m / c, 1.18 s
        (4.0, 0.0, "located-1"),  # 2 s beyond the 2 s slack: chi-square 2.9 of 9
        (6.0, 0.0, None),  # 4 s beyond: 11.5, the battery's next round
        # the bearing sigma: 2 deg and the point's 150 m across the ray at 9.2 km
        (0.0, 7.0, None),  # 3.2 sigma off the launch point: another place
    ],
)
def test_every_report_of_a_piece_must_fit_the_point(
    noise_t_s: float, noise_deg: float, expected: str | None
) -> None:
    sc = _launch_scene()
    sc.bearing("lc", "post-lc", (-9_000.0, -6_000.0), LAUNCH, T_LAUNCH, event="firing")
    sc.bearing("ld", "post-ld", (9_000.0, -6_000.0), LAUNCH, T_LAUNCH, event="firing",
               noise_t_s=noise_t_s, noise_deg=noise_deg)  # fmt: skip
    paired = _located(("a", "b", "la", "lb"), paired=True)
    piece = _piece(("lc", "ld"), LAUNCH, T_LAUNCH, sd_m=50.0)
    assert _pieces(sc, [paired, piece])["piece-1"] == expected


def test_of_two_unpaired_fixes_the_weaker_is_explained_never_both() -> None:
    # one impact located twice by disjoint observers: the one of two observers is
    # explained by the one of three, and the three-observer fix stays counted
    sc = _scene()
    sc.bearing("c", "post-c", (8_000.0, 0.0), IMPACT, T0)
    sc.bearing("d", "post-d", (-8_000.0, 0.0), IMPACT, T0, noise_t_s=0.5)
    sc.bearing("e", "post-e", (0.0, 0.0), IMPACT, T0, noise_deg=1.0)
    strong = replace(_located(("a", "b", "e")), id="strong")
    weak = replace(_located(("c", "d")), id="weak")
    assert _pieces(sc, [weak, strong]) == {"weak": "strong", "strong": None}
    # a paired round is stronger than any unpaired fix, whatever its observers
    sc2 = _launch_scene()
    sc2.bearing("lc", "post-lc", (-9_000.0, -6_000.0), LAUNCH, T_LAUNCH, event="firing")
    sc2.bearing("ld", "post-ld", (9_000.0, -6_000.0), LAUNCH, T_LAUNCH, event="firing")
    sc2.bearing("le", "post-le", (0.0, -3_000.0), LAUNCH, T_LAUNCH, event="firing")
    big = _piece(("lc", "ld", "le"), LAUNCH, T_LAUNCH)
    paired = _located(("a", "b", "la", "lb"), paired=True)
    assert _pieces(sc2, [paired, big]) == {"located-1": None, "piece-1": "located-1"}


def test_among_is_isin() -> None:
    from ceasefire.fuse.explain import _among

    rng = np.random.default_rng(2)
    for n_b in (0, 1, 7, 60):
        b = np.sort(rng.integers(-5, 40, n_b))
        a = rng.integers(-10, 50, 200)
        got = _among(a, b)
        assert got.dtype == np.bool_
        np.testing.assert_array_equal(got, np.isin(a, b))


def test_run_starts() -> None:
    from ceasefire.fuse.explain import run_starts

    key = np.array([0, 0, 1, 1, 1, 4, 4])
    also = np.array([2, 2, 2, 3, 3, 3, 3])
    assert run_starts(key).tolist() == [True, False, True, False, False, True, False]
    assert run_starts(key, also).tolist() == [True, False, True, True, False, True, False]
    assert run_starts(np.zeros(0)).shape == (0,)


def test_runs_are_unique_of_a_sorted_key() -> None:
    from ceasefire.fuse.explain import _runs

    rng = np.random.default_rng(4)
    for n in (0, 1, 2, 50):
        key = np.sort(rng.integers(0, 9, n))
        start, count = _runs(key)
        _, want_start, want_count = np.unique(key, return_index=True, return_counts=True)
        np.testing.assert_array_equal(start, want_start)
        np.testing.assert_array_equal(count, want_count)
