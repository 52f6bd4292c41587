"""Symmetric 3×3 matrices by cofactors, written once for numpy and for the
compiled loops: each function takes the upper triangle's entries (row-major:
00, 01, 02, 11, 12, 22) as floats or as equal-shaped arrays (then elementwise,
no LAPACK call per matrix), and the compiled loops call it compiled by numba as
a helper, so both paths do the same products in the same order."""

from __future__ import annotations

from typing import Any

__all__ = ["DET_MARGIN", "quadratic3", "regular3", "upper3"]

#: a regular matrix's determinant exceeds the bound of its rounding error
#: (:func:`regular3`) this many times: its inverse is then right to ~1 %
DET_MARGIN = 100.0

#: three roundings of float64 (a product's, a difference's and a sum's): the
#: relative error bound of each term of :func:`upper3`'s determinant
_ROUNDING = 3.0 * 2.220446049250313e-16


def upper3(a: Any, b: Any, c: Any, d: Any, e: Any, f: Any) -> tuple[Any, ...]:
    """The cofactors ``(A, B, C, D, E, F)`` of the upper triangle (the matrix is
    symmetric: the inverse is their matrix / det) and the determinant, 7 values."""
    A = d * f - e * e
    B = c * e - b * f
    C = b * e - c * d
    D = a * f - c * c
    E = b * c - a * e
    F = a * d - b * b
    return A, B, C, D, E, F, a * A + b * B + c * C


def quadratic3(cof: tuple[Any, ...], x: Any, y: Any, z: Any) -> Any:
    """``rᵀ adj(S) r`` for ``r = (x, y, z)`` from :func:`upper3`'s cofactors
    (``rᵀ S⁻¹ r`` times det S)."""
    A, B, C, D, E, F = cof[0], cof[1], cof[2], cof[3], cof[4], cof[5]
    return A * x * x + D * y * y + F * z * z + 2 * (B * x * y + C * x * z + E * y * z)


def regular3(a: Any, b: Any, c: Any, d: Any, e: Any, f: Any, cof: tuple[Any, ...]) -> Any:
    """Whether the inverse by :func:`upper3`'s cofactors ``cof`` of the symmetric
    matrix with upper triangle ``a .. f`` is right: its determinant finite and
    over :data:`DET_MARGIN` times the bound of its rounding error (the bound is
    the sum of the magnitudes of what the determinant adds and subtracts, each
    cofactor's products included, times :data:`_ROUNDING`). A fixed floor on the
    determinant does not guard this: after diagonal scaling (unit diagonal, as
    the fit's inverse scales) a nearly rank-1 matrix, one precise measurement and
    coarse others, has a determinant near the product of its two small
    eigenvalues, 1e-12 or less, yet is regular to float64; a singular one has a
    determinant within its rounding error, ~1e-15 at unit scale."""
    A, B, C, det = cof[0], cof[1], cof[2], cof[6]
    terms = (abs(a * A) + abs(b * B)) + abs(c * C)
    inner = (abs(a) * (abs(d * f) + e * e) + abs(b) * (abs(c * e) + abs(b * f))) + abs(c) * (
        abs(b * e) + abs(c * d)
    )
    bound = _ROUNDING * (terms + inner)
    return (det - det == 0.0) & (det > DET_MARGIN * bound)
