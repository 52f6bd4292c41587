"""Reliability bins shared by the scorer and the calibration."""

from __future__ import annotations

import pytest

from ceasefire.model.reliability import reliability_bins


def test_bins_count_mean_and_share_right_and_hold_one() -> None:
    # two in 0.5-0.6 (one right), two in 0.95-1.0 (1.0 itself included, both right)
    got = reliability_bins([0.55, 0.58, 0.97, 1.0], [True, False, True, True])
    assert [(lo, hi, n) for lo, hi, n, _, _ in got] == [(0.5, 0.6, 2), (0.95, 1.0, 2)]
    assert got[0][3] == pytest.approx(0.565) and got[0][4] == 0.5
    assert got[1][3] == pytest.approx(0.985) and got[1][4] == 1.0
    assert reliability_bins([], []) == []
