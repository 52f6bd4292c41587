"""The closed vocabularies of the observation contract, in code order.

Columnar arrays store these as small integer codes: ``EVENT_KINDS.index(name)``.
"""

from __future__ import annotations

from typing import Final, Literal

KINDS: Final = ("bearing", "arrival", "sighting")
EVENT_KINDS: Final = ("explosion", "firing", "burst", "shot", "flare", "undetermined")
#: event kinds that are the sound (or flash) of a weapon firing: a round's launch
LAUNCH_EVENT_KINDS: Final = ("firing", "burst", "shot")
DIRECTIONS: Final = ("incoming", "outgoing", "undetermined")
#: how a report perceived its event: by its sound (343 m/s) or its light (no delay)
SENSES: Final = ("heard", "seen")
#: event kinds perceived by their light when a report does not say (a flare)
SEEN_EVENT_KINDS: Final = ("flare",)
WEAPONS: Final = (
    "mortar",
    "artillery",
    "mlrs",
    "tank",
    "small_arms",
    "heavy_machine_gun",
    "undetermined",
)
OBJECTS: Final = (
    "tank",
    "artillery_ge_100mm",
    "mlrs",
    "mlrs_heavy",
    "tactical_missile",
    "mortar",
    "apc",
    "air_defence",
    "uav",
    "troops",
    "other",
)

Kind = Literal["bearing", "arrival", "sighting"]
EventKind = Literal["explosion", "firing", "burst", "shot", "flare", "undetermined"]
Direction = Literal["incoming", "outgoing", "undetermined"]
Sense = Literal["heard", "seen"]
Weapon = Literal[
    "mortar", "artillery", "mlrs", "tank", "small_arms", "heavy_machine_gun", "undetermined"
]
ObjectClass = Literal[
    "tank",
    "artillery_ge_100mm",
    "mlrs",
    "mlrs_heavy",
    "tactical_missile",
    "mortar",
    "apc",
    "air_defence",
    "uav",
    "troops",
    "other",
]

#: Default standard error of ``time`` per kind when a record gives none, in s:
#: a person's reaction and note-taking; a GPS-timed acoustic sensor; a drone
#: sighting stamped by the ground station.
DEFAULT_TIME_SIGMA_S: Final = {"bearing": 1.5, "arrival": 0.005, "sighting": 5.0}

#: Speed of sound used throughout, m/s (dry air near 20 °C).
SPEED_OF_SOUND_M_S: Final = 343.0


def default_sense(kind: str, event: str | None) -> str:
    """How a report perceived its event when it does not say: a sighting is seen; a
    bearing or arrival is seen when its event kind is one of ``SEEN_EVENT_KINDS``
    (a flare), heard otherwise (an acoustic sensor's arrival, a person's report of
    a bang)."""
    if kind == "sighting" or event in SEEN_EVENT_KINDS:
        return "seen"
    return "heard"
