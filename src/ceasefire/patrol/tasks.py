"""What there is to fly: pieces of the contact line and of sweep lanes through
the withdrawal zones, each with its value, in the contact line's local frame (m).

A lane runs parallel to a party's reference line at ``(k + 0.5) * lane`` from
it, on that party's side; flown with a swath of at least ``lane`` it sees the
band ``[k * lane, (k + 1) * lane]``. Lanes and the line are cut into pieces of
about ``piece_km``; a piece of lane is worth its band's area (km²) times the
weights of the goal zones that hold the band, a piece of line its length (km)
times ``line_weight`` per revisit period; both times the hot-spot factor.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import LineString, MultiLineString
from shapely.ops import substring

from ceasefire.mandate import Mandate
from ceasefire.mandate.schema import BufferZone
from ceasefire.patrol.fleet import Fleet

F8 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Task:
    """One piece to fly, in the contact line's frame (m).

    ``coords`` ``(k, 2)``: the piece in its drawing direction (it may be flown
    either way). ``window_s``: when it should be flown, from the plan's start.
    ``group``: tasks of one group are the same ground at different periods.
    """

    id: str
    kind: str  # "line" or "lane"
    group: str
    coords: F8
    party: str | None
    depth_m: float
    sector: str | None
    value: float
    window_s: tuple[float, float]

    @property
    def length_m(self) -> float:
        return float(np.hypot(*np.diff(self.coords, axis=0).T).sum())


def line_xy(m: Mandate, party: str | None = None) -> LineString:
    """The contact line (``party`` None) or a party's reference line in the contact frame."""
    g = m.contact if party is None else m.reference_line(party)
    x, y = m.contact.frame.to_xy(g.lats, g.lons)
    return LineString(np.column_stack([x, y]))


def _parts(geom: shapely.Geometry) -> list[LineString]:
    if isinstance(geom, LineString):
        return [geom] if not geom.is_empty else []
    if isinstance(geom, MultiLineString):
        return [g for g in geom.geoms if not g.is_empty]
    return []


def offset_lane(ref: LineString, side: int, offset_m: float) -> list[LineString]:
    """The lane ``offset_m`` from ``ref`` on ``side`` (+1 left), in ``ref``'s direction."""
    geom = shapely.offset_curve(ref, side * offset_m, quad_segs=4, join_style="round")
    parts = _parts(geom)
    return [p for p in parts if p.length > 1_000.0]


def cut(line: LineString, piece_m: float) -> list[F8]:
    """``line`` cut into pieces of at most ``piece_m`` (equal lengths)."""
    n = max(1, int(np.ceil(line.length / piece_m)))
    step = line.length / n
    return [np.asarray(substring(line, i * step, (i + 1) * step).coords) for i in range(n)]


def zone_widths_m(m: Mandate, fleet: Fleet) -> dict[str, list[tuple[float, float, str]]]:
    """Per party: ``(width_m, weight, every_h-as-str zone id)`` of every goal zone."""
    out: dict[str, list[tuple[float, float, str]]] = {p: [] for p in m.party_ids}
    for g in fleet.doc.goals.zones:
        z = m.zone(g.zone)
        assert isinstance(z, BufferZone)
        for p in m.party_ids:
            w = z.width_km.get(p, 0.0) * 1000.0
            if w > 0:
                out[p].append((w, g.weight, g.zone))
    return out


def hotspot_factor(pieces: list[F8], hot_xy: F8, radius_m: float, weight: float) -> F8:
    """``1 + weight * n / n_max`` per piece, ``n`` the hot points within ``radius_m``."""
    if hot_xy.shape[0] == 0 or weight == 0 or not pieces:
        return np.ones(len(pieces))
    tree = shapely.STRtree([LineString(c) for c in pieces])
    pts = shapely.points(hot_xy[:, 0], hot_xy[:, 1])
    _, idx = tree.query(pts, predicate="dwithin", distance=radius_m)
    n = np.bincount(idx, minlength=len(pieces)).astype(np.float64)
    return 1.0 + weight * n / max(float(n.max()), 1.0)


def build_tasks(m: Mandate, fleet: Fleet, hours: float, hot_xy: F8 | None = None) -> list[Task]:
    """Every piece of line (one per revisit period) and of lane (one per zone period)."""
    goals = fleet.doc.goals
    horizon = hours * 3600.0
    lane = fleet.doc.lane_km * 1000.0
    piece = goals.piece_km * 1000.0
    hot = np.zeros((0, 2)) if hot_xy is None else hot_xy
    contact = line_xy(m)
    tasks: list[Task] = []

    def periods(every_s: float) -> list[tuple[float, float]]:
        n = max(1, int(np.ceil(horizon / every_s - 1e-9)))
        return [(i * every_s, min((i + 1) * every_s, horizon)) for i in range(n)]

    def sector_of(c: F8) -> str | None:
        mid = shapely.line_interpolate_point(LineString(c), 0.5, normalized=True)
        s = float(shapely.line_locate_point(contact, mid))
        return m.sector_of_chainage(np.array([s]))[0]

    if goals.line_weight > 0:
        pieces = cut(contact, piece)
        f = hotspot_factor(pieces, hot, goals.hotspot_radius_km * 1000.0, goals.hotspot_weight)
        for i, c in enumerate(pieces):
            km = LineString(c).length / 1000.0
            for r, w in enumerate(periods(goals.revisit_h * 3600.0)):
                tasks.append(
                    Task(
                        f"line-{i:03d}-p{r}",
                        "line",
                        f"line-{i:03d}",
                        c,
                        None,
                        0.0,
                        sector_of(c),
                        goals.line_weight * km * float(f[i]),
                        w,
                    )
                )
    for party, zones in zone_widths_m(m, fleet).items():
        if not zones:
            continue
        ref = line_xy(m, party)
        side = m.party_side(party)
        every = min(g.every_h for g in goals.zones) * 3600.0
        depth_max = max(w for w, _, _ in zones)
        k = 0
        while k * lane < depth_max:
            band0, band1 = k * lane, (k + 1) * lane
            weight = sum(
                wt * float(np.clip((w - band0) / (band1 - band0), 0.0, 1.0)) for w, wt, _ in zones
            )
            pieces = [
                c for part in offset_lane(ref, side, (k + 0.5) * lane) for c in cut(part, piece)
            ]
            f = hotspot_factor(pieces, hot, goals.hotspot_radius_km * 1000.0, goals.hotspot_weight)
            for i, c in enumerate(pieces):
                km2 = LineString(c).length / 1000.0 * lane / 1000.0
                for r, w in enumerate(periods(every)):
                    tasks.append(
                        Task(
                            f"lane-{party}-{k:02d}-{i:03d}-p{r}",
                            "lane",
                            f"lane-{party}-{k:02d}-{i:03d}",
                            c,
                            party,
                            (k + 0.5) * lane,
                            sector_of(c),
                            weight * km2 * float(f[i]),
                            w,
                        )
                    )
            k += 1
    return tasks
