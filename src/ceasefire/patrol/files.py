"""A plan on disk: ``plan.json`` (read back by the simulator), ``routes.geojson``,
``routes.kml`` (fastkml), ``schedule.csv``, ``coverage.json``."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ceasefire.model.errors import FleetError
from ceasefire.patrol.fleet import FleetDoc
from ceasefire.patrol.plan import Plan, Sortie

PLAN_FILE = "plan.json"


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def plan_dict(plan: Plan) -> dict[str, Any]:
    return {
        "planner": plan.planner,
        "start": plan.start_s,
        "hours": plan.hours,
        "fleet": plan.fleet.model_dump(mode="json"),
        "sorties": [
            {
                "id": s.id,
                "drone": s.drone,
                "type": s.drone_type,
                "base": s.base,
                "tasks": s.tasks,
                "waypoints": [
                    [round(t, 1), round(la, 6), round(lo, 6)] for t, la, lo in s.waypoints
                ],
            }
            for s in plan.sorties
        ],
    }


def read_plan(path: str | Path) -> Plan:
    """The plan in ``path`` (a plan directory or its ``plan.json``)."""
    p = Path(path)
    if p.is_dir():
        p = p / PLAN_FILE
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FleetError(
            f"cannot read the plan: {exc.strerror}; expected the --out folder of "
            "`ceasefire patrol plan`",
            file=str(p),
        ) from exc
    except json.JSONDecodeError as exc:
        raise FleetError(f"not valid JSON: {exc.msg}", file=str(p), line=exc.lineno) from exc
    try:
        fleet = FleetDoc.model_validate(data["fleet"])
        sorties = [
            Sortie(
                str(s["id"]),
                str(s["drone"]),
                str(s["type"]),
                str(s["base"]),
                [(float(t), float(la), float(lo)) for t, la, lo in s["waypoints"]],
                [str(x) for x in s.get("tasks", [])],
            )
            for s in data["sorties"]
        ]
        plan = Plan(
            str(data["planner"]), float(data["start"]), float(data["hours"]), fleet, sorties
        )
    except (KeyError, TypeError, ValueError, ValidationError) as exc:
        raise FleetError(
            f"not a patrol plan ({type(exc).__name__}: {str(exc)[:120]})", file=str(p)
        ) from exc
    for s in plan.sorties:
        if s.drone_type not in {t.id for t in fleet.drone_types}:
            raise FleetError(f"sortie {s.id!r} flies unknown type {s.drone_type!r}", file=str(p))
        if len(s.waypoints) < 2:
            raise FleetError(f"sortie {s.id!r} has fewer than 2 waypoints", file=str(p))
    return plan


def routes_geojson(plan: Plan) -> dict[str, Any]:
    """One LineString feature per sortie, with its times."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[round(lo, 6), round(la, 6)] for _, la, lo in s.waypoints],
                },
                "properties": {
                    "sortie": s.id,
                    "drone": s.drone,
                    "type": s.drone_type,
                    "base": s.base,
                    "takeoff": _iso(s.takeoff_s),
                    "landing": _iso(s.landing_s),
                    "times": [_iso(t) for t, _, _ in s.waypoints],
                    "distance_km": round(s.distance_m() / 1000.0, 1),
                },
            }
            for s in plan.sorties
        ],
    }


def routes_kml(plan: Plan) -> str:
    """KML 2.2: a folder per drone, a placemark per sortie with its time span."""
    import warnings

    with warnings.catch_warnings():
        # without lxml fastkml only loses pretty printing
        warnings.simplefilter("ignore", UserWarning)
        from fastkml import KML, Document, Folder, Placemark, TimeSpan
        from fastkml.times import KmlDateTime
    from pygeoif.geometry import LineString

    doc = Document(name=f"patrol plan ({plan.planner})")
    for drone in plan.drones:
        folder = Folder(name=drone)
        for s in (x for x in plan.sorties if x.drone == drone):
            span = TimeSpan(
                begin=KmlDateTime(datetime.fromtimestamp(s.takeoff_s, UTC)),
                end=KmlDateTime(datetime.fromtimestamp(s.landing_s, UTC)),
            )
            folder.append(
                Placemark(
                    name=s.id,
                    description=(
                        f"{s.drone_type} from {s.base}, {_iso(s.takeoff_s)} to "
                        f"{_iso(s.landing_s)}, {s.distance_m() / 1000.0:.0f} km"
                    ),
                    times=span,
                    geometry=LineString([(lo, la) for _, la, lo in s.waypoints]),
                )
            )
        doc.append(folder)
    return KML(features=[doc]).to_string()


def write_plan(plan: Plan, cov: dict[str, Any] | None, out: Path) -> dict[str, Path]:
    """Write the plan's files into ``out``; return their paths by kind."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "plan": out / PLAN_FILE,
        "geojson": out / "routes.geojson",
        "kml": out / "routes.kml",
        "schedule": out / "schedule.csv",
    }
    paths["plan"].write_text(json.dumps(plan_dict(plan), indent=1) + "\n", encoding="utf-8")
    paths["geojson"].write_text(json.dumps(routes_geojson(plan)) + "\n", encoding="utf-8")
    paths["kml"].write_text(routes_kml(plan), encoding="utf-8")
    with paths["schedule"].open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(
            ["sortie", "drone", "type", "base", "takeoff_utc", "landing_utc", "hours", "km",
             "pieces"]
        )  # fmt: skip
        for s in plan.sorties:
            w.writerow(
                [
                    s.id,
                    s.drone,
                    s.drone_type,
                    s.base,
                    _iso(s.takeoff_s),
                    _iso(s.landing_s),
                    f"{s.duration_s / 3600.0:.2f}",
                    f"{s.distance_m() / 1000.0:.1f}",
                    len(s.tasks),
                ]
            )
    if cov is not None:
        paths["coverage"] = out / "coverage.json"
        paths["coverage"].write_text(json.dumps(cov, indent=1) + "\n", encoding="utf-8")
    return paths
