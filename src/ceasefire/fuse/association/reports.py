"""What association works on: the report rows, who made each, the phase each
names, and the physical frame (speed of sound, detection range)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ceasefire.fuse.solve import Rows

F8 = npt.NDArray[np.float64]
IP = npt.NDArray[np.intp]
I8 = npt.NDArray[np.int8]
B = npt.NDArray[np.bool_]

#: direction code meaning "undetermined" (vocab DIRECTIONS index 2)
DIR_UNDET = 2


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

    def take(self, index: IP) -> Reports:
        """The reports ``index`` (same frame)."""
        return Reports(
            self.rows.take(index), self.src[index], self.direction[index], self.c,
            self.max_range_m, self.min_tdoa_sensors,
        )  # fmt: skip
