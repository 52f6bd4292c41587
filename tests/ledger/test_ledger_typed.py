"""The typed index (typed.bin): listing the intervention records reads those
records only, stays complete across crashes, old ledgers and a damaged index, and
verification catches an index that hides one."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import pytest

from ceasefire.ledger import Ledger
from ceasefire.ledger.typed import NAME
from ceasefire.model.errors import VerificationError


def _violations(n: int, prefix: str) -> list[dict[str, Any]]:
    return [{"id": f"{prefix}{i}", "type": "violation", "pad": "x" * (i % 50)} for i in range(n)]


def _request(k: int) -> dict[str, Any]:
    return {"id": f"req{k}", "type": "intervention-request", "escalation": f"esc{k}"}


def _fill(path: Path) -> tuple[Ledger, list[str]]:
    """A log of violations with interventions here and there, one in the middle
    of a batch; and a violation quoting an intervention's type inside a field."""
    led = Ledger.open(path)
    want = []
    led.append(_violations(300, "a"))
    led.append([_request(0)])
    want.append("req0")
    led.append([*_violations(50, "b"), _request(1), *_violations(50, "c")])
    want.append("req1")
    # nested: the marker is in the bytes, the record is not an intervention
    led.append([{"id": "q", "type": "violation", "note": {"type": "intervention-request"}}])
    led.append([{"id": "ack1", "type": "intervention-ack", "request": "req1"}])
    want.append("ack1")
    led.append(_violations(200, "d"))
    return led, want


def _scan(led: Ledger) -> list[str]:
    """The intervention records' ids by reading every record (what the index spares)."""
    return [
        str(r["id"])
        for i in range(led.size)
        if str((r := led.record(i)).get("type", "")).startswith("intervention-")
    ]


def test_the_listing_is_the_log_s_interventions_in_order(tmp_path: Path) -> None:
    led, want = _fill(tmp_path / "led")
    assert [r["id"] for r in led.intervention_records()] == want == _scan(led)
    led.close()
    with Ledger.open(tmp_path / "led", readonly=True) as ro:
        assert [r["id"] for r in ro.intervention_records()] == want
        ro.verify()


def test_a_listing_reads_the_interventions_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    led, want = _fill(tmp_path / "led")
    led.close()
    reads: list[int] = []
    original = Ledger._record_bytes

    def counted(self: Ledger, index: int) -> bytes:
        reads.append(index)
        return original(self, index)

    monkeypatch.setattr(Ledger, "_record_bytes", counted)
    with Ledger.open(tmp_path / "led", readonly=True) as ro:
        reads.clear()
        assert [r["id"] for r in ro.intervention_records()] == want
        assert len(reads) == len(want)  # of 604 records
        # and another process's append is caught up by reading the new records only
        w = Ledger.open(tmp_path / "led")
        w.append([*_violations(20, "e"), _request(2)])
        w.close()
        reads.clear()
        assert [r["id"] for r in ro.intervention_records()] == [*want, "req2"]
        assert len(reads) == len(want) + 1


def _index(path: Path) -> tuple[int, list[int]]:
    raw = (path / NAME).read_bytes()
    vals = [struct.unpack_from(">Q", raw, k)[0] for k in range(0, len(raw), 8)]
    return vals[0], vals[1:]


def test_a_lagging_count_after_a_crash_is_caught_up(tmp_path: Path) -> None:
    led, want = _fill(tmp_path / "led")
    size = led.size
    led.close()
    covered, entries = _index(tmp_path / "led")
    assert covered == size and len(entries) == len(want)
    # a crash between an entry's write and the count: the count says 301, the
    # entries hold the later ones as well
    with (tmp_path / "led" / NAME).open("r+b") as fh:
        fh.write(struct.pack(">Q", 301))
    with Ledger.open(tmp_path / "led", readonly=True) as ro:
        assert [r["id"] for r in ro.intervention_records()] == want
        ro.verify()  # a lagging count is no damage
    Ledger.open(tmp_path / "led").close()  # a writer brings the file up to date
    assert _index(tmp_path / "led") == (size, entries)


def test_a_ledger_from_before_the_index_gets_one(tmp_path: Path) -> None:
    led, want = _fill(tmp_path / "led")
    size = led.size
    led.close()
    entries = _index(tmp_path / "led")[1]
    (tmp_path / "led" / NAME).unlink()
    with Ledger.open(tmp_path / "led", readonly=True) as ro:  # writes nothing
        assert [r["id"] for r in ro.intervention_records()] == want
        ro.verify()
    assert not (tmp_path / "led" / NAME).exists()
    Ledger.open(tmp_path / "led").close()
    assert _index(tmp_path / "led") == (size, entries)


def test_an_index_hiding_an_intervention_fails_verification(tmp_path: Path) -> None:
    led, want = _fill(tmp_path / "led")
    led.close()
    covered, entries = _index(tmp_path / "led")
    (tmp_path / "led" / NAME).write_bytes(
        struct.pack(">Q", covered) + b"".join(struct.pack(">Q", e) for e in entries[1:])
    )
    with (
        Ledger.open(tmp_path / "led", readonly=True) as ro,
        pytest.raises(VerificationError, match=rf"typed\.bin: misses record {entries[0]} .*repair"),
    ):
        ro.verify()
    # the remedy the message names: remove it, and a writer builds it again
    (tmp_path / "led" / NAME).unlink()
    Ledger.open(tmp_path / "led").close()
    with Ledger.open(tmp_path / "led", readonly=True) as ro:
        ro.verify()
        assert [r["id"] for r in ro.intervention_records()] == want


def test_an_index_naming_another_record_is_not_believed(tmp_path: Path) -> None:
    led, want = _fill(tmp_path / "led")
    led.close()
    covered, entries = _index(tmp_path / "led")
    (tmp_path / "led" / NAME).write_bytes(
        struct.pack(">Q", covered) + b"".join(struct.pack(">Q", e) for e in [5, *entries])
    )
    with Ledger.open(tmp_path / "led", readonly=True) as ro:
        assert [r["id"] for r in ro.intervention_records()] == want  # read from the log
        with pytest.raises(VerificationError, match=r"typed\.bin: lists record 5 "):
            ro.verify()
    Ledger.open(tmp_path / "led").close()  # a writer checks the entries and rebuilds
    assert _index(tmp_path / "led") == (covered, entries)
