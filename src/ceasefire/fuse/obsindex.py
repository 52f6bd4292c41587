"""Lookups into a fused set of observations made once and shared by
corroboration and explanation (:mod:`.corroborate`, :mod:`.explain`): the rows
found by observation id (:class:`RowIds`) and each row's observer code
(:func:`source_codes`). Each costs a sort of ~10⁵ strings per tile; both steps
used to make their own."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ceasefire.model.arrays import ObservationArrays
from ceasefire.model.results import Event

IP = npt.NDArray[np.intp]


@dataclass(frozen=True)
class RowIds:
    """The observations' ids sorted (stable: of equal ids the first row), to find
    rows by id without a dict."""

    sorted_ids: npt.NDArray[np.str_]
    by_id: IP

    @staticmethod
    def of(obs: ObservationArrays) -> RowIds:
        ids = obs.id.astype(str)
        by_id = np.argsort(ids, kind="stable").astype(np.intp)
        return RowIds(ids[by_id], by_id)

    def rows(self, want: npt.NDArray[np.str_]) -> IP:
        """The row of each id in ``want`` (-1: not among the observations)."""
        if self.sorted_ids.shape[0] == 0 or want.shape[0] == 0:
            return np.full(want.shape[0], -1, np.intp)
        at = np.minimum(np.searchsorted(self.sorted_ids, want), self.sorted_ids.shape[0] - 1)
        return np.where(self.sorted_ids[at] == want, self.by_id[at], -1).astype(np.intp)

    def members(self, events: Sequence[Event]) -> tuple[IP, IP]:
        """(event index, row in the observations) of every member of ``events``
        found, in event order and each event's member order."""
        owner = np.repeat(np.arange(len(events)), [len(e.observation_ids) for e in events])
        want = np.array([o for e in events for o in e.observation_ids], dtype=str)
        at = self.rows(want)
        hit = at >= 0
        return owner[hit].astype(np.intp), at[hit]


def source_codes(obs: ObservationArrays) -> npt.NDArray[np.int64]:
    """Each observation's observer code: the rank of its ``source`` among the
    distinct sources (``np.unique(obs.source.astype(str), return_inverse=True)``'s
    inverse). The few hundred distinct names are found by a dict and only they are
    converted and sorted, not every row's."""
    first: dict[object, int] = {}
    seen = np.fromiter(
        (first.setdefault(s, len(first)) for s in obs.source.tolist()), np.intp, len(obs)
    )
    # the names as numpy strings, so names numpy's conversion makes equal share a code
    _, rank = np.unique(np.array(list(first), dtype=str), return_inverse=True)
    return np.asarray(rank.ravel()[seen], dtype=np.int64)
