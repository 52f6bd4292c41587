"""Rules → violations, vectorized over all events.

One event makes at most one violation per rule kind: when several rules of the
same kind match, the first in mandate order wins (order rules from the most
specific or severe). A weapon track makes one violation per rule for the day,
with its first and last seen times.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, tzinfo
from hashlib import sha256

import numpy as np
import numpy.typing as npt

from ceasefire.assess.sides import AttributionConfig, object_p_left, shooter_p_left
from ceasefire.assess.table import EventTable, build_table
from ceasefire.geo import LEFT
from ceasefire.mandate import Mandate
from ceasefire.mandate.schema import BufferZone, PolygonZone, Rule
from ceasefire.model import Event, Violation
from ceasefire.model.errors import MandateError
from ceasefire.model.vocab import EVENT_KINDS

B = npt.NDArray[np.bool_]
F8 = npt.NDArray[np.float64]
UNDETERMINED = "undetermined"


def violation_id(rule: str, event_ids: Sequence[str]) -> str:
    """Content-derived id: the rule and the events it rests on."""
    h = hashlib.sha256((rule + "\x00" + "\x00".join(sorted(event_ids))).encode()).hexdigest()
    return "v-" + h[:20]


def local_minutes(time_s: F8, tz: tzinfo) -> npt.NDArray[np.int32]:
    """Minute of the local day (0-1439) of each UTC epoch time (s) in ``tz``:
    one UTC offset per quarter hour (time zones change offset on quarter hours)."""
    if time_s.size == 0:
        return np.zeros(0, dtype=np.int32)
    bucket = np.floor(time_s / 900.0)
    uniq, inv = np.unique(bucket, return_inverse=True)
    offs = np.array(
        [_offset_s(datetime.fromtimestamp(u * 900.0, tz)) for u in uniq], dtype=np.float64
    )
    local = time_s + offs[inv.reshape(time_s.shape)]
    return np.asarray(np.floor(np.mod(local, 86_400.0) / 60.0), dtype=np.int32)


def _offset_s(d: datetime) -> float:
    off = d.utcoffset()
    return off.total_seconds() if off is not None else 0.0


def _in_time_window(rule: Rule, t: EventTable, minutes: npt.NDArray[np.int32]) -> B:
    """Whether each event's local time of day lies in [start, end) of the rule's window."""
    if rule.time_window is None:
        return np.ones(len(t), dtype=bool)
    sh, sm = (int(x) for x in rule.time_window.start.split(":"))
    eh, em = (int(x) for x in rule.time_window.end.split(":"))
    start, end = sh * 60 + sm, eh * 60 + em
    if start <= end:
        return (minutes >= start) & (minutes < end)
    return (minutes >= start) | (minutes < end)  # wraps past midnight


def _common_filters(rule: Rule, t: EventTable, minutes: npt.NDArray[np.int32]) -> B:
    ok = _in_time_window(rule, t, minutes)
    if rule.sectors:
        ok &= np.isin(t.sector, np.array(rule.sectors, dtype=object))
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


def _select(
    rule: Rule,
    t: EventTable,
    m: Mandate,
    minutes: npt.NDArray[np.int32],
    owner_left: B,
    band: list[F8],
) -> tuple[B, F8 | None]:
    """Events matching ``rule`` (before the parties filter) and, for withdrawal
    rules, each event's distance into its owner's band (m)."""
    n = len(t)
    sel = _common_filters(rule, t, minutes)
    if not rule.uncorroborated:
        sel &= ~t.uncorroborated
    # a lone report an event already accounts for is that event's, not a violation
    sel &= ~t.explained
    if rule.kind == "ceasefire":
        sel &= ~t.is_sighting
        if rule.events:
            sel &= np.isin(t.kind, [EVENT_KINDS.index(k) for k in rule.events])
        if rule.weapons:
            sel &= np.isin(t.weapon, np.array(rule.weapons, dtype=object))
        return sel & _zone_mask(rule, t, m), None
    if rule.kind == "withdrawal":
        z = m.zone(rule.zone or "")
        if not isinstance(z, BufferZone):
            raise MandateError(
                f"rule {rule.id!r} is a withdrawal rule but zone {z.id!r} is a {z.kind} zone; "
                "expected a buffer zone",
                file=m.source,
                field=f"rules.{rule.id}.zone",
            )
        sel &= t.is_sighting & np.isin(t.object, np.array(rule.objects, dtype=object)) & t.has_pos
        if not band:
            band.append(_distance_in_own_band(t, m, owner_left, t.is_sighting))
        d = band[0]
        return sel & (np.nan_to_num(d, nan=np.inf) < _band_width_m(z, m, owner_left, n)), d
    if rule.kind == "disengagement":
        if rule.objects:
            sel &= ~t.is_sighting | np.isin(t.object, np.array(rule.objects, dtype=object))
        return sel & t.has_pos & _zone_mask(rule, t, m, owner_left), None
    # drone
    sel &= t.is_sighting & np.isin(t.object, np.array(rule.objects or ["uav"], dtype=object))
    return sel & _zone_mask(rule, t, m, owner_left), None


def assess(
    events: Sequence[Event], mandate: Mandate, config: AttributionConfig | None = None
) -> list[Violation]:
    """Every violation of ``mandate``'s rules by ``events``, in time order.
    ``config``: the attribution allowances (default: the mandate's, see
    :meth:`AttributionConfig.for_mandate`)."""
    cfg = config or AttributionConfig.for_mandate(mandate)
    m = mandate
    t = build_table(events, m)
    n = len(t)
    if n == 0:
        return []
    left_party, right_party = m.doc.contact_line.left, m.doc.contact_line.right
    shooter_left, basis = shooter_p_left(t, cfg)
    owner_p_left = object_p_left(t, t.marked, cfg)
    p_left_all = np.where(t.is_sighting, owner_p_left, shooter_left)
    owner_left = owner_p_left >= 0.5
    minutes = local_minutes(t.time_s, m.tz)
    wrong_side = t.is_sighting & t.has_pos & (t.marked != 0) & ((t.signed_m >= 0) != (t.marked > 0))
    # per rule: the events it takes (the first rule of a kind in mandate order wins)
    taken: dict[str, B] = {}
    chosen: list[tuple[Rule, npt.NDArray[np.intp], F8 | None]] = []
    band: list[F8] = []  # distance into each owner's band, computed once
    for rule in m.doc.rules:
        sel, ref = _select(rule, t, m, minutes, owner_left, band)
        if rule.parties:
            likeliest = np.where(p_left_all >= 0.5, left_party, right_party)
            sel &= np.isin(likeliest, rule.parties)
        prev = taken.get(rule.kind)
        if prev is not None:
            sel &= ~prev
            prev |= sel
        else:
            taken[rule.kind] = sel.copy()
        chosen.append((rule, np.flatnonzero(sel), ref))
    return _violations(t, m, chosen, p_left_all, basis, wrong_side, owner_left)


def _violations(
    t: EventTable,
    m: Mandate,
    chosen: list[tuple[Rule, npt.NDArray[np.intp], F8 | None]],
    p_left_all: F8,
    basis: npt.NDArray[np.object_],
    wrong_side: B,
    owner_left: B,
) -> list[Violation]:
    """Violation objects of the chosen (rule, events), from per-event columns."""
    left, right = m.doc.contact_line.left, m.doc.contact_line.right
    others = {pid: 0.0 for pid in m.party_ids if pid not in (left, right)}
    pl = np.round(p_left_all, 6)
    pr = np.round(1.0 - p_left_all, 6)
    left_best = (pl > pr) | ((pl == pr) & (left > right))
    p_best = np.where(left_best, pl, pr)
    named = p_best >= m.threshold
    party_l = np.where(named, np.where(left_best, left, right), UNDETERMINED).tolist()
    pl_l, pr_l, pb_l = pl.tolist(), pr.tolist(), p_best.tolist()
    side_a = np.where(t.signed_m >= 0, "left", "right").astype(object)
    side_a[~t.has_pos] = None
    side_l = side_a.tolist()
    dist_a = (np.abs(t.signed_m) / 1000.0).astype(object)
    dist_a[~t.has_pos] = None
    dist_l = dist_a.tolist()
    sector_l = t.sector.tolist()
    has_pos_l = t.has_pos.tolist()
    wrong_l = wrong_side.tolist()
    basis_l = basis.tolist()
    own_ref = {
        True: m.reference.get(left) is not None,
        False: m.reference.get(right) is not None,
    }
    owner_l = owner_left.tolist()
    mode = m.doc.response.mode
    notes_cache: dict[tuple[object, ...], tuple[str, ...]] = {}
    out: list[Violation] = []
    append = out.append
    for rule, idx, ref in chosen:
        ref_l = (
            (np.where(np.isfinite(ref), ref / 1000.0, np.nan)).tolist() if ref is not None else None
        )
        rid, sev = rule.id, rule.severity
        prefix = (rid + "\x00").encode()
        for i in idx.tolist():
            e = t.events[i]
            sighting = e.kind == "sighting"
            d = dist_l[i]
            ref_note = False
            if ref_l is not None and ref_l[i] == ref_l[i]:  # not NaN
                d = ref_l[i]
                ref_note = own_ref[owner_l[i]]
            key = (
                None if sighting else basis_l[i],
                (e.object, e.party_marked) if wrong_l[i] else None,
                has_pos_l[i],
                ref_note,
            )
            notes = notes_cache.get(key)
            if notes is None:
                notes = notes_cache[key] = _notes(*key)
            probs = {left: pl_l[i], right: pr_l[i], **others}
            append(
                Violation(
                    "v-" + sha256(prefix + e.id.encode()).hexdigest()[:20],  # violation_id
                    rid,
                    sev,
                    e.object if sighting and e.object else e.kind,
                    e.first_seen_s if e.first_seen_s is not None else e.time_s,
                    e.lat,
                    e.lon,
                    e.cov_m2,
                    party_l[i],
                    pb_l[i],
                    probs,
                    (e.id,),
                    e.observation_ids,
                    d,
                    side_l[i],
                    mode,
                    e.object,
                    None if sighting else e.weapon,
                    sector_l[i],
                    e.first_seen_s,
                    e.last_seen_s,
                    notes,
                    e.launch_lat,
                    e.launch_lon,
                )
            )
    out.sort(key=lambda v: (v.time_s, v.id))
    return out


def _notes(basis: object, wrong: object, has_pos: object, ref_note: object) -> tuple[str, ...]:
    notes: list[str] = []
    if basis is not None:
        notes.append(f"attributed from the {basis}")
    if isinstance(wrong, tuple):
        notes.append(f"{wrong[0]} of {wrong[1]} on the wrong side of the contact line")
    if not has_pos:
        notes.append("no position: a single bearing without range")
    if ref_note:
        notes.append("distance measured from the party's own reference line")
    return tuple(notes)
