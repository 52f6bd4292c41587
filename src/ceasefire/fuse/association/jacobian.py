"""The normalized residuals and Jacobians behind the gates
(:func:`~ceasefire.fuse.association.gates.normalized`) as one compiled loop over
the rows (numba, the ``fast`` extra), giving the numpy code's arrays to the bit:
the same products, divisions and ``sqrt`` per element, without ~25 array passes
and the boolean-mask writes into ``(n, 3, 3)`` stacks. The residuals come in
computed by numpy (``arctan2`` and the wrap stay numpy's). Without numba,
:func:`jacobian_kernel` is None and the numpy code runs."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np


def _jacobian_loop(
    dx: Any,
    dy: Any,
    rho: Any,
    r_az: Any,
    r_t: Any,
    r_rng: Any,
    speed: Any,
    sigma_az: Any,
    sigma_t: Any,
    sigma_rng: Any,
    c: float,
) -> tuple[Any, Any, Any]:
    """Per row: the (bearing, time, range) residual in units of its sd ``(n, 3)``
    (0 where absent), the Jacobian of the prediction in (x, y, T) in the same
    units ``(n, 3, 3)`` (a zero row where absent; an sd that is not finite and
    positive counts as 1) and the dof (components present)."""
    n = dx.shape[0]
    An = np.empty((n, 3, 3))
    rn = np.empty((n, 3))
    dof = np.empty(n)
    for i in range(n):
        rho2 = rho[i] * rho[i]
        k = speed[i] / (rho[i] * c)
        have = 0
        for j in range(3):
            if j == 0:
                r = r_az[i]
                s = sigma_az[i]
                a0 = dy[i] / rho2
                a1 = -dx[i] / rho2
                a2 = 0.0
            elif j == 1:
                r = r_t[i]
                s = sigma_t[i]
                a0 = k * dx[i]
                a1 = k * dy[i]
                a2 = 1.0
            else:
                r = r_rng[i]
                s = sigma_rng[i]
                a0 = dx[i] / rho[i]
                a1 = dy[i] / rho[i]
                a2 = 0.0
            var = s * s
            if r - r != 0.0:  # not finite (inf - inf and NaN are NaN)
                r = 0.0
                a0 = 0.0
                a1 = 0.0
                a2 = 0.0
                var = 1.0
            else:
                have += 1
                if not (var - var == 0.0 and var > 0.0):
                    var = 1.0
            sd = math.sqrt(var)
            An[i, j, 0] = a0 / sd
            An[i, j, 1] = a1 / sd
            An[i, j, 2] = a2 / sd
            rn[i, j] = r / sd
        dof[i] = float(have)
    return rn, An, dof


@functools.cache
def jacobian_kernel() -> Callable[..., tuple[Any, Any, Any]] | None:
    """:func:`_jacobian_loop` compiled (on first use), or None without the ``fast``
    extra."""
    try:
        import numba
    except ImportError:  # pragma: no cover - depends on the install
        return None
    jit = numba.njit(cache=True, nogil=True, error_model="numpy")
    return jit(_jacobian_loop)
