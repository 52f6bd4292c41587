"""Columnar observations: the form the hot path works on (numpy arrays).

Every array has shape ``(n,)``. Absent numbers are NaN; categorical fields are
``int8`` codes into the tuples of :mod:`ceasefire.model.vocab`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import numpy.typing as npt

from ceasefire.model.observation import (
    ArrivalObservation,
    BearingObservation,
    SightingObservation,
)
from ceasefire.model.vocab import (
    DIRECTIONS,
    EVENT_KINDS,
    KINDS,
    OBJECTS,
    SEEN_EVENT_KINDS,
    SENSES,
    WEAPONS,
)

F8 = npt.NDArray[np.float64]
I8 = npt.NDArray[np.int8]
I4 = npt.NDArray[np.int32]
Obj = npt.NDArray[np.object_]

AnyObservation = BearingObservation | ArrivalObservation | SightingObservation


def _run_of(index: npt.NDArray[np.intp] | npt.NDArray[np.bool_], n: int) -> tuple[int, int] | None:
    """``(a, b)`` when the integer ``index`` is ``a, a + 1, ..., b - 1`` with
    ``0 <= a`` and ``b <= n`` (at least two positions), else None."""
    if not isinstance(index, np.ndarray) or index.ndim != 1 or index.dtype.kind not in "iu":
        return None
    if index.shape[0] < 2:
        return None
    a, last = int(index[0]), int(index[-1])
    if (
        a < 0
        or last >= n
        or last - a != index.shape[0] - 1
        or not bool((np.diff(index) == 1).all())
    ):
        return None
    return a, last + 1


@dataclass(frozen=True)
class ObservationArrays:
    """Observations as columns. ``lat``/``lon`` are the observer for bearings and
    arrivals, the object for sightings. ``time_s`` is UTC epoch seconds.
    ``sense`` is a code into ``SENSES`` (heard, seen); left out (length 0), it takes
    the contract's default from ``kind`` and ``event`` (:func:`default_senses`)."""

    id: Obj
    source: Obj
    kind: I8
    time_s: F8
    time_sigma_s: F8
    lat: F8
    lon: F8
    bearing_deg: F8
    bearing_sigma_deg: F8
    range_m: F8
    range_sigma_m: F8
    event: I8
    direction: I8
    weapon: I8
    position_sigma_m: F8
    object: I8
    count: I4
    party: Obj
    sense: I8 = field(default_factory=lambda: np.zeros(0, dtype=np.int8))

    def __post_init__(self) -> None:
        if self.sense.shape[0] != self.id.shape[0]:
            if self.sense.shape[0]:
                raise ValueError(
                    f"sense has {self.sense.shape[0]} rows, the observations {self.id.shape[0]}"
                )
            object.__setattr__(self, "sense", default_senses(self.kind, self.event))

    def __len__(self) -> int:
        return int(self.id.shape[0])

    def take(self, index: npt.NDArray[np.intp] | npt.NDArray[np.bool_]) -> ObservationArrays:
        """The subset at ``index`` (integer positions or a boolean mask): new arrays."""
        run = _run_of(index, len(self))
        if run is not None:
            # consecutive rows (a time window of sorted rows: fusion's tiles) copied
            # as one slice each, ~2.5x the gather on a tile's 50 k rows
            a, b = run
            return ObservationArrays(
                **{f.name: getattr(self, f.name)[a:b].copy() for f in fields(self)}
            )
        return ObservationArrays(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    @staticmethod
    def concat(parts: Sequence[ObservationArrays]) -> ObservationArrays:
        """Rows of all ``parts`` in order."""
        if not parts:
            return ObservationArrays.empty()
        return ObservationArrays(
            **{
                f.name: np.concatenate([getattr(p, f.name) for p in parts])
                for f in fields(parts[0])
            }
        )

    @staticmethod
    def empty() -> ObservationArrays:
        """No rows."""
        return ObservationArrays.from_observations([])

    @staticmethod
    def from_observations(obs: Sequence[AnyObservation]) -> ObservationArrays:
        """Columns from validated observation models."""
        n = len(obs)
        nan = np.full(n, np.nan)
        cols: dict[str, np.ndarray] = {
            "id": np.array([o.id for o in obs], dtype=object),
            "source": np.array([o.source for o in obs], dtype=object),
            "kind": np.array([KINDS.index(o.kind) for o in obs], dtype=np.int8),
            "time_s": np.array([o.time.timestamp() for o in obs], dtype=np.float64),
            "time_sigma_s": np.array([o.effective_time_sigma_s() for o in obs], dtype=np.float64),
            "lat": nan.copy(),
            "lon": nan.copy(),
            "bearing_deg": nan.copy(),
            "bearing_sigma_deg": nan.copy(),
            "range_m": nan.copy(),
            "range_sigma_m": nan.copy(),
            "event": np.full(n, EVENT_KINDS.index("undetermined"), dtype=np.int8),
            "direction": np.full(n, DIRECTIONS.index("undetermined"), dtype=np.int8),
            "weapon": np.full(n, WEAPONS.index("undetermined"), dtype=np.int8),
            "position_sigma_m": nan.copy(),
            "object": np.full(n, -1, dtype=np.int8),
            "count": np.zeros(n, dtype=np.int32),
            "party": np.full(n, None, dtype=object),
            "sense": np.array([SENSES.index(o.effective_sense()) for o in obs], dtype=np.int8),
        }
        for i, o in enumerate(obs):
            if isinstance(o, SightingObservation):
                cols["lat"][i] = o.position.lat
                cols["lon"][i] = o.position.lon
                cols["position_sigma_m"][i] = o.position_sigma_m
                cols["object"][i] = OBJECTS.index(o.object)
                cols["count"][i] = o.count
                cols["party"][i] = o.party
                continue
            cols["lat"][i] = o.observer.lat
            cols["lon"][i] = o.observer.lon
            if o.event is not None:
                cols["event"][i] = EVENT_KINDS.index(o.event)
            if isinstance(o, BearingObservation):
                cols["bearing_deg"][i] = o.bearing_deg
                cols["bearing_sigma_deg"][i] = o.bearing_sigma_deg
                cols["range_m"][i] = o.range_m if o.range_m is not None else np.nan
                if o.range_m is not None:
                    cols["range_sigma_m"][i] = (
                        o.range_sigma_m if o.range_sigma_m is not None else 0.3 * o.range_m
                    )
                cols["direction"][i] = DIRECTIONS.index(o.direction)
                cols["weapon"][i] = WEAPONS.index(o.weapon)
        return ObservationArrays(**cols)


def default_senses(kind: I8, event: I8) -> I8:
    """The contract's default ``sense`` codes of rows of ``kind`` and ``event``
    codes: seen for sightings and flares, heard otherwise
    (:func:`~ceasefire.model.vocab.default_sense`)."""
    seen = (kind == KINDS.index("sighting")) | np.isin(
        event, [EVENT_KINDS.index(k) for k in SEEN_EVENT_KINDS]
    )
    return np.where(seen, SENSES.index("seen"), SENSES.index("heard")).astype(np.int8)


def canonical_order(
    time_s: F8, source: npt.NDArray[Any], ids: npt.NDArray[Any]
) -> npt.NDArray[np.intp]:
    """The canonical order of observation rows, ``np.lexsort((ids.astype(str),
    source.astype(str), time_s))``: by time, then source, then id (then as
    given), the strings made and compared only among rows of equal times (a
    part's times are nearly all distinct: sorting every row's strings cost ~5 x
    the sort by time). Fusion sorts its input so, and a store reads in it."""
    order = np.argsort(time_s, kind="stable")
    ts = time_s[order]
    if ts.shape[0] < 2:
        return order.astype(np.intp, copy=False)
    if np.isnan(ts[-1]):
        # NaN times (sorted last) are equal among themselves to lexsort
        return np.lexsort((ids.astype(str), source.astype(str), time_s)).astype(np.intp)
    tie = ts[1:] == ts[:-1]
    if not tie.any():
        return order.astype(np.intp, copy=False)
    run = np.cumsum(np.r_[True, ~tie])
    tied = np.r_[tie, False] | np.r_[False, tie]
    rows = order[tied]
    # each run of equal times keeps its places; within it, rows by source and id
    sub = np.lexsort((ids[rows].astype(str), source[rows].astype(str), run[tied]))
    order[tied] = rows[sub]
    return order.astype(np.intp, copy=False)


def canonical(obs: ObservationArrays) -> ObservationArrays:
    """``obs``' rows in :func:`canonical_order` (``obs`` itself when they are in it
    already, as a store reads them: no copy of every column)."""
    order = canonical_order(obs.time_s, obs.source, obs.id)
    return obs if bool(np.all(order[1:] > order[:-1])) else obs.take(order)
