"""The violations the mandate implies, from true positions and times.

- ceasefire: one per round fired (the first ceasefire rule that covers it);
- withdrawal: one per weapon per reporting day it stands inside its zone,
  measured from its party's reference line (forward of that line counts as 0);
- drone: one per party drone flight (within the rule's time window);
- disengagement: one per object inside an area, and per round launched or
  landing inside one.
Each carries ``perceived``: whether the mission saw it at all (a report of
the round, a sighting of the object that day).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np

from ceasefire.mandate import Mandate, day_of
from ceasefire.mandate.schema import BufferZone, Rule
from ceasefire.model.vocab import WEAPONS
from ceasefire.simulate.ground import Sighting, Thing
from ceasefire.simulate.rounds import Rounds
from ceasefire.simulate.weapons import SPEC_BY_CODE


def _in_window(rule: Rule, t: float, m: Mandate) -> bool:
    if rule.time_window is None:
        return True
    d = datetime.fromtimestamp(t, m.tz)
    x = d.hour * 60 + d.minute
    a = int(rule.time_window.start[:2]) * 60 + int(rule.time_window.start[3:])
    b = int(rule.time_window.end[:2]) * 60 + int(rule.time_window.end[3:])
    return a <= x < b if a <= b else (x >= a or x < b)


def _sector_ok(rule: Rule, m: Mandate, chainage_m: float) -> bool:
    if not rule.sectors:
        return True
    sec = m.sector_of_chainage(np.array([chainage_m]))[0]
    return sec in rule.sectors


def _band_distance_m(m: Mandate, party: str, lat: float, lon: float) -> float:
    near = m.reference_line(party).nearest(lat, lon)
    own = int(near.side[0]) == m.party_side(party)
    return float(near.distance_m[0]) if own else 0.0


def truth_violations(
    m: Mandate,
    rounds: Rounds,
    round_seen: np.ndarray,
    things: Sequence[Thing],
    sightings: Sequence[Sighting],
) -> list[dict[str, Any]]:
    """Every violation the mandate implies, as JSON-able dicts."""
    out: list[dict[str, Any]] = []
    cf_rules = [r for r in m.doc.rules if r.kind == "ceasefire"]
    for i in range(len(rounds)):
        w = int(rounds.weapon[i])
        spec = SPEC_BY_CODE[w]
        kinds = {spec.launch_event} | ({"explosion"} if spec.impact_l50_m > 0 else set())
        for r in cf_rules:
            if r.events and not (kinds & set(r.events)):
                continue
            if r.weapons and WEAPONS[w] not in r.weapons:
                continue
            if not _in_window(r, float(rounds.launch_s[i]), m):
                continue
            if not _sector_ok(r, m, float(rounds.chainage_m[i])):
                continue
            out.append(
                {
                    "id": f"tv-r{i + 1:07d}",
                    "rule": r.id,
                    "kind": "round",
                    "round": f"r{i + 1:07d}",
                    "party": m.side_party(int(rounds.side[i])),
                    "time": float(rounds.launch_s[i]),
                    "launch": [float(rounds.launch_lon[i]), float(rounds.launch_lat[i])],
                    "impact": [float(rounds.impact_lon[i]), float(rounds.impact_lat[i])],
                    "impact_time": float(rounds.impact_s[i]),
                    "perceived": bool(round_seen[i]),
                }
            )
            break
    seen_days: dict[int, set[Any]] = {}
    for s in sightings:
        seen_days.setdefault(s.thing, set()).add(day_of(m, s.time_s))
    for k, th in enumerate(things):
        if th.cls == "uav":
            for r in m.doc.rules:
                if (
                    r.kind == "drone"
                    and th.cls in (r.objects or ["uav"])
                    and _in_window(r, th.track[0][0], m)
                ):
                    la, lo = th.at(th.track[0][0])
                    out.append(
                        {
                            "id": f"tv-{th.id}",
                            "rule": r.id,
                            "kind": "uav",
                            "thing": th.id,
                            "party": th.party,
                            "time": th.track[0][0],
                            "position": [lo, la],
                            "perceived": bool(th.sightings),
                        }
                    )
                    break
            continue
        for t_from, la, lo in th.track:
            day = day_of(m, t_from)
            perceived = day in seen_days.get(k, set())
            for r in m.doc.rules:
                if r.kind == "withdrawal" and th.cls in r.objects and r.zone:
                    z = m.zone(r.zone)
                    assert isinstance(z, BufferZone)
                    width = z.width_km.get(th.party, 0.0) * 1000.0
                    if _band_distance_m(m, th.party, la, lo) < width:
                        out.append(
                            {
                                "id": f"tv-{th.id}-{day}",
                                "rule": r.id,
                                "kind": "weapon",
                                "thing": th.id,
                                "object": th.cls,
                                "party": th.party,
                                "time": t_from,
                                "day": day.isoformat(),
                                "position": [lo, la],
                                "perceived": perceived,
                            }
                        )
                        break
            for r in m.doc.rules:
                if r.kind == "disengagement" and r.zone and m.in_polygon(r.zone, [la], [lo])[0]:
                    out.append(
                        {
                            "id": f"tv-{th.id}-{day}-da",
                            "rule": r.id,
                            "kind": "object",
                            "thing": th.id,
                            "object": th.cls,
                            "party": th.party,
                            "time": t_from,
                            "position": [lo, la],
                            "perceived": perceived,
                        }
                    )
                    break
    da_rules = [r for r in m.doc.rules if r.kind == "disengagement" and r.zone]
    for r in da_rules:
        for which in ("launch", "impact"):
            lat = rounds.launch_lat if which == "launch" else rounds.impact_lat
            lon = rounds.launch_lon if which == "launch" else rounds.impact_lon
            inside = np.flatnonzero(m.in_polygon(r.zone or "", lat, lon))
            for i in (int(x) for x in inside):
                out.append(
                    {
                        "id": f"tv-r{i + 1:07d}-da-{which}",
                        "rule": r.id,
                        "kind": "round",
                        "round": f"r{i + 1:07d}",
                        "party": m.side_party(int(rounds.side[i])),
                        "time": float(rounds.launch_s[i]),
                        "position": [float(lon[i]), float(lat[i])],
                        "perceived": bool(round_seen[i]),
                    }
                )
    out.sort(key=lambda v: (v["time"], v["id"]))
    return out
