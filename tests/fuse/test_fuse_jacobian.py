"""The gates' compiled normalized residuals and Jacobians (numba, the ``fast``
extra) equal numpy's to the bit, signs of zero included: bearings, arrivals,
ranges, absent and odd sds (zero, infinite, NaN), light and sound."""

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


@pytest.mark.parametrize("seed", [1, 2])
def test_compiled_jacobians_equal_numpys_to_the_bit(seed: int) -> None:
    pytest.importorskip("numba")
    from ceasefire.fuse.association.jacobian import jacobian_kernel

    rows, g, x, y, T = _case(5_000, seed)
    dx, dy, rho, r_az, r_t, r_rng = residuals(rows, g, x, y, T, C)
    want = _jacobian_numpy(rows, dx, dy, rho, r_az, r_t, r_rng, C)
    kernel = jacobian_kernel()
    assert kernel is not None
    got = kernel(
        dx, dy, rho, r_az, r_t, r_rng, rows.speed_factor, rows.sigma_az, rows.sigma_t,
        rows.sigma_rng, C,
    )  # fmt: skip
    assert 0 < int(np.count_nonzero(want[2] < 3)) < 5_000  # the premise: rows lack parts
    for w, v in zip(want, got, strict=True):
        assert w.shape == v.shape
        assert np.array_equal(w, v, equal_nan=True)
        assert np.array_equal(np.signbit(w), np.signbit(v))


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
    for name in ("jacobian_kernel", "quad_kernel"):
        monkeypatch.setattr(gates, name, lambda: None)
    want = every()
    # the premise: finite and infinite outcomes (det S <= 0 for some members)
    assert np.isfinite(want[2]).any() and np.isinf(want[2]).any()
    for w, v in zip(want, got, strict=True):
        assert np.array_equal(w, v, equal_nan=True)
        assert np.array_equal(np.signbit(w), np.signbit(v))
