"""Bearing pairs offered wherever a grid's edges fall (``fuse/association/pairs.py``):
:func:`~ceasefire.fuse.association.pairs.near_pairs` (``PairConfig.offer_s``),
every two rays crossing in front of both within the range whose emission times
at the crossing agree within ``offer_s``, and
:func:`~ceasefire.fuse.association.pairs.box_pairs` (``PairConfig.box_s``),
every two rays with a sample each in a box around the other's, each against its
definition computed over all pairs; a true pair the voxel grids miss (its
crossing's voxels split by an edge) is offered by both; pairs far apart are
not; the compiled loops give the Python loops' keys."""

from __future__ import annotations

import numpy as np
import pytest
from grid_rows import seeded_rays

from ceasefire.fuse.association import pairs
from ceasefire.fuse.association.pairs import (
    PairConfig,
    bearing_pairs,
    box_pairs,
    candidate_pairs,
    near_pairs,
)
from ceasefire.fuse.association.reports import DIR_UNDET, Reports
from ceasefire.fuse.solve import Rows
from ceasefire.fuse.triangulate import intersect_rays

C = 343.0
CELL_M, OFFER_S, RANGE_M = 3_000.0, 8.0, 20_000.0


def _crossing_by_definition(rows: Rows, idx: np.ndarray) -> set[tuple[int, int]]:
    """Every two rows of ``idx`` (as indices into it) whose rays cross in front of
    both within ``RANGE_M + CELL_M / 4`` and whose emission times there agree
    within ``OFFER_S``."""
    a, b = np.triu_indices(idx.shape[0], 1)
    i, j = idx[a], idx[b]
    _, _, r1, r2, _ = intersect_rays(
        rows.ox[i], rows.oy[i], rows.az[i], rows.ox[j], rows.oy[j], rows.az[j]
    )
    f, t, far = rows.speed_factor, rows.t, RANGE_M + CELL_M / 4.0
    with np.errstate(invalid="ignore"):
        ok = (r1 > 0) & (r2 > 0) & (r1 <= far) & (r2 <= far)
        ok &= np.abs(t[i] - f[i] * r1 / C - (t[j] - f[j] * r2 / C)) <= OFFER_S
    return set(zip(a[ok].tolist(), b[ok].tolist(), strict=True))


@pytest.mark.parametrize("seed", [1, 2])
def test_the_crossing_pairs_are_every_pair_that_agrees(seed: int) -> None:
    rows = seeded_rays(500, seed)
    idx = np.arange(3, 500, 2)  # a subset: indices into idx come back
    a, b = near_pairs(rows, idx, CELL_M, OFFER_S, RANGE_M, C)
    got = list(zip(a.tolist(), b.tolist(), strict=True))
    assert got == sorted(set(got))  # ordered by (a, b), each once
    want = _crossing_by_definition(rows, idx)
    assert len(want) > 30  # the premise: some cross and agree
    i, j = idx[a], idx[b]
    _, _, r1, r2, _ = intersect_rays(
        rows.ox[i], rows.oy[i], rows.az[i], rows.ox[j], rows.oy[j], rows.az[j]
    )
    with np.errstate(invalid="ignore"):
        front = (r1 > 0) & (r2 > 0)
    crossing = set(zip(a[front].tolist(), b[front].tolist(), strict=True))
    assert crossing == want
    # the voxel grids' crossing pairs that agree are among them
    va, vb = candidate_pairs(rows, idx, CELL_M, OFFER_S, RANGE_M, C)
    assert set(zip(va.tolist(), vb.tolist(), strict=True)) & want <= want


def _two_posts(
    T: float, late_s: float = 0.0, src_y: float = 6_000.0, third_s: float | None = None
) -> Reports:
    """Two posts 8 km apart hearing one source at (4 km, ``src_y``) emitted at
    ``T`` (s), exact bearings (σ 2°, times σ 2 s), the second ``late_s`` late; ``third_s``: a third
    post far away (its ray pointing away) reporting then, whose samples set the
    voxel grids' origin (their smallest x, y and emission time)."""
    ox, oy = np.array([0.0, 8_000.0]), np.zeros(2)
    dx, dy = 4_000.0 - ox, src_y - oy
    t = T + np.hypot(dx, dy) / C + np.array([0.0, late_s])
    az = np.arctan2(dx, dy)
    if third_s is not None:
        ox, oy = np.append(ox, -30_000.0), np.append(oy, -30_000.0)
        t, az = np.append(t, third_s), np.append(az, np.radians(225.0))
    n = ox.shape[0]
    rows = Rows(
        ox, oy, az, np.radians(np.full(n, 2.0)), t, np.full(n, 2.0), np.ones(n),
        np.full(n, np.nan), np.full(n, np.nan),
    )  # fmt: skip
    return Reports(rows, np.arange(n), np.full(n, DIR_UNDET, np.int8), C, RANGE_M)


def test_a_true_pair_across_a_cell_edge_is_offered() -> None:
    # one event 2 km out, the second report 4 s late (times σ 2 s: the chi-square
    # passes), a far third report moving the grids' origin in time: where the
    # voxels' edges fall against the two rays' samples decides whether the grids
    # offer the pair; near_pairs offers it wherever they fall
    grid, near = [], []
    for third in np.arange(100.0, 108.0, 0.5):
        rep = _two_posts(100.0, late_s=4.0, src_y=2_000.0, third_s=float(third))
        grid.append(bearing_pairs(rep, PairConfig()).i.tolist())
        near.append(bearing_pairs(rep, PairConfig(offer_s=OFFER_S)).i.tolist())
    assert [] in grid and [0] in grid  # the premise: an edge decides
    assert near == [[0]] * len(near)


def test_pairs_apart_in_time_or_beyond_the_range_are_not_offered() -> None:
    cfg = PairConfig(offer_s=OFFER_S)
    # the second report 7 s late: its emission 7 s after the first's at the crossing
    rep = _two_posts(100.0, late_s=7.0)
    a, _ = near_pairs(rep.rows, np.arange(2), CELL_M, OFFER_S, RANGE_M, C)
    assert a.shape[0] == 1
    # 9 s late: beyond offer_s, not offered (the time gate would pass it)
    rep = _two_posts(100.0, late_s=9.0)
    assert near_pairs(rep.rows, np.arange(2), CELL_M, OFFER_S, RANGE_M, C)[0].shape[0] == 0
    assert bearing_pairs(rep, cfg).i.shape[0] == 0
    # the source 25 km out: beyond the range (+ a quarter cell), not offered
    rep = _two_posts(100.0, src_y=25_000.0)
    assert near_pairs(rep.rows, np.arange(2), CELL_M, OFFER_S, RANGE_M, C)[0].shape[0] == 0


def test_one_observer_or_two_phases_are_left_out() -> None:
    rows = seeded_rays(600, 7)
    idx = np.arange(600)
    rng = np.random.default_rng(8)
    obs = rng.integers(0, 8, 600)
    ph = rng.integers(0, 3, 600).astype(np.int8)  # 2: DIR_UNDET
    a, b = near_pairs(rows, idx, CELL_M, OFFER_S, RANGE_M, C)
    one = obs[a] == obs[b]
    differ = (ph[a] != ph[b]) & (ph[a] != DIR_UNDET) & (ph[b] != DIR_UNDET)
    assert one.sum() > 5 and differ.sum() > 10
    ga, gb = near_pairs(rows, idx, CELL_M, OFFER_S, RANGE_M, C, obs, ph)
    assert np.array_equal(ga, a[~one & ~differ]) and np.array_equal(gb, b[~one & ~differ])


def test_the_compiled_loop_is_the_python_loops(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("numba")
    assert pairs.near_kernel() is not None
    rows = seeded_rays(150, 9)
    idx = np.arange(150)
    got = near_pairs(rows, idx, CELL_M, OFFER_S, RANGE_M, C)
    monkeypatch.setattr(pairs, "near_kernel", lambda: None)
    want = near_pairs(rows, idx, CELL_M, OFFER_S, RANGE_M, C)
    assert want[0].shape[0] > 10
    for w, g in zip(want, got, strict=True):
        assert np.array_equal(w, g)


def _box_by_definition(rows: Rows, idx: np.ndarray, box_s: float) -> set[tuple[int, int]]:
    """Every two rows of ``idx`` of two observers (each row its own here) with a
    sample each within ``CELL_M / 2`` in x and y and ``box_s`` in emission time."""
    steps = np.arange(CELL_M / 4.0, RANGE_M + CELL_M / 2.0, CELL_M / 2.0)
    az = rows.az[idx]
    x = rows.ox[idx, None] + steps[None, :] * np.sin(az)[:, None]
    y = rows.oy[idx, None] + steps[None, :] * np.cos(az)[:, None]
    T = rows.t[idx, None] - rows.speed_factor[idx, None] * steps[None, :] / C
    out: set[tuple[int, int]] = set()
    for i in range(idx.shape[0] - 1):
        ok = (np.abs(x[i][None, None, :] - x[i + 1 :, :, None]) <= CELL_M / 2.0) & (
            np.abs(y[i][None, None, :] - y[i + 1 :, :, None]) <= CELL_M / 2.0
        )
        ok &= np.abs(T[i][None, None, :] - T[i + 1 :, :, None]) <= box_s
        out.update((i, i + 1 + int(j)) for j in np.flatnonzero(ok.any(axis=(1, 2))))
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_box_pairs_are_the_rays_with_samples_in_a_box(seed: int) -> None:
    rows = seeded_rays(400, seed)
    idx = np.arange(1, 400, 2)
    a, b = box_pairs(rows, idx, CELL_M, OFFER_S, RANGE_M, C)
    got = list(zip(a.tolist(), b.tolist(), strict=True))
    want = _box_by_definition(rows, idx, OFFER_S)
    assert len(want) > 30
    assert got == sorted(want)


def test_box_pairs_offer_a_true_pair_across_a_cell_edge() -> None:
    grid, box = [], []
    for third in np.arange(100.0, 108.0, 0.5):
        rep = _two_posts(100.0, late_s=4.0, src_y=2_000.0, third_s=float(third))
        grid.append(bearing_pairs(rep, PairConfig()).i.tolist())
        box.append(bearing_pairs(rep, PairConfig(box_s=OFFER_S)).i.tolist())
    assert [] in grid and [0] in grid  # the premise: an edge decides
    assert box == [[0]] * len(box)


def test_box_pairs_leave_far_pairs_out() -> None:
    # 30 s late: at the crossing the emissions 30 s apart, beyond box_s (8 s)
    # and what samples within the box's 1.5 km (per axis) of it add (< 13 s)
    rep = _two_posts(100.0, late_s=30.0)
    assert box_pairs(rep.rows, np.arange(2), CELL_M, OFFER_S, RANGE_M, C)[0].shape[0] == 0
    assert box_pairs(rep.rows, np.arange(2), CELL_M, 40.0, RANGE_M, C)[0].shape[0] == 1
    # far apart in space: two posts 40 km apart, rays pointing away from each other
    rows = Rows(
        np.array([0.0, 40_000.0]), np.zeros(2), np.radians([270.0, 90.0]), np.full(2, 0.02),
        np.array([100.0, 100.0]), np.ones(2), np.ones(2), np.full(2, np.nan), np.full(2, np.nan),
    )  # fmt: skip
    assert box_pairs(rows, np.arange(2), CELL_M, 1_000.0, RANGE_M, C)[0].shape[0] == 0


def test_box_pairs_leave_one_observer_or_two_phases_out() -> None:
    rows = seeded_rays(600, 7)
    idx = np.arange(600)
    rng = np.random.default_rng(8)
    obs = rng.integers(0, 8, 600)
    ph = rng.integers(0, 3, 600).astype(np.int8)  # 2: DIR_UNDET
    a, b = box_pairs(rows, idx, CELL_M, OFFER_S, RANGE_M, C)
    one = obs[a] == obs[b]
    differ = (ph[a] != ph[b]) & (ph[a] != DIR_UNDET) & (ph[b] != DIR_UNDET)
    assert one.sum() > 5 and differ.sum() > 10
    ga, gb = box_pairs(rows, idx, CELL_M, OFFER_S, RANGE_M, C, obs, ph)
    assert np.array_equal(ga, a[~one & ~differ]) and np.array_equal(gb, b[~one & ~differ])


def test_the_compiled_box_loop_is_the_python_loops(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("numba")
    assert pairs.box_kernel() is not None
    rows = seeded_rays(120, 9)
    idx = np.arange(120)
    got = box_pairs(rows, idx, CELL_M, OFFER_S, RANGE_M, C)
    monkeypatch.setattr(pairs, "box_kernel", lambda: None)
    want = box_pairs(rows, idx, CELL_M, OFFER_S, RANGE_M, C)
    assert want[0].shape[0] > 10
    for w, g in zip(want, got, strict=True):
        assert np.array_equal(w, g)
