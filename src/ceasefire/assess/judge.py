"""Rules → violations, vectorized over all events.

One event makes at most one violation per rule kind: when several rules of the
same kind match, the first in mandate order wins (order rules from the most
specific or severe). A weapon track makes one violation per rule for the day,
with its first and last seen times.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

import numpy as np
import numpy.typing as npt

from ceasefire.assess.sides import AttributionConfig, object_p_left, shooter_p_left
from ceasefire.assess.table import EventTable, build_table
from ceasefire.geo import LEFT
from ceasefire.mandate import Mandate
from ceasefire.mandate.schema import BufferZone, PolygonZone, Rule
from ceasefire.model import Event, Violation

B = npt.NDArray[np.bool_]
F8 = npt.NDArray[np.float64]
UNDETERMINED = "undetermined"


def violation_id(rule: str, event_ids: Sequence[str]) -> str:
    """Content-derived id: the rule and the events it rests on."""
    h = hashlib.sha256((rule + "\x00" + "\x00".join(sorted(event_ids))).encode()).hexdigest()
    return "v-" + h[:20]


def _in_time_window(rule: Rule, t: EventTable, m: Mandate) -> B:
    if rule.time_window is None:
        return np.ones(len(t), dtype=bool)
    tz = m.tz
    minutes = np.array(
        [(lambda d: d.hour * 60 + d.minute)(datetime.fromtimestamp(x, tz)) for x in t.time_s],
        dtype=np.int32,
    ).reshape(len(t))
    sh, sm = (int(x) for x in rule.time_window.start.split(":"))
    eh, em = (int(x) for x in rule.time_window.end.split(":"))
    start, end = sh * 60 + sm, eh * 60 + em
    if start <= end:
        return (minutes >= start) & (minutes < end)
    return (minutes >= start) | (minutes < end)  # wraps past midnight


def _common_filters(rule: Rule, t: EventTable, m: Mandate) -> B:
    ok = _in_time_window(rule, t, m)
    if rule.sectors:
        ok &= np.isin(t.sector.astype(str), rule.sectors)
    return ok


def _zone_mask(rule: Rule, t: EventTable, m: Mandate, owner_left: B | None = None) -> B:
    """Whether each event lies in the rule's zone (True everywhere without one)."""
    if rule.zone is None:
        return np.ones(len(t), dtype=bool)
    z = m.zone(rule.zone)
    inside = np.zeros(len(t), dtype=bool)
    pos = t.has_pos
    if not pos.any():
        return inside
    if isinstance(z, PolygonZone):
        inside[pos] = m.in_polygon(z.id, t.lat[pos], t.lon[pos])
        return inside
    d_ref = _distance_in_own_band(t, m, owner_left, t.is_sighting)
    return np.nan_to_num(d_ref, nan=np.inf) < _band_width_m(z, m, owner_left, len(t))


def _band_width_m(z: BufferZone, m: Mandate, owner_left: B | None, n: int) -> F8:
    left_party, right_party = m.doc.contact_line.left, m.doc.contact_line.right
    wl = z.width_km.get(left_party, 0.0) * 1000.0
    wr = z.width_km.get(right_party, 0.0) * 1000.0
    if owner_left is None:
        return np.full(n, max(wl, wr))
    return np.where(owner_left, wl, wr)


def _distance_in_own_band(
    t: EventTable, m: Mandate, owner_left: B | None, only: B | None = None
) -> F8:
    """Distance (m) of each point from its owner's reference line, measured into
    the owner's side; points forward of that line (towards or across the contact
    line) get 0. Without owners: distance to the contact line."""
    n = len(t)
    out = np.full(n, np.nan)
    pos = t.has_pos if only is None else t.has_pos & only
    if owner_left is None:
        out[pos] = np.abs(t.signed_m[pos])
        return out
    for party in m.party_ids:
        is_left = m.party_side(party) == LEFT
        sel = pos & (owner_left == is_left)
        if not sel.any():
            continue
        near = m.reference_line(party).nearest(t.lat[sel], t.lon[sel])
        own_side = near.side == (LEFT if is_left else -LEFT)
        out[sel] = np.where(own_side, near.distance_m, 0.0)
    return out


def _violation(
    rule: Rule,
    m: Mandate,
    e: Event,
    p_left_val: float,
    distance_km: float | None,
    side: str | None,
    sector: str | None,
    notes: tuple[str, ...],
) -> Violation:
    left, right = m.doc.contact_line.left, m.doc.contact_line.right
    probs = {left: round(float(p_left_val), 6), right: round(1.0 - float(p_left_val), 6)}
    for pid in m.party_ids:
        probs.setdefault(pid, 0.0)
    best = max(probs, key=lambda k: (probs[k], k))
    party = best if probs[best] >= m.threshold else UNDETERMINED
    return Violation(
        id=violation_id(rule.id, [e.id]),
        rule=rule.id,
        severity=rule.severity,
        kind=e.object if e.kind == "sighting" and e.object else e.kind,
        time_s=e.first_seen_s if e.first_seen_s is not None else e.time_s,
        lat=e.lat,
        lon=e.lon,
        cov_m2=e.cov_m2,
        party=party,
        party_probability=probs[best],
        probabilities=probs,
        event_ids=(e.id,),
        observation_ids=e.observation_ids,
        distance_to_line_km=distance_km,
        side=side,
        response=m.doc.response.mode,
        object=e.object,
        weapon=e.weapon if e.kind != "sighting" else None,
        sector=sector,
        first_seen_s=e.first_seen_s,
        last_seen_s=e.last_seen_s,
        notes=notes,
    )


def assess(
    events: Sequence[Event], mandate: Mandate, config: AttributionConfig | None = None
) -> list[Violation]:
    """Every violation of ``mandate``'s rules by ``events``, in time order."""
    cfg = config or AttributionConfig()
    m = mandate
    t = build_table(events, m)
    n = len(t)
    if n == 0:
        return []
    left_party = m.doc.contact_line.left
    kinds = np.array([e.kind for e in t.events], dtype=object)
    objects = np.array([e.object or "" for e in t.events], dtype=object)
    weapons = np.array([e.weapon for e in t.events], dtype=object)
    marked = np.array(
        [
            0
            if not e.party_marked or e.party_marked not in m.party_ids
            else (1 if e.party_marked == left_party else -1)
            for e in t.events
        ],
        dtype=np.int8,
    )
    shooter_left, basis = shooter_p_left(t, cfg)
    owner_p_left = object_p_left(t, marked, cfg)
    p_left_all = np.where(t.is_sighting, owner_p_left, shooter_left)
    owner_left = owner_p_left >= 0.5
    side_name = np.array(
        [
            None if not ok else ("left" if d >= 0 else "right")
            for ok, d in zip(t.has_pos, t.signed_m, strict=True)
        ],
        dtype=object,
    )
    dist_km = np.where(t.has_pos, np.abs(t.signed_m) / 1000.0, np.nan)
    wrong_side = t.is_sighting & t.has_pos & (marked != 0) & ((t.signed_m >= 0) != (marked > 0))

    taken: dict[str, B] = {
        k: np.zeros(n, dtype=bool) for k in ("ceasefire", "withdrawal", "disengagement", "drone")
    }
    out: list[Violation] = []
    band_dist: F8 | None = None  # distance into each owner's band, computed once
    for rule in m.doc.rules:
        sel = _common_filters(rule, t, m) & ~taken[rule.kind]
        ref_dist: F8 | None = None
        if rule.kind == "ceasefire":
            sel &= ~t.is_sighting
            if rule.events:
                sel &= np.isin(kinds, rule.events)
            if rule.weapons:
                sel &= np.isin(weapons, rule.weapons)
            sel &= _zone_mask(rule, t, m)
        elif rule.kind == "withdrawal":
            z = m.zone(rule.zone or "")
            assert isinstance(z, BufferZone)
            sel &= t.is_sighting & np.isin(objects, rule.objects) & t.has_pos
            if band_dist is None:
                band_dist = _distance_in_own_band(t, m, owner_left, t.is_sighting)
            ref_dist = band_dist
            sel &= np.nan_to_num(ref_dist, nan=np.inf) < _band_width_m(z, m, owner_left, n)
        elif rule.kind == "disengagement":
            if rule.objects:
                sel &= ~t.is_sighting | np.isin(objects, rule.objects)
            sel &= t.has_pos & _zone_mask(rule, t, m, owner_left)
        elif rule.kind == "drone":
            sel &= t.is_sighting & np.isin(objects, rule.objects or ["uav"])
            sel &= _zone_mask(rule, t, m, owner_left)
        if rule.parties:
            best_left = p_left_all >= 0.5
            sel &= np.isin(np.where(best_left, left_party, m.doc.contact_line.right), rule.parties)
        taken[rule.kind] |= sel
        for i in np.flatnonzero(sel):
            e = t.events[i]
            notes: list[str] = []
            if e.kind != "sighting":
                notes.append(f"attributed from the {basis[i]}")
            if wrong_side[i]:
                notes.append(
                    f"{e.object} of {e.party_marked} on the wrong side of the contact line"
                )
            if not t.has_pos[i]:
                notes.append("no position: a single bearing without range")
            d = float(dist_km[i]) if np.isfinite(dist_km[i]) else None
            if ref_dist is not None and np.isfinite(ref_dist[i]):
                d = float(ref_dist[i]) / 1000.0
                if m.reference.get(m.side_party(LEFT if owner_left[i] else -LEFT)) is not None:
                    notes.append("distance measured from the party's own reference line")
            sector = t.sector[i] if t.sector[i] is not None else None
            out.append(
                _violation(rule, m, e, float(p_left_all[i]), d, side_name[i], sector, tuple(notes))
            )
    out.sort(key=lambda v: (v.time_s, v.id))
    return out
