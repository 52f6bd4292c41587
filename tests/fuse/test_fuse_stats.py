"""``stats.chi2_999``: the 0.999 chi-square quantile by table, dof clipped to
1..64, for arrays, scalars and lists alike."""

from __future__ import annotations

import numpy as np
from scipy.stats import chi2

from ceasefire.fuse.stats import Q999, chi2_999


def test_the_table_is_scipys_quantile() -> None:
    dof = np.arange(1, 65)
    assert np.array_equal(chi2_999(dof), chi2.ppf(0.999, dof))


def test_dof_outside_the_table_take_its_nearest_end() -> None:
    got = chi2_999(np.array([-7, 0, 1, 2, 64, 65, 1_000], np.int64))
    assert got.dtype == np.float64
    assert got.tolist() == [Q999[0], Q999[0], Q999[0], Q999[1], Q999[63], Q999[63], Q999[63]]


def test_scalars_lists_and_float_dof_as_before() -> None:
    assert chi2_999(3).shape == () and float(chi2_999(3)) == Q999[2]
    assert chi2_999([0, 5]).tolist() == [Q999[0], Q999[4]]
    assert chi2_999(np.array([2.0, 70.0])).tolist() == [Q999[1], Q999[63]]
    assert chi2_999(np.zeros(0, np.int64)).shape == (0,)
