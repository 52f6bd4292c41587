"""Scoring the escalation ladder against a scenario's expected engagements.

An expected engagement (``truth["expected_engagements"]``, see
:mod:`ceasefire.simulate.offensive`) is *met* by the first ``raised`` notice of
its line against its party (in its sector, where it names one) at or after the
scenario's first onset; its *delay* is that notice's time less the expected
onset (negative: the line engaged before the phase it answers, on what came
before), and it is *in time* when the delay is at most what the mandate allows
the line: its trigger's ``window_h`` plus ``after_below_h`` for a count (the
count can take that long to build), ``CROSSING_ALLOWANCE_H`` for a crossing
(a tasked drone's next pass and fusion).

A *false engagement* is a ``raised`` notice of an armed line that no expected
engagement accounts for: another line, another party or sector, or before the
scenario's first onset; those against the line's own side and those against
``undetermined`` are counted apart (the validator should make both impossible).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ceasefire.mandate import Mandate
from ceasefire.mandate.ladder import own_parties
from ceasefire.mandate.schema import UNDETERMINED

__all__ = ["CROSSING_ALLOWANCE_H", "allowed_delay_h", "score_ladder"]

#: how long a crossing may take to engage its line: the tasked sortie's cadence
#: (30 min) and a sighting's span, with room for one missed pass, h
CROSSING_ALLOWANCE_H = 2.0


def allowed_delay_h(m: Mandate, line: int) -> float:
    """The longest delay the mandate allows ``line`` after the onset it answers, h."""
    d = next(x for x in m.doc.response.escalation if x.line == line)
    if d.trigger.kind == "crossing":
        return CROSSING_ALLOWANCE_H
    return d.trigger.window_h + (d.trigger.after_below_h or 0.0)


def _matches(x: Mapping[str, Any], e: Mapping[str, Any]) -> bool:
    return (
        int(x["line"]) == int(e["line"])
        and x.get("party") == e["party"]
        and (e.get("sector") is None or x.get("sector") == e["sector"])
    )


def score_ladder(
    truth: Mapping[str, Any], escalations: Sequence[Mapping[str, Any]], m: Mandate
) -> dict[str, Any]:
    """Delays of the expected engagements and the false ones, as a JSON-able dict.
    ``escalations``: notices as dicts (``escalations.json``'s)."""
    expected = list(truth.get("expected_engagements", []))
    first_onset = min((float(e["onset"]) for e in expected), default=float("inf"))
    raised = sorted(
        (x for x in escalations if x["state"] == "raised"), key=lambda x: float(x["time_s"])
    )
    rows = []
    for e in expected:
        hits = [x for x in raised if _matches(x, e) and float(x["time_s"]) >= first_onset]
        allowed = allowed_delay_h(m, int(e["line"]))
        delay = (float(hits[0]["time_s"]) - float(e["onset"])) / 3600.0 if hits else None
        rows.append(
            {
                **e,
                "engaged": hits[0]["time_s"] if hits else None,
                "delay_h": delay,
                "allowed_h": allowed,
                "in_time": delay is not None and delay <= allowed,
            }
        )
    lines = {d.line: d for d in m.doc.response.escalation}
    false = [
        x
        for x in raised
        if lines.get(int(x["line"])) is not None
        and lines[int(x["line"])].armed
        and not (float(x["time_s"]) >= first_onset and any(_matches(x, e) for e in expected))
    ]
    own = [x for x in false if x.get("party") in own_parties(lines[int(x["line"])], m.party_ids)]
    undetermined = [x for x in false if x.get("party") == UNDETERMINED]
    met = [r for r in rows if r["in_time"]]
    return {
        "expected": len(rows),
        "met_in_time": len(met),
        "engagements": rows,
        "raised": len(raised),
        "false_engagements": len(false),
        "false_against_own_side": len(own),
        "false_against_undetermined": len(undetermined),
        "false": [
            {k: x.get(k) for k in ("line", "party", "sector", "time_s", "id")} for x in false
        ],
    }
