"""``benchmarks/family_attribution.py``'s class table: the classes of named
attributions, their Wilson interval, and the names that system and oracle give
from the same event."""

from __future__ import annotations

import math
import pickle
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import family_attribution
from family_attribution import (
    cause_table,
    elsewhere_matched,
    gap_sources,
    named_class,
    round_elsewhere,
    rounds_own_events,
    same_event_flips,
    undetermined_cause,
    undetermined_reading,
    wilson,
    wrong_classes,
)

from ceasefire.model import Event


def _row(**kw: Any) -> dict[str, Any]:
    return {"truth": "t", "p": 0.95, "named": True, "right": True, "basis": "none"} | kw


def test_the_wilson_interval_of_all_right_has_its_closed_form() -> None:
    # k = n: the lower bound is n / (n + z^2), the upper 1
    lo, hi = wilson(10, 10)
    assert lo == pytest.approx(10 / (10 + 1.96**2))
    assert hi == pytest.approx(1.0)
    lo, hi = wilson(5, 7)
    assert lo < 5 / 7 < hi
    assert all(math.isnan(x) for x in wilson(0, 0))


def test_a_launch_point_is_short_when_its_impact_lies_on_its_side() -> None:
    lp = _row(basis="launch point", launch_signed_m=-8_000.0, close_call=True, side_doubt=0.3)
    assert named_class(lp | {"signed_m": 1_500.0}) == "launch point, across, close call, doubt"
    assert named_class(lp | {"signed_m": -500.0, "close_call": False, "side_doubt": 0.001}) == (
        "launch point, short, clear, no doubt"
    )
    fp = _row(basis="firing position", signed_m=900.0, sigma_n_m=300.0, n_observers=2)
    assert named_class(fp) == "firing position, lone, <= 3 observers, |z| < 4"
    assert named_class(fp | {"sigma_n_m": 200.0, "paired": True}) == (
        "firing position, paired, <= 3 observers, |z| >= 4"
    )


def test_wrong_classes_count_the_wrong_names_against_the_stated() -> None:
    fp = {"basis": "firing position", "signed_m": 300.0, "sigma_n_m": 300.0, "n_observers": 2}
    rows = [
        _row(p=0.9, right=False, **fp),
        _row(p=0.9, **fp),
        _row(p=0.7, named=False, **fp),  # undetermined: not in the named counts
        _row(p=0.99),
    ]
    got = {c["class"]: c for c in wrong_classes([{"system": rows}])}
    c = got["firing position, lone, <= 3 observers, |z| < 4"]
    assert (c["named"], c["wrong"], c["undetermined"], c["undetermined_right"]) == (2, 1, 1, 1)
    assert c["expected_wrong"] == pytest.approx(0.2)
    assert next(iter(got)) == c["class"]  # the most excess wrong first


def test_same_event_flips_compare_the_two_events_reports() -> None:
    draws = [
        {
            "system": [
                _row(truth="a", named=False, reports="x"),
                _row(truth="b", named=False, reports="y"),
                _row(truth="c", reports="z"),
                _row(truth="d", reports="w"),
            ],
            "oracle": [
                _row(truth="a", reports="x"),  # named from the same event
                _row(truth="b", reports="other"),
                _row(truth="c", named=False, reports="z2"),
                _row(truth="d", reports="w"),  # both name it: no flip
            ],
        }
    ]
    assert same_event_flips(draws) == {
        "oracle_names": 2,
        "oracle_names_same": 1,
        "system_names": 1,
        "system_names_same": 0,
    }


def test_what_the_system_read_where_only_the_oracle_names() -> None:
    lp = _row(basis="launch point", named=False, launch_signed_m=-4_000.0, signed_m=2_000.0)
    assert undetermined_reading(lp | {"side_doubt": 0.2, "close_call": True}) == (
        "launch point, side doubt"
    )
    assert undetermined_reading(lp | {"side_doubt": 0.01, "close_call": True}) == (
        "launch point, close call"
    )
    assert undetermined_reading(lp | {"signed_m": -300.0}) == (
        "launch point, impact on the launch's side"
    )
    wide = lp | {"launch_sigma_n_m": 2_000.0}
    assert undetermined_reading(wide) == "launch point, a wide ellipse"
    assert undetermined_reading(lp | {"launch_sigma_n_m": 1_000.0}) == "launch point, other"
    imp = _row(basis="impact across the line", named=False)
    assert undetermined_reading(imp | {"signed_m": -700.0}) == "impact alone, near the line"
    assert undetermined_reading(imp | {"signed_m": 4_000.0}) == "impact alone, far from the line"
    assert undetermined_reading(_row(basis="bearing ray")) == "bearing ray"
    # counted only where the oracle names the violation and the system does not
    sys_rows = [
        imp | {"truth": "a", "signed_m": 4_000.0, "launch_held": "in no event"},
        lp | {"truth": "b", "side_doubt": 0.3, "launch_held": "in this event"},
        imp | {"truth": "c", "signed_m": 200.0, "launch_held": "in no event"},
    ]
    orc_rows = [
        _row(truth="a", basis="launch point"),
        _row(truth="b", basis="launch point"),
        _row(truth="c", basis="launch point", named=False),
    ]
    src = gap_sources([{"draw": 1, "system": sys_rows, "oracle": orc_rows}])
    assert src["system_read"] == {
        "impact alone, far from the line": 1,
        "launch point, side doubt": 1,
    }


def _event(eid: str, ids: tuple[str, ...], **kw: Any) -> Event:
    where = {"lat": None, "lon": None} | kw
    kind = where.pop("kind", "explosion")
    return Event(eid, kind, 0.0, cov_m2=None, observation_ids=ids, n_observers=1, **where)


def test_a_round_owns_the_events_most_of_whose_reports_are_its() -> None:
    rounds = {"r1": {"launch_observations": ["l1", "l2"], "impact_observations": ["i1"]}}
    lone = _event("lone", ("i1",), kind="undetermined")
    launch = _event("launch", ("l1", "l2", "x"), kind="firing", lat=48.0, lon=38.0)
    half = _event("half", ("l1", "x"), lat=48.0, lon=38.0)  # half is not more than half
    own = rounds_own_events([lone, launch, half], rounds)
    assert [e.id for e in own["r1"]] == ["lone", "launch"]
    assert round_elsewhere(lone, own["r1"]) == "the round's event locating its launch"
    assert round_elsewhere(launch, own["r1"]) == "none"  # the lone one locates nothing
    impact = _event("impact", ("i1",), lat=48.0, lon=38.0)
    assert round_elsewhere(lone, [lone, impact]) == "the round's located event"
    # the located one unmatched by the scorer: a double count; matched, it is not
    assert elsewhere_matched(lone, own["r1"], {"lone": "r1"}, "r1") == "nothing"
    got = elsewhere_matched(lone, own["r1"], {"lone": "r1", "launch": "r1"}, "r1")
    assert got == "another violation of this round"
    got = elsewhere_matched(lone, own["r1"], {"lone": "r1", "launch": "r2"}, "r1")
    assert got == "another round's violation"
    # the lone one has no position: beside it, the located one has no other located event
    assert elsewhere_matched(launch, own["r1"], {"lone": "r1"}, "r1") == "no other located event"


def test_why_the_system_leaves_undetermined_what_the_oracle_names() -> None:
    ray = _row(basis="bearing ray", named=False, launch_held="in no event")
    assert undetermined_cause(ray) == "no launch located: its launch reports in no event"
    twice = ray | {"round_elsewhere": "the round's event locating its launch"}
    assert undetermined_cause(twice) == "double count: beside the round's event locating its launch"
    sibling = twice | {"elsewhere_matched": "another round's violation"}
    assert undetermined_cause(sibling) == (
        "beside the round's event locating its launch, matched to another round"
    )
    lp = _row(basis="launch point", named=False, launch_signed_m=-4_000.0, signed_m=2_000.0)
    # a located launch is not a double count, whatever else holds the round
    beside = {"round_elsewhere": twice["round_elsewhere"], "launch_sigma_n_m": 2_000.0}
    assert undetermined_cause(lp | beside) == ("launch ellipse straddles the line")
    assert undetermined_cause(lp | {"launch_sigma_n_m": 500.0, "side_doubt": 0.3}) == (
        "below threshold: launch point, side doubt"
    )
    fp = _row(basis="firing position", named=False, signed_m=900.0, sigma_n_m=300.0)
    assert undetermined_cause(fp) == "below threshold: a firing position"
    assert undetermined_cause(fp | {"sigma_n_m": 400.0}) == "launch ellipse straddles the line"
    draws = [
        {
            "system": [ray | {"truth": "a"}, twice | {"truth": "b", "right": False}, ray],
            "oracle": [
                _row(truth="a", basis="launch point"),
                _row(truth="b", basis="launch point"),
                _row(truth="t", named=False),  # the oracle does not name it: not counted
            ],
        }
    ]
    got = cause_table(draws)
    assert got == {
        "no launch located: its launch reports in no event": {
            "n": 1,
            "right": 1,
            "oracle_right": 1,
        },
        "double count: beside the round's event locating its launch": {
            "n": 1,
            "right": 0,
            "oracle_right": 1,
        },
    }


def test_kept_events_are_read_back_without_fusing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = [_event("a", ("o1",)), _event("b", ("o2", "o3"), kind="firing")]
    (tmp_path / "7-system.pickle").write_bytes(pickle.dumps(kept))
    monkeypatch.setattr(family_attribution, "EVENTS_DIR", tmp_path)
    # no scenario nor mandate: fusing would fail, reading the kept events does not
    assert family_attribution._fused(None, None, 0.0, 1.0, "7-system") == kept
    with pytest.raises(AttributeError):
        family_attribution._fused(None, None, 0.0, 1.0, "8-system")
