"""``benchmarks/family_stages.py``'s reading of an association against the truth and
the likelihood oracle: each report's outcome, and the step that decided it."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from family_stages import Trace, blame, classify, decided_by, majority, merge_block, miss_blame

from ceasefire.fuse.association.clusters import Clusters

A = np.array


def test_majority_is_the_most_common_phase_per_event() -> None:
    labels = A([0, 0, 0, 1, 1, -1])
    phase = A([4, 4, 7, -1, -1, 4])
    assert majority(labels, phase, 3).tolist() == [4, -1, -2]


def test_outcomes_where_the_oracle_is_right() -> None:
    # phase 2 in events 0 (three rows) and 1 (two rows): 1 is a split half; row 5 of
    # phase 4 sits in event 0 (joined); row 6 of phase 2 is free (left alone); row 7's
    # oracle says another phase (not the system's decision); row 8 is clutter
    labels = A([0, 0, 0, 1, 1, 0, -1, 1, -1])
    truth = A([2, 2, 2, 2, 2, 4, 2, 2, -1])
    likely = A([2, 2, 2, 2, 2, 4, 2, 3, -1])
    got, primary = classify(labels, truth, likely)
    assert got == ["own", "own", "own", "split half", "split half", "joined", "left alone",
                   "oracle wrong", "clutter"]  # fmt: skip
    assert primary[6] == 0 and primary[3] == 0


def _trace(*steps: tuple[str, list[int]]) -> Trace:
    n = len(steps[0][1])
    return Trace(["start", *(s for s, _ in steps)],
                 [np.full(n, -1, np.intp), *(np.array(x, np.intp) for _, x in steps)])  # fmt: skip


def test_joined_is_decided_by_the_step_that_put_it_with_the_majority() -> None:
    # row 2 (phase 4) first joins event 1 alone, then reassignment moves it to event
    # 0, where phase 2 is the majority
    t = _trace(
        ("seed_pairs", [0, 0, -1]),
        ("attach_rounds", [0, 0, 1]),
        ("reassign_passes", [0, 0, 0]),
        ("refit", [0, 0, 0]),
    )
    truth = A([2, 2, 4])
    assert decided_by(t, 2, "joined", truth, A([0, 0, -1])) == "reassign_passes"


def test_left_alone_by_the_step_that_last_freed_it_or_never_joined() -> None:
    t = _trace(("seed_pairs", [0, 0, -1, 0]), ("prune", [0, 0, -1, -1]), ("refit", [0, 0, -1, -1]))
    truth = A([2, 2, 2, 2])
    assert decided_by(t, 3, "left alone", truth, A([0, 0, 0, 0])) == "prune"
    assert decided_by(t, 2, "left alone", truth, A([0, 0, 0, 0])) == "never joined"


def test_split_half_by_the_step_that_made_it_apart_from_the_largest() -> None:
    # rows 0-2 one event from the seed; rows 3, 4 (same phase) paired later apart
    t = _trace(
        ("seed_pairs", [0, 0, -1, -1, -1]),
        ("attach_rounds", [0, 0, 0, -1, -1]),
        ("late: late pairs: seed_pairs", [0, 0, 0, 1, 1]),
    )
    truth = A([2, 2, 2, 2, 2])
    assert decided_by(t, 3, "split half", truth, A([0] * 5)) == "late: late pairs: seed_pairs"


def test_blame_lone_then_split_halves_then_joined() -> None:
    rep = [["joined", "attach_rounds", 3, True, "a sibling of its burst"],
           ["split half", "seed_pairs", 2, True, "shares an observer"],
           ["own", "", 2, True, ""]]  # fmt: skip
    assert blame(rep) == "split half: burst: seeding (shares an observer)"
    assert blame(rep[::2]) == "joined: burst: attachment (a sibling of its burst)"
    assert blame([["own", "", 2, False, ""]]) == "own"
    lone = [["left alone", "never joined", 2, False, "its phase located"],
            ["clutter", "", -1, False, ""]]  # fmt: skip
    assert blame(lone) == "left alone: alone: never joined (its phase located)"
    # a missed round with a report in its phase's largest event was located
    assert miss_blame([*lone, ["own", "", 3, False, ""]]) == "own"
    assert miss_blame(lone) == "left alone: alone: never joined (its phase located)"


def test_merge_block_names_what_keeps_two_events_apart() -> None:
    cov = np.broadcast_to(np.diag([100.0**2, 100.0**2, 0.5**2]), (3, 3, 3)).copy()
    # events 0 and 1 at one spot and time, event 2 5 km away; observer 0 in 0 and 2
    labels = A([0, 0, 1, 1, 2, 2])
    src = A([0, 1, 2, 3, 0, 4])
    cl = Clusters(labels, A([0.0, 50.0, 5_000.0]), A([0.0, 0.0, 0.0]),
                  A([10.0, 10.2, 10.0]), cov)  # fmt: skip
    t = Trace(["start"], [labels], src, 5, cl)
    assert merge_block(t, 0, 1, 0.999, 2_000.0) == "would merge"
    assert merge_block(t, 0, 2, 0.999, 2_000.0) == "shares an observer"
    assert merge_block(t, 1, 2, 0.999, 2_000.0) == "outside the box"
    assert merge_block(t, 1, 2, 0.999, 10_000.0) == "over the gate"
    cl.cov[1] = np.nan
    assert merge_block(t, 0, 1, 0.999, 2_000.0) == "not fitted"
