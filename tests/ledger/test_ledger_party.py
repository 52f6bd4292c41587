"""What a party holding an earlier head and the mission's public key detects
(issue 24's tamper suite; the figures are in docs/ledger.md).

The party runs ``Ledger.open(copy, readonly=True).verify(public_key, kept=[head])``
on the copy it is given. Attackers without the key flip bytes, delete, reorder
or cut records and rebuild the derived files so the copy looks whole; attackers
with the key roll the log back to an earlier head, fork the history and re-sign
it, or re-key the ledger and re-sign everything. Every one must fail the check.
"""

from __future__ import annotations

import contextlib
import random
import shutil
import struct
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from ceasefire.ledger import Ledger, SignedTreeHead, generate_key
from ceasefire.ledger.kept import KeptHead
from ceasefire.model.errors import CeasefireError

#: Tamperings per kind (seeded); docs/ledger.md quotes these counts.
COUNTS = {"flip": 160, "delete": 30, "reorder": 30, "truncate": 30, "fork": 8, "rekey": 4}
FILES = [
    "records.log",
    "index.bin",
    "ids.bin",
    "nodes.bin",
    "heads.ndjson",
    "ledger.json",
    "mission.pub.pem",
    "checkpoint",
]
DAYS = 6


@pytest.fixture(scope="module")
def mission(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes, SignedTreeHead]:
    """A ledger of six days (a head each); the public key; the head the party kept."""
    path = tmp_path_factory.mktemp("party") / "led"
    with Ledger.open(path) as led:
        for day in range(DAYS):
            led.append(_day(day))
            head = led.sign_head(1_750_000_000 + 86_400 * day)
        pem = led.public_key_pem()
    return path, pem, head


def _day(day: int, tag: str = "") -> list[dict[str, object]]:
    return [
        {"id": f"d{day}-v{i:03d}", "type": "violation", "party": "AB"[i % 2], "tag": tag}
        for i in range(40 + 7 * day)
    ]


def _party_detects(path: Path, pem: bytes, kept: SignedTreeHead) -> bool:
    try:
        with Ledger.open(path, readonly=True) as led:
            led.verify(pem, kept=[KeptHead("party", head=kept)])
    except CeasefireError:
        return True
    return False


def _frames(path: Path) -> tuple[bytes, list[tuple[int, int]]]:
    data = (path / "records.log").read_bytes()
    raw = (path / "index.bin").read_bytes()
    offs = [struct.unpack_from(">Q", raw, 8 * i)[0] for i in range(len(raw) // 8)]
    spans = [(o, o + 9 + struct.unpack_from(">I", data, o + 1)[0]) for o in offs]
    return data, spans


def _rebuild(path: Path) -> None:
    """What a careful attacker without the key does next: drop the derived files
    and let a writer rebuild them, so the copy looks whole."""
    for name in ("index.bin", "ids.bin", "nodes.bin"):
        (path / name).write_bytes(b"")
    with contextlib.suppress(CeasefireError):  # a refusal leaves the copy inconsistent
        Ledger.open(path).close()


def _flip(path: Path, rng: random.Random) -> None:
    f = path / rng.choice(FILES)
    data = bytearray(f.read_bytes())
    data[rng.randrange(len(data))] ^= rng.randrange(1, 256)
    f.write_bytes(bytes(data))


def _delete(path: Path, rng: random.Random) -> None:
    data, spans = _frames(path)
    a, b = spans[rng.randrange(len(spans))]
    (path / "records.log").write_bytes(data[:a] + data[b:])
    _rebuild(path)


def _reorder(path: Path, rng: random.Random) -> None:
    data, spans = _frames(path)
    i = rng.randrange(len(spans) - 1)
    (a, b), (c, d) = spans[i], spans[i + 1]
    (path / "records.log").write_bytes(data[:a] + data[c:d] + data[a:b] + data[d:])
    _rebuild(path)


def _truncate(path: Path, rng: random.Random) -> None:
    data, spans = _frames(path)
    cut = rng.randrange(spans[0][0], len(data))
    (path / "records.log").write_bytes(data[:cut])
    lines = (path / "heads.ndjson").read_bytes().splitlines(keepends=True)
    keep = rng.randrange(len(lines))  # and drop the heads that would give it away
    (path / "heads.ndjson").write_bytes(b"".join(lines[:keep]))
    (path / "checkpoint").unlink()
    _rebuild(path)


def _fork(path: Path, rng: random.Random, key: Path) -> None:
    """Rewrite from a random day on and re-sign every head with the mission key."""
    day = rng.randrange(DAYS)
    keep_meta = {n: (path / n).read_bytes() for n in ("ledger.json", "mission.pub.pem")}
    _wipe(path)
    with Ledger.open(path, key) as led:
        for d in range(DAYS):
            led.append(_day(d, tag="rewritten" if d >= day else ""))
            led.sign_head(1_750_000_000 + 86_400 * d)
    assert {n: (path / n).read_bytes() for n in keep_meta} == keep_meta


def _wipe(path: Path) -> None:
    for name in list(path.iterdir()):
        if name.is_dir():
            shutil.rmtree(name)
        else:
            name.unlink()


def _rekey(path: Path, rng: random.Random, other: Path) -> None:
    """Replace the key and re-sign the whole (unchanged) history with it."""
    _wipe(path)
    with Ledger.open(path, other) as led:
        for d in range(DAYS):
            led.append(_day(d))
            led.sign_head(1_750_000_000 + 86_400 * d + rng.randrange(2))


def test_a_party_with_an_earlier_head_and_the_key_detects_every_tampering(
    mission: tuple[Path, bytes, SignedTreeHead], ram_path: Path
) -> None:
    tmp_path = ram_path
    base, pem, kept = mission
    assert not _party_detects(base, pem, kept)  # the untouched ledger passes
    rng = random.Random(2405)
    key = base / "keys"
    other = tmp_path / "other-key"
    generate_key(other)
    done: Counter[str] = Counter()
    caught: Counter[str] = Counter()
    missed: list[str] = []

    def trial(kind: str, act: Callable[[Path], None]) -> None:
        copy = tmp_path / "copy"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(base, copy)
        act(copy)
        done[kind] += 1
        if _party_detects(copy, pem, kept):
            caught[kind] += 1
        else:
            missed.append(kind)

    for _ in range(COUNTS["flip"]):
        trial("flip", lambda p: _flip(p, rng))
    for _ in range(COUNTS["delete"]):
        trial("delete", lambda p: _delete(p, rng))
    for _ in range(COUNTS["reorder"]):
        trial("reorder", lambda p: _reorder(p, rng))
    for _ in range(COUNTS["truncate"]):
        trial("truncate", lambda p: _truncate(p, rng))
    for day in range(DAYS - 1):  # back to each earlier head, consistently
        trial("rollback", lambda p, day=day: _rollback_consistent(p, day))
    for _ in range(COUNTS["fork"]):
        trial("fork", lambda p: _fork(p, rng, key))
    for _ in range(COUNTS["rekey"]):
        trial("rekey", lambda p: _rekey(p, rng, other))
    assert missed == [], f"not detected: {Counter(missed)}"
    assert caught == done
    assert sum(done.values()) == sum(COUNTS.values()) + DAYS - 1


def _rollback_consistent(path: Path, day: int) -> None:
    data, spans = _frames(path)
    size = sum(len(_day(d)) for d in range(day + 1))
    (path / "records.log").write_bytes(data[: spans[size][0]])
    lines = (path / "heads.ndjson").read_bytes().splitlines(keepends=True)
    (path / "heads.ndjson").write_bytes(b"".join(lines[: day + 1]))
    (path / "checkpoint").unlink()
    _rebuild(path)
    with Ledger.open(path, readonly=True) as led:  # on its own the rolled-back log verifies
        assert led.verify().size == size
