"""The dashboard on a stress day: time to first render and to interactive.

A slice of the stress profile (frontline-2025, 160,000 rounds a day) is simulated,
ingested into an embedded SQLite store and processed by the real service under
uvicorn on loopback; Debian's Chromium (Playwright, the system browser) then logs
in as the chief three times and reports, median of three:

- first render: from navigation start to the violations of the day drawn on the map
  (the page's ``body[data-state=ready]``; login is filled in as soon as the page loads);
- interactive: a filter changed (one rule) until the map is redrawn, and a zoom in
  until redrawn (fetches the visible area again);
- the number of violations drawn, and the API's own time for the same request.

    .venv/bin/python benchmarks/bench_dashboard.py [--hours 2]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import httpx
import uvicorn
from playwright.sync_api import sync_playwright

from ceasefire.mandate import day_of, load_mandate
from ceasefire.pipeline import ingest_into, init_store
from ceasefire.service import ServiceConfig, create_app, hash_token, new_token
from ceasefire.simulate import get_profile, simulate, write_scenario

ROOT = Path(__file__).resolve().parents[1]
MANDATE = ROOT / "examples" / "frontline-2025" / "mandate.yaml"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


def serve(cfg: ServiceConfig) -> tuple[str, uvicorn.Server, threading.Thread]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(cfg), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{sock.getsockname()[1]}", server, thread


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hours", type=float, default=2.0, help="hours of the stress day")
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="cf-bench-dash-"))
    m = load_mandate(MANDATE)
    t0 = datetime(2025, 6, 1, tzinfo=m.tz).timestamp()
    sc = simulate(m, get_profile("stress"), t0, a.hours, 1)
    paths = write_scenario(tmp / "sim", sc.observations, sc.truth)
    day = day_of(m, t0 + 1.0).isoformat()
    store = init_store(tmp / "store.db", MANDATE)
    token = new_token()
    store.add_user("chief", "chief", hash_token(token))
    t = time.perf_counter()
    res = ingest_into(store, [paths["observations"]], mandate=m)
    print(f"ingested {len(res.accepted):,} observations in {time.perf_counter() - t:.1f} s")
    store.close()
    cfg = ServiceConfig(
        store=str(tmp / "store.db"), ledger_dir=tmp / "ledger", audit_dir=tmp / "audit", pdf=False
    )
    url, server, thread = serve(cfg)
    try:
        t = time.perf_counter()
        with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=3600) as c:
            r = c.post(f"{url}/api/v1/days/{day}/process")
            r.raise_for_status()
        print(f"processed {day}: {r.json()} in {time.perf_counter() - t:.1f} s")
        first, filt, zoom, drawn, api_s = [], [], [], [], []
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            for _ in range(3):
                ctx = b.new_context(viewport={"width": 1400, "height": 900})
                page = ctx.new_page()
                page.goto(f"{url}/?day={day}")
                page.fill("#token", token)
                page.click("button[type=submit]")
                page.wait_for_selector("body[data-state=ready]", timeout=600_000)
                first.append(page.evaluate("window.dashboard.firstReadyMs()") / 1000.0)
                q = page.evaluate("window.dashboard.lastQuery()")
                with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=600) as c:
                    s = time.perf_counter()
                    c.get(f"{url}/api/v1/violations", params={**q, "limit": 10000})
                    api_s.append(time.perf_counter() - s)
                drawn.append(page.evaluate("window.dashboard.drawn()"))
                rule = page.eval_on_selector_all(
                    "#count-rule tbody tr", "trs => trs.map(t => t.dataset.key)"
                )[0]
                s = time.perf_counter()
                page.select_option("#f-rule", rule)
                page.wait_for_function(
                    f"window.dashboard.lastQuery().rule === {rule!r} && "
                    "document.body.dataset.state === 'ready'",
                    timeout=600_000,
                )
                filt.append(time.perf_counter() - s)
                page.select_option("#f-rule", "")
                page.wait_for_function(
                    "!window.dashboard.lastQuery().rule && document.body.dataset.state === 'ready'",
                    timeout=600_000,
                )
                s = time.perf_counter()
                page.evaluate("document.body.dataset.state = 'zooming'")
                page.click(".leaflet-control-zoom-in")
                page.wait_for_selector("body[data-state=ready]", timeout=600_000)
                zoom.append(time.perf_counter() - s)
                ctx.close()
            b.close()
    finally:
        server.should_exit = True
        thread.join(30)
    med = statistics.median
    print(f"stress slice: {a.hours:g} h, {len(sc.observations):,} observations, day {day}")
    print(f"violations drawn: {med(drawn):,.0f}")
    print(f"first render (navigation to violations drawn): {med(first):.2f} s  {first}")
    print(f"of which the API's GET /violations of the same view alone: {med(api_s):.2f} s")
    print(f"interactive, a filter changed until redrawn: {med(filt):.2f} s")
    print(f"interactive, a zoom in until redrawn: {med(zoom):.2f} s")


if __name__ == "__main__":
    main()
