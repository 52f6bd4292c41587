"""Intervention as a workflow: what ``mode: intervene`` asks of the force holding
a sector, and the force's answers, as ledger records (append-only).

- ``intervention-request``: one per engagement of an armed line and sector of its
  evidence, addressed to the force holding that sector (``response.intervene``):
  what (the engagement), where (sector and the evidence's mean position), the
  violations (or sightings) it rests on, and a deadline (``deadline_h`` after the
  engagement). The shell adds the violations' inclusion proofs.
- ``intervention-ack``: the force has the request (who, when, a note).
- ``intervention-outcome``: what the force did (``OUTCOMES``), when, a note.

:func:`status` folds a ledger's intervention records into each request's state.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from ceasefire.mandate import Mandate
from ceasefire.model import Escalation, Event, Violation
from ceasefire.model.errors import InputError

__all__ = ["OUTCOMES", "REQUEST", "ack_record", "intervention_requests", "outcome_record", "status"]

REQUEST = "intervention-request"
ACK = "intervention-ack"
OUTCOME = "intervention-outcome"
#: what a force may report it did
OUTCOMES = ("intervened", "declined", "unable", "not-needed")


def _rid(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:20]


def _force(m: Mandate, sector: str | None) -> str:
    iv = m.doc.response.intervene
    assert iv is not None
    named = iv.forces.get(sector) if sector is not None else None
    force = named or iv.default
    assert force is not None, "the validator gives every sector a force"
    return force


def intervention_requests(
    escalations: Sequence[Escalation],
    violations: Sequence[Violation],
    m: Mandate,
    *,
    events: Sequence[Event] = (),
) -> list[dict[str, Any]]:
    """The requests ``mode: intervene`` makes of the day's engagements (none in
    other modes), in time order; without proofs (the ledger adds them)."""
    if m.doc.response.mode != "intervene" or m.doc.response.intervene is None:
        return []
    armed = {d.line for d in m.doc.response.escalation if d.armed}
    deadline_s = m.doc.response.intervene.deadline_h * 3600.0
    by_id_v = {v.id: v for v in violations}
    by_id_e = {e.id: e for e in events}
    out: list[dict[str, Any]] = []
    for x in escalations:
        if x.state != "raised" or x.line not in armed:
            continue
        # where: each item's sector and position (a violation's, or a sighting's)
        # in time order (then id): the latest evidence last
        items: list[tuple[str, str | None, float | None, float | None, float]] = []
        for i in x.violation_ids:
            if i in by_id_v:
                v = by_id_v[i]
                items.append((i, v.sector, v.lat, v.lon, v.time_s))
            elif i in by_id_e and by_id_e[i].has_position:
                e = by_id_e[i]
                ch = m.contact.nearest([float(e.lat or 0.0)], [float(e.lon or 0.0)]).chainage_m
                items.append((i, m.sector_of_chainage(ch)[0], e.lat, e.lon, e.time_s))
            else:
                items.append((i, x.sector, None, None, x.time_s))
        items.sort(key=lambda it: (it[4], it[0]))
        sectors = sorted({it[1] for it in items}, key=lambda s: (s is None, s or ""))
        for sec in sectors:
            mine = [it for it in items if it[1] == sec]
            pos = [(it[2], it[3]) for it in mine if it[2] is not None and it[3] is not None]
            where: dict[str, Any] = {"sector": sec}
            if pos:
                arr = np.array(pos, dtype=np.float64)
                where.update(
                    {
                        "lat": round(float(arr[:, 0].mean()), 6),
                        "lon": round(float(arr[:, 1].mean()), 6),
                    }
                )
            kind = "sightings" if x.trigger == "crossing" else "violations"
            out.append(
                {
                    "type": REQUEST,
                    "id": "int-" + _rid(x.id, str(sec)),
                    "to": _force(m, sec),
                    "escalation": x.id,
                    "line": x.line,
                    "line_name": x.line_name,
                    "party": x.party,
                    "what": x.message,
                    "where": where,
                    kind: [it[0] for it in mine],
                    "issued_s": x.time_s,
                    "deadline_s": x.time_s + deadline_s,
                }
            )
    out.sort(key=lambda r: (r["issued_s"], r["id"]))
    return out


def ack_record(request_id: str, by: str, time_s: float, note: str = "") -> dict[str, Any]:
    """The force ``by`` acknowledges ``request_id`` at ``time_s``."""
    if not by.strip():
        raise InputError("who acknowledges is empty; expected the force's name", field="by")
    return {
        "type": ACK,
        "id": f"{request_id}-ack-{_rid(by, f'{time_s:.3f}')[:8]}",
        "request": request_id,
        "by": by,
        "time_s": time_s,
        "note": note,
    }


def outcome_record(
    request_id: str, outcome: str, by: str, time_s: float, note: str = ""
) -> dict[str, Any]:
    """The force ``by`` reports ``outcome`` (one of ``OUTCOMES``) of ``request_id``."""
    if outcome not in OUTCOMES:
        raise InputError(
            f"unknown outcome {outcome!r}; expected one of {', '.join(OUTCOMES)}", field="outcome"
        )
    if not by.strip():
        raise InputError("who reports is empty; expected the force's name", field="by")
    return {
        "type": OUTCOME,
        "id": f"{request_id}-outcome-{_rid(outcome, by, f'{time_s:.3f}')[:8]}",
        "request": request_id,
        "outcome": outcome,
        "by": by,
        "time_s": time_s,
        "note": note,
    }


def status(records: Iterable[Mapping[str, Any]], now_s: float) -> list[dict[str, Any]]:
    """Each request's state from a ledger's records (in ledger order): ``open``,
    ``overdue`` (past its deadline unanswered), ``acknowledged``, or ``closed``
    (an outcome), with the answers' times."""
    reqs: dict[str, dict[str, Any]] = {}
    for r in records:
        t = r.get("type")
        if t == REQUEST:
            reqs[str(r["id"])] = {
                "id": r["id"],
                "to": r["to"],
                "line": r["line"],
                "party": r["party"],
                "sector": r["where"].get("sector"),
                "issued_s": r["issued_s"],
                "deadline_s": r["deadline_s"],
                "acks": [],
                "outcome": None,
            }
        elif t in (ACK, OUTCOME) and str(r.get("request")) in reqs:
            q = reqs[str(r["request"])]
            if t == ACK:
                q["acks"].append({"by": r["by"], "time_s": r["time_s"]})
            else:
                q["outcome"] = {"outcome": r["outcome"], "by": r["by"], "time_s": r["time_s"]}
    out = []
    for q in reqs.values():
        if q["outcome"] is not None:
            state = "closed"
        elif q["acks"]:
            state = "acknowledged"
        else:
            state = "overdue" if now_s > q["deadline_s"] else "open"
        out.append({**q, "state": state})
    return out
