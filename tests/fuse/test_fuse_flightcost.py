"""One weapon's flight cost (fuse/flightcost.py): the chi-square gate's shortcut
(no division when the squared residual exceeds gate x variance by 1e-9) keeps
the cost of the plain formula to the bit, on residuals within a few units in the
last place of the gate either side."""

from __future__ import annotations

import math

import numpy as np

from ceasefire.fuse.flightcost import weapon_cost


def _plain_chi2(d: float, dt: float, var_T: float, var_d: float, v: float, spread: float) -> float:
    """The chi-square without the shortcut (the numpy code's order)."""
    pred = d / v
    sp = spread * pred
    var = (var_T + var_d / (v * v)) + sp * sp
    e = dt - pred
    return e * e / var


def test_the_gate_shortcut_keeps_every_cost_at_the_gate() -> None:
    rng = np.random.default_rng(11)
    v, spread, gate = 330.0, 0.1, 16.0
    n_in = n_out = 0
    for _ in range(4_000):
        d = float(rng.uniform(3_000.0, 30_000.0))
        var_T, var_d = float(rng.uniform(0.01, 9.0)), float(rng.uniform(1e2, 1e6))
        pred = d / v
        var = (var_T + var_d / (v * v)) + (spread * pred) ** 2
        # a residual whose chi-square is the gate, then moved by a few ulps
        e = math.sqrt(gate * var) * float(rng.choice([-1.0, 1.0]))
        for _ in range(int(rng.integers(0, 6))):
            e = math.nextafter(e, math.inf if rng.random() < 0.5 else -math.inf)
        dt = pred + e
        chi2 = _plain_chi2(d, dt, var_T, var_d, v, spread)
        want = chi2 if chi2 <= gate else math.inf
        # a slow enough flight (the speed bound passes) of a named weapon (cost 0 added)
        got = weapon_cost(
            d, dt, dt + 1e6, var_T, var_d, 1, v, 0.0, 1e9, 1, -1, spread, 4.0, gate, 1.0, 2.0
        )
        assert got == want
        n_in += math.isfinite(want)
        n_out += not math.isfinite(want)
    assert n_in > 500 and n_out > 500  # the premise: both sides of the gate, often
