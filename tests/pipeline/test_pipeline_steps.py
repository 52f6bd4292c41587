"""The batch in event finality's steps (``fusion: {finality: event}``,
pipeline_steps.py): two days fused one after the other give the events of one
chain of steps through both (the second day warmed up from the first's stored
events, as a restarted worker), and the default mandate's batch is untouched."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from pathlib import Path

import pytest

from ceasefire import pipeline, pipeline_steps
from ceasefire.fuse import steps, tiles
from ceasefire.mandate import day_bounds, load_mandate, parse_mandate
from ceasefire.simulate import get_profile, simulate, write_scenario
from ceasefire.store import Store

# every test of the module on one worker: its module fixtures are made once, not
# once a worker
pytestmark = pytest.mark.xdist_group("pipeline-steps")


@pytest.fixture(scope="module")
def midnight(tmp_path_factory: pytest.TempPathFactory, donbas_mandate_path: Path) -> Path:
    """observations.ndjson of a heavy simulated slice from 23:20 to 00:40 local."""
    m = load_mandate(donbas_mandate_path)
    t0 = datetime(2025, 6, 1, 23, 20, tzinfo=m.tz).timestamp()
    sc = simulate(m, get_profile("heavy"), t0, 80 / 60, 2016)
    out = tmp_path_factory.mktemp("midnight")
    return write_scenario(out, sc.observations, sc.truth)["observations"]


@pytest.fixture(scope="module")
def ran(
    tmp_path_factory: pytest.TempPathFactory, donbas_mandate_path: Path, midnight: Path
) -> tuple[pipeline.RunSummary, Path]:
    """``ceasefire run`` of the slice with ``fusion: {finality: event}``: its
    summary and its output directory."""
    tmp = tmp_path_factory.mktemp("ran")
    event = tmp / "mandate-event.yaml"
    event.write_text(
        donbas_mandate_path.read_text() + "\nfusion:\n  finality: event\n  step_s: 60\n",
        encoding="utf-8",
    )
    return pipeline.run(event, [midnight], tmp / "out", pdf=False), tmp / "out"


def test_two_days_in_steps_are_one_chain_through_both(
    ran: tuple[pipeline.RunSummary, Path],
) -> None:
    res, out = ran
    assert [d.day for d in res.days] == [date(2025, 6, 1), date(2025, 6, 2)]
    store = Store.open(out / "store.db")
    m = pipeline.mandate_of(store)
    stored = [e for e in store.events(-1e18, 1e18) if e.kind != "sighting"]
    # one chain per sector through both days, from the slice's first report
    cfg = pipeline.fuse_config(m)
    plan = pipeline_steps.step_plan(cfg, 60.0)
    obs = store.observations(-1e18, 1e18, sightings=False)
    first = plan.first_step(float(obs.time_s.min()))
    last = plan.first_step(float(obs.time_s.max()) + plan.open_s)
    chain = steps.run_steps(obs, steps.chains_of(cfg), plan, first, last)
    assert len(chain) > 100
    assert sorted(e.id for e in stored) == sorted(e.id for e in chain)
    # the events around midnight are in play: some of each day within 10 min of it
    cut = day_bounds(m, date(2025, 6, 2))[0]
    near = [e.time_s - cut for e in stored if abs(e.time_s - cut) < 600.0]
    assert min(near) < 0 < max(near)
    # each day keeps its own events, by emission time
    for d in res.days:
        lo, hi = day_bounds(m, d.day)
        assert d.violations and all(lo <= v.time_s < hi for v in d.violations)


def test_the_default_mandate_fuses_tiles_and_event_reads_the_steps_window(
    donbas_mandate_path: Path,
) -> None:
    m = load_mandate(donbas_mandate_path)
    day = date(2025, 6, 1)
    start, end = day_bounds(m, day)
    cfg = pipeline.fuse_config(m)
    assert not pipeline.event_steps(m)
    assert pipeline.fuse_read_window(m, day) == (
        start - tiles.context_s(cfg),
        end + tiles.horizon_s(cfg),
    )
    assert len(pipeline.day_parts(m, day)) > 1
    ev = parse_mandate(donbas_mandate_path.read_text() + "\nfusion:\n  finality: event\n")
    plan = pipeline_steps.step_plan(cfg, ev.doc.fusion.step_s)
    lo, hi = pipeline.fuse_read_window(ev, day)
    # the first step's context before the day; the last day's event's reports after it
    assert lo == plan.reads_from(start) and hi >= end + plan.bounds.sound_s + plan.open_s
    assert pipeline.day_parts(ev, day) == [(start, end)]


def test_sectors_fused_in_parallel_give_the_serial_events(
    ran: tuple[pipeline.RunSummary, Path],
) -> None:
    res, out = ran
    store = Store.open(out / "store.db")
    m = pipeline.mandate_of(store)
    cfg = dataclasses.replace(pipeline.fuse_config(m), parallel_min_obs=0)
    start, end = day_bounds(m, res.days[1].day)  # warmed up from the first day's events
    serial = pipeline_steps.fuse_day_steps(store, cfg, 60.0, start, end, workers=1)
    forked = pipeline_steps.fuse_day_steps(store, cfg, 60.0, start, end, workers=2)
    assert len(serial) > 30
    assert forked == serial
    stored = [e for e in store.events(start, end) if e.kind != "sighting"]
    assert sorted(e.id for e in serial) == sorted(e.id for e in stored)
