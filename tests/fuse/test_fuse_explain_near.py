"""Explanation's pre-gate as compiled loops (fuse/explain_near.py, numba, the
``fast`` extra): the same pairs as the numpy pre-gate, the window's pairs made
already gated in the window's order, and the pre-gate never drops a pair the
exact gate would keep (so the explanations do not depend on it)."""

from __future__ import annotations

import numpy as np
import pytest

from ceasefire.fuse import explain as ex
from ceasefire.fuse.explain import ExplainConfig, _Points
from ceasefire.fuse.explain_near import time_passes
from ceasefire.model.arrays import ObservationArrays
from ceasefire.model.vocab import SENSES

CFG = ExplainConfig()


def _obs(rng: np.random.Generator, n: int) -> ObservationArrays:
    """``n`` reports about 48 N 37.5 E over ten minutes, a fifth without a bearing."""
    z = np.zeros(n)
    bearing = rng.uniform(0.0, 360.0, n)
    bearing[: n // 5] = np.nan
    return ObservationArrays(
        id=np.array([f"o{i}" for i in range(n)], dtype=object),
        source=np.array([f"s{i % 7}" for i in range(n)], dtype=object),
        kind=np.zeros(n, np.int8),
        time_s=np.sort(rng.uniform(0.0, 600.0, n)),
        time_sigma_s=rng.uniform(0.05, 3.0, n),
        lat=rng.uniform(47.6, 48.4, n),
        lon=rng.uniform(37.0, 38.0, n),
        bearing_deg=bearing,
        bearing_sigma_deg=rng.uniform(0.5, 30.0, n),
        range_m=z + np.nan,
        range_sigma_m=z + np.nan,
        event=np.zeros(n, np.int8),
        direction=np.zeros(n, np.int8),
        weapon=np.zeros(n, np.int8),
        position_sigma_m=z + np.nan,
        object=np.zeros(n, np.int8),
        count=np.zeros(n, np.int32),
        party=np.full(n, None, dtype=object),
        sense=rng.integers(0, len(SENSES), n).astype(np.int8),
    )


def _pts(rng: np.random.Generator, n: int) -> _Points:
    t = rng.uniform(-300.0, 600.0, n)
    cov = np.column_stack(
        [rng.uniform(1e2, 4e6, n), rng.uniform(1e2, 4e6, n), rng.uniform(-1e2, 1e2, n)]
    )
    cov[: n // 10, 0] = np.nan  # a fix without a covariance fails the bearing bound
    return _Points(
        np.arange(n, dtype=np.intp),
        rng.uniform(47.5, 48.5, n),
        rng.uniform(36.8, 38.2, n),
        t,
        t + rng.uniform(0.0, 30.0, n) * (rng.random(n) < 0.3),
        cov,
    )


def _wide(pts: _Points) -> _Points:
    """``pts`` with every other point's emission window an hour wide (its pairs
    pass the time bound: the range and bearing bounds decide them)."""
    lo, hi = pts.t_lo.copy(), pts.t_hi.copy()
    lo[::2] -= 1_800.0
    hi[::2] += 1_800.0
    return _Points(pts.event, pts.lat, pts.lon, lo, hi, pts.cov)


def _numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ex, "near_kernel", lambda: None)
    monkeypatch.setattr(ex, "window_near_kernel", lambda: None)


def test_the_compiled_pre_gate_keeps_the_numpy_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("numba")
    rng = np.random.default_rng(5)
    obs, pts = _obs(rng, 300), _wide(_pts(rng, 400))
    r = rng.integers(0, 300, 60_000).astype(np.intp)
    pj = rng.integers(0, 400, 60_000).astype(np.intp)
    for travel_sd in (False, True):
        got = ex._near(r, pj, pts, obs, CFG, 9.0, 343.0, travel_sd)
        with monkeypatch.context() as m:
            _numpy(m)
            ref = ex._near(r, pj, pts, obs, CFG, 9.0, 343.0, travel_sd)
        assert got.dtype == np.bool_ and np.array_equal(got, ref)
        assert 1_000 < int(ref.sum()) < 59_000  # the premise: both kinds of pairs, many


def test_the_window_is_made_gated_in_its_order(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("numba")
    rng = np.random.default_rng(6)
    obs, pts = _obs(rng, 400), _pts(rng, 500)
    rows = np.sort(rng.choice(400, 250, replace=False)).astype(np.intp)
    li, pj, gated = ex._window_pairs(rows, pts, obs, CFG, CFG.gate_chi2)
    assert gated
    _numpy(monkeypatch)
    ali, apj, agated = ex._window_pairs(rows, pts, obs, CFG, CFG.gate_chi2)
    assert not agated
    keep = ex._near(rows[ali], apj, pts, obs, CFG, CFG.gate_chi2)
    assert np.array_equal(li, ali[keep]) and np.array_equal(pj, apj[keep])
    assert 0 < li.shape[0] < ali.shape[0]


@pytest.mark.parametrize("travel_sd", [False, True])
def test_the_pre_gate_drops_only_pairs_the_exact_gate_refuses(
    monkeypatch: pytest.MonkeyPatch, travel_sd: bool
) -> None:
    rng = np.random.default_rng(7)
    obs, pts = _obs(rng, 400), _pts(rng, 300)
    # points placed on some reports' rays, a few km out, so that many pairs pass
    k = rng.choice(400, 150, replace=False)
    d = rng.uniform(500.0, 30_000.0, 150)
    b = np.radians(np.nan_to_num(obs.bearing_deg[k], nan=90.0) + rng.normal(0.0, 2.0, 150))
    pts.lat[:150] = obs.lat[k] + d * np.cos(b) / 111_195.0
    pts.lon[:150] = obs.lon[k] + d * np.sin(b) / (111_195.0 * np.cos(np.radians(obs.lat[k])))
    rows = np.arange(400, dtype=np.intp)
    gate = CFG.piece_gate_chi2
    got = ex._residuals(rows, pts, obs, CFG, gate, 343.0, travel_sd)
    # every pair of the window through the exact gate alone
    monkeypatch.setattr(ex, "window_near_kernel", lambda: None)
    monkeypatch.setattr(ex, "_near", lambda r, *a: np.ones(r.shape[0], bool))
    ref = ex._residuals(rows, pts, obs, CFG, gate, 343.0, travel_sd)
    assert ref[0].shape[0] > 20  # the premise: pairs within the exact gate
    for a, b_ in zip(got, ref, strict=True):
        assert np.array_equal(a, b_)


def test_a_paired_rounds_members_are_told_apart_as_by_the_geodesic(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # which members of a paired round its impact time does not explain: decided on
    # the sphere where the distance's bounds leave no doubt, the same answer as the
    # geodesic's emission time on every member (times near the 3 σ + 1 s bound,
    # points up to ~150 km away, some beyond the sphere's 100 km, some NaN times)
    rng = np.random.default_rng(21)
    n = 20_000
    obs = _obs(rng, n)
    rows = rng.integers(0, n, 3 * n).astype(np.intp)
    lat = obs.lat[rows] + rng.uniform(-0.7, 0.7, rows.shape[0])
    lon = obs.lon[rows] + rng.uniform(-1.0, 1.0, rows.shape[0])
    e, _, d = ex._emission(obs, rows, lat, lon, 343.0)
    sd = np.nan_to_num(obs.time_sigma_s[rows], nan=1.0)
    # emission times about the bound, either side, some far off
    t = e + rng.choice([-1.0, 1.0], rows.shape[0]) * (3.0 * sd + 1.0) * rng.uniform(
        0.0, 3.0, rows.shape[0]
    )
    t[::97] = np.nan
    want = np.abs(e - t) > 3.0 * sd + 1.0
    exact: list[int] = []
    emission = ex._emission

    def counted(*args):  # type: ignore[no-untyped-def]
        exact.append(args[1].shape[0])
        return emission(*args)

    monkeypatch.setattr(ex, "_emission", counted)
    got = ex._unexplained(obs, rows, lat, lon, t, 343.0)
    assert got.tolist() == want.tolist()
    assert want.any() and not want.all() and (d > ex.SPHERE_M).any()
    # the premise: the sphere decided many heard members (these times crowd the
    # bound and many points are beyond 100 km), the geodesic the rest
    heard = int((obs.sense[rows] != ex.SEEN).sum())
    assert 0 < sum(exact) < 0.8 * heard


def test_the_time_bound_drops_a_report_arriving_far_off_its_points_time() -> None:
    # a report heard at t = 100 s (σ 1 s, clock slack 2 s, gate 3 σ) from a point
    # ~10 km off: the sound travels 28.9-30.1 s by the sphere's bounds (98 % - 100 m
    # to 102 % + 100 m of 10 km at 343 m/s)
    def heard(emitted: float, d_s: float = 10_000.0) -> bool:
        return time_passes(
            100.0, 1.0, 2.0, True, emitted, emitted, d_s, 48.0, 48.09, 343.0, 0.0, 3.0
        )

    assert heard(70.8)  # on time
    assert heard(68.0)  # 1.97 s late at the longest travel: within the slack
    assert not heard(60.0)  # ~8 s late beyond the slack at the longest travel
    assert not heard(200.0)  # emitted after the report
    assert heard(60.0, d_s=150_000.0)  # beyond the sphere's bounds: the geodesic decides
    # a point's σ in time widens the bound: 8 s over hypot(1, 10) s passes
    assert time_passes(100.0, 1.0, 2.0, True, 60.0, 60.0, 10_000.0, 48.0, 48.09, 343.0, 10.0, 3.0)
    # a seen report travels nothing: 5 s of slack, then 3 σ
    assert time_passes(100.0, 1.0, 5.0, False, 93.0, 93.0, 10_000.0, 48.0, 48.09, 343.0, 0.0, 3.0)
    assert not time_passes(
        100.0, 1.0, 5.0, False, 91.0, 91.0, 10_000.0, 48.0, 48.09, 343.0, 0.0, 3.0
    )
    # an emission window: late only past its end
    assert time_passes(100.0, 1.0, 2.0, True, 40.0, 70.0, 10_000.0, 48.0, 48.09, 343.0, 0.0, 3.0)
