"""``benchmarks/family_rays.py``'s reading of where ray pairing left a lone bearing
of a round beside its other phase: its role, its partner's, the pair's cost, and
what the assignment chose instead."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from family_rays import FATES, Window, fate


def _window(
    w_true: float = 4.0, edge: tuple[int, int] = (-1, -1), true_pair: bool = True
) -> Window:
    """Groups: 0 a launch ray (the bearing), 1 an impact ray (its round's impact),
    2 a located impact of another round, 3 another launch ray. Impact indices: the
    ray 1 is 0, the point 2 is 1; launch indices: 0 is 0, 3 is 1."""
    r, co, w = [0, 1], [1, 0], [2.0, 3.0]
    if true_pair:
        r, co, w = [0, *r], [0, *co], [w_true, *w]
    return Window(
        group={"b": 0, "p": 1, "x": 2, "y": 3},
        lone=np.array([True, True, False, True]),
        located=np.array([False, False, True, False]),
        taken=np.zeros(4, bool),
        lr=np.array([0, 3]),
        ir=np.array([1]),
        lp=np.zeros(0, np.intp),
        ip=np.array([2]),
        r=np.array(r),
        co=np.array(co),
        w=np.array(w),
        edge=np.array(edge),
    )


def test_a_cheap_true_pair_lost_to_the_bearings_other_candidate() -> None:
    # the bearing took candidate 1 (the other round's located impact)
    i, cost = fate(_window(edge=(1, -1)), 0, "L", {1})
    assert FATES[i] == "cheap; the bearing paired with another" and cost == 4.0


def test_a_cheap_true_pair_lost_to_the_partners_other_candidate() -> None:
    # launch ray 3 took the partner (candidate 2)
    i, _ = fate(_window(edge=(-1, 2)), 0, "L", {1})
    assert FATES[i] == "cheap; the partner paired with another"
    # neither paired
    assert FATES[fate(_window(), 0, "L", {1})[0]] == "cheap; both left unpaired"


def test_the_pairs_cost_and_candidacy() -> None:
    assert FATES[fate(_window(w_true=25.0), 0, "L", {1})[0]].startswith("the pair's cost >=")
    i, cost = fate(_window(true_pair=False), 0, "L", {1})
    assert FATES[i] == "the pair not a candidate, or no sample in the gate" and cost is None


def test_roles_and_what_is_not_offered() -> None:
    win = _window()
    # read as an impact bearing it is not among the impact rays
    assert FATES[fate(win, 0, "I", {2})[0]].startswith("the bearing not offered")
    # the located impact 2 taken by located pairing: not among the points
    win.ip = np.zeros(0, np.intp)
    win.taken[2] = True
    assert FATES[fate(win, 0, "L", {2})[0]] == "the partner not offered: taken by located pairing"
    # a group that is not a lone bearing
    assert FATES[fate(win, 2, "I", {0})[0]] == "the bearing not lone in the window"
