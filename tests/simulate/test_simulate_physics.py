"""The simulator's physics: sound delay, detection falling with range, per-sensor
bearing noise, launch sides, determinism, and the observation contract."""

from __future__ import annotations

import hashlib
import itertools
import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from ceasefire.geo import distance_m, inverse
from ceasefire.mandate import day_bounds, load_mandate
from ceasefire.model.observation import OBSERVATION_ADAPTER
from ceasefire.model.vocab import KINDS, SENSES, SPEED_OF_SOUND_M_S
from ceasefire.simulate import get_profile, simulate, write_scenario
from ceasefire.simulate.observers import SENSORS

# every test of the module on one worker: its module fixtures are made once, not
# once a worker
pytestmark = pytest.mark.xdist_group("simulate-physics")


@pytest.fixture(scope="module")
def heavy(donbas_mandate_path: Path):  # type: ignore[no-untyped-def]
    m = load_mandate(donbas_mandate_path)
    start, _ = day_bounds(m, date(2025, 6, 1))
    return m, simulate(m, get_profile("heavy"), start, 24.0, seed=7)


def _linked(sc, phase: str):  # type: ignore[no-untyped-def]
    """(round index, observation row) pairs for ``phase`` (launch/impact)."""
    row = {str(i): k for k, i in enumerate(sc.observations.id)}
    pairs = [
        (r, row[o]) for r, rd in enumerate(sc.truth["rounds"]) for o in rd[f"{phase}_observations"]
    ]
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def test_perceived_time_is_emission_plus_sound_delay(heavy) -> None:  # type: ignore[no-untyped-def]
    _, sc = heavy
    a = sc.observations
    for phase, when in (("launch", sc.rounds.launch_s), ("impact", sc.rounds.impact_s)):
        p = _linked(sc, phase)
        p = p[a.sense[p[:, 1]] == SENSES.index("heard")]
        lat = sc.rounds.launch_lat if phase == "launch" else sc.rounds.impact_lat
        lon = sc.rounds.launch_lon if phase == "launch" else sc.rounds.impact_lon
        d = distance_m(a.lat[p[:, 1]], a.lon[p[:, 1]], lat[p[:, 0]], lon[p[:, 0]])
        resid = a.time_s[p[:, 1]] - (when[p[:, 0]] + d / SPEED_OF_SOUND_M_S)
        # the residual is the clock error: zero mean, spread of the sensors' σ (≤ 2 s)
        assert abs(float(np.mean(resid))) < 0.15
        assert float(np.std(resid / a.time_sigma_s[p[:, 1]])) == pytest.approx(1.0, abs=0.1)


def test_cameras_see_without_delay_and_say_so(tmp_path: Path, heavy) -> None:  # type: ignore[no-untyped-def]
    _, sc = heavy
    a = sc.observations
    p = _linked(sc, "impact")
    cam = np.array([str(s).startswith("cam-") for s in a.source[p[:, 1]]])
    assert cam.sum() > 100 and (~cam).sum() > 100
    assert np.all(a.sense[p[cam, 1]] == SENSES.index("seen"))
    assert np.all(a.sense[p[~cam, 1]] == SENSES.index("heard"))
    d = distance_m(
        a.lat[p[cam, 1]],
        a.lon[p[cam, 1]],
        sc.rounds.impact_lat[p[cam, 0]],
        sc.rounds.impact_lon[p[cam, 0]],
    )
    resid = a.time_s[p[cam, 1]] - sc.rounds.impact_s[p[cam, 0]]
    # the camera's clock error alone (σ 0.2 s), though the bursts were km away
    assert float(np.median(d)) > 1_500.0
    assert float(np.std(resid / a.time_sigma_s[p[cam, 1]])) == pytest.approx(1.0, abs=0.1)
    assert abs(float(np.mean(resid))) < 0.05
    # written with "sense": "seen" (not the contract's default), read back as seen
    paths = write_scenario(tmp_path, a, sc.truth)
    row_of = {
        json.loads(line)["id"]: line for line in paths["observations"].read_text().splitlines()
    }
    cam_line = row_of[str(a.id[p[cam, 1][0]])]
    post_line = row_of[str(a.id[p[~cam, 1][0]])]
    assert OBSERVATION_ADAPTER.validate_json(cam_line).effective_sense() == "seen"
    assert '"sense"' in cam_line and '"sense"' not in post_line
    assert OBSERVATION_ADAPTER.validate_json(post_line).effective_sense() == "heard"


def test_bearing_noise_matches_each_sensor_sigma(heavy) -> None:  # type: ignore[no-untyped-def]
    _, sc = heavy
    a = sc.observations
    p = _linked(sc, "impact")
    p = p[a.kind[p[:, 1]] == KINDS.index("bearing")]
    az, _ = inverse(
        a.lat[p[:, 1]], a.lon[p[:, 1]], sc.rounds.impact_lat[p[:, 0]], sc.rounds.impact_lon[p[:, 0]]
    )
    err = (a.bearing_deg[p[:, 1]] - az + 180.0) % 360.0 - 180.0
    sig = a.bearing_sigma_deg[p[:, 1]]
    for s in {float(x) for x in sig}:
        sel = sig == s
        if sel.sum() < 100:
            continue
        # reported σ is the truth of the noise (bearings are rounded to 0.01°)
        assert float(np.std(err[sel])) == pytest.approx(s, rel=0.12), s
    assert {SENSORS[0].bearing_sigma_deg, SENSORS[2].bearing_sigma_deg} <= {float(x) for x in sig}


def test_detection_rate_falls_with_range(heavy) -> None:  # type: ignore[no-untyped-def]
    m, sc = heavy
    # artillery impacts against the fixed posts: share detected per distance band
    posts = [i for i, s in enumerate(sc.observers.source) if str(s).startswith("post-")]
    art = np.flatnonzero(sc.rounds.weapon == 1)
    p = _linked(sc, "impact")
    heard = {(int(r), str(sc.observations.source[o])) for r, o in p}
    d_all, got = [], []
    for i in posts:
        d = distance_m(
            sc.observers.lat[i],
            sc.observers.lon[i],
            sc.rounds.impact_lat[art],
            sc.rounds.impact_lon[art],
        )
        d_all.append(d)
        got.append([(int(r), str(sc.observers.source[i])) in heard for r in art])
    d = np.concatenate(d_all)
    g = np.concatenate(got)
    bands = [(0, 4_000), (4_000, 9_000), (9_000, 14_000), (14_000, 20_000)]
    rates = [g[(d >= a) & (d < b)].mean() for a, b in bands if ((d >= a) & (d < b)).sum() > 20]
    assert len(rates) >= 3
    assert all(x > y for x, y in itertools.pairwise(rates)), rates
    _ = m


def test_launch_points_on_the_firing_party_side(heavy) -> None:  # type: ignore[no-untyped-def]
    m, sc = heavy
    near = m.contact.nearest(sc.rounds.launch_lat, sc.rounds.launch_lon)
    assert np.all(near.side == sc.rounds.side)
    parties = {r["party"] for r in sc.truth["rounds"]}
    assert parties == {"UA", "RU"}


def test_same_seed_same_bytes_other_seed_other_bytes(
    tmp_path: Path, donbas_mandate_path: Path
) -> None:
    m = load_mandate(donbas_mandate_path)
    start, _ = day_bounds(m, date(2025, 6, 1))

    def digest(seed: int, d: Path) -> str:
        sc = simulate(m, get_profile("quiet"), start, 6.0, seed)
        paths = write_scenario(d, sc.observations, sc.truth)
        return hashlib.sha256(
            paths["observations"].read_bytes() + paths["truth"].read_bytes()
        ).hexdigest()

    assert digest(5, tmp_path / "a") == digest(5, tmp_path / "b")
    assert digest(5, tmp_path / "a") != digest(6, tmp_path / "c")


def test_written_observations_follow_the_contract(tmp_path: Path, heavy) -> None:  # type: ignore[no-untyped-def]
    _, sc = heavy
    paths = write_scenario(tmp_path, sc.observations, sc.truth)
    lines = paths["observations"].read_text().splitlines()
    assert len(lines) == len(sc.observations)
    kinds = set()
    for line in lines[:: max(1, len(lines) // 500)]:
        o = OBSERVATION_ADAPTER.validate_json(line)
        kinds.add(o.kind)
    assert kinds == {"bearing", "arrival", "sighting"}
    truth = json.loads(paths["truth"].read_text())
    assert {v["rule"] for v in truth["violations"]} >= {"ceasefire", "drones"}


def test_rounded_bearings_stay_below_360() -> None:
    from ceasefire.simulate.world import round_bearing_deg

    got = round_bearing_deg(np.array([359.996, 359.994, 0.004, 180.0]))
    assert list(got) == [0.0, 359.99, 0.0, 180.0]


def test_a_window_shorter_than_a_drone_sortie_is_simulated(donbas_mandate_path: Path) -> None:
    # A sortie flies 90 minutes; a 1-hour window used to ask for a sortie start in
    # an empty interval. Every sighting must fall inside the window.
    m = load_mandate(donbas_mandate_path)
    start, _ = day_bounds(m, date(2025, 6, 1))
    sc = simulate(m, get_profile("heavy"), start, 1.0, seed=3)
    t = sc.observations.time_s
    sight = sc.observations.kind == KINDS.index("sighting")
    assert sight.any()
    assert np.all((t[sight] >= start) & (t[sight] < start + 3600.0))
