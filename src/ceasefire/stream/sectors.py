"""Sectors of the contact line as bus partitions: which sector a position belongs
to (its chainage along the line; beyond an end or between sectors, the nearest
sector), and which sectors a worker must read to see a halo around its own."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ceasefire.fuse.tiles import sector_of_km
from ceasefire.mandate import Mandate
from ceasefire.model.arrays import AnyObservation
from ceasefire.model.errors import PipelineError
from ceasefire.model.observation import SightingObservation

F8 = npt.NDArray[np.float64]
#: The one partition of a mandate without sectors.
WHOLE = "all"


@dataclass(frozen=True)
class SectorMap:
    """Sector ids with their chainage intervals along the contact line (km)."""

    mandate: Mandate
    ids: tuple[str, ...]
    from_km: F8
    to_km: F8

    @classmethod
    def of(cls, mandate: Mandate) -> SectorMap:
        secs = mandate.doc.sectors
        if not secs:
            return cls(mandate, (WHOLE,), np.array([-np.inf]), np.array([np.inf]))
        return cls(
            mandate,
            tuple(s.id for s in secs),
            np.array([s.from_km for s in secs], float),
            np.array([s.to_km for s in secs], float),
        )

    def check(self, sectors: Iterable[str]) -> list[str]:
        """``sectors`` as a sorted list, every one known (else a clear error)."""
        out = sorted(set(sectors))
        bad = [s for s in out if s not in self.ids]
        if bad:
            raise PipelineError(
                f"unknown sector(s) {', '.join(bad)}; the mandate has {', '.join(self.ids)}"
            )
        return out

    def chainage_km(self, lat: F8, lon: F8) -> F8:
        """Chainage of the nearest point of the contact line, km."""
        if lat.shape[0] == 0:
            return np.zeros(0)
        return np.asarray(self.mandate.contact.nearest(lat, lon).chainage_m, float) / 1000.0

    def sector_of_km(self, km: F8) -> npt.NDArray[np.object_]:
        """The sector containing each chainage, else the nearest one (the rule
        fusion's tiles use: ``fuse.tiles.sector_of_km``)."""
        return sector_of_km(self.ids, self.from_km, self.to_km, km)

    def sector_of(self, lat: F8, lon: F8) -> npt.NDArray[np.object_]:
        return self.sector_of_km(self.chainage_km(lat, lon))

    def of_observations(self, models: Iterable[AnyObservation]) -> list[str]:
        """Sector of each observation: where its observer stands (bearings,
        arrivals) or where the object was seen (sightings)."""
        pts = [position_of(o) for o in models]
        lat = np.array([p[0] for p in pts], float)
        lon = np.array([p[1] for p in pts], float)
        return [str(s) for s in self.sector_of(lat, lon)]

    def reach_km(self, sectors: Iterable[str], halo_km: float) -> tuple[float, float]:
        """Chainage interval of ``sectors`` widened by ``halo_km`` on both sides."""
        k = [self.ids.index(s) for s in sectors]
        return float(self.from_km[k].min() - halo_km), float(self.to_km[k].max() + halo_km)

    def read_sectors(self, sectors: Iterable[str], halo_km: float) -> list[str]:
        """Sectors whose subjects a worker of ``sectors`` reads (its own and the halo's)."""
        lo, hi = self.reach_km(sectors, halo_km)
        return [
            s
            for s, a, b in zip(self.ids, self.from_km, self.to_km, strict=True)
            if b > lo and a < hi
        ]


def position_of(o: AnyObservation) -> tuple[float, float]:
    if isinstance(o, SightingObservation):
        return o.position.lat, o.position.lon
    return o.observer.lat, o.observer.lon
