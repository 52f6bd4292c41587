"""Plans keep to what drones can do; the files say the same as the plan."""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from ceasefire.geo import distance_m
from ceasefire.mandate import Mandate, load_mandate
from ceasefire.model.errors import FleetError
from ceasefire.patrol import Fleet, Plan, load_fleet, plan_patrols
from ceasefire.patrol.baseline import plan_baseline
from ceasefire.patrol.coverage import coverage
from ceasefire.patrol.files import read_plan, write_plan

# every test of the module on one worker: its module fixtures are made once, not
# once a worker
pytestmark = pytest.mark.xdist_group("patrol-plan")

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def frontline() -> tuple[Mandate, Fleet, float]:
    m = load_mandate(ROOT / "examples" / "frontline-2025" / "mandate.yaml")
    f = load_fleet(ROOT / "examples" / "frontline-2025" / "fleet.yaml", m)
    return m, f, datetime(2025, 6, 1, tzinfo=m.tz).timestamp()


@pytest.fixture(scope="module")
def plans(frontline: tuple[Mandate, Fleet, float]) -> dict[str, Plan]:
    m, f, t0 = frontline
    return {
        "routing": plan_patrols(m, f, t0, 24.0, time_limit_s=0.5),
        "baseline": plan_baseline(m, f, t0, 24.0),
    }


@pytest.mark.parametrize("which", ["routing", "baseline"])
def test_sorties_keep_to_endurance_range_and_one_at_a_time(
    plans: dict[str, Plan], frontline: tuple[Mandate, Fleet, float], which: str
) -> None:
    _, f, t0 = frontline
    plan = plans[which]
    assert len(plan.sorties) >= 10
    by_drone = defaultdict(list)
    for s in plan.sorties:
        t = f.doc.drone_type(s.drone_type)
        base = next(b for b in f.doc.bases if b.id == s.base)
        assert s.drone.startswith(f"{base.id}-{t.id}-")
        w = np.asarray(s.waypoints)
        assert np.all(np.diff(w[:, 0]) >= -1e-6), "time runs forward along a sortie"
        assert s.duration_s <= t.endurance_h * 3600.0 + 1.0
        assert t0 - 1.0 <= s.takeoff_s and s.landing_s <= t0 + 24 * 3600.0 + 1.0
        # flying the waypoints at cruise speed fits the times (no leg faster than cruise)
        legs = distance_m(w[:-1, 1], w[:-1, 2], w[1:, 1], w[1:, 2])
        assert np.all(legs <= np.diff(w[:, 0]) * t.speed_mps * 1.01 + 50.0)
        d = distance_m(base.lat, base.lon, w[:, 1], w[:, 2])
        assert float(d.max()) <= t.range_km * 1000.0 * 1.01
        assert float(d[0]) < 1.0 and float(d[-1]) < 1.0, "take off and land at the base"
        by_drone[s.drone].append(s)
    for drone, ss in by_drone.items():
        ss.sort(key=lambda s: s.takeoff_s)
        t = f.doc.drone_type(ss[0].drone_type)
        for a, b in itertools.pairwise(ss):
            assert b.takeoff_s >= a.landing_s + t.turnaround_h * 3600.0 - 1.0, drone


def test_planner_sees_more_of_the_heavy_weapons_zone_than_the_sweeps(
    plans: dict[str, Plan], frontline: tuple[Mandate, Fleet, float]
) -> None:
    m, _, _ = frontline
    r = coverage(m, plans["routing"], grid_km=2.0)
    b = coverage(m, plans["baseline"], grid_km=2.0)
    assert r["zones"]["demilitarized"]["share"] > b["zones"]["demilitarized"]["share"]


def test_files_round_trip(
    plans: dict[str, Plan], frontline: tuple[Mandate, Fleet, float], tmp_path: Path
) -> None:
    from fastkml import KML

    plan = plans["routing"]
    paths = write_plan(plan, {"x": 1}, tmp_path)
    back = read_plan(tmp_path)
    assert [s.id for s in back.sorties] == [s.id for s in plan.sorties]
    wa, wb = back.sorties[3].waypoints[2], plan.sorties[3].waypoints[2]
    assert wa[0] == pytest.approx(wb[0], abs=0.1)  # times to 0.1 s
    assert wa[1:] == pytest.approx(wb[1:], abs=1e-6)  # degrees to 6 places
    gj = json.loads(paths["geojson"].read_text())
    assert len(gj["features"]) == len(plan.sorties)
    k = KML.from_string(paths["kml"].read_text())
    doc = next(iter(k.features))
    n = sum(len(list(folder.features)) for folder in doc.features)
    assert n == len(plan.sorties)
    rows = paths["schedule"].read_text().splitlines()
    assert len(rows) == len(plan.sorties) + 1


def test_reading_a_missing_plan_says_what_to_give(tmp_path: Path) -> None:
    with pytest.raises(FleetError, match="--out folder"):
        read_plan(tmp_path)
    (tmp_path / "plan.json").write_text('{"planner": "x"}')
    with pytest.raises(FleetError, match="not a patrol plan"):
        read_plan(tmp_path)


def test_hot_spots_draw_the_flights() -> None:
    m = load_mandate(ROOT / "examples" / "donbas-2015" / "mandate.yaml")
    f = load_fleet(ROOT / "examples" / "donbas-2015" / "fleet.yaml", m)
    f = f.with_counts({("kramatorsk", "s100"): 1})
    t0 = datetime(2025, 6, 1, tzinfo=m.tz).timestamp()
    # thirty recent violations about Horlivka, 8 km on the RU side of the line
    from ceasefire.simulate.along import offset_point

    ch = float(m.contact.nearest(48.30, 38.05).chainage_m[0])
    la, lo = offset_point(m.contact, np.full(30, ch), 1, np.linspace(2_000, 14_000, 30))
    x, y = m.contact.frame.to_xy(la, lo)
    hot = np.column_stack([x, y])

    def km_near(plan: Plan) -> float:
        """Flight km within 10 km of the hot spot (legs sampled every 500 m)."""
        tot = 0.0
        for s in plan.sorties:
            w = np.asarray(s.waypoints)
            for a, b in itertools.pairwise(w):
                n = max(2, int(distance_m(a[1], a[2], b[1], b[2]) / 500.0))
                pla, plo = np.linspace(a[1], b[1], n), np.linspace(a[2], b[2], n)
                d = distance_m(pla, plo, float(la[15]), float(lo[15]))
                tot += float((d < 10_000.0).sum()) * 0.5
        return tot

    cold = plan_patrols(m, f, t0, 24.0, time_limit_s=0.5)
    warm = plan_patrols(m, f, t0, 24.0, hot_xy=hot, time_limit_s=0.5)
    assert km_near(warm) > 1.5 * km_near(cold)
