"""Scenario profiles: how much happens in a day and how densely it is watched.

Magnitudes are calibrated on the OSCE Special Monitoring Mission's daily
figures (``shared/data/smm_daily_figures.csv``): the mission counted one
ceasefire violation per explosion, projectile, flash or burst *as recorded per
observing position*, 100-300 on quiet days in Donetsk region, 600-2,000 on
heavy ones and "more than 7,000 in one 24-hour period" (2017). The simulator's
equivalent of that count is the number of bearing reports of real rounds by
posts, patrols and cameras (``Summary.osce_equivalent``).

Densities are per 100 km of contact line so that one profile fits a short and
a long line; rates are per 24 h and scale with ``--hours``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ceasefire.model.errors import InputError


@dataclass(frozen=True)
class Profile:
    """Parameters of one kind of day (rates per 24 h, densities per 100 km)."""

    name: str
    #: rounds fired per 24 h over the whole line (a salvo or a burst is one round)
    rounds_per_day: float
    #: hot spots (clusters of firing along the line) and the share of rounds in them
    hotspots: int
    hotspot_share: float
    #: spread of a hot spot along the line, m (1 sigma)
    hotspot_sigma_m: float
    #: mean rounds per engagement (a burst of fire at one hot spot)
    rounds_per_engagement: float
    #: mean duration of an engagement, s
    engagement_s: float
    #: observers per 100 km of line
    posts_per_100km: float
    cameras_per_100km: float
    patrols_per_100km: float
    arrays_per_100km: float
    #: microphones (GPS-timed ``arrival`` sensors) around each acoustic array
    mics_per_array: int
    #: mission drone sorties per 24 h per 100 km
    sorties_per_100km: float
    #: heavy weapons per party per 100 km, and the share placed inside a zone
    weapons_per_100km: float
    inside_share: float
    #: share of weapons moved at each reporting-day boundary
    move_share: float
    #: party drone flights per party per 24 h per 100 km
    uav_per_100km: float
    #: probability, per disengagement area and day, of an object inside it
    da_object_p: float
    #: multiplier of every sensor's clutter rate
    clutter_mult: float


QUIET = Profile(
    name="quiet",
    rounds_per_day=300.0,
    hotspots=5,
    hotspot_share=0.75,
    hotspot_sigma_m=3_000.0,
    rounds_per_engagement=6.0,
    engagement_s=900.0,
    posts_per_100km=5.0,
    cameras_per_100km=3.0,
    patrols_per_100km=4.0,
    arrays_per_100km=1.0,
    mics_per_array=4,
    sorties_per_100km=2.0,
    weapons_per_100km=20.0,
    inside_share=0.12,
    move_share=0.2,
    uav_per_100km=1.5,
    da_object_p=0.3,
    clutter_mult=1.0,
)

HEAVY = Profile(
    name="heavy",
    rounds_per_day=4_000.0,
    hotspots=8,
    hotspot_share=0.8,
    hotspot_sigma_m=2_500.0,
    rounds_per_engagement=25.0,
    engagement_s=1_200.0,
    posts_per_100km=5.0,
    cameras_per_100km=3.0,
    patrols_per_100km=4.0,
    arrays_per_100km=1.0,
    mics_per_array=4,
    sorties_per_100km=2.0,
    weapons_per_100km=30.0,
    inside_share=0.2,
    move_share=0.25,
    uav_per_100km=4.0,
    da_object_p=0.6,
    clutter_mult=1.5,
)

STRESS = Profile(
    name="stress",
    rounds_per_day=160_000.0,
    hotspots=30,
    hotspot_share=0.85,
    hotspot_sigma_m=4_000.0,
    rounds_per_engagement=40.0,
    engagement_s=1_800.0,
    posts_per_100km=8.0,
    cameras_per_100km=6.0,
    patrols_per_100km=4.0,
    arrays_per_100km=4.0,
    mics_per_array=4,
    sorties_per_100km=3.0,
    weapons_per_100km=40.0,
    inside_share=0.2,
    move_share=0.25,
    uav_per_100km=8.0,
    da_object_p=0.8,
    clutter_mult=2.0,
)

PROFILES: dict[str, Profile] = {p.name: p for p in (QUIET, HEAVY, STRESS)}


def get_profile(name: str) -> Profile:
    """The profile called ``name`` (quiet, heavy, stress)."""
    try:
        return PROFILES[name]
    except KeyError:
        raise InputError(
            f"unknown profile {name!r}; expected one of {', '.join(PROFILES)}", field="profile"
        ) from None
