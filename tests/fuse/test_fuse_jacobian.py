"""The gates' compiled normalized residuals and M = An P Anᵀ (numba, the ``fast``
extra) equal numpy's to the bit, signs of zero included: bearings, arrivals,
ranges, absent and odd sds (zero, infinite, NaN), light and sound, unfitted
events. M's products are numpy's to the bit where numpy's BLAS adds a 3 x 3
product as the loop does (fused multiply-adds in order: OpenBLAS's x86 kernels
seen so far); under another BLAS, what depends on them agrees to rounding."""

from __future__ import annotations

import numpy as np
import pytest

from ceasefire.fuse.association.gates import _jacobian_numpy
from ceasefire.fuse.solve import Rows, residuals

C = 343.0


def _case(n: int, seed: int) -> tuple[Rows, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    az = rng.uniform(-np.pi, np.pi, n)
    az[rng.random(n) < 0.3] = np.nan  # arrivals
    r = rng.uniform(500, 30_000, n)
    r[rng.random(n) < 0.6] = np.nan
    sig_t = rng.uniform(0.003, 2.0, n)
    sig_t[rng.random(n) < 0.05] = 0.0
    sig_az = rng.uniform(0.002, 0.1, n)
    sig_az[rng.random(n) < 0.05] = np.inf
    sig_r = 0.3 * r
    sig_r[rng.random(n) < 0.05] = np.nan
    rows = Rows(
        rng.uniform(-50e3, 50e3, n), rng.uniform(-20e3, 20e3, n), az, sig_az,
        rng.uniform(0, 3_600, n), sig_t, rng.choice([0.0, 1.0], n, p=[0.1, 0.9]), r, sig_r,
    )  # fmt: skip
    G = 300
    x, y = rng.uniform(-50e3, 50e3, G), rng.uniform(-20e3, 20e3, G)
    x[:3] = np.nan  # unfitted events
    # a few events on their observer (rho floored at 1 m)
    g = rng.integers(0, G, n)
    x[g[:5]], y[g[:5]] = rows.ox[:5], rows.oy[:5]
    return rows, g, x, y, rng.uniform(0, 3_600, G)


def _blas_adds_as_the_loop() -> bool:
    """Whether numpy's stacked ``matmul`` adds each entry of a 3 x 3 product as the
    compiled loop does: ``fma(a2, b2, fma(a1, b1, a0 * b0))``, rounded once each."""
    from ceasefire.fuse.association.jacobian import _fma

    rng = np.random.default_rng(11)
    a, b = rng.normal(0, 1, (2, 100, 3, 3))
    got = np.matmul(a, b)
    for i, u, w in np.ndindex(100, 3, 3):
        want = _fma(a[i, u, 2], b[i, 2, w], _fma(a[i, u, 1], b[i, 1, w], a[i, u, 0] * b[i, 0, w]))
        if got[i, u, w] != want:
            return False
    return True


def _equal(want: np.ndarray, got: np.ndarray, bitwise: bool) -> None:
    """``got`` is ``want`` to the bit, signs of zero included; or, where numpy's BLAS
    adds otherwise (``bitwise`` False), the same NaNs and infinities and finite
    values within 1e-9 of their magnitude (one BLAS rounds where the other fuses)."""
    if bitwise:
        assert np.array_equal(want, got, equal_nan=True)
        assert np.array_equal(np.signbit(want), np.signbit(got))
        return
    assert np.array_equal(np.isnan(want), np.isnan(got))
    assert np.array_equal(np.isinf(want), np.isinf(got))
    fin = np.isfinite(want)
    assert np.array_equal(want[~fin & ~np.isnan(want)], got[~fin & ~np.isnan(want)])
    scale = float(np.abs(want[fin]).max(initial=0.0))
    assert np.allclose(want[fin], got[fin], rtol=1e-9, atol=1e-12 * scale)


def _cov(G: int, seed: int, scale: tuple[float, float, float]) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a = rng.normal(0, 1, (G, 3, 3)) * np.array(scale)[None, :, None]
    return np.einsum("gij,gkj->gik", a, a)


@pytest.mark.parametrize("seed", [1, 2])
def test_the_compiled_normalized_residuals_equal_numpys_to_the_bit(seed: int) -> None:
    # rn, M = An P Anᵀ (numpy: two stacked matmuls through BLAS) and the dof, with
    # unfitted (NaN) and infinite covariances among the events
    pytest.importorskip("numba")
    from ceasefire.fuse.association.clusters import Clusters
    from ceasefire.fuse.association.gates import _normalized_numpy, normalized
    from ceasefire.fuse.association.jacobian import normalized_kernel

    assert normalized_kernel() is not None
    rows, g, x, y, T = _case(5_000, seed)
    cov = _cov(x.shape[0], seed, (300.0, 300.0, 0.5))
    cov[3:6] = np.nan
    cov[6, 2, 2], cov[7, 0, 1] = np.inf, -np.inf
    g[:40] = np.arange(40) % 8  # rows against each odd event
    ev = Clusters(np.zeros(0, np.intp), x, y, T, cov)
    with np.errstate(over="ignore", invalid="ignore"):  # the infinite terms
        want = _normalized_numpy(rows, g, ev, C)
    got = normalized(rows, g, ev, C)
    assert 0 < int(np.count_nonzero(want[2] < 3)) < 5_000  # the premise: rows lack parts
    assert np.isnan(want[1]).any() and np.isfinite(want[1]).any()
    # rn and the dof hold no product of matrices; M is BLAS's in numpy
    for w, v, bitwise in zip(want, got, (True, _blas_adds_as_the_loop(), True), strict=True):
        assert w.shape == v.shape
        _equal(w, v, bitwise)


def test_the_compiled_product_adds_by_fused_multiply_adds_in_order() -> None:
    # M's entries against :func:`_fma` in Python (exact rationals, rounded once):
    # the loop's arithmetic whatever BLAS numpy has
    pytest.importorskip("numba")
    from ceasefire.fuse.association.clusters import Clusters
    from ceasefire.fuse.association.gates import normalized
    from ceasefire.fuse.association.jacobian import _fma

    rows, g, x, y, T = _case(300, 6)
    cov = _cov(x.shape[0], 6, (800.0, 800.0, 1.0))
    ok = np.isfinite(x[g])
    _, An, _ = _jacobian_numpy(rows, *residuals(rows, g, x, y, T, C), C)
    _, M, _ = normalized(rows, g, Clusters(np.zeros(0, np.intp), x, y, T, cov), C)
    plain = 0
    for i in np.flatnonzero(ok):
        A, P = An[i], cov[g[i]]
        AP = [[_fma(A[u, 2], P[2, w], _fma(A[u, 1], P[1, w], _fma(A[u, 0], P[0, w], 0.0)))
               for w in range(3)] for u in range(3)]  # fmt: skip
        for u in range(3):
            for w in range(3):
                want = _fma(AP[u][2], A[w, 2], _fma(AP[u][1], A[w, 1], AP[u][0] * A[w, 0]))
                assert M[i, u, w] == want
                plain += want != (AP[u][0] * A[w, 0] + AP[u][1] * A[w, 1]) + AP[u][2] * A[w, 2]
    assert plain > 50  # the premise: rounding once differs from the plain sum


@pytest.mark.parametrize("seed", [3, 4])
def test_the_compiled_marginal_gate_passes_what_numpys_passes(seed: int) -> None:
    pytest.importorskip("numba")
    from ceasefire.fuse.association.clusters import Clusters
    from ceasefire.fuse.association.gates import _marginal_numpy, marginal_gate

    rows, g, x, y, T = _case(20_000, seed)
    rng = np.random.default_rng(seed)
    G = x.shape[0]
    a = rng.normal(0, 1, (G, 3, 3)) * np.array([300.0, 300.0, 0.5])[None, :, None]
    cov = np.einsum("gij,gkj->gik", a, a)
    cov[5:8] = np.nan  # unfitted
    # events placed so that about half the candidates pass: times near the prediction
    T = rows.t[np.arange(G) % rows.t.shape[0]] - 10.0
    ev = Clusters(np.zeros(0, np.intp), x, y, T, cov)
    k = rng.integers(0, rows.t.shape[0], 20_000)
    rows.t[k] = T[g] + rows.speed_factor[k] * np.hypot(x[g] - rows.ox[k], y[g] - rows.oy[k]) / C
    rows.t[k] += rng.normal(0, 0.5, k.shape[0])
    want = _marginal_numpy(rows, g, k, ev, C)
    got = marginal_gate(rows, g, k, ev, C)
    assert 1_000 < int(want.sum()) < 19_000  # the premise: both outcomes, many times
    assert np.array_equal(want, got)


def test_the_compiled_gates_give_numpys_chi_square_and_log_determinant(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # innovations, deleted residuals (members) and the predictive density, each with
    # every kernel and with none: the same numbers to the bit
    pytest.importorskip("numba")
    from ceasefire.fuse.association import gates
    from ceasefire.fuse.association.clusters import Clusters

    rows, g, x, y, T = _case(6_000, 5)
    rng = np.random.default_rng(5)
    G = x.shape[0]
    a = rng.normal(0, 1, (G, 3, 3)) * np.array([800.0, 800.0, 1.0])[None, :, None]
    cov = np.einsum("gij,gkj->gik", a, a)
    cov[5:8] = np.nan
    ev = Clusters(np.zeros(0, np.intp), x, y, T, cov)
    member = rng.random(g.shape[0]) < 0.5

    def every() -> list[np.ndarray]:
        return [
            *gates.row_chi2(rows, g, ev, C, True),
            *gates.row_chi2(rows, g, ev, C, True, -1.0),
            *gates.row_nll(rows, g, ev, C, member),
        ]

    got = every()
    for name in ("normalized_kernel", "quad_kernel"):
        monkeypatch.setattr(gates, name, lambda: None)
    want = every()
    # the premise: finite and infinite outcomes (det S <= 0 for some members)
    assert np.isfinite(want[2]).any() and np.isinf(want[2]).any()
    bitwise = _blas_adds_as_the_loop()
    for w, v in zip(want, got, strict=True):
        _equal(w, v, bitwise)


def test_the_marginal_time_test_at_the_gate_is_made_at_hypots_distance() -> None:
    # rows whose time residual lies on the gate to the last bit, at distances where
    # sqrt(dx² + dy²) and hypot differ: the compiled loop (sqrt first) must decide
    # as numpy (hypot) does, which the sqrt distance alone would not always do
    pytest.importorskip("numba")
    from ceasefire.fuse.association.clusters import Clusters
    from ceasefire.fuse.association.gates import _marginal_numpy, marginal_gate
    from ceasefire.fuse.stats import Q999

    rng = np.random.default_rng(7)
    n = 40_000
    dx, dy = rng.uniform(-30e3, 30e3, n), rng.uniform(-30e3, 30e3, n)
    differ = np.sqrt(dx * dx + dy * dy) != np.hypot(dx, dy)
    dx, dy = dx[differ], dy[differ]
    n = dx.shape[0]
    assert n > 1_000  # the premise: sqrt and hypot differ on many distances
    q = float(Q999[2])
    cov = np.tile(np.diag([90.0**2, 70.0**2, 0.2**2]), (n, 1, 1))
    x, y, T = dx, dy, np.full(n, 100.0)
    sig_t = np.full(n, 0.05)
    one, nan, zero = np.ones(n), np.full(n, np.nan), np.zeros(n)

    def sides(rho: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        gx, gy = dx / (rho * C), dy / (rho * C)
        var_t = ((sig_t * sig_t + gx * gx * cov[:, 0, 0]) + gy * gy * cov[:, 1, 1]) + 0.04
        var_t = var_t + 2 * ((gx * gy * 0.0 + gx * 0.0) + gy * 0.0)
        r_t = (t - T) - rho / C
        return r_t * r_t, q * var_t

    # times on the gate at hypot's distance, then nudged by a few units either way
    rho = np.hypot(dx, dy)
    _, rhs = sides(rho, np.zeros(n))
    t = T + rho / C + np.sqrt(rhs)
    t = t + rng.integers(-3, 4, n) * np.spacing(t)
    rows = Rows(zero, zero, nan, one, t, sig_t, one, nan, nan)
    g = np.arange(n)
    ev = Clusters(np.zeros(0, np.intp), x, y, T, cov)
    want = _marginal_numpy(rows, g, g, ev, C)
    assert 0 < int(want.sum()) < n  # the premise: both outcomes on the gate
    lhs_s, rhs_s = sides(np.sqrt(dx * dx + dy * dy), t)
    assert int(((lhs_s <= rhs_s) != want).sum()) > 0  # sqrt alone would differ
    assert np.array_equal(marginal_gate(rows, g, g, ev, C), want)


def test_the_marginal_time_terms_a_window_shares_are_reused_alike() -> None:
    # candidates as windows list them: one event's rows of one position in a run,
    # with speed factors that change within a run, a position at NaN and a zero
    # dx of either sign (ex = -0.0 less an observer at +0.0 or -0.0)
    pytest.importorskip("numba")
    from ceasefire.fuse.association.clusters import Clusters
    from ceasefire.fuse.association.gates import _marginal_numpy, marginal_gate

    rng = np.random.default_rng(9)
    n_pos, per = 60, 12
    px, py = rng.uniform(-30e3, 30e3, n_pos), rng.uniform(-30e3, 30e3, n_pos)
    px[:2], py[:2] = (0.0, -0.0), (5e3, 5e3)  # two positions at a zero of either sign
    px[5] = np.nan
    n = n_pos * per
    pos = np.repeat(np.arange(n_pos), per)
    G = 40
    x, y = rng.uniform(-30e3, 30e3, G), rng.uniform(-30e3, 30e3, G)
    x[0], y[0] = -0.0, 0.0
    T = rng.uniform(0, 600, G)
    a = rng.normal(0, 1, (G, 3, 3)) * np.array([200.0, 200.0, 0.3])[None, :, None]
    cov = np.einsum("gij,gkj->gik", a, a)
    speed = np.where(rng.random(n) < 0.15, 0.0, 1.0)
    az = np.where(rng.random(n) < 0.3, np.nan, rng.uniform(-np.pi, np.pi, n))
    # each position's rows against each event: times about the prediction
    g = np.repeat(np.arange(G), n)
    k = np.tile(np.arange(n), G)
    d = np.hypot(x[g] - px[pos[k]], y[g] - py[pos[k]])
    t = np.zeros(n)
    rows = Rows(px[pos], py[pos], az, np.full(n, 0.02), t, rng.uniform(0.01, 1.0, n),
                speed, np.full(n, np.nan), np.full(n, np.nan))  # fmt: skip
    k0 = np.flatnonzero(g == 7)
    rows.t[:] = T[7] + speed * d[k0] / C + rng.normal(0, 1.0, n)
    # the rows of the two positions at a zero dx about event 0's prediction
    z = np.flatnonzero(pos < 2)
    rows.t[z] = T[0] + speed[z] * d[z] / C + rng.normal(0, 0.3, z.shape[0])
    ev = Clusters(np.zeros(0, np.intp), x, y, T, cov)
    want = _marginal_numpy(rows, g, k, ev, C)
    got = marginal_gate(rows, g, k, ev, C)
    assert np.array_equal(want, got)
    # the same pairs shuffled (no two alike in a row: every term made afresh)
    order = rng.permutation(g.shape[0])
    assert np.array_equal(marginal_gate(rows, g[order], k[order], ev, C), got[order])
    assert 0 < int(got[g == 7].sum()) < n  # the premise: the gate decides event 7's rows
    assert got[(g == 0) & (pos[k] < 2)].any()  # and passes some at a zero dx
