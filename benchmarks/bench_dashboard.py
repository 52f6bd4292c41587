"""The dashboard on a stress day: the API's GeoJSON writing per feature, and time to
first render and to interactive in Debian's Chromium, each against its anchor.

Data: ``--store PATH``, a store holding a processed stress day (built once with the
CLI, see benchmarks/README.md, and reused), or else ``--hours H`` of the stress
profile (frontline-2025) simulated, ingested into an embedded SQLite store under
``--cache`` and processed by the service (kept there and reused on the next run).

1. Serialization, CPU seconds per violation feature (``time.process_time``, one page
   of 10,000 stored rows, the same rows for both, median of three, alternated):
   anchor = main's route before (each feature validated by the pydantic response
   models, FastAPI's response_model serialization), new = the JSON bytes written
   straight from the rows (``service.features``). Both are FastAPI routes called in
   process, so the figures include the framework's per-request work.
2. The page, real uvicorn on loopback and the chief's page in Chromium (Playwright
   with /usr/bin/chromium), median of three fresh pages each: first render
   (navigation until the day's violations are drawn, ``body[data-state=ready]``), a
   rule filter changed until redrawn, a zoom in until redrawn. Anchor = main's page
   before (``benchmarks/dashboard_anchor.js``: every violation in view fetched as
   features, counted on the page), served in place of ``app.js`` by the same server;
   a page that is not ready within ``--timeout`` counts as the timeout (a lower bound).

    nice .venv/bin/python benchmarks/bench_dashboard.py --store /tmp/ceasefire-stress/store.db
    nice .venv/bin/python benchmarks/bench_dashboard.py --hours 2
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI, Response
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, sync_playwright
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from ceasefire.mandate import day_of, load_mandate
from ceasefire.pipeline import ingest_into, init_store
from ceasefire.service import ServiceConfig, create_app, hash_token, new_token
from ceasefire.service import models as m
from ceasefire.service.app import WEB_DIR
from ceasefire.service.features import GeoJSONBytes, collection_bytes, violation_row_feature
from ceasefire.simulate import get_profile, simulate, write_scenario
from ceasefire.store import Selection, Store

ROOT = Path(__file__).resolve().parents[1]
MANDATE = ROOT / "examples" / "frontline-2025" / "mandate.yaml"
ANCHOR_JS = Path(__file__).resolve().parent / "dashboard_anchor.js"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PAGE = 10_000


def serve(app: FastAPI) -> tuple[str, uvicorn.Server, threading.Thread]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{sock.getsockname()[1]}", server, thread


def built_slice(cache: Path, hours: float) -> Path:
    """A store of ``hours`` of the stress day, processed; built once under ``cache``."""
    d = cache / f"stress-{hours:g}h"
    if (d / "done").exists():
        return d / "store.db"
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    mdt = load_mandate(MANDATE)
    t0 = datetime(2025, 6, 1, tzinfo=mdt.tz).timestamp()
    sc = simulate(mdt, get_profile("stress"), t0, hours, 1)
    paths = write_scenario(d / "sim", sc.observations, sc.truth)
    store = init_store(d / "store.db", MANDATE)
    t = time.perf_counter()
    res = ingest_into(store, [paths["observations"]], mandate=mdt)
    print(f"ingested {len(res.accepted):,} observations in {time.perf_counter() - t:.0f} s")
    token = new_token()
    store.add_user("builder", "chief", hash_token(token))
    store.close()
    cfg = ServiceConfig(
        store=str(d / "store.db"), ledger_dir=d / "ledger", audit_dir=d / "audit", pdf=False
    )
    url, server, thread = serve(create_app(cfg))
    try:
        t = time.perf_counter()
        with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=7200) as c:
            r = c.post(f"{url}/api/v1/days/{day_of(mdt, t0 + 1.0)}/process")
            r.raise_for_status()
        n = r.json()["violations"]
        print(f"processed: {n:,} violations in {time.perf_counter() - t:.0f} s")
    finally:
        server.should_exit = True
        thread.join(30)
    (d / "done").write_text("")
    return d / "store.db"


def serialization(store_path: Path) -> tuple[int, list[float], list[float]]:
    """CPU seconds per feature of a page of stored violations, anchor and new."""
    store = Store.open(store_path)
    try:
        rows = store.select_violations(Selection(limit=PAGE))
    finally:
        store.close()
    app = FastAPI()

    @app.get("/anchor", response_model=m.ViolationCollection)
    def anchor() -> m.ViolationCollection:  # main's route before: the response models
        feats = [m.ViolationFeature.model_validate(violation_row_feature(r, True)) for r in rows]
        return m.ViolationCollection(features=feats, numberReturned=len(feats), next_offset=None)

    @app.get("/new", response_model=m.ViolationCollection)
    def new() -> Response:  # the route now: JSON bytes from the rows
        return GeoJSONBytes(collection_bytes((violation_row_feature(r, True) for r in rows), None))

    old_s: list[float] = []
    new_s: list[float] = []
    with TestClient(app) as c:
        a, b = c.get("/anchor"), c.get("/new")  # warm up, and the same answer
        assert a.json() == b.json(), "the two paths should give the same JSON"
        for _ in range(3):
            for path, out in (("/anchor", old_s), ("/new", new_s)):
                t = time.process_time()
                c.get(path).raise_for_status()
                out.append((time.process_time() - t) / len(rows))
    return len(rows), old_s, new_s


def page_runs(
    browser: Browser, url: str, token: str, day: str, timeout_s: float, shot: Path | None = None
) -> dict[str, list[float]]:
    """First render, a filter, a zoom: three fresh pages (seconds; a miss is the timeout)."""
    out: dict[str, list[float]] = {"first": [], "filter": [], "zoom": [], "drawn": []}
    ms = int(timeout_s * 1000)

    def timed(fn: Callable[[], None]) -> float:
        s = time.perf_counter()
        try:
            fn()
        except Exception as exc:  # a page too slow: the timeout is its lower bound
            if "Timeout" not in type(exc).__name__:
                raise
            return timeout_s
        return time.perf_counter() - s

    for _ in range(3):
        ctx = browser.new_context(viewport={"width": 1400, "height": 900})
        page = ctx.new_page()
        try:
            page.goto(f"{url}/?day={day}")
            page.fill("#token", token)
            s = time.perf_counter()
            page.click("button[type=submit]")
            try:
                page.wait_for_selector("body[data-state=ready]", timeout=ms)
            except Exception as exc:
                if "Timeout" not in type(exc).__name__:
                    raise
                out["first"].append(timeout_s)
                continue
            first = page.evaluate("window.dashboard.firstReadyMs()") / 1000.0
            out["first"].append(first if first else time.perf_counter() - s)
            out["drawn"].append(page.evaluate("window.dashboard.drawn()"))
            if shot is not None and len(out["drawn"]) == 1:
                shot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(shot))
            rule = page.eval_on_selector_all(
                "#count-rule tbody tr", "trs => trs.map(t => t.dataset.key)"
            )[0]

            def pick(page: Any = page, rule: str = rule) -> None:
                page.select_option("#f-rule", rule)
                page.wait_for_function(
                    f"window.dashboard.lastQuery().rule === {rule!r} && "
                    "document.body.dataset.state === 'ready'",
                    timeout=ms,
                )

            out["filter"].append(timed(pick))
            page.select_option("#f-rule", "")
            page.wait_for_function(
                "!window.dashboard.lastQuery().rule && document.body.dataset.state === 'ready'",
                timeout=ms,
            )

            def zoom(page: Any = page) -> None:
                page.evaluate("document.body.dataset.state = 'zooming'")
                page.click(".leaflet-control-zoom-in")
                page.wait_for_selector("body[data-state=ready]", timeout=ms)

            out["zoom"].append(timed(zoom))
        finally:
            ctx.close()
    return out


def serve_page(cfg: ServiceConfig, js: Path | None, tmp: Path) -> FastAPI:
    """The service, its page's app.js replaced by ``js`` (the anchor page)."""
    app = create_app(cfg)
    if js is not None:
        static = tmp / "anchor-static"
        shutil.copytree(WEB_DIR, static, dirs_exist_ok=True)
        shutil.copy(js, static / "app.js")
        for r in app.router.routes:
            if isinstance(r, Mount) and r.name == "web":
                r.app = StaticFiles(directory=str(static), html=True)
    return app


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", type=Path, help="a store holding a processed stress day")
    ap.add_argument("--day", default="2025-06-01")
    ap.add_argument("--hours", type=float, default=2.0, help="without --store: hours simulated")
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "cf-bench-dash")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds a page may take")
    ap.add_argument("--skip-anchor-page", action="store_true")
    ap.add_argument("--screenshot", type=Path, help="save the new page's first view here")
    a = ap.parse_args()
    store_path = a.store if a.store is not None else built_slice(a.cache, a.hours)
    med = statistics.median

    n, old_s, new_s = serialization(store_path)
    print(f"serialization, one page of {n:,} stored violations, CPU per feature (median of 3):")
    print(f"  anchor (pydantic response models): {med(old_s) * 1e6:7.1f} us  {old_s}")
    print(f"  new (JSON bytes from the rows):    {med(new_s) * 1e6:7.1f} us  {new_s}")
    print(f"  ratio anchor / new: {med(old_s) / med(new_s):.2f}")

    store = Store.open(store_path)
    token = new_token()
    store.add_user(f"bench-{uuid.uuid4().hex[:8]}", "chief", hash_token(token))
    total = len(store.violation_columns(Selection(days=(a.day,)), ["id"]))
    store.close()
    print(f"the day {a.day}: {total:,} violations in the store")
    tmp = Path(tempfile.mkdtemp(prefix="cf-bench-dash-"))
    results: dict[str, dict[str, list[float]]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        try:
            pages: list[tuple[str, Path | None]] = [("new", None)]
            if not a.skip_anchor_page:
                pages.append(("anchor", ANCHOR_JS))
            for name, js in pages:
                cfg = ServiceConfig(
                    store=str(store_path),
                    ledger_dir=tmp / f"ledger-{name}",
                    audit_dir=tmp / f"audit-{name}",
                    pdf=False,
                )
                url, server, thread = serve(serve_page(cfg, js, tmp))
                try:
                    if name == "new":
                        api_summary(url, token, a.day)
                    shot = a.screenshot if name == "new" else None
                    results[name] = page_runs(browser, url, token, a.day, a.timeout, shot)
                finally:
                    server.should_exit = True
                    thread.join(60)
        finally:
            browser.close()
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"the chief's page, {total:,} violations on the day (median of 3, seconds):")
    rows = (
        ("first render (navigation to violations drawn)", "first"),
        ("a rule filter changed until redrawn", "filter"),
        ("a zoom in until redrawn", "zoom"),
    )
    for label, key in rows:
        new_v = results["new"][key]
        line = f"  {label:48s} new {med(new_v):7.2f} {fmt(new_v)}"
        if "anchor" in results and results["anchor"][key]:
            old_v = results["anchor"][key]
            line += f"  anchor {med(old_v):7.2f} {fmt(old_v)}  ratio {med(old_v) / med(new_v):.1f}"
        print(line)
    for name, r in results.items():
        if r["drawn"]:
            print(f"  violations drawn on the first view ({name}): {med(r['drawn']):,.0f}")
    print(f"  (a figure equal to the timeout, {a.timeout:g} s, means: not ready by then)")


def fmt(v: list[float]) -> str:
    return "[" + ", ".join(f"{x:.2f}" for x in v) + "]"


def api_summary(url: str, token: str, day: str) -> None:
    """The summary of the whole day on a grid, as the first view asks (wall seconds)."""
    times: list[float] = []
    body: dict[str, Any] = {}
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=600) as c:
        for _ in range(3):
            s = time.perf_counter()
            r = c.get(f"{url}/api/v1/violations/summary", params={"day": day, "cell_deg": 0.05})
            times.append(time.perf_counter() - s)
            body = r.json()
    print(
        f"GET /violations/summary of the whole day on a 0.05 deg grid: "
        f"{statistics.median(times):.2f} s wall (median of 3), {body['total']:,} violations "
        f"in {len(body['cells']):,} cells"
    )


if __name__ == "__main__":
    main()
