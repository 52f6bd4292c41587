"""Crafted scenes with known answers for the fusion tests: observers around a
point in eastern Ukraine, events with true positions and emission times, and the
reports they produce (exact geodesy from ``ceasefire.geo``, sound at 343 m/s)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ceasefire.geo import LocalFrame, inverse
from ceasefire.model.arrays import ObservationArrays
from ceasefire.model.vocab import (
    DIRECTIONS,
    EVENT_KINDS,
    KINDS,
    OBJECTS,
    SPEED_OF_SOUND_M_S,
    WEAPONS,
)

LAT0, LON0 = 48.0, 37.8
T0 = 1_700_000_000.0
FRAME = LocalFrame(LAT0, LON0)


def latlon(x_m: float, y_m: float) -> tuple[float, float]:
    """WGS84 of a point (x east, y north, m) about the scene origin."""
    la, lo = FRAME.to_latlon(np.array([x_m]), np.array([y_m]))
    return float(la[0]), float(lo[0])


@dataclass
class Scene:
    """Rows accumulated as plain lists, turned into :class:`ObservationArrays`."""

    rows: list[dict[str, object]] = field(default_factory=list)

    def bearing(
        self,
        oid: str,
        source: str,
        obs_xy: tuple[float, float],
        ev_xy: tuple[float, float],
        ev_time_s: float,
        *,
        sigma_deg: float = 2.0,
        time_sigma_s: float = 1.0,
        noise_deg: float = 0.0,
        noise_t_s: float = 0.0,
        range_m: float | None = None,
        range_sigma_m: float | None = None,
        event: str = "explosion",
        direction: str = "incoming",
        weapon: str = "artillery",
        light: bool = False,
    ) -> None:
        ola, olo = latlon(*obs_xy)
        ela, elo = latlon(*ev_xy)
        az, d = inverse(ola, olo, ela, elo)
        delay = 0.0 if light else float(d) / SPEED_OF_SOUND_M_S
        self.rows.append(
            dict(
                id=oid,
                source=source,
                kind="bearing",
                time_s=ev_time_s + delay + noise_t_s,
                time_sigma_s=time_sigma_s,
                lat=ola,
                lon=olo,
                bearing_deg=(float(az) + noise_deg) % 360.0,
                bearing_sigma_deg=sigma_deg,
                range_m=np.nan if range_m is None else range_m,
                range_sigma_m=np.nan if range_sigma_m is None else range_sigma_m,
                event=event,
                direction=direction,
                weapon=weapon,
            )
        )

    def arrival(
        self,
        oid: str,
        source: str,
        obs_xy: tuple[float, float],
        ev_xy: tuple[float, float],
        ev_time_s: float,
        *,
        time_sigma_s: float = 0.003,
        noise_t_s: float = 0.0,
    ) -> None:
        ola, olo = latlon(*obs_xy)
        ela, elo = latlon(*ev_xy)
        _, d = inverse(ola, olo, ela, elo)
        self.rows.append(
            dict(
                id=oid,
                source=source,
                kind="arrival",
                time_s=ev_time_s + float(d) / SPEED_OF_SOUND_M_S + noise_t_s,
                time_sigma_s=time_sigma_s,
                lat=ola,
                lon=olo,
            )
        )

    def sighting(
        self,
        oid: str,
        source: str,
        xy: tuple[float, float],
        time_s: float,
        obj: str,
        *,
        sigma_m: float = 100.0,
        count: int = 1,
        party: str | None = None,
    ) -> None:
        la, lo = latlon(*xy)
        self.rows.append(
            dict(
                id=oid,
                source=source,
                kind="sighting",
                time_s=time_s,
                time_sigma_s=5.0,
                lat=la,
                lon=lo,
                position_sigma_m=sigma_m,
                object=obj,
                count=count,
                party=party,
            )
        )

    def arrays(self) -> ObservationArrays:
        return to_arrays(self.rows)


def to_arrays(rows: list[dict[str, object]]) -> ObservationArrays:
    """Columns of the given rows (absent fields take the contract's defaults)."""

    def num(name: str, default: float) -> np.ndarray:
        return np.array([float(r.get(name, default)) for r in rows], dtype=np.float64)  # type: ignore[arg-type]

    def code(name: str, vocab: tuple[str, ...], default: str) -> np.ndarray:
        return np.array([vocab.index(str(r.get(name, default))) for r in rows], dtype=np.int8)

    return ObservationArrays(
        id=np.array([r["id"] for r in rows], dtype=object),
        source=np.array([r["source"] for r in rows], dtype=object),
        kind=code("kind", KINDS, "bearing"),
        time_s=num("time_s", np.nan),
        time_sigma_s=num("time_sigma_s", 1.0),
        lat=num("lat", np.nan),
        lon=num("lon", np.nan),
        bearing_deg=num("bearing_deg", np.nan),
        bearing_sigma_deg=num("bearing_sigma_deg", np.nan),
        range_m=num("range_m", np.nan),
        range_sigma_m=num("range_sigma_m", np.nan),
        event=code("event", EVENT_KINDS, "undetermined"),
        direction=code("direction", DIRECTIONS, "undetermined"),
        weapon=code("weapon", WEAPONS, "undetermined"),
        position_sigma_m=num("position_sigma_m", np.nan),
        object=np.array(
            [OBJECTS.index(str(r["object"])) if "object" in r else -1 for r in rows],
            dtype=np.int8,
        ),
        count=np.array([int(r.get("count", 0)) for r in rows], dtype=np.int32),  # type: ignore[call-overload]
        party=np.array([r.get("party") for r in rows], dtype=object),
    )
