"""Drone patrols: the fleet document, sortie planning, coverage."""

from ceasefire.patrol.fleet import Fleet, FleetDoc, load_fleet, parse_fleet
from ceasefire.patrol.plan import Plan, Sortie
from ceasefire.patrol.solve import plan_patrols

__all__ = ["Fleet", "FleetDoc", "Plan", "Sortie", "load_fleet", "parse_fleet", "plan_patrols"]
