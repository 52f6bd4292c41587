"""Attachment's candidates with the marginal gate's time half made as the windows
are expanded (:func:`~ceasefire.fuse.association.gates.time_gated_candidates`):
the window pairs less exactly those whose time fails that half, in their order,
so the attach gates pass the same pairs of either. A hand-made case and the
fixed heavy day of the identity test."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ceasefire.fuse import FuseConfig
from ceasefire.fuse.association import Clusters, Reports
from ceasefire.fuse.association import gates as gates_mod
from ceasefire.fuse.association.gates import (
    GateConfig,
    gated,
    time_candidates,
    time_gated_candidates,
)
from ceasefire.fuse.association.reports import DIR_UNDET
from ceasefire.fuse.solve import Rows

C = 343.0
DATA = Path(__file__).with_name("data") / "association_days.npz"
FIELDS = ("ox", "oy", "az", "sigma_az", "t", "sigma_t", "speed_factor", "rng", "sigma_rng")


def _day() -> tuple[Reports, Clusters]:
    """The heavy day of the identity test: its reports and pinned events."""
    key = "heavy2015"
    with np.load(DATA) as d:
        a = {k.split("/", 1)[1]: d[k] for k in d.files if k.startswith(key + "/")}
    cfg = FuseConfig()
    rep = Reports(
        Rows(*(a[f"rows/{f}"] for f in FIELDS)), a["src"], a["phase"], cfg.speed_of_sound_m_s,
        cfg.max_range_m, cfg.min_tdoa_sensors,
    )  # fmt: skip
    cl = Clusters(a["labels"].copy(), a["x"].copy(), a["y"].copy(), a["T"].copy(), a["cov"].copy())
    return rep, cl


def _one_position() -> tuple[Reports, Clusters]:
    # one microphone at the origin; an event 3430 m east, emitted at 0 s and known
    # exactly (zero covariance), is heard at 10 s. The run's largest time sd is
    # 1 s, so its window is 10 +- 4 s. Rows: sd 0.1 s at 12 s (2 s late, 20 sd:
    # fails the time half, 4.03 sd), sd 1 s at 12 s (2 sd: passes), sd 0.1 s at
    # 10.3 s (3 sd: passes), sd 0.1 s at 15 s (outside the window)
    t = np.array([10.3, 12.0, 12.0, 15.0])
    sd = np.array([0.1, 0.1, 1.0, 0.1])
    n = t.shape[0]
    zero, nan, one = np.zeros(n), np.full(n, np.nan), np.ones(n)
    rows = Rows(zero, zero, nan, nan, t, sd, one, nan, nan)
    rep = Reports(rows, np.zeros(n, np.intp), np.full(n, DIR_UNDET, np.int8), C, 30_000.0)
    cl = Clusters(
        np.full(n, -1), np.array([3_430.0]), np.array([0.0]), np.array([0.0]),
        np.zeros((1, 3, 3)),
    )  # fmt: skip
    return rep, cl


@pytest.mark.parametrize("compiled", [True, False])
def test_a_window_pair_whose_time_fails_the_marginal_gate_is_left_out(
    compiled: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if compiled:
        pytest.importorskip("numba")
    else:
        monkeypatch.setattr(gates_mod, "timed_pairs_kernel", lambda: None)
    rep, cl = _one_position()
    free = np.arange(4)
    g, k = time_candidates(rep, free, cl)
    assert k.tolist() == [0, 1, 2]  # the premise: three rows in the window
    g, k = time_gated_candidates(rep, free, cl)
    assert g.tolist() == [0, 0] and k.tolist() == [0, 2]


def test_on_a_heavy_day_the_gated_pairs_are_the_window_pairs_that_pass_the_time_half() -> None:
    pytest.importorskip("numba")
    rep, cl = _day()
    for free in (np.flatnonzero(cl.labels < 0), np.flatnonzero(~rep.is_bearing)):
        g0, k0 = time_candidates(rep, free, cl)
        g1, k1 = time_gated_candidates(rep, free, cl)
        # numpy's time half of every window pair: the compiled test left out these
        ok, _, _, _ = gates_mod._time_numpy(rep.rows, g0, k0, cl, rep.c)
        assert 0 < g1.shape[0] < 0.8 * g0.shape[0]  # the premise: the half decides
        assert np.array_equal(g0[ok], g1) and np.array_equal(k0[ok], k1)
        # the attach gates pass the same pairs, chi-square and dof of either
        a = gated(rep, g0, k0, cl, GateConfig())
        b = gated(rep, g1, k1, cl, GateConfig())
        assert a[0].shape[0] > 0
        assert all(np.array_equal(u, v) for u, v in zip(a, b, strict=True))
