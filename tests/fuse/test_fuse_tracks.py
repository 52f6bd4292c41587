"""Sightings → weapon tracks (fuse/tracks.py): one object seen again is one track,
two objects are two."""

from __future__ import annotations

from fuse_scenes import T0, Scene

from ceasefire.fuse import FuseConfig, TrackConfig, fuse


def _tracks(sc: Scene, cfg: FuseConfig | None = None) -> list[tuple[str, ...]]:
    events = [e for e in fuse(sc.arrays(), cfg) if e.kind == "sighting"]
    return sorted(e.observation_ids for e in events)


def test_a_drone_that_sees_the_same_tank_again_a_minute_later_reports_one_tank() -> None:
    sc = Scene()
    sc.sighting("S1", "uav-sortie-1", (2_000.0, 1_000.0), T0, "tank", sigma_m=50.0)
    sc.sighting("S2", "uav-sortie-1", (2_030.0, 990.0), T0 + 70.0, "tank", sigma_m=50.0)
    assert _tracks(sc) == [("S1", "S2")]
    # the former 600 s window made them two weapons
    assert len(_tracks(sc, FuseConfig(tracks=TrackConfig(same_source_s=600.0)))) == 2


def test_two_tanks_side_by_side_seen_at_once_by_one_drone_are_two() -> None:
    sc = Scene()
    sc.sighting("S1", "uav-sortie-1", (2_000.0, 1_000.0), T0, "tank", sigma_m=50.0)
    sc.sighting("S2", "uav-sortie-1", (2_080.0, 1_000.0), T0 + 1.0, "tank", sigma_m=50.0)
    assert _tracks(sc) == [("S1",), ("S2",)]


def test_tanks_four_km_apart_seen_hours_apart_are_two_tanks() -> None:
    sc = Scene()
    sc.sighting("S1", "uav-sortie-1", (2_000.0, 1_000.0), T0, "tank", sigma_m=50.0)
    sc.sighting("S2", "uav-sortie-2", (6_000.0, 1_500.0), T0 + 17 * 3_600.0, "tank", sigma_m=50.0)
    assert _tracks(sc) == [("S1",), ("S2",)]
    # at 0.2 m/s (the former default) the first tank could have driven there
    assert len(_tracks(sc, FuseConfig(tracks=TrackConfig(speed_m_s=0.2)))) == 1


def test_a_tank_that_moved_a_few_hundred_metres_within_hours_is_one_track() -> None:
    sc = Scene()
    sc.sighting("S1", "uav-sortie-1", (2_000.0, 1_000.0), T0, "tank", sigma_m=50.0)
    sc.sighting("S2", "uav-sortie-2", (2_300.0, 1_000.0), T0 + 6 * 3_600.0, "tank", sigma_m=50.0)
    assert _tracks(sc) == [("S1", "S2")]


def test_a_sighting_both_tracks_could_explain_joins_the_nearer() -> None:
    # two tanks 300 m apart seen at once by one drone; ten hours later either could have
    # driven 720 m, and a tank is seen 20 m from the second
    sc = Scene()
    sc.sighting("A", "uav-sortie-1", (2_000.0, 1_000.0), T0, "tank", sigma_m=50.0)
    sc.sighting("B", "uav-sortie-1", (2_300.0, 1_000.0), T0 + 1.0, "tank", sigma_m=50.0)
    sc.sighting("C", "uav-sortie-2", (2_280.0, 1_000.0), T0 + 10 * 3_600.0, "tank", sigma_m=50.0)
    assert _tracks(sc) == [("A",), ("B", "C")]
