"""Drone sorties flown from a patrol plan: objects on the ground are sighted
where and when a planned flight leg passed over them.

Each pass of a leg within half the drone's swath of an object sights it with
the drone type's probability for its class (day or night, from the fleet
document), with the same geolocation error, misreading and marking as the
simulator's free sorties. The source of a sighting is the sortie's id.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ceasefire.geo import forward
from ceasefire.mandate import Mandate
from ceasefire.patrol import Plan
from ceasefire.patrol.coverage import is_night, legs_of, passes
from ceasefire.simulate.ground import Sighting, Thing, _misread


def fly_plan(
    m: Mandate,
    plan: Plan,
    things: list[Thing],
    start_s: float,
    end_s: float,
    rng: np.random.Generator,
) -> list[Sighting]:
    """Sightings of ground objects by the plan's sorties within [start_s, end_s)."""
    legs = legs_of(m, plan)
    frame = m.contact.frame
    idx: list[int] = []
    lat: list[float] = []
    lon: list[float] = []
    t_a: list[float] = []
    t_b: list[float] = []
    for i, th in enumerate(things):
        if th.cls == "uav":
            continue
        for k, (t_from, la, lo) in enumerate(th.track):
            until = th.track[k + 1][0] if k + 1 < len(th.track) else th.t_end_s
            idx.append(i)
            lat.append(la)
            lon.append(lo)
            t_a.append(t_from)
            t_b.append(until)
    if not idx:
        return []
    x, y = frame.to_xy(np.asarray(lat), np.asarray(lon))
    pi, li, pt = passes(x, y, legs)
    a, b = np.asarray(t_a)[pi], np.asarray(t_b)[pi]
    keep = (pt >= np.maximum(a, start_s)) & (pt < np.minimum(b, end_s))
    pi, li, pt = pi[keep], li[keep], pt[keep]
    order = np.lexsort((li, pi, pt))
    pi, li, pt = pi[order], li[order], pt[order]
    night = is_night(m, plan.fleet, pt) if pt.shape[0] else np.zeros(0, dtype=bool)
    out: list[Sighting] = []
    for p, leg, t, nt in zip(pi.tolist(), li.tolist(), pt.tolist(), night.tolist(), strict=True):
        th = things[idx[p]]
        s = plan.sorties[int(legs.sortie[leg])]
        if rng.random() >= plan.fleet.drone_type(s.drone_type).detect_p(th.cls, nt):
            continue
        for _ in range(1 + int(rng.random() < 0.3)):  # sometimes reported twice
            sig = float(rng.uniform(20.0, 60.0))
            dla, dlo = forward(lat[p], lon[p], rng.uniform(0, 360), abs(rng.normal(0, sig)) * 1.2)
            out.append(
                Sighting(
                    idx[p],
                    s.id,
                    min(t + rng.uniform(0, 300.0), end_s - 1.0),
                    float(dla),
                    float(dlo),
                    sig,
                    _misread(th.cls, rng),
                    th.party if rng.random() < 0.6 else None,
                )
            )
    return out


def caught(truth_violations: list[dict[str, Any]]) -> dict[str, Any]:
    """Which withdrawal violations the plan's sorties perceived (JSON-able)."""
    w = [v for v in truth_violations if v["kind"] == "weapon"]
    got = [v["id"] for v in w if v["perceived"]]
    return {
        "withdrawal": len(w),
        "caught": len(got),
        "recall": len(got) / len(w) if w else None,
        "caught_ids": got,
        "missed_ids": [v["id"] for v in w if not v["perceived"]],
    }


def patrol_score(patrol: dict[str, Any], matched: list[dict[str, Any]]) -> dict[str, Any]:
    """The plan's catch against what the system reported: of the withdrawal
    violations the sorties perceived, those the system's violations matched."""
    got = set(patrol.get("caught_ids", []))
    reported = sorted(v["id"] for v in matched if v["id"] in got)
    n = patrol.get("withdrawal", 0)
    return {
        "withdrawal": n,
        "caught": len(got),
        "reported": len(reported),
        "caught_recall": len(got) / n if n else None,
        "reported_recall": len(reported) / n if n else None,
        "reported_ids": reported,
        "missed_by_plan": patrol.get("missed_ids", []),
    }
