"""TDOA groups' candidate memberships (fuse/tdoa_groups.py): the compiled
per-sensor loop (numba, the ``fast`` extra) gives the numpy loop's (group, row)
pairs, and a pair is what the window says: the other sensor's earliest arrival
no earlier than the anchor's time less the slack and no later than the sound's
travel plus the slack after it."""

from __future__ import annotations

import numpy as np
import pytest

from ceasefire.fuse import tdoa_groups as tg
from ceasefire.fuse.config import FuseConfig
from ceasefire.fuse.solve import Rows

CFG = FuseConfig()


def _rows(rng: np.random.Generator, n: int, n_src: int) -> tuple[Rows, np.ndarray]:
    """``n`` arrivals at ``n_src`` microphones (fixed positions over 150 km), sorted
    by time over ten minutes."""
    mx, my = rng.uniform(0.0, 150_000.0, n_src), rng.uniform(0.0, 40_000.0, n_src)
    src = rng.integers(0, n_src, n).astype(np.intp)
    t = np.sort(rng.uniform(0.0, 600.0, n))
    sig = rng.uniform(0.001, 0.5, n)
    z = np.zeros(n)
    rows = Rows(mx[src], my[src], z + np.nan, z + 0.1, t, sig, z + 1.0, z + np.nan, z + np.nan)
    return rows, src


def test_the_compiled_loop_gives_the_numpy_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("numba")
    rng = np.random.default_rng(3)
    rows, src = _rows(rng, 3_000, 60)
    g, r = tg._candidates(rows, src, CFG)
    monkeypatch.setattr(tg, "candidates_kernel", lambda: None)
    g0, r0 = tg._candidates(rows, src, CFG)
    assert np.array_equal(g, g0) and np.array_equal(r, r0)
    assert g.shape[0] > 3 * 3_000  # the premise: many memberships beyond the anchors


@pytest.mark.parametrize("compiled", [True, False])
def test_a_member_is_the_earliest_arrival_in_the_window(
    monkeypatch: pytest.MonkeyPatch, compiled: bool
) -> None:
    if compiled:
        pytest.importorskip("numba")
    else:
        monkeypatch.setattr(tg, "candidates_kernel", lambda: None)
    c = CFG.speed_of_sound_m_s
    # microphone 0 hears at 100 s (row 1); microphone 1, 3.43 km away, at 95, 104,
    # 109 and 120 s (rows 0, 3, 4, 5); microphone 2, 100 km away (beyond 2 R), at
    # 101 s (row 2)
    t = np.array([95.0, 100.0, 101.0, 104.0, 109.0, 120.0])
    src = np.array([1, 0, 2, 1, 1, 1], np.intp)
    x = np.array([3_430.0, 0.0, 100_000.0, 3_430.0, 3_430.0, 3_430.0])
    n = t.shape[0]
    z = np.zeros(n)
    rows = Rows(x, z, z + np.nan, z + 0.1, t, z + 0.1, z + 1.0, z + np.nan, z + np.nan)
    g, r = tg._candidates(rows, src, CFG)
    pairs = set(zip(g.tolist(), r.tolist(), strict=True))
    # the anchor at 100 s (row 1): from microphone 1 the earliest arrival not before
    # 100 - slack: 104 s (within 3430 / c = 10 s + slack), not 95 or 109
    slack = 4.0 * np.sqrt(0.1**2 + 0.1**2)
    assert 100.0 + 3_430.0 / c + slack > 109.0 > 104.0  # the window's premise
    assert (1, 3) in pairs and (1, 0) not in pairs and (1, 4) not in pairs
    # microphone 2 is beyond 2 R of everyone: in no group but its own
    assert {p for p in pairs if 2 in p} == {(2, 2)}
