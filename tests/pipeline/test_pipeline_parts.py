"""A day fused, judged and written part by part (bounded memory) gives what the
whole day fused at once gives: the same events, violations and ledger."""

from __future__ import annotations

import dataclasses
import itertools
import json
import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from scene import fused_in_parts, heavy_store

from ceasefire import pipeline
from ceasefire.assess import assess
from ceasefire.fuse import fuse, tiles
from ceasefire.ledger import Ledger
from ceasefire.mandate import day_bounds
from ceasefire.model.vocab import KINDS
from ceasefire.report.geojson import event_feature, write_geojson
from ceasefire.report.layers import MapLayers
from ceasefire.store import Store

# every test of the module on one worker: its module fixtures are made once, not
# once a worker
pytestmark = pytest.mark.xdist_group("pipeline-parts")

DAY = date(2025, 6, 1)


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory, donbas_mandate_path: Path) -> Path:
    """A store holding 3 h of a simulated heavy day (bearings, arrivals and
    sightings), 10:40 to 13:40 local: it crosses part and tile edges."""
    tmp = tmp_path_factory.mktemp("parts")
    return heavy_store(tmp, donbas_mandate_path, f"{DAY}T10:40", 3.0, 7)


def _whole_day(store: Store, day: date) -> list[str]:
    """The events' ids as the whole day read and fused at once gives them (the
    lines ``fuse_day`` ran before it went part by part)."""
    m = pipeline.mandate_of(store)
    start, end = day_bounds(m, day)
    cfg = pipeline.fuse_config(m)
    obs = store.observations(*pipeline.fuse_read_window(m, day))
    sight = obs.kind == KINDS.index("sighting")
    keep = ~sight | ((obs.time_s >= start) & (obs.time_s < end + pipeline.LATE_MARGIN_S))
    obs = obs.take(keep.nonzero()[0])
    return [e.id for e in fuse(obs, cfg, span=(start, end)) if start <= e.time_s < end]


@pytest.mark.parametrize(("part_s", "workers"), [(1200.0, 2), (1200.0, 1), (pipeline.PART_S, 2)])
def test_parts_give_the_whole_days_events_and_violations(
    stored: Path, part_s: float, workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parts fused here (1 worker) or by a pool of part workers reading the store
    (``parallel_min_obs`` 0: the pool even for this small day)."""
    fused_in_parts(monkeypatch, part_s, workers)
    store = Store.open(stored)
    try:
        m = pipeline.mandate_of(store)
        start, end = day_bounds(m, DAY)
        want = _whole_day(store, DAY)
        parts = pipeline.day_parts(m, DAY)
        # the parts cover the day without gap or overlap, on the tiles' grid
        assert parts[0][0] == start and parts[-1][1] == end
        assert all(a[1] == b[0] for a, b in itertools.pairwise(parts))
        # inner edges on an epoch-anchored grid of whole batch tiles (an hour each: a
        # part is at least one), the nearest to part_s
        ts = float(tiles.batch_cut(pipeline.fuse_config(m)).tile_s or 0.0)
        step = ts * max(1, round(part_s / ts))
        assert all(a % step == 0.0 for a, _ in parts[1:]) and len(parts) >= 3
        assert all(0 < b - a <= step for a, b in parts)
        n, events = pipeline.fuse_day(store, m, DAY)
        got = [e.id for e in events]
        assert len(got) > 100  # a heavy 3 h: enough events for the comparison to mean something
        assert {e.kind for e in events} >= {"sighting"}  # the day's tracks went with their parts
        assert got == want
        # stored once each (the store reads them back in time order, as fused)
        assert [e.id for e in store.events(start, end)] == want
        # judging part by part: the same violations as judging the whole day
        by_parts = [
            v.id for a, b in parts for v in assess([e for e in events if a <= e.time_s < b], m)
        ]
        assert by_parts == [v.id for v in assess(events, m)]
        assert len(by_parts) > 10
        # the count is the observations a whole-day read takes
        obs = store.observations(*pipeline.fuse_read_window(m, DAY))
        sight = obs.kind == KINDS.index("sighting")
        late = (obs.time_s >= start) & (obs.time_s < end + pipeline.LATE_MARGIN_S)
        assert n == int((~sight | late).sum())
    finally:
        store.close()


def test_run_part_by_part_equals_the_whole_day(
    stored: Path, tmp_path: Path, donbas_mandate_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``run`` with small parts and small ledger batches against the whole day
    judged at once (``assess_day``) and signed in one append."""
    monkeypatch.setattr(pipeline, "PART_S", 1200.0)
    monkeypatch.setattr(pipeline, "LEDGER_BATCH_DIGESTS", 50)
    files = next((stored.parent / "day").glob("observations.*"))
    s = pipeline.run(donbas_mandate_path, [files], tmp_path / "parts", pdf=False)
    monkeypatch.setattr(pipeline, "PART_S", 1e9)
    monkeypatch.setattr(pipeline, "LEDGER_BATCH_DIGESTS", 10**9)
    ref = tmp_path / "ref"
    ref.mkdir()
    store = pipeline.init_store(ref / "store.db", donbas_mandate_path)
    m = pipeline.mandate_of(store)
    pipeline.ingest_into(store, [files], mandate=m)
    start, end = day_bounds(m, DAY)
    _, events = pipeline.fuse_day(store, m, DAY)
    violations, escalations, notes = pipeline.assess_day(store, m, DAY, events)
    led = Ledger.open(ref / "ledger")
    head = pipeline.ledger_day(
        led,
        DAY,
        end,
        store.observation_digests(start, end + pipeline.LATE_MARGIN_S),
        violations,
        escalations,
    )
    store.close()
    (day,) = s.days
    assert [v.id for v in day.violations] == [v.id for v in violations]
    assert [x.id for x in day.escalations] == [x.id for x in escalations]
    assert day.notices == notes
    assert day.n_events == len(events)
    assert day.head is not None and day.head["root_hash"] == head["root_hash"]
    assert day.head["size"] == head["size"] > len(violations)
    # the GeoJSON written part by part: the bytes of the whole day's writer
    write_geojson(tmp_path / "ref.geojson", [event_feature(e) for e in events])
    assert (tmp_path / "parts" / "events.geojson").read_bytes() == (
        tmp_path / "ref.geojson"
    ).read_bytes()
    got = json.loads((tmp_path / "parts" / "violations.geojson").read_text())
    assert [f["properties"]["id"] for f in got["features"]] == [v.id for v in violations]


@pytest.mark.parametrize("n", [0, 1, 3])
def test_the_streamed_geojson_is_the_writers_bytes(tmp_path: Path, n: int) -> None:
    feats = [
        {"type": "Feature", "geometry": None, "properties": {"id": f"é{i}", "b": [i, None]}}
        for i in range(n)
    ]
    write_geojson(tmp_path / "a.geojson", feats)
    with pipeline.GeoJSONWriter(tmp_path / "b.geojson") as w:
        w.write(feats[:1])
        w.write(feats[1:])
    assert (tmp_path / "b.geojson").read_bytes() == (tmp_path / "a.geojson").read_bytes()


@pytest.mark.parametrize("workers", [1, 2])
def test_a_part_is_fused_with_its_first_passs_associations(
    stored: Path, tmp_path: Path, workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The day's second pass takes each tile's association from its part's first
    pass (the registration over the day matters for none of this day's tiles):
    half the associations, the same events; with 2 workers the associations go
    from the workers that made them through this process to the ones fusing
    (the workers are forked: they count in the file)."""
    from ceasefire.fuse import engine

    fused_in_parts(monkeypatch, 3_600.0, workers)
    calls = tmp_path / "calls"
    assoc, acoustic = engine._associate, engine._fuse_acoustic

    def counted(*a: object) -> object:
        with calls.open("a") as f:
            f.write("x")
        return assoc(*a)  # type: ignore[arg-type]

    def without(
        obs: object, rows: object, cfg: object, reg: object = None, _: object = None
    ) -> object:
        return acoustic(obs, rows, cfg, reg, None)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "_associate", counted)
    store = Store.open(stored)
    try:
        m = pipeline.mandate_of(store)
        kept = [e.id for e in pipeline.fuse_day(store, m, DAY)[1]]
        n_kept = len(calls.read_text())
        calls.unlink()
        monkeypatch.setattr(engine, "_fuse_acoustic", without)
        again = [e.id for e in pipeline.fuse_day(store, m, DAY)[1]]
        n_again = len(calls.read_text())
    finally:
        store.close()
    assert kept == again and len(kept) > 100
    assert n_again == 2 * n_kept and n_kept >= 3


@pytest.mark.parametrize("over", [None, 100])
def test_run_signs_as_it_goes_in_ledger_days_batches(
    stored: Path,
    tmp_path: Path,
    donbas_mandate_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    over: int | None,
) -> None:
    """``run`` appends the day's ledger records while the pool fuses (the
    observations records ahead, each part's violations as judged): its log holds
    ``ledger_day``'s bytes, commit frames included, for the same batch weight
    (``over``: a batch weighs the day's digests and ``over`` more, so that the
    observations record shares its batch with the first violations)."""
    before = Store.open(stored)
    lo, hi = day_bounds(pipeline.mandate_of(before), DAY)
    n = before.count_observations(lo, hi + pipeline.LATE_MARGIN_S)
    before.close()
    fused_in_parts(monkeypatch, 1200.0)
    monkeypatch.setattr(pipeline, "LEDGER_BATCH_DIGESTS", 40 if over is None else n + over)
    files = next((stored.parent / "day").glob("observations.*"))
    s = pipeline.run(donbas_mandate_path, [files], tmp_path / "run", pdf=False)
    (day,) = s.days
    assert day.violations, "a day without violations would not test the batches"
    store = Store.open(tmp_path / "run" / "store.db")
    try:
        m = pipeline.mandate_of(store)
        start, end = day_bounds(m, DAY)
        led = Ledger.open(tmp_path / "ref")
        pipeline.ledger_day(
            led,
            DAY,
            end,
            store.observation_digests(start, end + pipeline.LATE_MARGIN_S),
            store.violations(start, end),
            store.escalations(start, end),
        )
        led.close()
    finally:
        store.close()
    ref = (tmp_path / "ref" / "records.log").read_bytes()
    got = (tmp_path / "run" / "ledger" / "records.log").read_bytes()
    # the run appends the day's intervention requests after them
    assert got[: len(ref)] == ref
    # many batches, one commit frame each (a violation weighs ~5 digests)
    assert ref.count(b'"type":"violation"') == len(day.violations) > 20


def test_first_passes_go_to_the_pool_heaviest_first(
    stored: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pooling the registration waits for the last first pass: the parts' first
    passes are submitted by the observations of the times they read, most first
    (ties in day order), and the day's events are still the whole day's, in order."""
    from concurrent import futures

    fused_in_parts(monkeypatch, 1200.0)
    firsts: list[tuple[float, float]] = []

    class Spied(futures.ProcessPoolExecutor):
        def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def, override]
            if fn is pipeline._part_worker_first:
                firsts.append(args)
            return super().submit(fn, *args, **kwargs)

    monkeypatch.setattr(futures, "ProcessPoolExecutor", Spied)
    store = Store.open(stored)
    try:
        m = pipeline.mandate_of(store)
        events = [e.id for e in pipeline.fuse_day(store, m, DAY)[1]]
        assert events == _whole_day(store, DAY)
        parts = pipeline.day_parts(m, DAY)
        reader = pipeline._PartReader(pipeline.fuse_config(m), *pipeline.fuse_read_window(m, DAY))
        # what each part reads (its times, with their margins), of every kind
        read = {p: len(store.observations(*reader.span(*p)[:2])) for p in parts}
        assert all(len(reader.read(store, *p)) <= read[p] for p in parts)
    finally:
        store.close()
    assert sorted(firsts) == parts  # each part's first pass once
    sizes = [read[p] for p in firsts]
    assert sizes == sorted(sizes, reverse=True)
    # not the day's order: the 3 h heavy day lies within a day of hourly parts
    assert firsts != parts and sizes[0] > 0 and sizes[-1] == 0
    # equal sizes (the empty parts) keep the day's order
    empty = [p for p in firsts if read[p] == 0]
    assert empty == sorted(empty) and len(empty) > 1


def _same_layers(a: MapLayers, b: MapLayers) -> bool:
    # every array the layers carry, and the rings the maps process makes of them
    arrays = [f.name for f in dataclasses.fields(MapLayers) if f.name not in ("marks", "unlocated")]
    arrays.append("rings")
    return (
        all(np.array_equal(getattr(a, k), getattr(b, k)) for k in arrays)
        and a.marks.keys() == b.marks.keys()
        and all(
            np.array_equal(getattr(a.marks[k], f), getattr(b.marks[k], f))
            for k in a.marks
            for f in ("lat", "lon", "rgba")
        )
        and a.unlocated == b.unlocated
    )


def test_the_parts_map_layers_are_the_stores(
    stored: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The layers the pool's workers make of each judged part, taken in the day's
    order, are those the maps process builds from its reads of the stored day
    (so the maps drawn from them are the same); a part without layers, or
    violations out of the day's order, give none."""
    shutil.copy(stored, tmp_path / "store.db")
    fused_in_parts(monkeypatch, 1200.0)
    store = Store.open(tmp_path / "store.db")
    try:
        m = pipeline.mandate_of(store)
        start, end = day_bounds(m, DAY)
        store.replace_violations(start, end, [], day=DAY.isoformat())
        layers, found = [], []
        for part in pipeline.judged_parts(store, m, DAY):
            store.add_violation_rows(part.violation_rows)
            layers.append(part.layers)
            found.append(part.violations)
        want = pipeline.store_layers(store, m, DAY)
    finally:
        store.close()
    got = pipeline.day_layers(m, DAY, layers, found)
    assert got is not None and len(layers) > 3
    assert got.others > 0 and len(got.violation_lat) > 100 and len(got.rings) > 100
    assert _same_layers(got, want)
    # not the store's order: the parts' violations swapped
    busy = [k for k, f in enumerate(found) if f]
    i, j = busy[0], busy[-1]
    assert i != j
    swapped = list(found)
    swapped[i], swapped[j] = found[j], found[i]
    assert pipeline.day_layers(m, DAY, layers, swapped) is None
    assert pipeline.day_layers(m, DAY, [*layers[:-1], None], found) is None
