"""Persistence: SQLite (WAL) by default, PostgreSQL through the same SQLAlchemy
Core code. Observations are kept as validated canonical JSON; events,
violations and escalations as JSON with their time indexed. Derived results
(events, violations, escalations) of a period are replaced as a whole in one
transaction, so a crash leaves either the old or the new set.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, and_, create_engine, delete, event, func, insert, select
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from ceasefire.model.arrays import AnyObservation, ObservationArrays
from ceasefire.model.codec import (
    escalation_from_dict,
    event_from_dict,
    to_dict,
    violation_from_dict,
)
from ceasefire.model.errors import StoreError
from ceasefire.model.observation import OBSERVATION_ADAPTER
from ceasefire.model.results import Escalation, Event, Violation
from ceasefire.store import schema as s

_CHUNK = 5000


def _url(target: str | Path) -> str:
    t = str(target)
    return t if "://" in t else f"sqlite:///{Path(t).resolve()}"


class Store:
    """A store at a SQLAlchemy URL or a SQLite file path."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- opening ---------------------------------------------------------
    @classmethod
    def create(cls, target: str | Path) -> Store:
        """Create (or open, if it exists with this schema) a store."""
        store = cls(cls._engine(target))
        try:
            s.metadata.create_all(store.engine)
            with store.engine.begin() as conn:
                row = conn.execute(
                    select(s.meta.c.value).where(s.meta.c.key == "schema_version")
                ).first()
                if row is None:
                    conn.execute(
                        insert(s.meta).values(key="schema_version", value=str(s.SCHEMA_VERSION))
                    )
        except SQLAlchemyError as exc:
            raise StoreError(
                f"cannot create the store at {target}: {exc.__class__.__name__}: {exc}"
            ) from exc
        store._check_version(target)
        return store

    @classmethod
    def open(cls, target: str | Path) -> Store:
        """Open an existing store; fails clearly when it is missing or of another version."""
        url = _url(target)
        if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
            raise StoreError(
                f"no store at {target}; create one with `ceasefire init --store {target}`"
            )
        store = cls(cls._engine(target))
        store._check_version(target)
        return store

    @staticmethod
    def _engine(target: str | Path) -> Engine:
        url = _url(target)
        try:
            engine = create_engine(url, future=True)
        except (SQLAlchemyError, ImportError) as exc:
            raise StoreError(f"cannot use store URL {url!r}: {exc}") from exc
        if engine.dialect.name == "sqlite":

            @event.listens_for(engine, "connect")
            def _pragmas(dbapi_conn: Any, _rec: Any) -> None:
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.execute("PRAGMA foreign_keys=ON")
                cur.close()

        return engine

    def _check_version(self, target: str | Path) -> None:
        try:
            with self.engine.connect() as conn:
                row = conn.execute(
                    select(s.meta.c.value).where(s.meta.c.key == "schema_version")
                ).first()
        except OperationalError as exc:
            raise StoreError(
                f"{target} is not a ceasefire store (no meta table): {exc.orig}"
            ) from exc
        if row is None or int(row[0]) != s.SCHEMA_VERSION:
            found = row[0] if row else "none"
            raise StoreError(
                f"{target}: store schema version {found}; this ceasefire expects {s.SCHEMA_VERSION}"
            )

    # -- meta ------------------------------------------------------------
    def set_meta(self, key: str, value: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(s.meta).where(s.meta.c.key == key))
            conn.execute(insert(s.meta).values(key=key, value=value))

    def get_meta(self, key: str) -> str | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(s.meta.c.value).where(s.meta.c.key == key)).first()
        return None if row is None else str(row[0])

    def mandate_text(self) -> str | None:
        """The mandate YAML the store was set up with (``init``/``run``)."""
        return self.get_meta("mandate")

    # -- observations ----------------------------------------------------
    def known_keys(self) -> dict[tuple[str, str], str]:
        """(source, id) → canonical JSON of every stored observation."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(s.observations.c.source, s.observations.c.id, s.observations.c.body)
            )
            return {(r[0], r[1]): r[2] for r in rows}

    def add_batch(
        self,
        files: Sequence[str],
        accepted: Sequence[AnyObservation],
        quarantined: Iterable[dict[str, Any]],
    ) -> int:
        """Store one ingest batch atomically: its accepted observations and its
        quarantine rows (dicts with status, file, line, reason, raw). Returns the batch id."""
        q = list(quarantined)
        rejected = sum(1 for r in q if r["status"] == "rejected")
        with self.engine.begin() as conn:
            res = conn.execute(
                insert(s.batches).values(
                    files=json.dumps(list(files)),
                    accepted=len(accepted),
                    rejected=rejected,
                    duplicate=len(q) - rejected,
                )
            )
            key = res.inserted_primary_key
            if key is None:
                raise StoreError("the store did not return the new batch's id")
            batch = key[0]
            rows = [
                {
                    "source": o.source,
                    "id": o.id,
                    "kind": o.kind,
                    "time_s": o.time.timestamp(),
                    "batch": batch,
                    "body": o.model_dump_json(),
                }
                for o in accepted
            ]
            for i in range(0, len(rows), _CHUNK):
                conn.execute(insert(s.observations), rows[i : i + _CHUNK])
            qrows = [
                {
                    "batch": batch,
                    "status": r["status"],
                    "file": r["file"],
                    "line": r["line"],
                    "reason": r["reason"],
                    "raw": r["raw"],
                }
                for r in q
            ]
            for i in range(0, len(qrows), _CHUNK):
                conn.execute(insert(s.quarantine), qrows[i : i + _CHUNK])
        return int(batch)

    def observation_models(self, start_s: float, end_s: float) -> list[AnyObservation]:
        """Observations perceived in [start_s, end_s), in time order."""
        t = s.observations
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t.c.body)
                .where(and_(t.c.time_s >= start_s, t.c.time_s < end_s))
                .order_by(t.c.time_s, t.c.source, t.c.id)
            )
            return [OBSERVATION_ADAPTER.validate_json(r[0]) for r in rows]

    def observations(self, start_s: float, end_s: float) -> ObservationArrays:
        """Observations perceived in [start_s, end_s) as columns."""
        return ObservationArrays.from_observations(self.observation_models(start_s, end_s))

    def observation_span(self) -> tuple[float, float] | None:
        """(first, last) perceived time of all observations, or None when empty."""
        t = s.observations
        with self.engine.connect() as conn:
            row = conn.execute(select(func.min(t.c.time_s), func.max(t.c.time_s))).first()
        return None if row is None or row[0] is None else (float(row[0]), float(row[1]))

    def counts(self) -> dict[str, int]:
        """Totals over all batches: accepted, rejected, duplicate."""
        b = s.batches
        with self.engine.connect() as conn:
            row = conn.execute(
                select(func.sum(b.c.accepted), func.sum(b.c.rejected), func.sum(b.c.duplicate))
            ).first()
        vals = [int(v or 0) for v in (row or (0, 0, 0))]
        return {"accepted": vals[0], "rejected": vals[1], "duplicate": vals[2]}

    def quarantine_rows(self) -> list[dict[str, Any]]:
        q = s.quarantine
        with self.engine.connect() as conn:
            rows = conn.execute(select(q).order_by(q.c.n)).mappings()
            return [dict(r) for r in rows]

    # -- derived results ---------------------------------------------------
    def _replace(
        self, table: Table, start_s: float, end_s: float, rows: list[dict[str, Any]]
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                delete(table).where(and_(table.c.time_s >= start_s, table.c.time_s < end_s))
            )
            for i in range(0, len(rows), _CHUNK):
                conn.execute(insert(table), rows[i : i + _CHUNK])

    def _load(self, table: Table, start_s: float, end_s: float) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(table.c.body)
                .where(and_(table.c.time_s >= start_s, table.c.time_s < end_s))
                .order_by(table.c.time_s, table.c.id)
            )
            return [json.loads(r[0]) for r in rows]

    def replace_events(self, start_s: float, end_s: float, events: Sequence[Event]) -> None:
        """Replace the events of [start_s, end_s) by ``events`` (one transaction)."""
        self._replace(
            s.events,
            start_s,
            end_s,
            [
                {"id": e.id, "time_s": e.time_s, "kind": e.kind, "body": json.dumps(to_dict(e))}
                for e in events
            ],
        )

    def replace_violations(
        self, start_s: float, end_s: float, violations: Sequence[Violation]
    ) -> None:
        self._replace(
            s.violations,
            start_s,
            end_s,
            [
                {
                    "id": v.id,
                    "time_s": v.time_s,
                    "rule": v.rule,
                    "party": v.party,
                    "body": json.dumps(to_dict(v)),
                }
                for v in violations
            ],
        )

    def replace_escalations(
        self, start_s: float, end_s: float, escalations: Sequence[Escalation]
    ) -> None:
        self._replace(
            s.escalations,
            start_s,
            end_s,
            [
                {"id": x.id, "time_s": x.time_s, "state": x.state, "body": json.dumps(to_dict(x))}
                for x in escalations
            ],
        )

    def events(self, start_s: float, end_s: float) -> list[Event]:
        return [event_from_dict(d) for d in self._load(s.events, start_s, end_s)]

    def violations(self, start_s: float, end_s: float) -> list[Violation]:
        return [violation_from_dict(d) for d in self._load(s.violations, start_s, end_s)]

    def escalations(self, start_s: float, end_s: float) -> list[Escalation]:
        return [escalation_from_dict(d) for d in self._load(s.escalations, start_s, end_s)]

    def violation_times(self, start_s: float, end_s: float) -> list[float]:
        """Times (s) of the stored violations in [start_s, end_s): for trends."""
        t = s.violations
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t.c.time_s).where(and_(t.c.time_s >= start_s, t.c.time_s < end_s))
            )
            return [float(r[0]) for r in rows]

    # -- live (incremental) writes ------------------------------------------
    def add_new_observations(
        self, origin: str, models: Sequence[AnyObservation], quarantined: Sequence[dict[str, Any]]
    ) -> int:
        """Store the observations not yet in the store (same source and id) as one
        batch from ``origin`` (a bus subject, say), with its quarantine rows; a
        redelivered message adds nothing. Returns how many were new."""
        for attempt in range(2):
            fresh = self._absent(models)
            if not fresh and not quarantined:
                return 0
            try:
                self.add_batch([origin], fresh, quarantined)
                return len(fresh)
            except IntegrityError:
                if attempt:  # another writer keeps adding the same keys
                    raise
        return 0

    def _absent(self, models: Sequence[AnyObservation]) -> list[AnyObservation]:
        """``models`` whose (source, id) is not stored (first of repeats kept)."""
        if not models:
            return []
        times = [o.time.timestamp() for o in models]
        t = s.observations
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t.c.source, t.c.id).where(
                    and_(t.c.time_s >= min(times), t.c.time_s <= max(times))
                )
            )
            present = {(r[0], r[1]) for r in rows}
        out: list[AnyObservation] = []
        for o in models:
            if (o.source, o.id) not in present:
                present.add((o.source, o.id))
                out.append(o)
        return out

    def add_new_results(self, events: Sequence[Event], violations: Sequence[Violation]) -> int:
        """Insert the events and violations whose id is not stored yet (one
        transaction): a replayed live result adds nothing. Returns violations added."""
        added = 0
        with self.engine.begin() as conn:
            for table, rows in (
                (
                    s.events,
                    [
                        {
                            "id": e.id,
                            "time_s": e.time_s,
                            "kind": e.kind,
                            "body": json.dumps(to_dict(e)),
                        }
                        for e in events
                    ],
                ),
                (
                    s.violations,
                    [
                        {
                            "id": v.id,
                            "time_s": v.time_s,
                            "rule": v.rule,
                            "party": v.party,
                            "body": json.dumps(to_dict(v)),
                        }
                        for v in violations
                    ],
                ),
            ):
                ids = [r["id"] for r in rows]
                have: set[str] = set()
                for i in range(0, len(ids), _CHUNK):
                    have |= {
                        r[0]
                        for r in conn.execute(
                            select(table.c.id).where(table.c.id.in_(ids[i : i + _CHUNK]))
                        )
                    }
                new = [r for r in rows if r["id"] not in have]
                if new:
                    conn.execute(insert(table), new)
                if table is s.violations:
                    added = len(new)
        return added

    def close(self) -> None:
        self.engine.dispose()
