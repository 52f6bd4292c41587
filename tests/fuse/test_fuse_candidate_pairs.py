"""Bearing pair candidates (:func:`~ceasefire.fuse.association.pairs.candidate_pairs`):
every two rays with a sample in one voxel of (x, y, emission time), on either grid,
against that definition computed directly; the compiled loops (numba, the ``fast``
extra) give the numpy code's pairs."""

from __future__ import annotations

import numpy as np
import pytest
from grid_rows import seeded_rays

from ceasefire.fuse.association import pairs
from ceasefire.fuse.association.pairs import candidate_pairs
from ceasefire.fuse.association.reports import DIR_UNDET
from ceasefire.fuse.solve import Rows

C = 343.0
CELL_M, CELL_S, RANGE_M = 3_000.0, 8.0, 20_000.0


def _by_definition(rows: Rows, idx: np.ndarray) -> set[tuple[int, int]]:
    steps = np.arange(CELL_M / 4.0, RANGE_M + CELL_M / 2.0, CELL_M / 2.0)
    az = rows.az[idx]
    x = rows.ox[idx, None] + steps[None, :] * np.sin(az)[:, None]
    y = rows.oy[idx, None] + steps[None, :] * np.cos(az)[:, None]
    T = rows.t[idx, None] - rows.speed_factor[idx, None] * steps[None, :] / C
    lo = (x.min(), y.min(), T.min())
    rays: dict[tuple[float, int, int, int], set[int]] = {}
    for shift in (0.0, 0.5):
        kx = np.floor((x - lo[0]) / CELL_M + shift).astype(int)
        ky = np.floor((y - lo[1]) / CELL_M + shift).astype(int)
        kt = np.floor((T - lo[2]) / CELL_S + shift).astype(int)
        for r in range(idx.shape[0]):
            for s in range(steps.shape[0]):
                rays.setdefault((shift, kx[r, s], ky[r, s], kt[r, s]), set()).add(r)
    out: set[tuple[int, int]] = set()
    for members in rays.values():
        m = sorted(members)
        out.update((a, b) for u, a in enumerate(m) for b in m[u + 1 :])
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_candidates_are_the_rays_that_share_a_voxel(seed: int) -> None:
    rows = seeded_rays(400, seed)
    idx = np.arange(5, 400, 2)  # a subset: indices into idx come back
    a, b = candidate_pairs(rows, idx, CELL_M, CELL_S, RANGE_M, C)
    want = _by_definition(rows, idx)
    assert list(zip(a.tolist(), b.tolist(), strict=True)) == sorted(want)
    assert 50 < len(want) < idx.shape[0] * (idx.shape[0] - 1) // 4  # the premise: some meet


@pytest.mark.parametrize("seed", [3, 4])
def test_the_compiled_candidates_are_numpys(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("numba")
    assert pairs.voxel_kernels() is not None
    rows = seeded_rays(3_000, seed)
    idx = np.arange(3_000)
    got = candidate_pairs(rows, idx, CELL_M, CELL_S, RANGE_M, C)
    monkeypatch.setattr(pairs, "voxel_kernels", lambda: None)
    want = candidate_pairs(rows, idx, CELL_M, CELL_S, RANGE_M, C)
    assert want[0].shape[0] > 10_000
    for w, g in zip(want, got, strict=True):
        assert w.dtype == g.dtype and np.array_equal(w, g)


@pytest.mark.parametrize("compiled", [True, False])
def test_pairs_of_one_observer_or_two_phases_are_left_out(
    compiled: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With observers and phases, exactly the voxel pairs of two observers whose
    phases agree (or one is undetermined) come back, in the same order; few
    observers and three phase codes make every case common."""
    if compiled:
        pytest.importorskip("numba")
    else:
        monkeypatch.setattr(pairs, "voxel_kernels", lambda: None)
    rows = seeded_rays(1_500, 5)
    idx = np.arange(1, 1_500, 2)
    rng = np.random.default_rng(6)
    obs = rng.integers(0, 8, idx.shape[0])
    ph = rng.integers(0, 3, idx.shape[0]).astype(np.int8)  # 2: DIR_UNDET
    a, b = candidate_pairs(rows, idx, CELL_M, CELL_S, RANGE_M, C)
    one = obs[a] == obs[b]
    differ = (ph[a] != ph[b]) & (ph[a] != DIR_UNDET) & (ph[b] != DIR_UNDET)
    assert one.sum() > 50 and differ.sum() > 100 and (~one & ~differ).sum() > 100
    ga, gb = candidate_pairs(rows, idx, CELL_M, CELL_S, RANGE_M, C, obs, ph)
    assert np.array_equal(ga, a[~one & ~differ]) and np.array_equal(gb, b[~one & ~differ])
