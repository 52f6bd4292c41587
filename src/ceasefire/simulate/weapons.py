"""Weapon classes: ranges, flight times, loudness, and what a drone sees of them.

Figures are round numbers of the public order of magnitude (120 mm mortar up to
~7 km, 122/152 mm artillery and 122 mm MLRS to ~20-25 km, tank guns fired
directly at up to ~4 km); loudness is expressed as the distance at which a
person hears (or sees the flash of) the event with probability 1/2 by day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ceasefire.model.vocab import WEAPONS


@dataclass(frozen=True)
class WeaponSpec:
    """One weapon class (``name`` is a :data:`~ceasefire.model.vocab.WEAPONS` value).

    ``speed_m_s`` is the mean speed along the trajectory: flight time =
    range / speed. ``impact_l50_m`` is 0 when an impact makes no perceivable
    explosion (bullets). ``depth_*_m``: how far behind the contact line it fires.
    """

    name: str
    share: float
    range_min_m: float
    range_max_m: float
    speed_m_s: float
    launch_l50_m: float
    impact_l50_m: float
    depth_min_m: float
    depth_max_m: float
    launch_event: str
    object: str | None


WEAPON_SPECS: tuple[WeaponSpec, ...] = (
    WeaponSpec("mortar", 0.28, 800.0, 7_000.0, 180.0, 3_000.0, 6_000.0, 300.0, 3_000.0,
               "firing", "mortar"),
    WeaponSpec("artillery", 0.12, 4_000.0, 24_000.0, 330.0, 12_000.0, 9_000.0, 3_000.0,
               15_000.0, "firing", "artillery_ge_100mm"),
    WeaponSpec("mlrs", 0.04, 5_000.0, 20_000.0, 450.0, 15_000.0, 12_000.0, 4_000.0, 14_000.0,
               "firing", "mlrs"),
    WeaponSpec("tank", 0.08, 800.0, 4_000.0, 1_200.0, 8_000.0, 6_000.0, 500.0, 3_000.0,
               "firing", "tank"),
    WeaponSpec("small_arms", 0.33, 100.0, 800.0, 600.0, 1_500.0, 0.0, 50.0, 400.0,
               "burst", None),
    WeaponSpec("heavy_machine_gun", 0.15, 300.0, 1_800.0, 700.0, 3_000.0, 0.0, 100.0, 800.0,
               "burst", None),
)  # fmt: skip

#: spec by vocab code (``WEAPONS.index(name)``)
SPEC_BY_CODE: dict[int, WeaponSpec] = {WEAPONS.index(s.name): s for s in WEAPON_SPECS}


def table(attr: str) -> np.ndarray:
    """``attr`` of every weapon, indexed by vocab code (NaN for ``undetermined``)."""
    out = np.full(len(WEAPONS), np.nan)
    for code, spec in SPEC_BY_CODE.items():
        out[code] = float(getattr(spec, attr))
    return out


#: Ground objects placed on each side, with their share among a party's weapons.
OBJECT_SHARES: dict[str, float] = {
    "tank": 0.25,
    "artillery_ge_100mm": 0.2,
    "mlrs": 0.08,
    "mlrs_heavy": 0.03,
    "tactical_missile": 0.01,
    "mortar": 0.2,
    "apc": 0.18,
    "air_defence": 0.05,
}

#: How a drone misreads an object class: {true: ((read_as, probability), ...)}.
MISCLASSIFY: dict[str, tuple[tuple[str, float], ...]] = {
    "tank": (("apc", 0.1),),
    "apc": (("tank", 0.1),),
    "artillery_ge_100mm": (("mlrs", 0.05), ("tank", 0.03)),
    "mlrs": (("artillery_ge_100mm", 0.05),),
    "mlrs_heavy": (("mlrs", 0.15),),
    "mortar": (("other", 0.1),),
}
