"""What the response mode makes of violations and escalations.

``record``: nothing to send (recorded and reported, the OSCE practice).
``notify``: a notice per violation to the mandate's recipients, and a notice per
escalation to the recipients and the line's holder. ``intervene``: as notify,
and a request to the force holding the sector for each engagement of an armed
line (:mod:`ceasefire.assess.intervene`; the ledger adds the proofs).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ceasefire.assess.intervene import intervention_requests
from ceasefire.mandate import Mandate
from ceasefire.model import Escalation, Event, Violation


def _evidence(v: Violation) -> dict[str, Any]:
    ell = v.ellipse
    return {
        "violation": v.id,
        "rule": v.rule,
        "time_s": v.time_s,
        "position": None if v.lat is None else {"lat": v.lat, "lon": v.lon},
        "ellipse_95": ell.to_dict() if ell else None,
        "party": v.party,
        "party_probability": v.party_probability,
        "observations": list(v.observation_ids),
        "events": list(v.event_ids),
    }


def notices(
    violations: Sequence[Violation],
    escalations: Sequence[Escalation],
    mandate: Mandate,
    *,
    events: Sequence[Event] = (),
) -> list[dict[str, Any]]:
    """The messages the response mode asks for, in time order."""
    mode = mandate.doc.response.mode
    if mode == "record":
        return []
    to = list(mandate.doc.response.notify)
    out: list[dict[str, Any]] = []
    for v in violations:
        out.append(
            {
                "type": "notice",
                "to": to,
                "time_s": v.time_s,
                "severity": v.severity,
                "text": f"{v.rule} violation ({v.kind}) attributed to {v.party} "
                f"(p={v.party_probability:.2f})",
                **_evidence(v),
            }
        )
    for x in escalations:
        out.append(
            {
                "type": "escalation",
                "to": [*to, x.holder],
                "time_s": x.time_s,
                "state": x.state,
                "line": x.line,
                "escalation": x.id,
                "text": x.message,
                "violations": list(x.violation_ids),
            }
        )
    for r in intervention_requests(escalations, violations, mandate, events=events):
        out.append(
            {
                **r,
                "type": "request",
                "to": [r["to"]],
                "time_s": r["issued_s"],
                "text": f"intervene by {r['deadline_s']:.0f}: {r['what']}",
            }
        )
    out.sort(key=lambda n: (n["time_s"], n["type"], str(n.get("violation", n.get("escalation")))))
    return out
