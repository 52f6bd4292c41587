"""An intervention's life in the ledger: the request to the force holding the
sector (with inclusion proofs that verify offline), its acknowledgement and its
outcome, all appended; the CLI that records the answers."""

from __future__ import annotations

import json
import textwrap
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ceasefire.assess import escalate, notices
from ceasefire.assess.intervene import intervention_requests, outcome_record, status
from ceasefire.cli import app
from ceasefire.ledger import Ledger, verify_bundle
from ceasefire.mandate import parse_mandate
from ceasefire.model import Violation
from ceasefire.model.errors import InputError
from ceasefire.pipeline import PROOFS_PER_REQUEST, intervene_day, ledger_day

DOC = textwrap.dedent(
    """\
    mission: {name: t, authority: {body: UNSC, resolution: x}}
    parties: [{id: UA, name: Ukraine}, {id: RU, name: Russia}]
    contact_line: {left: RU, right: UA, coordinates: [[38.0, 49.5], [38.0, 47.5]]}
    sectors:
      - {id: north, from_km: 0, to_km: 100}
      - {id: south, from_km: 100, to_km: 222.5}
    rules: [{id: ceasefire, kind: ceasefire, severity: high}]
    response:
      mode: intervene
      notify: [UNSC]
      intervene: {deadline_h: 2, forces: {north: Northern brigade}, default: Southern brigade}
      escalation:
        - line: 1
          name: force
          holder: UN force
          defends: UA
          trigger: {kind: count, by: [RU], threshold: 3, window_h: 1, per: party_sector}
    """
)
T0 = 1_748_736_000.0  # 2025-06-01 00:00 UTC
runner = CliRunner()


def v(i: int, t: float, sector: str, party: str = "RU") -> Violation:
    return Violation(
        id=f"v{i}",
        rule="ceasefire",
        severity="high",
        kind="explosion",
        time_s=t,
        lat=48.5 + 0.001 * i,
        lon=38.1,
        cov_m2=None,
        party=party,
        party_probability=0.99,
        probabilities={party: 0.99},
        event_ids=(f"e{i}",),
        observation_ids=(),
        distance_to_line_km=1.0,
        side="left",
        response="intervene",
        sector=sector,
    )


def test_a_request_goes_to_the_force_holding_the_sector_with_a_deadline() -> None:
    m = parse_mandate(DOC)
    vs = [v(i, T0 + 60 * i, "south") for i in range(3)] + [v(9, T0, "north", "UA")]
    esc = escalate(vs, m)
    reqs = intervention_requests(esc, vs, m)
    assert len(reqs) == 1
    r = reqs[0]
    assert r["to"] == "Southern brigade" and r["where"]["sector"] == "south"
    assert r["violations"] == ["v0", "v1", "v2"] and r["party"] == "RU"
    assert r["deadline_s"] - r["issued_s"] == 2 * 3600.0 and r["issued_s"] == T0 + 120
    assert r["where"]["lat"] == pytest.approx(48.501)
    # the notices carry the request to that force; a notify mandate makes none
    sent = [n for n in notices(vs, esc, m) if n["type"] == "request"]
    assert [n["to"] for n in sent] == [["Southern brigade"]]
    notify = parse_mandate(DOC.replace("mode: intervene", "mode: notify"))
    assert intervention_requests(esc, vs, notify) == []


def test_the_validator_wants_a_force_for_every_sector() -> None:
    from ceasefire.model.errors import MandateError

    with pytest.raises(MandateError, match="no force holds south"):
        parse_mandate(DOC.replace(", default: Southern brigade", ""))
    with pytest.raises(MandateError, match="unknown sector 'east'"):
        parse_mandate(DOC.replace("{north: Northern", "{east: Northern"))


#: a line engaged by 25 violations: more than a request carries proofs for
DOC25 = DOC.replace("threshold: 3", "threshold: 25")


def _day(tmp_path: Path) -> tuple[Ledger, dict[str, object]]:
    m = parse_mandate(DOC25)
    vs = [v(i, T0 + 60 * i, "north") for i in range(25)]
    esc = escalate(vs, m)
    led = Ledger.open(tmp_path / "ledger")
    ledger_day(led, date(2025, 6, 1), T0 + 86400, [], vs, esc)
    added = intervene_day(led, intervention_requests(esc, vs, m), T0 + 86400)
    assert len(added) == 1
    return led, added[0]


def test_the_request_is_in_the_ledger_with_proofs_that_verify_offline(tmp_path: Path) -> None:
    led, req = _day(tmp_path)
    rec = led.record(led.index_of(str(req["id"])))
    assert rec["type"] == "intervention-request" and rec["to"] == "Northern brigade"
    # all 25 listed; proofs for the escalation and the latest PROOFS_PER_REQUEST
    assert len(rec["violations"]) == 25
    proofs = rec["proofs"]
    assert len(proofs) == 1 + PROOFS_PER_REQUEST
    pem = led.public_key_pem()
    checked = [verify_bundle(b, pem) for b in proofs]
    assert checked[0].record_type == "escalation" and checked[0].record_id == rec["escalation"]
    assert [c.record_id for c in checked[1:]] == [f"v{i}" for i in range(5, 25)]
    # a second run of the day appends nothing
    m = parse_mandate(DOC25)
    vs = [v(i, T0 + 60 * i, "north") for i in range(25)]
    assert intervene_day(led, intervention_requests(escalate(vs, m), vs, m), T0 + 86400) == []
    # a tampered proof fails
    from ceasefire.model.errors import VerificationError

    bad = json.loads(json.dumps(proofs[1]))
    bad["record"]["party"] = "UA"
    with pytest.raises(VerificationError):
        verify_bundle(bad, pem)


def test_acknowledgement_and_outcome_are_appended_and_close_the_request(tmp_path: Path) -> None:
    led, req = _day(tmp_path)
    rid = str(req["id"])
    deadline = float(req["deadline_s"])  # type: ignore[arg-type]
    d = str(tmp_path / "ledger")

    def run(*args: str) -> tuple[int, str]:
        res = runner.invoke(app, ["intervene", *args])
        if res.exception and not isinstance(res.exception, SystemExit):
            return 2, str(res.exception)
        return res.exit_code, res.output

    code, out = run("list", d, "--json", "--now", str(deadline - 60))
    assert code == 0 and [r["state"] for r in json.loads(out)] == ["open"]
    code, out = run("list", d, "--json", "--now", str(deadline + 60))
    assert [r["state"] for r in json.loads(out)] == ["overdue"]
    size0 = Ledger.open(tmp_path / "ledger").size
    code, out = run("ack", d, rid, "--by", "Northern brigade", "--time", str(deadline - 600))
    assert code == 0 and "intervention-ack" in out
    code, out = run("list", d, "--json", "--now", str(deadline + 60))
    assert [r["state"] for r in json.loads(out)] == ["acknowledged"]
    code, out = run(
        "outcome", d, rid, "intervened", "--by", "Northern brigade", "--note", "fire stopped"
    )
    assert code == 0
    code, out = run("list", d, "--json")
    row = json.loads(out)[0]
    assert row["state"] == "closed" and row["outcome"]["outcome"] == "intervened"
    # append-only: the request is unchanged, two records more, and the log verifies
    after = Ledger.open(tmp_path / "ledger")
    assert after.size == size0 + 2
    assert after.record(after.index_of(rid)) == led.record(led.index_of(rid))
    report = after.verify()  # raises VerificationError on any difference
    assert report.size == size0 + 2 and report.unsigned_records == 0
    # refusals: a second outcome, an unknown request, an unknown outcome
    code, out = run("outcome", d, rid, "declined", "--by", "Northern brigade")
    assert code == 2 and "already has the outcome 'intervened'" in out
    code, out = run("ack", d, "int-nope", "--by", "x")
    assert code == 2 and "no record 'int-nope'" in out
    with pytest.raises(InputError, match="unknown outcome 'won'"):
        outcome_record(rid, "won", "x", 0.0)
    code, out = run("show", d, rid)
    shown = json.loads(out)
    assert shown["request"]["id"] == rid and len(shown["answers"]) == 2


def test_status_folds_records_in_ledger_order() -> None:
    req = {
        "type": "intervention-request",
        "id": "int-1",
        "to": "F",
        "line": 1,
        "party": "RU",
        "where": {"sector": None},
        "issued_s": 0.0,
        "deadline_s": 100.0,
    }
    ack = {"type": "intervention-ack", "id": "a", "request": "int-1", "by": "F", "time_s": 50.0}
    stray = {"type": "intervention-ack", "id": "b", "request": "int-2", "by": "F", "time_s": 1.0}
    assert [s["state"] for s in status([req], 99.0)] == ["open"]
    assert [s["state"] for s in status([req, stray], 101.0)] == ["overdue"]
    assert [s["state"] for s in status([req, ack], 1e9)] == ["acknowledged"]
