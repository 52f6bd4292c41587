"""``benchmarks/family_worst.py``: the worst decile's draws of a target, the drawn
values that go with it, and the runs of one set merged."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from family_worst import (
    by_class,
    correlations,
    doubles,
    doubles_noise,
    limit,
    merged,
    rate_for_worst_decile,
    ratio,
    undetermined_gap,
    worst_draws,
)


def _row(
    k: int, f1: float, o_f1: float, dbl: float, und: float, o_und: float, **p: float
) -> dict[str, Any]:
    params = {
        "rounds_per_hour": 50.0, "burst_mean": 2.0, "clutter_mult": 1.0, "sigma_true_mult": 1.0,
        "clock_offset_s": 0.5, "misreport_mult": 1.0, "cameras_per_100km": 2.0,
        "dropout_share": 0.1, "clutter_burst_mean": 1.0, "span_km": 100.0,
    } | p  # fmt: skip
    s = {"f1": f1, "double_rate": dbl, "undetermined": und, "matched": 10, "truth": 20}
    o = {"f1": o_f1, "double_rate": 0.0, "undetermined": o_und, "matched": 12, "truth": 20}
    return {"draw": k, "params": params, "system": s, "oracle": o}


def test_the_measures_of_one_draw() -> None:
    r = _row(1, 0.9, 0.96, 0.05, 0.4, 0.3)
    assert ratio(r, "system") == pytest.approx(0.9375)
    assert ratio(r, "oracle") == 1.0
    assert doubles(r, "system") == pytest.approx(5.0)
    assert undetermined_gap(r, "system") == pytest.approx(10.0)
    r["system"]["undetermined"] = None  # nothing matched: no gap
    assert undetermined_gap(r, "system") is None


def test_worst_draws_by_the_measure_s_direction() -> None:
    # 12 draws: ceil(12 / 10) + 1 = 3 worst; low ratio is worse, high doubles are
    rows = [_row(k, 0.90 + 0.005 * k, 1.0, 0.01 * (k % 5), 0.2, 0.2) for k in range(12)]
    assert [r["draw"] for r in worst_draws(rows, ratio, larger=False)] == [0, 1, 2]
    assert [r["draw"] for r in worst_draws(rows, doubles, larger=True)] == [4, 9, 3]


def test_a_drawn_value_that_drives_the_measure_ranks_first() -> None:
    # the double counts rise with the burst size, whatever the clutter does
    rows = [
        _row(k, 0.95, 1.0, 0.01 * k, 0.2, 0.2, burst_mean=1.0 + 0.3 * k,
             clutter_mult=[1.2, 0.7, 2.0, 1.1, 0.9, 1.6, 0.8, 1.3, 1.0, 2.4][k])
        for k in range(10)
    ]  # fmt: skip
    got = correlations(rows, doubles)
    assert got[0][0] == "burst rounds" and got[0][1] == pytest.approx(1.0)
    clutter = next(c for c in got if c[0] == "clutter x")
    assert abs(clutter[1]) < 0.5
    # a value that does not vary is not read
    assert all(c[0] != "rounds/h" for c in got)


def test_by_class_median_and_worst_decile() -> None:
    rows = [
        _row(k, 0.9 + 0.01 * k, 1.0, 0.0, 0.2, 0.2, burst_mean=5.0 if k < 5 else 1.0)
        for k in range(10)
    ]
    got = {name: (n, fig) for name, n, fig in by_class(rows, ratio, False, ["system"])}
    n, fig = got["batteries in bursts (mean >= 4 rounds)"]
    assert n == 5
    assert fig["system"][0] == pytest.approx(0.92)  # median of 0.90..0.94
    assert fig["system"][1] == pytest.approx(0.904)  # the 10th percentile, interpolated


def test_runs_of_one_set_merge_their_ceilings_and_refuse_another_tree() -> None:
    a = _row(3, 0.9, 1.0, 0.0, 0.2, 0.2)
    b = _row(3, 0.9, 1.0, 0.0, 0.2, 0.2)
    b["likely"] = {"f1": 1.0}
    got = merged([{"draws": [a]}, {"draws": [b]}])
    assert len(got) == 1 and got[0]["likely"] == {"f1": 1.0}
    c = _row(3, 0.9, 1.0, 0.0, 0.2, 0.2)
    c["system"]["matched"] = 11
    with pytest.raises(ValueError, match="draw 3"):
        merged([{"draws": [a]}, {"draws": [c]}])


def test_a_shortfall_from_a_ceiling_correlates_apart_from_the_measure() -> None:
    # the system's doubles rise with the clutter, but so do the ceiling's, by as
    # much: the shortfall is the bursts'
    rows = []
    for k in range(10):
        r = _row(k, 0.95, 1.0, 0.01 * k + 0.002 * ((7 * k) % 10), 0.2, 0.2,
                 clutter_mult=0.5 + 0.2 * k, burst_mean=1.0 + 0.5 * ((7 * k) % 10))  # fmt: skip
        r["registered"] = {"double_rate": 0.01 * k}
        rows.append(r)
    assert correlations(rows, doubles)[0][0] == "clutter x"
    got = correlations(rows, doubles, minus="registered")
    assert got[0][0] == "burst rounds" and got[0][1] == pytest.approx(1.0)


def test_doubles_sampling_noise_by_the_binomial() -> None:
    # 40 draws of 400 violations at a pooled 2 %: the worst decile lies near
    # 2 % + 1.28 sd of a draw's rate (sqrt(0.02 * 0.98 / 400) = 0.7 %), i.e. ~2.9 %
    rows = [_row(k, 0.95, 1.0, 0.02, 0.2, 0.2) for k in range(40)]
    for r in rows:
        r["system"]["system"], r["system"]["double_counts"] = 400, 8
    pooled, mean, sd = doubles_noise(rows, samples=400)
    assert pooled == pytest.approx(2.0)
    assert 2.6 < mean < 3.2 and 0.0 < sd < 0.4
    # smaller draws are noisier: the same rate gives a worse decile
    for r in rows:
        r["system"]["system"], r["system"]["double_counts"] = 50, 1
    assert doubles_noise(rows, samples=400)[1] > mean + 1.0
    # and the rate whose noise alone reaches 3 % lies below the 400-violation case's
    assert 0.5 < rate_for_worst_decile(rows, 3.0) < 2.0


def test_the_limit_read_from_the_ladder_of_ceilings() -> None:
    # the F1 ratio (larger is better), target 0.97
    assert limit(0.98, 0.97, False, {}) == "met"
    assert limit(0.95, 0.97, False, {"likely": 0.96, "registered": 0.99}) == "information"
    assert limit(0.95, 0.97, False, {"perfect": 0.975, "registered": 0.99, "likely": 1.0}) == (
        "noise"
    )
    ceil = {"perfect": 0.95, "registered": 0.99, "likely": 1.0}
    assert limit(0.95, 0.97, False, ceil) == "association"
    ceil["registered"] = 0.96
    assert limit(0.95, 0.97, False, ceil) == "association and noise"
    # double counts (larger is worse), target 3 %
    assert limit(5.0, 3.0, True, {"perfect": 5.1, "registered": 2.9, "likely": 1.4}) == (
        "association"
    )
    # the oracle (association told the truth) misses it too: downstream of association
    ceil = {"perfect": 5.1, "registered": 3.2, "likely": 3.3, "oracle": 3.1}
    assert limit(5.0, 3.0, True, ceil) == "downstream"
