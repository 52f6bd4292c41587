"""The cofactor formulas against LAPACK: on floats (as the compiled loops call
them) and elementwise on arrays (as the numpy code does)."""

from __future__ import annotations

import numpy as np

from ceasefire.fuse.cofactor import quadratic3, upper3


def _symmetric(n: int, seed: int) -> np.ndarray:
    x = np.random.default_rng(seed).normal(size=(n, 3, 3))
    return x @ x.transpose(0, 2, 1) + 0.1 * np.eye(3)


def test_cofactors_give_the_inverse_and_determinant() -> None:
    S = _symmetric(200, 1)
    A, B, C, D, E, F, det = upper3(
        S[:, 0, 0], S[:, 0, 1], S[:, 0, 2], S[:, 1, 1], S[:, 1, 2], S[:, 2, 2]
    )
    adj = np.stack([A, B, C, B, D, E, C, E, F], axis=1).reshape(-1, 3, 3)
    np.testing.assert_allclose(det, np.linalg.det(S), rtol=1e-9)
    np.testing.assert_allclose(adj / det[:, None, None], np.linalg.inv(S), rtol=1e-7, atol=1e-9)


def test_floats_and_arrays_agree_to_the_bit() -> None:
    S = _symmetric(20, 2)
    r = np.random.default_rng(3).normal(size=(20, 3))
    tri = (S[:, 0, 0], S[:, 0, 1], S[:, 0, 2], S[:, 1, 1], S[:, 1, 2], S[:, 2, 2])
    arr = upper3(*tri)
    q_arr = quadratic3(arr, r[:, 0], r[:, 1], r[:, 2])
    for i in range(20):
        one = upper3(*(float(t[i]) for t in tri))
        assert one == tuple(float(v[i]) for v in arr)
        assert quadratic3(one, *map(float, r[i])) == float(q_arr[i])


def test_quadratic_form_is_r_s_inverse_r_times_det() -> None:
    S = _symmetric(100, 4)
    r = np.random.default_rng(5).normal(size=(100, 3))
    cof = upper3(S[:, 0, 0], S[:, 0, 1], S[:, 0, 2], S[:, 1, 1], S[:, 1, 2], S[:, 2, 2])
    want = np.einsum("ni,nij,nj->n", r, np.linalg.inv(S), r) * np.linalg.det(S)
    np.testing.assert_allclose(quadratic3(cof, r[:, 0], r[:, 1], r[:, 2]), want, rtol=1e-8)
