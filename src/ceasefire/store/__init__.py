"""Persistence (SQLite default, PostgreSQL for many users)."""

from ceasefire.store.schema import SCHEMA_VERSION
from ceasefire.store.store import Store

__all__ = ["SCHEMA_VERSION", "Store"]
