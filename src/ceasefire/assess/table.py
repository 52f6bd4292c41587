"""Events as columns, with their geometry against the contact line computed once.

Arrays have shape ``(n,)``; NaN where an event has no position.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ceasefire.geo import GeoLine
from ceasefire.mandate import Mandate
from ceasefire.model import Event

F8 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class EventTable:
    """Per event: position, 1-σ spread across the contact line (m), signed distance
    to the contact line (m, > 0 on the left), chainage (m), sector id, and the
    same for the launch point where a round's launch is known."""

    events: tuple[Event, ...]
    line: GeoLine
    lat: F8
    lon: F8
    has_pos: npt.NDArray[np.bool_]
    signed_m: F8
    sigma_n_m: F8
    chainage_m: F8
    sector: npt.NDArray[np.object_]
    launch_signed_m: F8
    launch_sigma_n_m: F8
    time_s: F8
    is_sighting: npt.NDArray[np.bool_]

    def __len__(self) -> int:
        return len(self.events)


#: Floor of the across-line spread, m: a position never counts as exact.
MIN_SIGMA_M = 5.0


def _signed(m: Mandate, lat: F8, lon: F8, cov: F8) -> tuple[F8, F8, F8, npt.NDArray[np.object_]]:
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
    c = cov[ok]
    var_n = ne * ne * c[:, 0] + nn * nn * c[:, 1] + 2 * ne * nn * c[:, 2]
    sigma[ok] = np.sqrt(np.maximum(np.nan_to_num(var_n, nan=0.0), 0.0) + MIN_SIGMA_M**2)
    chain[ok] = near.chainage_m
    sector[ok] = m.sector_of_chainage(near.chainage_m)
    return signed, sigma, chain, sector


def build_table(events: Sequence[Event], m: Mandate) -> EventTable:
    """Columns of ``events`` and their geometry against ``m``'s contact line."""
    evs = tuple(events)
    n = len(evs)
    lat = np.array([e.lat if e.lat is not None else np.nan for e in evs], dtype=np.float64)
    lon = np.array([e.lon if e.lon is not None else np.nan for e in evs], dtype=np.float64)
    cov = np.array(
        [e.cov_m2 if e.cov_m2 is not None else (0.0, 0.0, 0.0) for e in evs], dtype=np.float64
    ).reshape(n, 3)
    llat = np.array(
        [e.launch_lat if e.launch_lat is not None else np.nan for e in evs], dtype=np.float64
    )
    llon = np.array(
        [e.launch_lon if e.launch_lon is not None else np.nan for e in evs], dtype=np.float64
    )
    lcov = np.array(
        [e.launch_cov_m2 if e.launch_cov_m2 is not None else (0.0, 0.0, 0.0) for e in evs],
        dtype=np.float64,
    ).reshape(n, 3)
    signed, sigma, chain, sector = _signed(m, lat, lon, cov)
    # an event without a position is placed in the sector of the observer who
    # reported it (as the OSCE recorded reports by observing position)
    no_pos = ~(np.isfinite(lat) & np.isfinite(lon))
    olat = np.array(
        [e.observer_lat if e.observer_lat is not None else np.nan for e in evs], dtype=np.float64
    )
    olon = np.array(
        [e.observer_lon if e.observer_lon is not None else np.nan for e in evs], dtype=np.float64
    )
    via_obs = no_pos & np.isfinite(olat) & np.isfinite(olon)
    if via_obs.any():
        near = m.contact.nearest(olat[via_obs], olon[via_obs])
        sector[via_obs] = m.sector_of_chainage(near.chainage_m)
    lsigned, lsigma, _, _ = _signed(m, llat, llon, lcov)
    return EventTable(
        events=evs,
        line=m.contact,
        lat=lat,
        lon=lon,
        has_pos=np.isfinite(lat) & np.isfinite(lon),
        signed_m=signed,
        sigma_n_m=sigma,
        chainage_m=chain,
        sector=sector,
        launch_signed_m=lsigned,
        launch_sigma_n_m=lsigma,
        time_s=np.array([e.time_s for e in evs], dtype=np.float64),
        is_sighting=np.array([e.kind == "sighting" for e in evs], dtype=bool),
    )
