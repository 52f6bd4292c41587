"""Ray seeds of a bearing perceived by light (``fuse/association/seeding.py``,
``SeedConfig.seen_ranges``): a camera's bearing is dated at the emission (speed
factor 0), so the microphones' arrivals place the source along its ray by their
own delay alone. Solved as if it were heard, the same reports give ranges that
disagree (or fall outside the time window): a seed of fewer arrivals, far off."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from ceasefire.fuse.association.reports import DIR_UNDET, Reports
from ceasefire.fuse.association.seeding import SeedConfig, ray_seeds, seen_ranges
from ceasefire.fuse.solve import Rows

C = 343.0
CAMERA = (0.0, 0.0)
MICS = np.array([[2_000.0, 5_000.0], [-1_500.0, 6_000.0], [3_500.0, 2_500.0]])
SOURCE = (1_000.0, 6_000.0)
T0 = 200.0
NEAR = SeedConfig(far_m=0.0)


def _reports(
    seen: bool = True,
    late_s: float = 0.0,
    mics: int = 3,
    quiet: tuple[tuple[float, float], ...] = (),
) -> Reports:
    """The camera's bearing of SOURCE (σ 1°, to 0.2 s; ``seen``: perceived by
    light, else heard) and the first ``mics`` microphones' arrivals (to 5 ms),
    the first ``late_s`` late; then, per position of ``quiet``, a microphone
    listening (reports 300 s before and after the round) that did not hear it."""
    dx, dy = SOURCE[0] - CAMERA[0], SOURCE[1] - CAMERA[1]
    f = 0.0 if seen else 1.0
    xy = MICS[:mics]
    d = np.hypot(SOURCE[0] - xy[:, 0], SOURCE[1] - xy[:, 1])
    late = np.r_[late_s, np.zeros(mics - 1)]
    q = np.repeat(np.array(quiet, float).reshape(-1, 2), 2, axis=0)
    n = 1 + mics + q.shape[0]
    t = np.r_[
        T0 + f * np.hypot(dx, dy) / C,
        T0 + d / C + late,
        np.tile([T0 - 300.0, T0 + 300.0], len(quiet)),
    ]
    rows = Rows(
        np.r_[CAMERA[0], xy[:, 0], q[:, 0]], np.r_[CAMERA[1], xy[:, 1], q[:, 1]],
        np.r_[np.arctan2(dx, dy), np.full(n - 1, np.nan)],
        np.r_[np.radians(1.0), np.full(n - 1, np.nan)],
        t, np.r_[0.2, np.full(n - 1, 0.005)], np.r_[f, np.ones(n - 1)], np.full(n, np.nan),
        np.full(n, np.nan),
    )  # fmt: skip
    src = np.r_[np.arange(1 + mics), 1 + mics + np.repeat(np.arange(len(quiet)), 2)]
    return Reports(rows, src, np.full(n, DIR_UNDET, np.int8), C, 30_000.0)


def test_a_seen_bearing_and_three_arrivals_seed_at_the_source() -> None:
    rep = _reports()
    _, mr, x, y, T = ray_seeds(rep, np.full(4, -1), replace(NEAR, seen_ranges=True))
    assert x.shape[0] == 1
    assert sorted(mr.tolist()) == [0, 1, 2, 3]
    assert np.hypot(x[0] - SOURCE[0], y[0] - SOURCE[1]) < 100.0
    # the camera dated the emission
    assert T[0] == pytest.approx(T0)


def test_solved_as_heard_the_seen_bearing_seeds_two_arrivals_far_off() -> None:
    # the ranges of a heard bearing: two arrivals agree on a point ~4 km short
    _, mr, x, y, _ = ray_seeds(_reports(), np.full(4, -1), NEAR)
    assert x.shape[0] == 1 and mr.shape[0] == 3
    assert np.hypot(x[0] - SOURCE[0], y[0] - SOURCE[1]) > 3_000.0


def test_a_heard_bearing_is_solved_as_before() -> None:
    rep = _reports(seen=False)
    on = ray_seeds(rep, np.full(4, -1), replace(NEAR, seen_ranges=True))
    off = ray_seeds(rep, np.full(4, -1), NEAR)
    assert on[2].shape[0] == 1
    for a, b in zip(on, off, strict=True):
        np.testing.assert_array_equal(a, b)


def test_both_roots_are_candidates_and_the_arrivals_agree_on_one() -> None:
    rep = _reports()
    b, a = np.zeros(3, np.intp), np.arange(1, 4)
    got_b, got_a, r, sd_r, cd = seen_ranges(rep, b, a, np.full(3, np.nan), np.full(3, np.nan))
    assert got_b.tolist() == [0] * 6 and got_a.tolist() == [1, 2, 3, 1, 2, 3]
    true_r = np.hypot(*SOURCE)
    # each arrival's circle meets the ray at the source, and once more elsewhere
    near = np.abs(r - true_r) < 1.0
    assert near.sum() == 3

    # the sd, first order: against the ranges of a bearing moved by 1e-6 rad and
    # a time moved by 1e-6 s
    def moved(d_az: float, d_t: float) -> np.ndarray:
        m = _reports()
        m.rows.az[0] += d_az
        m.rows.t[0] += d_t
        return seen_ranges(m, b, a, np.full(3, np.nan), np.full(3, np.nan))[2]

    g_az = (moved(1e-6, 0.0) - r) / 1e-6
    g_t = (moved(0.0, 1e-6) - r) / 1e-6
    want = np.hypot(g_az * np.radians(1.0), g_t * np.hypot(0.2, 0.005))
    np.testing.assert_allclose(sd_r[near], want[near], rtol=1e-3)
    # what reach_seeds checks: the arrival's distance from the source, not below 0
    np.testing.assert_allclose((r + cd)[near], np.hypot(*(np.array(SOURCE) - MICS).T), atol=1.0)


def test_an_arrival_an_other_rounds_is_left_out() -> None:
    # the first microphone 15 s late (5 km): its range disagrees, the others seed
    rep = _reports(late_s=15.0)
    _, mr, x, _, _ = ray_seeds(rep, np.full(4, -1), replace(NEAR, seen_ranges=True))
    assert x.shape[0] == 1
    assert sorted(mr.tolist()) == [0, 2, 3]


SEEN = replace(NEAR, seen_ranges=True)


def test_three_seen_arrivals_asked_a_seed_of_two_is_not_made() -> None:
    two = _reports(mics=2)
    free = np.full(two.n, -1)
    assert ray_seeds(two, free, SEEN)[2].shape[0] == 1
    assert ray_seeds(two, free, replace(SEEN, seen_arrivals=3))[2].shape[0] == 0
    # three arrivals still seed at the source
    _, mr, x, y, _ = ray_seeds(_reports(), np.full(4, -1), replace(SEEN, seen_arrivals=3))
    assert sorted(mr.tolist()) == [0, 1, 2, 3]
    assert np.hypot(x[0] - SOURCE[0], y[0] - SOURCE[1]) < 100.0
    # a heard bearing's seed of two is not the seen test's to refuse
    heard = _reports(seen=False, mics=2)
    on = ray_seeds(heard, free, replace(SEEN, seen_arrivals=3))
    off = ray_seeds(heard, free, NEAR)
    for a, b in zip(on, off, strict=True):
        np.testing.assert_array_equal(a, b)


def test_the_law_refuses_a_seen_seed_where_near_microphones_stayed_silent() -> None:
    # three listening microphones 0.5-1 km from the source heard nothing
    quiet = ((1_500.0, 6_500.0), (500.0, 5_200.0), (1_000.0, 7_000.0))
    rep = _reports(quiet=quiet)
    free = np.full(rep.n, -1)
    law = replace(SEEN, seen_loss_nats=6.0)
    assert ray_seeds(rep, free, SEEN)[2].shape[0] == 1
    assert ray_seeds(rep, free, law)[2].shape[0] == 0
    # with no silent microphone the law lets it stand
    assert ray_seeds(_reports(), np.full(4, -1), law)[2].shape[0] == 1


@pytest.mark.parametrize("choice", ["far", "sure"])
def test_a_root_choice_keeps_only_the_roots_it_names(choice: str) -> None:
    rep = _reports()
    b, a = np.zeros(3, np.intp), np.arange(1, 4)
    nan = np.full(3, np.nan)
    _, _, r, _, _ = seen_ranges(rep, b, a, nan, nan)
    _, _, got, _, _ = seen_ranges(rep, b, a, nan, nan, choice)
    hi, lo = r[:3], r[3:]
    assert np.isnan(got[3:]).all()
    if choice == "far":
        np.testing.assert_array_equal(got[:3], hi)
    else:
        # an arrival keeps its root only when the other is behind the camera
        behind = lo <= 50.0
        assert behind.any() and not behind.all()
        np.testing.assert_array_equal(got[:3][behind], hi[behind])
        assert np.isnan(got[:3][~behind]).all()


def test_a_root_choice_misspelt_is_refused_by_name() -> None:
    rep = _reports()
    b, a, nan = np.zeros(3, np.intp), np.arange(1, 4), np.full(3, np.nan)
    with pytest.raises(ValueError, match="seen_root: 'nearest', expected one of both, far"):
        seen_ranges(rep, b, a, nan, nan, "nearest")


def test_the_fit_refuses_a_seen_seed_of_arrivals_seconds_from_its_time() -> None:
    # the camera dated 5 s before the emission the arrivals give (another
    # round's): the ranges still agree along the ray, but no one source fits
    rep = _reports()
    rep.rows.t[0] -= 5.0
    free = np.full(4, -1)
    assert ray_seeds(rep, free, SEEN)[2].shape[0] == 1
    assert ray_seeds(rep, free, replace(SEEN, seen_fit=True))[2].shape[0] == 0
    # dated at the emission, the seed fits and stands
    _, mr, x, y, _ = ray_seeds(_reports(), free, replace(SEEN, seen_fit=True))
    assert sorted(mr.tolist()) == [0, 1, 2, 3]
    assert np.hypot(x[0] - SOURCE[0], y[0] - SOURCE[1]) < 100.0
