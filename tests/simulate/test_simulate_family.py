"""Scenario families: reproducible draws, the profiles as members, and each
assumption the family varies doing what it says in the simulated world."""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import shutil
import subprocess
import sys
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pytest

from ceasefire.geo import distance_m, inverse
from ceasefire.mandate import day_bounds, load_mandate
from ceasefire.model.vocab import KINDS, SENSES, SPEED_OF_SOUND_M_S
from ceasefire.simulate import get_profile, simulate, write_scenario
from ceasefire.simulate.assumptions import NEUTRAL, Assumptions
from ceasefire.simulate.family import VARIED, get_family, simulate_draw
from ceasefire.simulate.observers import SENSOR_INDEX, SENSORS
from ceasefire.simulate.weapons import SPEC_BY_CODE, WEAPON_SPECS

# every test of the module on one worker: its module fixtures are made once, not
# once a worker
pytestmark = pytest.mark.xdist_group("simulate-family")

#: units in the last place two libm builds may differ by after a few operations
ULPS = 4

EXE = shutil.which("ceasefire", path=str(Path(sys.executable).parent))


def _digest(sc, d: Path) -> str:  # type: ignore[no-untyped-def]
    paths = write_scenario(d, sc.observations, sc.truth)
    return hashlib.sha256(
        paths["observations"].read_bytes() + paths["truth"].read_bytes()
    ).hexdigest()


def _close(a: object, b: object, where: str) -> None:
    """``a`` equals ``b`` but for written numbers one unit apart in their last written
    digit or a few units in the last place (a value on a rounding boundary flips with
    another numpy or libm build; at 17 significant digits the last written digit is
    finer than one unit in the last place) and times one millisecond apart; anything
    else differs."""
    if isinstance(a, dict) and isinstance(b, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            _close(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _close(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and isinstance(b, float | int):
        places = len(repr(a).partition(".")[2]) if "e" not in repr(a) else 12
        tol = max(1.01 * 10.0**-places, ULPS * math.ulp(a))
        assert abs(a - b) <= tol, f"{where}: {a} vs {b}"
    elif isinstance(a, str) and isinstance(b, str) and a[:4].isdigit() and a.endswith("Z"):
        ta = datetime.fromisoformat(a.replace("Z", "+00:00"))
        tb = datetime.fromisoformat(b.replace("Z", "+00:00"))
        assert abs((ta - tb).total_seconds()) <= 0.001, f"{where}: {a} vs {b}"
    else:
        assert a == b, f"{where}: {a!r} vs {b!r}"


def test_neutral_assumptions_give_main_simulators_day(
    tmp_path: Path, donbas_mandate_path: Path
) -> None:
    # The reference (data/heavy13-0900-3h.*.gz) is this 3 h heavy window (09:00
    # local, seed 13: posts, patrols, cameras, arrays and microphones all report)
    # written by main's simulator at 1a2c4a0, before the assumptions became
    # parameters. With the neutral values and cameras that hear, as they did there
    # (they see now: that moves their times only), every draw of the base simulator
    # must stay where it was: the same reports in the same order, the same values
    # to their last written digit.
    m = load_mandate(donbas_mandate_path)
    start, _ = day_bounds(m, date(2025, 6, 1))
    hearing = replace(NEUTRAL, sensors=tuple(replace(s, sees=False) for s in SENSORS))
    sc = simulate(m, get_profile("heavy"), start + 9 * 3600.0, 3.0, 13, hearing)
    assert len(sc.observations) == 1411
    paths = write_scenario(tmp_path, sc.observations, sc.truth)
    ref = Path(__file__).with_name("data") / "heavy13-0900-3h"
    got_obs = paths["observations"].read_text().splitlines()
    ref_obs = gzip.decompress(ref.with_suffix(".observations.ndjson.gz").read_bytes())
    ref_lines = ref_obs.decode().splitlines()
    assert len(got_obs) == len(ref_lines) == 1411
    for i, (g, r) in enumerate(zip(got_obs, ref_lines, strict=True)):
        _close(json.loads(g), json.loads(r), f"observation {i + 1}")
    ref_truth = gzip.decompress(ref.with_suffix(".truth.json.gz").read_bytes())
    _close(json.loads(paths["truth"].read_text()), json.loads(ref_truth), "truth")


def test_a_profile_through_the_family_path_is_the_profile_day(
    tmp_path: Path, donbas_mandate_path: Path
) -> None:
    m = load_mandate(donbas_mandate_path)
    d = get_family("quiet").draw(m, 4)
    start, _ = day_bounds(m, date(2025, 6, 1))
    assert (d.start_s, d.hours, d.seed, d.assume) == (start, 24.0, 4, NEUTRAL)
    direct = simulate(m, get_profile("quiet"), start, 24.0, 4)
    assert _digest(simulate_draw(m, d), tmp_path / "a") == _digest(direct, tmp_path / "b")


def test_quiet_and_heavy_lie_inside_the_varied_ranges() -> None:
    for name in ("quiet", "heavy"):
        p = get_profile(name)
        checks = {
            "rounds_per_hour": p.rounds_per_day / 24.0,
            "hotspot_share": p.hotspot_share,
            "hotspot_sigma_m": p.hotspot_sigma_m,
            "rounds_per_engagement": p.rounds_per_engagement,
            "engagement_s": p.engagement_s,
            "posts_per_100km": p.posts_per_100km,
            "cameras_per_100km": p.cameras_per_100km,
            "patrols_per_100km": p.patrols_per_100km,
            "arrays_per_100km": p.arrays_per_100km,
            "mics_per_array": p.mics_per_array,
            "clutter_mult": p.clutter_mult,
            "sigma_true_mult": NEUTRAL.sigma_true_mult,
            "burst_mean": NEUTRAL.burst_mean,
            "battery_sigma_m": NEUTRAL.battery_sigma_m,
            "return_share": NEUTRAL.return_share,
            "short_share": NEUTRAL.short_share,
        }
        outside = [k for k, v in checks.items() if not getattr(VARIED, k).holds(v)]
        assert outside == [], (name, outside)
    # a profile's rates are over the whole Donbas line: the longest stretch drawn
    assert VARIED.span_km.hi >= 284.0


def test_same_draw_same_bytes_other_draw_other_world(
    tmp_path: Path, donbas_mandate_path: Path
) -> None:
    m = load_mandate(donbas_mandate_path)
    a, b = VARIED.draw(m, 5), VARIED.draw(m, 5)
    assert a == b
    assert _digest(simulate_draw(m, a), tmp_path / "a") == _digest(
        simulate_draw(m, b), tmp_path / "b"
    )
    c = VARIED.draw(m, 6)
    assert c.params != a.params and c.seed != a.seed
    sc = simulate_draw(m, c)
    assert sc.truth["family"]["params"] == c.params and sc.truth["family"]["draw"] == 6
    # the drawn values stay inside their ranges
    for k, v in c.params.items():
        r = getattr(VARIED, k, None)
        if r is not None and k not in ("hotspots", "mics_per_array", "span_km"):
            assert r.holds(v), k


def test_cli_draws_the_family_member(tmp_path: Path, donbas_mandate_path: Path) -> None:
    assert EXE is not None
    env = {"COLUMNS": "200", "PATH": "/usr/bin:/bin"}
    r = subprocess.run(
        [EXE, "simulate", "-m", str(donbas_mandate_path), "--family", "varied",
         "--draw", "2", "--out", str(tmp_path / "cli")],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "family varied, draw 2" in r.stdout
    m = load_mandate(donbas_mandate_path)
    sc = simulate_draw(m, VARIED.draw(m, 2))
    cli = tmp_path / "cli"
    digest = hashlib.sha256(
        (cli / "observations.ndjson").read_bytes() + (cli / "truth.json").read_bytes()
    ).hexdigest()
    assert digest == _digest(sc, tmp_path / "py")
    r = subprocess.run(
        [EXE, "simulate", "-m", str(donbas_mandate_path), "--family", "varied", "--draw", "1",
         "--seed", "3", "--out", str(tmp_path / "d")],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert r.returncode != 0
    assert "--seed" in r.stderr + r.stdout and "Traceback" not in r.stderr
    assert not (tmp_path / "d").exists()


# -- each departure from the base simulator, on one scenario with all of them on ----

SPAN = (50_000.0, 150_000.0)
SPEED_MULT = 1.2
KNOBS = Assumptions(
    weapons=tuple(replace(w, speed_m_s=w.speed_m_s * SPEED_MULT) for w in WEAPON_SPECS),
    speed_spread=0.1,
    burst_mean=4.0,
    burst_spacing_s=8.0,
    span_m=SPAN,
    sigma_true_mult=2.0,
    clock_offset_s=5.0,
    dropout_share=0.5,
    clutter_burst_mean=5.0,
)


@pytest.fixture(scope="module")
def worlds(donbas_mandate_path: Path):  # type: ignore[no-untyped-def]
    m = load_mandate(donbas_mandate_path)
    start, _ = day_bounds(m, date(2025, 6, 1))
    t0 = start + 9 * 3600.0
    base = simulate(m, get_profile("heavy"), t0, 4.0, 21)
    knobs = simulate(m, get_profile("heavy"), t0, 4.0, 21, KNOBS)
    return m, base, knobs


def _reports(sc, phase: str):  # type: ignore[no-untyped-def]
    """(round index, observation row) of every report of ``phase``."""
    row = {str(i): k for k, i in enumerate(sc.observations.id)}
    pairs = [
        (r, row[o]) for r, rd in enumerate(sc.truth["rounds"]) for o in rd[f"{phase}_observations"]
    ]
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def test_rounds_and_observers_stay_on_the_stretch(worlds) -> None:  # type: ignore[no-untyped-def]
    m, base, sc = worlds
    ch = sc.rounds.chainage_m
    assert ch.min() >= SPAN[0] and ch.max() <= SPAN[1]
    assert base.rounds.chainage_m.max() - base.rounds.chainage_m.min() > 150_000.0
    posts = np.array([str(s).startswith("post-") for s in sc.observers.source])
    near = m.contact.nearest(sc.observers.lat[posts], sc.observers.lon[posts])
    # a post stands 1-6 km off the line at a chainage inside the stretch
    assert np.all(near.distance_m < 7_000.0)
    assert len(set(sc.observers.source[posts])) < len(
        {s for s in base.observers.source if str(s).startswith("post-")}
    )


def _burst_share(sc) -> float:  # type: ignore[no-untyped-def]
    """Share of rounds launched within 80 m and 60 s of another round of their side."""
    r = sc.rounds
    n = len(r)
    got = 0
    for i in range(n):
        near = np.abs(r.launch_s - r.launch_s[i]) <= 60.0
        near[i] = False
        near &= r.side == r.side[i]
        if near.any():
            d = distance_m(r.launch_lat[near], r.launch_lon[near], r.launch_lat[i], r.launch_lon[i])
            got += bool((d < 80.0).any())
    return got / n


def test_batteries_fire_bursts_from_one_spot(worlds) -> None:  # type: ignore[no-untyped-def]
    _, base, sc = worlds
    assert _burst_share(sc) > 0.6
    assert _burst_share(base) < 0.3


def test_flight_speeds_follow_the_drawn_mean_and_spread(worlds) -> None:  # type: ignore[no-untyped-def]
    _, _, sc = worlds
    r = sc.rounds
    d = distance_m(r.launch_lat, r.launch_lon, r.impact_lat, r.impact_lon)
    nominal = np.array([SPEC_BY_CODE[int(w)].speed_m_s for w in r.weapon])
    ratio = np.log(d / (r.impact_s - r.launch_s) / nominal)
    assert float(np.mean(ratio)) == pytest.approx(np.log(SPEED_MULT), abs=0.02)
    assert float(np.std(ratio)) == pytest.approx(0.1, rel=0.15)


def test_observers_understate_their_sigma(worlds) -> None:  # type: ignore[no-untyped-def]
    _, _, sc = worlds
    a = sc.observations
    p = _reports(sc, "impact")
    p = p[a.kind[p[:, 1]] == KINDS.index("bearing")]
    az, _ = inverse(
        a.lat[p[:, 1]], a.lon[p[:, 1]], sc.rounds.impact_lat[p[:, 0]], sc.rounds.impact_lon[p[:, 0]]
    )
    err = (a.bearing_deg[p[:, 1]] - az + 180.0) % 360.0 - 180.0
    z = err / a.bearing_sigma_deg[p[:, 1]]
    assert float(np.std(z)) == pytest.approx(2.0, rel=0.12)


def test_clocks_are_off_per_observer(worlds) -> None:  # type: ignore[no-untyped-def]
    _, _, sc = worlds
    a = sc.observations
    p = _reports(sc, "impact")
    d = distance_m(
        a.lat[p[:, 1]], a.lon[p[:, 1]], sc.rounds.impact_lat[p[:, 0]], sc.rounds.impact_lon[p[:, 0]]
    )
    heard = a.sense[p[:, 1]] == SENSES.index("heard")  # cameras see: no sound delay
    resid = a.time_s[p[:, 1]] - (sc.rounds.impact_s[p[:, 0]] + heard * d / SPEED_OF_SOUND_M_S)
    src = a.source[p[:, 1]].astype(str)
    means = {}
    for s in np.unique(src):
        sel = src == s
        if sel.sum() >= 15:
            means[s] = float(np.mean(resid[sel]))
    people = [v for s, v in means.items() if s.split("-")[0] in ("post", "cam", "patrol")]
    gps = [v for s, v in means.items() if s.split("-")[0] in ("mic", "array")]
    assert len(people) >= 5 and len(gps) >= 3
    assert 2.5 < float(np.std(people)) < 9.0  # offsets of sd 5 s, one per observer
    assert max(abs(v) for v in gps) < 0.05  # GPS time stays right


def test_observers_go_silent_for_a_while(worlds) -> None:  # type: ignore[no-untyped-def]
    _, base, sc = worlds
    fixed = [SENSOR_INDEX["post"], SENSOR_INDEX["camera"], SENSOR_INDEX["array"]]
    rows = np.isin(sc.observers.sensor, fixed)
    # a fixed observer is one row, two when it went silent inside its window
    names, counts = np.unique(sc.observers.source[rows].astype(str), return_counts=True)
    gaps = 1.0 - (sc.observers.t1_s[rows] - sc.observers.t0_s[rows]).sum() / (
        len(names) * 4 * 3600.0
    )
    assert 0.1 < gaps < 0.4  # half of them silent for 20-80 % of the window
    assert (counts == 2).any()
    base_rows = np.isin(base.observers.sensor, fixed)
    assert len(set(base.observers.source[base_rows])) == int(base_rows.sum())


def test_clutter_comes_in_bursts(worlds) -> None:  # type: ignore[no-untyped-def]
    _, base, sc = worlds

    def clustered(s) -> tuple[float, float]:  # type: ignore[no-untyped-def]
        ids = set(s.truth["clutter"])
        sel = np.array([str(i) in ids for i in s.observations.id])
        t, src = s.observations.time_s[sel], s.observations.source[sel].astype(str)
        order = np.lexsort((t, src))
        t, src = t[order], src[order]
        close = (np.diff(t) < 30.0) & (src[1:] == src[:-1])
        mics = s.observers.sensor == SENSOR_INDEX["mic"]  # the most of clutter: 2 an hour
        mic_h = float((s.observers.t1_s[mics] - s.observers.t0_s[mics]).sum()) / 3600.0
        mic_clutter = np.char.startswith(src, "mic-").sum()
        return float(mic_clutter / mic_h), float(close.mean())

    rate_base, c_base = clustered(base)
    rate_knob, c_knob = clustered(sc)
    assert c_knob > 0.5 > 0.1 > c_base
    # the same mean rate per microphone-hour (heavy: 2 x 1.5), in fewer, larger episodes
    assert rate_base == pytest.approx(3.0, rel=0.2)
    assert rate_knob == pytest.approx(3.0, rel=0.5)
