"""The gates' chi-square quantiles (``fuse.stats``): scipy.stats' bits, without
importing scipy.stats (the run's start-up)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy.stats import chi2

from ceasefire.fuse import stats
from ceasefire.fuse.association import gates


@pytest.mark.parametrize("p", [0.5, 0.9, 0.95, 0.99, 0.9973, 0.999, 0.9999, 0.999999])
def test_quantiles_are_scipy_stats_bits(p: float) -> None:
    dof = np.arange(1, 300)
    want = np.asarray(chi2.ppf(p, dof), dtype=np.float64)
    assert stats.chi2_quantile(p, dof).tobytes() == want.tobytes()
    # (at 0.999 the gates look the table up: dof 1..64)
    assert gates.quantile(p, dof[:64]).tobytes() == want[:64].tobytes()
    # a scalar dof (merging's 3) and a 2-D one keep their shapes
    assert gates.quantile(p, 3).tobytes() == np.asarray(chi2.ppf(p, 3)).tobytes()
    grid = dof[:6].reshape(2, 3)
    assert stats.chi2_quantile(p, grid).shape == (2, 3)
    assert stats.chi2_quantile(p, grid).tobytes() == np.asarray(chi2.ppf(p, grid)).tobytes()


def test_the_table_is_the_0999_quantiles() -> None:
    want = np.asarray(chi2.ppf(0.999, np.arange(1, 65)), dtype=np.float64)
    assert stats.Q999.tobytes() == want.tobytes()
    assert stats.chi2_999([0, 1, 64, 99]).tolist() == [want[0], want[0], want[63], want[63]]


def test_the_pipeline_imports_no_scipy_stats() -> None:
    code = "import sys, ceasefire.pipeline; print('scipy.stats' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_dof_outside_the_table_take_its_nearest_end() -> None:
    q = stats.Q999
    got = stats.chi2_999(np.array([-7, 0, 1, 2, 64, 65, 1_000], np.int64))
    assert got.dtype == np.float64
    assert got.tolist() == [q[0], q[0], q[0], q[1], q[63], q[63], q[63]]


def test_scalars_lists_and_float_dof_as_before() -> None:
    q = stats.Q999
    assert stats.chi2_999(3).shape == () and float(stats.chi2_999(3)) == q[2]
    assert stats.chi2_999([0, 5]).tolist() == [q[0], q[4]]
    assert stats.chi2_999(np.array([2.0, 70.0])).tolist() == [q[1], q[63]]
    assert stats.chi2_999(np.zeros(0, np.int64)).shape == (0,)
