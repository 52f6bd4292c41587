"""A patrol plan: sorties of named drones, each a timed polyline from its base
back to it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ceasefire.geo import distance_m
from ceasefire.patrol.fleet import FleetDoc

F8 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Sortie:
    """One flight: ``waypoints`` ``(time_s, lat, lon)`` from take-off at the base
    to landing there (UTC epoch s, degrees); ``tasks`` the pieces it flies."""

    id: str
    drone: str
    drone_type: str
    base: str
    waypoints: list[tuple[float, float, float]]
    tasks: list[str] = field(default_factory=list)

    @property
    def takeoff_s(self) -> float:
        return self.waypoints[0][0]

    @property
    def landing_s(self) -> float:
        return self.waypoints[-1][0]

    @property
    def duration_s(self) -> float:
        return self.landing_s - self.takeoff_s

    def distance_m(self) -> float:
        """Length of the flight path, m (geodesic legs)."""
        w = np.asarray(self.waypoints)
        if w.shape[0] < 2:
            return 0.0
        return float(distance_m(w[:-1, 1], w[:-1, 2], w[1:, 1], w[1:, 2]).sum())


@dataclass(frozen=True)
class Plan:
    """Sorties planned for ``hours`` from ``start_s`` (UTC epoch s) with ``fleet``."""

    planner: str
    start_s: float
    hours: float
    fleet: FleetDoc
    sorties: list[Sortie]
    #: seconds of CPU the planner spent
    cpu_s: float = 0.0

    @property
    def drones(self) -> list[str]:
        return sorted({s.drone for s in self.sorties})


def drone_ids(fleet: FleetDoc) -> list[tuple[str, str, str]]:
    """``(drone id, type id, base id)`` of every drone in the fleet."""
    out = []
    for b in fleet.bases:
        for t in fleet.drone_types:
            for k in range(b.drones.get(t.id, 0)):
                out.append((f"{b.id}-{t.id}-{k + 1}", t.id, b.id))
    return out
