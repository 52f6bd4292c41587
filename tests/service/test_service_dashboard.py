"""The dashboard in Debian's Chromium (Playwright driving the system browser, no
browser download) against the real server on loopback: three roles' views, counts
that agree with the API, a filter, a violation arriving live, compartments, and
no request leaving the server."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from served import DAY, Served, served_world, simulated_lines

from ceasefire.mandate import load_mandate
from ceasefire.patrol import load_fleet
from ceasefire.patrol.baseline import plan_baseline
from ceasefire.patrol.files import write_plan
from ceasefire.service.maplayers import sector_lines

# every test of the module on one worker: its module fixtures are made once, not
# once a worker
pytestmark = pytest.mark.xdist_group("service-dashboard")

CHROMIUM = "/usr/bin/chromium"
#: As the machine notes say: without the background-networking flags Chromium
#: tries Google's hosts at every start.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, donbas_mandate_path: Path) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("dash")
    lines = simulated_lines(donbas_mandate_path, hours=6.0, seed=2)
    m = load_mandate(donbas_mandate_path)
    fleet = load_fleet(donbas_mandate_path.parent / "fleet.yaml", m)
    plan = plan_baseline(m, fleet, datetime(2025, 6, 1, tzinfo=m.tz).timestamp(), 24.0)
    write_plan(plan, None, tmp / "patrol")
    with served_world(
        str(tmp / "store.db"), tmp, donbas_mandate_path, lines, patrol_dir=tmp / "patrol"
    ) as w:
        w.before_publish["sorties"] = len(plan.sorties)
        yield w


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


class Session:
    """A page logged in as one user, with every request it made."""

    def __init__(self, browser: Browser, world: Served, user: str, query: str = "") -> None:
        self.ctx = browser.new_context(viewport={"width": 1400, "height": 900})
        self.page: Page = self.ctx.new_page()
        self.requests: list[str] = []
        self.responses: dict[str, list[Any]] = {}
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("response", self._keep)
        self.page.goto(f"{world.url}/?day={DAY}{query}")
        self.page.fill("#token", world.tokens[user])
        self.page.click("button[type=submit]")
        self.ready()

    def _keep(self, r: Any) -> None:
        path = r.url.split("/api/v1", 1)[-1].split("?")[0]
        if path in ("/observations", "/events", "/violations") and r.ok:
            self.responses.setdefault(path, []).append(r.json())

    def ready(self) -> None:
        self.page.wait_for_selector("body[data-state=ready]", timeout=60_000)

    def drawn(self) -> int:
        return int(self.page.evaluate("window.dashboard.drawn()"))

    def query(self) -> dict[str, str]:
        return dict(self.page.evaluate("window.dashboard.lastQuery()"))

    def close(self) -> None:
        self.ctx.close()


def api_count(world: Served, user: str, params: dict[str, str]) -> int:
    with world.client(user) as c:
        n, offset = 0, 0
        while True:
            body = c.get("/violations", params={**params, "limit": 10000, "offset": offset}).json()
            n += sum(1 for f in body["features"] if f["geometry"] is not None)
            if body["next_offset"] is None:
                return n
            offset = body["next_offset"]


def only_local(requests: list[str], world: Served) -> list[str]:
    return [u for u in requests if not (u.startswith(world.url) or u.startswith("blob:"))]


def test_chief_sees_what_the_api_counts_and_a_filter_narrows_it(
    browser: Browser, world: Served
) -> None:
    s = Session(browser, world, "chief")
    try:
        assert "chief" in s.page.inner_text("#who")
        total = s.drawn()
        assert total > 0
        assert total == api_count(world, "chief", s.query())
        assert int(s.page.inner_text("#count-total").replace(",", "")) == total
        # the per-party table sums to the total
        party_rows = s.page.eval_on_selector_all(
            "#count-party tbody td.n",
            "tds => tds.map(t => Number(t.textContent.replace(/,/g, '')))",
        )
        assert sum(party_rows) == total
        # a rule filter: fewer drawn, and still what the API counts for that rule
        rules = s.page.eval_on_selector_all(
            "#count-rule tbody tr", "trs => trs.map(t => t.dataset.key)"
        )
        assert len(rules) >= 2, "the day should break more than one rule"
        s.page.select_option("#f-rule", rules[-1])
        s.page.wait_for_function(
            f"window.dashboard.lastQuery() && window.dashboard.lastQuery().rule === {rules[-1]!r}"
        )
        s.ready()
        narrowed = s.drawn()
        assert 0 < narrowed < total
        assert s.query()["rule"] == rules[-1]
        assert narrowed == api_count(world, "chief", s.query())
        assert s.page.is_visible("#publish")
        # the drone routes of the plan the server was given (`serve --patrol`)
        with s.page.expect_response(lambda r: "/api/v1/patrol" in r.url) as got:
            s.page.check(".leaflet-control-layers-overlays label:has-text('Drone routes') input")
        assert got.value.ok
        s.page.wait_for_function("window.dashboard.routesDrawn() > 0")
        assert s.page.evaluate("window.dashboard.routesDrawn()") == world.before_publish["sorties"]
        SHOTS.mkdir(parents=True, exist_ok=True)
        s.page.select_option("#f-rule", "")
        s.ready()
        s.page.screenshot(path=str(SHOTS / "dashboard-chief.png"))
        assert only_local(s.requests, world) == []
    finally:
        s.close()


def test_a_violation_appears_live_within_two_seconds(
    browser: Browser, world: Served, donbas_mandate_path: Path
) -> None:
    s = Session(browser, world, "chief")
    try:
        s.page.wait_for_selector("body[data-stream=open]", timeout=30_000)
        with world.client("chief") as c:
            listed = c.get("/violations", params={"limit": 10000}).json()["features"]
            before = {f["id"] for f in listed}
        # a party's drone over the line, seen by a patrol: the drone ban's violation
        m = load_mandate(donbas_mandate_path)
        lon, lat = sector_lines(m)[0]["geometry"]["coordinates"][1]
        drone = {
            "id": f"live-{time.time_ns()}",
            "source": "patrol-live",
            "kind": "sighting",
            "time": f"{DAY}T09:30:00Z",
            "position": {"lat": lat, "lon": lon},
            "position_sigma_m": 40.0,
            "object": "uav",
            "count": 1,
        }
        with world.client("mon1") as c:
            r = c.post("/observations", json=[drone])
            assert r.json()["accepted"] == 1, r.text
        with world.client("chief") as c:
            c.post(f"/days/{DAY}/process").raise_for_status()
            announced = time.monotonic()
            after = c.get("/violations", params={"limit": 10000}).json()["features"]
        new = [
            f["id"] for f in after if f["id"] not in before and f["properties"]["rule"] == "drones"
        ]
        assert new, "processing the day should judge the new drone"
        s.page.wait_for_function(
            f"{json.dumps(new)}.every(id => window.dashboard.has(id))", timeout=2_000
        )
        assert time.monotonic() - announced <= 2.0
    finally:
        s.close()


def test_an_analyst_sees_only_its_sector(browser: Browser, world: Served) -> None:
    s = Session(browser, world, "ana_luhansk")
    try:
        layers = s.page.evaluate("window.dashboard.layers()")
        assert {"violations", "events", "observations"} <= set(layers)
        assert "patrol" not in layers  # the plan is the chief's
        sectors = s.page.eval_on_selector_all("#f-sector option", "os => os.map(o => o.value)")
        assert sectors == ["", "luhansk"]
        # the observer layer loads when switched on, for the view and day only
        assert "/observations" not in s.responses
        with s.page.expect_response(lambda r: "/api/v1/observations" in r.url) as got:
            s.page.check(".leaflet-control-layers-overlays label:has-text('Observers') input")
        assert got.value.ok
        obs = [f for body in s.responses.get("/observations", []) for f in body["features"]]
        assert obs, "the analyst's observer layer should have loaded its own sector"
        assert {f["properties"]["sector"] for f in obs} == {"luhansk"}
        vs = [f for body in s.responses.get("/violations", []) for f in body["features"]]
        assert vs and {f["properties"]["sector"] for f in vs} == {"luhansk"}
        assert s.drawn() == api_count(world, "ana_luhansk", s.query())
        s.page.screenshot(path=str(SHOTS / "dashboard-analyst.png"))
        assert only_local(s.requests, world) == []
    finally:
        s.close()


def test_a_party_liaison_has_no_observer_layer_at_all(browser: Browser, world: Served) -> None:
    s = Session(browser, world, "liaison_ru")
    try:
        layers = s.page.evaluate("window.dashboard.layers()")
        assert "observations" not in layers and "events" not in layers
        assert not any("/observations" in u or "/events" in u for u in s.requests)
        assert s.page.locator(".leaflet-control-layers-overlays").inner_text().count("Observ") == 0
        drawn = s.drawn()
        assert drawn > 0 and drawn == api_count(world, "liaison_ru", s.query())
        # a violation's panel: no evidence ids for a party, a proof to download
        assert s.page.evaluate("window.dashboard.open()") is not None
        s.page.wait_for_selector("#panel:not([hidden])")
        assert s.page.inner_text("[data-field=evidence]") == "not shown to this role"
        with s.page.expect_download() as dl:
            s.page.click("#download-proof")
        bundle = json.loads(Path(dl.value.path()).read_text())
        assert "leaf_index" in bundle and "tree_size" in bundle
        assert not s.page.is_visible("#publish")
        s.page.screenshot(path=str(SHOTS / "dashboard-party.png"))
        assert only_local(s.requests, world) == []
    finally:
        s.close()


def test_a_busy_view_is_drawn_as_the_servers_cells(browser: Browser, world: Served) -> None:
    # `points=5`: a view of more than 5 violations is drawn from the server's cells
    # (GET /violations/summary), as a stress day's 100,000 are, and no feature fetched
    s = Session(browser, world, "chief", "&points=5")
    try:
        assert s.page.evaluate("window.dashboard.mode()") == "cells"
        total = s.drawn()
        assert total > 5 and total == api_count(world, "chief", s.query())
        assert int(s.page.inner_text("#count-total").replace(",", "")) == total
        assert s.page.locator(".server-cell").count() >= 1
        features = [u for u in s.requests if "/api/v1/violations?" in u]
        assert features == [], "a busy view should not fetch the features"
        # the time bar is the API's too: the first hour (UTC) of the day, counted alike
        s.page.eval_on_selector(
            "#hour-to", "e => { e.value = '1'; e.dispatchEvent(new Event('input')); }"
        )
        s.page.wait_for_function("window.dashboard.lastQuery().until !== undefined")
        s.ready()
        q = s.query()
        assert q["until"].startswith(f"{DAY}T01:00:00")
        narrowed = s.drawn()
        assert 0 < narrowed == api_count(world, "chief", q) < total
        party_rows = s.page.eval_on_selector_all(
            "#count-party tbody td.n",
            "tds => tds.map(t => Number(t.textContent.replace(/,/g, '')))",
        )
        assert sum(party_rows) == narrowed
        assert only_local(s.requests, world) == []
    finally:
        s.close()
