"""The mandate document: schema, loading, zones as geometry, rules, response."""

from ceasefire.mandate.load import load_mandate, parse_mandate
from ceasefire.mandate.mandate import Mandate, day_bounds, day_of
from ceasefire.mandate.schema import MandateDoc, Rule

__all__ = ["Mandate", "MandateDoc", "Rule", "day_bounds", "day_of", "load_mandate", "parse_mandate"]
