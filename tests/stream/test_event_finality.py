"""Event finality (fuse/steps.py; ``WindowConfig(finality="event")``): each
event waits its own bound, a sector emits each report in one event at most, the
result does not depend on the watermark's pace nor on a restart, and a worker on
the in-memory bus gives the violations of the batch in event mode."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from liverun import run_live

from ceasefire import pipeline
from ceasefire.fuse import FuseConfig
from ceasefire.fuse.steps import bounds_of, final_at_s
from ceasefire.mandate import load_mandate
from ceasefire.model import Event
from ceasefire.model.arrays import AnyObservation
from ceasefire.model.errors import PipelineError
from ceasefire.stream.compare import compare_violations, why_differs
from ceasefire.stream.sectors import SectorMap
from ceasefire.stream.window import LiveState, LiveWindow, Shard, Step, WindowConfig

# with the other users of the heavy slice and the reference live run (session
# fixtures, tests/stream/conftest.py) on one worker: they are made once, not twice
pytestmark = pytest.mark.xdist_group("live-heavy")

EVENT = WindowConfig(finality="event", step_s=60.0)


def _event(kind: str, flags: tuple[str, ...] = ()) -> Event:
    return Event("e", kind, 1000.0, 48.0, 38.0, (1.0, 1.0, 0.0), ("a",), 2, flags=flags)


def test_each_case_waits_its_own_bound() -> None:
    cfg = FuseConfig()
    b = bounds_of(cfg)
    # the farthest report late attachment offers (80 km) at 343 m/s, plus the margin
    sound = 80_000.0 / 343.0 + 10.0
    # artillery's 30 km (x1.2, pairing's range gate) at 330 m/s less three 15 % spreads
    flight = 1.2 * 30_000.0 / (330.0 * (1.0 - 0.45))
    assert b.sound_s == pytest.approx(sound)
    assert b.flight_s == pytest.approx(flight)
    cases = [
        _event("explosion"),  # its own reports only
        _event("burst"),  # small arms: no launch to pair
        _event("firing"),  # an impact may still be heard
        _event("undetermined"),  # may be a launch
        _event("explosion", ("paired",)),  # a later impact may compete for its launch
        _event("explosion", ("single_observer", "uncorroborated")),  # may be corroborated
    ]
    waits = final_at_s(cases, b) - 1000.0
    long = sound + flight
    assert waits.tolist() == pytest.approx([sound, sound, long, long, long, sound + 600.0])
    # strict: the pairing's hard cap, 45 km at 80 m/s
    assert bounds_of(cfg, strict=True).flight_s == pytest.approx(45_000.0 / 80.0)
    # a least wait lifts the short ones only
    lifted = final_at_s(cases, bounds_of(cfg, min_wait_s=300.0)) - 1000.0
    assert lifted.tolist() == pytest.approx([300.0, 300.0, long, long, long, sound + 600.0])


def _window(path: Path, state: LiveState | None = None, own: list[str] | None = None) -> LiveWindow:
    m = load_mandate(path)
    sm = SectorMap.of(m)
    return LiveWindow(m, own or list(sm.ids), sm, EVENT, state or LiveState())


def _paced(
    path: Path,
    models: list[AnyObservation],
    restart_after: float | None = None,
    own: list[str] | None = None,
) -> list[Step]:
    """Steps of a window fed in time order, 150 reports at a time, each batch's
    last report time the watermark; killed and rebuilt once past ``restart_after``
    (from its state, the reports since ``restore_from`` and the events emitted)."""
    ordered = sorted(models, key=lambda o: o.time.timestamp())
    w = _window(path, own=own)
    steps: list[Step] = []
    end = ordered[-1].time.timestamp() + 86_400.0
    for k in range(0, len(ordered) + 150, 150):
        part = ordered[k : k + 150]
        w.add(part)
        mark = part[-1].time.timestamp() if part else end
        while (st := w.next_step(mark)) is not None:
            assert st.end_s <= mark
            steps.append(st)
            w.commit(st)
        if restart_after is not None and mark > restart_after:
            restart_after = None
            w = _window(path, LiveState.from_json(w.state.to_json()), own)
            since = w.restore_from()
            w.add([o for o in ordered[: k + 150] if o.time.timestamp() >= since], restored=True)
            w.restore_consumed([e for s in steps for e in s.events if e.time_s >= since])
    return steps


def test_no_event_before_its_bound_and_each_report_in_one_event(
    donbas_mandate_path: Path, heavy_models: list[AnyObservation]
) -> None:
    steps = _paced(donbas_mandate_path, heavy_models)
    w = _window(donbas_mandate_path)
    events = [e for s in steps for e in s.events if e.kind != "sighting"]
    assert len(events) > 300, "three hours of a heavy day make events"
    for s in steps:
        if s.day is None:
            acoustic = [e for e in s.events if e.kind != "sighting"]
            assert (final_at_s(acoustic, w.bounds) <= s.end_s).all()
    # a sector consumes each report once: no report in two of its emitted events
    for sector in w._own_tiles():
        keys = [k for s in steps for k in s.consumed.get(sector, {})]
        assert keys and len(keys) == len(set(keys))
    ids = [e.id for e in events]
    assert len(ids) == len(set(ids))
    # the step is the price: most events are emitted at the first step past their
    # bound; the rest formed later (a report regrouped when later reports came)
    late = final_at_s(events, w.bounds) + w.step_s < [
        s.end_s for s in steps for e in s.events if e.kind != "sighting"
    ]
    assert late.mean() < 0.1, late.mean()


def test_a_restart_and_the_pace_do_not_change_the_events(
    donbas_mandate_path: Path, heavy_models: list[AnyObservation]
) -> None:
    once = _window(donbas_mandate_path)
    once.add(heavy_models)  # everything at once: a step still fuses only what came before it
    ids: list[str] = []
    end = max(o.time.timestamp() for o in heavy_models) + 86_400.0
    while (st := once.next_step(end)) is not None:
        ids += [e.id for e in st.events]
        once.commit(st)
    times = sorted(o.time.timestamp() for o in heavy_models)
    paced = _paced(donbas_mandate_path, heavy_models, restart_after=times[len(times) // 2])
    again = [e.id for s in paced for e in s.events]
    assert len(again) == len(set(again)), "an event was emitted twice"
    assert sorted(again) == sorted(ids)


def test_workers_splitting_the_sectors_give_one_worker_s_events(
    donbas_mandate_path: Path, heavy_models: list[AnyObservation]
) -> None:
    """Each sector keeps its own consumed reports and fuses its own halo: how the
    sectors are split among workers changes nothing."""
    one = [e.id for s in _paced(donbas_mandate_path, heavy_models) for e in s.events]
    split = [
        e.id
        for own in (["luhansk", "donetsk-north"], ["donetsk-south"])
        for s in _paced(donbas_mandate_path, heavy_models, own=own)
        for e in s.events
    ]
    assert len(split) == len(set(split)), "an event was made by both workers"
    assert sorted(split) == sorted(one)


def test_event_finality_refuses_shards_and_bad_settings(donbas_mandate_path: Path) -> None:
    m = load_mandate(donbas_mandate_path)
    sm = SectorMap.of(m)
    with pytest.raises(PipelineError, match="one worker per sector"):
        LiveWindow(m, list(sm.ids), sm, EVENT, shard=Shard(0, 2))
    with pytest.raises(PipelineError, match="finality 'now'"):
        WindowConfig(finality="now")  # type: ignore[arg-type]
    with pytest.raises(PipelineError, match="step_s"):
        WindowConfig(finality="event", step_s=0.0)


def test_a_worker_gives_the_event_batch_and_restarts_without_doubles(
    tmp_path: Path,
    donbas_mandate_path: Path,
    heavy_slice: Path,
    heavy_models: list[AnyObservation],
) -> None:
    """Over the in-memory bus, against ``ceasefire run`` of the same reports with
    ``fusion: {finality: event}``: the batch takes the worker's steps
    (fuse/steps.py), so with every report on time the violations are the same, by
    id. (Against the batch's tiles with the workers' registration, ``register_over:
    tile``, 0.94-0.96 of them match: benchmarks/README.md, session 13.)"""
    event = tmp_path / "mandate-event.yaml"
    event.write_text(
        donbas_mandate_path.read_text() + "\nfusion:\n  finality: event\n", encoding="utf-8"
    )
    res = pipeline.run(event, [heavy_slice], tmp_path / "batch", pdf=False)
    batch = [v for d in res.days for v in d.violations]
    run = run_live(tmp_path / "live", donbas_mandate_path, heavy_models, 500, config=EVENT)
    live = run.store.violations(-1e18, 1e18)
    assert run.worker.window.late == 0, "the in-memory bus delivers every report on time"
    c = compare_violations(live, batch)
    assert len(batch) > 100
    assert c.f1_id == 1.0, (why_differs(c.only_a, batch), why_differs(c.only_b, live))
    # killed after 25 polls of 40 messages: the same violations, each once
    again = run_live(tmp_path / "restart", donbas_mandate_path, heavy_models, 40, 25, config=EVENT)
    ids = [v.id for v in again.store.violations(-1e18, 1e18)]
    assert len(ids) == len(set(ids))
    assert sorted(ids) == sorted(v.id for v in live)
    announced = [json.loads(d)["id"] for d, _ in again.bus.log[again.bus.subjects.violations]]
    assert sorted(set(announced)) == sorted(ids)
    assert len(announced) == len(set(announced)), "the bus drops a repeated announcement"


def test_a_worker_takes_the_mandate_s_finality_unless_told(donbas_mandate_path: Path) -> None:
    from ceasefire.mandate import parse_mandate
    from ceasefire.stream.window import window_config

    text = donbas_mandate_path.read_text()
    assert window_config(parse_mandate(text)).finality == "tile"  # the default mandate
    ev = parse_mandate(text + "\nfusion:\n  finality: event\n  step_s: 30\n")
    w = window_config(ev)
    assert (w.finality, w.step_s) == ("event", 30.0)
    # the flags override (the note says the batch then differs)
    w = window_config(ev, finality="tile", step_s=60.0)
    assert (w.finality, w.step_s) == ("tile", 60.0)
    assert window_config(ev, step_s=120.0).step_s == 120.0
