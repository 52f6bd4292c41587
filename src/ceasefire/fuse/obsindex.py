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
    """The member rows of every event of a list, found once (:meth:`RowIds.members`
    of the whole list), for the subsets corroboration and explanation ask about in
    turn (lone events, located ones, pieces: each event's ids looked up once, not
    once a question)."""

    start: IP  # (E + 1,) event k's rows are ``at[start[k]:start[k + 1]]``
    at: IP  # rows of the members found, in event order and member order

    @staticmethod
    def of(ids: RowIds, events: Sequence[Event]) -> EventRows:
        owner, at = ids.members(events)
        start = np.searchsorted(owner, np.arange(len(events) + 1)).astype(np.intp)
        return EventRows(start, at)

    def members(self, ks: npt.ArrayLike) -> tuple[IP, IP]:
        """(position in ``ks``, row) of every member found of events ``ks`` (indices
        into the list), in the order of ``ks`` and each event's member order:
        ``RowIds.members([events[k] for k in ks])``."""
        k = np.asarray(ks, np.intp).reshape(-1)
        first = self.start[k]
        count = self.start[k + 1] - first
        owner = np.repeat(np.arange(k.shape[0], dtype=np.intp), count)
        return owner, self.at[ranges(first, count)]

    def take(self, ks: npt.ArrayLike) -> EventRows:
        """The rows of events ``ks`` (indices into the list), as a list of them."""
        k = np.asarray(ks, np.intp).reshape(-1)
        first = self.start[k]
        count = self.start[k + 1] - first
        start = np.zeros(k.shape[0] + 1, np.intp)
        np.cumsum(count, out=start[1:])
        return EventRows(start, self.at[ranges(first, count)])


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
