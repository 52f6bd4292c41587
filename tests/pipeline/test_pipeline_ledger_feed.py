"""The day's ledger batches (``pipeline._LedgerBatches``): records already in
the log are left out, whether logged before or by an earlier batch of the same
feed, and the log asks the ledger for a group's ids at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from ceasefire import pipeline
from ceasefire.ledger import Ledger


def _records(ids: list[str]) -> list[dict[str, object]]:
    return [{"id": i, "type": "escalation", "rule": "r-1", "digests": ["a" * 64]} for i in ids]


def _fed(led: Ledger, records: list[dict[str, object]]) -> int:
    batches = pipeline._LedgerBatches(led)
    steps = sum(1 for _ in batches.feed(records))
    batches.flush()
    return steps


@pytest.mark.parametrize("group", [1, 3, 512])
def test_feed_leaves_out_what_the_log_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, group: int
) -> None:
    """Each record weighs 2 and a batch 4: a batch of two records is appended
    (a step) before the next group; ``c`` repeats after its batch was appended
    and is left out, as ``a`` (logged before) is."""
    monkeypatch.setattr(pipeline, "LEDGER_BATCH_DIGESTS", 4)
    monkeypatch.setattr(pipeline, "FEED_GROUP", group)
    led = Ledger.open(tmp_path / "led")
    led.append(_records(["a"]))
    asked: list[int] = []
    many = led.contains_many

    def spied(ids: list[str]) -> list[bool]:
        asked.append(len(ids))
        return many(ids)

    monkeypatch.setattr(led, "contains_many", spied)
    steps = _fed(led, _records(["b", "a", "c", "d", "c", "e"]))
    assert [led.record(i)["id"] for i in range(led.size)] == ["a", "b", "c", "d", "e"]
    assert steps == 2  # (b, c) and (d, e): two full batches, nothing left to flush
    # the groups asked: every record once, at most ``group`` at a time
    assert sum(asked) == 6 and max(asked) <= group


def test_feed_refuses_a_repeat_within_an_open_batch(tmp_path: Path) -> None:
    """Two records of one id in one open batch: the ledger refuses the batch."""
    led = Ledger.open(tmp_path / "led")
    with pytest.raises(Exception, match="repeats record 0 of the batch"):
        _fed(led, _records(["b", "b"]))
    assert led.size == 0
