"""The live window: nothing final before the horizon; the same events however the
watermark advanced and wherever a worker was restarted."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pytest

from ceasefire.fuse import fuse
from ceasefire.mandate import day_bounds, day_of, load_mandate
from ceasefire.model.arrays import AnyObservation, ObservationArrays
from ceasefire.model.errors import PipelineError
from ceasefire.pipeline import fuse_config
from ceasefire.stream.sectors import SectorMap
from ceasefire.stream.window import LiveState, LiveWindow, Shard, WindowConfig

# with the other users of the heavy slice and the reference live run (session
# fixtures, tests/stream/conftest.py) on one worker: they are made once, not twice
pytestmark = pytest.mark.xdist_group("live-heavy")

CFG = WindowConfig()  # the batch's tiles


def _window(
    path: Path,
    state: LiveState | None = None,
    own: list[str] | None = None,
    shard: Shard | None = None,
) -> LiveWindow:
    m = load_mandate(path)
    sm = SectorMap.of(m)
    return LiveWindow(m, own or list(sm.ids), sm, CFG, state or LiveState(), shard or Shard())


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
    # a tile is final once the watermark passes its end plus the horizon; the
    # first tile whose window holds a report may end before that report (it then
    # has no event: no report was heard in its core's horizon)
    mark = first + w.horizon - 1.0
    st = w.next_step(mark)
    assert st is None or (st.end_s + w.horizon <= mark and not st.events)
    ids = _drain(w, first + 2 * 3600.0)
    assert ids, "two hours of a heavy day make events"
    st2 = w.state
    assert st2.final_s is not None and st2.final_s + w.horizon <= first + 2 * 3600.0


def test_nothing_is_final_while_a_subject_has_delivered_nothing(
    donbas_mandate_path: Path, heavy_models: list[AnyObservation]
) -> None:
    # a worker whose first pull of one sector came back empty: its watermark is
    # -inf: nothing is final, and nothing fails
    w = _window(donbas_mandate_path)
    w.add(heavy_models[:50])
    assert w.next_step(-math.inf) is None
    assert w.final_through(-math.inf) == -math.inf


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


def test_live_windows_give_the_batch_events(
    donbas_mandate_path: Path, heavy_models: list[AnyObservation]
) -> None:
    """Live = batch by construction: two windows splitting the sectors, fed the
    reports in time order and drained as the watermark passes, give exactly the
    events the batch's ``fuse`` of the day makes of the same reports (ids:
    content) when the batch registers observers as the workers must: each tile
    from its own window."""
    m = load_mandate(donbas_mandate_path)
    as_live = replace(fuse_config(m), register_over="tile")
    first = min(o.time.timestamp() for o in heavy_models)
    day = day_bounds(m, day_of(m, first))
    batch = fuse(ObservationArrays.from_observations(heavy_models), as_live, span=day)
    end = max(o.time.timestamp() for o in heavy_models) + 86_400.0
    live: list[str] = []
    for own in (["luhansk", "donetsk-north"], ["donetsk-south"]):
        w = _window(donbas_mandate_path, own=own)
        ordered = sorted(heavy_models, key=lambda o: o.time.timestamp())
        for k in range(0, len(ordered), 500):
            part = ordered[k : k + 500]
            w.add(part)
            live += _drain(w, part[-1].time.timestamp())
        live += _drain(w, end)
        assert w.late == 0, w.late_keys[:5]
    assert len(live) == len(set(live)), "an event was made by both workers"
    assert sorted(live) == sorted(e.id for e in batch)


def test_shards_split_the_tiles_and_give_one_window_s_events(
    donbas_mandate_path: Path, heavy_models: list[AnyObservation]
) -> None:
    """Three shards of every sector, fed in time order and drained as the watermark
    passes (one restarted half-way), make each event once and together exactly the
    events of one unsharded window; each fuses only its own tiles (and sightings
    of the days it owns)."""
    ordered = sorted(heavy_models, key=lambda o: o.time.timestamp())
    end = ordered[-1].time.timestamp() + 86_400.0
    one = _window(donbas_mandate_path)
    one.add(ordered)
    whole = _drain(one, end)
    sharded: list[str] = []
    tiles_of: list[set[int]] = []
    for i in range(3):
        w = _window(donbas_mandate_path, shard=Shard(i, 3))
        own: set[int] = set()
        for k in range(0, len(ordered), 500):
            part = ordered[k : k + 500]
            w.add(part)
            while (st := w.next_step(part[-1].time.timestamp())) is not None:
                if st.day is None:
                    own.add(round(st.start_s / w.tile_s))
                sharded += [e.id for e in st.events]
                w.commit(st)
            if i == 1 and k == 1000:  # killed and restarted from its state
                w = _window(
                    donbas_mandate_path, LiveState.from_json(w.state.to_json()), shard=Shard(1, 3)
                )
                since = w.restore_from()
                w.add([o for o in ordered[: k + 500] if o.time.timestamp() >= since], restored=True)
        while (st := w.next_step(end)) is not None:
            if st.day is None:
                own.add(round(st.start_s / w.tile_s))
            sharded += [e.id for e in st.events]
            w.commit(st)
        assert own and all(k % 3 == i for k in own), (i, sorted(own))
        assert w.late == 0, w.late_keys[:5]
        tiles_of.append(own)
    assert len(sharded) == len(set(sharded)), "an event was made by two shards"
    assert sorted(sharded) == sorted(whole)


def test_a_shard_must_name_one_of_n() -> None:
    assert Shard.parse("1/2") == Shard(1, 2)
    for bad in ("2/2", "1", "a/b", "0/0", "-1/2"):
        try:
            Shard.parse(bad)
        except PipelineError as exc:
            assert "I/N" in str(exc)
        else:
            raise AssertionError(f"{bad!r} was taken")


def test_a_report_after_its_tile_was_final_is_counted_and_listed(
    donbas_mandate_path: Path, heavy_models: list[AnyObservation]
) -> None:
    acoustic = sorted(
        (o for o in heavy_models if o.kind != "sighting"), key=lambda o: o.time.timestamp()
    )
    first, rest = acoustic[0], acoustic[1:]
    w = _window(donbas_mandate_path)
    w.add(rest)
    _drain(w, acoustic[-1].time.timestamp() + 3600.0)
    assert w.late == 0 and w.state.final_s is not None
    # the earliest report arrives after every tile whose window holds it is final
    w.add([first])
    assert w.late_keys == [f"{first.source}/{first.id}"]
    w.add([first])  # the same report again (redelivered): listed once
    assert w.late == 1
