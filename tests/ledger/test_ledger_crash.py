"""A real process killed with SIGKILL mid-append leaves a log that opens and verifies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ceasefire.ledger import Ledger
from ceasefire.ledger.frames import record_frame
from ceasefire.model.errors import VerificationError

WRITER = r"""
import sys
from pathlib import Path
from ceasefire.ledger import Ledger

led = Ledger.open(Path(sys.argv[1]))
b = 0
print("ready", flush=True)
while True:
    led.append([{"id": f"b{b}-{i}", "type": "violation", "pad": "x" * (i % 50)}
                for i in range(500)])
    if b % 5 == 0:
        led.sign_head(1_700_000_000 + b)
    b += 1
"""


@pytest.mark.parametrize("delay_s", [0.35, 0.8, 1.3])
def test_sigkill_during_appends_leaves_a_verifiable_log(tmp_path: Path, delay_s: float) -> None:
    path = tmp_path / "led"
    Ledger.open(path).close()
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(delay_s)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    led = Ledger.open(path)
    for t in led.recovery:  # reported, never silent
        assert t.message()
    report = led.verify()
    assert report.size > 0 and report.size % 500 == 0  # whole batches only
    assert led.contains(f"b{report.size // 500 - 1}-499")
    led.append([{"id": "after-crash", "type": "violation"}])
    led.sign_head(2_000_000_000)
    assert led.verify().size == report.size + 1


def test_torn_tail_is_cut_kept_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "led"
    led = Ledger.open(path)
    led.append([{"id": f"r{i}", "type": "violation"} for i in range(10)])
    led.sign_head(1.0)
    led.close()
    good = (path / "records.log").read_bytes()
    torn = record_frame(b'{"id":"x","type":"violation"}') + record_frame(b'{"id":"y"')[:-5]
    (path / "records.log").write_bytes(good + torn)
    with (path / "heads.ndjson").open("ab") as fh:
        fh.write(b'{"key_id":"ab')
    led = Ledger.open(path)
    files = sorted(t.file for t in led.recovery)
    assert files == ["heads.ndjson", "records.log"]
    rec = next(t for t in led.recovery if t.file == "records.log")
    assert (rec.offset, rec.length, rec.records) == (len(good), len(torn), 1)
    assert "torn tail in records.log at byte offset" in rec.message()
    assert rec.saved_to is not None and (path / rec.saved_to).read_bytes() == torn
    assert (path / "records.log").read_bytes() == good
    assert led.verify().size == 10
    led.close()
    assert Ledger.open(path).recovery == []  # reported once, repaired for good


def test_crash_after_commit_before_index_is_rolled_forward(tmp_path: Path) -> None:
    path = tmp_path / "led"
    led = Ledger.open(path)
    led.append([{"id": f"r{i}", "type": "v"} for i in range(5)])
    led.append([{"id": f"s{i}", "type": "v"} for i in range(7)])
    root = led.root_hash()
    led.close()
    # simulate a crash between the fsync of records.log and the derived files
    for name, keep in (("index.bin", 5 * 8), ("ids.bin", 5 * 8), ("nodes.bin", 32 * 8)):
        os.truncate(path / name, keep)
    led = Ledger.open(path)
    assert led.size == 12 and led.root_hash() == root
    assert {t.file for t in led.recovery} == {"index.bin", "ids.bin", "nodes.bin"}
    led.verify()


def test_cutting_signed_records_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "led"
    led = Ledger.open(path)
    led.append([{"id": f"r{i}", "type": "v"} for i in range(5)])
    led.sign_head(1.0)
    led.close()
    data = (path / "records.log").read_bytes()
    (path / "records.log").write_bytes(data[:-10])
    for name in ("index.bin", "ids.bin", "nodes.bin"):
        (path / name).write_bytes(b"")  # even with the indexes gone, the head remembers
    with pytest.raises(VerificationError, match="signed head covers 5"):
        Ledger.open(path)
