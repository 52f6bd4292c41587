"""A hand-built scene on the Donbas mandate with answers that follow from the
mandate and the geometry, not from the code (helpers for the pipeline tests)."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ceasefire import pipeline
from ceasefire.geo import GeoLine, azimuth_deg, distance_m, forward
from ceasefire.mandate import Mandate, load_mandate
from ceasefire.simulate import write_scenario
from ceasefire.simulate.offensive import scenario
from ceasefire.simulate.world import simulate

T0 = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)  # 12:00 in Kyiv: mid reporting day 2025-06-01
C_M_S = 343.0


def _point_off_line(
    line: GeoLine, chainage_km: float, side: int, off_m: float
) -> tuple[float, float]:
    """A point ``off_m`` from the line at ``chainage_km``, on ``side`` (+1 left)."""
    pt = line.local.interpolate(chainage_km * 1000.0)
    lat0, lon0 = line.frame.to_latlon(pt.x, pt.y)
    n = line.nearest(lat0, lon0)
    az = float(np.degrees(np.arctan2(n.normal_e[0], n.normal_n[0]))) % 360.0
    if side < 0:
        az = (az + 180.0) % 360.0
    la, lo = forward(float(lat0), float(lon0), az, off_m)
    return float(la), float(lo)


def _bearing(
    oid: str,
    src: str,
    obs: tuple[float, float],
    target: tuple[float, float],
    t_emit: datetime,
    event: str,
    direction: str,
    weapon: str,
) -> dict[str, Any]:
    d = float(distance_m(*obs, *target))
    return {
        "id": oid,
        "source": src,
        "kind": "bearing",
        "time": (t_emit + timedelta(seconds=d / C_M_S)).isoformat(),
        "observer": {"lat": obs[0], "lon": obs[1]},
        "bearing_deg": round(float(azimuth_deg(*obs, *target)), 3),
        "bearing_sigma_deg": 2.0,
        "event": event,
        "direction": direction,
        "weapon": weapon,
    }


def build_scene(m: Mandate, path: Path) -> dict[str, Any]:
    """Write the scene as NDJSON at ``path``; return what a correct system must find."""
    line = m.contact
    ru, ua = m.party_side("RU"), m.party_side("UA")
    launch = _point_off_line(line, 150.0, ru, 6000.0)  # RU artillery 6 km behind the line
    impact = _point_off_line(line, 150.0, ua, 3000.0)  # lands 3 km on the UA side
    t_launch = T0
    flight_s = float(distance_m(*launch, *impact)) / 300.0
    t_impact = t_launch + timedelta(seconds=flight_s)
    # mission posts on both sides, 2-5 km from the line, a few km up and down it
    posts = {
        "op-a": _point_off_line(line, 145.0, ua, 2000.0),
        "op-b": _point_off_line(line, 156.0, ua, 2500.0),
        "op-c": _point_off_line(line, 147.0, ru, 2000.0),
        "op-d": _point_off_line(line, 154.0, ru, 3000.0),
    }
    recs: list[dict[str, Any]] = []
    for i, (src, pos) in enumerate(posts.items()):
        recs.append(
            _bearing(f"f{i}", src, pos, launch, t_launch, "firing", "outgoing", "artillery")
        )
        recs.append(
            _bearing(f"i{i}", src, pos, impact, t_impact, "explosion", "incoming", "artillery")
        )
    tank = _point_off_line(line, 100.0, ru, 8000.0)  # inside the 15 km Addendum band
    gun = _point_off_line(line, 200.0, ua, 40000.0)  # artillery 40 km back: outside 25 km
    for k in range(3):  # the same tank seen three times by two drones
        recs.append(
            {
                "id": f"s{k}",
                "source": f"uav-{k % 2}",
                "kind": "sighting",
                "time": (T0 + timedelta(minutes=20 * k)).isoformat(),
                "position": {"lat": tank[0] + 1e-4 * k, "lon": tank[1]},
                "position_sigma_m": 30.0,
                "object": "tank",
                "count": 1,
                "party": "RU",
            }
        )
    recs.append(
        {
            "id": "s9",
            "source": "uav-0",
            "kind": "sighting",
            "time": (T0 + timedelta(hours=1)).isoformat(),
            "position": {"lat": gun[0], "lon": gun[1]},
            "position_sigma_m": 30.0,
            "object": "artillery_ge_100mm",
            "count": 1,
            "party": "UA",
        }
    )
    lines = [json.dumps(r) for r in recs]
    lines.append(json.dumps(recs[0]))  # an exact duplicate
    lines.append("this is not json")
    lines.append(json.dumps({**recs[1], "id": "bad1", "observer": {"lat": 95.0, "lon": 38.0}}))
    path.write_text("\n".join(lines) + "\n")
    return {
        "input": len(lines),
        "accepted": len(recs),
        "rejected": 2,
        "duplicate": 1,
        "launch": launch,
        "impact": impact,
        "tank": tank,
        "gun": gun,
    }


def heavy_store(tmp: Path, mandate_path: Path, start: str, hours: float, seed: int) -> Path:
    """A store (``tmp/store.db``) holding ``hours`` of a simulated heavy day of
    the mandate from ``start`` (ISO local time), seed ``seed``: its observations
    written under ``tmp/day`` and ingested."""
    m = load_mandate(mandate_path)
    prof, addition = scenario("heavy", seed)
    t0 = datetime.fromisoformat(start).replace(tzinfo=m.tz).timestamp()
    sc = simulate(m, prof, t0, hours, seed, addition=addition)
    obs = write_scenario(tmp / "day", sc.observations, sc.truth)["observations"]
    store = pipeline.init_store(tmp / "store.db", mandate_path)
    pipeline.ingest_into(store, [obs], mandate=pipeline.mandate_of(store))
    store.close()
    return tmp / "store.db"


def fused_in_parts(monkeypatch: pytest.MonkeyPatch, part_s: float, workers: int = 2) -> None:
    """The pipeline fuses a day in parts of ``part_s`` s by ``workers`` processes,
    the pool even for a small day (``parallel_min_obs`` 0)."""
    monkeypatch.setattr(pipeline, "PART_S", part_s)
    config = pipeline.fuse_config
    monkeypatch.setattr(
        pipeline,
        "fuse_config",
        lambda m: dataclasses.replace(config(m), workers=workers, parallel_min_obs=0),
    )
