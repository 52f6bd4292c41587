"""The scorer on hand-built cases whose right numbers are known."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ceasefire.geo import forward
from ceasefire.simulate.scoring import _Sys, matched_truth, score

T0 = 1_748_725_200.0


def _round(i: int, party: str, t: float, lat: float = 48.3) -> dict[str, Any]:
    la, lo = forward(lat, 38.0, 90.0, 5_000.0)
    return {
        "id": f"tv{i}",
        "rule": "ceasefire",
        "kind": "round",
        "round": f"r{i}",
        "party": party,
        "time": t,
        "impact_time": t + 20.0,
        "launch": [float(lo), float(la)],
        "impact": [38.0, lat],
        "perceived": True,
    }


def _sys(i: str, t: float, lat: float, lon: float, party: str, p: float = 0.9) -> _Sys:
    other = "UA" if party == "RU" else "RU"
    probs = {party: p, other: 1 - p} if party != "undetermined" else {"RU": 0.6, "UA": 0.4}
    return _Sys(
        i,
        "ceasefire",
        t,
        lat,
        lon,
        party,
        p,
        probs,
        {"semi_major_m": 300.0, "semi_minor_m": 300.0, "orientation_deg": 0.0},
    )


TRUTH = {
    "violations": [
        _round(1, "RU", T0),
        _round(2, "UA", T0 + 600, lat=48.4),
        _round(3, "RU", T0 + 1200, lat=48.5),
    ],
    "rounds": [],
}


def test_perfect_prediction() -> None:
    sysv = [
        _sys("a", T0 + 20, 48.3, 38.0, "RU"),
        _sys("b", T0 + 620, 48.4, 38.0, "UA"),
        _sys("c", T0 + 1220, 48.5, 38.0, "RU"),
    ]
    s = score(TRUTH, sysv)
    assert (s["precision"], s["recall"], s["f1"], s["double_counts"]) == (1.0, 1.0, 1.0, 0)
    assert s["localization"]["median_m"] == pytest.approx(0.0, abs=1e-6)
    assert s["attribution"]["accuracy"] == 1.0 and s["ellipse_coverage_95"] == 1.0


def test_a_missing_violation_costs_recall_only() -> None:
    sysv = [_sys("a", T0 + 20, 48.3, 38.0, "RU"), _sys("b", T0 + 620, 48.4, 38.0, "UA")]
    s = score(TRUTH, sysv)
    assert s["precision"] == 1.0 and s["recall"] == pytest.approx(2 / 3)
    assert s["f1"] == pytest.approx(2 * (2 / 3) / (1 + 2 / 3))


def test_launch_and_impact_reported_separately_is_a_double_count() -> None:
    la, lo = forward(48.3, 38.0, 90.0, 5_000.0)
    sysv = [
        _sys("impact", T0 + 20, 48.3, 38.0, "RU"),
        _sys("launch", T0, float(la), float(lo), "RU"),
        _sys("b", T0 + 620, 48.4, 38.0, "UA"),
        _sys("c", T0 + 1220, 48.5, 38.0, "RU"),
    ]
    s = score(TRUTH, sysv)
    assert s["matched"] == 3 and s["double_counts"] == 1
    assert s["precision"] == pytest.approx(3 / 4) and s["recall"] == 1.0


def test_a_paired_violation_matches_by_its_launch_point() -> None:
    """A paired violation whose impact is far off (another round's) but whose launch
    point is the round's is that round's report: 1 match, not a miss and a false
    one; its localization error is its launch point's, 200 m."""
    from dataclasses import replace

    la, lo = forward(48.3, 38.0, 90.0, 5_000.0)
    l2 = forward(float(la), float(lo), 0.0, 200.0)
    far = replace(_sys("p", T0 + 20, 48.6, 38.0, "RU"), launch=(float(l2[0]), float(l2[1])))
    s = score({"violations": [_round(1, "RU", T0)], "rounds": []}, [far])
    assert s["matched"] == 1 and s["attribution"]["accuracy"] == 1.0
    assert s["localization"]["median_m"] == pytest.approx(200.0, abs=1.0)
    assert "ellipse_coverage_95" not in s  # the ellipse is the impact's
    # the launch point counts only against true launches: at the true impact it is false
    at_impact = replace(far, launch=(48.3, 38.0))
    s = score({"violations": [_round(1, "RU", T0)], "rounds": []}, [at_impact])
    assert s["matched"] == 0


def test_wrong_party_and_undetermined() -> None:
    sysv = [
        _sys("a", T0 + 20, 48.3, 38.0, "UA", p=0.85),
        _sys("b", T0 + 620, 48.4, 38.0, "UA"),
        _sys("c", T0 + 1220, 48.5, 38.0, "undetermined", p=0.6),
    ]
    s = score(TRUTH, sysv)
    a = s["attribution"]
    assert a["given_party"] == 2 and a["accuracy"] == pytest.approx(0.5)
    assert a["undetermined_share"] == pytest.approx(1 / 3)
    bins = {r["bin"]: r for r in s["reliability"]}
    assert bins["0.80-0.90"]["accuracy"] == 0.0  # the 0.85 one was wrong
    assert bins["0.90-0.95"]["accuracy"] == 1.0
    assert (
        bins["0.60-0.70"]["accuracy"] == 1.0
    )  # undetermined, but its likeliest party (RU) is right


def test_far_or_late_reports_do_not_match() -> None:
    sysv = [_sys("far", T0 + 20, 48.9, 38.0, "RU"), _sys("late", T0 + 900, 48.4, 38.0, "UA")]
    s = score(TRUTH, sysv)
    assert s["matched"] == 0 and s["precision"] == 0.0


def _with_obs(s: _Sys, *obs: str) -> _Sys:
    return _Sys(s.id, s.rule, s.t, s.lat, s.lon, s.party, s.p, s.probs, s.ell, tuple(obs))


def _dense_exchange() -> tuple[dict[str, Any], _Sys, _Sys]:
    """Two rounds of opposite parties land 300 m and 5 s apart; each report is
    nearer in place and time to the *other* round, but made of its own round's
    observations."""
    r1 = _round(1, "RU", T0, lat=48.3)
    r2 = _round(2, "UA", T0 + 5, lat=48.3027)
    truth = {
        "violations": [r1, r2],
        "rounds": [
            {"id": "r1", "launch_observations": ["a1"], "impact_observations": ["i1", "j1"]},
            {"id": "r2", "launch_observations": ["a2"], "impact_observations": ["i2", "j2"]},
        ],
    }
    s1 = _with_obs(_sys("x", T0 + 24, 48.3025, 38.0, "RU"), "i1", "j1")  # 22 m from r2's impact
    s2 = _with_obs(_sys("y", T0 + 21, 48.3002, 38.0, "UA"), "i2", "j2")  # 22 m from r1's impact
    return truth, s1, s2


def test_matching_follows_the_observations_in_a_dense_exchange() -> None:
    # The matching must follow the evidence, so both attributions (which are
    # right) count as right.
    truth, s1, s2 = _dense_exchange()
    s = score(truth, [s1, s2])
    assert s["matched"] == 2 and s["attribution"]["accuracy"] == 1.0
    # without the observation lists, place and time alone pair them the other way round
    bare = [_with_obs(s1), _with_obs(s2)]
    assert score(truth | {"rounds": []}, bare)["attribution"]["accuracy"] == 0.0


def test_matched_truth_gives_the_scorer_s_pairs() -> None:
    # the dense exchange: each report goes to the round of its observations
    truth, s1, s2 = _dense_exchange()
    far = _sys("z", T0 + 5_000, 48.0, 38.0, "UA")  # matches nothing
    pairs = matched_truth(truth, [far, s1, s2])
    assert [(i, v["id"]) for i, v in pairs] == [(1, "tv1"), (2, "tv2")]
    assert len(pairs) == score(truth, [far, s1, s2])["matched"]


def test_a_report_without_position_matches_only_what_it_perceived() -> None:
    truth = {
        "violations": [_round(1, "RU", T0)],
        "rounds": [{"id": "r1", "launch_observations": ["a1"], "impact_observations": ["i1"]}],
    }
    lone = _Sys("lone", "ceasefire", T0 + 30, None, None, "RU", 0.7, {}, None, ("a1",))
    clutter = _Sys("clutter", "ceasefire", T0 + 10, None, None, "RU", 0.7, {}, None, ("c9",))
    s = score(truth, [clutter, lone])
    assert s["matched"] == 1 and s["recall"] == 1.0 and s["precision"] == 0.5
    assert s["double_counts"] == 0  # the clutter report shares nothing with the round
    # out of the time gate, even shared evidence does not match
    late = _Sys("late", "ceasefire", T0 + 400, None, None, "RU", 0.7, {}, None, ("a1",))
    assert score(truth, [late])["matched"] == 0


def test_a_report_without_position_may_lag_its_round_by_the_sound_travel() -> None:
    # a lone bearing is dated when it was heard: an array 60 km away hears the launch
    # ~175 s after it (and so ~155 s after the impact), beyond the 90 s gate
    truth = {
        "violations": [_round(1, "RU", T0)],
        "rounds": [{"id": "r1", "launch_observations": ["a1"], "impact_observations": ["i1"]}],
    }
    far = _Sys("far", "ceasefire", T0 + 60_000 / 343, None, None, "RU", 0.7, {}, None, ("a1",))
    assert score(truth, [far])["matched"] == 1
    # sound never arrives before the emission: 100 s early stays unmatched
    early = _Sys("early", "ceasefire", T0 - 100.0, None, None, "RU", 0.7, {}, None, ("a1",))
    assert score(truth, [early])["matched"] == 0
    # without the shared observation (a truth that lists none) only the gate counts
    blind = {"violations": [_round(1, "RU", T0)], "rounds": []}
    assert score(blind, [far])["matched"] == 0


def test_misses_are_told_apart_by_what_perceived_them(tmp_path: Path) -> None:
    # r1: two microphones only (no direction: no system can locate or report it);
    # r2: one post's bearing; r3: two observers' bearings and an arrival; r1 and r3
    # are missed, r2 is matched by a report made of its bearing
    truth = {
        "violations": [
            _round(1, "RU", T0),
            _round(2, "UA", T0 + 600, lat=48.4),
            _round(3, "RU", T0 + 1200, lat=48.5),
        ],
        "rounds": [
            {"id": "r1", "launch_observations": ["m1", "m2"], "impact_observations": []},
            {"id": "r2", "launch_observations": ["b2"], "impact_observations": []},
            {"id": "r3", "launch_observations": ["b3", "c3"], "impact_observations": ["m3"]},
        ],
    }
    obs = tmp_path / "observations.ndjson"
    rows = [
        ("m1", "arrival", "mic-1"),
        ("m2", "arrival", "mic-2"),
        ("b2", "bearing", "post-1"),
        ("b3", "bearing", "post-1"),
        ("c3", "bearing", "cam-1"),
        ("m3", "arrival", "mic-1"),
    ]
    obs.write_text(
        "".join(
            json.dumps({"id": i, "kind": k, "source": src, "observer": {"lat": 48.0, "lon": 38.0}})
            + "\n"
            for i, k, src in rows
        )
    )
    lone = _Sys("lone", "ceasefire", T0 + 610, None, None, "UA", 0.7, {}, None, ("b2",))
    s = score(truth, [lone], obs)
    assert s["matched"] == 1
    assert s["misses_by_perception"] == {
        "arrivals only, < 4 sensors": 1,
        "one bearing": 0,
        "two or more bearings": 1,
        "other": 0,
    }
    # over the reportable ones (r2 and r3), recall is 1 of 2 instead of 1 of 3
    assert s["recall"] == pytest.approx(1 / 3)
    assert s["reportable"]["truth"] == 2 and s["reportable"]["recall"] == 0.5
    assert s["reportable"]["f1"] == pytest.approx(2 * 1.0 * 0.5 / 1.5)
    # r1 matched by chance (a report sharing its arrival) still leaves the reportable set
    by_chance = _Sys("mic", "ceasefire", T0 + 5, None, None, "RU", 0.7, {}, None, ("m1",))
    s2 = score(truth, [lone, by_chance], obs)
    assert s2["matched"] == 2 and s2["misses_by_perception"]["arrivals only, < 4 sensors"] == 0
    assert s2["reportable"] == {"truth": 2, "matched": 1, "recall": 0.5, "f1": 2 / 3}
    # without the observations file the scorer cannot tell, and says nothing
    assert "misses_by_perception" not in score(truth, [lone])


def test_double_counts_are_counted_by_kind() -> None:
    """One round, reported four times: its impact (the match: nearest in place and
    time), its launch 5 km away never paired with it (the other phase), a second fix
    300 m from the impact, and a lone report without position on time (the truth
    lists no observations: candidates on time alone). Three double counts, one of
    each kind; a violation matched nowhere else is not one."""
    from dataclasses import replace

    from ceasefire.simulate.scoring import DOUBLE_KINDS

    truth = {"violations": [_round(1, "RU", T0)], "rounds": []}
    la, lo = forward(48.3, 38.0, 90.0, 5_000.0)
    again = forward(48.3, 38.0, 0.0, 300.0)
    sysv = [
        _sys("impact", T0 + 20, 48.3, 38.0, "RU"),
        _sys("launch", T0 + 10, float(la), float(lo), "RU"),
        _sys("again", T0 + 22, float(again[0]), float(again[1]), "RU"),
        replace(_sys("lone", T0 + 25, 48.3, 38.0, "RU"), lat=None, lon=None, ell=None),
        _sys("elsewhere", T0 + 5_000, 48.3, 38.0, "RU"),
    ]
    s = score(truth, sysv)
    assert s["matched"] == 1 and s["double_counts"] == 3
    assert s["double_counts_by_kind"] == {
        DOUBLE_KINDS[0]: 1,  # no position
        DOUBLE_KINDS[1]: 1,  # the launch, unpaired
        DOUBLE_KINDS[2]: 1,  # a second fix of the impact
        DOUBLE_KINDS[3]: 0,
        DOUBLE_KINDS[4]: 0,
    }


def test_double_counts_name_each_extra_beside_the_violation_kept() -> None:
    """The same round reported four times: ``double_counts`` lists the three extras
    by their index in the system's list, each beside the impact (index 0) that
    matched the round, with the kind the scorer counts; the violation an hour and a
    half later is no double. A second round's violation first in the list checks
    that the indices are the caller's, not the rule's."""
    from dataclasses import replace

    from ceasefire.simulate.scoring import DOUBLE_KINDS, double_counts

    truth = {"violations": [_round(1, "RU", T0), _round(2, "UA", T0 + 600, lat=48.4)], "rounds": []}
    la, lo = forward(48.3, 38.0, 90.0, 5_000.0)
    again = forward(48.3, 38.0, 0.0, 300.0)
    sysv = [
        _sys("b", T0 + 620, 48.4, 38.0, "UA"),
        _sys("impact", T0 + 20, 48.3, 38.0, "RU"),
        _sys("launch", T0 + 10, float(la), float(lo), "RU"),
        _sys("again", T0 + 22, float(again[0]), float(again[1]), "RU"),
        replace(_sys("lone", T0 + 25, 48.3, 38.0, "RU"), lat=None, lon=None, ell=None),
        _sys("elsewhere", T0 + 5_000, 48.3, 38.0, "RU"),
    ]
    got = sorted((d.extra, d.kept, d.truth["id"], d.kind) for d in double_counts(truth, sysv))
    assert got == [
        (2, 1, truth["violations"][0]["id"], DOUBLE_KINDS[1]),
        (3, 1, truth["violations"][0]["id"], DOUBLE_KINDS[2]),
        (4, 1, truth["violations"][0]["id"], DOUBLE_KINDS[0]),
    ]
    assert score(truth, sysv)["double_counts"] == len(got)
