"""The day's report maps drawn ahead by another process (``MapsAhead``): the
report made with them is the report made without. The report's event counts
from SQL and the violations ``run`` holds: the report made from them is the
report made from the events and violations read back."""

from __future__ import annotations

import json
import sqlite3
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any, cast

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from scene import build_scene

from ceasefire import maps_child, pipeline
from ceasefire.mandate import day_bounds, load_mandate
from ceasefire.model.errors import PipelineError
from ceasefire.report.render import render_maps
from ceasefire.store import Store

# every test of the module on one worker: its module fixtures are made once, not
# once a worker
pytestmark = pytest.mark.xdist_group("pipeline-report")

FILES = ("map.png", "map-internal.png", "report.html", "report-internal.html")


@pytest.fixture(scope="module")
def run_summary(
    tmp_path_factory: pytest.TempPathFactory, donbas_mandate_path: Path
) -> pipeline.RunSummary:
    tmp = tmp_path_factory.mktemp("run")
    build_scene(load_mandate(donbas_mandate_path), tmp / "obs.ndjson")
    return pipeline.run(donbas_mandate_path, [tmp / "obs.ndjson"], tmp / "out", pdf=False)


@pytest.fixture(scope="module")
def ran(run_summary: pipeline.RunSummary) -> Path:
    return run_summary.outputs["ledger"].parent


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
    drawn from the parts' layers by a fresh process (this one neither draws
    them nor forks a process that reads the store), and are the maps of the
    run that drew them itself."""

    def not_here(*_: Any, **__: Any) -> None:
        raise AssertionError("drawn by the run's own process")

    monkeypatch.setattr(pipeline, "PARALLEL_MIN_ITEMS", 0)
    monkeypatch.setattr(pipeline, "render_maps", not_here)
    monkeypatch.setattr(pipeline, "_draw_maps", not_here)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    obs = ran.parent / "obs.ndjson"
    pipeline.run(donbas_mandate_path, [obs], tmp_path / "out", pdf=False)
    day, _ = _last_day(ran)
    # (the pages differ by the ledger's key, made per run)
    for f in ("map.png", "map-internal.png"):
        got = tmp_path / "out" / "reports" / day.isoformat() / f
        assert got.read_bytes() == (ran / "reports" / day.isoformat() / f).read_bytes(), f


def _day_layers(out: Path) -> tuple[Any, date, Any, list[tuple[str, float, float]]]:
    """The mandate, last day, its map layers and observers of ``run``'s store."""
    st = Store.open(out / "store.db")
    try:
        m = pipeline.mandate_of(st)
        day, _ = _last_day(out)
        observers, _n = st.observers(*day_bounds(m, day))
        return m, day, pipeline.store_layers(st, m, day), observers
    finally:
        st.close()


def test_maps_fed_to_a_fresh_process_are_the_maps_drawn_here(ran: Path, tmp_path: Path) -> None:
    m, day, layers, observers = _day_layers(ran)
    assert observers, "the scene's day has observers: the two maps differ by them"
    here = render_maps(m, layers, observers, tmp_path / "here")
    ahead = pipeline.MapsAhead("unused://", m, day, tmp_path / "ahead", layers)
    ahead.observers(observers)
    got = ahead.result()
    assert got == {
        "map": tmp_path / "ahead" / "map.png",
        "internal_map": tmp_path / "ahead" / "map-internal.png",
    }
    assert got.keys() == here.keys()
    for kind in here:
        assert got[kind].read_bytes() == here[kind].read_bytes(), kind
    assert got["map"].read_bytes() != got["internal_map"].read_bytes()


def test_a_fed_process_never_given_observers_leaves_the_maps_to_the_report(
    ran: Path, tmp_path: Path
) -> None:
    m, day, layers, _ = _day_layers(ran)
    ahead = pipeline.MapsAhead("unused://", m, day, tmp_path / "ahead", layers)
    assert ahead.result() is None
    # the published map needs no observers: it was drawn; the internal one was not
    assert (tmp_path / "ahead" / "map.png").exists()
    assert not (tmp_path / "ahead" / "map-internal.png").exists()


def _copy_store(out: Path, dest: Path) -> Path:
    """A copy of the run's output with its store (the module's run stays as it is)."""
    dest.mkdir()
    (dest / "summary.json").write_bytes((out / "summary.json").read_bytes())
    with sqlite3.connect(out / "store.db") as src, sqlite3.connect(dest / "store.db") as to:
        src.backup(to)
    return dest


def test_event_counts_from_sql_make_the_report_made_from_the_events(
    ran: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``report_day`` with maps drawn ahead takes the events' counts from
    ``Store.event_counts`` and reads no event; without, it reads the events
    to draw the maps and the summary counts them (``Store.event_counts`` made
    to fail here, to show it is not used).
    The scene's day has no flagged event, so two lone reports are added, one
    uncorroborated and one explained by a located event, and a second fix:
    the paragraph states each, and the two reports are the same bytes."""
    out = _copy_store(ran, tmp_path / "out")
    st = Store.open(out / "store.db")
    try:
        m = pipeline.mandate_of(st)
        day, _ = _last_day(out)
        start, end = day_bounds(m, day)
        located = [e for e in st.events(start, end) if e.has_position]
        lone = replace(located[0], lat=None, lon=None, cov_m2=None, flags=())
        st.add_events(
            [
                replace(lone, id="x-unc", time_s=start + 60, flags=("uncorroborated",)),
                replace(lone, id="x-expl", time_s=start + 61, flags=("explained",)),
                replace(located[0], id="x-fix", time_s=start + 62, flags=("explained",)),
            ],
            day=day.isoformat(),
        )
        assert st.event_counts(start, end)["explained"] == 1
    finally:
        st.close()
    reads: list[tuple[float, float]] = []
    events = Store.events

    def spied(self: Store, a: float, b: float) -> Any:
        reads.append((a, b))
        return events(self, a, b)

    monkeypatch.setattr(Store, "events", spied)
    sql = _report(out, tmp_path / "sql", maps=True)
    assert reads == []  # this process read no event (the map process did, forked before)

    def fail(*_: Any) -> None:
        raise AssertionError("the events are read: they are counted as they are")

    monkeypatch.setattr(Store, "event_counts", fail)
    read = _report(out, tmp_path / "read")
    assert reads == [(start, end)]
    assert sql.keys() == read.keys()
    for f in FILES:
        assert (tmp_path / "sql" / f).read_bytes() == (tmp_path / "read" / f).read_bytes(), f
    html = (tmp_path / "sql" / "report.html").read_text()
    assert "1 single report that nothing else heard nearby corroborated" in html
    assert "1 single report of a round already located" in html
    assert "1 second fix of a round already located" in html


def test_runs_report_from_the_violations_it_holds_is_the_stores(
    run_summary: pipeline.RunSummary, ran: Path, tmp_path: Path
) -> None:
    """``run`` hands ``report_day`` the violations of its days: its report is
    the report made from the store alone. The premise: the violations held
    are the store's of each day's period, in the store's order."""
    st = Store.open(ran / "store.db")
    try:
        m = pipeline.mandate_of(st)
        held = pipeline.held_violations(m, run_summary.days)
        assert held.keys() == {d.day for d in run_summary.days}
        assert sum(len(v) for v in held.values()) > 0
        for d, vs in held.items():
            assert vs == st.violations(*day_bounds(m, d))
    finally:
        st.close()
    day, _ = _last_day(ran)
    _report(ran, tmp_path / "store")
    for f in FILES:
        made = ran / "reports" / day.isoformat() / f
        assert made.read_bytes() == (tmp_path / "store" / f).read_bytes(), f


def test_violations_outside_their_day_are_not_held(run_summary: pipeline.RunSummary) -> None:
    """A violation whose time lies after its day's period is stored in the next
    day's period (or replaced by it): no day's held set is then trusted."""
    st = Store.open(run_summary.outputs["ledger"].parent / "store.db")
    try:
        m = pipeline.mandate_of(st)
    finally:
        st.close()
    d = next(d for d in run_summary.days if d.violations)
    _, end = day_bounds(m, d.day)
    late = replace(d.violations[0], id="late", time_s=end + 1.0)
    days = [replace(x, violations=[*x.violations, late]) if x is d else x for x in run_summary.days]
    assert pipeline.held_violations(m, days) == {}


def test_the_reads_made_ahead_make_the_same_report(
    ran: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``ReportReads``: the day's observers and event counts read by a thread,
    then taken by ``report_day`` (the store's own reads made to fail after the
    thread's): the report made with them is the report made without; a period
    other than the report's is not taken; the thread's error is raised where
    they are taken."""
    here = _report(ran, tmp_path / "here", maps=True)
    st = Store.open(ran / "store.db")
    try:
        m = pipeline.mandate_of(st)
        day, head = _last_day(ran)
        start, end = day_bounds(m, day)
        reads = pipeline.ReportReads(st, start, end)
        reads.result()

        def fail(*_: object) -> None:
            raise AssertionError("read again")

        with monkeypatch.context() as mp:
            mp.setattr(Store, "observers", fail)
            mp.setattr(Store, "event_counts", fail)
            ahead = pipeline.MapsAhead(str(ran / "store.db"), m, day, tmp_path / "ahead")
            got = pipeline.report_day(
                st, m, day, tmp_path / "ahead", head=head, pdf=False, maps=ahead, reads=reads
            )
            other = pipeline.ReportReads(st, start - 86400.0, start)
            with pytest.raises(AssertionError, match="read again"):
                other.result()
            with pytest.raises(AssertionError, match="read again"):
                pipeline.report_day(
                    st, m, day, tmp_path / "other", head=head, pdf=False, reads=other
                )
    finally:
        st.close()
    assert got.keys() == here.keys()
    for f in FILES:
        assert (tmp_path / "here" / f).read_bytes() == (tmp_path / "ahead" / f).read_bytes(), f


def test_report_reads_that_fail_stop_the_fed_map_process(ran: Path, tmp_path: Path) -> None:
    """The observers could not be read: the maps' process is told so (it would
    wait for them otherwise), and the error is raised where the report takes them."""
    m, day, layers, _ = _day_layers(ran)

    class Failing:
        def observers(self, *_: float) -> None:
            raise OSError("the store is gone")

    ahead = pipeline.MapsAhead("unused://", m, day, tmp_path / "ahead", layers)
    reads = pipeline.ReportReads(cast(Store, Failing()), *day_bounds(m, day), maps=ahead)
    with pytest.raises(OSError, match="the store is gone"):
        reads.result()
    assert ahead._fed is not None and ahead._fed.wait(timeout=300) == 1
    assert ahead.result() is None
    assert not (tmp_path / "ahead" / "map-internal.png").exists()


def test_a_maps_interpreter_started_ahead_draws_the_maps_drawn_here(
    ran: Path, tmp_path: Path
) -> None:
    """The interpreter ``run`` is handed (started before the pipeline was
    imported) draws what one started by ``MapsAhead`` draws: the maps drawn here."""
    m, day, layers, observers = _day_layers(ran)
    here = render_maps(m, layers, observers, tmp_path / "here")
    child = maps_child.spawn()
    ahead = pipeline.MapsAhead("unused://", m, day, tmp_path / "ahead", layers, child)
    assert ahead._fed is child
    ahead.observers(observers)
    got = ahead.result()
    assert got is not None and got.keys() == here.keys()
    for kind in here:
        assert got[kind].read_bytes() == here[kind].read_bytes(), kind
    assert child.returncode == 0


def test_a_day_too_small_to_draw_aside_ends_the_interpreter_started_ahead(
    ran: Path, tmp_path: Path
) -> None:
    m, day, layers, _ = _day_layers(ran)
    st = Store.open(ran / "store.db")
    try:
        child = maps_child.spawn()
        items = pipeline.PARALLEL_MIN_ITEMS - 1
        assert pipeline.MapsAhead.start(st, m, day, tmp_path, items, layers, child) is None
    finally:
        st.close()
    assert child.returncode is not None and child.returncode != 0


def test_run_ends_an_interpreter_it_did_not_use(
    ran: Path, tmp_path: Path, donbas_mandate_path: Path
) -> None:
    """The scene's day is small: the run draws its maps itself, the same as
    a run without the interpreter, and ends it rather than leave it waiting."""
    child = maps_child.spawn()
    obs = ran.parent / "obs.ndjson"
    pipeline.run(donbas_mandate_path, [obs], tmp_path / "out", pdf=False, maps_early=child)
    assert child.returncode is not None and child.returncode != 0
    day, _ = _last_day(ran)
    for f in ("map.png", "map-internal.png"):
        got = tmp_path / "out" / "reports" / day.isoformat() / f
        assert got.read_bytes() == (ran / "reports" / day.isoformat() / f).read_bytes(), f


def test_a_run_that_fails_ends_the_interpreter_started_ahead(
    tmp_path: Path, donbas_mandate_path: Path
) -> None:
    child = maps_child.spawn()
    with pytest.raises(PipelineError):
        pipeline.run(
            donbas_mandate_path, [tmp_path / "missing.ndjson"], tmp_path / "out", maps_early=child
        )
    assert child.returncode is not None and child.returncode != 0
