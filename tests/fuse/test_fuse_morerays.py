"""Ray pairing's more bearings by compiled loops (fuse/morerays.py, numba, the
``fast`` extra): the pair's cost at each sample of its ray, the rows worth a fit
and the fits' systems give the numpy code's numbers to the bit, on the calls a
simulated day of bearings makes and on random rays; the bearings joined are the
same."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from grid_rows import random_bearing_rows

from ceasefire.fuse import fuse
from ceasefire.fuse import tiles as tl
from ceasefire.fuse.pairing import LaunchPairConfig
from ceasefire.fuse.raypairs import Points, RayPairConfig, Rays
from ceasefire.fuse.weapons import per_code
from ceasefire.mandate import load_mandate
from ceasefire.model.vocab import WEAPONS
from ceasefire.pipeline import fuse_config
from ceasefire.simulate import get_profile, simulate

# every test of the module on one worker: its module fixtures are made once, not
# once a worker
pytestmark = pytest.mark.xdist_group("fuse-morerays")

rp = importlib.import_module("ceasefire.fuse.raypairs")
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Calls:
    """The arguments of every ``_more_rays`` and ``_two_rays_fit`` call of a fuse."""

    more: list[tuple[Any, ...]]
    fits: list[tuple[Any, ...]]


@pytest.fixture(scope="module")
def day() -> Calls:
    """24 h of the heavy profile's bearing reports on the Donbas mandate, fused as
    the batch fuses them (one process)."""
    pytest.importorskip("numba")
    m = load_mandate(ROOT / "examples" / "donbas-2015" / "mandate.yaml")
    t0 = datetime(2025, 6, 1, 11, tzinfo=m.tz).timestamp()
    obs = simulate(m, get_profile("heavy"), t0, 24.0, 11).observations
    obs = tl.canonical(obs.take(np.flatnonzero(np.isfinite(obs.bearing_deg))))
    calls = Calls([], [])
    more, fit = rp._more_rays, rp._two_rays_fit
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(rp, "_more_rays", lambda *a: (calls.more.append(a), more(*a))[1])
        mp.setattr(rp, "_two_rays_fit", lambda *a: (calls.fits.append(a), fit(*a))[1])
        fuse(obs, replace(fuse_config(m), workers=1))
    return calls


def _numpy(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(rp, "more_costs_kernel", lambda: None)
    mp.setattr(rp, "fit_system_kernel", lambda: None)


def _per_numpy(a: tuple[Any, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The numpy code's pair costs per sample and rows worth a fit of a
    ``_more_rays`` call's arguments."""
    pt, r1, _, pw, w1, launch_ray, pair_pt, pair_ray, pair_cost, cand, cand_ray, src1, src2 = a[:13]
    cfg, launches = a[15], a[16]
    p, q = pair_pt[cand], pair_ray[cand]
    if launch_ray:
        per, _, _ = rp._sample_costs(r1.take(q, 1), pt.take(p, 2), w1[q], pw[p], cfg, launches)
    else:
        per, _, _ = rp._sample_costs(pt.take(p, 1), r1.take(q, 2), pw[p], w1[q], cfg, launches)
    per = per.reshape(cand.shape[0], -1)
    other = src2[cand_ray] != src1[q]
    near = ~(per - pair_cost[cand][:, None] > cfg.more_rays_chi2 + rp._FIT_SLACK)
    ce, ci = np.nonzero(other[:, None] & near)
    return per, ce, ci


def _per_compiled(a: tuple[Any, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    pt, r1, _, pw, w1, launch_ray, pair_pt, pair_ray, pair_cost, cand, cand_ray, src1, src2 = a[:13]
    cfg, launches = a[15], a[16]
    p, q = pair_pt[cand], pair_ray[cand]
    lo, im, x, y, lw, iw = (r1, pt, q, p, w1, pw) if launch_ray else (pt, r1, p, q, pw, w1)
    kernel = rp.more_costs_kernel()
    out: tuple[np.ndarray, np.ndarray, np.ndarray] = kernel(
        rp._fields(lo), rp._fields(im), x, y, lw, iw, rp._weapon_terms(cfg, launches),
        rp._cost_terms(launches), cfg.range_prior, cfg.early_sd, pair_cost[cand],
        src2[cand_ray] != src1[q], cfg.more_rays_chi2 + rp._FIT_SLACK,
    )  # fmt: skip
    return out


def test_a_days_pair_costs_and_rows_are_the_numpy_codes(day: Calls) -> None:
    finite = rows = 0
    both = set()
    for a in day.more:
        want = _per_numpy(a)
        got = _per_compiled(a)
        assert got[0].dtype == np.float64 and got[0].shape == want[0].shape
        for g, w in zip(got, want, strict=True):
            assert np.array_equal(g, w)  # inf where the numpy code has inf, else its bits
        finite += int(np.isfinite(want[0]).sum())
        rows += want[1].shape[0]
        both.add(bool(a[5]))
    # the premise: many finite costs and rows to fit, launch rays and impact rays
    assert len(day.more) >= 10 and finite > 500 and rows > 100 and both == {True, False}


def test_a_days_fits_are_the_numpy_codes(day: Calls, monkeypatch: pytest.MonkeyPatch) -> None:
    n = left = 0
    for a in day.fits:
        with monkeypatch.context() as mp:
            _numpy(mp)
            want = rp._two_rays_fit(*a)
        # every fit without a cap
        alone = rp._two_rays_fit(*a[:10])
        assert alone.dtype == np.float64 and np.array_equal(alone, want)
        # with the rows' caps: the fits solved are the numpy code's; those left
        # out (inf) are above their row's cap, as their bound said
        got = rp._two_rays_fit(*a)
        kept = np.isfinite(got)
        assert np.array_equal(got[kept], want[kept])
        cap = np.broadcast_to(a[10][:, None], want.shape)
        assert (want[~kept] > cap[~kept]).all()
        n += want.size
        left += int((~kept).sum())
    # the premise: rows x samples compared, most left out by the bound, some solved
    assert n > 2_000 and n // 2 < left < n


def test_a_days_bearings_joined_are_the_same(day: Calls, monkeypatch: pytest.MonkeyPatch) -> None:
    joined = 0
    for a in day.more:
        got = rp._more_rays(*a)
        with monkeypatch.context() as mp:
            _numpy(mp)
            want = rp._more_rays(*a)
        assert all(np.array_equal(g, w) for g, w in zip(got, want, strict=True))
        joined += want[0].shape[0]
    assert joined > 5  # the premise: the day's calls join bearings


C = 343.0
R = 36_000.0


def _random_call(
    rng: np.random.Generator, cfg: RayPairConfig, launch_ray: bool, n: int = 40
) -> tuple[Any, ...]:
    """A ``_more_rays`` call on random rays and points: ``n`` chosen pairs (a point
    and a ray each), every ray offered to every pair, rays of 4 observers."""
    launches = LaunchPairConfig()
    hear = per_code(launches.weapons, "hearing_l50_m")
    rows = random_bearing_rows(rng, 60, 8e3, 120.0)
    rays = Rays(rows, rng.integers(-1, len(WEAPONS), 60), rng.integers(0, 4, 60))
    cov = np.tile(np.eye(2) * 1e4, (n, 1, 1))
    pts = Points(
        rng.uniform(-8e3, 8e3, n), rng.uniform(-8e3, 8e3, n), rng.uniform(-60.0, 120.0, n),
        rng.uniform(0.5, 3.0, n), cov, rng.integers(-1, len(WEAPONS), n),
    )  # fmt: skip
    rs = rp._sample(rays, cfg, hear, C, R, None)
    rs = replace(rs, side=rng.integers(-1, 2, rs.x.shape).astype(np.intp))
    ps = rp._points(pts, None, len(WEAPONS))
    pair_ray = rng.integers(0, 60, n)
    cand, cand_ray = (g.ravel().astype(np.intp) for g in np.meshgrid(
        np.arange(n), np.arange(60), indexing="ij"))  # fmt: skip
    return (
        ps, rs, rs, pts.weapon, rays.weapon, launch_ray, np.arange(n), pair_ray,
        rng.uniform(0.0, 8.0, n), cand, cand_ray, rays.src, rays.src, rows, rows, cfg,
        launches, C, R,
    )  # fmt: skip


@pytest.mark.parametrize("launch_ray", [True, False])
@pytest.mark.parametrize(("range_prior", "early_sd"), [(True, 3.0), (False, 3.0), (True, 0.0)])
def test_random_rays_give_the_numpy_numbers(
    launch_ray: bool, range_prior: bool, early_sd: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("numba")
    rng = np.random.default_rng(7)
    cfg = RayPairConfig(range_prior=range_prior, early_sd=early_sd, more_rays_chi2=1e3)
    a = _random_call(rng, cfg, launch_ray)
    want = _per_numpy(a)
    got = _per_compiled(a)
    for g, w in zip(got, want, strict=True):
        assert np.array_equal(g, w)
    # the premise: finite and inf costs, rows kept and left out, other observers' and
    # the pair ray's own
    per, ce, _ = want
    assert np.isfinite(per).any() and not np.isfinite(per).all()
    assert 0 < ce.shape[0] < per.size
    joined = rp._more_rays(*a)
    with monkeypatch.context() as mp:
        _numpy(mp)
        ref = rp._more_rays(*a)
    assert all(np.array_equal(g, w) for g, w in zip(joined, ref, strict=True))
    assert ref[0].shape[0] > 0


def test_no_rows_to_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("numba")
    rng = np.random.default_rng(8)
    a = list(_random_call(rng, RayPairConfig(), True, n=5))
    # every offered ray of the pair ray's own observer: nothing fits, nothing joins
    a[12] = np.zeros_like(a[12])
    a[11] = np.zeros_like(a[11])
    per, ce, ci = _per_compiled(tuple(a))
    assert per.shape == (5 * 60, 24) and ce.shape == ci.shape == (0,)
    got = rp._more_rays(*a)
    assert got[0].shape == got[1].shape == (0,)
    # no candidates at all
    none = np.zeros(0, np.intp)
    a[9], a[10] = none, none
    per, ce, _ = _per_compiled(tuple(a))
    assert per.shape == (0, 24) and ce.shape == (0,)
