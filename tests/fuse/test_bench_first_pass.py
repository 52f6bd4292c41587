"""``benchmarks/bench_first_pass.py``'s ``--digests``: a tile's digest changes with
any one label, estimate or residual, and not otherwise."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

from ceasefire.fuse.association.clusters import Clusters
from ceasefire.fuse.association.registration import Residuals
from ceasefire.fuse.engine import Association

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from bench_first_pass import _digest


def _tile() -> tuple[tuple[np.ndarray, Residuals], Association]:
    n = 5
    res = Residuals(
        np.arange(n), np.linspace(0.0, 1.0, n), np.zeros(n), np.ones(n), np.ones(n, bool),
        np.ones(n), np.zeros(n), np.ones(n), np.ones(n, bool), np.arange(n), np.zeros(n, bool),
    )  # fmt: skip
    cl = Clusters(
        np.array([0, 0, 1, -1]), np.zeros(2), np.ones(2), np.full(2, 5.0), np.zeros((2, 3, 3))
    )
    return (np.array(["a", "b"]), res), Association(cl, np.ones(2), np.array([2, 2]))


def test_a_digest_sees_one_label_one_estimate_and_one_residual() -> None:
    part, first = _tile()
    d0 = _digest(part, first)
    assert _digest(*_tile()) == d0  # the same tile, made again
    part1, first1 = _tile()
    first1.clusters.labels[3] = 1
    part2, first2 = _tile()
    first2.clusters.T[1] = np.nextafter(5.0, 6.0)  # one unit in the last place
    part3, _ = _tile()
    part3 = (part3[0], replace(part3[1], zt=part3[1].zt + np.array([0, 0, 0, 0, 1e-300])))
    digests = {d0, _digest(part1, first1), _digest(part2, first2), _digest(part3, first)}
    assert len(digests) == 4
    assert _digest(part, None) != d0  # a tile without an association
