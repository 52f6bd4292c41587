"""The sparse assignment with unmatched rows and columns allowed."""

from __future__ import annotations

import numpy as np

from ceasefire.model.assignment import min_cost_matching


def test_least_total_cost_and_unmatched_when_an_edge_costs_more_than_two_stand_ins() -> None:
    # edges: (r0,c0) 1.0, (r0,c1) 0.5, (r1,c1) 1.0, (r2,c2) 9.0
    rows = np.array([0, 0, 1, 2])
    cols = np.array([0, 1, 1, 2])
    cost = np.array([1.0, 0.5, 1.0, 9.0])
    # with unmatched at 4: r0-c0 and r1-c1 (total 2) beat r0-c1 alone (0.5 + 2 x 4);
    # r2-c2 costs more than leaving both alone (9 > 8)
    assert min_cost_matching(rows, cols, cost, 3, 3, 4.0).tolist() == [0, 2, -1]
    # with unmatched at 5, r2-c2 (9 < 10) is worth taking
    assert min_cost_matching(rows, cols, cost, 3, 3, 5.0).tolist() == [0, 2, 3]
    assert min_cost_matching(rows[:0], cols[:0], cost[:0], 2, 4, 1.0).tolist() == [-1, -1]
