"""What association works on: the report rows, who made each, the phase each
names, and the physical frame (speed of sound, detection range)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from ceasefire.fuse.keys import row_ranks, stable_argsort
from ceasefire.fuse.solve import Rows

F8 = npt.NDArray[np.float64]
IP = npt.NDArray[np.intp]
I8 = npt.NDArray[np.int8]
B = npt.NDArray[np.bool_]

#: direction code meaning "undetermined" (vocab DIRECTIONS index 2)
DIR_UNDET = 2


@dataclass
class WindowMemo:
    """The time windows of a fixed set of rows (every bearing; every row), kept across
    the candidate searches of one :class:`Reports`
    (:func:`~ceasefire.fuse.association.gates.bearing_candidates`). ``runs``: the
    rows' observer runs (rows by position then time, each run's start and end among
    them, its position x and y, the rows' times, each run's smallest speed factor and
    largest time sd); ``tables``: the runs' time slices
    (:func:`~ceasefire.fuse.association.windows.slice_tables`, None without numba).
    Per event estimate of the last call (slot ``i``): the bits of its x, y, T and
    covariance (``keys`` ``(S, 12)`` uint64) and the bearing rows in its window,
    ``rows[start[i]:start[i] + count[i]]``, with each pair's marginal gate in
    ``passes``; ``lookup`` orders the slots by ``hashes`` (x's bits xor T's). A
    window and a gate depend on nothing else, so an event whose estimate did not
    change keeps its rows whatever its index. ``by_run``: the rows in the runs'
    order (the marginal gate reads a searched event's rows in that order: in
    place, they lie scattered over the row arrays). ``buffers``: the arrays
    ``rows``, ``passes`` and ``pass_rows`` are the first entries of (the
    compiled search appends to them in place, :func:`~.kept_loops._pool_loop`).
    From the compiled search only (None from the numpy code): each slot's
    passing rows alone, ``pass_rows[pass_start[i]:pass_start[i] +
    pass_count[i]]``."""

    runs: tuple[IP, IP, IP, F8, F8, F8, F8, F8] | None = None
    by_run: Rows | None = None
    tables: tuple[IP, IP, F8, F8] | None = None
    keys: npt.NDArray[np.uint64] | None = None
    hashes: npt.NDArray[np.uint64] | None = None
    lookup: IP | None = None
    start: IP | None = None
    count: IP | None = None
    rows: IP | None = None
    passes: B | None = None
    buffers: tuple[IP, B, IP] | None = None
    pass_start: IP | None = None
    pass_count: IP | None = None
    pass_rows: IP | None = None


@dataclass(frozen=True)
class Reports:
    """Bearing and arrival rows (time-sorted) with, per row, its observer's code
    ``src`` and the phase it names ``direction`` (a DIRECTIONS code); ``c`` the
    speed of sound (m/s), ``max_range_m`` the farthest a report is heard from,
    ``min_tdoa_sensors`` the arrivals that fix a position alone."""

    rows: Rows
    src: IP
    direction: I8
    c: float
    max_range_m: float
    min_tdoa_sensors: int = 4

    @property
    def n(self) -> int:
        return int(self.rows.ox.shape[0])

    @property
    def n_src(self) -> int:
        """Observer codes run below this."""
        return int(self.src.max()) + 1

    @property
    def is_bearing(self) -> B:
        return np.isfinite(self.rows.az)

    @property
    def reach_m(self) -> float:
        """The farthest an event may lie from an observer of its reports (1.2 x the
        detection range: ranges are stated, not known)."""
        return 1.2 * self.max_range_m

    @cached_property
    def finite_positions(self) -> bool:
        """Every row's observer position is finite."""
        return bool(np.isfinite(self.rows.ox).all() and np.isfinite(self.rows.oy).all())

    @cached_property
    def position_id(self) -> IP:
        """Per row, its observer position's rank among the distinct positions in
        (x, y) order; computed once per :class:`Reports` (positions never change
        while association runs, and every candidate search groups by them)."""
        return row_ranks(self.rows.ox, self.rows.oy)

    @cached_property
    def run_order(self) -> IP:
        """Every row in observer-position order, then time order, ties by row
        (:func:`observer_runs` of all rows); sorted once per :class:`Reports`.
        Rows already in time order (fusion's are) need only a stable sort by
        position (each position's rows then by row: by time, ties by row), a radix
        sort of the position ranks (~10 x quicker than the two-key lexsort)."""
        t, pid = self.rows.t, self.position_id
        if t.shape[0] > 1 and bool((t[1:] >= t[:-1]).all()):  # (NaN: not in order)
            return stable_argsort(pid)
        return np.asarray(np.lexsort((t, pid)), dtype=np.intp)

    @cached_property
    def window_memo(self) -> WindowMemo:
        """The bearings' windows found so far (filled by the candidate search)."""
        return WindowMemo()

    def take(self, index: IP) -> Reports:
        """The reports ``index`` (same frame)."""
        return Reports(
            self.rows.take(index), self.src[index], self.direction[index], self.c,
            self.max_range_m, self.min_tdoa_sensors,
        )  # fmt: skip


def observer_runs(rep: Reports, idx: IP) -> tuple[IP, list[tuple[int, int]]]:
    """``idx`` ordered by observer position, then time, and the ``[start, end)`` of
    each observer's run in that order (an observer is a position: a sensor)."""
    out, starts, ends = observer_run_bounds(rep, idx)
    return out, list(zip(starts.tolist(), ends.tolist(), strict=True))


def observer_run_bounds(rep: Reports, idx: IP) -> tuple[IP, IP, IP]:
    """:func:`observer_runs` with the runs' starts and ends as two arrays."""
    if idx.shape[0] > 1 and bool(np.all(idx[1:] > idx[:-1])):
        # increasing rows (as flatnonzero gives): the all-rows order filtered is
        # their own stable sort (ties by row either way)
        on = np.zeros(rep.n, bool)
        on[idx] = True
        out = rep.run_order[on[rep.run_order]]
    else:
        out = idx[np.lexsort((rep.rows.t[idx], rep.position_id[idx]))]
    pid = rep.position_id[out]
    bounds = (pid[1:] != pid[:-1]).nonzero()[0] + 1
    starts = np.empty(bounds.shape[0] + 1, np.intp)
    starts[0] = 0
    starts[1:] = bounds
    ends = np.empty(bounds.shape[0] + 1, np.intp)
    ends[:-1] = bounds
    ends[-1] = idx.shape[0]
    return out, starts, ends
