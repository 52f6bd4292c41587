"""The loaded mandate: the document plus its geometry, ready for assessment."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import Polygon

from ceasefire.geo import LEFT, GeoLine, polygon_area_km2
from ceasefire.mandate.schema import BufferZone, MandateDoc, PolygonZone, Rule

F8 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Mandate:
    """A validated mandate with its lines as :class:`GeoLine`."""

    doc: MandateDoc
    contact: GeoLine
    reference: dict[str, GeoLine]
    source: str = "<mandate>"
    _polys: dict[str, Polygon] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def party_ids(self) -> list[str]:
        return [p.id for p in self.doc.parties]

    @property
    def threshold(self) -> float:
        return self.doc.attribution.threshold

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.doc.reporting.timezone)

    @property
    def cutoff(self) -> time:
        h, m = self.doc.reporting.cutoff.split(":")
        return time(int(h), int(m))

    def side_party(self, side: int) -> str:
        """Party holding ``side`` (+1 left, -1 right) of the contact line."""
        return self.doc.contact_line.left if side == LEFT else self.doc.contact_line.right

    def party_side(self, party: str) -> int:
        """+1 when ``party`` holds the left side of the contact line, -1 for right."""
        return LEFT if party == self.doc.contact_line.left else -LEFT

    def reference_line(self, party: str) -> GeoLine:
        """The line from which ``party``'s withdrawal is measured (default: contact line)."""
        return self.reference.get(party, self.contact)

    def zone(self, zone_id: str) -> BufferZone | PolygonZone:
        for z in self.doc.zones:
            if z.id == zone_id:
                return z
        raise KeyError(zone_id)

    def rule(self, rule_id: str) -> Rule:
        for r in self.doc.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    def polygon_lonlat(self, zone_id: str) -> Polygon:
        """A polygon zone as a shapely polygon in (lon, lat) degrees."""
        if zone_id not in self._polys:
            z = self.zone(zone_id)
            assert isinstance(z, PolygonZone)
            self._polys[zone_id] = Polygon([c[:2] for c in z.coordinates])
        return self._polys[zone_id]

    def buffer_ring_lonlat(self, zone_id: str, party: str) -> list[list[float]]:
        """The ring of ``party``'s band of a buffer zone, ``[lon, lat]`` pairs."""
        z = self.zone(zone_id)
        assert isinstance(z, BufferZone)
        line = self.reference_line(party)
        w_m = z.width_km.get(party, 0.0) * 1000.0
        left = w_m if self.party_side(party) == LEFT else 0.0
        right = 0.0 if self.party_side(party) == LEFT else w_m
        poly = line.buffer(left, right)
        return line.to_lonlat_polygon(poly) if not poly.is_empty else []

    def zone_area_km2(self, zone_id: str) -> dict[str, float]:
        """Area per party band (buffer) or ``{"all": area}`` (polygon), km²."""
        z = self.zone(zone_id)
        if isinstance(z, PolygonZone):
            ring = np.asarray([c[:2] for c in z.coordinates])
            return {"all": polygon_area_km2(ring[:, 1], ring[:, 0])}
        out = {}
        for pid in self.party_ids:
            ring_l = self.buffer_ring_lonlat(zone_id, pid)
            if ring_l:
                r = np.asarray(ring_l)
                out[pid] = polygon_area_km2(r[:, 1], r[:, 0])
        return out

    def sector_of_chainage(self, chainage_m: F8) -> npt.NDArray[np.object_]:
        """Sector id (or None) of each chainage along the contact line (m)."""
        out = np.full(chainage_m.shape, None, dtype=object)
        km = chainage_m / 1000.0
        for s in self.doc.sectors:
            out[(km >= s.from_km) & (km < s.to_km) & (out == None)] = s.id  # noqa: E711
        return out

    def in_polygon(
        self, zone_id: str, lat: npt.ArrayLike, lon: npt.ArrayLike
    ) -> npt.NDArray[np.bool_]:
        """Whether each point lies inside a polygon zone (boundary counts as inside)."""
        poly = self.polygon_lonlat(zone_id)
        shapely.prepare(poly)
        la = np.atleast_1d(np.asarray(lat, float))
        lo = np.atleast_1d(np.asarray(lon, float))
        # the bounding box first: most points lie far from a small area
        x0, y0, x1, y1 = poly.bounds
        out = np.zeros(la.shape, dtype=bool)
        box = (lo >= x0) & (lo <= x1) & (la >= y0) & (la <= y1)
        if box.any():
            out[box] = shapely.intersects_xy(poly, lo[box], la[box])
        return out


def day_bounds(mandate: Mandate, day: date) -> tuple[float, float]:
    """The reporting day ``day`` as [start, end) UTC epoch seconds: from the
    cut-off on the day before to the cut-off on ``day``, in the mandate's time
    zone (a cut-off of 00:00 makes it the calendar day)."""
    end_local = datetime.combine(day, mandate.cutoff, tzinfo=mandate.tz)
    if mandate.cutoff != time(0, 0):
        start_local = end_local - timedelta(days=1)
    else:
        start_local = end_local
        end_local = start_local + timedelta(days=1)
    return start_local.timestamp(), end_local.timestamp()


def day_of(mandate: Mandate, time_s: float) -> date:
    """The reporting day a UTC epoch time (s) belongs to."""
    local = datetime.fromtimestamp(time_s, tz=mandate.tz)
    if mandate.cutoff == time(0, 0):
        return local.date()
    cut = datetime.combine(local.date(), mandate.cutoff, tzinfo=mandate.tz)
    return local.date() if local < cut else local.date() + timedelta(days=1)
