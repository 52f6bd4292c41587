"""The compiled Gauss-Newton fit (numba, the ``fast`` extra), one call per
iteration and one call per fit, gives numpy's fit to the bit: events that
converge, stop early, never converge, are singular or have no rows; an azimuth
beyond the wrapped range sends the fit to numpy."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from pinned_days import pinned_day

from ceasefire.fuse import solve
from ceasefire.fuse.solve import Fit, Rows, fit, gn_step

C = 343.0


def _scene(
    n_events: int, seed: int, arrivals: float = 0.3
) -> tuple[Rows, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rows of ``n_events`` events (2-9 reports each: bearings, arrivals (this
    share of the rows), some ranges, a few light-speed), noisy, and starts 0-3 km
    off; the last 5 events have no rows, event 0 has one (singular)."""
    rng = np.random.default_rng(seed)
    ex, ey = rng.uniform(-30e3, 30e3, n_events), rng.uniform(-30e3, 30e3, n_events)
    eT = rng.uniform(0, 3_600, n_events)
    size = rng.integers(2, 10, n_events)
    size[0] = 1
    size[-5:] = 0
    g = np.repeat(np.arange(n_events), size)
    n = g.shape[0]
    ox = ex[g] + rng.uniform(-15e3, 15e3, n)
    oy = ey[g] + rng.uniform(-15e3, 15e3, n)
    d = np.hypot(ex[g] - ox, ey[g] - oy)
    az = np.arctan2(ex[g] - ox, ey[g] - oy) + rng.normal(0, 0.01, n)
    az = (az + np.pi) % (2 * np.pi) - np.pi
    az[rng.random(n) < arrivals] = np.nan  # arrivals
    speed = rng.choice([0.0, 1.0], n, p=[0.05, 0.95])
    t = eT[g] + speed * d / C + rng.normal(0, 0.01, n)
    r = np.where(rng.random(n) < 0.2, d * (1 + rng.normal(0, 0.1, n)), np.nan)
    rows = Rows(ox, oy, az, np.full(n, 0.01), t, np.full(n, 0.01), speed, r, 0.3 * d)
    off = rng.uniform(0, 3_000, n_events)
    ang = rng.uniform(0, 2 * np.pi, n_events)
    order = rng.permutation(n)  # rows not grouped by event
    return (rows.take(order), g[order], ex + off * np.cos(ang), ey + off * np.sin(ang),
            eT + rng.normal(0, 1, n_events))  # fmt: skip


def _same(a: Fit, b: Fit) -> None:
    for f in Fit.__dataclass_fields__:
        assert getattr(a, f).tobytes() == getattr(b, f).tobytes(), f


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("iterations", [1, 3, 8])
@pytest.mark.parametrize("arrivals", [0.3, 1.0])
def test_compiled_iterations_equal_numpys_to_the_bit(
    seed: int, iterations: int, arrivals: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    # with bearings among the rows, and arrivals only (no angle computed at all)
    pytest.importorskip("numba")
    from ceasefire.fuse.gauss_newton import iteration_kernel

    assert iteration_kernel() is not None
    rows, g, x0, y0, T0 = _scene(600, seed, arrivals)
    sel = np.flatnonzero(g % 3 != 1)  # a subset read in place
    monkeypatch.setattr(solve, "fit_kernel", lambda: None)  # one call per iteration
    got = fit(rows, g, 600, x0, y0, T0, C, iterations=iterations)
    got_sel = fit(rows, g[sel], 600, x0, y0, T0, C, iterations=iterations, sel=sel)
    monkeypatch.setattr(solve, "iteration_kernel", lambda: None)
    ref = fit(rows, g, 600, x0, y0, T0, C, iterations=iterations)
    ref_sel = fit(rows, g[sel], 600, x0, y0, T0, C, iterations=iterations, sel=sel)
    _same(got, ref)
    _same(got_sel, ref_sel)
    # the premises: some events stopped, some did not (at 1 and 3 iterations), the
    # singular and empty ones are there
    if iterations < 8:
        assert got.converged.any() and not got.converged.all()
    assert not got.ok[0] and not got.ok[-5:].any()


def test_an_azimuth_beyond_the_wrapped_range_sends_the_fit_to_numpy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("numba")
    rows, g, x0, y0, T0 = _scene(200, 4)
    az = rows.az.copy()
    az[np.flatnonzero(np.isfinite(az))[3]] = 40.0  # not wrapped
    rows = Rows(
        rows.ox, rows.oy, az, *(getattr(rows, f) for f in list(Rows.__dataclass_fields__)[3:])
    )
    got = fit(rows, g, 200, x0, y0, T0, C)
    monkeypatch.setattr(solve, "fit_kernel", lambda: None)
    _same(got, fit(rows, g, 200, x0, y0, T0, C))
    monkeypatch.setattr(solve, "iteration_kernel", lambda: None)
    _same(got, fit(rows, g, 200, x0, y0, T0, C))


def test_gn_step_is_inv_times_b_and_zero_for_the_singular() -> None:
    rng = np.random.default_rng(5)
    inv = rng.normal(size=(50, 3, 3))
    b = rng.normal(size=(50, 3))
    ok = rng.random(50) < 0.8
    inv[~ok] = np.nan
    got = gn_step(inv.copy(), ok, b)
    assert np.allclose(got[ok], np.einsum("gij,gj->gi", inv[ok], b[ok]), rtol=1e-12, atol=0)
    assert np.all(got[~ok] == 0.0)


@pytest.mark.parametrize("seed", [6, 7])
def test_rows_gathered_first_give_the_fit_read_in_place_to_the_bit(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the gather is a layout change only: each event's rows in the same order
    rows, g, x0, y0, T0 = _scene(400, seed)
    sel = np.flatnonzero(g % 4 != 2)
    monkeypatch.setattr(solve, "_GATHER_ROWS", 0)
    monkeypatch.setattr(solve, "_GATHER_MIN", 0)
    got = fit(rows, g, 400, x0, y0, T0, C)
    got_sel = fit(rows, g[sel], 400, x0, y0, T0, C, sel=sel)
    monkeypatch.setattr(solve, "_GATHER_ROWS", 10**9)
    _same(got, fit(rows, g, 400, x0, y0, T0, C))
    _same(got_sel, fit(rows, g[sel], 400, x0, y0, T0, C, sel=sel))
    monkeypatch.setattr(solve, "fit_kernel", lambda: None)  # numpy's gather
    monkeypatch.setattr(solve, "_GATHER_ROWS", 0)
    _same(got, fit(rows, g, 400, x0, y0, T0, C))
    _same(got_sel, fit(rows, g[sel], 400, x0, y0, T0, C, sel=sel))
    assert got.converged.any() and got.ok.any()  # the premise: fits that moved and held


def _compiled_only(*args: object, **kw: object) -> Fit:
    """:func:`fit` that fails the test if the compiled call handed it back to numpy."""
    with pytest.MonkeyPatch.context() as m:
        m.setattr(solve, "_fit_numpy", lambda *a, **k: pytest.fail("the fit fell back"))
        return fit(*args, **kw)  # type: ignore[arg-type]


def _numpy_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every compiled loop of the fit off: numpy's arrays and its own arctan2."""
    for name in ("fit_kernel", "iteration_kernel", "normal_kernel", "inv3_kernel"):
        monkeypatch.setattr(solve, name, lambda: None)


@pytest.mark.parametrize("seed", [8, 9, 10])
@pytest.mark.parametrize("iterations", [1, 2, 8])
@pytest.mark.parametrize("arrivals", [0.0, 0.3, 1.0])
def test_one_compiled_call_per_fit_equals_numpys_fit_to_the_bit(
    seed: int, iterations: int, arrivals: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the azimuths computed inside the loop round as numpy's arctan2 does (on an
    # AVX-512 CPU its SVML routine, which libm's atan2 differs from by an ulp on
    # ~2 % of inputs: over these fits' ~10^4 angles, some would)
    pytest.importorskip("numba")
    from ceasefire.fuse.gauss_newton import fit_kernel

    assert fit_kernel() is not None
    rows, g, x0, y0, T0 = _scene(500, seed, arrivals)
    sel = np.flatnonzero(g % 5 != 3)
    got = _compiled_only(rows, g, 500, x0, y0, T0, C, iterations=iterations)
    got_sel = _compiled_only(rows, g[sel], 500, x0, y0, T0, C, iterations=iterations, sel=sel)
    _numpy_only(monkeypatch)
    _same(got, fit(rows, g, 500, x0, y0, T0, C, iterations=iterations))
    _same(got_sel, fit(rows, g[sel], 500, x0, y0, T0, C, iterations=iterations, sel=sel))
    # the premises: the empty events are not ok (singular), most are; stopped and
    # moving events at 1 and 2 iterations
    assert not got.ok[-5:].any() and got.ok.sum() > 400
    assert (got.dof[-5:] == -3).all()
    if iterations < 8:
        assert got.converged.any() and not got.converged.all()


def test_the_compiled_fit_of_no_events_and_of_events_without_rows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("numba")
    rows, _g, x0, y0, T0 = _scene(30, 11)
    none = np.zeros(0, np.intp)
    empty = _compiled_only(rows, none, 0, x0[:0], y0[:0], T0[:0], C)
    assert empty.x.shape == (0,) and empty.cov.shape == (0, 3, 3)
    rowless = _compiled_only(rows, none, 4, x0[:4], y0[:4], T0[:4], C, sel=none)
    # no rows: no step (singular), the start kept, nothing determined
    assert np.array_equal(rowless.x, x0[:4]) and not rowless.ok.any()
    assert np.isnan(rowless.cov).all() and (rowless.dof == -3).all()
    _numpy_only(monkeypatch)
    _same(empty, fit(rows, none, 0, x0[:0], y0[:0], T0[:0], C))
    _same(rowless, fit(rows, none, 4, x0[:4], y0[:4], T0[:4], C, sel=none))


def test_a_fit_that_does_not_converge_is_marked_and_equals_numpys(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # starts 300 km off with steps capped at 5 km: no event with rows to fit stops
    # within 8 steps (the singular ones take a step of 0: stopped at once)
    pytest.importorskip("numba")
    rows, g, x0, y0, T0 = _scene(40, 12, arrivals=0.0)
    got = _compiled_only(rows, g, 40, x0 + 300e3, y0, T0, C)
    assert not got.converged[1:-5].any() and got.converged[-5:].all()
    moved = np.hypot(got.x - (x0 + 300e3), got.y - y0)
    assert (moved <= 8 * 5e3 * (1 + 1e-12)).all() and (moved[1:-5] > 5e3).all()
    _numpy_only(monkeypatch)
    _same(got, fit(rows, g, 40, x0 + 300e3, y0, T0, C))


@pytest.mark.parametrize("key", ["heavy2015", "quiet2"])
@pytest.mark.parametrize("offset_m", [0.0, 800.0])
def test_the_compiled_fit_of_a_pinned_days_events_equals_numpys_to_the_bit(
    key: str, offset_m: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    # real rows (bearings, arrivals, one day's frame): every event refitted from
    # its pinned fix, or 800 m off it (more steps), the rows read in place
    pytest.importorskip("numba")
    rep, cl = pinned_day(key)
    sel = np.flatnonzero(cl.labels >= 0)
    g, n = cl.labels[sel], cl.x.shape[0]
    x0, y0 = cl.x + offset_m, cl.y - offset_m / 2
    got = _compiled_only(rep.rows, g, n, x0, y0, cl.T, rep.c, sel=sel)
    _numpy_only(monkeypatch)
    _same(got, fit(rep.rows, g, n, x0, y0, cl.T, rep.c, sel=sel))
    assert got.ok.mean() > 0.9 and np.isfinite(rep.rows.az[sel]).any()


#: run in a child with an empty numba cache (numba shows no IR of code it
#: loads): the compiled fit of one event from three bearings, its IR
_FIT_IR = """
import numpy as np
from ceasefire.fuse.gauss_newton import fit_kernel
loop, at = fit_kernel()
ox, oy = np.array([0.0, 9e3, -7e3]), np.array([-8e3, 1e3, 6e3])
az = np.arctan2(500.0 - ox, 700.0 - oy)
t = 60.0 + np.hypot(500.0 - ox, 700.0 - oy) / 343.0
nan, one, small = np.full(3, np.nan), np.ones(3), np.full(3, 0.01)
got = loop(
    ox, oy, az, small, t, small, one, nan, nan, np.zeros(3, np.int64), 1,
    np.zeros(0, np.intp), False, np.zeros(1), np.zeros(1), np.zeros(1), 343.0, 8, 5e3, 0.5,
    256, 4096, at,
)
irs = list(loop.inspect_llvm().values())
print(got[8], abs(got[0][0] - 500.0) < 1.0, abs(got[1][0] - 700.0) < 1.0, len(irs),
      any("__svml" in ir for ir in irs), all("inttoptr" in ir for ir in irs))
"""


def test_the_compiled_fit_names_no_svml_routine(tmp_path: Path) -> None:
    # numba's disk cache keys the fit by its code and the CPU, not by numpy's
    # build: the code must call numpy's arctan2 routine through the address it
    # is given, with no symbol a later process's numpy may lack
    pytest.importorskip("numba")
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    out = subprocess.run(
        [sys.executable, "-c", _FIT_IR], env=env, capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr[-2000:]
    fitted, near_x, near_y, n, names, via = out.stdout.split()[-6:]
    assert (fitted, near_x, near_y) == ("True", "True", "True")
    assert int(n) == 1 and names == "False" and via == "True"
