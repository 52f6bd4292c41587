"""The pool's second pass of a part loads the reads its first pass left in a
private spool, not the store: the same arrays, so the same events."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import tempfile
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from scene import fused_in_parts, heavy_store

from ceasefire import pipeline
from ceasefire.store import Store

# every test of the module on one worker: its module fixtures are made once, not
# once a worker
pytestmark = pytest.mark.xdist_group("pipeline-spool")

DAY = date(2025, 6, 1)


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory, donbas_mandate_path: Path) -> Path:
    """A store holding 2 h of a simulated heavy day, 11:20 to 13:20 local."""
    tmp = tmp_path_factory.mktemp("spool")
    return heavy_store(tmp, donbas_mandate_path, f"{DAY}T11:20", 2.0, 5)


class _NoReads:
    """A store whose observations cannot be read (the spool must serve them)."""

    def observations(self, *_: object, **__: object) -> object:
        raise AssertionError("the store was read again")


def _reader(store: Store, spool: Path | None) -> tuple[pipeline._PartReader, tuple[float, float]]:
    m = pipeline.mandate_of(store)
    cfg = dataclasses.replace(pipeline.fuse_config(m), workers=1)
    reader = pipeline._PartReader(
        cfg, *pipeline.fuse_read_window(m, DAY), spool=None if spool is None else str(spool)
    )
    # the part holding most of the simulated hours
    part = max(pipeline.day_parts(m, DAY), key=lambda p: len(reader.read(store, *p)))
    return reader, part


def test_the_second_pass_loads_the_first_passs_reads(stored: Path, tmp_path: Path) -> None:
    store = Store.open(stored)
    try:
        plain, (a, b) = _reader(store, None)
        spooled, _ = _reader(store, tmp_path)
        read = plain.read(store, a, b)
        first = plain.first_pass(store, a, b)
        want = plain.fuse(store, a, b, None, first[1])
        got_first = spooled.first_pass(store, a, b)
        assert len(list(tmp_path.iterdir())) == 1
        got = spooled.fuse(_NoReads(), a, b, None, got_first[1])  # type: ignore[arg-type]
    finally:
        store.close()
    assert len(read) > 200 and len(want) > 5
    assert [repr(e) for e in got] == [repr(e) for e in want]
    # taken: the file is gone, and a second fuse of the part reads the store
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(AssertionError, match="read again"):
        spooled.fuse(_NoReads(), a, b)  # type: ignore[arg-type]


def test_the_spools_arrays_are_the_stores(stored: Path, tmp_path: Path) -> None:
    store = Store.open(stored)
    try:
        reader, (a, b) = _reader(store, tmp_path)
        read = reader.read(store, a, b)
        reader._keep(read, a, b)
        back = reader._kept(a, b)
    finally:
        store.close()
    assert back is not None
    for f in dataclasses.fields(read):
        x, y = getattr(read, f.name), getattr(back, f.name)
        if isinstance(x, np.ndarray) and x.dtype == object:
            assert y.dtype == object and x.tolist() == y.tolist(), f.name
        elif isinstance(x, np.ndarray):
            # bit for bit (NaNs too)
            assert x.dtype == y.dtype and x.tobytes() == y.tobytes(), f.name
        else:
            assert x == y, f.name


def test_an_unwritable_spool_reads_the_store(stored: Path, tmp_path: Path) -> None:
    store = Store.open(stored)
    try:
        plain, (a, b) = _reader(store, None)
        gone, _ = _reader(store, tmp_path / "missing")
        want = plain.fuse(store, a, b)
        gone.first_pass(store, a, b)  # cannot write: left to the store
        got = gone.fuse(store, a, b)
    finally:
        store.close()
    assert [e.id for e in got] == [e.id for e in want] and len(want) > 5


def test_a_pooled_day_leaves_no_spool(
    stored: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two workers, parts of 20 min: the whole day's events, and the spool
    (under the temporary directory) removed once the pool is done."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    fused_in_parts(monkeypatch, 1200.0)
    store = Store.open(stored)
    try:
        m = pipeline.mandate_of(store)
        pooled = [e.id for e in pipeline.fuse_day(store, m, DAY)[1]]
        pooled_config = pipeline.fuse_config
        monkeypatch.setattr(
            pipeline, "fuse_config", lambda m: dataclasses.replace(pooled_config(m), workers=1)
        )
        serial = [e.id for e in pipeline.fuse_day(store, m, DAY)[1]]
    finally:
        store.close()
    assert pooled == serial and len(pooled) > 5
    assert not list(tmp_path.glob("ceasefire-parts-*"))


def test_a_pooled_days_results_come_through_the_spool(
    stored: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every pool task's answer reaches this process as a file in the spool, not
    through the pipe: each part's first pass (its associations left there for its
    second pass, unread here) and each judged part; the events are the serial day's."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    fused_in_parts(monkeypatch, 1200.0)
    taken = pipeline._taken
    seen: list[tuple[object, object]] = []

    def spied(value: object) -> object:
        got = taken(value)
        seen.append((value, got))
        return got

    monkeypatch.setattr(pipeline, "_taken", spied)
    store = Store.open(stored)
    try:
        m = pipeline.mandate_of(store)
        n_parts = len(pipeline.day_parts(m, DAY))
        pooled = pipeline.judged_parts(store, m, DAY)
        pooled_ids = [r["id"] for part in pooled for r in part.violation_rows]
        fused = [e.id for e in pipeline.fuse_day(store, m, DAY)[1]]
        seen_pool = seen[: 2 * n_parts]
        pooled_config = pipeline.fuse_config
        monkeypatch.setattr(
            pipeline, "fuse_config", lambda m: dataclasses.replace(pooled_config(m), workers=1)
        )
        serial_parts = pipeline.judged_parts(store, m, DAY)
        serial_ids = [r["id"] for part in serial_parts for r in part.violation_rows]
        serial = [e.id for e in pipeline.fuse_day(store, m, DAY)[1]]
    finally:
        store.close()
    assert pooled_ids == serial_ids and len(serial_ids) > 0
    assert fused == serial and len(serial) > 5
    # in this process: a first pass and a second pass per part, all handed over
    assert len(seen_pool) == 2 * n_parts and n_parts > 2
    assert all(isinstance(v, pipeline._Handed) for v, _ in seen_pool)
    firsts = [got for _, got in seen_pool if isinstance(got, tuple)]
    judged = [got for _, got in seen_pool if isinstance(got, pipeline.JudgedPart)]
    assert len(firsts) == len(judged) == n_parts
    # the first passes' associations stay in the spool for the second pass
    assert all(isinstance(kept, pipeline._Handed) for _, kept in firsts)
    assert not list(tmp_path.glob("ceasefire-parts-*"))


def test_a_handed_over_result_is_the_value_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the spool, the value comes back equal and its file is removed;
    without a spool, or where it cannot be written, the value goes as it is."""
    value = {"rows": [1.5, -0.0, float("inf")], "ids": ("a", "b"), "x": np.arange(5.0)}
    reader = pipeline._PartReader(None, 0.0, 1.0, spool=str(tmp_path))  # type: ignore[arg-type]
    monkeypatch.setitem(pipeline._PART_WORKER, "reader", reader)
    handed = pipeline._hand_over(value, "0.0-1.0.fused.pkl")
    assert isinstance(handed, pipeline._Handed)
    assert Path(handed.path).parent == tmp_path and Path(handed.path).is_file()
    got = pipeline._taken(handed)
    assert got["rows"][:2] == [1.5, 0.0] and str(got["rows"][1]) == "-0.0"
    assert got["ids"] == ("a", "b") and np.array_equal(got["x"], value["x"])
    assert not list(tmp_path.iterdir())
    for spool in (None, str(tmp_path / "missing")):
        reader = dataclasses.replace(reader, spool=spool)
        monkeypatch.setitem(pipeline._PART_WORKER, "reader", reader)
        assert pipeline._hand_over(value, "0.0-1.0.fused.pkl") is value
        assert pipeline._taken(value) is value


def test_a_killed_runs_spool_is_swept_and_a_live_ones_kept(tmp_path: Path) -> None:
    # a process that has ended: its id names no process now (ids are not reused
    # this soon: Linux hands them out in order up to pid_max)
    dead_pid = _ended_pid()
    dead = tmp_path / f"{pipeline.SPOOL_PREFIX}{dead_pid}-abc"
    (dead / "sub").mkdir(parents=True)
    (dead / "sub" / "1.0-2.0.pkl").write_bytes(b"x" * 10)
    live = tmp_path / f"{pipeline.SPOOL_PREFIX}{os.getpid()}-def"
    live.mkdir()
    other = tmp_path / f"{pipeline.SPOOL_PREFIX}notapid-ghi"
    other.mkdir()
    loose = tmp_path / f"{pipeline.SPOOL_PREFIX}{dead_pid}-file"
    loose.write_text("a file, not a spool")
    assert pipeline.sweep_spools(str(tmp_path)) == [dead]
    assert not dead.exists()
    assert live.is_dir() and other.is_dir() and loose.is_file()
    # a new spool sweeps before it is made, and is named for this process
    (dead / "sub").mkdir(parents=True)
    with pipeline._part_spool(str(tmp_path)) as spool:
        assert not dead.exists()
        assert Path(spool).name.startswith(f"{pipeline.SPOOL_PREFIX}{os.getpid()}-")
    assert not Path(spool).exists()


def _ended_pid() -> int:
    """The id of a child process that has ended and been reaped."""
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid
