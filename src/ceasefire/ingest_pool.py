"""An ingest batch of NDJSON files validated by a pool of processes.

Reading and validating a record costs ~13 CPU-µs; storing it a few. So the
files are cut into byte ranges of whole lines (``readers.ndjson_ranges``), and
worker processes (forked) each read a range, validate its records and make
the accepted ones into the rows the store inserts (``batch.observation_values``,
sector included). This process alone writes: it takes the ranges back in file
order, gives them their files' line numbers, and cuts the records into the
serial path's chunks (``chunk`` records, across files), so that duplicates
within a chunk, the store's duplicates, the quarantine and its order, and
every message are the serial ingest's (``pipeline.ingest_records``).

A row costs a few µs to pickle and unpickle: much less than its validation,
which is what moves to the workers. A range comes back in columns (the rows,
their lines, the rejected records: :class:`Range`), so that this process cuts
chunks by slicing lists and makes nothing per record but where a key repeats.
A record's text is sent back only when it was rejected: an accepted record's
text is needed only if it turns out to be a duplicate (rare), and this process
then reads it again from its range.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import multiprocessing
import operator
import pickle
import tempfile
from array import array
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import numpy.typing as npt

from ceasefire.ingest import Duplicate, IngestResult, Rejected, write_quarantine
from ceasefire.ingest.readers import (
    iter_ndjson_plain,
    ndjson_ranges,
    plain_record,
    read_ndjson_range,
)
from ceasefire.ingest.validate import from_plain_json, validated
from ceasefire.model.collector import collector_paused
from ceasefire.model.observation import DEFAULT_POLICY, IntakePolicy, SightingObservation
from ceasefire.store import Store
from ceasefire.store.batch import (
    OBSERVATION_COLUMNS,
    BatchWriter,
    ChunkOutcome,
    canonical_body,
    observation_values,
)

#: Bytes of a file one worker task reads (~9,000 lines of the stress day).
RANGE_BYTES = 2 << 20
#: Lines a batch needs for the pool to pay for its start (forking, ~0.1 s).
MIN_LINES = 40_000

#: The sector of each place given by its latitudes and longitudes (degrees):
#: ``pipeline.sectors_of`` over the batch's mandate.
Sectors = Callable[[Sequence[float], Sequence[float]], list[str | None]]
#: A place whose sector is not known yet.
_UNKNOWN: Any = object()
#: Places (and their sectors) a worker remembers at most: a day's fixed observers
#: are a few hundred; drones' sightings are each somewhere new.
_PLACES_KEPT = 100_000
#: Where a row holds its place and its sector.
_LAT, _LON, _SECTOR = (OBSERVATION_COLUMNS.index(c) for c in ("lat", "lon", "sector"))
#: A row's id, and its key (source, id)
_ID, _KEY = operator.itemgetter(1), operator.itemgetter(0, 1)
#: A row's perceived time (s)
_TIME = operator.itemgetter(OBSERVATION_COLUMNS.index("time_s"))
#: Bytes of a SHA-256 digest
DIGEST_BYTES = 32
#: A rejected record as a worker hands it back: ``(line in its range, text, reason)``.
Bad = tuple[int, str, str]
#: Told what the ingest does (``pipeline._counted``'s three arguments).
Tell = Callable[[str, int | None, int | None], None]


def pool_pays(paths: Sequence[Path], lines: int | None, workers: int) -> bool:
    """Whether a batch of ``paths`` (``lines`` in all) is worth the pool: more
    than one worker, NDJSON files only, enough lines, and processes by fork
    (the workers inherit the mandate rather than receive it pickled)."""
    return (
        workers > 1
        and lines is not None
        and lines >= MIN_LINES
        and all(p.suffix.lower() in (".ndjson", ".jsonl") for p in paths)
        and "fork" in multiprocessing.get_all_start_methods()
    )


# ── in a worker ───────────────────────────────────────────────────────────────
_WORKER: dict[str, Any] = {}


def _worker_init(policy: IntakePolicy | None, sectors: Sectors | None) -> None:
    _WORKER["policy"] = policy
    _WORKER["sectors"] = sectors
    _WORKER["places"] = {}  # (lat, lon) -> the sector ``sectors`` gave it


def _ready() -> None:
    return None


@dataclass
class Range:
    """A range's records as a worker hands them back, in columns rather than a
    tuple per record: the accepted ones' rows and lines, and the rejected ones
    (their lines among the rows': the records in order are both merged by line).
    Lines count from the range's start (its first line is 1) until
    :class:`_Chunks` gives them the lines before the range in its file."""

    rows: list[tuple[Any, ...]]
    #: the line of each row
    at: list[int]
    bad: list[Bad]
    #: each row's ``source/id`` and the SHA-256 of its body (``DIGEST_BYTES``
    #: a row, joined): the ledger's digest of the record (:class:`StoredDigests`)
    keys: list[str] = field(default_factory=list)
    digests: bytes = b""

    def __len__(self) -> int:
        return len(self.rows) + len(self.bad)

    def split(self, k: int) -> tuple[Range, Range]:
        """The first ``k`` records (``0 < k < len(self)``) and the rest."""
        r, b = k, 0
        if self.bad:
            last = sorted([*self.at, *(b[0] for b in self.bad)])[k - 1]
            r = bisect.bisect_right(self.at, last)
            b = sum(1 for x in self.bad if x[0] <= last)
        cut = r * DIGEST_BYTES
        return (
            Range(self.rows[:r], self.at[:r], self.bad[:b], self.keys[:r], self.digests[:cut]),
            Range(self.rows[r:], self.at[r:], self.bad[b:], self.keys[r:], self.digests[cut:]),
        )


def _range_items(
    path: str,
    start: int,
    end: int,
    batch: int,
    submitted_by: str | None,
    null: float | None = None,
    hashed: bool = False,
) -> tuple[int, Range]:
    """The records of bytes ``[start, end)`` of ``path`` validated, the accepted
    ones as rows of ``batch`` (``null`` for NULL: ``BatchWriter.null``), with
    their keys and digests when ``hashed`` (:attr:`Range.keys`); and how many
    lines the range holds."""
    with collector_paused():
        name = str(Path(path))  # as the records name their file
        items, lines = iter_ndjson_plain(Path(path), start, end)
        rows: list[tuple[Any, ...]] = []
        at: list[int] = []
        bad: list[Bad] = []
        keys: list[str] = []
        digests: list[bytes] = []
        sha = hashlib.sha256
        policy = _WORKER["policy"]
        context = {"policy": policy or DEFAULT_POLICY}  # as ``validated`` passes it
        sectors, known = _WORKER["sectors"], _WORKER["places"]
        new: list[int] = []  # the rows whose place had no sector known yet
        # each model made into its row and dropped before the next is made: a
        # range's models all alive until its end cost ~4 µs a record more (their
        # memory not reused while hot, then freed cold)
        for line, item in items:
            # a plain line straight from its bytes; its record, and the slow
            # path that says why it fails (or accepts it after all), only then
            obs = from_plain_json(item, context) if isinstance(item, bytes) else None
            if obs is None:
                rec = plain_record(name, line, item) if isinstance(item, bytes) else item
                _, got = next(validated((rec,), policy))
                if isinstance(got, Rejected):
                    bad.append((got.line, got.raw, got.reason))
                    continue
                obs = got
            sector = None
            if sectors is not None:  # most reports come from a few hundred places
                place = obs.position if isinstance(obs, SightingObservation) else obs.observer
                sector = known.get((place.lat, place.lon), _UNKNOWN)
                if sector is _UNKNOWN:
                    new.append(len(rows))
                    sector = None
            body = canonical_body(obs)
            rows.append(observation_values(obs, batch, sector, submitted_by, body, null))
            at.append(line)
            if hashed:
                # the ledger's digest of the stored body, made here where the text
                # is at hand (the parent read and hashed it again: ~2.4 CPU-s a day)
                keys.append(f"{obs.source}/{obs.id}")
                digests.append(sha(body.encode()).digest())
        if new:  # their sectors at once, put in their rows
            if len(known) > _PLACES_KEPT:  # moving observers: places seldom repeat
                known.clear()
            got = sectors([rows[i][_LAT] for i in new], [rows[i][_LON] for i in new])
            for i, s in zip(new, got, strict=True):
                r = rows[i]
                rows[i] = (*r[:_SECTOR], null if s is None else s, *r[_SECTOR + 1 :])
                known[r[_LAT], r[_LON]] = s
    return lines, Range(rows, at, bad, keys, b"".join(digests))


# ── in this process ───────────────────────────────────────────────────────────
def ingest_pooled(
    store: Store,
    files: Sequence[str],
    quarantine_path: Path | None,
    *,
    policy: IntakePolicy | None,
    sectors: Sectors | None,
    submitted_by: str | None,
    workers: int,
    chunk: int,
    tell: Tell,
    total: int | None,
    every: int,
    indexes_aside: bool = False,
    ahead: Callable[[], object] | None = None,
    digests: StoredDigests | None = None,
) -> IngestResult:
    """``pipeline.ingest_records`` of the NDJSON ``files`` (not keeping the
    accepted models), validated by ``workers`` processes; ``tell`` is told the
    records stored every ``every`` or so (of about ``total``); ``indexes_aside``
    as ``Store.batch_writer``'s. ``ahead`` is called once every record is read,
    after the workers are forked, while the batch's end is written (SQLite's
    work, without the GIL: a core is free for a thread it starts). ``digests``
    is given the ledger's digest of every record the batch stores."""
    paths = [Path(f) for f in files]
    ctx = multiprocessing.get_context("fork")
    result = IngestResult()
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=_worker_init, initargs=(policy, sectors)
    ) as pool:
        # forked now, before the batch's transaction is open and the collector paused
        pool.submit(_ready).result()
        with (
            collector_paused(),
            store.batch_writer(
                list(files), submitted_by, rows_hint=total or 0, indexes_aside=indexes_aside
            ) as writer,
        ):
            chunks = _Chunks(writer, result, chunk, digests)
            told = 0
            window = 2 * workers + 2
            for name, offset, span, part in _in_order(
                pool, paths, writer, window, digests is not None
            ):
                chunks.texts.add(name, offset, span)
                chunks.feed(name, offset, part)
                if result.total + chunks.held - told >= every:
                    told = result.total + chunks.held
                    tell("reading observations", told, max(total or 0, told) or None)
            n = result.total + chunks.held
            tell("reading observations", n, n)
            tell("storing observations", None, None)
            if ahead is not None:
                ahead()
            chunks.flush()
    if quarantine_path is not None:
        write_quarantine(quarantine_path, result)
    return result


def _in_order(
    pool: ProcessPoolExecutor,
    paths: Sequence[Path],
    writer: BatchWriter,
    window: int,
    hashed: bool = False,
) -> Iterator[tuple[str, int, tuple[int, int], Range]]:
    """Each range's ``(file, lines before it in its file, its bytes [start, end),
    records)``, in file order, at most ``window`` ranges in flight (``hashed``:
    with the rows' keys and digests)."""
    todo = ((str(p), a, b) for p in paths for a, b in ndjson_ranges(p, RANGE_BYTES))
    queue: deque[tuple[str, int, int, Future[tuple[int, Range]]]] = deque()

    def submit() -> bool:
        nxt = next(todo, None)
        if nxt is not None:
            fut = pool.submit(
                _range_items, *nxt, writer.batch, writer.submitted_by, writer.null, hashed
            )
            queue.append((*nxt, fut))
        return nxt is not None

    while len(queue) < window and submit():
        pass
    offset: dict[str, int] = {}
    while queue:
        name, start, end, fut = queue.popleft()
        lines, items = fut.result()
        submit()
        before = offset.get(name, 0) if start else 0
        offset[name] = before + lines
        yield name, before, (start, end), items


@dataclass
class _Texts:
    """Accepted records' texts read again from their files' ranges (the workers
    send none back): where each range starts, in lines and bytes, per file."""

    #: per file: (lines before the range, start byte, end byte), in file order
    ranges: dict[str, list[tuple[int, int, int]]] = field(default_factory=dict)
    #: the range last read again: (file, lines before it) and its texts by line
    _last: tuple[tuple[str, int], dict[int, str]] | None = None

    def add(self, name: str, offset: int, span: tuple[int, int]) -> None:
        self.ranges.setdefault(name, []).append((offset, *span))

    def text(self, name: str, line: int) -> str:
        """The text of the record at ``line`` of file ``name`` as its worker read it."""
        ranges = self.ranges[name]
        k = bisect.bisect_left(ranges, (line, -1, -1)) - 1
        before, start, end = ranges[k]
        if self._last is None or self._last[0] != (name, before):
            records, _ = read_ndjson_range(Path(name), start, end, plain=True)
            self._last = ((name, before), {r.line: r.raw for r in records})
        return self._last[1][line - before]


@dataclass
class _Chunks:
    """Records gathered into the serial path's chunks and stored chunk by chunk."""

    writer: BatchWriter
    result: IngestResult
    size: int
    #: given the digests of the records stored (None: not gathered)
    digests: StoredDigests | None = None

    def __post_init__(self) -> None:
        #: ``(file, lines before the range, its records)`` not stored yet, in order
        #: (an accepted record's text is not held: see :attr:`texts`)
        self.pending: list[tuple[str, int, Range]] = []
        #: records in :attr:`pending`
        self.held = 0
        self.texts = _Texts()

    def feed(self, name: str, offset: int, part: Range) -> None:
        self.pending.append((name, offset, part))
        self.held += len(part)
        while self.held >= self.size:
            chunk: list[tuple[str, int, Range]] = []
            need = self.size
            while need:
                name, offset, part = self.pending.pop(0)
                if len(part) > need:
                    part, rest = part.split(need)
                    self.pending.insert(0, (name, offset, rest))
                chunk.append((name, offset, part))
                need -= len(part)
            self.held -= self.size
            self._store(chunk)

    def flush(self) -> None:
        if self.held:
            chunk, self.pending, self.held = self.pending, [], 0
            self._store(chunk)

    def _store(self, chunk: list[tuple[str, int, Range]]) -> None:
        """One chunk as ``validate_records`` (a fresh ``seen``) and then
        ``pipeline._store_chunk`` would have it."""
        got = IngestResult(total=sum(len(part) for _, _, part in chunk))
        # an NDJSON record is one line: its end line is its line
        for name, offset, part in chunk:
            got.rejected += [
                Rejected(name, offset + line, why or "unreadable", raw or "", offset + line)
                for line, raw, why in part.bad
            ]
        rows = [row for _, _, part in chunk for row in part.rows]
        origins: list[tuple[str, int]] | None = None
        kept: list[int] | None = None  # the chunk's rows ``rows`` holds, when not all
        # ids all distinct make the keys distinct: a set of strings costs less
        # than one of (source, id) tuples made for it (~0.07 vs ~0.25 µs a row)
        n, every = len(rows), rows
        if len(set(map(_ID, rows))) < n and len(set(map(_KEY, rows))) < n:
            rows, origins, kept = self._repeats(chunk, got)
        quarantined = quarantine_entries(got)
        outcome = self.writer.add_rows(rows, distinct=True)
        if self.digests is not None:
            stored: list[int] | None = None  # None: every row of the chunk
            if kept is not None or len(outcome.stored) < len(rows):
                stored = outcome.stored if kept is None else [kept[i] for i in outcome.stored]
            self.digests.add(
                [key for _, _, part in chunk for key in part.keys],
                array("d", map(_TIME, every)),
                b"".join(part.digests for _, _, part in chunk),
                stored,
            )
        if outcome.duplicates:  # (name, line) of each row, wanted only now
            if origins is None:
                origins = [(n, offset + line) for n, offset, part in chunk for line in part.at]
            again = {i for i, _, _ in outcome.duplicates}
            quarantined += stored_duplicates(
                outcome,
                [
                    (name, line, r[0], r[1], self.texts.text(name, line) if i in again else "")
                    for i, ((name, line), r) in enumerate(zip(origins, rows, strict=True))
                ],
                got,
            )
        self.writer.quarantine(quarantined)
        self.result.total += got.total
        self.result.rejected += got.rejected
        self.result.duplicates += got.duplicates
        self.result.streamed += len(outcome.stored)

    def _repeats(
        self, chunk: list[tuple[str, int, Range]], got: IngestResult
    ) -> tuple[list[tuple[Any, ...]], list[tuple[str, int]], list[int]]:
        """The chunk's rows but those whose (source, id) came earlier in it,
        which go to ``got`` as duplicates (rare: the fast check found some);
        the (file, line) of each row kept, and its place among the chunk's rows."""
        seen: dict[tuple[str, str], str] = {}
        rows: list[tuple[Any, ...]] = []
        origins: list[tuple[str, int]] = []
        kept: list[int] = []
        k = -1
        for name, offset, part in chunk:
            for at, row in zip(part.at, part.rows, strict=True):
                k += 1
                line = offset + at
                key = (row[0], row[1])
                first = seen.get(key)
                if first is not None:  # the body is the canonical JSON validation compares
                    text = self.texts.text(name, line)
                    got.duplicates.append(Duplicate(name, line, *key, first != row[-1], text, line))
                    continue
                seen[key] = row[-1]
                rows.append(row)
                origins.append((name, line))
                kept.append(k)
        return rows, origins, kept


@dataclass
class StoredDigests:
    """The ledger's digest of each observation an ingest batch stored, gathered
    as its chunks are stored (the workers hash the bodies they make): what
    ``Store.observation_digests`` gives for the rows it reads, without this
    process reading and hashing a day's bodies again (~400 B a record).

    Held in a few large buffers (~60 B a record, not ~190 B as strings and
    a dict): a process forked while they are held (fusion's pool) shares their
    pages, never written, rather than a million objects whose pages this
    process copies as it lets them go. In the order stored: the ``source/id``
    keys (a chunk's joined by a line end, or a list where a key holds one),
    the perceived times (s) and the SHA-256 digests of the stored bodies
    (``DIGEST_BYTES`` each, joined)."""

    texts: list[str | list[str]] = field(default_factory=list)
    times: array[float] = field(default_factory=lambda: array("d"))
    digests: bytearray = field(default_factory=bytearray)
    #: the buffers while :meth:`spill` holds them out of memory
    _spilled: IO[bytes] | None = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        self._back()
        return len(self.times)

    def spill(self) -> None:
        """Write the buffers to an unnamed temporary file and let them go until
        they are used again: a process forked meanwhile (fusion's pool, ~60 MB
        of them a stress day) would hold their pages, which its resident set
        counts again, for its whole life."""
        if self._spilled is not None or not self.times:
            return
        spilled = tempfile.TemporaryFile()  # noqa: SIM115 (kept open until read back)
        pickle.dump((self.texts, self.times, self.digests), spilled, pickle.HIGHEST_PROTOCOL)
        self.texts, self.times, self.digests = [], array("d"), bytearray()
        self._spilled = spilled

    def _back(self) -> None:
        """The buffers :meth:`spill` wrote read back."""
        if self._spilled is None:
            return
        spilled, self._spilled = self._spilled, None
        with spilled:
            spilled.seek(0)
            self.texts, self.times, self.digests = pickle.load(spilled)

    def add(
        self, keys: list[str], times: array[float], digests: bytes, stored: list[int] | None
    ) -> None:
        """Take a chunk's rows (``keys``, ``times``, ``digests`` of each, in
        order) of which those at ``stored`` (ascending) were stored (None: all)."""
        self._back()
        if stored is not None:
            keys = [keys[i] for i in stored]
            times = array("d", [times[i] for i in stored])
            digests = b"".join(digests[i * DIGEST_BYTES : (i + 1) * DIGEST_BYTES] for i in stored)
        if keys:
            text = "\n".join(keys)
            # an id may hold a line end (rare): that chunk's keys stay a list
            self.texts.append(text if text.count("\n") == len(keys) - 1 else list(keys))
        self.times += times
        self.digests += digests

    def keys(self) -> list[str]:
        """Each record's ``source/id``, in order."""
        self._back()
        out: list[str] = []
        for text in self.texts:
            out += text.split("\n") if isinstance(text, str) else text
        return out

    def take(self, lo: float, hi: float, keep_from: float) -> tuple[list[str], list[str]]:
        """The ``source/id`` and SHA-256 (hex) of the records perceived in
        ``[lo, hi)`` (s), in the order stored: what ``Store.observation_digests(lo,
        hi)`` gives of this batch's records; those perceived before ``keep_from``
        (s) are forgotten."""
        keys, raw = self.take_raw(lo, hi, keep_from)
        text = raw.hex()
        step = 2 * DIGEST_BYTES
        return keys, [text[i : i + step] for i in range(0, len(text), step)]

    def take_raw(self, lo: float, hi: float, keep_from: float) -> tuple[list[str], bytes]:
        """:meth:`take`, the digests as bytes (``DIGEST_BYTES`` each, joined):
        a million hex texts take ~110 MB, their bytes 32."""
        self._back()
        t = np.frombuffer(self.times, dtype=np.float64)
        inside = (t >= lo) & (t < hi)
        keep = t >= keep_from
        keys = self.keys()
        every = bool(inside.all())
        raw = bytes(self.digests) if every else _picked(self.digests, inside)
        got = keys if every else list(itertools.compress(keys, inside.tolist()))
        if not keep.all():
            left = StoredDigests()
            if keep.any():
                left.add(
                    list(itertools.compress(keys, keep.tolist())),
                    array("d", t[keep].tobytes()),
                    _picked(self.digests, keep),
                    None,
                )
            self.texts, self.times, self.digests = left.texts, left.times, left.digests
        return got, raw


def _picked(digests: bytes | bytearray, mask: npt.NDArray[np.bool_]) -> bytes:
    """The joined digests of those rows where ``mask`` holds."""
    rows = np.frombuffer(digests, dtype=np.uint8).reshape(-1, DIGEST_BYTES)
    return rows[mask].tobytes()


def quarantine_entries(part: IngestResult) -> list[dict[str, Any]]:
    """The store's quarantine rows of a chunk's rejected records and of the
    duplicates its validation found."""
    return [{"status": "rejected", **r.to_dict()} for r in part.rejected] + [
        {
            "status": "duplicate",
            "file": d.file,
            "line": d.line,
            "reason": "same source and id as an earlier record"
            + (" with different content" if d.conflicting else ""),
            "raw": d.raw,
        }
        for d in part.duplicates
    ]


def stored_duplicates(
    outcome: ChunkOutcome, origins: Sequence[tuple[str, int, str, str, str]], part: IngestResult
) -> list[dict[str, Any]]:
    """The duplicates the store found in a chunk (``origins[i]``: file, line,
    source, id and text of the chunk's ``i``-th row) added to ``part``, and
    their quarantine rows."""
    out = []
    for i, conflicting, earlier in outcome.duplicates:
        name, line, source, oid, raw = origins[i]
        part.duplicates.append(Duplicate(name, line, source, oid, conflicting, raw))
        out.append(
            {
                "status": "duplicate",
                "file": name,
                "line": line,
                "reason": f"same source and id as {'an earlier' if earlier else 'a stored'} record"
                + (" with different content" if conflicting else ""),
                "raw": raw,
            }
        )
    return out
