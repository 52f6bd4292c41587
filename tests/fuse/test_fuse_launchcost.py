"""The launch-pairing cost loop (fuse/launchcost.py, compiled by numba, the ``fast``
extra) gives the numpy code's candidates and least flight cost to the bit: the
impact-too-early test (with and without ``early_sd``), the distance variance from
both covariances, every weapon's gate, range bounds and speed bound, the named
weapon's cost; and ``pair_launches`` gives the same pairs, margins and side doubt
either way."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from ceasefire.fuse import pairing
from ceasefire.fuse.launchcost import launch_cost_kernel
from ceasefire.fuse.pairing import LaunchPairConfig, _launch_cost_compiled, _launch_cost_numpy
from ceasefire.model.vocab import WEAPONS

F8 = np.ndarray


def _events(rng: np.random.Generator, n: int, t_hi: float) -> tuple[F8, ...]:
    """Positions (m) in a 30 km square, times (s), sd (s), covariances and weapons."""
    cov = np.zeros((n, 2, 2))
    cov[:, 0, 0] = rng.uniform(1e2, 4e6, n)
    cov[:, 1, 1] = rng.uniform(1e2, 4e6, n)
    cov[:, 0, 1] = cov[:, 1, 0] = 0.3 * np.sqrt(cov[:, 0, 0] * cov[:, 1, 1])
    return (
        rng.uniform(0.0, 30e3, n), rng.uniform(0.0, 30e3, n), rng.uniform(0.0, t_hi, n),
        rng.uniform(0.1, 6.0, n), cov, rng.integers(-1, len(WEAPONS), n),
    )  # fmt: skip


#: speeds measured for two classes (fuse/speedcal.py): their own spreads, one
#: narrower and one wider than the others' ``speed_spread``
MEASURED = {"artillery": 0.04, "mortar": 0.3}


@pytest.mark.parametrize("own", [None, MEASURED])
@pytest.mark.parametrize("early_sd", [0.0, 3.0])
def test_the_compiled_loop_gives_the_numpy_candidates_and_costs(
    early_sd: float, own: dict[str, float] | None
) -> None:
    kernel = launch_cost_kernel()
    if kernel is None:
        pytest.skip("numba (the fast extra) is not installed")
    rng = np.random.default_rng(23)
    cfg = LaunchPairConfig(early_sd=early_sd, weapon_spread=own)
    lx, ly, lT, sl, lc, lw = _events(rng, 150, 200.0)
    ix, iy, iT, si, ic, iw = _events(rng, 170, 260.0)
    # every pair a candidate: most fail a gate (inf), some are early impacts
    a, b = (g.ravel().astype(np.intp) for g in np.meshgrid(
        np.arange(150), np.arange(170), indexing="ij"))  # fmt: skip
    args = (lx, ly, lT, ix, iy, iT, sl, si, lc, ic, lw, iw, cfg)
    na, nb, want = _launch_cost_numpy(a, b, *args)
    got = _launch_cost_compiled(kernel, a, b, *args)
    kept = np.isfinite(got)
    # the numpy code drops early impacts before costing them; the loop leaves inf
    assert np.isfinite(want).sum() > 100
    np.testing.assert_array_equal(a[kept], na[np.isfinite(want)])
    np.testing.assert_array_equal(b[kept], nb[np.isfinite(want)])
    assert got[kept].tobytes() == want[np.isfinite(want)].tobytes()
    early = iT[b] < lT[a]
    if early_sd == 0.0:
        assert not kept[early].any()
    else:
        assert kept[early].any()  # some early impacts pass within 3 sigma


@pytest.mark.parametrize("early_sd", [3.0, np.inf])
def test_later_impacts_skip_no_early_test_the_numpy_code_fails(early_sd: float) -> None:
    # the loop passes an impact after its launch without the early bound's hypot;
    # a NaN sd (its bound NaN) or an infinite early_sd with a zero sd (inf x 0)
    # fail the numpy test even then, and must fail the loop's
    kernel = launch_cost_kernel()
    if kernel is None:
        pytest.skip("numba (the fast extra) is not installed")
    rng = np.random.default_rng(29)
    cfg = LaunchPairConfig(early_sd=early_sd)
    lx, ly, lT, sl, lc, lw = _events(rng, 120, 200.0)
    ix, iy, iT, si, ic, iw = _events(rng, 130, 260.0)
    sl[::4], si[1::5] = np.nan, np.nan
    sl[2::6], si[3::7] = 0.0, 0.0
    a, b = (g.ravel().astype(np.intp) for g in np.meshgrid(
        np.arange(120), np.arange(130), indexing="ij"))  # fmt: skip
    args = (lx, ly, lT, ix, iy, iT, sl, si, lc, ic, lw, iw, cfg)
    with np.errstate(invalid="ignore"):
        na, nb, want = _launch_cost_numpy(a, b, *args)
    got = _launch_cost_compiled(kernel, a, b, *args)
    kept = np.isfinite(got)
    later = iT[b] > lT[a]
    nan_sd = np.isnan(sl[a]) | np.isnan(si[b])
    assert not kept[nan_sd].any()
    assert kept[later & ~nan_sd].any()  # later impacts with sds do pass
    np.testing.assert_array_equal(a[kept], na[np.isfinite(want)])
    np.testing.assert_array_equal(b[kept], nb[np.isfinite(want)])
    assert got[kept].tobytes() == want[np.isfinite(want)].tobytes()


def test_pair_launches_is_the_same_with_and_without_the_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if launch_cost_kernel() is None:
        pytest.skip("numba (the fast extra) is not installed")
    rng = np.random.default_rng(5)
    lx, ly, lT, sl, lc, lw = _events(rng, 120, 300.0)
    ix, iy, iT, si, ic, iw = _events(rng, 140, 360.0)
    lc[:5, 0, 0] = np.nan  # absent uncertainty: the stand-in
    sides = rng.choice([-1, 1], 120), rng.choice([-1, 1], 140)
    for cfg in (
        LaunchPairConfig(),
        replace(LaunchPairConfig(), assignment="mutual"),
        LaunchPairConfig(weapon_spread=MEASURED),
    ):
        call = (lx, ly, lT, ix, iy, iT, cfg, lw, iw, lc, ic, sl, si, None, None, *sides)
        compiled = pairing.pair_launches(*call)
        with monkeypatch.context() as m:
            m.setattr(pairing, "launch_cost_kernel", lambda: None)
            numpy_ = pairing.pair_launches(*call)
        assert compiled[0].shape[0] > 5
        for x, y in zip(compiled, numpy_, strict=True):
            assert x.tobytes() == y.tobytes()
