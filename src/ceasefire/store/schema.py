"""Tables of the store (SQLAlchemy Core). Versioned from the first table:
``meta.schema_version`` must equal :data:`SCHEMA_VERSION`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text

SCHEMA_VERSION = 1
metadata = MetaData()

meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

batches = Table(
    "batches",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("files", Text, nullable=False),
    Column("accepted", Integer, nullable=False),
    Column("rejected", Integer, nullable=False),
    Column("duplicate", Integer, nullable=False),
)

observations = Table(
    "observations",
    metadata,
    Column("source", String(200), primary_key=True),
    Column("id", String(200), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("time_s", Float, nullable=False, index=True),
    Column("batch", Integer, nullable=False),
    Column("body", Text, nullable=False),
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("n", Integer, primary_key=True, autoincrement=True),
    Column("batch", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("file", Text, nullable=False),
    Column("line", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    Column("raw", Text, nullable=False),
)


def _result_table(name: str, *extra: Column[Any]) -> Table:
    return Table(
        name,
        metadata,
        Column("id", String(80), primary_key=True),
        Column("time_s", Float, nullable=False, index=True),
        *extra,
        Column("body", Text, nullable=False),
    )


events = _result_table("events", Column("kind", String(32), nullable=False))
violations = _result_table(
    "violations",
    Column("rule", String(100), nullable=False),
    Column("party", String(40), nullable=False),
)
escalations = _result_table("escalations", Column("state", String(16), nullable=False))
