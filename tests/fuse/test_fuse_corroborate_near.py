"""Corroboration's search of nearby activity as one compiled loop
(fuse/corroborate_near.py, numba, the ``fast`` extra): the same query points
found as by the k-d trees, on ties of the box's and the disc's edges too."""

from __future__ import annotations

import numpy as np
import pytest

from ceasefire.fuse import corroborate as co


def _both(monkeypatch: pytest.MonkeyPatch, *args: object) -> tuple[np.ndarray, np.ndarray]:
    compiled = co._near(*args)  # type: ignore[arg-type]
    with monkeypatch.context() as m:
        m.setattr(co, "near_sorted_kernel", lambda: None)
        trees = co._near(*args)  # type: ignore[arg-type]
    return compiled, trees


def test_the_compiled_search_finds_the_k_d_trees_points(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("numba")
    rng = np.random.default_rng(3)
    for n_q, n_p in [(300, 200), (50, 0), (1, 400), (400, 400)]:
        q = rng.uniform(-40_000.0, 40_000.0, (3, n_q))
        p = rng.uniform(-40_000.0, 40_000.0, (3, n_p))
        qt = np.round(rng.uniform(0.0, 3_600.0, n_q))
        pt = np.round(rng.uniform(0.0, 3_600.0, n_p))
        for min_m in (0.0, 1.0):
            got, want = _both(monkeypatch, q[0], q[1], qt, p[0], p[1], pt, 15_000.0, 120.0, min_m)
            assert got.dtype == np.bool_
            np.testing.assert_array_equal(got, want)
        # some found, some not: the case tests both answers
        assert 0 < want.sum() < n_q or n_p == 0 or n_q == 1


def test_the_edges_of_the_box_and_the_disc(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("numba")
    # a query at the origin, time 0; points exactly at the time window's edge (120 s),
    # the disc's edge (15 km), just beyond each, 0.5 m away, and at the same position
    px = np.array([0.5, 15_000.0, 15_000.001, 9_000.0, 0.0, 0.0])
    py = np.array([0.0, 0.0, 0.0, 12_000.0, 0.0, 0.0])
    pt = np.array([120.0, 0.0, 0.0, -120.0, 120.001, 0.0])
    one = np.zeros(1)
    for keep in range(px.shape[0]):
        sel = np.array([keep])
        for min_m in (0.0, 1.0):
            got, want = _both(
                monkeypatch, one, one, one, px[sel], py[sel], pt[sel], 15_000.0, 120.0, min_m
            )
            np.testing.assert_array_equal(got, want)
    # at the edges found, beyond them not; 0.5 m away only with min_m 0, the same
    # position never (the distance must exceed min_m)
    found = [
        bool(co._near(one, one, one, px[[k]], py[[k]], pt[[k]], 15_000.0, 120.0, 0.0)[0])
        for k in range(px.shape[0])
    ]
    assert found == [True, True, False, True, False, False]
    assert not co._near(one, one, one, px[[0]], py[[0]], pt[[0]], 15_000.0, 120.0, 1.0)[0]
