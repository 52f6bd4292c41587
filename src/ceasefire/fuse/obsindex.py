"""Lookups into a fused set of observations made once and shared by
corroboration and explanation (:mod:`.corroborate`, :mod:`.explain`): the rows
found by observation id (:class:`RowIds`) and each row's observer code
(:func:`source_codes`): ~10⁵ strings a tile, read once. Both by dicts: hashing
the strings costs a fraction of sorting them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import repeat

import numpy as np
import numpy.typing as npt

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


def source_codes(obs: ObservationArrays) -> npt.NDArray[np.int64]:
    """Each observation's observer code: the rank of its ``source`` among the
    distinct sources (``np.unique(obs.source.astype(str), return_inverse=True)``'s
    inverse). Only the few hundred distinct names are converted and sorted, not
    every row's; rows find their code by one dict lookup each."""
    names = obs.source.tolist()
    distinct = list(set(names))
    # the names as numpy strings, so names numpy's conversion makes equal share a code
    _, rank = np.unique(np.array(distinct, dtype=str), return_inverse=True)
    code = dict(zip(distinct, rank.ravel().tolist(), strict=True))
    return np.fromiter(map(code.__getitem__, names), np.int64, len(names))
