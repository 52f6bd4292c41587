"""Shared types of every stage. Imports nothing of ours."""

from ceasefire.model.arrays import ObservationArrays
from ceasefire.model.observation import (
    ArrivalObservation,
    BearingObservation,
    Evidence,
    Observation,
    Position,
    SightingObservation,
    observation_json_schema,
)
from ceasefire.model.results import Ellipse, Escalation, Event, Violation, ellipse_from_cov

__all__ = [
    "ArrivalObservation",
    "BearingObservation",
    "Ellipse",
    "Escalation",
    "Event",
    "Evidence",
    "Observation",
    "ObservationArrays",
    "Position",
    "SightingObservation",
    "Violation",
    "ellipse_from_cov",
    "observation_json_schema",
]
