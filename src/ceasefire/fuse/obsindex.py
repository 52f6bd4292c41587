"""Lookups into a fused set of observations made once and shared by the
engine, corroboration and explanation (:mod:`.corroborate`, :mod:`.explain`): the
rows found by observation id (:class:`RowIds`) and each row's observer code
(:func:`observer_codes`, :func:`source_codes`): ~10⁵ strings a tile, read once.
Both by dicts: hashing the strings costs a fraction of sorting them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import repeat

import numpy as np
import numpy.typing as npt

from ceasefire.fuse.keys import ranges
from ceasefire.model.arrays import ObservationArrays
from ceasefire.model.results import Event

IP = npt.NDArray[np.intp]


@dataclass(frozen=True)
class RowIds:
    """Each observation id's row (of equal ids the first), to find the rows of
    events' members."""

    row_of: dict[str, int]

    @staticmethod
    def of(obs: ObservationArrays) -> RowIds:
        ids = obs.id.tolist()
        # the last assignment of an id wins: made backwards, its first row
        return RowIds(dict(zip(reversed(ids), range(len(ids) - 1, -1, -1), strict=True)))

    def rows(self, want: Sequence[str]) -> IP:
        """The row of each id in ``want`` (-1: not among the observations)."""
        return np.fromiter(map(self.row_of.get, want, repeat(-1)), np.intp, len(want))

    def members(self, events: Sequence[Event]) -> tuple[IP, IP]:
        """(event index, row in the observations) of every member of ``events``
        found, in event order and each event's member order."""
        owner = np.repeat(np.arange(len(events)), [len(e.observation_ids) for e in events])
        at = self.rows([o for e in events for o in e.observation_ids])
        hit = at >= 0
        return owner[hit].astype(np.intp), at[hit]


@dataclass(frozen=True)
class EventRows:
    """The member rows of the events of a list, for the subsets corroboration and
    explanation ask about in turn (lone events, located ones, pieces). A long list
    (a tile of heavy fire: ~10⁴ events, ~10⁵ ids) has every event's ids looked up
    once, up front, and its subsets sliced by numpy; a short one (a bearing
    tile's ~100 events) is looked up per question, as numpy's calls would cost
    more than the look-ups they save."""

    ids: RowIds
    events: Sequence[Event]
    #: with the rows found up front: ``(E + 1,)`` offsets, event k's rows being
    #: ``rows[start[k]:start[k + 1]]``, and those rows (in event and member order)
    start: IP | None = None
    rows: IP | None = None

    @staticmethod
    def of(ids: RowIds, events: Sequence[Event]) -> EventRows:
        if sum(len(e.observation_ids) for e in events) < _MANY_IDS:
            return EventRows(ids, events)
        owner, at = ids.members(events)
        start = np.searchsorted(owner, np.arange(len(events) + 1)).astype(np.intp)
        return EventRows(ids, events, start, at)

    def members(self, ks: npt.ArrayLike) -> tuple[IP, IP]:
        """(position in ``ks``, row) of every member found of events ``ks`` (indices
        into the list), in the order of ``ks`` and each event's member order:
        ``RowIds.members([events[k] for k in ks])``."""
        k = np.asarray(ks, np.intp).reshape(-1)
        if self.start is None or self.rows is None:
            return self.ids.members([self.events[e] for e in k.tolist()])
        first = self.start[k]
        count = self.start[k + 1] - first
        owner = np.repeat(np.arange(k.shape[0], dtype=np.intp), count)
        return owner, self.rows[ranges(first, count)]

    def take(self, ks: npt.ArrayLike) -> EventRows:
        """The rows of events ``ks`` (indices into the list), as a list of them."""
        k = np.asarray(ks, np.intp).reshape(-1)
        events = [self.events[e] for e in k.tolist()]
        if self.start is None or self.rows is None:
            return EventRows(self.ids, events)
        owner, at = self.members(k)
        start = np.searchsorted(owner, np.arange(k.shape[0] + 1)).astype(np.intp)
        return EventRows(self.ids, events, start, at)


#: events' ids at least this many: :meth:`EventRows.of` looks them all up at once
_MANY_IDS = 2_000


def observer_codes(source: npt.NDArray[np.object_]) -> tuple[npt.NDArray[np.str_], IP]:
    """The sorted distinct names of ``source`` (str objects, ``(n,)``) and each
    report's code among them: ``np.unique(source.astype(str), return_inverse=True)``
    by a set and a dict (a few hundred observers among tens of thousands of
    reports: numpy sorts every string, ~3 x the time). Names with a NUL go to numpy
    (its strings drop trailing NULs)."""
    lst = source.tolist()
    distinct = set(lst)
    if not all(type(s) is str and "\x00" not in s for s in distinct):
        names, inv = np.unique(source.astype(str), return_inverse=True)
        return names, inv.ravel().astype(np.intp)
    order = sorted(distinct)
    code = {s: i for i, s in enumerate(order)}
    names = np.array(order, dtype=str) if order else np.zeros(0, "<U1")
    return names, np.fromiter(map(code.__getitem__, lst), np.intp, len(lst))


def source_codes(obs: ObservationArrays) -> IP:
    """Each observation's observer code: the rank of its ``source`` among the
    distinct sources (:func:`observer_codes`)."""
    return observer_codes(obs.source)[1]
