"""``benchmarks/family_explain_window.py``'s measured flight window: a paired
round's launch point without launch members takes the speed its tile's clear
pairs fly (pairing's rule, fuse/speedcal.py) instead of the weapon's prior, and
the variant without windows keeps only the points timed by their members."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fuse_scenes import T0, latlon

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import family_explain_window as fw

from ceasefire.fuse import explain as ex_mod
from ceasefire.fuse.explain import ExplainConfig
from ceasefire.geo import inverse
from ceasefire.model.results import Event

CFG = ExplainConfig()
V_ART = CFG.weapons["artillery"].speed_m_s  # the prior, 330 m/s
V_TRUE = 0.8 * V_ART  # what this window's artillery flies


def _event(q: int, flight_m: float, *, close: bool = False) -> Event:
    la, lo = latlon(3_000.0 * q, 6_000.0)
    lla, llo = latlon(3_000.0 * q, 6_000.0 - flight_m)
    flags = ("pair_close_call", "paired") if close else ("paired",)
    return Event(
        id=f"ev-{q}",
        kind="explosion",
        time_s=T0 + 100.0 * q,
        lat=la,
        lon=lo,
        cov_m2=(100.0**2, 100.0**2, 0.0),
        observation_ids=(f"o-{q}",),
        n_observers=2,
        weapon="artillery",
        launch_lat=lla,
        launch_lon=llo,
        launch_cov_m2=(150.0**2, 150.0**2, 0.0),
        flags=flags,
    )


def _flight_m(e: Event) -> float:
    _, d = inverse(
        np.array([e.lat]), np.array([e.lon]), np.array([e.launch_lat]), np.array([e.launch_lon])
    )
    return float(d[0])


def _points(events: list[Event], timed: list[bool]) -> ex_mod._Points:
    """``explain._points``'s shape: every fix, then every launch point, timed by
    members (flown at ``V_TRUE``) or a window by the prior's speed × (1 ∓ 0.3)."""
    n = len(events)
    lat = np.array([e.lat for e in events] + [e.launch_lat for e in events], np.float64)
    lon = np.array([e.lon for e in events] + [e.launch_lon for e in events], np.float64)
    _, d = inverse(lat[:n], lon[:n], lat[n:], lon[n:])
    t = np.array([e.time_s for e in events])
    lo = np.where(timed, t - d / V_TRUE, t - d / (0.7 * V_ART))
    hi = np.where(timed, t - d / V_TRUE, t - d / (1.3 * V_ART))
    return ex_mod._Points(
        np.r_[np.arange(n), np.arange(n)].astype(np.intp),
        lat,
        lon,
        np.r_[t, lo],
        np.r_[t, hi],
        np.full((2 * n, 3), [100.0**2, 100.0**2, 0.0]),
    )


@pytest.fixture
def shipped(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Install a stand-in for ``explain._points`` returning the given points."""

    def install(p: ex_mod._Points) -> None:
        monkeypatch.setattr(ex_mod, "_points", lambda *a: p)

    return install


def test_a_window_takes_the_speed_the_clear_pairs_fly(shipped: Any) -> None:
    events = [_event(q, 8_000.0 + 1_000.0 * q) for q in range(6)]
    timed = [True] * 5 + [False]
    p = _points(events, timed)
    shipped(p)
    got = fw._measured_points(3.0)(events, None, None, CFG, 343.0)
    # the timed points are left as they are
    assert np.array_equal(got.t_lo[:11], p.t_lo[:11])
    d = _flight_m(events[5])
    flight = events[5].time_s - d / V_TRUE  # launch at the measured speed
    prior_mid = events[5].time_s - d / V_ART
    assert got.t_lo[11] < flight < got.t_hi[11]
    # narrower than the prior's 30 % and about the measured speed, not the prior's
    assert got.t_hi[11] - got.t_lo[11] < 0.5 * (p.t_hi[11] - p.t_lo[11])
    assert not got.t_lo[11] <= prior_mid <= got.t_hi[11]


def test_close_calls_do_not_measure(shipped: Any) -> None:
    # four pairs, one a close call: fewer than the four clear pairs pairing needs
    events = [_event(q, 8_000.0, close=(q == 0)) for q in range(4)] + [_event(4, 9_000.0)]
    p = _points(events, [True] * 4 + [False])
    shipped(p)
    got = fw._measured_points(3.0)(events, None, None, CFG, 343.0)
    assert np.array_equal(got.t_lo, p.t_lo) and np.array_equal(got.t_hi, p.t_hi)


def test_without_windows_only_timed_launch_points_stay(shipped: Any) -> None:
    events = [_event(q, 8_000.0) for q in range(3)]
    p = _points(events, [True, False, True])
    shipped(p)
    got = fw._measured_points(0.0)(events, None, None, CFG, 343.0)
    # the three fixes and the two timed launch points
    assert got.event.tolist() == [0, 1, 2, 0, 2]
    assert np.array_equal(got.t_lo, got.t_hi)


def test_a_wider_spread_is_capped_by_explains_own(shipped: Any) -> None:
    # pairs flying 0.8x the prior +-40 %: the measured spread is capped at 0.3
    events = [_event(q, 8_000.0) for q in range(9)]
    p = _points(events, [True] * 8 + [False])
    jitter = np.array([0.6, 1.4, 0.7, 1.3, 0.6, 1.4, 1.0, 1.0])
    lo, hi = p.t_lo.copy(), p.t_hi.copy()
    lo[9:17] = hi[9:17] = p.t_lo[:8] - (p.t_lo[:8] - p.t_lo[9:17]) * jitter
    p = replace(p, t_lo=lo, t_hi=hi)
    shipped(p)
    got = fw._measured_points(4.0)(events, None, None, CFG, 343.0)
    t, d = events[8].time_s, _flight_m(events[8])
    assert got.t_lo[17] == pytest.approx(t - d / (V_TRUE * 0.7), abs=1e-3)
    # the window's fast end at the same capped spread
    assert got.t_hi[17] == pytest.approx(t - d / (V_TRUE * 1.3), abs=1e-3)
