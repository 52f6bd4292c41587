"""The live window: nothing final before the horizon; the same events however the
watermark advanced and wherever a worker was restarted."""

from __future__ import annotations

from pathlib import Path

from ceasefire.mandate import load_mandate
from ceasefire.model.arrays import AnyObservation
from ceasefire.stream.sectors import SectorMap
from ceasefire.stream.window import LiveState, LiveWindow, WindowConfig

CFG = WindowConfig(step_s=600.0)


def _window(path: Path, state: LiveState | None = None) -> LiveWindow:
    m = load_mandate(path)
    return LiveWindow(m, list(SectorMap.of(m).ids), SectorMap.of(m), CFG, state or LiveState())


def _drain(w: LiveWindow, watermark: float) -> list[str]:
    ids: list[str] = []
    while (st := w.next_step(watermark)) is not None:
        ids += [e.id for e in st.events]
        w.commit(st)
    return ids


def test_no_event_is_final_before_its_horizon(
    donbas_mandate_path: Path, heavy_models: list[AnyObservation]
) -> None:
    w = _window(donbas_mandate_path)
    first = min(o.time.timestamp() for o in heavy_models)
    w.add(heavy_models)
    st = w.next_step(first + w.horizon - 1.0)
    # the first step's cut lies at most one step after the first report
    assert st is None or all(e.time_s + w.horizon <= first + w.horizon for e in st.events)
    ids = _drain(w, first + 2 * 3600.0)
    assert ids, "two hours of a heavy day make events"
    st2 = w.state
    assert st2.final_s is not None and st2.final_s + w.horizon <= first + 2 * 3600.0


def test_restart_and_watermark_pace_do_not_change_the_events(
    donbas_mandate_path: Path, heavy_models: list[AnyObservation]
) -> None:
    times = sorted(o.time.timestamp() for o in heavy_models)
    end = times[-1] + 86_400.0
    # one window, fed everything, drained at once
    a = _window(donbas_mandate_path)
    a.add(heavy_models)
    once = _drain(a, end)
    # another fed in time order, drained after every report batch, restarted half-way
    b = _window(donbas_mandate_path)
    paced: list[str] = []
    half = times[len(times) // 2]
    for k in range(0, len(times), 200):
        lo, hi = times[k], times[min(k + 200, len(times) - 1)]
        b.add([o for o in heavy_models if lo <= o.time.timestamp() < hi])
        paced += _drain(b, hi)
        if lo <= half < hi:
            # killed: a new window from the persisted state and what the store holds
            b = _window(donbas_mandate_path, LiveState.from_json(b.state.to_json()))
            since = b.restore_from()  # -inf: no day closed yet, reload all
            b.add([o for o in heavy_models if since <= o.time.timestamp() < hi])
    b.add([o for o in heavy_models if o.time.timestamp() >= times[-1]])
    paced += _drain(b, end)
    assert len(paced) == len(set(paced)), "an event was emitted twice"
    assert sorted(paced) == sorted(once)
