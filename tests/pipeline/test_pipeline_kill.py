"""kill -9 at random points of ingest, assessment (with its ledger append) and
`ledger append`, 50 runs each (issue 24's crash suite).

Each run forks a child that does the work and reports, over a pipe, what it
finished (what a user was told: the acknowledgement); the parent kills it with
SIGKILL after a random delay drawn over the work's measured duration (fixed
seeds). Then: the store opens, the ledger verifies (after the repair any
writer does on open), nothing acknowledged is missing, and a re-run completes
with the same result as an uninterrupted run and no duplicates.

The runs work in RAM (``/dev/shm``) where there is one: a killed process
leaves its written pages to the kernel either way, and fsync, which only
matters for power loss, costs nothing there.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from scene import build_scene

from ceasefire.ledger import Ledger
from ceasefire.mandate import Mandate, day_bounds, load_mandate
from ceasefire.pipeline import (
    LATE_MARGIN_S,
    assess_day,
    fuse_day,
    ingest_into,
    init_store,
    ledger_day,
)
from ceasefire.store import Store

# every test of the module on one worker: its module fixtures are made once, not
# once a worker
pytestmark = pytest.mark.xdist_group("pipeline-kill")

RUNS = 50
_DEVNULL = os.open(os.devnull, os.O_WRONLY)  # where a re-run's acknowledgements go
N_OBS = 200
DAY = date(2025, 6, 1)


def _forked(work: Callable[[int], None]) -> tuple[int, int]:
    """Fork a child running ``work(fd)`` (it writes acknowledgement lines to ``fd``;
    exit code 3 if it raised); the child's pid and the read end of its pipe."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        code = 0
        try:
            os.close(r)
            work(w)
        except BaseException:
            code = 3
        finally:
            os._exit(code)
    os.close(w)
    return pid, r


def _kill_at_random(work: Callable[[int], None], delay_s: float) -> list[str]:
    """Fork, run ``work(fd)`` in the child, SIGKILL it after ``delay_s``; the
    acknowledgements it got out."""
    pid, r = _forked(work)
    time.sleep(delay_s)
    os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    chunks = []
    while data := os.read(r, 65536):
        chunks.append(data)
    os.close(r)
    assert not (os.WIFEXITED(status) and os.WEXITSTATUS(status) == 3), "the work itself failed"
    return b"".join(chunks).decode().split()


def _duration(work: Callable[[int], None]) -> float:
    """Wall seconds of ``work(fd)`` run here (its acknowledgements dropped)."""
    t0 = time.perf_counter()
    r, w = os.pipe()
    work(w)
    os.close(w)
    os.close(r)
    return time.perf_counter() - t0


def _child_duration(work: Callable[[int], None]) -> float:
    """Wall seconds from the fork of a child running ``work(fd)`` to the end of its
    work, as the child's clock (system-wide monotonic) tells: its exit, a large
    share of a short run, falls after every acknowledgement and is not counted,
    and this process sleeps meanwhile as during a kill (reading each
    acknowledgement as it came woke it, and slowed the child, on a busy machine)."""
    r, w = os.pipe()
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        code = 3
        try:
            os.close(r)
            work(_DEVNULL)
            os.write(w, repr(time.perf_counter()).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(w)
    _, status = os.waitpid(pid, 0)
    done = os.read(r, 64)
    os.close(r)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, "the work itself failed"
    return float(done) - t0


def _kill_window(prepare: Callable[[str], Callable[[int], None]]) -> float:
    """Wall seconds the kills are drawn over: the median of three forked children's
    runs up to the end of their work (fork and copy-on-write included, as the kills
    see them), after one warm-up run here. ``prepare(tag)`` sets up a fresh copy of
    a run's inputs and returns its work. Why not one run timed here: cold (first imports, caches) it
    took several times a warm child's run, so most kills landed after the end on a
    fast machine; one child timed during a burst of load has the same effect."""
    _duration(prepare("warm"))
    return sorted(_child_duration(prepare(f"probe{k}")) for k in range(3))[1]


def _obs_file(path: Path, n: int) -> Path:
    with path.open("w") as fh:
        for i in range(n):
            rec = {
                "id": f"o{i}",
                "source": f"array-{i % 7}",
                "time": f"2025-06-01T07:{i // 60 % 60:02d}:{i % 60:02d}.{i % 1000:03d}Z",
                "kind": "arrival",
                "observer": {"lat": 48.0 + i * 1e-5, "lon": 38.0},
            }
            fh.write(json.dumps(rec) + "\n")
        fh.write("not json\n")
    return path


def test_kill9_during_ingest(ram_path: Path) -> None:
    tmp_path = ram_path
    obs = _obs_file(tmp_path / "obs.ndjson", N_OBS)
    rng = random.Random(2401)

    def work(fd: int, db: Path) -> None:
        st = Store.open(db)
        r = ingest_into(st, [obs])
        os.write(fd, f"ingested:{r.counts['accepted']}\n".encode())
        st.close()

    Store.create(tmp_path / "empty.db").close()

    def prepare(tag: str) -> Callable[[int], None]:
        db = tmp_path / f"{tag}.db"
        shutil.copy(tmp_path / "empty.db", db)
        return lambda fd: work(fd, db)

    span = _kill_window(prepare)
    interrupted = 0
    for run in range(RUNS):
        db = tmp_path / f"s{run}.db"
        shutil.copy(tmp_path / "empty.db", db)
        acks = _kill_at_random(lambda fd, db=db: work(fd, db), rng.uniform(0, 1.3 * span))
        st = Store.open(db)  # opens after any kill
        stored = len(st.known_keys())
        assert stored in (0, N_OBS)  # the batch is atomic
        if acks:
            assert stored == N_OBS  # acknowledged: never lost
        else:
            interrupted += 1
        r = ingest_into(st, [obs])  # the re-run completes, nothing twice
        assert r.counts["accepted"] + r.counts["duplicate"] == N_OBS
        assert len(st.observations(0.0, 4e9)) == N_OBS and st.counts()["accepted"] == N_OBS
        st.close()
        db.unlink()
    # shown with a failure (and with -s): how the kills fell
    print(f"{interrupted} of {RUNS} kills before the end, window {span:.3f} s")
    assert interrupted >= 5, f"only {interrupted} of {RUNS} kills fell before the end"


@pytest.fixture(scope="module")
def fused_day(tmp_path_factory: pytest.TempPathFactory, donbas_mandate_path: Path) -> Path:
    """A store holding the scene's day, fused; a template to copy for each run."""
    d = tmp_path_factory.mktemp("day")
    m = load_mandate(donbas_mandate_path)
    build_scene(m, d / "obs.ndjson")
    st = init_store(d / "day.db", donbas_mandate_path)
    ingest_into(st, [d / "obs.ndjson"])
    fuse_day(st, m, DAY)
    st.close()
    return d / "day.db"


def _assess_and_sign(db: Path, ledger: Path, m: Mandate, fd: int, key: Path | None = None) -> None:
    st = Store.open(db)
    violations, escalations, _ = assess_day(st, m, DAY)
    os.write(fd, b"assessed\n")
    start, end = day_bounds(m, DAY)
    led = Ledger.open(ledger, key)
    head = ledger_day(
        led, DAY, end, st.observation_models(start, end + LATE_MARGIN_S), violations, escalations
    )
    os.write(fd, f"signed:{head['size']}\n".encode())
    led.close()
    st.close()


def _ledger_state(ledger: Path) -> tuple[int, list[bytes], int]:
    led = Ledger.open(ledger)  # a writer repairs a torn tail, and says so
    led.close()
    with Ledger.open(ledger, readonly=True) as ro:
        report = ro.verify()
        return report.size, [ro.record_bytes(i) for i in range(report.size)], report.heads


def test_kill9_during_assessment_and_its_ledger_append(
    ram_path: Path, fused_day: Path, donbas_mandate_path: Path
) -> None:
    tmp_path = ram_path
    m = load_mandate(donbas_mandate_path)
    clean_db, clean_led = tmp_path / "clean.db", tmp_path / "clean-led"
    shutil.copy(fused_day, clean_db)
    _assess_and_sign(clean_db, clean_led, m, _DEVNULL)  # the uninterrupted run
    want_violations = [v.id for v in Store.open(clean_db).violations(*day_bounds(m, DAY))]
    want_size, want_records, _ = _ledger_state(clean_led)
    assert want_violations and want_size > 1
    key = clean_led / "keys"

    def prepare(tag: str) -> Callable[[int], None]:
        db, led = tmp_path / f"{tag}.db", tmp_path / f"{tag}-led"
        shutil.copy(fused_day, db)
        Ledger.open(led, key).close()  # as each run below starts
        return lambda fd: _assess_and_sign(db, led, m, fd, key)

    span = _kill_window(prepare)
    rng = random.Random(2402)
    interrupted = 0
    for run in range(RUNS):
        db, led = tmp_path / f"d{run}.db", tmp_path / f"led{run}"
        shutil.copy(fused_day, db)
        Ledger.open(led, key).close()  # the mission key, so the logs compare byte for byte
        acks = _kill_at_random(
            lambda fd, db=db, led=led: _assess_and_sign(db, led, m, fd, key),
            rng.uniform(0, 1.3 * span),
        )
        size, records, _ = _ledger_state(led)
        assert records == want_records[:size]  # a prefix of the clean run's log
        if any(a.startswith("signed") for a in acks):
            assert size == want_size
        else:
            interrupted += 1
        st = Store.open(db)
        _assess_and_sign(db, led, m, _DEVNULL, key)
        assert [v.id for v in st.violations(*day_bounds(m, DAY))] == want_violations
        size, records, heads = _ledger_state(led)
        assert (size, records) == (want_size, want_records) and heads >= 1
        st.close()
        db.unlink()
        shutil.rmtree(led)
    # shown with a failure (and with -s): how the kills fell
    print(f"{interrupted} of {RUNS} kills before the end, window {span:.3f} s")
    assert interrupted >= 5, f"only {interrupted} of {RUNS} kills fell before the end"


def _append_in_batches(ledger: Path, records: list[dict[str, object]], fd: int) -> None:
    led = Ledger.open(ledger)
    for i in range(0, len(records), 20):
        led.append(records[i : i + 20])
        os.write(fd, f"{records[min(i + 19, len(records) - 1)]['id']}\n".encode())
        if i % 100 == 80:
            led.sign_head(1_750_000_000 + i)
    led.close()


def test_kill9_during_ledger_append(ram_path: Path) -> None:
    tmp_path = ram_path
    records: list[dict[str, object]] = [
        {"id": f"v{i:04d}", "type": "violation", "pad": "x" * (i % 90)} for i in range(300)
    ]

    def prepare(tag: str) -> Callable[[int], None]:
        path = tmp_path / tag
        Ledger.open(path).close()  # as each run below starts
        return lambda fd: _append_in_batches(path, records, fd)

    span = _kill_window(prepare)
    rng = random.Random(2403)
    interrupted = 0
    for run in range(RUNS):
        path = tmp_path / f"led{run}"
        Ledger.open(path).close()
        acks = _kill_at_random(
            lambda fd, path=path: _append_in_batches(path, records, fd), rng.uniform(0, 1.3 * span)
        )
        size, _, _ = _ledger_state(path)
        assert size % 20 == 0 or size == len(records)  # whole batches only
        with Ledger.open(path, readonly=True) as led:
            for rid in acks:  # every acknowledged record is there
                assert led.contains(rid)
        if len(acks) < 15:
            interrupted += 1
        _append_in_batches(path, records, _DEVNULL)  # the re-run
        size, stored, _ = _ledger_state(path)
        assert size == len(records)
        assert [json.loads(b)["id"] for b in stored] == [r["id"] for r in records]
        shutil.rmtree(path)
    # shown with a failure (and with -s): how the kills fell
    print(f"{interrupted} of {RUNS} kills before the end, window {span:.3f} s")
    assert interrupted >= 5, f"only {interrupted} of {RUNS} kills fell before the end"
