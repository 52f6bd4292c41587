"""Persistence (SQLite default, PostgreSQL + PostGIS for many users)."""

from ceasefire.store.schema import SCHEMA_VERSION
from ceasefire.store.store import BatchOutcome, Selection, Store, safe_url

__all__ = ["SCHEMA_VERSION", "BatchOutcome", "Selection", "Store", "safe_url"]
