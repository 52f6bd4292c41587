"""Persistence: SQLite (WAL) by default, PostgreSQL + PostGIS through the same
SQLAlchemy Core code and one schema (``schema``).

Observations, events, violations and escalations are stored in typed columns
(with their canonical JSON beside them for an exact round trip). An ingest
batch decides duplicates inside its write transaction (``INSERT ... ON
CONFLICT DO NOTHING``), so concurrent writers and re-runs give the same store
as one serial run. Derived results (events, violations, escalations) of a
period are replaced as a whole in one transaction, so a crash leaves either
the old or the new set. Selections (time, bounding box, sector, rule, party,
submitter, published days) are SQL, never a filter applied afterwards.
"""

from __future__ import annotations

import hashlib
import json
import operator
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from pyproj import Geod
from sqlalchemy import (
    Boolean,
    Connection,
    Engine,
    Select,
    Table,
    and_,
    case,
    create_engine,
    delete,
    event,
    func,
    insert,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, OperationalError, SQLAlchemyError
from sqlalchemy.sql.elements import ColumnElement

from ceasefire.model.arrays import AnyObservation, ObservationArrays, canonical
from ceasefire.model.codec import (
    escalation_from_dict,
    event_from_dict,
    to_dict,
    violation_from_dict,
)
from ceasefire.model.errors import StoreError
from ceasefire.model.jsontext import body_texts
from ceasefire.model.observation import (
    OBSERVATION_ADAPTER,
)
from ceasefire.model.results import Escalation, Event, Violation
from ceasefire.model.vocab import DIRECTIONS, EVENT_KINDS, KINDS, OBJECTS, SENSES, WEAPONS
from ceasefire.store.batch import BatchWriter
from ceasefire.store.indexes import READ_INDEXES, IndexBuild
from ceasefire.store.schema import SCHEMA_VERSION, SRID, Tables, tables_for

__all__ = ["BatchOutcome", "Selection", "Store", "safe_url"]

_CHUNK = 2000
#: Rows read back into arrays at a time.
_READ_PART = 20_000
#: Records from which an ingest batch into a smaller SQLite store makes the
#: observations' secondary indexes at its end (``Store.batch_writer``).
DEFER_INDEX_ROWS = 100_000
#: SQLite's page cache while an ingest batch writes, KiB (the default is 2,000):
#: with the default, the primary key's hot leaves (one per source) are spilled to
#: the write-ahead log and read back again and again (the stress day's batch
#: wrote 932 MB and read 493 MB; with 16 MB, 433 and 7). Memory only: the rows
#: and the file are the same; the connection's own size is put back after.
BATCH_CACHE_KIB = 16_384
#: The PostgreSQL advisory lock key ingest batches take (any constant of ours).
_INGEST_LOCK = 0x63656173
#: How long a SQLite writer waits for another writer's lock, s.
SQLITE_BUSY_TIMEOUT_S = 60.0
#: Vertices of a stored error-ellipse polygon.
ELLIPSE_VERTICES = 36
_GEOD = Geod(ellps="WGS84")


def _url(target: str | Path) -> str:
    t = str(target)
    return t if "://" in t else f"sqlite:///{Path(t).resolve()}"


def safe_url(target: str | Path) -> str:
    """``target`` for messages and logs: a URL's password is replaced by ``***``."""
    t = str(target)
    if "://" not in t:
        return t
    try:
        return make_url(t).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparsable store URL>"


@dataclass(frozen=True)
class BatchOutcome:
    """What a batch write did: its id, which accepted records were stored, and
    which were found already stored (index into ``accepted``, content differs)."""

    batch: int
    stored: list[int]
    duplicates: list[tuple[int, bool]]


@dataclass(frozen=True)
class Selection:
    """A selection of stored records, done in SQL.

    Times are UTC epoch seconds, ``[start_s, end_s)``; ``since_s`` keeps
    ``time_s >= since_s``; ``bbox`` is ``(lon_min, lat_min, lon_max, lat_max)``
    in degrees; ``sectors`` None means every sector (and records outside any),
    a tuple only those; ``days`` limits to records of those reporting days;
    ``extra`` maps other typed columns (e.g. ``severity``) to the value they must equal.
    """

    start_s: float | None = None
    end_s: float | None = None
    since_s: float | None = None
    bbox: tuple[float, float, float, float] | None = None
    sectors: tuple[str, ...] | None = None
    rule: str | None = None
    party: str | None = None
    submitted_by: str | None = None
    days: tuple[str, ...] | None = None
    published_only: bool = False
    limit: int = 1000
    offset: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def ellipse_wkt(lat: float, lon: float, semi_major_m: float, semi_minor_m: float, az: float) -> str:
    """EWKT polygon of an ellipse around (lat, lon): semi-axes in m, major axis
    at ``az`` degrees clockwise from north; vertices placed geodesically."""
    t = np.linspace(0.0, 2.0 * np.pi, ELLIPSE_VERTICES, endpoint=False)
    # the point at parameter t in the ellipse's own axes (major along north)
    n = semi_major_m * np.cos(t)
    e = semi_minor_m * np.sin(t)
    dist = np.hypot(n, e)
    bearing = (np.degrees(np.arctan2(e, n)) + az) % 360.0
    lons, lats, _ = _GEOD.fwd(
        np.full_like(t, lon), np.full_like(t, lat), bearing, np.maximum(dist, 1e-3)
    )
    ring = [*zip(lons.tolist(), lats.tolist(), strict=True)]
    ring.append(ring[0])
    return f"SRID={SRID};POLYGON((" + ", ".join(f"{x:.7f} {y:.7f}" for x, y in ring) + "))"


class Store:
    """A store at a SQLAlchemy URL or a SQLite file path."""

    def __init__(self, engine: Engine, target: str | Path = "") -> None:
        self.engine = engine
        self.target = safe_url(target)
        self.t: Tables = tables_for(engine.dialect.name)
        self._write_engine = engine.execution_options(cf_write=True)
        #: secondary indexes a large batch left to a child process (see ``batch_writer``)
        self._index_build: IndexBuild | None = None

    @property
    def spatial(self) -> bool:
        """Whether the store keeps PostGIS geometry."""
        return self.t.postgis

    # -- opening ---------------------------------------------------------
    @classmethod
    def create(cls, target: str | Path) -> Store:
        """Create (or open, if it exists with this schema) a store."""
        cls._check_sqlite_path(target, create=True)
        store = cls(cls._engine(target), target)
        try:
            if store.t.postgis:
                store._create_postgis()
            store.t.metadata.create_all(store.engine)
            with store._write() as conn:
                if store.engine.dialect.name == "sqlite":
                    # a batch's child killed with its process (see ``batch_writer``)
                    store._make_missing_indexes(conn)
                row = conn.execute(
                    select(store.t.meta.c.value).where(store.t.meta.c.key == "schema_version")
                ).first()
                if row is None:
                    conn.execute(
                        insert(store.t.meta).values(key="schema_version", value=str(SCHEMA_VERSION))
                    )
        except DatabaseError as exc:
            raise store._not_a_store(exc) from exc
        except SQLAlchemyError as exc:
            raise StoreError(
                f"cannot create the store at {store.target}: {exc.__class__.__name__}: "
                f"{_reason(exc)}"
            ) from exc
        store._check_version()
        return store

    @classmethod
    def open(cls, target: str | Path) -> Store:
        """Open an existing store; fails clearly when it is missing or of another version."""
        cls._check_sqlite_path(target, create=False)
        store = cls(cls._engine(target), target)
        store._check_version()
        return store

    @staticmethod
    def _check_sqlite_path(target: str | Path, *, create: bool) -> None:
        url = _url(target)
        if not url.startswith("sqlite:///"):
            return
        path = Path(url.removeprefix("sqlite:///"))
        if path.is_dir():
            raise StoreError(f"{target} is a folder; expected a store file such as {path}/store.db")
        if not path.parent.is_dir():
            raise StoreError(
                f"{target}: the folder {path.parent} does not exist; "
                "create it first or choose another --store"
            )
        if not create and not path.exists():
            raise StoreError(
                f"no store at {target}; create one with `ceasefire init --store {target}`"
            )

    def _create_postgis(self) -> None:
        try:
            with self.engine.begin() as conn:
                conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
        except SQLAlchemyError as exc:
            raise StoreError(
                f"{self.target}: cannot enable PostGIS ({_reason(exc)}); expected the "
                "postgresql-15-postgis-3 package and a role allowed to CREATE EXTENSION"
            ) from exc

    @staticmethod
    def _engine(target: str | Path) -> Engine:
        url = _url(target)
        try:
            if url.startswith("sqlite"):
                engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
            else:
                engine = create_engine(url, pool_pre_ping=True)
        except (SQLAlchemyError, ImportError) as exc:
            raise StoreError(f"cannot use store URL {safe_url(url)!r}: {_reason(exc)}") from exc
        if engine.dialect.name == "sqlite":

            @event.listens_for(engine, "connect")
            def _pragmas(dbapi_conn: Any, _rec: Any) -> None:
                # transactions are begun by us (below), so that writers take the
                # write lock first (BEGIN IMMEDIATE) instead of upgrading a read
                dbapi_conn.isolation_level = None
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.execute("PRAGMA foreign_keys=ON")
                cur.close()

            @event.listens_for(engine, "begin")
            def _begin(conn: Connection) -> None:
                write = conn.get_execution_options().get("cf_write", False)
                conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """A write transaction (on SQLite it holds the write lock from its start),
        after the indexes a batch left to a child process are made."""
        self._settle_indexes()
        with self._write_engine.begin() as conn:
            yield conn

    def _settle_indexes(self) -> None:
        """Wait for the child making a batch's secondary indexes (if any); make
        here those it did not."""
        build, self._index_build = self._index_build, None
        if build is None or build.wait() is None:
            return
        with self._write_engine.begin() as conn:
            self._make_missing_indexes(conn)

    def _make_missing_indexes(self, conn: Connection) -> None:
        """Make the schema's indexes that the database lacks (SQLite: those a
        batch left to a child process that failed or died)."""
        for table in self.t.metadata.sorted_tables:
            for index in table.indexes:
                index.create(conn, checkfirst=True)

    def _not_a_store(self, exc: Exception) -> StoreError:
        return StoreError(
            f"{self.target} is not a ceasefire store ({_reason(exc)}); expected a database "
            "made by `ceasefire init`"
        )

    def _check_version(self) -> None:
        m = self.t.meta
        try:
            with self.engine.connect() as conn:
                row = conn.execute(select(m.c.value).where(m.c.key == "schema_version")).first()
        except (OperationalError, DatabaseError) as exc:
            if isinstance(getattr(exc, "orig", None), sqlite3.OperationalError) and (
                "no such table" not in str(exc.orig)
            ):
                raise StoreError(f"cannot open the store {self.target}: {_reason(exc)}") from exc
            raise self._not_a_store(exc) from exc
        if row is None or int(row[0]) != SCHEMA_VERSION:
            found = row[0] if row else "none"
            raise StoreError(
                f"{self.target}: store schema version {found}; this ceasefire expects "
                f"{SCHEMA_VERSION}"
            )

    # -- meta ------------------------------------------------------------
    def set_meta(self, key: str, value: str) -> None:
        m = self.t.meta
        with self._write() as conn:
            conn.execute(delete(m).where(m.c.key == key))
            conn.execute(insert(m).values(key=key, value=value))

    def get_meta(self, key: str) -> str | None:
        m = self.t.meta
        with self.engine.connect() as conn:
            row = conn.execute(select(m.c.value).where(m.c.key == key)).first()
        return None if row is None else str(row[0])

    def mandate_text(self) -> str | None:
        """The mandate YAML the store was set up with (``init``/``run``)."""
        return self.get_meta("mandate")

    # -- observations ----------------------------------------------------
    def known_keys(self) -> dict[tuple[str, str], str]:
        """(source, id) → canonical JSON of every stored observation (the whole
        store in memory: for checks and small stores; ingest decides duplicates by
        the primary key, see :mod:`ceasefire.store.batch`)."""
        o = self.t.observations
        with self.engine.connect() as conn:
            rows = conn.execute(select(o.c.source, o.c.id, o.c.body))
            return {(r[0], r[1]): r[2] for r in rows}

    def add_batch(
        self,
        files: Sequence[str],
        accepted: Sequence[AnyObservation],
        quarantined: Iterable[dict[str, Any]],
    ) -> int:
        """Store one ingest batch atomically: its accepted observations and its
        quarantine rows (dicts with status, file, line, reason, raw). Returns the
        batch id. Records already stored are counted as duplicates (see
        :meth:`ingest_batch`)."""
        return self.ingest_batch(files, accepted, quarantined).batch

    @contextmanager
    def batch_writer(
        self,
        files: Sequence[str],
        submitted_by: str | None = None,
        *,
        rows_hint: int = 0,
        indexes_aside: bool = False,
    ) -> Iterator[BatchWriter]:
        """One ingest batch as one transaction, written a chunk at a time
        (:class:`~ceasefire.store.batch.BatchWriter`); its counts are kept in
        ``batches`` when the block ends, and nothing of it when the block raises.
        Ingest batches are written one at a time (SQLite's write lock; an
        advisory lock on PostgreSQL, so that batches sharing keys never deadlock).

        ``rows_hint``: about how many records the batch holds. On SQLite, a batch
        of at least :data:`DEFER_INDEX_ROWS` into a store holding fewer has the
        observations' secondary indexes dropped and made again at its end, in
        its transaction (a sort beats a random insert per row and index: the
        stress day's 1 M rows ~16 -> ~12 CPU-s). With ``indexes_aside``, only
        the time index (what a day's reads select by) is made in the
        transaction; the others, and the checkpoint of the write-ahead log, by a
        child process after the commit (:mod:`ceasefire.store.indexes`), which
        this store's next write (or :meth:`close`) waits for."""
        t = self.t
        self._settle_indexes()
        path = self.engine.url.database
        # a child reaches a database file only (not one in memory)
        indexes_aside = indexes_aside and path not in (None, "", ":memory:")
        aside: list[tuple[str, str]] = []
        with self._write_engine.connect() as conn:
            raw: Any = None
            every = 1000
            sqlite: Any = None  # the SQLite connection and its page cache's size
            cache = 0
            try:
                if conn.dialect.name == "sqlite":
                    sqlite = conn.connection.driver_connection
                    cache = sqlite.execute("PRAGMA cache_size").fetchone()[0]
                    sqlite.execute(f"PRAGMA cache_size={-BATCH_CACHE_KIB}")
                with conn.begin():
                    writer, deferred = self._begin_batch(conn, files, submitted_by, rows_hint)
                    yield writer
                    for name, sql in deferred:  # as they were: the schema's own text
                        if indexes_aside and name not in READ_INDEXES:
                            aside.append((name, sql))
                        else:
                            conn.exec_driver_sql(sql)
                    conn.execute(
                        update(t.batches)
                        .where(t.batches.c.id == writer.batch)
                        .values(
                            accepted=writer.accepted,
                            rejected=writer.rejected,
                            duplicate=writer.duplicate,
                        )
                    )
                    if aside:  # the child's commit checkpoints instead
                        raw = conn.connection.driver_connection
                        every = raw.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
                        raw.execute("PRAGMA wal_autocheckpoint=0")
            finally:
                if raw is not None:
                    raw.execute(f"PRAGMA wal_autocheckpoint={int(every)}")
                if sqlite is not None:  # the pooled connection as it was
                    sqlite.execute(f"PRAGMA cache_size={int(cache)}")
        if aside:
            assert path is not None
            self._index_build = IndexBuild(path, aside, SQLITE_BUSY_TIMEOUT_S).start()

    def _begin_batch(
        self, conn: Connection, files: Sequence[str], submitted_by: str | None, rows_hint: int
    ) -> tuple[BatchWriter, list[tuple[str, str]]]:
        """A batch's row in ``batches`` and its writer, after the lock it takes;
        and the indexes it dropped (see :meth:`batch_writer`)."""
        t = self.t
        if self.engine.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_INGEST_LOCK})")
        deferred: list[tuple[str, str]] = []
        if self.engine.dialect.name == "sqlite" and rows_hint >= DEFER_INDEX_ROWS:
            # max(rowid): about the rows stored, without counting them
            stored = conn.exec_driver_sql("SELECT max(rowid) FROM observations").scalar()
            if (stored or 0) < rows_hint:
                deferred = self._secondary_indexes(conn)
        for name, _sql in deferred:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
        res = conn.execute(
            insert(t.batches).values(
                files=json.dumps(list(files)),
                accepted=0,
                rejected=0,
                duplicate=0,
                submitted_by=submitted_by,
            )
        )
        key = res.inserted_primary_key
        if key is None:
            raise StoreError("the store did not return the new batch's id")
        return BatchWriter(conn, t, int(key[0]), submitted_by), deferred

    def _secondary_indexes(self, conn: Connection) -> list[tuple[str, str]]:
        """(name, SQL) of the observations' secondary indexes (SQLite)."""
        rows = conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
            "AND tbl_name = 'observations' AND sql IS NOT NULL ORDER BY rowid"
        )
        return [(str(r[0]), str(r[1])) for r in rows]

    def ingest_batch(
        self,
        files: Sequence[str],
        accepted: Sequence[AnyObservation],
        quarantined: Iterable[dict[str, Any]],
        *,
        origins: Sequence[tuple[str, int, str]] | None = None,
        sectors: Sequence[str | None] | None = None,
        submitted_by: str | None = None,
        quarantine_repeats: bool = True,
    ) -> BatchOutcome:
        """Store one ingest batch in one transaction, deciding duplicates inside it.

        ``origins[i]`` = (file, line, raw text) of ``accepted[i]`` (named in the
        quarantine when it turns out to be stored already); ``sectors[i]`` its
        sector. A record whose (source, id) is already stored, by an earlier or a
        concurrent writer (or earlier in ``accepted``), is not inserted and goes
        to quarantine as a duplicate; with ``quarantine_repeats`` False, only one
        whose content differs (a live worker takes in the same message as its halo
        neighbours and its redeliveries: a repeat there is expected, not a defect).
        """
        with self.batch_writer(files, submitted_by) as w:
            out = w.add(accepted, sectors)
            q = list(quarantined)
            for i, conflicting, _ in out.duplicates:
                if not (conflicting or quarantine_repeats):
                    continue
                f, line, raw = origins[i] if origins is not None else ("<batch>", 0, "")
                q.append(
                    {
                        "status": "duplicate",
                        "file": f,
                        "line": line,
                        "reason": "same source and id as a stored record"
                        + (" with different content" if conflicting else ""),
                        "raw": raw or accepted[i].model_dump_json(),
                    }
                )
            w.quarantine(q)
        return BatchOutcome(w.batch, out.stored, [(i, c) for i, c, _ in out.duplicates])

    def _insert_ignoring_conflicts(self, table: Table, keys: list[str]) -> Any:
        if self.engine.dialect.name == "postgresql":
            return pg_dialect.insert(table).on_conflict_do_nothing(index_elements=keys)
        return sqlite_dialect.insert(table).on_conflict_do_nothing(index_elements=keys)

    def observation_models(self, start_s: float, end_s: float) -> list[AnyObservation]:
        """Observations perceived in [start_s, end_s), in time order."""
        o = self.t.observations
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(o.c.body)
                .where(and_(o.c.time_s >= start_s, o.c.time_s < end_s))
                .order_by(o.c.time_s, o.c.source, o.c.id)
            )
            return [OBSERVATION_ADAPTER.validate_json(r[0]) for r in rows]

    def observation_digests(self, start_s: float, end_s: float) -> dict[str, str]:
        """``source/id`` → SHA-256 (hex) of the canonical JSON of each observation
        perceived in [start_s, end_s): the ledger's digests, from the stored text
        (no model is built)."""
        o = self.t.observations
        sha = hashlib.sha256
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(o.c.source, o.c.id, o.c.body).where(
                    and_(o.c.time_s >= start_s, o.c.time_s < end_s)
                )
            )
            return {f"{s}/{i}": sha(b.encode()).hexdigest() for s, i, b in rows}

    def _kind_filter(self, sightings: bool | None) -> list[ColumnElement[bool]]:
        o = self.t.observations
        if sightings is None:
            return []
        return [o.c.kind == "sighting"] if sightings else [o.c.kind != "sighting"]

    def count_observations(
        self, start_s: float, end_s: float, *, sightings: bool | None = None
    ) -> int:
        """How many observations were perceived in [start_s, end_s) (``sightings``:
        True only sightings, False all but sightings, None all)."""
        o = self.t.observations
        where = and_(o.c.time_s >= start_s, o.c.time_s < end_s, *self._kind_filter(sightings))
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(o).where(where)).scalar_one())

    def observations(
        self, start_s: float, end_s: float, *, sightings: bool | None = None
    ) -> ObservationArrays:
        """Observations perceived in [start_s, end_s) as columns (read from the
        typed columns, in the canonical order: by time, source and id,
        ``model.arrays.canonical_order``); ``sightings`` as in
        :meth:`count_observations`."""
        o = self.t.observations
        stmt = (
            select(*_read_columns(o))
            .where(and_(o.c.time_s >= start_s, o.c.time_s < end_s, *self._kind_filter(sightings)))
            # by time alone, the index's order: the few rows of equal times are
            # put in order here (the database sorted every row again: ~1/5 of
            # the read)
            .order_by(o.c.time_s)
        )
        with self.engine.connect() as conn:
            names: dict[Any, Any] = {}
            parts = [_arrays(rows, names) for rows in _row_parts(conn, stmt)]
        return canonical(ObservationArrays.concat(parts) if len(parts) != 1 else parts[0])

    def observers(self, start_s: float, end_s: float) -> tuple[list[tuple[str, float, float]], int]:
        """The observers of [start_s, end_s) (``(source, lat, lon)`` of every
        bearing and arrival, each once, sorted) and how many observations the
        period holds: what the report needs, without reading the observations."""
        o = self.t.observations
        period = and_(o.c.time_s >= start_s, o.c.time_s < end_s)
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(o.c.source, o.c.lat, o.c.lon)
                .where(period, o.c.kind != "sighting")
                .distinct()
            )
            observers = sorted((str(s), float(la), float(lo)) for s, la, lo in rows)
            n = conn.execute(select(func.count()).select_from(o).where(period)).scalar_one()
        return observers, int(n)

    def observation_span(self) -> tuple[float, float] | None:
        """(first, last) perceived time of all observations, or None when empty."""
        o = self.t.observations
        with self.engine.connect() as conn:
            row = conn.execute(select(func.min(o.c.time_s), func.max(o.c.time_s))).first()
        return None if row is None or row[0] is None else (float(row[0]), float(row[1]))

    def counts(self) -> dict[str, int]:
        """Totals over all batches: accepted, rejected, duplicate."""
        b = self.t.batches
        with self.engine.connect() as conn:
            row = conn.execute(
                select(func.sum(b.c.accepted), func.sum(b.c.rejected), func.sum(b.c.duplicate))
            ).first()
        vals = [int(v or 0) for v in (row or (0, 0, 0))]
        return {"accepted": vals[0], "rejected": vals[1], "duplicate": vals[2]}

    def quarantine_rows(self, batch: int | None = None) -> list[dict[str, Any]]:
        """Rejected and duplicate records (of one batch, or all), in order."""
        q = self.t.quarantine
        stmt = select(q).order_by(q.c.n)
        if batch is not None:
            stmt = stmt.where(q.c.batch == batch)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(stmt).mappings()]

    def select_observations(self, sel: Selection) -> list[dict[str, Any]]:
        """Observation rows (typed columns, ``body`` the canonical JSON) of ``sel``."""
        o = self.t.observations
        cols = [c for c in o.c if c.name != "geom"]
        return self._select(o, cols, sel, [o.c.time_s, o.c.source, o.c.id])

    # -- derived results ---------------------------------------------------
    def _replace(
        self, table: Table, start_s: float, end_s: float, rows: list[dict[str, Any]]
    ) -> None:
        period = and_(table.c.time_s >= start_s, table.c.time_s < end_s)
        if not rows:
            # nothing to put in place of nothing: no write (which would wait
            # for a batch's indexes still being made: see ``batch_writer``)
            with self.engine.connect() as conn:
                if conn.execute(select(table.c.time_s).where(period).limit(1)).first() is None:
                    return
        with self._write() as conn:
            conn.execute(delete(table).where(period))
            for i in range(0, len(rows), _CHUNK):
                conn.execute(insert(table), rows[i : i + _CHUNK])

    def _load(self, table: Table, start_s: float, end_s: float) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(table.c.body)
                .where(and_(table.c.time_s >= start_s, table.c.time_s < end_s))
                .order_by(table.c.time_s, table.c.id)
            )
            return [_body(r[0]) for r in rows]

    def _located(
        self,
        x: Event | Violation,
        day: str | None,
        sector: str | None,
        body: str,
    ) -> dict[str, Any]:
        """``x``'s row but for its type's own columns (``body``: :func:`body_texts`')."""
        ell = x.ellipse
        row: dict[str, Any] = {
            "id": x.id,
            "time_s": x.time_s,
            "day": day,
            "kind": x.kind,
            "sector": sector,
            "lat": x.lat,
            "lon": x.lon,
            "launch_lat": x.launch_lat,
            "launch_lon": x.launch_lon,
            "semi_major_m": ell.semi_major_m if ell else None,
            "semi_minor_m": ell.semi_minor_m if ell else None,
            "orientation_deg": ell.orientation_deg if ell else None,
            "body": body,
        }
        if self.t.postgis:
            row["ellipse"] = (
                ellipse_wkt(x.lat, x.lon, ell.semi_major_m, ell.semi_minor_m, ell.orientation_deg)
                if ell is not None and x.lat is not None and x.lon is not None
                else None
            )
        return row

    def replace_events(
        self,
        start_s: float,
        end_s: float,
        events: Sequence[Event],
        *,
        day: str | None = None,
        sectors: Sequence[str | None] | None = None,
    ) -> None:
        """Replace the events of [start_s, end_s) by ``events`` (one transaction);
        ``sectors[i]`` is the sector of ``events[i]``."""
        self._replace(
            self.t.events, start_s, end_s, self._event_rows(events, [day] * len(events), sectors)
        )

    def add_events(
        self,
        events: Sequence[Event],
        *,
        day: str | None = None,
        sectors: Sequence[str | None] | None = None,
    ) -> None:
        """Insert ``events`` (one transaction; a day streamed part by part after
        ``replace_events`` of the day with none)."""
        self._insert(self.t.events, self._event_rows(events, [day] * len(events), sectors))

    def event_rows(
        self,
        events: Sequence[Event],
        *,
        day: str | None = None,
        sectors: Sequence[str | None] | None = None,
    ) -> list[dict[str, Any]]:
        """The rows :meth:`add_events` inserts for ``events`` (made where the
        events are, such as a fusion worker's process; :meth:`add_event_rows`)."""
        return self._event_rows(events, [day] * len(events), sectors)

    def add_event_rows(self, rows: list[dict[str, Any]]) -> None:
        """Insert events made into rows by :meth:`event_rows` (one transaction)."""
        self._insert(self.t.events, rows)

    def violation_rows(
        self,
        violations: Sequence[Violation],
        *,
        day: str | None = None,
        plain: Sequence[dict[str, Any]] | None = None,
    ) -> list[dict[str, Any]]:
        """The rows :meth:`add_violations` inserts for ``violations``
        (``plain[i]``: ``to_dict(violations[i])``, if made already)."""
        return self._violation_rows(violations, [day] * len(violations), plain)

    def add_violation_rows(self, rows: list[dict[str, Any]]) -> None:
        """Insert violations made into rows by :meth:`violation_rows` (one transaction)."""
        self._insert(self.t.violations, rows)

    def _insert(self, table: Table, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        cols = list(rows[0])
        with self._write() as conn:
            if conn.dialect.name != "sqlite" or any(len(r) != len(cols) for r in rows):
                for i in range(0, len(rows), _CHUNK):
                    conn.execute(insert(table), rows[i : i + _CHUNK])
                return
            # the driver's executemany of plain tuples: SQLAlchemy's per-row
            # parameter handling (none of these columns converts a value on
            # SQLite) cost more than the inserts
            names = ", ".join(f'"{c}"' for c in cols)
            sql = f"INSERT INTO {table.name} ({names}) VALUES ({', '.join('?' * len(cols))})"
            values = operator.itemgetter(*cols)  # a tuple of two or more columns
            tuples = list(map(values, rows)) if len(cols) > 1 else [(r[cols[0]],) for r in rows]
            conn.exec_driver_sql(sql, tuples)

    def _event_rows(
        self,
        events: Sequence[Event],
        days: Sequence[str | None],
        sectors: Sequence[str | None] | None,
    ) -> list[dict[str, Any]]:
        rows = []
        bodies = body_texts(events)
        for i, e in enumerate(events):
            row = self._located(e, days[i], sectors[i] if sectors is not None else None, bodies[i])
            row.update(
                n_observers=e.n_observers,
                weapon=e.weapon,
                object=e.object,
                party_marked=e.party_marked,
            )
            rows.append(row)
        return rows

    def replace_violations(
        self,
        start_s: float,
        end_s: float,
        violations: Sequence[Violation],
        *,
        day: str | None = None,
    ) -> None:
        """Replace the violations of [start_s, end_s) (one transaction)."""
        rows = self._violation_rows(violations, [day] * len(violations))
        self._replace(self.t.violations, start_s, end_s, rows)

    def add_violations(self, violations: Sequence[Violation], *, day: str | None = None) -> None:
        """Insert ``violations`` (one transaction; see :meth:`add_events`)."""
        self._insert(self.t.violations, self._violation_rows(violations, [day] * len(violations)))

    def _violation_rows(
        self,
        violations: Sequence[Violation],
        days: Sequence[str | None],
        plain: Sequence[dict[str, Any]] | None = None,
    ) -> list[dict[str, Any]]:
        rows = []
        bodies = body_texts(violations, plain)
        for i, (v, day) in enumerate(zip(violations, days, strict=True)):
            row = self._located(v, day, v.sector, bodies[i])
            row.update(
                rule=v.rule,
                party=v.party,
                party_probability=v.party_probability,
                severity=v.severity,
                weapon=v.weapon,
                object=v.object,
                distance_to_line_km=v.distance_to_line_km,
                side=v.side,
                response=v.response,
            )
            rows.append(row)
        return rows

    def add_new_results(
        self,
        events: Sequence[Event],
        event_days: Sequence[str | None],
        event_sectors: Sequence[str | None],
        violations: Sequence[Violation],
        violation_days: Sequence[str | None],
    ) -> int:
        """Insert the events and violations whose id is not stored yet, in one
        transaction (the live workers: a result derived again after a restart
        adds nothing). Returns how many violations were new."""
        added = 0
        with self._write() as conn:
            for table, rows in (
                (self.t.events, self._event_rows(events, event_days, event_sectors)),
                (self.t.violations, self._violation_rows(violations, violation_days)),
            ):
                ins = self._insert_ignoring_conflicts(table, ["id"])
                for k in range(0, len(rows), _CHUNK):
                    part = rows[k : k + _CHUNK]
                    n = len(list(conn.execute(ins.returning(table.c.id), part)))
                    if table is self.t.violations:
                        added += n
        return added

    def replace_escalations(
        self,
        start_s: float,
        end_s: float,
        escalations: Sequence[Escalation],
        *,
        day: str | None = None,
    ) -> None:
        self._replace(
            self.t.escalations,
            start_s,
            end_s,
            [
                {
                    "id": x.id,
                    "time_s": x.time_s,
                    "day": day,
                    "state": x.state,
                    "line": x.line,
                    "party": x.party,
                    "sector": x.sector,
                    "body": json.dumps(to_dict(x)),
                }
                for x in escalations
            ],
        )

    def events(self, start_s: float, end_s: float) -> list[Event]:
        return [event_from_dict(d) for d in self._load(self.t.events, start_s, end_s)]

    def violations(self, start_s: float, end_s: float) -> list[Violation]:
        return [violation_from_dict(d) for d in self._load(self.t.violations, start_s, end_s)]

    def escalations(self, start_s: float, end_s: float) -> list[Escalation]:
        return [escalation_from_dict(d) for d in self._load(self.t.escalations, start_s, end_s)]

    def event_counts(self, start_s: float, end_s: float) -> dict[str, int]:
        """Counts of the stored events of [start_s, end_s), in SQL (no event is
        read back): ``total``; ``located`` (a position); ``uncorroborated``
        (flagged so); ``explained`` (flagged ``explained``, not uncorroborated,
        no position: a lone report of a located round); ``fixes_explained``
        (flagged ``explained`` with a position: a second fix of a round)."""
        e = self.t.events
        # each test once per row (a subquery), then summed: the flags' tests
        # read the JSON text, the largest cost here
        per_row = (
            select(
                case((and_(e.c.lat.is_not(None), e.c.lon.is_not(None)), 1), else_=0).label("loc"),
                case((self._has_flag(e, "uncorroborated"), 1), else_=0).label("unc"),
                case((self._has_flag(e, "explained"), 1), else_=0).label("expl"),
            )
            .where(and_(e.c.time_s >= start_s, e.c.time_s < end_s))
            .subquery()
        )
        loc, unc, expl = per_row.c.loc, per_row.c.unc, per_row.c.expl

        def n(x: ColumnElement[Any]) -> ColumnElement[Any]:
            return func.coalesce(func.sum(x), 0)

        stmt = select(
            func.count(),
            n(loc),
            n(unc),
            n(expl * (1 - unc) * (1 - loc)),
            n(expl * loc),
        ).select_from(per_row)
        with self.engine.connect() as conn:
            row = conn.execute(stmt).one()
        keys = ("total", "located", "uncorroborated", "explained", "fixes_explained")
        return dict(zip(keys, (int(v) for v in row), strict=True))

    def _has_flag(self, table: Table, flag: str) -> ColumnElement[bool]:
        """Whether a row's JSON ``body`` lists ``flag`` in its ``flags`` (an
        exact element: ``explained_by:<id>`` is not ``explained``). ``flag`` is
        one of ours (a word), written into the SQL as it is."""
        if not flag.isidentifier():
            raise ValueError(f"not a flag: {flag!r}")
        body = f"{table.name}.body"
        if self.t.postgis:
            sql = f"((CAST({body} AS jsonb) -> 'flags') ? '{flag}')"
        else:
            # the LIKE first: most bodies lack the flag and are then not parsed
            sql = (
                f"({body} LIKE '%\"{flag}\"%' AND EXISTS (SELECT 1 FROM "
                f"json_each({body}, '$.flags') WHERE json_each.value = '{flag}'))"
            )
        return literal_column(sql, Boolean)

    def violation_times(self, start_s: float, end_s: float) -> list[float]:
        """Times (s) of the stored violations in [start_s, end_s): for trends."""
        v = self.t.violations
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(v.c.time_s).where(and_(v.c.time_s >= start_s, v.c.time_s < end_s))
            )
            return [float(r[0]) for r in rows]

    def select_events(self, sel: Selection) -> list[dict[str, Any]]:
        """Event rows of ``sel`` (``body`` the event's JSON, ``sector`` typed)."""
        e = self.t.events
        return self._select(e, [e.c.id, e.c.sector, e.c.day, e.c.body], sel, [e.c.time_s, e.c.id])

    def select_violations(self, sel: Selection) -> list[dict[str, Any]]:
        """Violation rows of ``sel``."""
        v = self.t.violations
        return self._select(v, [v.c.id, v.c.sector, v.c.day, v.c.body], sel, [v.c.time_s, v.c.id])

    def violation_columns(self, sel: Selection, names: Sequence[str]) -> list[tuple[Any, ...]]:
        """The typed columns ``names`` of every violation of ``sel`` (limit and
        offset ignored), without the bodies: what counts and map cells need."""
        v = self.t.violations
        stmt = select(*(v.c[n] for n in names)).where(*self._where(v, sel))
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(stmt)]

    def select_escalations(self, sel: Selection) -> list[dict[str, Any]]:
        """Escalation rows of ``sel`` (no bbox: notices have no position)."""
        x = self.t.escalations
        return self._select(x, [x.c.id, x.c.sector, x.c.day, x.c.body], sel, [x.c.time_s, x.c.id])

    def violation_ids(self) -> list[str]:
        v = self.t.violations
        with self.engine.connect() as conn:
            return [r[0] for r in conn.execute(select(v.c.id).order_by(v.c.time_s, v.c.id))]

    def violation_row(self, violation_id: str) -> dict[str, Any] | None:
        v = self.t.violations
        with self.engine.connect() as conn:
            row = (
                conn.execute(
                    select(v.c.id, v.c.sector, v.c.day, v.c.body).where(v.c.id == violation_id)
                )
                .mappings()
                .first()
            )
        return dict(row) if row is not None else None

    # -- selections in SQL ---------------------------------------------------
    def _where(self, table: Table, sel: Selection) -> list[ColumnElement[bool]]:
        c = table.c
        w: list[ColumnElement[bool]] = []
        if sel.start_s is not None:
            w.append(c.time_s >= sel.start_s)
        if sel.end_s is not None:
            w.append(c.time_s < sel.end_s)
        if sel.since_s is not None:
            w.append(c.time_s >= sel.since_s)
        if sel.sectors is not None:
            w.append(c.sector.in_(list(sel.sectors)))
        if sel.rule is not None and "rule" in c:
            w.append(c.rule == sel.rule)
        if sel.party is not None and "party" in c:
            w.append(c.party == sel.party)
        if sel.submitted_by is not None:
            w.append(c.submitted_by == sel.submitted_by)
        if sel.days is not None:
            w.append(c.day.in_(list(sel.days)))
        for name, value in sel.extra.items():  # equality on another typed column
            if name in c:
                w.append(c[name] == value)
        if sel.published_only:
            d = self.t.days
            w.append(c.day.in_(select(d.c.day).where(d.c.published_s.is_not(None))))
        if sel.bbox is not None and "lat" in c:
            x0, y0, x1, y1 = sel.bbox
            if self.t.postgis:
                env = func.ST_MakeEnvelope(x0, y0, x1, y1, SRID)
                w.append(c.geom.op("&&")(env))
            else:
                w.append(and_(c.lon >= x0, c.lon <= x1, c.lat >= y0, c.lat <= y1))
        return w

    def _select(
        self, table: Table, cols: Sequence[Any], sel: Selection, order: Sequence[Any]
    ) -> list[dict[str, Any]]:
        stmt = (
            select(*cols)
            .where(*self._where(table, sel))
            .order_by(*order)
            .limit(sel.limit)
            .offset(sel.offset)
        )
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(stmt).mappings()]

    # -- users -------------------------------------------------------------
    def add_user(
        self,
        name: str,
        role: str,
        token_sha256: str,
        sectors: Sequence[str] = (),
        party: str | None = None,
    ) -> None:
        """Add a user (the token's SHA-256 only, never the token)."""
        u = self.t.users
        with self._write() as conn:
            if conn.execute(select(u.c.name).where(u.c.name == name)).first() is not None:
                raise StoreError(f"user {name!r} exists; expected a new name")
            conn.execute(
                insert(u).values(
                    name=name,
                    role=role,
                    sectors=json.dumps(sorted(sectors)),
                    party=party,
                    token_sha256=token_sha256,
                    created_s=time.time(),
                    disabled=False,
                )
            )

    def user_by_token(self, token_sha256: str) -> dict[str, Any] | None:
        """The enabled user holding the token of this SHA-256 hex digest."""
        u = self.t.users
        with self.engine.connect() as conn:
            row = (
                conn.execute(
                    select(u).where(and_(u.c.token_sha256 == token_sha256, u.c.disabled.is_(False)))
                )
                .mappings()
                .first()
            )
        if row is None:
            return None
        out = dict(row)
        out["sectors"] = tuple(json.loads(out["sectors"]))
        return out

    def users(self) -> list[dict[str, Any]]:
        """Every user (name, role, sectors, party, created_s, disabled), no token hash."""
        u = self.t.users
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    u.c.name, u.c.role, u.c.sectors, u.c.party, u.c.created_s, u.c.disabled
                ).order_by(u.c.name)
            ).mappings()
            return [{**dict(r), "sectors": tuple(json.loads(r["sectors"]))} for r in rows]

    # -- days and reports --------------------------------------------------
    def mark_processed(self, day: str, head: dict[str, Any] | None) -> None:
        d = self.t.days
        with self._write() as conn:
            row = conn.execute(select(d.c.day).where(d.c.day == day)).first()
            values = {"processed_s": time.time(), "head": json.dumps(head) if head else None}
            if row is None:
                conn.execute(insert(d).values(day=day, published_s=None, **values))
            else:
                conn.execute(update(d).where(d.c.day == day).values(**values))

    def publish(self, day: str) -> bool:
        """Make a processed day visible to parties and the public; False when the
        day was never processed."""
        d = self.t.days
        with self._write() as conn:
            res = conn.execute(
                update(d)
                .where(and_(d.c.day == day, d.c.processed_s.is_not(None)))
                .values(published_s=time.time())
            )
            return bool(res.rowcount)

    def day_row(self, day: str) -> dict[str, Any] | None:
        d = self.t.days
        with self.engine.connect() as conn:
            row = conn.execute(select(d).where(d.c.day == day)).mappings().first()
        if row is None:
            return None
        out = dict(row)
        out["head"] = json.loads(out["head"]) if out["head"] else None
        return out

    def put_report(self, day: str, fmt: str, data: bytes) -> None:
        r = self.t.reports
        with self._write() as conn:
            conn.execute(delete(r).where(and_(r.c.day == day, r.c.format == fmt)))
            conn.execute(insert(r).values(day=day, format=fmt, data=data))

    def report(self, day: str, fmt: str) -> bytes | None:
        r = self.t.reports
        with self.engine.connect() as conn:
            row = conn.execute(
                select(r.c.data).where(and_(r.c.day == day, r.c.format == fmt))
            ).first()
        return None if row is None else bytes(row[0])

    def published_days(self) -> list[str]:
        d = self.t.days
        with self.engine.connect() as conn:
            return [
                r[0]
                for r in conn.execute(
                    select(d.c.day).where(d.c.published_s.is_not(None)).order_by(d.c.day)
                )
            ]

    def close(self) -> None:
        self._settle_indexes()
        self.engine.dispose()


def _body(text: str) -> Any:
    """A stored body (``json.dumps`` text) decoded: by orjson (the same values,
    several times faster), by the stdlib when it holds what only the stdlib
    writes (NaN, Infinity)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def _reason(exc: Exception) -> str:
    """The database's own words, without the SQL statement or parameters."""
    orig = getattr(exc, "orig", None)
    return str(orig if orig is not None else exc).strip().splitlines()[0]


def _code(column: ColumnElement[Any], vocab: Sequence[str], default: int) -> ColumnElement[Any]:
    """``column``'s vocabulary code, made by the database (``default`` for NULL
    and for a name not in ``vocab``): a small int per row where the name would
    be a new string object per row."""
    return case({name: i for i, name in enumerate(vocab)}, value=column, else_=default)


def _read_columns(o: Table) -> list[ColumnElement[Any]]:
    """The observation columns :func:`_arrays` takes, in its order."""
    return [
        o.c.id,
        o.c.source,
        _code(o.c.kind, KINDS, 0),
        o.c.time_s,
        o.c.time_sigma_s,
        o.c.lat,
        o.c.lon,
        o.c.bearing_deg,
        o.c.bearing_sigma_deg,
        o.c.range_m,
        o.c.range_sigma_m,
        _code(o.c.event, EVENT_KINDS, EVENT_KINDS.index("undetermined")),
        _code(o.c.direction, DIRECTIONS, DIRECTIONS.index("undetermined")),
        _code(o.c.weapon, WEAPONS, WEAPONS.index("undetermined")),
        o.c.position_sigma_m,
        _code(o.c.object, OBJECTS, -1),
        func.coalesce(o.c.count, 0),
        o.c.party,
        _code(o.c.sense, SENSES, 0),
    ]


def _row_parts(conn: Connection, stmt: Select[Any]) -> Iterator[list[tuple[Any, ...]]]:
    """``stmt``'s rows as plain tuples, ``_READ_PART`` at a time. SQLite's come
    straight from its driver's cursor: made into an array, SQLAlchemy's row
    objects cost ~5x the driver's tuples (a tuple each, ~1.5x). Other databases'
    come through a streamed result (a server-side cursor), made tuples."""
    if conn.dialect.name != "sqlite":
        result = conn.execution_options(stream_results=True).execute(stmt)
        for rows in result.partitions(_READ_PART):
            yield [tuple(r) for r in rows]
        return
    compiled = stmt.compile(dialect=conn.dialect)
    params = compiled.construct_params()
    cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cur.execute(compiled.string, [params[k] for k in compiled.positiontup or ()])
        while rows := cur.fetchmany(_READ_PART):
            yield rows
    finally:
        cur.close()


#: ``_read_columns``' places of the float columns, the codes and the names
_FLOATS = (3, 4, 5, 6, 7, 8, 9, 10, 14)
_CODES = (2, 11, 12, 13, 15, 18)


def _arrays(
    rows: Sequence[tuple[Any, ...]], names: dict[Any, Any] | None = None
) -> ObservationArrays:
    """``ObservationArrays`` from rows of :func:`_read_columns`, the same as
    ``from_observations`` on the models (effective sigmas, vocabulary codes).
    ``names`` keeps one string object per source and party name (a day repeats
    a few hundred names a million times)."""
    names = names if names is not None else {}
    if not rows:
        return ObservationArrays.empty()
    # one 2-D object array, then each column cast: ~2x cheaper than the rows
    # transposed by zip and each value looked at in Python (a NULL float is NaN)
    m = np.array(rows, dtype=object)
    f = {k: m[:, k].astype(np.float64) for k in _FLOATS}
    c = {k: m[:, k].astype(np.int8) for k in _CODES}
    range_m, range_sigma = f[9], f[10]
    no_sigma = np.isnan(range_sigma) & ~np.isnan(range_m)
    range_sigma[no_sigma] = 0.3 * range_m[no_sigma]
    return ObservationArrays(
        id=m[:, 0].copy(),
        source=np.array([names.setdefault(v, v) for v in m[:, 1]], dtype=object),
        kind=c[2],
        time_s=f[3],
        time_sigma_s=f[4],
        lat=f[5],
        lon=f[6],
        bearing_deg=f[7],
        bearing_sigma_deg=f[8],
        range_m=range_m,
        range_sigma_m=range_sigma,
        event=c[11],
        direction=c[12],
        weapon=c[13],
        position_sigma_m=f[14],
        object=c[15],
        count=m[:, 16].astype(np.int32),
        party=np.array([names.setdefault(v, v) for v in m[:, 17]], dtype=object),
        sense=c[18],
    )
