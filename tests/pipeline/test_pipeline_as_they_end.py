"""The pool's first passes are taken as they end (``pipeline._as_they_end``), so the
progress told counts the parts done, whatever part ends first."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future
from typing import Any

import pytest

from ceasefire import pipeline


def _futures(n: int) -> dict[int, Future[Any]]:
    return {k: Future() for k in range(n)}


def test_results_come_in_the_order_the_futures_end() -> None:
    running = _futures(4)
    ends = iter([2, 0, 3, 1])

    def aside() -> Iterator[object]:
        # each step of this process's own work: one more part ends meanwhile
        for k in ends:
            running[k].set_result(f"part {k}")
            yield None

    got = list(pipeline._as_they_end(running, aside()))
    assert got == [(2, "part 2"), (0, "part 0"), (3, "part 3"), (1, "part 1")]
    assert len(running) == 4  # the caller's dict is left as it was


def test_futures_already_ended_come_in_the_dicts_order_and_aside_is_not_touched() -> None:
    running = {k: Future() for k in (5, 1, 3)}
    for k, f in running.items():
        f.set_result(k * 10)

    def aside() -> Iterator[object]:
        raise AssertionError("no step is needed when every part has ended")
        yield None  # pragma: no cover

    assert list(pipeline._as_they_end(running, aside())) == [(5, 50), (1, 10), (3, 30)]


def test_a_part_that_failed_raises_its_error() -> None:
    running = _futures(2)
    running[1].set_exception(ValueError("part 1 broke"))
    with pytest.raises(ValueError, match="part 1 broke"):
        list(pipeline._as_they_end(running, iter(())))
