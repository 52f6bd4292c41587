"""Writing one ingest batch: observations in chunks inside one transaction.

A batch is atomic (a crash leaves none of it or all of it), but its records
need not be in memory at once: :class:`BatchWriter` takes them a chunk at a
time. Duplicates are decided by the store's primary key, never by a copy of the
stored keys in memory: a chunk is inserted with ``INSERT ... ON CONFLICT DO
NOTHING``; when the database inserted fewer rows than it was given (a record
stored before, by an earlier batch, an earlier chunk or a concurrent writer),
the rows it skipped are found and looked up. On SQLite the batch holds the
write lock, so the rows a chunk stored are those after the table's largest
rowid before it (one range read), and the rest are the duplicates. On
PostgreSQL the insert tells the keys it skipped; each met a committed row
(``ON CONFLICT DO NOTHING`` waits for a concurrent writer's transaction), which
one lookup finds: no chunk is rolled back and inserted again.
Rows go to the driver as plain tuples (``executemany``), not through
SQLAlchemy's per-row parameter processing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select, tuple_

from ceasefire.model.arrays import AnyObservation
from ceasefire.model.collector import collector_paused
from ceasefire.model.observation import BearingObservation, SightingObservation
from ceasefire.model.vocab import DEFAULT_TIME_SIGMA_S, default_sense
from ceasefire.store.schema import Tables

__all__ = [
    "OBSERVATION_COLUMNS",
    "SQLITE_NULL",
    "BatchWriter",
    "ChunkOutcome",
    "canonical_body",
    "observation_rows",
    "observation_values",
]

#: The observation columns a batch writes, in the order of :func:`observation_values`.
OBSERVATION_COLUMNS = (
    "source",
    "id",
    "kind",
    "time_s",
    "time_sigma_s",
    "lat",
    "lon",
    "alt_m",
    "sector",
    "submitted_by",
    "batch",
    "bearing_deg",
    "bearing_sigma_deg",
    "range_m",
    "range_sigma_m",
    "event",
    "sense",
    "direction",
    "weapon",
    "position_sigma_m",
    "object",
    "count",
    "party",
    "body",
)
#: Keys looked up in one statement when a chunk meets stored records (PostgreSQL).
_LOOKUP = 500
#: SQLite's largest rowid: past it, SQLite picks a new row's rowid at random.
_MAX_ROWID = 2**63 - 1


#: What a SQLite row holds for NULL: SQLite stores a NaN bound as a number as NULL
#: (``sqlite3_bind_double``), whatever the column, and Python's ``sqlite3`` binds a
#: float as it is, while each None first goes through its adapter lookup (~0.5 µs
#: in Python 3.11: a failed attribute lookup with its error message), ~10 a row.
SQLITE_NULL = float("nan")


# fmt: off
def observation_values(
    o: AnyObservation,
    batch: int,
    sector: str | None,
    submitted_by: str | None,
    body: str,
    null: float | None = None,
) -> tuple[Any, ...]:
    """The row of ``o`` in :data:`OBSERVATION_COLUMNS` order (``body`` its
    canonical JSON), ``null`` in each NULL column (:attr:`BatchWriter.null`)."""
    # a flat tuple per kind (the workers make one per record, and tuples joined
    # with * cost a list each); the time sigma and sense are ``effective_*``'s
    sigma = o.time_sigma_s
    place: str | float | None = null if sector is None else sector
    by: str | float | None = null if submitted_by is None else submitted_by
    if isinstance(o, SightingObservation):
        p, party = o.position, o.party
        alt = p.alt_m
        return (
            o.source, o.id, "sighting", o.time.timestamp(),
            DEFAULT_TIME_SIGMA_S["sighting"] if sigma is None else sigma,
            p.lat, p.lon, null if alt is None else alt, place, by, batch,
            null, null, null, null, null, default_sense("sighting", None), null, null,
            o.position_sigma_m, o.object, o.count, null if party is None else party, body,
        )
    kind, event, given, p = o.kind, o.event, o.sense, o.observer
    sense = default_sense(kind, event) if given is None else str(given)
    if sigma is None:
        sigma = DEFAULT_TIME_SIGMA_S[kind]
    alt = p.alt_m
    if isinstance(o, BearingObservation):
        rng, rng_sigma = o.range_m, o.range_sigma_m
        return (
            o.source, o.id, kind, o.time.timestamp(), sigma,
            p.lat, p.lon, null if alt is None else alt, place, by, batch,
            o.bearing_deg, o.bearing_sigma_deg,
            null if rng is None else rng, null if rng_sigma is None else rng_sigma,
            event, sense, o.direction, o.weapon, null, null, null, null, body,
        )
    return (
        o.source, o.id, kind, o.time.timestamp(), sigma,
        p.lat, p.lon, null if alt is None else alt, place, by, batch,
        null, null, null, null, null if event is None else event, sense,
        null, null, null, null, null, null, body,
    )
# fmt: on


def observation_rows(
    accepted: Sequence[AnyObservation],
    sectors: Sequence[str | None],
    batch: int,
    submitted_by: str | None,
    null: float | None = None,
) -> list[tuple[Any, ...]]:
    """The rows a :class:`BatchWriter` of ``batch`` inserts for ``accepted``
    (``sectors[i]`` the sector of ``accepted[i]``): :func:`observation_values`
    with the canonical JSON as ``body`` and ``null`` for NULL."""
    return [
        observation_values(o, batch, s, submitted_by, canonical_body(o), null)
        for o, s in zip(accepted, sectors, strict=True)
    ]


def canonical_body(o: AnyObservation) -> str:
    """``o.model_dump_json()`` (the canonical JSON), without its per-call
    keyword handling: the same text, a third less time per record."""
    return o.__pydantic_serializer__.to_json(o).decode()


@dataclass(frozen=True)
class ChunkOutcome:
    """What :meth:`BatchWriter.add` did with a chunk: the indexes stored, and the
    duplicates as ``(index, conflicting, earlier_in_batch)``: ``conflicting``
    when the stored record's content differs, ``earlier_in_batch`` when that
    record came in this batch (else in an earlier one, or a concurrent writer's)."""

    stored: list[int]
    duplicates: list[tuple[int, bool, bool]]


@dataclass
class BatchWriter:
    """Writes the chunks of batch ``batch`` on ``conn`` (inside its transaction)."""

    conn: Connection
    t: Tables
    batch: int
    submitted_by: str | None
    accepted: int = 0
    rejected: int = 0
    duplicate: int = 0
    #: what its rows hold for NULL: :data:`SQLITE_NULL` on SQLite, else None
    null: float | None = field(init=False)
    _sql: str = field(init=False)

    def __post_init__(self) -> None:
        self.null = SQLITE_NULL if self.conn.dialect.name == "sqlite" else None
        mark = "%s" if self.conn.dialect.paramstyle in ("format", "pyformat") else "?"
        cols = ", ".join(f'"{c}"' for c in OBSERVATION_COLUMNS)
        marks = ", ".join([mark] * len(OBSERVATION_COLUMNS))
        self._sql = (
            f"INSERT INTO observations ({cols}) VALUES ({marks}) "
            "ON CONFLICT (source, id) DO NOTHING"
        )

    def add(
        self, accepted: Sequence[AnyObservation], sectors: Sequence[str | None] | None = None
    ) -> ChunkOutcome:
        """Store the chunk ``accepted`` (``sectors[i]`` the sector of ``accepted[i]``);
        a record whose (source, id) is stored already, or came earlier in the
        chunk, is not stored and is returned as a duplicate."""
        secs = sectors if sectors is not None else [None] * len(accepted)
        with collector_paused():
            return self._add(accepted, secs)

    def _add(self, accepted: Sequence[AnyObservation], secs: Sequence[str | None]) -> ChunkOutcome:
        """:meth:`add` with the collector paused."""
        return self._add_rows(
            observation_rows(accepted, secs, self.batch, self.submitted_by, self.null)
        )

    def add_rows(self, rows: list[tuple[Any, ...]], *, distinct: bool = False) -> ChunkOutcome:
        """:meth:`add` of a chunk made into rows already (:func:`observation_rows`
        with this writer's ``batch``, ``submitted_by`` and ``null``, or None for
        NULL), such as by another process; ``distinct``: the caller knows that
        no (source, id) repeats in ``rows`` (not looked for again)."""
        with collector_paused():
            return self._add_rows(rows, distinct)

    def _add_rows(self, rows: list[tuple[Any, ...]], distinct: bool = False) -> ChunkOutcome:
        todo = list(range(len(rows)))
        inner: list[tuple[int, bool, bool]] = []
        first = {} if distinct else {(r[0], r[1]): i for i, r in reversed(list(enumerate(rows)))}
        if not distinct and len(first) < len(rows):  # repeated in the chunk: the first stands
            for i, r in enumerate(rows):
                j = first[(r[0], r[1])]
                if j != i:
                    inner.append((i, rows[j][-1] != r[-1], True))
            todo = sorted(first.values())
            rows = [rows[i] for i in todo]
        if self.conn.dialect.name == "sqlite":
            todo, dups = self._insert_sqlite(todo, rows)
        else:
            todo, dups = self._insert_returning(todo, rows)
        self.accepted += len(todo)
        return ChunkOutcome(sorted(todo), sorted(inner + dups))

    def _insert_sqlite(
        self, todo: list[int], rows: list[tuple[Any, ...]]
    ) -> tuple[list[int], list[tuple[int, bool, bool]]]:
        """Insert ``rows`` (distinct keys; ``todo[i]`` the chunk's index of
        ``rows[i]``) on SQLite: the chunk's indexes stored, and its duplicates.
        The batch's transaction holds the write lock (``BEGIN IMMEDIATE``), so a
        row the insert skipped meets a row stored before it, and the rows it
        stored took rowids above the largest before it (SQLite's
        ``max(rowid) + 1``, unless that is past :data:`_MAX_ROWID`)."""
        if not rows:
            return todo, []
        raw: Any = self.conn.connection.driver_connection
        before = raw.execute("SELECT max(rowid) FROM observations").fetchone()[0] or 0
        if before > _MAX_ROWID - len(rows):  # rowids at random: not told apart by order
            return self._insert_retrying(todo, rows)
        if self._insert(rows) == len(rows):
            return todo, []
        new = set(raw.execute("SELECT source, id FROM observations WHERE rowid > ?", (before,)))
        find = "SELECT batch, body FROM observations WHERE source = ? AND id = ?"
        keep: list[int] = []
        dups: list[tuple[int, bool, bool]] = []
        for i, row in zip(todo, rows, strict=True):
            key = (row[0], row[1])
            if key in new:
                keep.append(i)
            else:
                batch, body = raw.execute(find, key).fetchone()
                dups.append((i, body != row[-1], int(batch) == self.batch))
        return keep, dups

    def _insert_returning(
        self, todo: list[int], rows: list[tuple[Any, ...]]
    ) -> tuple[list[int], list[tuple[int, bool, bool]]]:
        """:meth:`_insert_sqlite`'s result on PostgreSQL: the insert tells the
        keys it skipped, and each of those met a stored row, looked up by key.
        ``ON CONFLICT DO NOTHING`` waits for a concurrent writer's transaction
        holding the same key, so a skipped row's match is committed and visible
        to the lookup (read committed); one that is not (another isolation
        level) is inserted again under a savepoint (:meth:`_insert_retrying`)."""
        if not rows:
            return todo, []
        skipped = self._insert_skipped(rows)
        if not skipped:
            return todo, []
        rest = [(i, row) for i, row in zip(todo, rows, strict=True) if (row[0], row[1]) in skipped]
        keep = [i for i, row in zip(todo, rows, strict=True) if (row[0], row[1]) not in skipped]
        stored = self._stored([(row[0], row[1]) for _, row in rest])
        dups: list[tuple[int, bool, bool]] = []
        lost: list[tuple[int, tuple[Any, ...]]] = []
        for i, row in rest:
            hit = stored.get((row[0], row[1]))
            if hit is None:
                lost.append((i, row))
            else:
                dups.append((i, hit[1] != row[-1], hit[0] == self.batch))
        if lost:
            more, more_dups = self._insert_retrying([i for i, _ in lost], [r for _, r in lost])
            keep += more
            dups += more_dups
        return keep, dups

    def _insert_retrying(
        self, todo: list[int], rows: list[tuple[Any, ...]]
    ) -> tuple[list[int], list[tuple[int, bool, bool]]]:
        """:meth:`_insert_sqlite`'s result by savepoints: a chunk that meets
        stored records is rolled back, its stored keys are looked up, and the
        others inserted again (again under a savepoint: a concurrent writer
        may have come between)."""
        dups: list[tuple[int, bool, bool]] = []
        while rows:
            savepoint = self.conn.begin_nested()
            if self._insert(rows) == len(rows):
                savepoint.commit()
                break
            # some are stored already: look them up, then insert only the others
            savepoint.rollback()
            stored = self._stored([(r[0], r[1]) for r in rows])
            keep = []
            for i, row in zip(todo, rows, strict=True):
                hit = stored.get((row[0], row[1]))
                if hit is None:
                    keep.append(i)
                else:
                    dups.append((i, hit[1] != row[-1], hit[0] == self.batch))
            kept = set(keep)
            rows = [row for i, row in zip(todo, rows, strict=True) if i in kept]
            todo = keep
        return todo, dups

    def _insert(self, rows: list[tuple[Any, ...]]) -> int:
        """Insert ``rows`` unless their key is stored; how many were inserted."""
        if self.conn.dialect.name != "postgresql":
            return int(self.conn.exec_driver_sql(self._sql, rows).rowcount)
        return len(rows) - len(self._insert_skipped(rows))

    def _insert_skipped(self, rows: list[tuple[Any, ...]]) -> set[tuple[str, str]]:
        """Insert ``rows`` unless their key is stored, on PostgreSQL; the (source,
        id) keys it skipped. The rows go by ``COPY`` into a staging table (a
        fraction of the client's work of an ``executemany``), then one
        ``INSERT ... SELECT ... RETURNING`` whose keys the same statement takes
        from the staging table's, so that only the skipped ones come back."""
        cols = ", ".join(f'"{c}"' for c in OBSERVATION_COLUMNS)
        # made again after a rollback to the chunk's savepoint took it away
        self.conn.exec_driver_sql(
            "CREATE TEMP TABLE IF NOT EXISTS cf_ingest_rows "
            "(LIKE observations INCLUDING DEFAULTS) ON COMMIT DROP"
        )
        self.conn.exec_driver_sql("TRUNCATE cf_ingest_rows")
        raw: Any = self.conn.connection.driver_connection
        with raw.cursor() as cur, cur.copy(f"COPY cf_ingest_rows ({cols}) FROM STDIN") as cp:
            for r in rows:
                cp.write_row(r)
        res = self.conn.exec_driver_sql(
            f"WITH stored AS (INSERT INTO observations ({cols}) SELECT {cols} FROM cf_ingest_rows "
            "ON CONFLICT (source, id) DO NOTHING RETURNING source, id) "
            "SELECT source, id FROM cf_ingest_rows EXCEPT ALL SELECT source, id FROM stored"
        )
        return {(r[0], r[1]) for r in res}

    def _stored(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, str]]:
        """(source, id) → (batch, body) of the stored records among ``keys``."""
        o = self.t.observations
        out: dict[tuple[str, str], tuple[int, str]] = {}
        for k in range(0, len(keys), _LOOKUP):
            rows = self.conn.execute(
                select(o.c.source, o.c.id, o.c.batch, o.c.body).where(
                    tuple_(o.c.source, o.c.id).in_(keys[k : k + _LOOKUP])
                )
            )
            out.update({(r[0], r[1]): (int(r[2]), r[3]) for r in rows})
        return out

    def quarantine(self, rows: Iterable[dict[str, Any]]) -> None:
        """Keep quarantine rows (dicts with status, file, line, reason, raw)."""
        q = self.t.quarantine
        mark = "%s" if self.conn.dialect.paramstyle in ("format", "pyformat") else "?"
        values = [
            (self.batch, r["status"], r["file"], r["line"], r["reason"], r["raw"]) for r in rows
        ]
        if not values:
            return
        self.rejected += sum(1 for v in values if v[1] == "rejected")
        self.duplicate += sum(1 for v in values if v[1] != "rejected")
        self.conn.exec_driver_sql(
            f"INSERT INTO {q.name} (batch, status, file, line, reason, raw) "
            f"VALUES ({', '.join([mark] * 6)})",
            values,
        )
