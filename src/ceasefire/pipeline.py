"""The stages wired together over a store: ingest → fuse → assess → ledger → report.

Each function is one stage for one reporting day and can run alone on what the
stage before it stored. ``run`` is the one-shot pipeline. This module is the
shell around the pure rooms: it reads and writes the store, the ledger and
files; the CLI calls it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import inspect
import itertools
import json
import math
import multiprocessing
import os
import pickle
import queue
import shutil
import subprocess
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ceasefire import maps_child, pipeline_steps
from ceasefire.assess import assess, escalate, notices
from ceasefire.assess.intervene import OUTCOME, REQUEST, intervention_requests
from ceasefire.assess.intervene import status as intervention_status
from ceasefire.assess.ladder import lookback_h
from ceasefire.fuse import FuseConfig, compiled, fuse, tiles
from ceasefire.fuse.association import ObserverRegistration
from ceasefire.ingest import (
    IngestResult,
    RawRecord,
    read_records,
    validate_records,
    write_quarantine,
)
from ceasefire.ingest_pool import (
    StoredDigests,
    ingest_pooled,
    pool_pays,
    quarantine_entries,
    stored_duplicates,
)
from ceasefire.ledger import Ledger, SignedTreeHead
from ceasefire.ledger.canonical import canonical_json, check_record
from ceasefire.ledger.digest_index import DIGEST_BYTES, DigestIndex, quoted_sets
from ceasefire.ledger.digest_objects import digest_object, plain_keys
from ceasefire.mandate import Mandate, day_bounds, day_of, parse_mandate
from ceasefire.model import Escalation, Event, Violation
from ceasefire.model.arrays import AnyObservation, ObservationArrays
from ceasefire.model.codec import to_dict
from ceasefire.model.collector import collector_paused, frozen_as_kept, survivors_frozen
from ceasefire.model.errors import LedgerError, PipelineError
from ceasefire.model.heap import trimmed
from ceasefire.model.observation import IntakePolicy
from ceasefire.report import ReportContext, render_report
from ceasefire.report.geojson import (
    event_feature_text,
    feature_text,
    violation_feature_text,
)
from ceasefire.report.jsonfile import write_json
from ceasefire.report.layers import MapLayers, map_layers, named_events
from ceasefire.report.render import PARALLEL_MIN_ITEMS, frozen_heap, render_maps
from ceasefire.store import Store
from ceasefire.store.batch import BatchWriter

#: Observations perceived this long after a day's end still belong to its
#: events (sound from 40 km takes ~117 s; reports are written late), s.
LATE_MARGIN_S = 180.0
#: Observation digests per ledger record (~90 bytes each: a record stays ~2 MB).
OBSERVATION_RECORD_CHUNK = 20_000
#: Observation digests the ledger is given per append (a day's records are
#: appended in batches of about this weight; ~90 bytes a digest).
LEDGER_BATCH_DIGESTS = 20_000
#: How many past days feed the report's trend chart.
TREND_DAYS = 30
#: Inclusion proofs an intervention request carries (its latest violations, and
#: its escalation's); the rest are one ``ceasefire ledger prove`` away.
PROOFS_PER_REQUEST = 20

#: Told what a long stage is doing: ``progress(text)`` when a stage starts, and
#: ``progress(text, done, total)`` as it advances (``total`` None when unknown),
#: if the callable takes three arguments (one taking only the text is told each
#: new text once).
Progress = Callable[..., None]
#: How many records ingest reads between two progress reports.
PROGRESS_RECORDS = 5_000
#: Records an ingest validates and writes at a time (memory holds one chunk).
INGEST_CHUNK = 10_000
#: Emission time a day is fused, judged and written in at a time, s (rounded to
#: whole tiles): memory holds one part's reports and events, not the day's. Each
#: part re-reads its tiles' margins (~50 min before, 11 min after, :mod:`fuse.tiles`),
#: so a shorter part reads more rows twice.
PART_S = 7200.0


def _noop(*_: object) -> None:
    return None


def _counted(progress: Progress) -> Callable[[str, int | None, int | None], None]:
    """``progress`` as a three-argument callable (see :data:`Progress`)."""
    try:
        params = list(inspect.signature(progress).parameters.values())
    except (TypeError, ValueError):
        params = []
    if len(params) >= 3 or any(p.kind is p.VAR_POSITIONAL for p in params):
        return progress
    last: list[str] = []

    def text_only(text: str, done: int | None = None, total: int | None = None) -> None:
        if not last or last[0] != text:
            last[:] = [text]
            progress(text)

    return text_only


def _count_lines(paths: Sequence[Path]) -> int | None:
    """Lines in NDJSON and CSV files (about one record each; a CSV's header
    not counted), None when a file of another format (GeoJSON) is among them."""
    n = 0
    for p in paths:
        suffix = p.suffix.lower()
        if suffix not in (".ndjson", ".jsonl", ".csv"):
            return None
        with p.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                n += chunk.count(b"\n")
        n -= suffix == ".csv"
    return max(n, 0)


@dataclass
class DayResult:
    """What one reporting day produced."""

    day: date
    observations: int
    #: how many events the day's fusion kept (the events are in the store)
    n_events: int
    violations: list[Violation]
    escalations: list[Escalation]
    notices: list[dict[str, Any]] = field(default_factory=list)
    head: dict[str, Any] | None = None
    report: dict[str, Path] = field(default_factory=dict)


def public_url(target: str | Path) -> str:
    """A store path or URL as it may be shown and shared: a URL's password is
    replaced by ``***`` (a path is returned as given)."""
    text = str(target)
    if "://" not in text:
        return text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(text).render_as_string(hide_password=True)
    except ArgumentError:
        # not a URL SQLAlchemy can read: keep its scheme and host, never the secret
        scheme, _, rest = text.partition("://")
        return f"{scheme}://***@{rest.rpartition('@')[2]}" if "@" in rest else text


def mandate_of(store: Store, override: Mandate | None = None) -> Mandate:
    """The mandate to judge with: ``override`` or the one stored at ``init``."""
    if override is not None:
        return override
    text = store.mandate_text()
    if text is None:
        raise PipelineError("the store has no mandate; run `ceasefire init --mandate M --store S`")
    return parse_mandate(text, source="<mandate stored at init>")


def init_store(target: str | Path, mandate_path: Path, *, force: bool = False) -> Store:
    """Create a store (or open an existing one) and keep the mandate text in it
    (checked first); see :func:`set_mandate` for a store that has one."""
    from ceasefire.mandate import load_mandate

    load_mandate(mandate_path)
    store = Store.create(target)
    try:
        set_mandate(store, mandate_path, force=force)
    except BaseException:
        store.close()
        raise
    return store


def set_mandate(store: Store, mandate_path: Path, *, force: bool = False) -> dict[str, Any] | None:
    """Keep ``mandate_path``'s text as the store's mandate.

    The same text again changes nothing. Another mandate on a store that already
    holds observations is refused unless ``force``: its data would be judged
    under a line it was not gathered for. A replaced mandate is not lost: its
    text, source and the time of the change go into the store's
    ``mandate_history``; the change is returned (None when nothing was replaced).
    """
    from ceasefire.model.yamlpath import decode_utf8

    text = decode_utf8(mandate_path.read_bytes(), str(mandate_path))
    old = store.mandate_text()
    if old is None or old == text:
        store.set_meta("mandate", text)
        store.set_meta("mandate_source", str(mandate_path))
        return None
    old_source = store.get_meta("mandate_source") or "<unknown>"
    counts = store.counts()
    if not force and store.observation_span() is not None:
        raise PipelineError(
            f"the store already holds {counts['accepted']:,} observations under the mandate "
            f"from {old_source}; found another mandate in {mandate_path}. Expected the same "
            "mandate, a new store, or --force to replace it (the old one is kept in the "
            "store's mandate history)"
        )
    change = {
        "replaced_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "previous_source": old_source,
        "previous_sha256": hashlib.sha256(old.encode()).hexdigest(),
        "previous_text": old,
        "new_source": str(mandate_path),
        "new_sha256": hashlib.sha256(text.encode()).hexdigest(),
        "observations_then": counts["accepted"],
    }
    history = json.loads(store.get_meta("mandate_history") or "[]")
    store.set_meta("mandate_history", json.dumps([*history, change]))
    store.set_meta("mandate", text)
    store.set_meta("mandate_source", str(mandate_path))
    return change


def intake_policy(mandate: Mandate) -> IntakePolicy:
    """What the mandate accepts from observers (years, evidence schemes)."""
    intake = mandate.doc.intake
    return IntakePolicy(years=intake.years, evidence_schemes=tuple(intake.evidence_schemes))


def ingest_into(
    store: Store,
    files: Sequence[Path],
    quarantine_path: Path | None = None,
    *,
    mandate: Mandate | None = None,
    submitted_by: str | None = None,
    progress: Progress = _noop,
    keep: bool = False,
    workers: int | None = None,
    indexes_aside: bool = False,
    ahead: Callable[[], object] | None = None,
    digests: StoredDigests | None = None,
) -> IngestResult:
    """Validate ``files`` against the contract and store the batch atomically
    with its quarantine; duplicates of stored records are decided inside the
    store's write, so concurrent ingests never lose a record. ``progress`` is
    told the records read (of about the files' lines; see :data:`Progress`).
    The accepted models are kept in the result only when ``keep`` (a day's
    files are streamed: see :func:`ingest_records`).

    A batch of NDJSON files of many lines that keeps no models is validated by
    ``workers`` processes (default: one per core; :mod:`ceasefire.ingest_pool`),
    with the same outcome, the same quarantine and the same messages; with
    ``indexes_aside``, its secondary indexes may be left to a child process that
    the store's next write waits for (``Store.batch_writer``); ``ahead`` is
    called while the pool's batch ends (``ingest_pool.ingest_pooled``'s), not
    at all without the pool; so is ``digests`` given the ledger's digests of
    the records stored (for :class:`DayLog`)."""
    missing = [str(f) for f in files if not Path(f).exists()]
    if missing:
        raise PipelineError(f"observation file(s) not found: {', '.join(missing)}")
    tell = _counted(progress)
    paths = [Path(f) for f in files]
    total = _count_lines(paths)
    n_workers = workers if workers is not None else (os.cpu_count() or 1)
    if not keep and pool_pays(paths, total, n_workers):
        tell("reading observations", 0, total)
        m = mandate if mandate is not None else _stored_mandate(store)
        return ingest_pooled(
            store,
            [str(f) for f in files],
            quarantine_path,
            policy=intake_policy(m) if m is not None else None,
            sectors=functools.partial(sectors_of, m) if m is not None else None,
            submitted_by=submitted_by,
            workers=n_workers,
            chunk=INGEST_CHUNK,
            tell=tell,
            total=total,
            every=PROGRESS_RECORDS,
            indexes_aside=indexes_aside,
            ahead=ahead,
            digests=digests,
        )

    def counted() -> Iterator[RawRecord]:
        n = 0
        for f in paths:
            for rec in read_records(f, plain=True):
                yield rec
                n += 1
                if n % PROGRESS_RECORDS == 0:
                    tell("reading observations", n, max(total, n) if total else None)
        tell("reading observations", n, n)
        tell("storing observations", None, None)

    tell("reading observations", 0, total)
    return ingest_records(
        store,
        [str(f) for f in files],
        counted(),
        quarantine_path,
        mandate=mandate,
        submitted_by=submitted_by,
        keep=keep,
        chunk=INGEST_CHUNK,
    )


def ingest_records(
    store: Store,
    files: Sequence[str],
    records: Iterable[RawRecord],
    quarantine_path: Path | None = None,
    *,
    mandate: Mandate | None = None,
    submitted_by: str | None = None,
    keep: bool = True,
    chunk: int = INGEST_CHUNK,
) -> IngestResult:
    """Validate read ``records`` and store them as one batch (see ``ingest_into``);
    each observation gets the sector of ``mandate`` (default: the store's) nearest it.

    The batch is one transaction, written ``chunk`` records at a time, so that
    memory holds a chunk, not the batch: the accepted models are kept in the
    result only when ``keep`` (else only counted, ``IngestResult.streamed``).
    Rejected and duplicate records are always kept in the result."""
    m = mandate if mandate is not None else _stored_mandate(store)
    policy = intake_policy(m) if m is not None else None
    result = IngestResult()
    # the collector off for the whole read: records make no cycles
    with collector_paused(), store.batch_writer(files, submitted_by) as writer:
        it = iter(records)
        while part := list(itertools.islice(it, chunk)):
            _store_chunk(writer, _check_chunk(part, m, policy), result, keep)
    if quarantine_path is not None:
        write_quarantine(quarantine_path, result)
    return result


@dataclass
class _CheckedChunk:
    """A chunk of a batch validated (:func:`_check_chunk`), to be stored."""

    part: IngestResult
    origins: list[RawRecord]
    sectors: list[str | None] | None


def _check_chunk(
    records: Sequence[RawRecord], mandate: Mandate | None, policy: IntakePolicy | None
) -> _CheckedChunk:
    """Validate one chunk of a batch and find its observations' sectors."""
    part = IngestResult()
    origins: list[RawRecord] = []
    validate_records(records, part, {}, policy, origins)
    accepted = part.accepted
    sectors = _model_sectors(mandate, accepted) if mandate is not None and accepted else None
    return _CheckedChunk(part, origins, sectors)


def _model_sectors(mandate: Mandate, accepted: Sequence[AnyObservation]) -> list[str | None]:
    """The sector of each observation (:func:`sectors_of` its observer's or sighting's place)."""
    lat = [o.position.lat if o.kind == "sighting" else o.observer.lat for o in accepted]
    lon = [o.position.lon if o.kind == "sighting" else o.observer.lon for o in accepted]
    return sectors_of(mandate, lat, lon)


def _store_chunk(
    writer: BatchWriter, checked: _CheckedChunk, result: IngestResult, keep: bool
) -> None:
    """Store one validated chunk of a batch (its quarantine too) into ``result``."""
    part, origins = checked.part, checked.origins
    quarantined = quarantine_entries(part)
    accepted = part.accepted
    outcome = writer.add(accepted, checked.sectors)
    quarantined += stored_duplicates(
        outcome,
        [(r.file, r.line, o.source, o.id, r.raw) for r, o in zip(origins, accepted, strict=True)],
        part,
    )
    writer.quarantine(quarantined)
    result.total += part.total
    result.rejected += part.rejected
    result.duplicates += part.duplicates
    if keep:
        result.accepted += [accepted[i] for i in outcome.stored]
        result.accepted_from += [part.accepted_from[i] for i in outcome.stored]
    else:
        result.streamed += len(outcome.stored)


def _stored_mandate(store: Store) -> Mandate | None:
    text = store.mandate_text()
    return None if text is None else parse_mandate(text, source="<mandate stored at init>")


def sectors_of(mandate: Mandate, lat: Any, lon: Any) -> list[str | None]:
    """The mandate sector of each position: that of the nearest contact-line
    point (None for no position or beyond every sector)."""
    la = np.asarray(lat, dtype=np.float64)
    lo = np.asarray(lon, dtype=np.float64)
    out: list[str | None] = [None] * la.shape[0]
    ok = np.isfinite(la) & np.isfinite(lo)
    if ok.any():
        # each place once: most reports come from a few hundred fixed observers;
        # a place as one complex number sorts 7x faster than rows (axis=0)
        at = np.empty(int(ok.sum()), np.complex128)
        at.real, at.imag = la[ok], lo[ok]
        places, back = np.unique(at, return_inverse=True)
        near = mandate.contact.nearest(
            np.ascontiguousarray(places.real), np.ascontiguousarray(places.imag)
        )
        sids = mandate.sector_of_chainage(near.chainage_m)[back.reshape(-1)]
        if ok.all():
            return list(sids.tolist())
        for i, sid in zip(np.flatnonzero(ok).tolist(), sids.tolist(), strict=True):
            out[i] = sid
    return out


def stored_days(store: Store, mandate: Mandate) -> list[date]:
    """Every reporting day that has observations in the store (reports within
    ``LATE_MARGIN_S`` after a day's end count for that day)."""
    span = store.observation_span()
    if span is None:
        return []
    # reports in the first minutes of a day may be late sound of the day before
    first = day_of(mandate, span[0])
    last = day_of(mandate, max(span[0], span[1] - LATE_MARGIN_S))
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def fuse_config(mandate: Mandate) -> FuseConfig:
    """Fusion settings for a mandate: its contact line (fire is aimed across it),
    its sectors (a fusion tile is one sector with a halo, as a live worker's) and
    what observers are registered over (``fusion.register_over``)."""
    c = mandate.contact
    return FuseConfig(
        contact_line_lonlat=tuple(zip(c.lons, c.lats, strict=True)),
        sectors_km=tuple((s.id, float(s.from_km), float(s.to_km)) for s in mandate.doc.sectors),
        register_over="tile" if mandate.doc.fusion.register_over == "tile" else "run",
    )


def fuse_read_window(mandate: Mandate, day: date) -> tuple[float, float]:
    """The perceived times ``[lo, hi)`` (epoch s) of the observations ``fuse_day``
    reads for ``day``: the day and its late margin, or, when fusion is tiled, the
    tiles' context before the day and their horizon after it."""
    start, end = day_bounds(mandate, day)
    cfg = fuse_config(mandate)
    if cfg.tile_s is None:
        return start, end + LATE_MARGIN_S
    if event_steps(mandate):
        return pipeline_steps.read_window(
            pipeline_steps.step_plan(cfg, mandate.doc.fusion.step_s), start, end
        )
    return start - tiles.context_s(cfg), end + tiles.horizon_s(cfg)


def event_steps(mandate: Mandate) -> bool:
    """Whether the mandate's days are fused in event finality's steps
    (``fusion: {finality: event}``, :mod:`ceasefire.pipeline_steps`)."""
    return mandate.doc.fusion.finality == "event"


def fuse_day(
    store: Store, mandate: Mandate, day: date, *, progress: Progress = _noop
) -> tuple[int, list[Event]]:
    """Fuse the day's observations; keep (store and return) the events emitted
    within the day: :func:`fuse_parts` collected, with
    :func:`day_observation_count`. ``progress`` is told the time tiles fused
    (see :data:`Progress`)."""
    events: list[Event] = []
    for part in fuse_parts(store, mandate, day, progress=progress):
        events += part
    return day_observation_count(store, mandate, day), events


def day_observation_count(store: Store, mandate: Mandate, day: date) -> int:
    """How many observations fusing ``day`` reads: the acoustic and visual reports
    of :func:`fuse_read_window`, and the sightings of the day and its late
    margin (when fusion is tiled; else every observation of the window)."""
    lo, hi = fuse_read_window(mandate, day)
    if fuse_config(mandate).tile_s is None:
        return store.count_observations(lo, hi)
    start, end = day_bounds(mandate, day)
    return store.count_observations(lo, hi, sightings=False) + store.count_observations(
        max(lo, start), min(hi, end + LATE_MARGIN_S), sightings=True
    )


def day_parts(mandate: Mandate, day: date) -> list[tuple[float, float]]:
    """The emission-time parts ``[a, b)`` (s) a day is fused in, in order: the
    day cut on a grid of ``PART_S`` (a whole number of tiles, anchored at the
    epoch as the tiles are), so every tile falls in one part; the whole day
    when fusion is not tiled."""
    start, end = day_bounds(mandate, day)
    cfg = fuse_config(mandate)
    if cfg.tile_s is None or event_steps(mandate):
        return [(start, end)]
    ts = tiles.tile_s(tiles.batch_cut(cfg))
    step = ts * max(1, round(PART_S / ts))
    out = []
    c = math.floor(start / step) * step
    while c < end:
        out.append((max(c, start), min(c + step, end)))
        c += step
    return out


def fuse_parts(
    store: Store,
    mandate: Mandate,
    day: date,
    *,
    progress: Progress = _noop,
    aside: Iterator[object] | None = None,
) -> Iterator[list[Event]]:
    """The day's events part by part (:func:`day_parts`), each part's stored
    before it is yielded (the day's events replaced by none first).

    A part reads only its tiles' reports (from ``tiles.context_s`` before its
    start to ``tiles.horizon_s`` after its end, within the day's
    :func:`fuse_read_window`) and fuses the tiles whose core it holds
    (``fuse(span=...)``): each tile sees the reports it sees in a whole-day read,
    so the events are the whole day's, and memory holds one part's reports.
    Sightings make tracks over the day: they are fused first, from the day's
    sightings (and its late margin) alone, and each event goes with its part.

    With more than one fusion worker (``FuseConfig.workers``, default one per
    core) and a day of at least ``parallel_min_obs`` observations, the parts are
    fused by worker processes that read their part from the store themselves,
    once (a part's second pass loads what its first pass read, from a private
    temporary spool; one pool for the day, started before this process holds
    any of the day; at most ``2 * workers + 2`` parts running); this process
    writes.
    While it waits for them, it takes steps of ``aside`` (work of its own, each
    step short: it is not exhausted here), so that the two cores stay busy; on
    one process ``aside`` is left untouched."""
    for part in _finished_parts(store, mandate, day, progress, aside, judge=False):
        assert isinstance(part, list)
        yield part


def judged_parts(
    store: Store,
    mandate: Mandate,
    day: date,
    *,
    progress: Progress = _noop,
    aside: Iterator[object] | None = None,
    n_obs: int | None = None,
    layers: bool = True,
) -> Iterator[JudgedPart]:
    """:func:`fuse_parts`, each part's events judged (:func:`judge_part`) where
    they were fused (in the pool's workers when there is a pool): the events
    are stored from the rows the part carries; the violations are not stored.
    ``n_obs``: :func:`day_observation_count` of the day, if the caller has it;
    ``layers``: the parts carry their map layers (:func:`part_layers`)."""
    parts = _finished_parts(
        store, mandate, day, progress, aside, judge=True, n_obs=n_obs, layers=layers
    )
    for part in parts:
        assert isinstance(part, JudgedPart)
        yield part


@dataclass
class JudgedPart:
    """A part's events judged, and made into what ``run`` writes of them: the
    store's rows and the GeoJSON features' text (in the events' order)."""

    n_events: int
    #: the part's sighting events (escalations read those)
    sightings: list[Event]
    violations: list[Violation]
    #: the events' store rows (``Store.event_rows``); None: stored already
    event_rows: list[dict[str, Any]] | None
    violation_rows: list[dict[str, Any]]
    event_features: list[str]
    violation_features: list[str]
    #: each violation's ledger record, encoded but for its digests
    #: (:class:`ViolationRecord`)
    violation_records: list[ViolationRecord]
    #: the part's map layers (:func:`part_layers`): its violations', its events'
    layers: tuple[MapLayers, MapLayers] | None = None


@dataclass(frozen=True)
class ViolationRecord:
    """A violation's ledger record (:func:`violation_records`) as its canonical
    JSON around its ``observation_digests`` (``head`` ends with the array's
    ``[``, ``tail`` starts with its ``]``), so that the process holding the
    day's digests writes only them."""

    id: str
    observation_ids: tuple[str, ...]
    head: bytes
    tail: bytes

    @classmethod
    def of(cls, v: Violation, plain: dict[str, Any] | None = None) -> ViolationRecord:
        """``v``'s (``plain``: ``to_dict(v)``, if made already)."""
        record = _violation_record(v, set(), plain)
        text = canonical_json(record)
        # the key is a top-level one: inside a JSON string its quotes are escaped
        at = text.index(_DIGESTS_KEY) + len(_DIGESTS_KEY) - 1
        return cls(v.id, tuple(v.observation_ids), text[:at], text[at:])

    def payload(self, digests: Iterable[bytes]) -> bytes:
        """The record's canonical JSON with ``digests`` (SHA-256 bytes; written as
        hex, sorted here: sorted bytes and their lowercase hex sort alike)."""
        return self.head + _quoted([d.hex() for d in sorted(digests)]) + self.tail


def _quoted(texts: Sequence[str]) -> bytes:
    """``texts`` as JSON strings, comma separated (no escapes: hex digests)."""
    return ('"' + '","'.join(texts) + '"').encode() if texts else b""


_DIGESTS_KEY = b'"observation_digests":[]'


def judge_part(
    events: Sequence[Event],
    mandate: Mandate,
    day: date,
    store: Store | None,
    *,
    layers: bool = True,
) -> JudgedPart:
    """``events`` (a part's, or a day's) judged (``assess``) and made into rows
    (by ``store``'s schema; None: no event rows, the events are stored) and
    GeoJSON features (``report.geojson``'s, as ``GeoJSONWriter`` writes them)."""
    found = assess(events, mandate)
    iso_day = day.isoformat()
    plain = [to_dict(v) for v in found]
    return JudgedPart(
        n_events=len(events),
        sightings=[e for e in events if e.kind == "sighting"],
        violations=found,
        event_rows=(
            None
            if store is None
            else store.event_rows(events, day=iso_day, sectors=_event_sectors(mandate, events))
        ),
        violation_rows=(
            store.violation_rows(found, day=iso_day, plain=plain) if store is not None else []
        ),
        event_features=[event_feature_text(e) for e in events],
        violation_features=[violation_feature_text(v) for v in found],
        violation_records=[ViolationRecord.of(v, d) for v, d in zip(found, plain, strict=True)],
        layers=part_layers(mandate, events, found) if layers else None,
    )


def part_layers(
    mandate: Mandate, events: Sequence[Event], violations: Sequence[Violation]
) -> tuple[MapLayers, MapLayers] | None:
    """The map layers of a part's violations and of its events, each in the
    store's order (time, then id), as :func:`_draw_maps` builds them from its
    reads of the day; None where the part's violations name an event that is
    not among its events (its grey dots then depend on other parts)."""
    named = named_events(violations)
    if not named <= {e.id for e in events}:
        return None
    by_time = sorted(violations, key=lambda v: (v.time_s, v.id))
    in_order = sorted(events, key=lambda e: (e.time_s, e.id))
    return (
        map_layers(mandate, [], by_time),
        map_layers(mandate, in_order, [], named=named),
    )


def day_layers(
    mandate: Mandate,
    day: date,
    layers: Sequence[tuple[MapLayers, MapLayers] | None],
    violations: Sequence[Sequence[Violation]],
) -> MapLayers | None:
    """The day's map layers from its parts' (``layers[k]``: :func:`part_layers`
    of the ``k``-th part in the day's order, whose violations are
    ``violations[k]``): what :func:`_draw_maps` builds from the store, or None
    where a part has none, or the parts' violations, each part's in time then
    id, are not in that order across the day and within the day's period."""
    if not layers or any(x is None for x in layers):
        return None
    start, end = day_bounds(mandate, day)
    keys = [(v.time_s, v.id) for found in violations for v in sorted(found, key=_time_id)]
    if keys != sorted(keys) or not all(start <= t < end for t, _ in keys):
        return None
    got = [x for x in layers if x is not None]
    return MapLayers.concat([x[0] for x in got] + [x[1] for x in got])


def _time_id(v: Violation) -> tuple[float, str]:
    return v.time_s, v.id


def _event_sectors(mandate: Mandate, events: Sequence[Event]) -> list[str | None]:
    """The sector of each event (at its position, else its observer's)."""
    return sectors_of(
        mandate,
        [e.lat if e.lat is not None else e.observer_lat for e in events],
        [e.lon if e.lon is not None else e.observer_lon for e in events],
    )


@dataclass(frozen=True)
class _PartFinish:
    """What is done with a part's fused events where they were fused: the
    day's sighting events of the part added (``sights``, fused before the
    parts), and, with ``judge``, :func:`judge_part` (rows by ``store``'s schema)."""

    mandate: Mandate
    day: date
    sights: Sequence[Event]
    judge: bool
    #: judged parts carry their map layers (the day's maps are drawn ahead)
    layers: bool = True

    def __call__(
        self, events: list[Event], a: float, b: float, store: Store
    ) -> list[Event] | JudgedPart:
        mine = [e for e in self.sights if a <= e.time_s < b]
        if mine:
            events = sorted(events + mine, key=lambda e: (e.time_s, e.id))
        if not self.judge:
            return events
        return judge_part(events, self.mandate, self.day, store, layers=self.layers)


def _finished_parts(
    store: Store,
    mandate: Mandate,
    day: date,
    progress: Progress,
    aside: Iterator[object] | None,
    *,
    judge: bool,
    n_obs: int | None = None,
    layers: bool = True,
) -> Iterator[list[Event] | JudgedPart]:
    """:func:`fuse_parts` (``judge``: :func:`judged_parts`; ``n_obs``: the day's
    :func:`day_observation_count` if known)."""
    start, end = day_bounds(mandate, day)
    cfg = fuse_config(mandate)
    tell = _counted(progress)
    parts = day_parts(mandate, day)
    if n_obs is None:
        n_obs = day_observation_count(store, mandate, day)
    text = f"{day}: fusing {n_obs:,} observations, part"
    store.replace_events(start, end, [], day=day.isoformat())
    reader = _PartReader(dataclasses.replace(cfg, workers=1), *fuse_read_window(mandate, day))
    sights: list[Event] = []

    # before the pool (a few CPU-s at most): the workers are forked with
    # fusion's compiled loops loaded
    if cfg.tile_s is not None:
        tell(f"{day}: sightings tracked", None, None)
        sight_obs = store.observations(
            max(reader.lo, start), min(reader.hi, end + LATE_MARGIN_S), sightings=True
        )
        if len(sight_obs):
            sights = [e for e in fuse(sight_obs, cfg) if start <= e.time_s < end]
        del sight_obs
    finish = _PartFinish(mandate, day, sights, judge, layers)
    workers = cfg.workers if cfg.workers is not None else (os.cpu_count() or 1)
    url = _reopen_url(store)
    register = cfg.tile_s is not None and tiles.pools_registration(cfg)

    def day_tell(what: str, done: int | None = None, total: int | None = None) -> None:
        tell(f"{day}: {what}", done, total)

    fused: Iterable[list[Event] | JudgedPart]
    if event_steps(mandate):
        # one chain of steps per sector through the day (the steps depend on the
        # ones before): the whole day as one part, the sectors' chains in parallel
        fused = [
            finish(
                pipeline_steps.fuse_day_steps(
                    store,
                    dataclasses.replace(cfg, workers=1, register_over="tile"),
                    mandate.doc.fusion.step_s,
                    start,
                    end,
                    workers=workers,
                ),
                start,
                end,
                store,
            )
        ]
    elif workers > 1 and len(parts) > 1 and n_obs >= cfg.parallel_min_obs and url is not None:
        # what each part reads: its first pass is submitted heaviest first
        weights = [reader.weight(store, a, b) for a, b in parts] if register else None
        fused = _fuse_in_pool(
            url, reader, finish, parts, workers, register, day_tell, aside or iter(()), weights
        )
    else:
        reg = None
        firsts: list[tiles.Firsts] = [{} for _ in parts]
        if register:
            shares: list[tiles.Part] = []
            for k, (a, b) in enumerate(parts):
                day_tell("first pass, part", k, len(parts))
                got, firsts[k] = reader.first_pass(store, a, b)
                shares += got
            reg = tiles.pooled(shares, cfg.association.registration)
        fused = (
            finish(reader.fuse(store, a, b, reg, firsts[k]), a, b, store)
            for k, (a, b) in enumerate(parts)
        )
    tell(text, 0, len(parts))
    for k, (_, part) in enumerate(zip(parts, fused, strict=True)):
        if isinstance(part, JudgedPart):
            assert part.event_rows is not None
            store.add_event_rows(part.event_rows)
            part.event_rows = None
        else:
            store.add_events(part, day=day.isoformat(), sectors=_event_sectors(mandate, part))
        tell(text, k + 1, len(parts))
        yield part


@dataclass(frozen=True)
class _PartReader:
    """How a part is read and fused: the day's read window ``[lo, hi)`` (s) and
    the fusion settings (one process: the parts are what is spread)."""

    cfg: FuseConfig
    lo: float
    hi: float
    #: a private directory where :meth:`first_pass` leaves each part's reads for
    #: :meth:`fuse` of the same part (the pool's two passes run in different
    #: processes), or None: each pass reads the store
    spool: str | None = None

    def span(self, a: float, b: float) -> tuple[float, float, bool | None]:
        """The times ``[lo, hi)`` (s) and kinds (``sightings=``, as
        ``Store.observations``) that fusing the part ``[a, b)`` reads."""
        if self.cfg.tile_s is None:
            return self.lo, self.hi, None
        ctx, hor = tiles.context_s(self.cfg), tiles.horizon_s(self.cfg)
        return max(self.lo, a - ctx), min(self.hi, b + hor), False

    def weight(self, store: Store, a: float, b: float) -> int:
        """About how many observations fusing the part ``[a, b)`` reads: those
        of its times, of every kind (counted in the time index alone, ~5x
        faster than with the kinds it reads; sightings are few)."""
        lo, hi, _ = self.span(a, b)
        return store.count_observations(lo, hi)

    def read(self, store: Store, a: float, b: float) -> ObservationArrays:
        """What fusing the part ``[a, b)`` reads: its tiles' acoustic and visual
        reports with their margins (whole day: every observation when fusion is
        not tiled)."""
        lo, hi, sightings = self.span(a, b)
        return store.observations(lo, hi, sightings=sightings)

    def first_pass(self, store: Store, a: float, b: float) -> tuple[list[tiles.Part], tiles.Firsts]:
        """The part's share of the day's observer registration, and its tiles'
        first associations (``tiles.first_pass``) for :meth:`fuse` of the part."""
        obs = self.read(store, a, b)
        self._keep(obs, a, b)
        obs = tiles.canonical(obs)
        return tiles.first_pass(obs, self.cfg, span=(a, b)) if len(obs) else ([], {})

    def _spooled(self, a: float, b: float) -> Path | None:
        return None if self.spool is None else Path(self.spool) / f"{a!r}-{b!r}.pkl"

    def _keep(self, obs: ObservationArrays, a: float, b: float) -> None:
        """Leave the part's reads in the spool: loading them back costs ~2 % of
        reading the store again (SQL rows made into arrays: a fifth to a third
        of a second pass's CPU on the stress day)."""
        path = self._spooled(a, b)
        if path is None:
            return
        part = path.with_suffix(".part")
        try:
            with part.open("wb") as f:
                pickle.dump(obs, f, protocol=pickle.HIGHEST_PROTOCOL)
            part.replace(path)
        except OSError:
            # a full disk, say: the second pass reads the store instead
            part.unlink(missing_ok=True)

    def _kept(self, a: float, b: float) -> ObservationArrays | None:
        """The part's reads :meth:`_keep` left (taken: the file is removed), or None."""
        path = self._spooled(a, b)
        if path is None:
            return None
        try:
            with path.open("rb") as f:
                obs: ObservationArrays = pickle.load(f)
        except FileNotFoundError:
            return None
        path.unlink()
        return obs

    def fuse(
        self,
        store: Store,
        a: float,
        b: float,
        registration: ObserverRegistration | None = None,
        firsts: tiles.Firsts | None = None,
    ) -> list[Event]:
        """The acoustic and visual events emitted in ``[a, b)`` (whole day: the
        sightings too when fusion is not tiled), observers registered by
        ``registration`` (the day's) when given; ``firsts``: the part's
        :meth:`first_pass` associations (the same reads)."""
        obs = self._kept(a, b)
        if obs is None:
            obs = self.read(store, a, b)
        fused = (
            fuse(obs, self.cfg, span=(a, b), registration=registration, firsts=firsts)
            if len(obs)
            else []
        )
        return [e for e in fused if a <= e.time_s < b]


def _reopen_url(store: Store) -> str | None:
    """The URL a worker process opens ``store`` by (None: a store that is not a
    database, such as a Dask worker's shipped day)."""
    engine = getattr(store, "engine", None)
    if engine is None or engine.url.database in (None, "", ":memory:"):
        return None
    return str(engine.url.render_as_string(hide_password=False))


#: A part worker's store and reader (set once per process by ``_part_worker_init``).
_PART_WORKER: dict[str, Any] = {}


def _part_worker_init(url: str, reader: _PartReader, finish: _PartFinish) -> None:
    # the collector's walks of what the worker inherited and what each task
    # leaves cost 10-20 % of the worker's CPU: frozen once here, then after each task
    survivors_frozen(collect=False)
    _PART_WORKER["store"] = Store.open(url)
    _PART_WORKER["reader"] = reader
    _PART_WORKER["finish"] = finish


@dataclass(frozen=True)
class _Handed:
    """A pool task's result left as a pickle in the pool's spool (``path``) by
    :func:`_hand_over`, for :func:`_taken` to load."""

    path: str


def _hand_over(value: Any, name: str) -> Any:
    """``value`` pickled into the worker's spool as ``name`` and a :class:`_Handed`
    for it, or ``value`` itself (no spool, or a failed write).

    A result sent through the pool's pipe blocks the worker until the parent's
    receiving thread has read all of it, 64 KiB a read, each read waiting for the
    parent's interpreter lock while its main thread stores rows and writes ledger
    records: a judged part (15-65 MB) holds a worker for seconds. A file in the
    page cache takes it at once; the parent loads it when it takes the part."""
    spool = _PART_WORKER["reader"].spool
    if spool is None:
        return value
    path = Path(spool) / name
    try:
        with path.open("wb") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
    except OSError:
        # a full disk, say: the result goes through the pipe
        path.unlink(missing_ok=True)
        return value
    return _Handed(str(path))


def _taken(value: Any) -> Any:
    """What :func:`_hand_over` was given (its file then removed)."""
    if not isinstance(value, _Handed):
        return value
    path = Path(value.path)
    got = pickle.loads(path.read_bytes())
    path.unlink()
    return got


def _part_worker_fuse(
    a: float, b: float, reg: ObserverRegistration | None, firsts: tiles.Firsts | _Handed | None
) -> list[Event] | JudgedPart | _Handed:
    store = _PART_WORKER["store"]
    # fusing and judging make many objects and almost no cycles (a few hundred
    # objects over a stress slice's tasks): the collector's walks of the task's
    # objects would cost more than the memory they could free, so it runs once,
    # after the task
    with collector_paused():
        firsts = _taken(firsts)
        events = list(_PART_WORKER["reader"].fuse(store, a, b, reg, firsts))
        finished: list[Event] | JudgedPart = _PART_WORKER["finish"](events, a, b, store)
        del events, firsts
        handed = _hand_over(finished, f"{a!r}-{b!r}.fused.pkl")
        del finished
        # inside the pause: re-enabled first, the collector would walk the
        # task's objects once more in a young collection
        survivors_frozen()
    # the task's freed C heap given back: else each worker keeps its largest
    # tasks' high-water mark resident for the pool's life
    trimmed()
    return handed


def _part_worker_first(a: float, b: float) -> tuple[list[tiles.Part], tiles.Firsts] | _Handed:
    """The part's first pass; with a spool, its associations stay there for the
    part's second pass (the parent passes on their :class:`_Handed` unread) and
    the whole answer is handed over there too."""
    with collector_paused():
        shares, firsts = _PART_WORKER["reader"].first_pass(_PART_WORKER["store"], a, b)
        kept = _hand_over(firsts, f"{a!r}-{b!r}.firsts.pkl")
        handed = _hand_over((shares, kept), f"{a!r}-{b!r}.first.pkl")
        del shares, firsts, kept
        survivors_frozen()
    trimmed()
    return handed


#: the prefix of a pool's spool folder in the temp directory, before its process id
SPOOL_PREFIX = "ceasefire-parts-"


def _part_spool(root: str | None = None) -> tempfile.TemporaryDirectory[str]:
    """A private folder for the pool's part reads, named for this process, in
    ``root`` (default: the temp directory), after sweeping the spools of runs
    that were killed before they could remove theirs (:func:`sweep_spools`)."""
    sweep_spools(root)
    return tempfile.TemporaryDirectory(prefix=f"{SPOOL_PREFIX}{os.getpid()}-", dir=root)


def sweep_spools(root: str | None = None) -> list[Path]:
    """Remove this user's spool folders in ``root`` (default: the temp directory)
    whose process is gone: a run killed outright leaves its folder (up to
    ~150 MB on a stress day). A live process's, another user's, and any folder
    not named ``SPOOL_PREFIX<pid>-...`` are left (one removed under a live run
    all the same only makes its parts read the store again). Returns the
    folders removed."""
    gone = []
    for d in Path(root or tempfile.gettempdir()).glob(f"{SPOOL_PREFIX}*-*"):
        pid = d.name[len(SPOOL_PREFIX) :].split("-", 1)[0]
        try:
            if not pid.isdigit() or not d.is_dir() or d.stat().st_uid != os.getuid():
                continue
            os.kill(int(pid), 0)
        except ProcessLookupError:  # its process is gone
            shutil.rmtree(d, ignore_errors=True)
            gone.append(d)
        except (OSError, OverflowError):  # alive under another user (EPERM),
            continue  # unreadable, or no process id at all: left
    return gone


def _as_they_end(
    running: dict[int, Future[Any]], aside: Iterator[object]
) -> Iterator[tuple[int, Any]]:
    """``(key, result)`` of each of ``running``'s futures as it ends (ties: the
    dict's order); while none has ended, steps of ``aside``, then sleeps. A
    future's exception is raised here."""
    from concurrent.futures import FIRST_COMPLETED
    from concurrent.futures import wait as futures_wait

    left = dict(running)
    done = object()
    while left:
        ended = [k for k, f in left.items() if f.done()]
        if not ended:
            if next(aside, done) is done:
                futures_wait(left.values(), return_when=FIRST_COMPLETED)
            continue
        for k in ended:
            yield k, left.pop(k).result()


def _fuse_in_pool(
    url: str,
    reader: _PartReader,
    finish: _PartFinish,
    parts: Sequence[tuple[float, float]],
    workers: int,
    register: bool = False,
    tell: Callable[[str, int | None, int | None], None] = _noop,
    aside: Iterator[object] = iter(()),
    weights: Sequence[int] | None = None,
) -> Iterator[list[Event] | JudgedPart]:
    """Each part's events from a pool of ``workers`` processes, in order, made
    by ``finish`` in the worker; with ``register``, the parts' shares of the
    day's observer registration first, and their tiles' first associations,
    held here until the part is fused. While a result is not there yet, this
    process takes a step of ``aside``. ``weights``: the parts' sizes (any
    unit), for the order their first passes are submitted in (heaviest first)."""
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor
    from concurrent.futures import wait as futures_wait

    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
    with contextlib.ExitStack() as stack:
        if register:
            # the first pass's reads of each part, for its second pass
            spool = stack.enter_context(_part_spool())
            reader = dataclasses.replace(reader, spool=spool)
        # this process's freed C heap (the ingest's, the sightings') given
        # back: the workers forked with it would count its pages too
        trimmed()
        pool = stack.enter_context(
            ProcessPoolExecutor(
                max_workers=min(workers, len(parts)),
                mp_context=ctx,
                initializer=_part_worker_init,
                initargs=(url, reader, finish),
            )
        )
        done = object()
        queue: deque[Future[list[Event] | JudgedPart | _Handed]] = deque()

        def wait(fut: Future[Any], more: Callable[[], None] | None = None) -> Any:
            """``fut``'s result; meanwhile steps of ``aside``, then (``more``:
            told whenever a part of ``queue`` finishes) sleeps."""
            while not fut.done():
                if next(aside, done) is done:
                    watched = [f for f in queue if not f.done()] if more else []
                    futures_wait([fut, *watched], return_when=FIRST_COMPLETED)
                if more is not None:
                    more()
            if more is not None:
                more()
            return fut.result()

        reg = None
        firsts: list[tiles.Firsts | _Handed | None] = [None] * len(parts)
        if register:
            tell("first pass, part", 0, len(parts))
            # pooling waits for the last first pass to end: the heaviest parts
            # go first, so that the last ones to run are short (the shares are
            # pooled in the parts' order all the same; the count told is of the
            # parts done, as they end)
            order: Iterable[int] = range(len(parts))
            if weights is not None:
                order = sorted(order, key=lambda k: -weights[k])
            running_first = {k: pool.submit(_part_worker_first, *parts[k]) for k in order}
            share_of: dict[int, list[tiles.Part]] = {}
            for k, result in _as_they_end(running_first, aside):
                share_of[k], firsts[k] = _taken(result)
                tell("first pass, part", len(share_of), len(parts))
            shares = [p for k in range(len(parts)) for p in share_of[k]]
            tell("registration pooled", None, None)
            reg = tiles.pooled(shares, reader.cfg.association.registration)
        tell("second pass, part", 0, len(parts))
        todo = iter(range(len(parts)))
        # parts differ in weight and come back in order: a heavy part at the
        # head must not hold the other worker's next submissions, so parts are
        # submitted as any finishes (``running`` at most), while at most
        # ``held`` results wait for the head
        running, held = 2 * workers + 2, 4 * workers + 2

        def submit() -> None:
            while len(queue) < held and sum(not f.done() for f in queue) < running:
                k = next(todo, None)
                if k is None:
                    return
                # a part's first associations leave this process with it
                kept, firsts[k] = firsts[k], None
                queue.append(pool.submit(_part_worker_fuse, *parts[k], reg, kept))

        submit()
        while queue:
            result = wait(queue[0], submit)
            queue.popleft()
            submit()
            yield _taken(result)


#: Fuses ``days`` of a store in order: ``(store, mandate, days, progress)`` →
#: ``(observations, events)`` per day, the events stored (see ``fuse_day``).
DayFuser = Callable[[Store, Mandate, Sequence[date], Progress], Iterator[tuple[int, list[Event]]]]


def serial_fuse_days(
    store: Store, mandate: Mandate, days: Sequence[date], progress: Progress = _noop
) -> Iterator[tuple[int, list[Event]]]:
    """``fuse_day`` of each day in turn, here (each fused when the caller asks)."""
    for day in days:
        yield fuse_day(store, mandate, day, progress=progress)


def _parts_of_days(
    store: Store,
    mandate: Mandate,
    days: Sequence[date],
    progress: Progress,
    fuse_days: DayFuser | None,
    day_log: Callable[[date], DayLog],
) -> Iterator[tuple[date, int, Iterable[JudgedPart], DayLog]]:
    """Each day, its observation count, its events in parts, judged (the events
    stored as they come) and ``day_log(day)``, whose work ahead fusion's pool
    waits do (:func:`fuse_parts`' ``aside``): :func:`judged_parts` here, or the
    whole day as one part from ``fuse_days``, judged here. A day's log is made
    when the day before it is done with (its records come after that day's)."""
    if fuse_days is None:
        for day in days:
            log = day_log(day)
            n_obs = day_observation_count(store, mandate, day)
            # only the last day's maps are drawn ahead (``run``)
            parts = judged_parts(
                store,
                mandate,
                day,
                progress=progress,
                aside=log.ahead,
                n_obs=n_obs,
                layers=day == days[-1],
            )
            yield day, n_obs, parts, log
        return
    for day, (n_obs, events) in zip(days, fuse_days(store, mandate, days, progress), strict=True):
        part = judge_part(events, mandate, day, None, layers=day == days[-1])
        part.violation_rows = store.violation_rows(part.violations, day=day.isoformat())
        yield day, n_obs, [part], day_log(day)


def escalations_of(
    store: Store,
    mandate: Mandate,
    day: date,
    violations: Sequence[Violation],
    events: Sequence[Event],
) -> list[Escalation]:
    """The day's escalations from its ``violations`` and the stored ones of the
    ladder's look-back before it; ``events``: the day's events (sightings suffice:
    a crossing is a sighting's)."""
    start, end = day_bounds(mandate, day)
    back_h = lookback_h(mandate)
    history = store.violations(start - back_h * 3600.0, start) if back_h else []
    all_esc = escalate([*history, *violations], mandate, events=events)
    return [x for x in all_esc if start <= x.time_s < end]


def assess_day(
    store: Store, mandate: Mandate, day: date, events: Sequence[Event] | None = None
) -> tuple[list[Violation], list[Escalation], list[dict[str, Any]]]:
    """Judge the day's events; escalations look back over the ladder's windows and waits."""
    start, end = day_bounds(mandate, day)
    evs = list(events) if events is not None else store.events(start, end)
    violations = assess(evs, mandate)
    store.replace_violations(start, end, violations, day=day.isoformat())
    escalations = escalations_of(store, mandate, day, violations, evs)
    store.replace_escalations(start, end, escalations, day=day.isoformat())
    return violations, escalations, notices(violations, escalations, mandate, events=evs)


def judge_day(
    store: Store, mandate: Mandate, day: date, *, back_h: float | None = None
) -> tuple[list[Violation], list[Escalation]]:
    """The day's violations and escalations under ``mandate`` from the stored
    events alone (nothing stored): the events of ``back_h`` hours before the day
    (default: the ladder's ``lookback_h``) are judged too, for its windows and waits."""
    start, end = day_bounds(mandate, day)
    back_s = (back_h if back_h is not None else lookback_h(mandate)) * 3600.0
    past = store.events(start - back_s, start) if back_s else []
    events = store.events(start, end)
    violations = assess(events, mandate)
    earlier = assess(past, mandate) if past else []
    escalations = [
        x for x in escalate(earlier + violations, mandate, events=events) if start <= x.time_s < end
    ]
    return violations, escalations


def observation_digests(models: Sequence[AnyObservation]) -> dict[str, str]:
    """``source/id`` → SHA-256 of the observation's canonical JSON (as
    :meth:`Store.observation_digests` gives for stored ones)."""
    return {
        f"{o.source}/{o.id}": hashlib.sha256(o.model_dump_json().encode()).hexdigest()
        for o in models
    }


def violation_records(
    violations: Sequence[Violation], digests: dict[str, str]
) -> list[dict[str, Any]]:
    """The ledger record of each violation: the violation without its observation
    ids, and the sorted SHA-256 digests of the observations it rests on (from
    ``digests``, ``source/id`` → SHA-256, :func:`observation_digests`).

    A party may fetch a violation's proof bundle, which carries the record, and must
    not learn the mission's observers: the record names no observation and no
    observer. The digests tie it to the day's ``observations`` records (where the
    digests are keyed by ``source/id``, for the mission's own checks), and any
    observation later shown to a party can be checked against them."""
    return list(_violation_records(violations, digests))


def _violation_records(
    violations: Sequence[Violation], digests: dict[str, str]
) -> Iterator[dict[str, Any]]:
    """:func:`violation_records` one at a time."""
    needed = {oid for v in violations for oid in v.observation_ids}
    by_id: dict[str, list[str]] = {}
    for key in digests:
        oid = key.split("/", 1)[1]
        if oid in needed:
            by_id.setdefault(oid, []).append(key)
    del needed
    for v in violations:
        yield _violation_record(
            v, {digests[k] for oid in v.observation_ids for k in by_id.get(oid, [])}
        )


def _violation_record(
    v: Violation, digests: set[str], plain: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A violation's record: its digests (hex) sorted in place of its observation
    ids, so that a party's proof names no observer (``plain``: ``to_dict(v)``)."""
    record = {"type": "violation", **(plain if plain is not None else to_dict(v))}
    del record["observation_ids"]
    record["observation_digests"] = sorted(digests)
    return record


def ledger_day(
    ledger: Ledger,
    day: date,
    end_s: float,
    observations: Sequence[AnyObservation] | dict[str, str],
    violations: Sequence[Violation],
    escalations: Sequence[Escalation],
    *,
    chunk: int = OBSERVATION_RECORD_CHUNK,
) -> dict[str, Any]:
    """Append the day's records and sign a head at the day's end.

    ``observations``: the day's observation models, or their digests
    (``source/id`` → SHA-256, :meth:`Store.observation_digests`: no model built).
    Records: ``observations`` records (the digest of every observation the day
    rests on, ``chunk`` a record, each with the digest of the whole day), then
    each violation with the digests of its own
    observations, then each escalation. Records already in the log (same id,
    e.g. a re-run of the same day) are not appended twice.
    """
    digests = observations if isinstance(observations, dict) else observation_digests(observations)
    escalation_records = ({"type": "escalation", **to_dict(x)} for x in escalations)
    _append_new(
        ledger,
        itertools.chain(
            _observation_records(day, digests, chunk),
            _violation_records(violations, digests),
            escalation_records,
        ),
    )
    head = ledger.sign_head(end_s)
    return head.to_dict()


#: A day's observation digests, ``source/id`` -> SHA-256: read from the store
#: (hex texts by key), or as an ingest gave them (``StoredDigests.take_raw``: the
#: keys and their digests' bytes joined, ``DIGEST_BYTES`` each, in any order).
Digests = dict[str, str] | tuple[list[str], bytes]


def _observation_records(
    day: date, digests: Digests, chunk: int = OBSERVATION_RECORD_CHUNK
) -> Iterator[dict[str, Any] | _Encoded]:
    """The day's ``observations`` records (:func:`ledger_day`), one at a time
    (encoded already where the keys allow: :func:`_encoded_observation_records`)."""
    if not isinstance(digests, dict):
        encoded = _encoded_observation_records(day, digests, chunk)
        if encoded is not None:
            yield from encoded
            return
    hexes: Callable[[int, int], list[str]]
    if isinstance(digests, dict):
        keys = sorted(digests)
        # looked up once, in C (a day's million keys: a comprehension's frames cost ~2x)
        values = list(map(digests.__getitem__, keys))
        day_digest = hashlib.sha256("".join(values).encode()).hexdigest()

        def hexes(a: int, b: int) -> list[str]:
            return values[a:b]

    else:
        # sorted by their places: no dict of a day's million keys made for it;
        # the digests stay bytes, written as hex a record's at a time
        given, raw = digests
        order = sorted(range(len(given)), key=given.__getitem__)
        keys = list(map(given.__getitem__, order))
        rows = np.frombuffer(raw, dtype=np.uint8).reshape(-1, DIGEST_BYTES)
        rows = rows[np.fromiter(order, dtype=np.intp, count=len(order))]
        del order, raw, digests
        # the hash of the hex texts joined, fed a slice of them at a time
        whole = hashlib.sha256()
        for a in range(0, len(rows), chunk):
            whole.update(rows[a : a + chunk].tobytes().hex().encode())
        day_digest = whole.hexdigest()

        def hexes(a: int, b: int) -> list[str]:
            text = rows[a:b].tobytes().hex()
            step = 2 * DIGEST_BYTES
            return [text[i : i + step] for i in range(0, len(text), step)]

    parts = max(1, -(-len(keys) // chunk))
    for k in range(parts):
        a, b = k * chunk, (k + 1) * chunk
        digested = dict(zip(keys[a:b], hexes(a, b), strict=True))
        yield _observations_record(day, day_digest, len(keys), k + 1, parts, digested)


def _observations_record(
    day: date, day_digest: str, count: int, part: int, parts: int, digests: Any
) -> dict[str, Any]:
    """A day's ``observations`` record ``part`` of ``parts`` (:func:`ledger_day`)."""
    return {
        "type": "observations",
        "id": f"obs-{day.isoformat()}-{day_digest[:16]}-{part}of{parts}",
        "day": day.isoformat(),
        "count": count,
        "day_digest": day_digest,
        "part": part,
        "parts": parts,
        "digests": digests,
    }


#: where the digests' object goes in an ``observations`` record's canonical JSON
_DIGESTS_AT = b'"digests":{}'


def _encoded_observation_records(
    day: date, digests: tuple[list[str], bytes], chunk: int = OBSERVATION_RECORD_CHUNK
) -> Iterator[_Encoded] | None:
    """:func:`_observation_records` of an ingest's ``(keys, digests)`` with each
    record's digests written as JSON by arrays (:func:`digest_object`) into the
    canonical JSON of the record without them: the same bytes, without a day's
    million key and hex strings in dicts. None unless every key is plain
    (:func:`plain_keys`) and holds one ``/``: an ingest's keys are distinct
    ``(source, id)`` pairs, so then the keys are distinct, as a dict's are."""
    given, raw = digests
    n = len(given)
    joined = "".join(given)
    if not joined.isascii():
        return None
    text = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
    del joined
    if int(np.count_nonzero(text == ord("/"))) != n or not plain_keys(text):
        return None
    # their places in sorted order, by the strings' own comparison (as ``sorted``):
    # an array of a million references, where a list of places sorted by a key
    # held three times as much at once (~55 MB of a day of stress)
    order = np.argsort(np.array(given, dtype=object), kind="stable")
    sizes = np.fromiter(map(len, given), dtype=np.intp, count=n)
    starts = np.cumsum(sizes) - sizes
    # the digests stay where the ingest wrote them; each chunk is gathered in key
    # order when it is written (no second copy of a day's digests)
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(-1, DIGEST_BYTES)
    whole = hashlib.sha256()
    for a in range(0, n, chunk):
        whole.update(rows[order[a : a + chunk]].tobytes().hex().encode())
    day_digest = whole.hexdigest()
    return _encoded_records(day, day_digest, text, starts, sizes, rows, order, chunk)


def _encoded_records(
    day: date,
    day_digest: str,
    text: npt.NDArray[np.uint8],
    starts: npt.NDArray[np.intp],
    sizes: npt.NDArray[np.intp],
    rows: npt.NDArray[np.uint8],
    order: npt.NDArray[np.intp],
    chunk: int,
) -> Iterator[_Encoded]:
    """The records of :func:`_encoded_observation_records`, one at a time: key
    ``order[i]`` (``text[starts[k] : starts[k] + sizes[k]]``, digest ``rows[k]``)
    is the i-th of the day's keys in sorted order."""
    n = len(order)
    parts = max(1, -(-n // chunk))
    for k in range(parts):
        a, b = k * chunk, min(n, (k + 1) * chunk)
        record = _observations_record(day, day_digest, n, k + 1, parts, {})
        head, found, tail = canonical_json(record).partition(_DIGESTS_AT)
        if not found:  # a change of the record's fields would land here
            raise RuntimeError("an observations record's canonical JSON has no empty digests")
        at = order[a:b]
        body = digest_object(text, starts[at], sizes[at], rows[at])
        yield _Encoded(record["id"], head + b'"digests":' + body + tail, 1 + b - a)


def _digests_by_id(digests: Digests) -> DigestIndex:
    """``source/id`` -> SHA-256 as :class:`DayLog` holds them: by observation id
    (the source dropped), each id's digests in ``digests``' order."""
    if isinstance(digests, dict):
        keys, raw = list(digests), bytes.fromhex("".join(digests.values()))
    else:
        keys, raw = digests
    return DigestIndex([key.partition("/")[2] for key in keys], raw)


#: Reads the day's observation digests are split in when logged ahead (steps).
AHEAD_READS = 8


class DayLog:
    """A day's ledger records (:func:`ledger_day`'s: the same records, appended in
    the same batches) appended as they become known, so that a run signs its day
    while fusion's pool works rather than after it:

    - :attr:`ahead`, steps of work that depend on the stored observations only
      (the digests of those perceived in ``[lo, hi)``, s, and the day's
      ``observations`` records), for a process waiting on the pool;
    - :meth:`violations` as each part's violations are found;
    - :meth:`close` with the day's escalations: the last batch, and a head
      signed at ``end_s``.

    Records already in the log (same id) are not appended twice."""

    def __init__(
        self,
        ledger: Ledger,
        store: Store,
        day: date,
        lo: float,
        hi: float,
        held: tuple[StoredDigests, float] | None = None,
    ) -> None:
        """``held``: the digests an ingest gave (:class:`StoredDigests`), read
        in place of the store's when they are all of ``[lo, hi)``'s, and the
        time (s) before which the next day needs none of them."""
        self.ledger = ledger
        self._batches = _LedgerBatches(ledger)
        # observation id -> the digests (32 bytes) of its observations: held
        # from the pool's first pass to the day's signing, in a few arrays
        self._index = DigestIndex([], b"")
        self.ahead: Iterator[None] = self._ahead(store, day, lo, hi, held)

    def _ahead(
        self,
        store: Store,
        day: date,
        lo: float,
        hi: float,
        held: tuple[StoredDigests, float] | None,
    ) -> Iterator[None]:
        # taken here, in fusion's pool waits (not before the pool forks: its
        # workers would share the dict's pages); the ingest's digests are the
        # stored ones when the store holds no other record of the span: as many
        taken = held[0].take_raw(lo, hi, held[1]) if held is not None else None
        del held
        digests: Digests
        if taken is not None and len(taken[0]) == store.count_observations(lo, hi):
            digests = taken
            del taken
            yield None
        else:
            del taken
            digests = {}
            edges = [lo + (hi - lo) * i / AHEAD_READS for i in range(AHEAD_READS)] + [hi]
            for a, b in itertools.pairwise(edges):
                digests.update(store.observation_digests(a, b))
                yield None
        yield from self._batches.feed(_observation_records(day, digests))
        self._index = _digests_by_id(digests)
        del digests
        yield None

    def violations(
        self, found: Sequence[Violation], records: Sequence[ViolationRecord] | None = None
    ) -> None:
        """Log a part's violations (:func:`violation_records`), after what is
        ahead; ``records``: theirs, encoded already (:class:`ViolationRecord`)."""
        todo = self._encoded(records) if records is not None else self._violation_records(found)
        for _ in itertools.chain(self.ahead, self._batches.feed(todo)):
            pass

    def _violation_records(self, violations: Sequence[Violation]) -> Iterator[dict[str, Any]]:
        for v in violations:
            found = self._index.digests_of(v.observation_ids)
            yield _violation_record(v, {d.hex() for got in found for d in got})

    def _encoded(self, records: Sequence[ViolationRecord]) -> Iterator[_Encoded]:
        # ~90 k records of ~10 ids a stress day: a part's ids looked up, and
        # their digests sorted and written, at once (``ViolationRecord.payload``'s)
        asked, rows = self._index.rows_of([oid for r in records for oid in r.observation_ids])
        sizes = np.fromiter(map(len, (r.observation_ids for r in records)), np.intp, len(records))
        owner = np.repeat(np.arange(len(records), dtype=np.intp), sizes)[asked]
        quoted, counts = quoted_sets(owner, self._index.digests[rows], len(records))
        for r, q, c in zip(records, quoted, counts.tolist(), strict=True):
            yield _Encoded(r.id, r.head + q + r.tail, 1 + c)

    def close(self, escalations: Sequence[Escalation], end_s: float) -> dict[str, Any]:
        """Log the escalations and what is left, sign a head at ``end_s``."""
        records = ({"type": "escalation", **to_dict(x)} for x in escalations)
        for _ in itertools.chain(self.ahead, self._batches.feed(records)):
            pass
        self._batches.flush()
        self._index = DigestIndex([], b"")
        return self.ledger.sign_head(end_s).to_dict()


@dataclass(frozen=True)
class _Encoded:
    """A record encoded already: its id, canonical JSON and batch weight."""

    id: str
    payload: bytes
    weight: int


class _LedgerBatches:
    """Records not in the log yet, appended in order, a batch of about
    ``LEDGER_BATCH_DIGESTS`` observation digests at a time (a record weighs its
    digests, and one): the same leaves as one append, without a day's records
    and their text in memory at once. Records are encoded as they are taken."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self._fresh: list[tuple[str, bytes]] = []
        self._weight = 0

    def feed(self, records: Iterable[dict[str, Any] | _Encoded]) -> Iterator[None]:
        """Take ``records`` into the open batch; append it (a step) whenever it is full."""
        todo = iter(records)
        while group := _feed_group(todo):
            # the log is asked once for a group's ids (one lock, one index
            # look-up); an id this group's own appends put there counts as logged
            logged = self.ledger.contains_many([_record_id(r) for r, _ in group])
            appended: set[str] = set()
            for (r, weight), known in zip(group, logged, strict=True):
                if isinstance(r, _Encoded):
                    rid = r.id
                else:
                    rid = check_record(r, f"record {len(self._fresh)} of the batch")
                if known or rid in appended:
                    continue
                self._fresh.append(
                    (rid, r.payload if isinstance(r, _Encoded) else canonical_json(r))
                )
                self._weight += weight
                if self._weight >= LEDGER_BATCH_DIGESTS:
                    appended.update(i for i, _ in self._fresh)
                    self.flush()
                    yield None

    def flush(self) -> None:
        """Append the open batch, if it holds anything."""
        if self._fresh:
            self.ledger.append_encoded(self._fresh)
            self._fresh, self._weight = [], 0


#: Records whose ids the log is asked for at once (:class:`_LedgerBatches`).
FEED_GROUP = 512


def _record_weight(r: dict[str, Any]) -> int:
    return 1 + len(r.get("digests", ())) + len(r.get("observation_digests", ()))


def _record_id(r: dict[str, Any] | _Encoded) -> str:
    """The record's id as the log is asked for it (a malformed record's is
    checked, and refused, where it is taken)."""
    if isinstance(r, _Encoded):
        return r.id
    rid = r.get("id") if isinstance(r, dict) else None
    return rid if isinstance(rid, str) else ""


def _feed_group(
    todo: Iterator[dict[str, Any] | _Encoded],
) -> list[tuple[dict[str, Any] | _Encoded, int]]:
    """The next records of ``todo`` with their weights (digests a batch holds):
    ``FEED_GROUP`` of them, or fewer that weigh a batch (a day's observation
    records are large: one at a time)."""
    group: list[tuple[dict[str, Any] | _Encoded, int]] = []
    total = 0
    for r in todo:
        weight = (
            r.weight if isinstance(r, _Encoded) else _record_weight(r) if isinstance(r, dict) else 1
        )
        group.append((r, weight))
        total += weight
        if len(group) >= FEED_GROUP or total >= LEDGER_BATCH_DIGESTS:
            break
    return group


def _append_new(ledger: Ledger, records: Iterable[dict[str, Any] | _Encoded]) -> None:
    """Append the ``records`` not in the log yet (:class:`_LedgerBatches`)."""
    batches = _LedgerBatches(ledger)
    for _ in batches.feed(records):
        pass
    batches.flush()


def intervene_day(
    ledger: Ledger, requests: Sequence[dict[str, Any]], end_s: float
) -> list[dict[str, Any]]:
    """Append the day's intervention requests (``assess.intervention_requests``),
    each with the inclusion proofs of its escalation and of up to
    ``PROOFS_PER_REQUEST`` of its violations under the head ``ledger_day`` signed,
    and sign a head again. Requests already in the ledger are not appended twice."""
    head = ledger.latest_head()
    fresh = []
    for r in requests:
        if ledger.contains(str(r["id"])):
            continue
        logged = [i for i in r.get("violations", []) if ledger.contains(i)]
        ids = [str(r["escalation"]), *logged[-PROOFS_PER_REQUEST:]]
        proofs = [ledger.prove(i, head) for i in ids if ledger.contains(i)]
        fresh.append({**r, "proofs": proofs})
    if fresh:
        ledger.append(fresh)
        ledger.sign_head(end_s)
    return fresh


def interventions(ledger: Ledger) -> list[dict[str, Any]]:
    """The ledger's intervention records (requests, acknowledgements, outcomes),
    in ledger order (through its typed index: the cost grows with them, not with
    the ledger)."""
    return ledger.intervention_records()


def intervention_request(ledger: Ledger, request_id: str) -> dict[str, Any]:
    """The request ``request_id`` as recorded (a LedgerError when there is none)."""
    if not ledger.contains(request_id):
        raise LedgerError(f"no record {request_id!r} in the ledger; see `ceasefire intervene list`")
    rec: dict[str, Any] = ledger.record(ledger.index_of(request_id))
    if rec.get("type") != REQUEST:
        raise LedgerError(f"record {request_id!r} is a {rec.get('type')!r}, not a {REQUEST}")
    return rec


def answer_intervention(ledger: Ledger, answer: dict[str, Any], now_s: float) -> SignedTreeHead:
    """Append a force's ``answer`` (``ack_record`` / ``outcome_record``) to its
    request and sign a head at ``now_s``. A request has one outcome: a second is
    refused (the ledger is append-only)."""
    rid = str(answer["request"])
    intervention_request(ledger, rid)
    if answer["type"] == OUTCOME:
        state = next(r for r in intervention_status(interventions(ledger), now_s) if r["id"] == rid)
        if state["outcome"] is not None:
            raise LedgerError(
                f"request {rid} already has the outcome {state['outcome']['outcome']!r}; "
                "the ledger is append-only: record a correction as a note in a new request"
            )
    ledger.append([answer])
    return ledger.sign_head(now_s)


#: Time slices :class:`MapsAhead`'s process reads a day's events and violations in.
MAP_READS = 8


def _draw_maps(
    url: str, mandate: Mandate, day: date, out_dir: Path, layers: MapLayers | None = None
) -> None:
    """:class:`MapsAhead`'s process: the day's maps from ``layers`` (the parts'
    layers, :func:`day_layers`) or from its own reads of the store."""
    store = Store.open(url)
    start, end = day_bounds(mandate, day)
    observers, _ = store.observers(start, end)
    if layers is None:
        layers = store_layers(store, mandate, day)
    store.close()
    render_maps(mandate, layers, observers, out_dir)


def store_layers(store: Store, mandate: Mandate, day: date) -> MapLayers:
    """The day's map layers from the store's events and violations of its period."""
    start, end = day_bounds(mandate, day)
    # a slice of the day's objects at a time, each let go once its layers are
    # built: this process holds arrays, not the day (the report's process does)
    edges = [start + (end - start) * i / MAP_READS for i in range(MAP_READS)] + [end]
    named: set[str] = set()
    parts = []
    for a, b in itertools.pairwise(edges):
        found = store.violations(a, b)
        named |= named_events(found)
        parts.append(map_layers(mandate, [], found))
    del found
    for a, b in itertools.pairwise(edges):
        parts.append(map_layers(mandate, store.events(a, b), [], named=named))
    return MapLayers.concat(parts)


class MapsAhead:
    """A day's report maps drawn by another process (the same files as
    :func:`report_day` draws), started once the day is stored, while this
    process finishes the day (escalations, signing) and reads the report's
    numbers. :meth:`result` gives them to :func:`report_day`.

    Given the day's ``layers`` (the parts', :func:`day_layers`), a fresh
    interpreter draws them (``ceasefire.report.maps_process``), fed its input
    by a thread of this one: a process forked from this one would count this
    process's whole heap (~1 GB on a stress day) in its resident set again.
    It draws the published map at once and the internal one once
    :meth:`observers` gives the day's observers. Without ``layers``, a forked
    process reads the day's events, violations and observers from the store
    a time slice at a time, as arrays."""

    def __init__(
        self,
        url: str,
        mandate: Mandate,
        day: date,
        out_dir: Path,
        layers: MapLayers | None = None,
        child: subprocess.Popen[bytes] | None = None,
    ) -> None:
        """``child``: a fresh maps interpreter started ahead (:func:`maps_child.spawn`),
        fed here when ``layers`` are given, else ended."""
        self.out_dir = out_dir
        self._proc: multiprocessing.process.BaseProcess | None = None
        self._fed: subprocess.Popen[bytes] | None = None
        if layers is None:
            maps_child.dismiss(child)
            ctx = multiprocessing.get_context("fork")
            # a daemon: stopped with this process if the run fails before the report
            self._proc = ctx.Process(
                target=_draw_maps, args=(url, mandate, day, out_dir, layers), daemon=True
            )
            with frozen_heap():
                self._proc.start()
            return
        self._fed = child if child is not None else maps_child.spawn()
        self._observers: queue.SimpleQueue[list[tuple[str, float, float]] | None]
        self._observers = queue.SimpleQueue()
        # the pipe takes 64 KB before its reader, still importing, reads: the
        # writes wait in a thread, not in this one
        self._writer = threading.Thread(
            target=self._feed, args=((mandate, layers, out_dir),), name="maps-feed", daemon=True
        )
        self._writer.start()

    def _feed(self, first: tuple[Mandate, MapLayers, Path]) -> None:
        assert self._fed is not None and self._fed.stdin is not None
        pipe = self._fed.stdin
        try:
            pickle.dump(first, pipe, protocol=pickle.HIGHEST_PROTOCOL)
            del first
            pipe.flush()
            observers = self._observers.get()
            if observers is not None:
                pickle.dump(observers, pipe, protocol=pickle.HIGHEST_PROTOCOL)
        except OSError:  # the process ended early: its exit code tells :meth:`result`
            pass
        finally:
            with contextlib.suppress(OSError):
                pipe.close()

    def observers(self, observers: Sequence[tuple[str, float, float]] | None) -> None:
        """The day's observers (:meth:`Store.observers`) for the internal map, to
        the process drawing from layers (a forked one reads its own); None when
        they could not be read: the process then stops (the report draws them)."""
        if self._fed is not None:
            self._observers.put(None if observers is None else list(observers))

    @classmethod
    def start(
        cls,
        store: Store,
        mandate: Mandate,
        day: date,
        out_dir: Path,
        items: int,
        layers: MapLayers | None = None,
        child: subprocess.Popen[bytes] | None = None,
    ) -> MapsAhead | None:
        """Start drawing the maps of ``day`` (``items``: its events and
        violations; ``layers``: the day's map layers made as its parts were
        judged, else read from the store), or None where the report draws them
        itself as fast: a small day, one core, no fork, or a store a process
        cannot reopen. ``child``: a maps interpreter started ahead, to draw
        them from ``layers``; ended when it does not."""
        url = _reopen_url(store)
        if (
            items < PARALLEL_MIN_ITEMS
            or (os.cpu_count() or 1) < 2
            or "fork" not in multiprocessing.get_all_start_methods()
            or url is None
        ):
            maps_child.dismiss(child)
            return None
        return cls(url, mandate, day, out_dir, layers, child)

    def result(self) -> dict[str, Path] | None:
        """The maps by kind (``map``, ``internal_map``) once drawn; None if the
        process failed, or was never given the observers it draws from layers
        (the report then draws them, and meets any error itself)."""
        code: int | None
        if self._fed is not None:
            self._observers.put(None)  # ends its input if :meth:`observers` never came
            self._writer.join()
            code = self._fed.wait()
        else:
            assert self._proc is not None
            self._proc.join()
            code = self._proc.exitcode
        if code != 0:
            return None
        return {"map": self.out_dir / "map.png", "internal_map": self.out_dir / "map-internal.png"}


class ReportReads:
    """The report's reads of a day that are SQLite's work (its observers and
    observation count, its events' counts: :func:`report_day`'s), made by a
    thread while this process finishes the day: SQLite runs without the
    interpreter's lock. Start it once the day's observations and events are
    stored (they are not written again before the report)."""

    def __init__(
        self, store: Store, start_s: float, end_s: float, maps: MapsAhead | None = None
    ) -> None:
        """``maps``: the day's maps drawn ahead, given the observers read here."""
        self.period = (start_s, end_s)
        self._got: list[Any] = []
        self._thread = threading.Thread(
            target=self._read, args=(store, maps), name="report-reads", daemon=True
        )
        self._thread.start()

    def _read(self, store: Store, maps: MapsAhead | None) -> None:
        try:
            observers = store.observers(*self.period)
            if maps is not None:
                maps.observers(observers[0])
            self._got = [observers, store.event_counts(*self.period)]
        except BaseException as exc:  # raised where the report takes them
            self._got = [exc]
            if maps is not None:  # its process waits for them no longer
                maps.observers(None)

    def result(
        self,
    ) -> tuple[tuple[list[tuple[str, float, float]], int], dict[str, int]]:
        """``(Store.observers, Store.event_counts)`` of the period (its error raised)."""
        self._thread.join()
        if len(self._got) == 1:
            raise self._got[0]
        observers, counts = self._got
        return observers, counts


def report_day(
    store: Store,
    mandate: Mandate,
    day: date,
    out_dir: Path,
    *,
    head: dict[str, Any] | None = None,
    pdf: bool = True,
    patrol: dict[str, Any] | None = None,
    maps: MapsAhead | None = None,
    held: Mapping[date, list[Violation]] | None = None,
    reads: ReportReads | None = None,
) -> dict[str, Path]:
    """Render the day's report from the store into ``out_dir`` (``patrol``: the
    day's patrol coverage figures, for their section; ``maps``: its maps being
    drawn ahead; ``held``: violations by day the caller holds, each day's the
    same as the store's of its period in the store's order, not read again;
    ``reads``: the day's reads made ahead, :class:`ReportReads`).
    With ``maps``, the events' counts are the store's (SQL) and the events are
    read only if the maps failed (to draw them here)."""
    start, end = day_bounds(mandate, day)
    history: dict[date, int] = {}
    trend_start, _ = day_bounds(mandate, day - timedelta(days=TREND_DAYS))
    for t in store.violation_times(trend_start, start):
        d = day_of(mandate, t)
        history[d] = history.get(d, 0) + 1
    prev_day = day - timedelta(days=1)
    prev_start, _ = day_bounds(mandate, prev_day)
    monitored = set(stored_days(store, mandate))
    ahead_counts: dict[str, int] | None = None
    if reads is not None and reads.period == (start, end):
        (observers, n_obs), ahead_counts = reads.result()
    else:
        observers, n_obs = store.observers(start, end)
    held = held or {}
    previous: list[Violation] | None = None
    # a day before the store's first is unknown, not a day without violations
    if prev_day in monitored:
        previous = held.get(prev_day)
        if previous is None:
            previous = store.violations(prev_start, start)
    violations = held.get(day)
    if violations is None:
        violations = store.violations(start, end)
    escalations = store.escalations(start, end)
    # counted by the store where the events need not be read (maps drawn ahead)
    counts = None
    if maps is not None:
        counts = ahead_counts if ahead_counts is not None else store.event_counts(start, end)
    ctx = ReportContext(
        mandate=mandate,
        day=day,
        events=store.events(start, end) if maps is None else [],
        violations=violations,
        escalations=escalations,
        observers=observers,
        history=history,
        previous=previous,
        ledger_head=head,
        counts=store.counts(),
        observations=n_obs,
        patrol=patrol,
        event_counts=counts,
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    if maps is None:
        return render_report(ctx, out_dir, pdf=pdf)
    ahead = maps

    def drawn() -> dict[str, Path]:
        # the report's reads and its pages go on while the maps are drawn; if
        # their process failed, they are drawn here from the events read now
        got = ahead.result()
        if got is not None:
            return got
        layers = map_layers(mandate, store.events(start, end), ctx.violations)
        return render_maps(mandate, layers, observers, out_dir)

    return render_report(ctx, out_dir, pdf=pdf, maps=drawn)


def held_violations(mandate: Mandate, days: Sequence[DayResult]) -> dict[date, list[Violation]]:
    """The violations ``days`` hold, by day, in the store's order (time, then
    id by code point: SQLite's; a PostgreSQL collation may order ties in time
    otherwise, which moves nothing but the drawing order of a map drawn here),
    for :func:`report_day` not to read them again; none where a day's
    violation lies outside its day's period (the store's period then holds
    another set: a later day's stored after it, or it is not in its day's)."""
    held: dict[date, list[Violation]] = {}
    for d in days:
        start, end = day_bounds(mandate, d.day)
        if not all(start <= v.time_s < end for v in d.violations):
            return {}
        held[d.day] = sorted(d.violations, key=lambda v: (v.time_s, v.id))
    return held


@dataclass
class RunSummary:
    """The one-shot run: ingest counts, per-day results, output paths."""

    counts: dict[str, int]
    days: list[DayResult]
    outputs: dict[str, Path]
    #: the store as it may be shown (a URL's password hidden)
    store: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "store": self.store,
            "counts": self.counts,
            "days": [
                {
                    "day": d.day.isoformat(),
                    "observations": d.observations,
                    "events": d.n_events,
                    "violations": len(d.violations),
                    "violations_by_rule": _count_by(d.violations, "rule"),
                    "violations_by_party": _count_by(d.violations, "party"),
                    "escalations": len(d.escalations),
                    "notices": len(d.notices),
                    "ledger_head": d.head,
                }
                for d in self.days
            ],
            "outputs": {k: str(v) for k, v in sorted(self.outputs.items())},
        }


def _count_by(violations: Sequence[Violation], attr: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in violations:
        key = str(getattr(v, attr))
        out[key] = out.get(key, 0) + 1
    return dict(sorted(out.items()))


def run(
    mandate_path: str | Path,
    files: Sequence[str | Path],
    out_dir: str | Path,
    *,
    store_url: str | None = None,
    pdf: bool = True,
    progress: Progress = _noop,
    only_days: Sequence[date] | None = None,
    fuse_days: DayFuser | None = None,
    maps_early: subprocess.Popen[bytes] | None = None,
) -> RunSummary:
    """The one-shot pipeline into ``out_dir``: ``store.db`` (unless ``store_url``),
    ``quarantine.ndjson``, ``events.geojson``, ``violations.geojson``,
    ``escalations.json``, ``notices.json``, ``ledger/``, ``report.html`` (+ PDF,
    map) of the last day (``reports/DAY/`` for each day) and ``summary.json``.

    ``only_days``: only the stored days among these. ``fuse_days`` fuses the days
    (default :func:`serial_fuse_days`; ``days.dask_fuse_days`` spreads them
    over a Dask cluster); everything after fusion runs here, in day order.
    ``maps_early``: a maps interpreter started ahead (:func:`maps_child.spawn_for`),
    which draws the last day's maps where they are drawn aside; ended otherwise."""
    early = [maps_early]
    try:
        return _run(
            mandate_path,
            files,
            out_dir,
            store_url=store_url,
            pdf=pdf,
            progress=progress,
            only_days=only_days,
            fuse_days=fuse_days,
            early=early,
        )
    finally:
        maps_child.dismiss(early[0])


def _run(
    mandate_path: str | Path,
    files: Sequence[str | Path],
    out_dir: str | Path,
    *,
    store_url: str | None,
    pdf: bool,
    progress: Progress,
    only_days: Sequence[date] | None,
    fuse_days: DayFuser | None,
    early: list[subprocess.Popen[bytes] | None],
) -> RunSummary:
    """:func:`run`'s work; ``early[0]``, the maps interpreter started ahead, is
    set to None once :class:`MapsAhead` has taken it."""
    mandate_path, out_dir = Path(mandate_path), Path(out_dir)
    paths = [Path(f) for f in files]
    out_dir.mkdir(parents=True, exist_ok=True)
    target = store_url or (out_dir / "store.db")
    if store_url is None and (out_dir / "store.db").exists():
        raise PipelineError(
            f"{out_dir / 'store.db'} exists: `run` starts a new store; use another --out, "
            "or the stepwise verbs (ingest, fuse, assess, report) on the existing store"
        )
    tell = _counted(progress)
    tell("checking the mandate", None, None)
    store = init_store(target, mandate_path)
    mandate = mandate_of(store)
    loading: list[compiled.LoadAhead] = []
    # the ledger's digests of the records, hashed by the ingest's workers
    hashed = StoredDigests()
    # the day's reads need the time index only: the others are made beside them;
    # while the batch ends, a thread loads fusion's compiled loops from numba's
    # disk cache, which the fusion pool's workers then inherit
    result = ingest_into(
        store,
        paths,
        out_dir / "quarantine.ndjson",
        mandate=mandate,
        progress=tell,
        indexes_aside=True,
        ahead=lambda: loading.append(compiled.LoadAhead()),
        digests=hashed,
    )
    for load in loading:  # before anything forks or fuses here
        load.join()
    # out of memory until the day's log takes them, in fusion's pool waits
    hashed.spill()
    ledger = Ledger.open(out_dir / "ledger")
    days: list[DayResult] = []
    all_escalations: list[Escalation] = []
    all_notices: list[dict[str, Any]] = []
    all_days = stored_days(store, mandate)
    ahead: MapsAhead | None = None
    if only_days is not None:
        wanted = set(only_days)
        all_days = [d for d in all_days if d in wanted]
        if not all_days:
            raise PipelineError(
                f"no observations on the days asked for ({min(wanted)}..{max(wanted)}); "
                "the files hold other days"
            )
    outputs: dict[str, Path] = {
        "quarantine": out_dir / "quarantine.ndjson",
        "ledger": out_dir / "ledger",
        "events": out_dir / "events.geojson",
        "violations": out_dir / "violations.geojson",
    }
    # the day's parts, records and notices are kept to its end: frozen as they
    # come, so that the collector's full collections do not walk them again
    with frozen_as_kept() as keep:
        # the ingest's survivors (the mandate, the modules: ~240 k objects), after
        # one full collection (the ingest's cycles are not kept frozen)
        survivors_frozen()
        with (
            GeoJSONWriter(outputs["events"]) as events_out,
            GeoJSONWriter(outputs["violations"]) as violations_out,
        ):

            def day_log(day: date) -> DayLog:
                start, end = day_bounds(mandate, day)
                # the next day's records start at this day's end
                hi = end + LATE_MARGIN_S
                return DayLog(ledger, store, day, start, hi, (hashed, end))

            reads: ReportReads | None = None
            for k, (day, n_obs, parts, log) in enumerate(
                _parts_of_days(store, mandate, all_days, tell, fuse_days, day_log)
            ):
                start, end = day_bounds(mandate, day)
                store.replace_violations(start, end, [], day=day.isoformat())
                violations: list[Violation] = []
                sightings: list[Event] = []
                n_events = 0
                # the parts' map layers, for the last day's maps drawn ahead
                layers: list[tuple[MapLayers, MapLayers] | None] = []
                found_by_part: list[list[Violation]] = []
                for part in parts:
                    found = part.violations
                    layers.append(part.layers)
                    found_by_part.append(found)
                    store.add_violation_rows(part.violation_rows)
                    events_out.write_texts(part.event_features)
                    violations_out.write_texts(part.violation_features)
                    violations += found
                    log.violations(found, part.violation_records)
                    # escalations read sighting events only (a crossing, or an
                    # intervention's evidence that is not a violation): keep those
                    sightings += part.sightings
                    n_events += part.n_events
                    del part
                    keep()
                if k == len(all_days) - 1:
                    # the report follows the last day: its maps can be drawn now
                    ahead = MapsAhead.start(
                        store,
                        mandate,
                        day,
                        out_dir / "reports" / day.isoformat(),
                        n_events + len(violations),
                        day_layers(mandate, day, layers, found_by_part),
                        child=early[0],
                    )
                    # fed, or ended, by :class:`MapsAhead` from now on
                    early[0] = None
                    # the day is stored: the report's reads go on beside the
                    # day's end (escalations, notices, signing)
                    reads = ReportReads(store, start, end, maps=ahead)
                del layers, found_by_part
                tell(f"{day}: assessing {n_events:,} events (day)", k, len(all_days))
                escalations = escalations_of(store, mandate, day, violations, sightings)
                store.replace_escalations(start, end, escalations, day=day.isoformat())
                notes = notices(violations, escalations, mandate, events=sightings)
                tell(f"{day}: signing {len(violations):,} violations (day)", k, len(all_days))
                head = log.close(escalations, end)
                requests = intervention_requests(escalations, violations, mandate, events=sightings)
                if intervene_day(ledger, requests, end):
                    latest = ledger.latest_head()
                    assert latest is not None
                    head = latest.to_dict()
                days.append(DayResult(day, n_obs, n_events, violations, escalations, notes, head))
                all_escalations += escalations
                all_notices += notes
                keep()
        outputs["escalations"] = write_json(
            out_dir / "escalations.json", [to_dict(x) for x in all_escalations]
        )
        outputs["notices"] = write_json(out_dir / "notices.json", all_notices)
        held = held_violations(mandate, days)
        for i, d in enumerate(days):
            tell("reports (day)", i, len(days))
            last = i == len(days) - 1
            d.report = report_day(
                store,
                mandate,
                d.day,
                out_dir / "reports" / d.day.isoformat(),
                head=d.head,
                pdf=pdf and last,
                maps=ahead if last else None,
                held=held,
                reads=reads if last else None,
            )
            if last:
                for kind, name in (
                    ("html", "report.html"),
                    ("pdf", "report.pdf"),
                    ("internal_html", "report-internal.html"),
                ):
                    if kind in d.report:
                        link = out_dir / name
                        link.write_bytes(d.report[kind].read_bytes())
                        outputs[f"report_{kind}"] = link
                if "map" in d.report:
                    outputs["map"] = d.report["map"]
    if store_url is None:
        outputs["store"] = out_dir / "store.db"
    summary = RunSummary(result.counts, days, outputs, public_url(target))
    outputs["summary"] = out_dir / "summary.json"
    write_json(outputs["summary"], summary.to_dict())
    store.close()
    return summary


class GeoJSONWriter:
    """A FeatureCollection written feature by feature: the bytes of
    ``report.geojson.write_geojson`` for the same features, without holding them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh = path.open("w", encoding="utf-8")
        self._fh.write('{"type": "FeatureCollection", "features": [\n')
        self._first = True

    def write(self, features: Iterable[dict[str, Any]]) -> None:
        self.write_texts(feature_text(f) for f in features)

    def write_texts(self, texts: Iterable[str]) -> None:
        """Write features given as their text (:func:`feature_text`)."""
        joined = ",\n".join(texts)  # one write a part, not two a feature
        if joined:
            self._fh.write(joined if self._first else ",\n" + joined)
            self._first = False

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.write("\n]}\n")
            self._fh.close()

    def __enter__(self) -> GeoJSONWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
