"""Scenarios with ground truth, and scoring against it."""

from ceasefire.simulate.files import observation_lines, write_scenario
from ceasefire.simulate.profiles import PROFILES, Profile, get_profile
from ceasefire.simulate.world import Scenario, simulate

__all__ = [
    "PROFILES",
    "Profile",
    "Scenario",
    "get_profile",
    "observation_lines",
    "simulate",
    "write_scenario",
]
