"""The stacked 3×3 inverses of the fit (fuse/inverse.py, compiled by numba, the
``fast`` extra) equal the numpy code's to the bit, singular, NaN and badly
scaled matrices included, and invert what they flag regular."""

from __future__ import annotations

import numpy as np
import pytest

from ceasefire.fuse.solve import _inv3_numpy


def _stack(rng: np.random.Generator, n: int) -> np.ndarray:
    """Fisher-information-like matrices: J Jᵀ with scales from 1e-8 to 1e8 per
    axis, plus singular (rank 2, zero), NaN, inf and negative-diagonal ones."""
    J = rng.normal(size=(n, 3, 4)) * 10.0 ** rng.uniform(-8, 8, (n, 3, 1))
    H = np.matmul(J, J.transpose(0, 2, 1))
    H[:20] = np.matmul(J[:20, :, :2], J[:20, :, :2].transpose(0, 2, 1))  # rank 2
    H[20:25] = 0.0
    H[25:30, 1, 1] = np.nan
    H[30:35, 0, 2] = H[30:35, 2, 0] = np.inf
    H[35:40, 2, 2] = -1.0
    return H


def test_the_compiled_inverses_are_the_numpy_ones() -> None:
    pytest.importorskip("numba")
    from ceasefire.fuse.inverse import inv3_kernel

    kernel = inv3_kernel()
    assert kernel is not None
    H = _stack(np.random.default_rng(8), 3_000)
    with np.errstate(all="ignore"):  # the inf rows overflow in numpy's cofactors
        ref, ref_ok = _inv3_numpy(H)
    got, ok = kernel(H)
    assert np.array_equal(ok, ref_ok)
    assert np.array_equal(got, ref, equal_nan=True)  # the same bits, NaN where numpy has NaN
    assert 100 < int(ok.sum()) < H.shape[0]  # the premise: both kinds compared
    assert not ok[:40].any()  # the singular and broken ones are flagged


def test_a_regular_inverse_inverts() -> None:
    H = np.array([[[4.0, 1.0, 0.0], [1.0, 3.0, 0.5], [0.0, 0.5, 2.0]]])
    inv, ok = _inv3_numpy(H)
    assert ok[0]
    assert np.allclose(inv[0] @ H[0], np.eye(3), atol=1e-12)
