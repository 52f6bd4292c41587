"""The day's report maps drawn ahead by a forked process (``MapsAhead``): the
report made with them is the report made without."""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from scene import build_scene

from ceasefire import pipeline
from ceasefire.mandate import load_mandate
from ceasefire.store import Store

FILES = ("map.png", "map-internal.png", "report.html", "report-internal.html")


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory, donbas_mandate_path: Path) -> Path:
    tmp = tmp_path_factory.mktemp("run")
    build_scene(load_mandate(donbas_mandate_path), tmp / "obs.ndjson")
    pipeline.run(donbas_mandate_path, [tmp / "obs.ndjson"], tmp / "out", pdf=False)
    return tmp / "out"


def _last_day(out: Path) -> tuple[date, dict[str, Any]]:
    last = json.loads((out / "summary.json").read_text())["days"][-1]
    return date.fromisoformat(last["day"]), last["ledger_head"]


def _report(out: Path, dest: Path, maps: Any = None, url: str | None = None) -> dict[str, Path]:
    st = Store.open(out / "store.db")
    try:
        m = pipeline.mandate_of(st)
        day, head = _last_day(out)
        ahead = None
        if maps:
            ahead = pipeline.MapsAhead(url or str(out / "store.db"), m, day, dest)
        return pipeline.report_day(st, m, day, dest, head=head, pdf=False, maps=ahead)
    finally:
        st.close()


def test_maps_drawn_ahead_make_the_same_report(ran: Path, tmp_path: Path) -> None:
    here = _report(ran, tmp_path / "here")
    ahead = _report(ran, tmp_path / "ahead", maps=True)
    for f in FILES:
        assert (tmp_path / "here" / f).read_bytes() == (tmp_path / "ahead" / f).read_bytes(), f
    assert ahead["map"] == tmp_path / "ahead" / "map.png" and here.keys() == ahead.keys()
    # the day's events show on the maps: they are not blank for both
    assert (tmp_path / "here" / "map.png").read_bytes() != (
        tmp_path / "here" / "map-internal.png"
    ).read_bytes()


def test_a_failed_map_process_leaves_the_maps_to_the_report(ran: Path, tmp_path: Path) -> None:
    st = Store.open(ran / "store.db")
    try:
        m = pipeline.mandate_of(st)
        day, _ = _last_day(ran)
    finally:
        st.close()
    missing = f"sqlite:///{tmp_path / 'nowhere' / 'store.db'}"
    ahead = pipeline.MapsAhead(missing, m, day, tmp_path / "failed")
    assert ahead.result() is None and not (tmp_path / "failed" / "map.png").exists()
    _report(ran, tmp_path / "failed", maps=True, url=missing)
    _report(ran, tmp_path / "here")
    for f in FILES:
        assert (tmp_path / "here" / f).read_bytes() == (tmp_path / "failed" / f).read_bytes(), f


def test_run_draws_a_large_days_maps_ahead(
    ran: Path, tmp_path: Path, donbas_mandate_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the threshold at 0 the scene's day counts as large: its maps are
    drawn by another process, and are the maps of the run that drew them itself."""
    draw = pipeline._draw_maps

    def spied(*args: Any) -> None:
        draw(*args)
        (tmp_path / "drawn-by").write_text(str(os.getpid()))

    monkeypatch.setattr(pipeline, "PARALLEL_MIN_ITEMS", 0)
    monkeypatch.setattr(pipeline, "_draw_maps", spied)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    obs = ran.parent / "obs.ndjson"
    pipeline.run(donbas_mandate_path, [obs], tmp_path / "out", pdf=False)
    assert int((tmp_path / "drawn-by").read_text()) != os.getpid()
    day, _ = _last_day(ran)
    for f in ("map.png", "map-internal.png"):
        got = tmp_path / "out" / "reports" / day.isoformat() / f
        assert got.read_bytes() == (ran / "reports" / day.isoformat() / f).read_bytes(), f
