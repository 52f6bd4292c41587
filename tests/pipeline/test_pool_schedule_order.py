"""An order for the pool's second passes as ``benchmarks/pool_schedule.py`` models it
(`second_pass_order`): heavy parts early within a lookahead, the first part not yet
submitted never left behind more than the lookahead."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from pool_schedule import second_pass_order


@pytest.mark.parametrize("weights", [[], [3.0], [1.0, 9.0, 2.0, 9.0, 0.0], [5.0] * 6])
def test_a_lookahead_of_one_is_the_days_order(weights: list[float]) -> None:
    assert second_pass_order(weights, 1) == list(range(len(weights)))


def test_the_heaviest_of_the_window_goes_first() -> None:
    # worked by hand, lookahead 3: of parts 0-2 the heaviest is 1, then of 0 and 2
    # (3 is beyond 0 + 3) 2, then 0; of 3-5 part 4 (a tie with 5: the earlier),
    # then 5, then 3; then 6
    weights = [1.0, 5.0, 2.0, 1.0, 9.0, 9.0, 1.0]
    assert second_pass_order(weights, 3) == [1, 2, 0, 4, 5, 3, 6]


def test_the_days_heavy_tail_is_not_last() -> None:
    # the stress day's 13 parts as session 21 traced them (second passes, CPU-s):
    # parts 10 and 11 are the heaviest; in the day's order they run last
    second = [1.80, 3.93, 2.95, 1.75, 1.33, 2.15, 1.94, 2.22, 2.09, 3.32, 5.70, 6.34, 3.02]
    # by hand: 1, 2, 0 of 0-3; 5, 6, 3 of 3-6; 7, 4 of 4-7; 11, 10, 9, 8 of 8-11; 12
    order = second_pass_order(second, 4)
    assert order == [1, 2, 0, 5, 6, 3, 7, 4, 11, 10, 9, 8, 12]


def test_a_lookahead_beyond_the_day_is_heaviest_first() -> None:
    weights = [2.0, 7.0, 2.0, 4.0, 7.0]
    assert second_pass_order(weights, 5) == [1, 4, 3, 0, 2]
    assert second_pass_order(weights, 50) == [1, 4, 3, 0, 2]


@pytest.mark.parametrize("lookahead", [1, 2, 3, 4, 7])
def test_no_part_waits_beyond_the_lookahead(lookahead: int) -> None:
    """Each part is submitted once; when any part is submitted, the parts after the
    first one not yet submitted that went before it number fewer than ``lookahead``
    (so ``held`` results of at least the lookahead never stop the day)."""
    rng = random.Random(lookahead)
    for _ in range(200):
        n = rng.randrange(0, 20)
        weights = [float(rng.randrange(0, 6)) for _ in range(n)]
        order = second_pass_order(weights, lookahead)
        assert sorted(order) == list(range(n))
        for i in range(n):
            head = min(set(range(n)) - set(order[:i]))
            ahead = [k for k in order[:i] if k > head]
            assert len(ahead) < lookahead
            assert order[i] < head + lookahead


def test_a_lookahead_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="lookahead"):
        second_pass_order([1.0, 2.0], 0)
