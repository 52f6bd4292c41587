"""Symmetric 3×3 matrices by cofactors, written once for numpy and for the
compiled loops: each function takes the upper triangle's entries (row-major:
00, 01, 02, 11, 12, 22) as floats or as equal-shaped arrays (then elementwise,
no LAPACK call per matrix), and the compiled loops call it compiled by numba as
a helper, so both paths do the same products in the same order."""

from __future__ import annotations

from typing import Any

__all__ = ["quadratic3", "upper3"]


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
