"""The cofactor formulas against LAPACK: on floats (as the compiled loops call
them) and elementwise on arrays (as the numpy code does)."""

from __future__ import annotations

import numpy as np

from ceasefire.fuse.cofactor import quadratic3, regular3, upper3


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


def _scaled(H: np.ndarray) -> np.ndarray:
    s = np.sqrt(np.einsum("gii->gi", H))
    return H / s[:, :, None] / s[:, None, :]


def _regular(S: np.ndarray) -> np.ndarray:
    tri = (S[:, 0, 0], S[:, 0, 1], S[:, 0, 2], S[:, 1, 1], S[:, 1, 2], S[:, 2, 2])
    return np.asarray(regular3(*tri, upper3(*tri)), bool)


def test_a_nearly_rank_one_matrix_is_regular_and_inverts() -> None:
    # one precise direction u (weight 1e6) and two coarse ones (weights 2, 1): scaled to
    # a unit diagonal the eigenvalues are ~3, ~2e-6 and ~1e-6, the determinant ~6e-12,
    # under the old fixed floor 1e-10, yet ~4,000 times its rounding bound (~1.3e-15):
    # the inverse by cofactors is right to ~1e-4
    u = np.array([1.0, 1.0, 1.0]) / np.sqrt(3.0)
    q, _ = np.linalg.qr(np.column_stack([u, [1.0, -1.0, 0.0], [1.0, 1.0, -2.0]]))
    H = (q @ np.diag([1e6, 2.0, 1.0]) @ q.T)[None]
    S = _scaled(H)
    assert _regular(S)[0]
    tri = (S[:, 0, 0], S[:, 0, 1], S[:, 0, 2], S[:, 1, 1], S[:, 1, 2], S[:, 2, 2])
    A, B, C, D, E, F, det = upper3(*tri)
    assert 1e-12 < det[0] < 1e-10
    adj = np.stack([A, B, C, B, D, E, C, E, F], axis=1).reshape(3, 3)
    np.testing.assert_allclose(adj / det[0] @ S[0], np.eye(3), atol=1e-3)


def test_singular_matrices_are_not_regular() -> None:
    # rank 2 and rank 1 made in float64 (their determinants are rounding only, either
    # sign), and a finite matrix with a NaN
    rng = np.random.default_rng(11)
    J = rng.normal(size=(400, 3, 2)) * 10.0 ** rng.uniform(-6, 6, (400, 3, 1))
    rank2 = _scaled(J @ J.transpose(0, 2, 1))
    rank1 = _scaled(J[:, :, :1] @ J[:, :, :1].transpose(0, 2, 1))
    assert not _regular(rank2).any()
    assert not _regular(rank1).any()
    # nearly rank 1 with weights 1e12 : 2 : 1: the determinant (~2e-23) is under its
    # rounding (~1e-15): the cofactors cannot invert it
    u = np.array([1.0, 1.0, 1.0]) / np.sqrt(3.0)
    q, _ = np.linalg.qr(np.column_stack([u, [1.0, -1.0, 0.0], [1.0, 1.0, -2.0]]))
    assert not _regular(_scaled((q @ np.diag([1e12, 2.0, 1.0]) @ q.T)[None]))[0]
    bad = _symmetric(3, 12)
    bad[:, 1, 2] = np.nan
    assert not _regular(bad).any()


def test_every_matrix_the_old_floor_passed_is_regular() -> None:
    # the test only widens what is regular: the bound times the margin is at most
    # ~4e-13 at unit scale (6 magnitudes of ~1 times 3 x 2.2e-16, times 100), so a
    # scaled determinant over 1e-10 is over it 250 times;
    # measurements weighted 1e-6 .. 1e6 give determinants on both sides of 1e-10
    rng = np.random.default_rng(14)
    J = rng.normal(size=(2_000, 3, 4)) * 10.0 ** rng.uniform(-3, 3, (2_000, 1, 4))
    S = _scaled(J @ J.transpose(0, 2, 1))
    det = upper3(S[:, 0, 0], S[:, 0, 1], S[:, 0, 2], S[:, 1, 1], S[:, 1, 2], S[:, 2, 2])[6]
    old = det > 1e-10
    assert (_regular(S) | ~old).all()
    assert 100 < int(old.sum()) < 1_900  # the premise: both sides drawn
