"""The inverses of a stack of symmetric 3×3 matrices (:func:`ceasefire.fuse.solve._inv3`:
diagonal scaling, cofactors, the singular ones flagged) as one compiled loop
(numba, the ``fast`` extra), giving the numpy code's inverses to the bit: the
same products, divisions and ``sqrt`` in the same order, per matrix instead of
~40 array passes over the stack. Without numba, :func:`inv3_kernel` is None and
the numpy code runs."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ceasefire.fuse import cofactor
from ceasefire.fuse.compiled import compiled_calling, getter

#: the cofactors, called by the loop: rebound to numba's compiled helper when the
#: loop is compiled (a compiled loop calls compiled functions only)
_upper3 = cofactor.upper3
_regular3 = cofactor.regular3


def _inv3_loop(H: Any) -> tuple[Any, Any]:
    """Inverses ``(G, 3, 3)`` of the symmetric ``H`` ``(G, 3, 3)`` (upper triangle
    read) and whether each is regular (:func:`~ceasefire.fuse.cofactor.regular3`
    after diagonal scaling; the others NaN)."""
    n = H.shape[0]
    inv = np.empty((n, 3, 3))
    ok = np.empty(n, np.bool_)
    s = np.empty(3)
    S = np.empty((3, 3))
    cof = np.empty((3, 3))
    for g in range(n):
        for i in range(3):
            h = H[g, i, i]
            # np.maximum(h, 1e-300): NaN propagates
            s[i] = math.sqrt(h if (h >= 1e-300 or h != h) else 1e-300)
        for i in range(3):
            for j in range(i, 3):
                S[i, j] = H[g, i, j] / s[i] / s[j]
        tri = (S[0, 0], S[0, 1], S[0, 2], S[1, 1], S[1, 2], S[2, 2])
        cof6 = _upper3(tri[0], tri[1], tri[2], tri[3], tri[4], tri[5])
        A, B, C, D, E, F, det = cof6
        good = _regular3(tri[0], tri[1], tri[2], tri[3], tri[4], tri[5], cof6)
        ok[g] = good
        cof[0, 0], cof[0, 1], cof[0, 2] = A, B, C
        cof[1, 0], cof[1, 1], cof[1, 2] = B, D, E
        cof[2, 0], cof[2, 1], cof[2, 2] = C, E, F
        for i in range(3):
            for j in range(3):
                inv[g, i, j] = cof[i, j] / det / s[i] / s[j] if good else np.nan
    return inv, ok


@getter
def inv3_kernel() -> Callable[..., tuple[Any, Any]] | None:
    """:func:`_inv3_loop` compiled (on first use), or None without the ``fast``
    extra."""
    return compiled_calling(_inv3_loop, _upper3=cofactor.upper3, _regular3=cofactor.regular3)
