"""What fusion assumes of each weapon class, keyed by weapon name (vocab WEAPONS):
how fast its rounds fly on average, how far they go, how far they are heard."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ceasefire.model.vocab import WEAPONS

F8 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class WeaponFlight:
    """One weapon class. ``speed_m_s``: mean speed along the trajectory (flight time
    = distance / speed; 0: no speed assumed, the class is not tried for pairing);
    ``range_min_m``/``range_max_m``: launch-to-impact distance bounds;
    ``hearing_l50_m``: distance at which half of its sounds are heard."""

    speed_m_s: float
    range_min_m: float
    range_max_m: float
    hearing_l50_m: float


#: the classes of vocab WEAPONS ("undetermined": a sound of no named class)
WEAPON_FLIGHTS: Mapping[str, WeaponFlight] = {
    "mortar": WeaponFlight(180.0, 500.0, 8_000.0, 4_000.0),
    "artillery": WeaponFlight(330.0, 3_000.0, 30_000.0, 10_000.0),
    "mlrs": WeaponFlight(450.0, 4_000.0, 40_000.0, 12_000.0),
    "tank": WeaponFlight(1_200.0, 500.0, 5_000.0, 6_000.0),
    "small_arms": WeaponFlight(600.0, 50.0, 1_000.0, 1_500.0),
    "heavy_machine_gun": WeaponFlight(700.0, 100.0, 2_000.0, 2_500.0),
    "undetermined": WeaponFlight(0.0, 0.0, 45_000.0, 5_000.0),
}


def per_code(weapons: Mapping[str, WeaponFlight], attr: str) -> F8:
    """``attr`` of each weapon in vocab WEAPONS order (codes), 0 for a class the
    mapping leaves out (not tried)."""
    return np.array(
        [getattr(weapons[w], attr) if w in weapons else 0.0 for w in WEAPONS], dtype=np.float64
    )


def check_names(weapons: Mapping[str, WeaponFlight]) -> None:
    """Raise ValueError naming a key that is no weapon class of the vocabulary."""
    bad = sorted(set(weapons) - set(WEAPONS))
    if bad:
        raise ValueError(f"unknown weapon class {bad[0]!r}; expected one of {', '.join(WEAPONS)}")
