"""Resumable appends, a verify that never writes, `repair`, checks against heads
a party kept (rollback, removed head, fork, replaced key), C2SP checkpoints, and
a damaged key (issue 24, ledger)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from typer.testing import CliRunner

from ceasefire.cli import app
from ceasefire.ledger import Ledger, SignedTreeHead, generate_key, verify_bundle
from ceasefire.ledger.checkpoint import origin_for, parse_checkpoint
from ceasefire.ledger.frames import record_frame
from ceasefire.ledger.kept import KeptHead
from ceasefire.model.errors import LedgerError, VerificationError

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    res = runner.invoke(app, ["ledger", *args])
    return res.exit_code, res.output


def _recs(lo: int, hi: int, tag: str = "") -> list[dict[str, object]]:
    return [{"id": f"r{i:04d}", "type": "violation", "n": i, "tag": tag} for i in range(lo, hi)]


def _snapshot(path: Path) -> dict[str, str]:
    return {
        str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def two_heads(tmp_path: Path) -> tuple[Path, SignedTreeHead, SignedTreeHead]:
    """A ledger of 30 records: a head at 20 (day 1) and one at 30 (day 2)."""
    path = tmp_path / "led"
    with Ledger.open(path) as led:
        led.append(_recs(0, 20))
        h1 = led.sign_head(1_750_000_000)
        led.append(_recs(20, 30))
        h2 = led.sign_head(1_750_086_400)
    return path, h1, h2


# ── resumable append ─────────────────────────────────────────────────────────
def test_append_skips_records_already_present_with_the_same_content(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "led") as led:
        assert led.append(_recs(0, 10)) == list(range(10))
        root10 = led.root_hash()
        assert led.append(_recs(0, 10)) == list(range(10))  # a re-run changes nothing
        assert led.size == 10 and led.root_hash() == root10
        assert led.append(_recs(5, 15)) == list(range(5, 15))  # half old, half new
        assert led.size == 15
        assert [led.record(i)["n"] for i in range(15)] == list(range(15))
        led.verify()


def test_append_refuses_an_id_with_different_content_and_writes_nothing(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "led") as led:
        led.append(_recs(0, 10))
        before = led.root_hash()
        with pytest.raises(LedgerError, match="'r0003' is already in the ledger at index 3 with "):
            led.append([*_recs(10, 12), *_recs(3, 4, tag="changed")])
        assert led.size == 10 and led.root_hash() == before


def test_cli_append_cut_short_is_finished_by_running_it_again(tmp_path: Path) -> None:
    path = tmp_path / "led"
    f = tmp_path / "recs.ndjson"
    f.write_text("".join(json.dumps(r) + "\n" for r in _recs(0, 50)))
    with Ledger.open(path) as led:  # as if killed after the first two batches of 10
        led.append(_recs(0, 10))
        led.append(_recs(10, 20))
    code, out = _run("append", str(path), str(f), "--batch", "10")
    assert code == 0, out
    assert "appended 30 records" in out and "20 records were already in the ledger" in out
    code, out = _run("append", str(path), str(f), "--batch", "10")
    assert code == 0 and "appended 0 records" in out and "50 records were already" in out
    assert Ledger.open(path, readonly=True).size == 50


# ── verify never writes; repair says what it moved ───────────────────────────
def test_verify_of_a_cut_head_line_fails_and_writes_nothing(two_heads: tuple) -> None:
    path, _, h2 = two_heads
    heads = path / "heads.ndjson"
    data = heads.read_bytes()
    heads.write_bytes(data[: data.index(b"\n") + 1 + 40])  # the second head cut short
    before = _snapshot(path)
    code, out = _run("verify", str(path))
    assert code == 1 and "cut-short head line" in out and "ledger repair" in out
    assert _snapshot(path) == before
    code, out = _run("repair", str(path))
    assert code == 0 and "torn/heads-" in out and "40 bytes" in out
    # the party that kept the second head sees it gone
    kept = path.parent / "kept.json"
    kept.write_text(json.dumps(h2.to_dict()))
    code, out = _run("verify", str(path), "--head", str(kept))
    assert code == 1 and "a signed head was removed" in out
    (path / "checkpoint").unlink()  # even with the give-away checkpoint gone
    code, out = _run("verify", str(path), "--head", str(kept))
    assert code == 1 and "no longer among the log's signed heads" in out


def test_verify_of_a_torn_records_tail_fails_and_writes_nothing(two_heads: tuple) -> None:
    path, _, _ = two_heads
    with (path / "records.log").open("ab") as fh:
        fh.write(record_frame(b'{"id":"x","type":"v"}'))
    before = _snapshot(path)
    with pytest.raises(VerificationError, match="after the last complete batch"):
        Ledger.open(path, readonly=True)
    code, out = _run("verify", str(path))
    assert code == 1 and "ledger repair" in out
    assert _snapshot(path) == before
    code, out = _run("repair", str(path))
    assert code == 0 and "torn tail in records.log" in out and "torn/records-" in out
    code, out = _run("repair", str(path))
    assert code == 0 and "nothing to repair" in out
    assert _run("verify", str(path))[0] == 0


def test_verify_of_a_lagging_index_fails_and_repair_rebuilds_it(two_heads: tuple) -> None:
    path, _, _ = two_heads
    os.truncate(path / "index.bin", 8 * 20)
    before = _snapshot(path)
    code, out = _run("verify", str(path))
    assert code == 1 and "index.bin" in out and _snapshot(path) == before
    code, out = _run("repair", str(path))
    assert code == 0 and "index.bin ended at byte offset 160" in out
    assert _run("verify", str(path))[0] == 0


# ── heads a party kept ───────────────────────────────────────────────────────
def _cut_back(path: Path, size: int, heads_kept: int) -> None:
    """Roll the log back to ``size`` records consistently, derived files and all."""
    with Ledger.open(path, readonly=True) as led:
        off = [led._offset(i) for i in range(led.size)]
    rec = (path / "records.log").read_bytes()
    end = off[size] if size < len(off) else len(rec)
    os.truncate(path / "records.log", end)
    for name in ("index.bin", "ids.bin", "nodes.bin"):
        (path / name).write_bytes(b"")
    lines = (path / "heads.ndjson").read_bytes().splitlines(keepends=True)
    (path / "heads.ndjson").write_bytes(b"".join(lines[:heads_kept]))
    (path / "checkpoint").unlink()  # it would give the cut away
    Ledger.open(path).close()  # a writer rebuilds the derived files: the cut is consistent


def test_rollback_to_an_earlier_head_is_caught_by_the_kept_head(two_heads: tuple) -> None:
    path, h1, h2 = two_heads
    _cut_back(path, 20, 1)
    assert Ledger.open(path, readonly=True).verify().size == 20  # alone, it looks fine
    with pytest.raises(VerificationError, match="signed 30 records, but the log holds only 20"):
        Ledger.open(path, readonly=True).verify(kept=[KeptHead("party", head=h2)])
    Ledger.open(path, readonly=True).verify(kept=[KeptHead("party", head=h1)])


def test_a_fork_signed_with_the_same_key_is_caught(two_heads: tuple, tmp_path: Path) -> None:
    path, h1, h2 = two_heads
    fork = tmp_path / "fork"
    with Ledger.open(fork, path / "keys") as led:  # the mission key, another history
        led.append(_recs(0, 20))
        assert led.sign_head(1_750_000_000) == h1  # Ed25519 is deterministic
        led.append(_recs(20, 30, tag="rewritten"))
        led.sign_head(1_750_086_400)
    report = Ledger.open(fork, readonly=True).verify()  # self-consistent and signed
    assert report.size == 30 and report.key_id == h2.key_id
    with pytest.raises(VerificationError, match=r"first 30 records hash to .*rewritten"):
        Ledger.open(fork, readonly=True).verify(kept=[KeptHead("party", head=h2)])
    Ledger.open(fork, readonly=True).verify(kept=[KeptHead("party", head=h1)])  # common prefix
    # the consistency proof a party asks for from its kept head cannot be made to verify
    with Ledger.open(fork, readonly=True) as led:
        bundle = led.prove_consistency(h1)
        pem = led.public_key_pem()
    assert verify_bundle(bundle, pem, kept=h1).old_head == h1
    with Ledger.open(path, readonly=True) as led:
        real = led.prove_consistency(h1)
    with pytest.raises(VerificationError, match="not from the kept head"):
        verify_bundle(real, pem, kept=h2)


def test_a_replaced_key_is_caught_with_the_published_key(two_heads: tuple, tmp_path: Path) -> None:
    path, _, h2 = two_heads
    published = (path / "mission.pub.pem").read_bytes()
    shutil.rmtree(path / "keys")
    for name in ("ledger.json", "mission.pub.pem", "heads.ndjson"):
        (path / name).unlink()
    # whoever holds the files re-keys the ledger and re-signs its history
    generate_key(tmp_path / "other")
    other = Ledger.open(tmp_path / "other-led", tmp_path / "other")
    for name in ("ledger.json", "mission.pub.pem"):
        shutil.copy(tmp_path / "other-led" / name, path / name)
    other.close()
    (path / "heads.ndjson").write_bytes(b"")
    with Ledger.open(path, tmp_path / "other") as led:
        led.sign_head(1_750_086_400)
    Ledger.open(path, readonly=True).verify()  # alone, against its own key: passes
    with pytest.raises(VerificationError, match="created for key"):
        Ledger.open(path, readonly=True).verify(published)
    with pytest.raises(VerificationError, match="signed by key"):
        Ledger.open(path, readonly=True).verify(kept=[KeptHead("party", head=h2)])


def test_cli_verify_with_kept_heads(two_heads: tuple) -> None:
    path, _, _ = two_heads
    code, out = _run("head", str(path), "--json", "--all")
    kept = path.parent / "kept.json"
    kept.write_text(out)
    code, out = _run("verify", str(path), "--head", str(kept))
    assert code == 0 and "extends the 2 head(s) kept" in out
    _cut_back(path, 20, 1)
    code, out = _run("verify", str(path), "--head", str(kept))
    assert code == 1 and "rolled back" in out


# ── C2SP checkpoints ─────────────────────────────────────────────────────────
def test_signed_heads_are_written_as_c2sp_checkpoints(two_heads: tuple) -> None:
    path, _, h2 = two_heads
    note = (path / "checkpoint").read_text()
    text, sig_line = note.split("\n\n")
    origin, size, root_b64 = text.split("\n")
    assert (int(size), base64.b64decode(root_b64).hex()) == (30, h2.root_hash)
    # the signed-note spec, by hand: key ID = SHA-256(name || LF || 0x01 || key)[:4]
    pub = serialization.load_pem_public_key((path / "mission.pub.pem").read_bytes())
    raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert sig_line.startswith(f"\u2014 {origin} ")
    blob = base64.b64decode(sig_line.split(" ")[2])
    assert blob[:4] == hashlib.sha256(origin.encode() + b"\n\x01" + raw).digest()[:4]
    pub.verify(blob[4:], (text + "\n").encode())  # type: ignore[union-attr]
    assert note == h2.checkpoint()
    code, out = _run("head", str(path), "--checkpoint")
    assert code == 0 and out == note
    # a witness's co-signature is ignored, a changed size is not
    cosigned = note + "\u2014 witness.example/w1 " + base64.b64encode(b"\0" * 68).decode() + "\n"
    assert parse_checkpoint(cosigned, pub, origin_for(h2.key_id)) == (
        30,
        bytes.fromhex(h2.root_hash),
    )  # type: ignore[arg-type]
    with pytest.raises(VerificationError, match="does not verify"):
        parse_checkpoint(note.replace("\n30\n", "\n31\n"), pub, origin_for(h2.key_id))  # type: ignore[arg-type]


def test_verify_against_a_kept_checkpoint(two_heads: tuple) -> None:
    path, _, _ = two_heads
    kept = path.parent / "checkpoint.txt"
    shutil.copy(path / "checkpoint", kept)
    assert _run("verify", str(path), "--head", str(kept))[0] == 0
    _cut_back(path, 20, 1)
    code, out = _run("verify", str(path), "--head", str(kept))
    assert code == 1 and "signed 30 records, but the log holds only 20" in out


# ── a damaged key ────────────────────────────────────────────────────────────
@pytest.mark.parametrize("damage", ["truncate", "flip", "empty", "garbage"])
def test_a_damaged_key_gives_a_clear_error(two_heads: tuple, damage: str) -> None:
    path, _, _ = two_heads
    key = path / "keys" / "mission.key"
    pem = key.read_bytes()
    lines = pem.split(b"\n")
    body = bytearray(base64.b64decode(lines[1]))
    body[-5] ^= 0x40
    damaged = {
        "truncate": pem[: len(pem) // 2],
        "flip": b"\n".join([lines[0], base64.b64encode(bytes(body)), *lines[2:]]),
        "empty": b"",
        "garbage": os.urandom(200),
    }[damage]
    key.write_bytes(damaged)
    code, out = _run("head", str(path), "--sign", "--time", "now")
    assert code == 2, out
    assert "mission.key" in out and ("damaged" in out or "not this ledger's" in out)
