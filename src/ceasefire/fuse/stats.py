"""Chi-square quantiles used as gates (a table: gates are evaluated on millions of rows)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.stats import chi2 as chi2_dist

F8 = npt.NDArray[np.float64]

#: 0.999 quantiles of the chi-square distribution for 1..64 dof
Q999: F8 = np.asarray(chi2_dist.ppf(0.999, np.arange(1, 65)), dtype=np.float64)


def chi2_999(dof: npt.ArrayLike) -> F8:
    """The 0.999 chi-square quantile for each ``dof`` (clipped to 1..64). The
    clip by ``take``'s index mode: ``np.clip`` costs ~8 µs a call more, and the
    gates of association ask ~40 times per tile."""
    d = np.asarray(dof, dtype=np.int64)
    return np.asarray(Q999.take(d - 1, mode="clip"), dtype=np.float64)
