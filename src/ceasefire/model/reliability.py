"""Reliability of stated probabilities: per bin of the stated probability, how many,
their mean, and the share that was right (``ceasefire score`` and ``ceasefire
calibrate`` print the same bins)."""

from __future__ import annotations

import itertools

import numpy as np
import numpy.typing as npt

#: bin edges of the stated probability (the last one holds 1.0)
BINS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0000001)


def reliability_bins(
    stated: npt.ArrayLike, right: npt.ArrayLike
) -> list[tuple[float, float, int, float, float]]:
    """``(lo, hi, n, mean stated, share right)`` for each non-empty bin of
    :data:`BINS` (``hi`` capped at 1.0); ``stated`` and ``right`` have shape ``(n,)``."""
    p = np.asarray(stated, dtype=np.float64)
    ok = np.asarray(right, dtype=bool)
    out = []
    for lo, hi in itertools.pairwise(BINS):
        m = (p >= lo) & (p < hi)
        if m.any():
            out.append((lo, min(hi, 1.0), int(m.sum()), float(p[m].mean()), float(ok[m].mean())))
    return out
