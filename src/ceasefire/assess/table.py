"""Events as columns, with their geometry against the contact line computed once.

Arrays have shape ``(n,)``; NaN where an event has no position. The columns are
built in one pass over the events; everything after works on arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ceasefire.geo import GeoLine
from ceasefire.mandate import Mandate
from ceasefire.model import Event
from ceasefire.model.results import side_doubt
from ceasefire.model.vocab import DIRECTIONS, EVENT_KINDS

F8 = npt.NDArray[np.float64]
I1 = npt.NDArray[np.int8]
B = npt.NDArray[np.bool_]
OBJ = npt.NDArray[np.object_]

#: Code of a sighting in :attr:`EventTable.kind` (after the EVENT_KINDS codes).
SIGHTING = len(EVENT_KINDS)
_KIND_CODE = {k: i for i, k in enumerate(EVENT_KINDS)} | {"sighting": SIGHTING}
_DIR_CODE = {d: i for i, d in enumerate(DIRECTIONS)}
_NONE3 = (np.nan, np.nan, np.nan)


@dataclass(frozen=True)
class EventTable:
    """Per event: position, 1-σ spread across the contact line (m), signed distance
    to the contact line (m, > 0 on the left), chainage (m), sector id, the same
    for the launch point where a round's launch is known, and the event's codes
    (``kind``: EVENT_KINDS index or :data:`SIGHTING`; ``direction``: DIRECTIONS
    index; ``marked``: +1 markings of the left party, -1 of the right, 0 none)."""

    events: tuple[Event, ...]
    line: GeoLine
    lat: F8
    lon: F8
    has_pos: B
    signed_m: F8
    sigma_n_m: F8
    chainage_m: F8
    sector: OBJ
    launch_signed_m: F8
    launch_sigma_n_m: F8
    time_s: F8
    is_sighting: B
    kind: I1
    direction: I1
    marked: I1
    weapon: OBJ
    object: OBJ
    observer_lat: F8
    observer_lon: F8
    bearing_deg: F8
    uncorroborated: B
    #: a lone report a located event explains (fuse/explain.py): never counted
    explained: B
    #: fusion paired the event with the other phase of its round (flag ``paired``)
    paired: B
    #: a paired round whose launch or impact had another candidate nearly as good
    close_pair: B
    #: no report named the event's kind: fusion took it from the direction class
    #: (fusion's ``kind_by_direction``)
    kind_by_direction: B
    #: a paired round: the probability that its launch lies across the line from its
    #: launch point, or from its joined launch bearing (fusion's ``pair_side_doubt``; 0
    #: when none)
    side_doubt: F8

    def __len__(self) -> int:
        return len(self.events)


#: Floor of the across-line spread, m: a position never counts as exact.
MIN_SIGMA_M = 5.0


def _signed(m: Mandate, lat: F8, lon: F8, cov: F8) -> tuple[F8, F8, F8, OBJ]:
    n = len(lat)
    signed = np.full(n, np.nan)
    sigma = np.full(n, np.nan)
    chain = np.full(n, np.nan)
    sector = np.full(n, None, dtype=object)
    ok = np.isfinite(lat) & np.isfinite(lon)
    if not ok.any():
        return signed, sigma, chain, sector
    near = m.contact.nearest(lat[ok], lon[ok])
    signed[ok] = near.side * near.distance_m
    ne, nn = near.normal_e, near.normal_n
    c = np.nan_to_num(cov[ok], nan=0.0)
    var_n = ne * ne * c[:, 0] + nn * nn * c[:, 1] + 2 * ne * nn * c[:, 2]
    sigma[ok] = np.sqrt(np.maximum(var_n, 0.0) + MIN_SIGMA_M**2)
    chain[ok] = near.chainage_m
    sector[ok] = m.sector_of_chainage(near.chainage_m)
    return signed, sigma, chain, sector


def _f8(values: list[float | None]) -> F8:
    """Floats with None as NaN."""
    return np.array(values, dtype=np.float64).reshape(len(values))


def build_table(events: Sequence[Event], m: Mandate) -> EventTable:
    """Columns of ``events`` and their geometry against ``m``'s contact line."""
    evs = tuple(events)
    n = len(evs)
    left, right = m.doc.contact_line.left, m.doc.contact_line.right
    mark_code = {left: 1, right: -1}
    lat = _f8([e.lat for e in evs])
    lon = _f8([e.lon for e in evs])
    cov = np.array([e.cov_m2 or _NONE3 for e in evs], dtype=np.float64).reshape(n, 3)
    llat = _f8([e.launch_lat for e in evs])
    llon = _f8([e.launch_lon for e in evs])
    lcov = np.array([e.launch_cov_m2 or _NONE3 for e in evs], dtype=np.float64).reshape(n, 3)
    olat = _f8([e.observer_lat for e in evs])
    olon = _f8([e.observer_lon for e in evs])
    kind = np.array([_KIND_CODE.get(e.kind, 5) for e in evs], dtype=np.int8).reshape(n)
    signed, sigma, chain, sector = _signed(m, lat, lon, cov)
    # an event without a position is placed in the sector of the observer who
    # reported it (as the OSCE recorded reports by observing position)
    has_pos = np.isfinite(lat) & np.isfinite(lon)
    via_obs = ~has_pos & np.isfinite(olat) & np.isfinite(olon)
    if via_obs.any():
        near = m.contact.nearest(olat[via_obs], olon[via_obs])
        sector[via_obs] = m.sector_of_chainage(near.chainage_m)
    lsigned, lsigma, _, _ = _signed(m, llat, llon, lcov)
    return EventTable(
        events=evs,
        line=m.contact,
        lat=lat,
        lon=lon,
        has_pos=has_pos,
        signed_m=signed,
        sigma_n_m=sigma,
        chainage_m=chain,
        sector=sector,
        launch_signed_m=lsigned,
        launch_sigma_n_m=lsigma,
        time_s=_f8([e.time_s for e in evs]),
        is_sighting=kind == SIGHTING,
        kind=kind,
        direction=np.array([_DIR_CODE.get(e.direction, 2) for e in evs], dtype=np.int8).reshape(n),
        marked=np.array(
            [mark_code.get(e.party_marked, 0) if e.party_marked else 0 for e in evs],
            dtype=np.int8,
        ).reshape(n),
        weapon=np.array([e.weapon for e in evs], dtype=object).reshape(n),
        object=np.array([e.object or "" for e in evs], dtype=object).reshape(n),
        observer_lat=olat,
        observer_lon=olon,
        bearing_deg=_f8([e.bearing_deg for e in evs]),
        uncorroborated=np.array(["uncorroborated" in e.flags for e in evs], dtype=bool).reshape(n),
        explained=np.array(["explained" in e.flags for e in evs], dtype=bool).reshape(n),
        paired=np.array(["paired" in e.flags for e in evs], dtype=bool).reshape(n),
        close_pair=np.array(["pair_close_call" in e.flags for e in evs], dtype=bool).reshape(n),
        kind_by_direction=np.array(
            ["kind_by_direction" in e.flags for e in evs], dtype=bool
        ).reshape(n),
        side_doubt=_f8([side_doubt(e.flags) for e in evs]),
    )
