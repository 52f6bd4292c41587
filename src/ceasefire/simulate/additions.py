"""What a scenario may add to a simulated day's draws: more rounds, more things
on the ground, more sightings (a drone tasked over one sector). ``simulate``
draws the day first and the addition after it, from a generator of its own,
so the day beneath an addition is the same day as without it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from ceasefire.mandate import Mandate
from ceasefire.simulate.ground import Sighting, Thing
from ceasefire.simulate.rounds import Rounds

__all__ = ["Addition", "concat_rounds", "merge_sightings"]


class Addition(Protocol):
    """A scenario's additions to a day (see the module docstring)."""

    def rounds(self, m: Mandate, start_s: float, end_s: float, rng: np.random.Generator) -> Rounds:
        """Rounds to add."""
        ...

    def things(
        self, m: Mandate, start_s: float, end_s: float, rng: np.random.Generator
    ) -> list[Thing]:
        """Things on the ground (or in the air) to add."""
        ...

    def sightings(
        self,
        m: Mandate,
        things: Sequence[Thing],
        start_s: float,
        end_s: float,
        rng: np.random.Generator,
    ) -> list[Sighting]:
        """Sightings to add (``Sighting.thing`` indexes ``things``)."""
        ...

    def truth(self, m: Mandate, start_s: float, end_s: float) -> dict[str, Any]:
        """What the scenario adds to the truth (JSON-able)."""
        ...


def concat_rounds(a: Rounds, b: Rounds) -> Rounds:
    """The rounds of ``a`` and ``b``, in launch order (``a`` first on ties)."""
    fields = (
        "weapon",
        "side",
        "launch_lat",
        "launch_lon",
        "launch_s",
        "impact_lat",
        "impact_lon",
        "impact_s",
        "chainage_m",
    )
    cat = {f: np.concatenate([getattr(a, f), getattr(b, f)]) for f in fields}
    order = np.argsort(cat["launch_s"], kind="stable")
    return Rounds(**{f: v[order] for f, v in cat.items()})


def merge_sightings(
    things: Sequence[Thing], a: Sequence[Sighting], b: Sequence[Sighting]
) -> list[Sighting]:
    """``a`` and ``b`` in time order, each thing's ``sightings`` indices renumbered."""
    out = sorted([*a, *b], key=lambda s: (s.time_s, s.source, s.thing))
    for th in things:
        th.sightings.clear()
    for k, seen in enumerate(out):
        things[seen.thing].sightings.append(k)
    return out
