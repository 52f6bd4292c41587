"""The ladder run step by step (the live worker's) gives exactly the notices of
``escalate`` over the violations up to each step's end, however the steps fall."""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from test_assess_ladder import SECTORS, H, ladder, v

from ceasefire.assess import escalate
from ceasefire.assess.escalating import LadderRun
from ceasefire.model import Escalation, Violation


def _line(n: int, **trigger: Any) -> dict[str, Any]:
    holder = {1: "UA", 2: "EU", 3: "UN"}[n]
    return {
        "line": n,
        "name": f"line{n}",
        "holder": holder,
        **({"defends": "UA"} if n > 1 else {}),
        "trigger": {"kind": "count", "by": ["RU"], **trigger},
    }


#: three lines: per sector with hysteresis; per party after the first for 1 h;
#: a line counting only high-severity fire per party and sector after the second
LADDER = (
    _line(1, threshold=4, clear_below=2, window_h=1, per="party_sector"),
    _line(2, threshold=7, clear_below=3, window_h=2, per="party", after_below_h=1),
    _line(3, threshold=5, window_h=1, per="party_sector", after_below_h=0.25),
)


def _day(seed: int) -> list[Violation]:
    """Three days of RU (and some UA and undetermined) fire in two sectors: quiet
    stretches and bursts, some at the very same second."""
    rng = random.Random(seed)
    out: list[Violation] = []
    t, i = 0.0, 0
    while t < 72 * H:
        burst = rng.random() < 0.15
        n = rng.randint(3, 14) if burst else 1
        for _ in range(n):
            party = rng.choices(["RU", "UA", "undetermined"], [0.8, 0.1, 0.1])[0]
            sector = rng.choice(["north", "south"])
            out.append(v(i, t, party=party, p=rng.choice([0.95, 0.99]), sector=sector))
            i += 1
            t += rng.choice([0.0, 30.0, 120.0, 300.0]) if burst else 0.0
        t += rng.expovariate(1 / (40 * 60.0))
    return out


def _steps(rng: random.Random, end_s: float) -> list[float]:
    """Step ends: irregular, some on a violation's exact time (a tie at the edge)."""
    ends, t = [], 0.0
    while t < end_s:
        t += rng.choice([1.0, 600.0, 600.0, 3600.0, 4 * H])
        ends.append(t)
    return ends


def _run(vs: list[Violation], m: Any, ends: list[float]) -> list[list[Escalation]]:
    run = LadderRun(m)
    got = []
    lo = -float("inf")
    for b in ends:
        got.append(run.feed([x for x in vs if lo <= x.time_s < b], b))
        lo = b
    return got


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_each_step_gives_the_notices_escalate_gives_before_its_end(seed: int) -> None:
    m = ladder(*LADDER, extra=SECTORS)
    vs = _day(seed)
    rng = random.Random(100 + seed)
    ends = _steps(rng, max(x.time_s for x in vs) + 8 * H)
    ends += [x.time_s for x in rng.sample(vs, 5)]  # ends on a violation's time
    ends = sorted(set(ends))
    got = _run(vs, m, ends)
    lo = -float("inf")
    for b, step in zip(ends, got, strict=True):
        want = [x for x in escalate([x for x in vs if x.time_s < b], m) if lo <= x.time_s < b]
        assert step == want, f"step [{lo}, {b})"
        lo = b
    whole = escalate(vs, m)
    assert [x for s in got for x in s] == whole
    # the ladder is exercised: every line raised and cleared, some late engagements
    kinds = {(x.line, x.state) for x in whole}
    assert kinds == {(n, s) for n in (1, 2, 3) for s in ("raised", "cleared")}
    assert any("after_line" in x.details for x in whole)


def test_one_step_or_many_give_the_same_notices() -> None:
    m = ladder(*LADDER, extra=SECTORS)
    vs = _day(7)
    end = max(x.time_s for x in vs) + 1.0
    one = _run(vs, m, [end])[0]
    many = [x for s in _run(vs, m, [600.0 * k for k in range(1, int(end // 600) + 2)]) for x in s]
    assert one == [x for x in many if x.time_s < end] and len(one) > 10


def test_a_violation_before_the_last_step_is_refused() -> None:
    m = ladder(*LADDER, extra=SECTORS)
    run = LadderRun(m)
    run.feed([v(0, 10.0, sector="north")], 100.0)
    with pytest.raises(ValueError, match=r"this step takes \[100.0, 200.0\)"):
        run.feed([v(1, 50.0, sector="north")], 200.0)
    with pytest.raises(ValueError, match="before the run's"):
        run.feed([], 50.0)


def test_a_ladder_with_a_crossing_line_is_not_run_step_by_step() -> None:
    m = ladder(
        _line(1, threshold=3, window_h=1, per="party"),
        {
            "line": 2,
            "name": "second",
            "holder": "EU",
            "defends": "UA",
            "trigger": {"kind": "crossing", "by": ["RU"], "objects": ["tank"], "window_h": 2},
        },
    )
    with pytest.raises(ValueError, match="count lines only"):
        LadderRun(m)
