"""The gates' slot and phase rules (``association.gates``): the compiled loops
(numba, the ``fast`` extra) give the numpy code's answers, on random labels,
observers and phases with ties; and a hand-made case for each rule."""

from __future__ import annotations

import numpy as np
import pytest

from ceasefire.fuse.association import Reports, gates
from ceasefire.fuse.association.reports import DIR_UNDET
from ceasefire.fuse.solve import Rows


def _reports(src: np.ndarray, direction: np.ndarray) -> Reports:
    n = src.shape[0]
    one = np.ones(n)
    rows = Rows(one, one, one, one, np.arange(n, dtype=float), one, one, one, one)
    return Reports(rows, src, direction.astype(np.int8), 343.0, 30_000.0)


def test_a_slot_is_free_unless_the_event_holds_a_report_of_the_observer() -> None:
    # event 0 holds observers 4 and 5, event 1 observer 5, event 2 nothing
    rep = _reports(np.array([4, 5, 5, 4, 6]), np.full(5, DIR_UNDET))
    labels = np.array([0, 0, 1, -1, -1])
    g, k = np.array([0, 0, 1, 1, 2, 2]), np.array([3, 4, 3, 2, 3, 4])
    assert gates.slot_free(rep, g, k, labels).tolist() == [False, True, True, False, True, True]


def test_an_events_phase_is_its_members_majority_ties_to_the_lower_code() -> None:
    # event 0: two incoming, one outgoing; event 1: one each (a tie: incoming);
    # event 2: undetermined members only; event 3: no member
    direction = np.array([0, 0, 1, 0, 1, DIR_UNDET, 1])
    labels = np.array([0, 0, 0, 1, 1, 2, -1])
    assert gates.event_direction(direction, labels, 4).tolist() == [0, 0, DIR_UNDET, DIR_UNDET]


@pytest.mark.parametrize("seed", [1, 2])
def test_the_compiled_slot_and_phase_rules_give_the_numpy_codes_answers(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("numba")
    rng = np.random.default_rng(seed)
    n, n_ev, n_src = 5_000, 400, 80
    rep = _reports(rng.integers(0, n_src, n), rng.integers(0, 3, n))
    labels = np.where(rng.random(n) < 0.6, rng.integers(0, n_ev - 20, n), -1).astype(np.intp)
    g = rng.integers(0, n_ev, 30_000).astype(np.intp)  # events without members too
    k = rng.integers(0, n, 30_000).astype(np.intp)
    fast_slot = gates.slot_free(rep, g, k, labels)
    fast_dir = gates.event_direction(rep.direction, labels, n_ev)
    monkeypatch.setattr(gates, "_slot_kernels", lambda: None)
    slow_slot = gates.slot_free(rep, g, k, labels)
    slow_dir = gates.event_direction(rep.direction, labels, n_ev)
    assert 0 < int(slow_slot.sum()) < slow_slot.shape[0]  # the premise: both answers
    assert len(set(slow_dir.tolist())) == 3  # every phase, undetermined too
    assert np.array_equal(fast_slot, slow_slot)
    assert np.array_equal(fast_dir, slow_dir)


def test_the_slot_table_lists_each_events_observers_but_the_skipped_rows() -> None:
    """The helper both compiled slot tests call (``slot_free``'s loop and
    reassignment's ``open_edges``), run as plain Python: rows 1 and 4 skipped,
    event 0 keeps observer 4 only, event 1 observer 5 (row 2), event 2 observer 6."""
    labels = np.array([0, 0, 1, -1, 1, 2])
    src = np.array([4, 5, 5, 4, 7, 6])
    skip = np.array([False, True, False, False, True, False])
    start, held = gates.held_observers(labels, src, skip, 4)
    assert start.tolist() == [0, 1, 2, 3, 3]
    assert held.tolist() == [4, 5, 6]
    assert [gates.holds(start, held, e, s) for e, s in [(0, 4), (0, 5), (1, 5), (1, 7)]] == [
        True,
        False,
        True,
        False,
    ]
    assert not gates.holds(start, held, 3, 4)
