"""Why a violation of one side has no match on the other (stream/compare.py)."""

from __future__ import annotations

from ceasefire.model import Violation
from ceasefire.stream.compare import compare_violations, why_differs


def _v(vid: str, obs: tuple[str, ...], t: float, paired: bool = False) -> Violation:
    return Violation(
        id=vid, rule="ceasefire", severity="high", kind="explosion", time_s=t,
        lat=48.0, lon=38.0, cov_m2=None, party="undetermined", party_probability=0.5,
        probabilities={}, event_ids=(), observation_ids=obs, distance_to_line_km=None,
        side=None, response="record", launch_lat=47.9 if paired else None,
        launch_lon=38.1 if paired else None,
    )  # fmt: skip


def test_differences_are_told_by_the_reports_they_share() -> None:
    live = [
        _v("same", ("a",), 0.0),
        _v("l1", ("b", "c"), 100.0),  # the batch paired b with its launch d
        _v("l2", ("e",), 200.0),  # the batch grouped e with f (neither paired)
        _v("l3", ("g",), 300.0),  # the batch made no violation of g
    ]
    batch = [
        _v("same", ("a",), 0.0),
        _v("b1", ("b", "c", "d"), 150.0, paired=True),
        _v("b2", ("e", "f"), 250.0),
    ]
    c = compare_violations(live, batch)
    assert (c.same_id, c.matched, len(c.only_a), len(c.only_b)) == (1, 0, 3, 2)
    assert why_differs(c.only_a, batch) == {"pairing": 1, "grouping": 1, "none": 1}
    assert why_differs(c.only_b, live) == {"pairing": 1, "grouping": 1, "none": 0}
