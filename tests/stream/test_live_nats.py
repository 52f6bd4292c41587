"""Against the local NATS JetStream server: a heavy day's first hours replayed at
full speed through two worker processes give the batch's violations; a worker
killed with SIGKILL mid-stream and restarted loses nothing and doubles nothing."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from liverun import LiveRun

from ceasefire import pipeline
from ceasefire.ledger import Ledger
from ceasefire.mandate import day_bounds, day_of, load_mandate
from ceasefire.model.arrays import AnyObservation
from ceasefire.model.errors import PipelineError
from ceasefire.store import Store
from ceasefire.stream.bus import Subjects
from ceasefire.stream.compare import compare_violations
from ceasefire.stream.natsbus import NatsBus, StreamLimits
from ceasefire.stream.replay import publish_observations
from ceasefire.stream.worker import SETTLED_KEY

# with the other users of the heavy slice and the reference live run (session
# fixtures, tests/stream/conftest.py) on one worker: they are made once, not twice
pytestmark = pytest.mark.xdist_group("live-heavy")

NATS = os.environ.get("CEASEFIRE_TEST_NATS", "nats://127.0.0.1:4222")
CLI = str(Path(sys.executable).parent / "ceasefire")
#: a worker exits this long after its last message (the stream is published by then), s
IDLE_S = 4.0


@pytest.fixture
def prefix() -> Iterator[str]:
    p = f"test{uuid.uuid4().hex[:12]}"
    yield p

    async def clean() -> None:
        bus = await NatsBus.connect(NATS, Subjects(p))
        await bus.delete_streams()
        await bus.close()

    asyncio.run(clean())


def _publish(prefix: str, mandate_path: Path, models: list[AnyObservation]) -> int:
    async def go() -> int:
        bus = await NatsBus.connect(NATS, Subjects(prefix))
        try:
            m = load_mandate(mandate_path)
            res = await publish_observations(bus, m, models, speed=0.0)
            return res.published
        finally:
            await bus.close()

    return asyncio.run(go())


def _worker(
    prefix: str,
    store: Path,
    ledger: Path,
    *sectors: str,
    idle: float = IDLE_S,
    shard: str | None = None,
) -> subprocess.Popen[bytes]:
    args = [CLI, "worker", "--nats", NATS, "--prefix", prefix, "--store", str(store)]
    args += ["--ledger", str(ledger), "--idle-exit", str(idle)]
    for s in sectors:
        args += ["--sector", s]
    if shard is not None:
        args += ["--shard", shard]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _wait(p: subprocess.Popen[bytes], timeout: float = 240.0) -> str:
    out, _ = p.communicate(timeout=timeout)
    assert p.returncode == 0, out.decode()
    return out.decode()


def _watch(prefix: str, *args: str) -> subprocess.Popen[bytes]:
    """``ceasefire watch --from-start ARGS`` on ``prefix``, started."""
    cmd = [CLI, "watch", "--nats", NATS, "--prefix", prefix, "--from-start", *args]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _out(p: subprocess.Popen[bytes]) -> str:
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err.decode()
    return out.decode()


def _escalation_messages(prefix: str) -> int:
    """How many messages the escalations stream holds."""

    async def go() -> int:
        bus = await NatsBus.connect(NATS, Subjects(prefix))
        try:
            info = await bus.js.stream_info(bus.subjects.escalation_stream)
            return int(info.state.messages)
        finally:
            await bus.close()

    return asyncio.run(go())


def _f1(a: set[str], b: set[str]) -> float:
    tp = len(a & b)
    return 2 * tp / (len(a) + len(b)) if a or b else 1.0


@pytest.mark.parametrize("split", ["sectors", "shards"])
def test_two_workers_give_the_batch_violations(
    tmp_path: Path,
    prefix: str,
    donbas_mandate_path: Path,
    heavy_slice: Path,
    heavy_models: list[AnyObservation],
    split: str,
) -> None:
    """Two workers, by sectors (luhansk + donetsk-north | donetsk-south) or by
    shards (both every sector, tile k fused by worker k % 2), give the batch's
    violations and settled notices, each once in the store, ledger and bus."""
    # the batch registers observers per tile, as live workers must (the mandate's
    # fusion.register_over: tile): then live = batch by construction
    as_live = tmp_path / "mandate-as-live.yaml"
    as_live.write_text(
        donbas_mandate_path.read_text() + "\nfusion:\n  register_over: tile\n", encoding="utf-8"
    )
    store_path = tmp_path / "live.db"
    pipeline.init_store(store_path, donbas_mandate_path).close()
    ledger = tmp_path / "ledger"
    Ledger.open(ledger).close()  # one key for both workers
    workers = (
        [
            _worker(prefix, store_path, ledger, "luhansk", "donetsk-north"),
            _worker(prefix, store_path, ledger, "donetsk-south"),
        ]
        if split == "sectors"
        else [_worker(prefix, store_path, ledger, shard=f"{i}/2") for i in range(2)]
    )
    assert _publish(prefix, donbas_mandate_path, heavy_models) == len(heavy_models)
    # the batch while the worker processes run (on another core)
    batch = pipeline.run(as_live, [heavy_slice], tmp_path / "batch", pdf=False)
    batch_ids = {v.id for d in batch.days for v in d.violations}
    late = 0
    for w in workers:
        out = _wait(w)
        # the store's mandate registers over the day: the worker says the batch of it
        # will not reproduce the live record
        assert "will not give this record's violations" in " ".join(out.split())
        late += sum(
            int(line.split(" late")[0].rsplit(" ", 1)[1])
            for line in out.splitlines()
            if " late" in line and "received" in line
        )
    store = Store.open(store_path)
    live = store.violations(-1e18, 1e18)
    live_ids = [v.id for v in live]
    assert len(live_ids) == len(set(live_ids)), "a violation was stored twice"
    assert store.counts()["accepted"] == len(heavy_models), "an observation was lost"
    batch_v = [v for d in batch.days for v in d.violations]
    cmp = compare_violations(live, batch_v)
    # live and batch fuse the same tiles (fuse/tiles.py) from the same reports: the
    # same violations, unless a report reached a worker after its tile was final
    diff = [(v.id, v.rule, v.time_s) for v in cmp.only_a + cmp.only_b][:10]
    assert cmp.f1_id >= F1_ID_MIN, f"live vs batch F1 by id {cmp.f1_id:.3f}: {diff}"
    if late == 0:
        assert cmp.f1_id == 1.0, f"no report was late, yet live != batch: {diff}"
    assert _f1(set(live_ids), batch_ids) == cmp.f1_id
    log = Ledger.open(ledger)
    ids = [log.record(i)["id"] for i in range(log.size)]
    assert sorted(ids) == sorted(live_ids)
    # the ladder's notices: the day is settled once every sector has closed it (the
    # publisher's last tick closes it), then they are the batch's
    assert store.get_meta(SETTLED_KEY) == batch.days[0].day.isoformat()
    batch_x = {x.id for d in batch.days for x in d.escalations}
    live_x = [x.id for x in store.escalations(-1e18, 1e18)]
    assert batch_x, "the heavy slice engages the ladder's first line"
    assert sorted(live_x) == sorted(batch_x)
    # on the bus: what was issued, less what was withdrawn (a provisional notice
    # the day's sightings changed), each once
    n = _escalation_messages(prefix)
    # both `watch` processes at once (each spends seconds importing)
    x_watch = _watch(prefix, "--escalations", "--count", str(n))
    v_watch = _watch(prefix, "--json", "--count", str(len(live_ids)))
    notes = [json.loads(line) for line in _out(x_watch).splitlines()]
    issued = [d["id"] for d in notes if not d.get("withdrawn")]
    withdrawn = {d["id"] for d in notes if d.get("withdrawn")}
    assert len(issued) == len(set(issued)) and withdrawn <= set(issued)
    assert sorted(set(issued) - withdrawn) == sorted(live_x)
    # every violation announced once on the bus (what `watch` and the service relay)
    out = _out(v_watch)
    announced = [json.loads(line)["id"] for line in out.splitlines() if line.startswith("{")]
    assert sorted(announced) == sorted(live_ids)


def _event_mandate(tmp_path: Path, mandate_path: Path) -> Path:
    """The mandate with ``fusion: {finality: event, step_s: 60}``, written in ``tmp_path``."""
    event = tmp_path / "mandate-event.yaml"
    event.write_text(
        mandate_path.read_text() + "\nfusion:\n  finality: event\n  step_s: 60\n",
        encoding="utf-8",
    )
    return event


def _live_store(tmp_path: Path, mandate_path: Path) -> tuple[Path, Path]:
    """A new store of ``mandate_path`` and a ledger (one key for every worker)."""
    store_path = tmp_path / "live.db"
    pipeline.init_store(store_path, mandate_path).close()
    ledger = tmp_path / "ledger"
    Ledger.open(ledger).close()
    return store_path, ledger


#: live = batch by construction (docs/live.md); the floor allows a few late reports
F1_ID_MIN = 0.99


def test_two_workers_in_event_mode_give_the_event_batch_violations(
    tmp_path: Path,
    prefix: str,
    donbas_mandate_path: Path,
    heavy_slice: Path,
    heavy_models: list[AnyObservation],
) -> None:
    """The issue's equivalence in the mode that meets its latency: the mandate says
    ``fusion: {finality: event}``, two workers (sectors split) take it as their
    default and fuse event finality's steps; ``ceasefire run`` of the same reports
    fuses the same steps (fuse/steps.py): the same violations, each once, unless a
    report reached a worker after its step had passed (then it is context only)."""
    event = _event_mandate(tmp_path, donbas_mandate_path)
    store_path, ledger = _live_store(tmp_path, event)
    workers = [
        _worker(prefix, store_path, ledger, "luhansk", "donetsk-north"),
        _worker(prefix, store_path, ledger, "donetsk-south"),
    ]
    assert _publish(prefix, event, heavy_models) == len(heavy_models)
    batch = pipeline.run(event, [heavy_slice], tmp_path / "batch", pdf=False)
    batch_v = [v for d in batch.days for v in d.violations]
    assert len(batch_v) > 100, "three heavy hours make violations"
    late = 0
    for w in workers:
        out = " ".join(_wait(w).split())
        # the workers fuse as the mandate's batch does: no note that it differs
        assert "note:" not in out, out
        late += int(out.split(" late")[0].rsplit(" ", 1)[1])
    store = Store.open(store_path)
    live = store.violations(-1e18, 1e18)
    live_ids = [v.id for v in live]
    assert len(live_ids) == len(set(live_ids)), "a violation was stored twice"
    assert store.counts()["accepted"] == len(heavy_models), "an observation was lost"
    cmp = compare_violations(live, batch_v)
    diff = [(v.id, v.rule, v.time_s) for v in cmp.only_a + cmp.only_b][:10]
    assert cmp.f1_id >= F1_ID_MIN, f"live vs batch F1 by id {cmp.f1_id:.3f}: {diff}"
    if late == 0:
        assert cmp.f1_id == 1.0, f"no report was late, yet live != batch: {diff}"
    log = Ledger.open(ledger)
    assert sorted(log.record(i)["id"] for i in range(log.size)) == sorted(live_ids)


def _kill_once_committed(
    w: subprocess.Popen[bytes], store: Store, name: str, through_s: float
) -> None:
    """SIGKILL worker ``w`` (state key ``live:<name>``) once it has committed
    through ``through_s`` (epoch s); fail if it does not within 180 s."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        state = store.get_meta(f"live:{name}")
        if state and '"final_s": null' not in state:
            final = float(state.split('"final_s": ')[1].split(",")[0])
            if final > through_s:
                break
        time.sleep(0.2)
    else:
        pytest.fail("the worker committed nothing within 180 s")
    w.send_signal(signal.SIGKILL)
    w.wait()


@pytest.mark.parametrize("shards", [1, 2])
def test_sigkill_mid_stream_loses_and_doubles_nothing(
    tmp_path: Path,
    prefix: str,
    donbas_mandate_path: Path,
    heavy_models: list[AnyObservation],
    live_reference: LiveRun,
    shards: int,
) -> None:
    """One worker (or the second of two shards) killed once an hour is committed,
    then restarted: every observation stored once, the violations and settled
    notices of a worker never killed, each once in the store and the ledger."""
    store_path = tmp_path / "live.db"
    pipeline.init_store(store_path, donbas_mandate_path).close()
    ledger = tmp_path / "ledger"
    Ledger.open(ledger).close()  # one key for both shards
    _publish(prefix, donbas_mandate_path, heavy_models)
    shard = f"{shards - 1}/{shards}" if shards > 1 else None
    others = [_worker(prefix, store_path, ledger, shard=f"{i}/{shards}") for i in range(shards - 1)]
    w = _worker(prefix, store_path, ledger, idle=30.0, shard=shard)
    name = "w-donetsk-north_donetsk-south_luhansk" + (f"-s1of{shards}" if shard else "")
    store = Store.open(store_path)
    first = min(o.time.timestamp() for o in heavy_models)
    _kill_once_committed(w, store, name, first + 3600.0)
    before = {v.id for v in store.violations(-1e18, 1e18)}
    assert before, "violations were committed before the kill"
    _wait(_worker(prefix, store_path, ledger, shard=shard))
    for o in others:
        _wait(o)
    after = [v.id for v in store.violations(-1e18, 1e18)]
    assert len(after) == len(set(after))
    assert before <= set(after)
    assert store.counts()["accepted"] == len(heavy_models)
    # the same as a worker never killed (in memory, same window settings)
    ref = {v.id for v in live_reference.store.violations(-1e18, 1e18)}
    ref_x = [x.id for x in live_reference.store.escalations(-1e18, 1e18)]
    assert set(after) == ref
    log = Ledger.open(ledger)
    ids = [log.record(i)["id"] for i in range(log.size)]
    assert len(ids) == len(set(ids)) and set(ids) == ref
    # the ladder's notices too: the day is settled (every sector closed it), so its
    # notices are the batch's over the stored violations, wherever the kill fell
    after_x = sorted(x.id for x in store.escalations(-1e18, 1e18))
    assert ref_x and after_x == sorted(ref_x)
    m = pipeline.mandate_of(store)
    day = day_of(m, first)
    start, end = day_bounds(m, day)
    batch_x = pipeline.escalations_of(store, m, day, store.violations(start, end), [])
    assert after_x == sorted(x.id for x in batch_x)


def test_a_publish_the_server_never_acknowledges_is_a_clear_error(prefix: str) -> None:
    # an acknowledgement cannot come within a microsecond: every try times out, and
    # the publisher says what and where instead of a nats-py traceback
    async def go() -> None:
        limits = StreamLimits(publish_attempts=3, publish_timeout_s=1e-6)
        bus = await NatsBus.connect(NATS, Subjects(prefix), limits)
        try:
            with pytest.raises(PipelineError, match=r"did not acknowledge message 's/1'.* 3 tries"):
                await bus.publish(bus.subjects.obs("luhansk"), b"{}", "s/1")
            # the server stored the message once whatever the tries; a publish with
            # time to be acknowledged finds it there
            await asyncio.sleep(0.5)
            relaxed = NatsBus(bus.nc, bus.subjects, StreamLimits())
            assert not await relaxed.publish(bus.subjects.obs("luhansk"), b"{}", "s/1")
        finally:
            await bus.close()

    asyncio.run(go())


def test_sigkill_in_event_mode_loses_and_doubles_nothing(
    tmp_path: Path,
    prefix: str,
    donbas_mandate_path: Path,
    heavy_slice: Path,
    heavy_models: list[AnyObservation],
) -> None:
    """Event finality (the mandate's), one worker killed once an hour of steps is
    committed, then restarted: it reloads the open reports, marks those of its
    stored events consumed (fuse/steps.py) and goes on; every observation stored
    once, and the violations are the event batch's, each once in store and ledger."""
    event = _event_mandate(tmp_path, donbas_mandate_path)
    store_path, ledger = _live_store(tmp_path, event)
    assert _publish(prefix, event, heavy_models) == len(heavy_models)
    w = _worker(prefix, store_path, ledger, idle=30.0)
    store = Store.open(store_path)
    first = min(o.time.timestamp() for o in heavy_models)
    _kill_once_committed(w, store, "w-donetsk-north_donetsk-south_luhansk", first + 3600.0)
    before = {v.id for v in store.violations(-1e18, 1e18)}
    assert before, "violations were committed before the kill"
    out = " ".join(_wait(_worker(prefix, store_path, ledger)).split())
    batch = pipeline.run(event, [heavy_slice], tmp_path / "batch", pdf=False)
    batch_ids = {v.id for d in batch.days for v in d.violations}
    after = [v.id for v in store.violations(-1e18, 1e18)]
    assert len(after) == len(set(after)), "a violation was stored twice"
    assert before <= set(after) and len(set(after)) > len(before)
    assert store.counts()["accepted"] == len(heavy_models), "an observation was lost"
    # published in time order: no report reaches a step after it passed, so the
    # restarted chain is the batch's (a late report would be fused as open: docs)
    assert " 0 late" in out, out
    only = sorted(set(after) ^ batch_ids)[:10]
    assert set(after) == batch_ids, f"killed-and-restarted live != event batch: {only}"
    log = Ledger.open(ledger)
    ids = [log.record(i)["id"] for i in range(log.size)]
    assert len(ids) == len(set(ids)) and set(ids) == batch_ids
