"""The one-shot pipeline end to end on a hand-built scene (real SQLite, real
files, the real ledger and report), and the stepwise verbs on the same scene."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from scene import build_scene

from ceasefire import pipeline
from ceasefire.geo import distance_m
from ceasefire.ledger import Ledger
from ceasefire.mandate import load_mandate
from ceasefire.model.errors import PipelineError
from ceasefire.store import Store

# every test of the module on one worker: its module fixtures are made once, not
# once a worker
pytestmark = pytest.mark.xdist_group("pipeline-run")


@pytest.fixture(scope="module")
def ran(
    tmp_path_factory: pytest.TempPathFactory, donbas_mandate_path: Path
) -> tuple[Path, dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("run")
    m = load_mandate(donbas_mandate_path)
    expect = build_scene(m, tmp / "obs.ndjson")
    pipeline.run(donbas_mandate_path, [tmp / "obs.ndjson"], tmp / "out", pdf=False)
    return tmp / "out", expect


def test_counts_add_up_and_rejects_are_kept(ran: tuple[Path, dict[str, Any]]) -> None:
    out, expect = ran
    summary = json.loads((out / "summary.json").read_text())
    c = summary["counts"]
    assert c == {k: expect[k] for k in ("input", "accepted", "rejected", "duplicate")}
    q = [json.loads(x) for x in (out / "quarantine.ndjson").read_text().splitlines()]
    assert sorted(r["status"] for r in q) == ["duplicate", "rejected", "rejected"]
    assert any("observer.lat" in r["reason"] for r in q)


def test_the_round_is_one_ceasefire_violation_by_ru(ran: tuple[Path, dict[str, Any]]) -> None:
    out, expect = ran
    fc = json.loads((out / "violations.geojson").read_text())
    assert fc["type"] == "FeatureCollection"
    cf = [f for f in fc["features"] if f["properties"]["rule"] == "ceasefire"]
    assert len(cf) == 1, "launch and impact of one round must count once"
    p = cf[0]["properties"]
    assert p["party"] == "RU" and p["party_probability"] >= 0.8
    lon, lat = cf[0]["geometry"]["coordinates"]
    near_impact = float(distance_m(lat, lon, *expect["impact"]))
    near_launch = float(distance_m(lat, lon, *expect["launch"]))
    assert min(near_impact, near_launch) < 500.0
    assert set(p["uncertainty"]) >= {"semi_major_m", "semi_minor_m", "orientation_deg"}


def test_the_tank_is_one_withdrawal_violation_and_the_far_gun_none(
    ran: tuple[Path, dict[str, Any]],
) -> None:
    out, expect = ran
    fc = json.loads((out / "violations.geojson").read_text())
    feats = [f for f in fc["features"] if f["properties"]["rule"].startswith("withdrawal")]
    # three sightings of one tank: one violation; the gun 40 km back breaks no rule
    assert [f["properties"]["rule"] for f in feats] == ["withdrawal-addendum"]
    w = feats[0]["properties"]
    assert w["party"] == "RU" and w["object"] == "tank"
    assert w["distance_to_line_km"] == pytest.approx(8.0, abs=0.5)
    lon, lat = feats[0]["geometry"]["coordinates"]
    assert float(distance_m(lat, lon, *expect["tank"])) < 100.0


def test_ledger_holds_every_violation_and_verifies(ran: tuple[Path, dict[str, Any]]) -> None:
    out, _ = ran
    led = Ledger.open(out / "ledger")
    led.verify()
    fc = json.loads((out / "violations.geojson").read_text())
    for f in fc["features"]:
        assert led.contains(f["properties"]["id"])
    summary = json.loads((out / "summary.json").read_text())
    assert summary["days"][0]["ledger_head"]["size"] == led.size


def test_report_written(ran: tuple[Path, dict[str, Any]]) -> None:
    out, _ = ran
    html = (out / "report.html").read_text()
    assert "2025-06-01" in html


def test_run_refuses_to_overwrite_a_store(
    ran: tuple[Path, dict[str, Any]], donbas_mandate_path: Path
) -> None:
    out, _ = ran
    with pytest.raises(PipelineError, match="exists"):
        pipeline.run(donbas_mandate_path, [out / "quarantine.ndjson"], out)


def test_a_first_day_is_not_compared_with_an_unmonitored_one(
    ran: tuple[Path, dict[str, Any]],
) -> None:
    # The store holds one day: the report must not claim "N more than the previous
    # day (0)", as if the mission had watched the day before and seen nothing.
    out, _ = ran
    html = (out / "report.html").read_text()
    assert "than the previous day" not in html


def test_a_day_without_observations_says_nothing_was_received(
    ran: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    # the store holds 2025-06-01 only: two days later the mission heard nothing,
    # which must not read as a quiet day
    out, _ = ran
    st = Store.open(out / "store.db")
    try:
        m = pipeline.mandate_of(st)
        paths = pipeline.report_day(st, m, date(2025, 6, 3), tmp_path / "r", pdf=False)
    finally:
        st.close()
    html = paths["html"].read_text()
    assert "received no observations" in html
    assert "recorded no ceasefire violations" not in html


def test_the_published_report_leaves_out_the_observers(ran: tuple[Path, dict[str, Any]]) -> None:
    out, _ = ran
    public = (out / "report.html").read_text()
    internal = (out / "report-internal.html").read_text()
    assert "INTERNAL" not in public and "left out of" in public
    assert "INTERNAL" in internal and "observer positions of the day" in internal
    summary = json.loads((out / "summary.json").read_text())
    assert summary["outputs"]["report_internal_html"] == str(out / "report-internal.html")
