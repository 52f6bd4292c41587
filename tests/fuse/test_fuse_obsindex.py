"""The lookups corroboration and explanation share (fuse/obsindex.py): each
observation's observer code is the rank of its source among the distinct
sources, as ``np.unique`` of the names as strings gives it, and events' members
are found by id, the first row of a repeated id, missing ids left out."""

from __future__ import annotations

import numpy as np
import pytest

from ceasefire.fuse import obsindex
from ceasefire.fuse.obsindex import EventRows, RowIds, source_codes
from ceasefire.model.arrays import ObservationArrays
from ceasefire.model.results import Event


def _obs(ids: list[str], sources: list[str]) -> ObservationArrays:
    n = len(ids)
    z = np.zeros(n)
    i8 = np.zeros(n, np.int8)
    return ObservationArrays(
        id=np.array(ids, dtype=object), source=np.array(sources, dtype=object), kind=i8,
        time_s=z, time_sigma_s=z, lat=z, lon=z, bearing_deg=z, bearing_sigma_deg=z,
        range_m=z, range_sigma_m=z, event=i8, direction=i8, weapon=i8,
        position_sigma_m=z, object=i8, count=np.zeros(n, np.int32),
        party=np.full(n, None, dtype=object), sense=i8,
    )  # fmt: skip


def _event(members: tuple[str, ...]) -> Event:
    return Event("e", "explosion", 0.0, None, None, None, members, 1)


def test_observer_codes_rank_the_sources_as_strings() -> None:
    # "post-10" sorts before "post-2" and "Post" before "post" (code points): the
    # codes follow the strings' order, not the order of first appearance
    names = ["post-2", "post-10", "Post-1", "post-2", "mic-ä", "post-10", "mic-a"]
    got = source_codes(_obs([f"o{i}" for i in range(len(names))], names))
    assert got.tolist() == [4, 3, 0, 4, 2, 3, 1]
    rng = np.random.default_rng(3)
    many = [f"s{k}" for k in rng.integers(0, 300, 5_000)]
    want = np.unique(np.array(many, dtype=object).astype(str), return_inverse=True)[1]
    assert np.array_equal(source_codes(_obs([str(i) for i in range(5_000)], many)), want.ravel())
    assert source_codes(_obs([], [])).shape == (0,)


def test_members_are_found_by_id_first_row_of_a_repeat_missing_left_out() -> None:
    ids = RowIds.of(_obs(["a", "b", "c", "b", "d"], ["s"] * 5))
    events = [_event(("c", "a")), _event(("zz",)), _event(("b", "d", "nope"))]
    owner, rows = ids.members(events)
    # event order, then each event's member order; "b" is row 1, not its repeat 3
    assert owner.tolist() == [0, 0, 2, 2] and rows.tolist() == [2, 0, 1, 4]
    assert ids.rows(["d", "x"]).tolist() == [4, -1]
    empty = RowIds.of(_obs([], []))
    assert empty.rows(["a"]).tolist() == [-1] and empty.members([])[0].shape == (0,)


@pytest.mark.parametrize("many", [0, 10**9])
def test_event_rows_answer_each_subset_as_members_of_that_subset(
    many: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # looked up at once (a long list of events) or per question (a short one)
    monkeypatch.setattr(obsindex, "_MANY_IDS", many)
    obs = _obs(["a", "b", "c", "b", "d", "e"], ["s"] * 6)
    ids = RowIds.of(obs)
    events = [
        _event(("c", "a")),
        _event(("zz",)),
        _event(("b", "d", "nope")),
        _event(()),
        _event(("e", "a")),
    ]
    rows = EventRows.of(ids, events)
    assert (rows.start is None) == (many > 0)
    # any subset, in any order, repeats included: the rows RowIds finds for the
    # subset's events themselves, owners numbered by place in the subset
    for ks in ([0, 1, 2, 3, 4], [4, 2], [2, 2, 0], [1, 3], []):
        got = rows.members(ks)
        want = ids.members([events[k] for k in ks])
        assert [a.tolist() for a in got] == [a.tolist() for a in want], ks
        assert got[0].dtype == got[1].dtype == np.intp
    assert rows.members(np.array([4, 0]))[1].tolist() == [5, 0, 2, 0]
    # a subset taken as a list of its own: its members as that list's
    sub = rows.take([4, 1, 2])
    for ks in ([0, 1, 2], [2, 0], []):
        got = sub.members(ks)
        want = ids.members([events[[4, 1, 2][k]] for k in ks])
        assert [a.tolist() for a in got] == [a.tolist() for a in want], ks
    none = EventRows.of(ids, [])
    assert none.members([])[0].shape == (0,) and none.take([]).members([])[1].shape == (0,)
