"""Readers of observation files: NDJSON, GeoJSON FeatureCollection, CSV.

Each reader yields :class:`RawRecord` items, one per input record, carrying the
file, the line (NDJSON, CSV) or feature number (GeoJSON) and either the parsed
mapping or the reason it could not be parsed. No record is dropped here, and
no bytes make a reader raise: every limit of ``limits`` is a reason. Only a
file that is not of its format at all (a GeoJSON that is no FeatureCollection,
a CSV without a usable header) raises :class:`ObservationError`.

Lines end at LF (CR LF too); a bare CR is not a line end, so it can neither
split a record nor shift the line numbers quarantine reports. A UTF-8
byte-order mark at the start of a file is skipped.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ceasefire.ingest.limits import (
    BOM,
    MAX_RECORD_BYTES,
    RAW_EXCERPT,
    parse_json,
    parse_line,
    plain_object,
    printable,
    string_problem,
    utf8_problem,
)
from ceasefire.model.errors import ObservationError

FORMATS = ("ndjson", "geojson", "csv")
#: The longest byte range :func:`read_ndjson_range` reads at once (a longer
#: one, such as a range ending a giant line, is read a line at a time).
WHOLE_RANGE_BYTES = 16 << 20


@dataclass(slots=True)
class RawRecord:
    """One input record: ``data`` when it parsed, else ``error``; ``raw`` is the
    record's text as read (undecodable bytes and control characters escaped,
    kept in quarantine when rejected); ``end_line`` its last line. (Not frozen:
    made once per input record, and a frozen dataclass's ``__init__`` costs
    three times as much; treat it as read-only.)"""

    file: str
    line: int
    raw: str
    data: dict[str, Any] | None
    error: str | None = None
    end_line: int = 0
    #: the line's bytes, not decoded yet (``data`` and ``error`` None): an NDJSON
    #: line read with ``plain=True`` that ``limits.plain_object`` lets through,
    #: for the validator to decode (:func:`parse_record`) or validate as JSON
    json: bytes | None = None


def detect_format(path: Path) -> str:
    """The format of ``path`` from its suffix: ``.ndjson``/``.jsonl``,
    ``.geojson``/``.json`` or ``.csv``."""
    suffix = path.suffix.lower()
    if suffix in (".ndjson", ".jsonl"):
        return "ndjson"
    if suffix in (".geojson", ".json"):
        return "geojson"
    if suffix == ".csv":
        return "csv"
    raise ObservationError(
        f"unknown file type {suffix!r}; expected .ndjson/.jsonl, .geojson/.json or .csv",
        file=str(path),
    )


def read_records(path: Path, fmt: str | None = None, *, plain: bool = False) -> Iterator[RawRecord]:
    """Every record of ``path`` in file order. With ``plain``, NDJSON lines that
    may take the fast path come undecoded (``RawRecord.json``): for
    :func:`~ceasefire.ingest.validate.validate_records`, which validates them
    as JSON in one step."""
    fmt = fmt or detect_format(path)
    if fmt == "ndjson":
        yield from _read_ndjson(path, plain)
    elif fmt == "geojson":
        yield from _read_geojson(path)
    elif fmt == "csv":
        yield from _read_csv(path)
    else:
        raise ObservationError(f"unknown format {fmt!r}; expected one of {FORMATS}", file=str(path))


def _reject(name: str, line: int, raw: str | bytes, reason: str, end: int = 0) -> RawRecord:
    return RawRecord(name, line, printable(raw, RAW_EXCERPT * 64), None, reason, end or line)


# ── NDJSON ────────────────────────────────────────────────────────────────────
def _lines(fh: IO[bytes] | _Slice, bom: bool = True) -> Iterator[tuple[int, bytes, int]]:
    """``(line number, line without its LF or CR LF, length in bytes)``; a line
    longer than ``MAX_RECORD_BYTES`` comes as its first bytes with its length.
    ``bom``: ``fh`` is at the file's start (a byte-order mark there is skipped)."""
    lineno = 0
    while True:
        line = fh.readline(MAX_RECORD_BYTES + 1)
        if not line:
            return
        lineno += 1
        size = len(line)
        if size > MAX_RECORD_BYTES and not line.endswith(b"\n"):
            while True:  # read the rest of the line away, bounded memory
                more = fh.readline(1 << 20)
                size += len(more)
                if not more or more.endswith(b"\n"):
                    break
            yield lineno, line[:RAW_EXCERPT], size
            continue
        if bom and lineno == 1 and line.startswith(BOM):
            line = line[len(BOM) :]
        if line.endswith(b"\n"):
            line = line[:-2] if line.endswith(b"\r\n") else line[:-1]
        yield lineno, line, size


def parse_record(line: bytes) -> dict[str, Any]:
    """The object of one NDJSON line (valid UTF-8, no line end); ``ValueError``
    with the reason a record is rejected for when it is none."""
    try:
        data = parse_line(line)
    except ValueError as exc:
        raise ValueError(_json_reason(exc)) from None
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, found {_json_type(data)}")
    return data


def rejected_raw(text: str) -> str:
    """A rejected record's text as quarantine keeps it (escaped, cut)."""
    return printable(text, RAW_EXCERPT * 64)


def _read_ndjson(path: Path, plain: bool = False) -> Iterator[RawRecord]:
    with path.open("rb") as fh:
        yield from _ndjson_records(_lines(fh), str(path), plain)


def ndjson_ranges(path: Path, size: int) -> Iterator[tuple[int, int]]:
    """``[start, end)`` byte ranges of about ``size`` bytes that cover the NDJSON
    file ``path``, each ending just after a LF (or at the file's end): whole
    lines, for :func:`read_ndjson_range`."""
    end = path.stat().st_size
    with path.open("rb") as fh:
        start = 0
        while start < end:
            stop = min(start + max(size, 1), end)
            fh.seek(stop)
            while stop < end:  # on to the next LF, a block at a time
                block = fh.read(1 << 16)
                nl = block.find(b"\n")
                if nl >= 0:
                    stop += nl + 1
                    break
                stop += len(block)
            yield start, min(stop, end)
            start = stop


def read_ndjson_range(
    path: Path, start: int, end: int, *, plain: bool = False
) -> tuple[list[RawRecord], int]:
    """The records of the whole lines in bytes ``[start, end)`` of the NDJSON
    file ``path`` (:func:`ndjson_ranges`), as :func:`read_records` reads them,
    but with line numbers counted from the range's start (its first line is
    line 1: add the lines before it); and how many lines the range holds."""
    records, lines = iter_ndjson_range(path, start, end, plain=plain)
    return list(records), lines


def iter_ndjson_range(
    path: Path, start: int, end: int, *, plain: bool = False
) -> tuple[Iterator[RawRecord], int]:
    """:func:`read_ndjson_range`'s records one at a time (a usual range's are
    made as they are asked for: a worker drops each before the next), and how
    many lines the range holds."""
    with path.open("rb") as fh:
        fh.seek(start)
        if end - start <= WHOLE_RANGE_BYTES:  # the usual range: split in memory
            data = fh.read(end - start)
            lines = _split_lines(data, bom=start == 0)
            count = data.count(b"\n") + (not data.endswith(b"\n") and data != b"")
            return _ndjson_records(lines, str(path), plain), count
        part = _Slice(fh, end - start)
        records = list(_ndjson_records(_lines(part, start == 0), str(path), plain))
        return iter(records), part.lines


def iter_ndjson_plain(
    path: Path, start: int, end: int
) -> tuple[Iterator[tuple[int, bytes | RawRecord]], int]:
    """:func:`iter_ndjson_range`'s records (``plain=True``) as ``(line, item)``,
    where the item of a plain ASCII line (:func:`~ceasefire.ingest.limits.plain_object`,
    within :data:`MAX_RECORD_BYTES`) is its bytes, not its record: most lines
    are validated straight from their bytes, and their record (its text
    decoded: :func:`plain_record`) is wanted only when that fails. ASCII is
    valid UTF-8, so such a line's record is the bytes' :func:`plain_record`.
    And how many lines the range holds."""
    if end - start > WHOLE_RANGE_BYTES:  # a giant line: read by lines, as records
        records, count = iter_ndjson_range(path, start, end, plain=True)
        return ((rec.line, rec) for rec in records), count
    with path.open("rb") as fh:
        fh.seek(start)
        data = fh.read(end - start)
    count = data.count(b"\n") + (not data.endswith(b"\n") and data != b"")
    return _plain_items(data, start == 0, str(path)), count


def plain_record(name: str, line: int, data: bytes) -> RawRecord:
    """The record :func:`iter_ndjson_range` (``plain=True``) reads from line
    ``line`` of file ``name`` holding ``data``, a plain ASCII line."""
    return RawRecord(name, line, data.decode("ascii"), None, None, line, data)


def _plain_items(data: bytes, bom: bool, name: str) -> Iterator[tuple[int, bytes | RawRecord]]:
    """:func:`iter_ndjson_plain`'s items of a range's bytes ``data`` (``bom``:
    the file's start): :func:`_split_lines` and :func:`_ndjson_records` in one
    loop for the plain lines, the others' records by those two."""
    pieces = data.split(b"\n")
    last = pieces.pop()
    for lineno, piece in enumerate(pieces, 1):
        # a plain line is all _ndjson_records lets by: within the limit with its
        # LF, not blank (it opens with '{'), ASCII (UTF-8, no byte-order mark),
        # no CR (a control character: plain_object refuses it)
        if len(piece) < MAX_RECORD_BYTES and piece.isascii() and plain_object(piece):
            yield lineno, piece
            continue
        for rec in _ndjson_records((_line_of(lineno, piece, bom, True),), name, True):
            yield lineno, rec
    if last:
        lineno = len(pieces) + 1
        for rec in _ndjson_records((_line_of(lineno, last, bom, False),), name, True):
            yield lineno, rec


def _split_lines(data: bytes, bom: bool) -> Iterator[tuple[int, bytes, int]]:
    """:func:`_lines` of a file's bytes ``data`` held in memory (the same
    lines, line numbers, lengths and cut long lines): one ``split``, not a
    ``readline`` per line."""
    pieces = data.split(b"\n")
    last = pieces.pop()  # after the final LF: empty, or a last line without one
    for lineno, piece in enumerate(pieces, 1):
        yield _line_of(lineno, piece, bom, True)
    if last:
        yield _line_of(len(pieces) + 1, last, bom, False)


def _line_of(lineno: int, piece: bytes, bom: bool, ended: bool) -> tuple[int, bytes, int]:
    """:func:`_lines`'s item of line ``lineno`` of a file's bytes split at LF
    (``piece``, ``ended`` by a LF, else the file's last bytes); ``bom``: the
    bytes are the file's start."""
    size = len(piece) + ended
    if size > MAX_RECORD_BYTES + ended:  # readline(MAX + 1) would have cut it
        return lineno, piece[:RAW_EXCERPT], size
    if bom and lineno == 1 and piece.startswith(BOM):
        piece = piece[len(BOM) :]
    return lineno, piece[:-1] if ended and piece.endswith(b"\r") else piece, size


class _Slice:
    """The first ``left`` bytes of a file from where it stands, read by lines
    (what :func:`_lines` calls), counting them."""

    def __init__(self, fh: IO[bytes], left: int) -> None:
        self.fh, self.left, self.lines = fh, left, 0

    def readline(self, size: int) -> bytes:
        line = self.fh.readline(min(size, self.left)) if self.left > 0 else b""
        self.left -= len(line)
        self.lines += line.endswith(b"\n") or (self.left == 0 and line != b"")
        return line


def _ndjson_records(
    lines: Iterable[tuple[int, bytes, int]], name: str, plain: bool
) -> Iterator[RawRecord]:
    """The records of NDJSON ``lines`` (:func:`_lines`) of the file ``name``."""
    for lineno, line, size in lines:
        if size > MAX_RECORD_BYTES:
            yield _reject(
                name,
                lineno,
                printable(line) + "…",
                f"a record of {size:,} bytes; expected at most {MAX_RECORD_BYTES:,}",
            )
            continue
        # blank by JSON's white space only: a line of \x0b or \x0c (which
        # bytes.strip() also takes) is a record to reject, not to skip unseen
        if not line.strip(b" \t\r\n"):
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            yield _reject(name, lineno, line, utf8_problem(line) or "invalid UTF-8")
            continue
        if plain and plain_object(line):
            yield RawRecord(name, lineno, text, None, None, lineno, line)
            continue
        try:
            data = parse_record(line)
        except ValueError as exc:
            yield _reject(name, lineno, text, str(exc))
            continue
        yield RawRecord(name, lineno, text, data, None, lineno)


def _json_reason(exc: ValueError) -> str:
    msg = getattr(exc, "msg", None)
    if msg is not None:  # json.JSONDecodeError
        return f"not JSON: {msg} at column {getattr(exc, 'colno', 0)}"
    return f"not accepted: {exc}"


def _json_type(value: Any) -> str:
    names = {list: "an array", str: "a string", int: "a number", float: "a number"}
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return names.get(type(value), type(value).__name__)


# ── GeoJSON ───────────────────────────────────────────────────────────────────
_WS = re.compile(r"[ \t\n\r]*")
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.S)
_NEXT_OBJECT = re.compile(r"\n[ \t]*\{")
_SCALAR = re.compile(r'[^,\]}\s]*|"(?:[^"\\]|\\.)*"', re.S)


def _skip_value(text: str, pos: int, stop: int) -> int:
    """End of the JSON value starting at ``pos`` found by bracket matching
    (for values the decoder refused); -1 when the brackets do not balance
    before ``stop``."""
    if pos >= len(text):
        return -1
    if text[pos] not in "[{":
        m = _SCALAR.match(text, pos)
        return m.end() if m else -1
    depth = 0
    for m in _TOKEN.finditer(text, pos, stop):
        tok = m.group()
        if tok[0] == '"':
            continue
        depth += 1 if tok in "[{" else -1
        if depth == 0:
            return m.end()
    return -1


class _BadError(Exception):
    """A structural error at an offset of the collection's text."""

    def __init__(self, pos: int, what: str) -> None:
        super().__init__(what)
        self.pos = pos
        self.what = what


class _Collection:
    """A FeatureCollection split by hand, so that one feature the decoder
    refuses (too deep, a huge number, bad text) costs only that feature, and
    damage anywhere after the first feature costs a record, not the file."""

    def __init__(self, text: str, name: str) -> None:
        self.text = text
        self.name = name
        self.members: dict[str, Any] = {}
        #: ``(number, start, end, value or None, reason or None)`` per feature
        self.features: list[tuple[int, int, int, Any, str | None]] = []
        #: the rest of the file after damage that cannot be resynchronised
        #: (a record of its own: ``(number, start, reason)``), or None
        self.tail: tuple[int, int, str] | None = None
        self.stopped = False  # reading stopped inside the features array
        self.indent: str | None = None  # the first feature's indentation

    def _line(self, pos: int) -> int:
        return self.text.count("\n", 0, pos) + 1

    def _ws(self, pos: int) -> int:
        m = _WS.match(self.text, pos)
        return m.end() if m else pos

    def parse(self) -> None:
        text = self.text
        pos = self._ws(0)
        if not text.startswith("{", pos):
            raise ObservationError(
                "expected a GeoJSON FeatureCollection (a JSON object)",
                file=self.name,
                line=self._line(pos),
            )
        try:
            self._members(self._ws(pos + 1), self.members, features=True)
        except _BadError as bad:
            if not self.features:  # nothing read yet: the file is not a collection
                raise ObservationError(bad.what, file=self.name, line=self._line(bad.pos)) from None
            # One bad record never costs the rest of the file: what follows the
            # features read so far is rejected as one record, with the reason.
            n = self.features[-1][0]
            self.tail = (
                n + 1,
                bad.pos,
                f"after feature {n}, at line {self._line(bad.pos)}: {bad.what}",
            )

    def _members(self, pos: int, members: dict[str, Any], features: bool) -> int:
        """Read members from ``pos`` to the collection's end and the end of the
        text (raises :class:`_BadError`); the features array is split into records
        when ``features``, else decoded whole (a look-ahead)."""
        text = self.text
        if text.startswith("}", pos):
            pos += 1
        else:
            while True:
                try:
                    key, pos = parse_json(text, pos)
                except ValueError as exc:
                    raise _BadError(pos, f"expected a member name ({_json_reason(exc)})") from None
                if not isinstance(key, str):
                    raise _BadError(pos, "expected a member name (a string)")
                pos = self._ws(pos)
                if not text.startswith(":", pos):
                    raise _BadError(pos, "expected ':' after a member name")
                pos = self._ws(pos + 1)
                if features and key == "features" and text.startswith("[", pos):
                    pos = self._features(pos + 1)
                    if self.stopped:
                        return len(text)
                    members[key] = True
                else:
                    try:
                        members[key], pos = parse_json(text, pos)
                    except ValueError as exc:
                        raise _BadError(pos, f"member {key!r}: {_json_reason(exc)}") from None
                pos = self._ws(pos)
                if text.startswith(",", pos):
                    pos = self._ws(pos + 1)
                    continue
                if text.startswith("}", pos):
                    pos += 1
                    break
                raise _BadError(pos, "expected ',' or '}' in the FeatureCollection")
        if self._ws(pos) != len(text):
            raise _BadError(pos, "more data after the FeatureCollection; expected its end")
        return pos

    def _ends_here(self, pos: int) -> bool:
        """Whether the text from ``pos`` (just after a ']' closing the
        features) is a well-formed rest of the collection."""
        try:
            self._members(self._ws(self._after_comma(pos)), {}, features=False)
        except _BadError:
            return False
        return True

    def _after_comma(self, pos: int) -> int:
        pos = self._ws(pos)
        if self.text.startswith(",", pos):
            return pos + 1
        return pos if self.text.startswith("}", pos) else -1

    def _features(self, pos: int) -> int:
        text = self.text
        pos = self._ws(pos)
        if text.startswith("]", pos):
            return pos + 1
        number = 0
        while True:
            number += 1
            start = pos
            # Each feature is decoded within its own stretch of text: up to the
            # next line opening an object at the feature's own indentation (a
            # file of one feature per line, or pretty-printed), else the record
            # limit; so a broken feature costs its stretch, not the rest of the file.
            nxt = self._next_feature(start)
            stop = nxt if nxt >= 0 else len(text)
            if self._indent(start) is None or nxt < 0:
                stop = min(stop, start + MAX_RECORD_BYTES + 1)
            try:
                value, end = parse_json(text[start:stop])
                pos = start + end
                reason = None
            except ValueError as exc:
                value, reason = None, _json_reason(exc)
                pos = _skip_value(text, start, stop)
                if pos < 0:  # brackets do not balance: resume at the next feature's line
                    pos = nxt
                    if pos < 0:  # the last feature: it takes the rest of the file
                        self.features.append((number, start, len(text), None, reason))
                        self.stopped = True
                        return len(text)
                    self.features.append((number, start, pos, None, reason))
                    continue
            if pos - start > MAX_RECORD_BYTES:
                value = None
                reason = f"a feature of {pos - start:,} characters; expected at most " + (
                    f"{MAX_RECORD_BYTES:,}"
                )
            self.features.append((number, start, pos, value, reason))
            pos = self._ws(pos)
            if text.startswith(",", pos):
                pos = self._ws(pos + 1)
                continue
            if text.startswith("]", pos):
                # A ']' that damage put inside the array is followed by more
                # features, not by the rest of the collection.
                more = self._resync(pos)
                if more < 0 or (self._after_comma(pos + 1) >= 0 and self._ends_here(pos + 1)):
                    return pos + 1
                what = "']' closes the features array, but features follow"
            elif pos >= len(text):  # cut after a whole feature: it stands
                self.tail = (
                    number + 1,
                    pos,
                    f"the file ends after feature {number}, at line {self._line(pos)}, inside "
                    "the features array; expected ']' and '}'",
                )
                self.stopped = True
                return len(text)
            else:
                more = self._resync(pos)
                what = "expected ',' or ']'"
            # Damage after the feature's value: the feature and the text up to
            # the next feature's line are one rejected record.
            reason = f"{what} after feature {number} at line {self._line(pos)}"
            if more < 0:
                self.features[-1] = (number, start, len(text), None, reason)
                self.stopped = True
                return len(text)
            self.features[-1] = (number, start, more, None, reason)
            pos = more

    def _indent(self, pos: int) -> str | None:
        """The whitespace before ``pos`` on its line, or None when other text
        precedes it there (a collection written on one line)."""
        line_start = self.text.rfind("\n", 0, pos) + 1
        lead = self.text[line_start:pos]
        return lead if not lead.strip(" \t") else None

    def _next_feature(self, pos: int) -> int:
        """Where the next line opening an object at the features' indentation
        (the first feature's; else ``pos``'s own) starts its object, or -1.
        A feature that damage moved to another indentation so still ends where
        the next intact feature begins."""
        own = self._indent(pos)
        if self.indent is None and own is not None and not self.features:
            self.indent = own
        for indent in dict.fromkeys((self.indent, own)):
            if indent is not None:
                m = re.compile("\n" + re.escape(indent) + "\\{").search(self.text, pos + 1)
                if m:
                    return m.end() - 1
        return -1

    def _resync(self, pos: int) -> int:
        """Start of the next line that opens an object (where the next feature
        of a one-feature-per-line file begins), or -1."""
        m = _NEXT_OBJECT.search(self.text, pos)
        return m.end() - 1 if m else -1


def _read_geojson(path: Path) -> Iterator[RawRecord]:
    name = str(path)
    data = path.read_bytes()
    if data.startswith(BOM):
        data = data[len(BOM) :]
    coll = _Collection(data.decode("utf-8", "surrogateescape"), name)
    coll.parse()
    damaged = coll.stopped or coll.tail is not None  # members after it may be unread
    if coll.members.get("type", "FeatureCollection") != "FeatureCollection" or (
        "type" not in coll.members and not damaged
    ):
        raise ObservationError("expected a GeoJSON FeatureCollection", file=name, field="type")
    if "features" not in coll.members and not damaged:
        raise ObservationError("expected a list of features", file=name, field="features")
    for number, start, end, feat, reason in coll.features:
        raw = coll.text[start:end]
        if reason is not None:
            yield _reject(name, number, raw, reason)
            continue
        yield _feature_record(name, number, raw, feat)
    if coll.tail is not None:
        number, start, reason = coll.tail
        yield _reject(name, number, coll.text[start : start + RAW_EXCERPT], reason)


def _feature_record(name: str, i: int, raw: str, feat: Any) -> RawRecord:
    if not isinstance(feat, dict) or not isinstance(feat.get("properties"), dict):
        return _reject(name, i, raw, "feature has no 'properties' object")
    data = dict(feat["properties"])
    geom = feat.get("geometry")
    if geom is not None:
        if not (
            isinstance(geom, dict)
            and geom.get("type") == "Point"
            and isinstance(geom.get("coordinates"), list)
            and 2 <= len(geom["coordinates"]) <= 3
        ):
            return _reject(name, i, raw, "geometry must be a Point [lon, lat(, alt)] or null")
        c = geom["coordinates"]
        pos: dict[str, Any] = {"lon": c[0], "lat": c[1]}
        if len(c) > 2:
            pos["alt_m"] = c[2]
        key = "position" if data.get("kind") == "sighting" else "observer"
        if key in data and data[key] != pos:
            return _reject(name, i, raw, f"geometry and properties.{key} disagree")
        data[key] = pos
    return RawRecord(name, i, raw, data, None, i)


# ── CSV ───────────────────────────────────────────────────────────────────────
_NESTED = ("observer", "position")
_FLOAT_FIELDS = {
    "lat",
    "lon",
    "alt_m",
    "bearing_deg",
    "bearing_sigma_deg",
    "range_m",
    "range_sigma_m",
    "time_sigma_s",
    "position_sigma_m",
}
#: A decimal number as JSON writes it (no NaN, Infinity, hex, underscores or spaces).
_NUMBER = re.compile(r"^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$", re.ASCII)
_INTEGER = re.compile(r"^-?\d{1,18}$", re.ASCII)


def flat_to_nested(row: dict[str, str]) -> dict[str, Any]:
    """A CSV row (``observer_lat``, ``position_lon``, ``evidence`` as JSON ...) as
    a nested observation mapping. Empty cells are absent fields; numbers are
    parsed only when the cell is a plain decimal number (anything else stays
    text, and validation says a number was expected)."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if value == "":
            continue
        prefix, _, rest = key.partition("_")
        if prefix in _NESTED and rest in ("lat", "lon", "alt_m"):
            out.setdefault(prefix, {})[rest] = _number(value)
        elif key == "evidence":
            try:
                out[key] = parse_json(value)[0]
            except ValueError:
                out[key] = value
        elif key in _FLOAT_FIELDS:
            out[key] = _number(value)
        elif key == "count":
            out[key] = int(value) if _INTEGER.match(value) else value
        else:
            out[key] = value
    return out


def _number(text: str) -> Any:
    if len(text) <= 40 and _NUMBER.match(text):
        value = float(text)
        return value if abs(value) != float("inf") else text
    return text


def _row(text: str) -> list[str]:
    """The cells of one CSV line (csv.Error if it is not one complete row)."""
    return next(csv.reader([text], strict=True), [])


def _read_csv(path: Path) -> Iterator[RawRecord]:
    """Rows are read one line each: no observation field may hold a line break,
    so a stray quote costs its own row only, never the rows after it."""
    name = str(path)
    data = path.read_bytes()
    if data.startswith(BOM):
        data = data[len(BOM) :]
    lines = data.decode("utf-8", "surrogateescape").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    header: list[str] | None = None
    width = 0
    for line, text in enumerate(lines, start=1):
        if text.endswith("\r"):
            text = text[:-1]
        if header is None:
            try:
                header = _row(text)
            except csv.Error as exc:
                raise ObservationError(
                    f"the header row is not CSV ({exc}); expected column names", file=name, line=1
                ) from None
            _check_header(header, name)
            width = len(header)
            continue
        if not text:  # only an empty line is no record, as for the csv module
            continue
        if not text.strip(" \t"):
            yield _reject(
                name,
                line,
                text,
                f"a line of only spaces or tabs; expected a row of {width} cells "
                "(an empty line is skipped)",
            )
            continue
        if len(text) > MAX_RECORD_BYTES:
            yield _reject(
                name,
                line,
                text[:RAW_EXCERPT] + "…",
                f"a row of {len(text):,} characters; expected at most {MAX_RECORD_BYTES:,}",
            )
            continue
        try:
            row = _row(text)
        except csv.Error as exc:
            yield _reject(name, line, text, _csv_reason(exc))
            continue
        if len(row) != width:
            missing = ", ".join(header[len(row) :][:5])
            reason = (
                f"{len(row)} cells, more than the {width} columns of the header"
                if len(row) > width
                else f"{len(row)} cells, fewer than the {width} columns of the header "
                f"(no cell for {missing}{' ...' if width - len(row) > 5 else ''})"
            )
            yield _reject(name, line, text, reason)
            continue
        cells = dict(zip(header, row, strict=True))
        bad = next(((k, p) for k, v in cells.items() if (p := string_problem(v))), None)
        if bad is not None:
            yield _reject(name, line, text, f"column '{bad[0]}': {bad[1]}")
            continue
        yield RawRecord(name, line, text, flat_to_nested(cells), None, line)


def _csv_reason(exc: csv.Error) -> str:
    text = str(exc)
    if "new-line character" in text:
        return "a bare carriage return (CR) inside an unquoted cell; expected LF or CR LF line ends"
    if "field larger" in text:
        return f"a cell longer than {csv.field_size_limit():,} characters"
    if "unexpected end of data" in text:
        return 'a quoted cell is not closed on its line; expected a closing quote (")'
    return f"not CSV: {text}"


def _check_header(header: list[str], name: str) -> None:
    for i, col in enumerate(header, start=1):
        problem = string_problem(col)
        if problem:
            raise ObservationError(
                f"column {i} of the header: {problem}; expected a CSV text file whose first "
                "row names the columns (is this a binary file?)",
                file=name,
                line=1,
            )
    if "kind" not in header:
        raise ObservationError(
            f"the header names no 'kind' column (found {', '.join(header[:8])[:200]}); "
            "expected the observation fields as column names: id, source, time, kind, ...",
            file=name,
            line=1,
        )
    dups = sorted({c for c in header if header.count(c) > 1})
    if dups:
        raise ObservationError(
            f"the header names {', '.join(dups)} more than once; expected each column once",
            file=name,
            line=1,
        )
