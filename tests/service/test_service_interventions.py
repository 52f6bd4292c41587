"""Intervention requests through the service (issue 25's workflow "in the service"):
the chief lists them and records the force's acknowledgement and outcome, which the
evidence ledger keeps; an analyst sees its sectors' requests only; other roles none."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import httpx

from ceasefire.assess import escalate
from ceasefire.assess.intervene import intervention_requests
from ceasefire.ledger import Ledger
from ceasefire.mandate import parse_mandate
from ceasefire.pipeline import init_store, intervene_day, ledger_day
from ceasefire.service import ServiceConfig, hash_token, new_token

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pipeline"))
from served import uvicorn_on_loopback
from test_pipeline_intervene import DOC25, T0, v


def test_the_chief_records_a_forces_answers_in_the_ledger(tmp_path: Path) -> None:
    mandate_path = tmp_path / "mandate.yaml"
    mandate_path.write_text(DOC25)
    m = parse_mandate(DOC25)
    vs = [v(i, T0 + 60 * i, "north") for i in range(25)]
    esc = escalate(vs, m)
    led = Ledger.open(tmp_path / "ledger")
    ledger_day(led, date(2025, 6, 1), T0 + 86400, [], vs, esc)
    (req,) = intervene_day(led, intervention_requests(esc, vs, m), T0 + 86400)
    size0 = led.size
    led.close()
    st = init_store(str(tmp_path / "store.db"), mandate_path)
    tokens = {}
    for name, role, sectors in (
        ("chief", "chief", ()),
        ("ana_n", "analyst", ("north",)),
        ("ana_s", "analyst", ("south",)),
        ("liaison", "party", ()),
    ):
        tokens[name] = new_token()
        st.add_user(name, role, hash_token(tokens[name]), sectors=sectors, party=None)
    st.close()
    cfg = ServiceConfig(
        store=str(tmp_path / "store.db"),
        ledger_dir=tmp_path / "ledger",
        audit_dir=tmp_path / "audit",
        pdf=False,
    )
    rid = str(req["id"])
    with uvicorn_on_loopback(cfg) as url:

        def c(user: str) -> httpx.Client:
            return httpx.Client(
                base_url=url + "/api/v1", headers={"Authorization": f"Bearer {tokens[user]}"}
            )

        with c("chief") as chief, c("ana_n") as ana_n, c("ana_s") as ana_s, c("liaison") as p:
            rows = chief.get("/interventions").json()["interventions"]
            assert [(r["id"], r["to"], r["sector"]) for r in rows] == [
                (rid, "Northern brigade", "north")
            ]
            assert rows[0]["state"] == "overdue"  # issued in 2025 with a 2 h deadline
            assert len(ana_n.get("/interventions").json()["interventions"]) == 1
            assert ana_s.get("/interventions").json()["interventions"] == []
            assert p.get("/interventions").status_code == 403
            body = {"by": "Northern brigade", "time": "2025-06-01T01:00:00Z"}
            assert ana_n.post(f"/interventions/{rid}/ack", json=body).status_code == 403
            assert chief.post("/interventions/int-nope/ack", json=body).status_code == 404
            r = chief.post(f"/interventions/{rid}/ack", json=body)
            assert r.status_code == 200 and r.json()["type"] == "intervention-ack"
            assert r.json()["ledger_size"] == size0 + 1
            assert chief.get("/interventions").json()["interventions"][0]["state"] == (
                "acknowledged"
            )
            bad = chief.post(f"/interventions/{rid}/outcome", json={**body, "outcome": "won"})
            assert bad.status_code == 422
            assert any(e["field"] == "body.outcome" for e in bad.json()["errors"])
            done = {**body, "outcome": "intervened", "note": "fire stopped"}
            assert chief.post(f"/interventions/{rid}/outcome", json=done).status_code == 200
            again = chief.post(f"/interventions/{rid}/outcome", json=done)
            assert again.status_code == 409 and "already has the outcome" in again.json()["detail"]
            (row,) = chief.get("/interventions").json()["interventions"]
            assert row["state"] == "closed" and row["outcome"]["outcome"] == "intervened"
            assert row["outcome"]["time"].startswith("2025-06-01T01:00:00")
    led = Ledger.open(tmp_path / "ledger")
    try:
        types = [led.record(i)["type"] for i in range(size0, led.size)]
        assert types == ["intervention-ack", "intervention-outcome"]
    finally:
        led.close()
