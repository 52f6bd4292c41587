"""The Ledger API: append, heads, ids, keys, proofs, and the refusals."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from ceasefire.ledger import (
    Ledger,
    SignedTreeHead,
    generate_key,
    load_private_key,
    load_public_key,
    verify_bundle,
)
from ceasefire.ledger.merkle import mth, verify_consistency
from ceasefire.model.errors import LedgerError, VerificationError


def _records(n: int, prefix: str = "r") -> list[dict[str, object]]:
    return [
        {"id": f"{prefix}{i}", "type": "violation", "rule": "r-1", "lat": 48.0 + i / 1e4}
        for i in range(n)
    ]


def test_append_heads_and_roots(tmp_path: Path) -> None:
    led = Ledger.open(tmp_path / "led")
    assert led.size == 0
    assert led.root_hash() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert led.append(_records(5)) == [0, 1, 2, 3, 4]
    assert led.append([]) == []
    assert led.append(_records(3, "s")) == [5, 6, 7]
    leaves = [led.leaf_hash(i) for i in range(8)]
    assert led.root_hash() == mth(leaves).hex()
    h1 = led.sign_head(1_700_000_000.25)
    assert (h1.size, h1.root_hash, h1.time_s) == (8, led.root_hash(), 1_700_000_000.25)
    assert h1.time == "2023-11-14T22:13:20.250Z"
    assert led.sign_head(1_700_000_000.25) == h1  # idempotent for the same size and time
    led.append(_records(4, "t"))
    h2 = led.sign_head(1_700_000_100)
    assert led.heads() == [h1, h2]
    d = h2.to_dict()
    assert {"size", "root_hash", "time", "time_s", "key_id", "signature"} <= set(d)
    assert SignedTreeHead.from_dict(d) == h2
    proof = led.consistency_proof(8, 12)
    assert verify_consistency(
        8, bytes.fromhex(h1.root_hash), 12, bytes.fromhex(h2.root_hash), proof
    )
    report = led.verify()
    assert (report.size, report.heads, report.root_hash) == (12, 2, h2.root_hash)
    led.close()
    again = Ledger.open(tmp_path / "led")
    assert again.size == 12 and again.heads() == [h1, h2] and again.recovery == []
    assert again.record(9) == _records(4, "t")[1]
    assert again.contains("t3") and not again.contains("t4")
    assert again.index_of("s0") == 5


def test_records_are_checked_and_batches_atomic(tmp_path: Path) -> None:
    led = Ledger.open(tmp_path / "led")
    led.append(_records(3))
    bad_batches: list[list[dict[str, object]]] = [
        [{"id": "x1", "type": "violation"}, {"id": "r1", "type": "violation"}],  # in log
        [{"id": "x1", "type": "v"}, {"id": "x1", "type": "v"}],  # repeated in batch
        [{"id": "x2", "type": "v"}, {"type": "v"}],  # no id
        [{"id": "x3"}],  # no type
        [{"id": "x4", "type": "v", "n": float("nan")}],
        [{"id": "x5", "type": "v", "big": 2**60}],
        [{"id": "x6", "type": "v", "raw": b"bytes"}],
    ]
    for batch in bad_batches:
        with pytest.raises(LedgerError):
            led.append(batch)
        assert led.size == 3
    assert not led.contains("x1")
    led.verify()


def test_no_update_or_delete_path() -> None:
    public = {n for n in dir(Ledger) if not n.startswith("_")}
    for verb in ("update", "delete", "remove", "truncate", "replace", "set", "pop", "edit"):
        assert not any(verb in name for name in public), verb


def test_key_files_and_permissions(tmp_path: Path) -> None:
    keyfile = generate_key(tmp_path / "keys")
    assert stat.S_IMODE(keyfile.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700
    with pytest.raises(LedgerError, match="exists already"):
        generate_key(tmp_path / "keys")
    load_private_key(keyfile)
    os.chmod(keyfile, 0o644)
    with pytest.raises(LedgerError, match=r"0644.*expected 0600"):
        load_private_key(keyfile)
    os.chmod(keyfile, 0o600)
    led = Ledger.open(tmp_path / "led", keyfile)
    assert led.key_id == Ledger.open(tmp_path / "led").key_id
    assert not (tmp_path / "led" / "keys").exists()
    pem = (tmp_path / "keys" / "mission.pub.pem").read_bytes()
    assert led.public_key_pem() == pem
    load_public_key(pem)
    assert b"PRIVATE" not in led.public_key_pem()


def test_wrong_private_key_and_missing_key(tmp_path: Path) -> None:
    led = Ledger.open(tmp_path / "led")
    other = generate_key(tmp_path / "other")
    with pytest.raises(LedgerError, match="is not this ledger's mission key"):
        Ledger.open(tmp_path / "led", other)
    led.append(_records(2))
    (tmp_path / "led" / "keys" / "mission.key").rename(tmp_path / "moved.key")
    nokey = Ledger.open(tmp_path / "led")
    with pytest.raises(LedgerError, match="no private key"):
        nokey.sign_head(1.0)
    assert nokey.verify().size == 2  # verification needs no private key


def test_prove_needs_a_covering_head(tmp_path: Path) -> None:
    led = Ledger.open(tmp_path / "led")
    led.append(_records(10))
    with pytest.raises(LedgerError, match="not yet covered"):
        led.prove("r3")
    led.sign_head(100.0)
    bundle = led.prove("r3")
    check = verify_bundle(bundle, led.public_key_pem())
    assert (check.record_id, check.leaf_index, check.head.size) == ("r3", 3, 10)
    with pytest.raises(LedgerError, match="no record with id"):
        led.prove("nope")


def test_second_process_sees_appends(tmp_path: Path) -> None:
    a = Ledger.open(tmp_path / "led")
    b = Ledger.open(tmp_path / "led")
    a.append(_records(3))
    assert b.size == 3
    b.append(_records(2, "b"))
    a.sign_head(5.0)
    assert a.size == 5 and b.heads()[-1].size == 5
    b.verify()


def test_verify_refuses_wrong_trusted_key(tmp_path: Path) -> None:
    led = Ledger.open(tmp_path / "led")
    led.append(_records(3))
    led.sign_head(1.0)
    generate_key(tmp_path / "other")
    other = (tmp_path / "other" / "mission.pub.pem").read_bytes()
    with pytest.raises(VerificationError, match="wrong key"):
        led.verify(other)
    assert led.verify(led.public_key_pem()).key_source == "the key given"


def _open_and_tell_key(path: str, barrier: object, out: object) -> None:
    barrier.wait()  # type: ignore[attr-defined]
    led = Ledger.open(Path(path))
    try:
        out.put(led.key_id)  # type: ignore[attr-defined]
    finally:
        led.close()


def test_processes_creating_one_ledger_at_once_get_one_ledger_and_one_key(
    tmp_path: Path,
) -> None:
    # Two live workers started together both find no ledger: the creation is taken
    # under the ledger's lock, so the second opens what the first made (before, it
    # was refused, or each generated a key of its own).
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    for trial in range(5):
        path = tmp_path / f"ledger{trial}"
        barrier, out = ctx.Barrier(4), ctx.Queue()
        procs = [
            ctx.Process(target=_open_and_tell_key, args=(str(path), barrier, out)) for _ in range(4)
        ]
        for p in procs:
            p.start()
        for p in procs:
            p.join(60)
        assert [p.exitcode for p in procs] == [0, 0, 0, 0], trial
        keys = {out.get(timeout=5) for _ in procs}
        assert len(keys) == 1
        led = Ledger.open(path, readonly=True)
        assert keys == {led.key_id}
        led.close()


def test_a_folder_holding_only_the_lock_is_a_ledger_being_created(tmp_path: Path) -> None:
    # what another process leaves while it creates the ledger under the lock
    path = tmp_path / "ledger"
    path.mkdir()
    (path / "lock").touch()
    led = Ledger.open(path)
    led.close()
    assert (path / "ledger.json").exists()


def test_a_creation_that_did_not_finish_is_refused_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "ledger"
    path.mkdir()
    (path / "lock").touch()
    (path / "records.log").write_bytes(b"partial")
    with pytest.raises(LedgerError, match=r"no ledger\.json"):
        Ledger.open(path)
    assert (path / "records.log").read_bytes() == b"partial"


def test_contains_many_answers_as_contains_for_each_id(tmp_path: Path) -> None:
    led = Ledger.open(tmp_path / "led")
    assert led.contains_many(["r0"]) == [False] and led.contains_many([]) == []
    led.append(_records(300))
    other = Ledger.open(tmp_path / "led")  # another handle: sees the appends after it opened
    led.append(_records(2, "s"))
    ids = ["s1", "r299", "x", "r0", "s2", "r3", "r3", "r30"]
    assert other.contains_many(ids) == [other.contains(i) for i in ids]
    assert other.contains_many(ids) == [True, True, False, True, False, True, True, True]
