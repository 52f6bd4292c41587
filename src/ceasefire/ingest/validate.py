"""Validation and accounting: every record ends accepted, rejected (with its
reason) or duplicate (same ``source`` + ``id``); the three counts add up."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ceasefire.ingest.readers import RawRecord, parse_record, read_records, rejected_raw
from ceasefire.model.arrays import AnyObservation
from ceasefire.model.collector import collector_paused
from ceasefire.model.observation import (
    DEFAULT_POLICY,
    OBSERVATION_ADAPTER,
    IntakePolicy,
    SightingObservation,
)


@dataclass(frozen=True, slots=True)
class Rejected:
    """A record that failed: where, why, and its text as read."""

    file: str
    line: int
    reason: str
    raw: str
    end_line: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "reason": self.reason, "raw": self.raw}


@dataclass(frozen=True, slots=True)
class Duplicate:
    """A record whose ``source`` + ``id`` was seen before; ``conflicting`` when
    its content differs from the first one (kept, not silently merged)."""

    file: str
    line: int
    source: str
    id: str
    conflicting: bool
    raw: str
    end_line: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "source": self.source,
            "id": self.id,
            "conflicting": self.conflicting,
            "raw": self.raw,
        }


@dataclass
class IngestResult:
    """What became of every input record."""

    accepted: list[AnyObservation] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    total: int = 0
    #: (file, first line, last line) of each accepted record, in ``accepted`` order
    accepted_from: list[tuple[str, int, int]] = field(default_factory=list)
    #: accepted records stored but not kept in ``accepted`` (a streamed ingest)
    streamed: int = 0

    @property
    def counts(self) -> dict[str, int]:
        return {
            "input": self.total,
            "accepted": len(self.accepted) + self.streamed,
            "rejected": len(self.rejected),
            "duplicate": len(self.duplicates),
        }

    @property
    def conflicting(self) -> list[Duplicate]:
        """Duplicates whose content differs from the first record of their id."""
        return [d for d in self.duplicates if d.conflicting]


def format_validation_error(exc: ValidationError) -> str:
    """One readable line per problem: ``field 'a.b': message; found X``."""
    parts = []
    for err in exc.errors()[:5]:
        loc = [str(p) for p in err["loc"] if p not in ("bearing", "arrival", "sighting")]
        where = ".".join(loc) or "record"
        found = err.get("input")
        found_s = (
            "" if isinstance(found, dict) else f"; found {json.dumps(found, default=str)[:60]}"
        )
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "union_tag_invalid" or err["type"] == "union_tag_not_found":
            msg = "'kind' must be one of 'bearing', 'arrival', 'sighting'"
        parts.append(f"field '{where}': {msg}{found_s}")
    more = len(exc.errors()) - 5
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


def _json_keys(obs: AnyObservation) -> int:
    """Keys the JSON of ``obs`` named: the fields set in it and in its nested models."""
    place = obs.position if isinstance(obs, SightingObservation) else obs.observer
    # the attribute ``model_fields_set`` returns, without the property's call
    n = len(obs.__pydantic_fields_set__) + len(place.__pydantic_fields_set__)
    if obs.evidence:  # most records carry none: no generator for them
        n += sum(len(e.__pydantic_fields_set__) for e in obs.evidence)
    return n


#: The adapter's core validator: ``TypeAdapter.validate_json`` adds only the
#: checking of keyword arguments we do not pass, a tenth of a record's cost.
_validate_json = OBSERVATION_ADAPTER.validator.validate_json


def from_plain_json(line: bytes, context: dict[str, Any]) -> AnyObservation | None:
    """The observation of a line ``limits.plain_object`` let through, validated
    as JSON in one step, or None when that fails or a key came twice (the slow
    path then gives the reason): the contract's models nest three deep, and the
    line's '":' count every key it names."""
    try:
        obs: AnyObservation = _validate_json(line, context=context)
    except ValidationError:
        return None
    return obs if _json_keys(obs) == line.count(b'":') else None


def validated(
    records: Iterable[RawRecord], policy: IntakePolicy | None = None
) -> Iterator[tuple[RawRecord, AnyObservation | Rejected]]:
    """Each of ``records`` with its model, or with why it is rejected, in
    order (duplicates not looked for: see :func:`validate_records`)."""
    context = {"policy": policy or DEFAULT_POLICY}
    for rec in records:
        data = rec.data
        obs = None
        if rec.json is not None and data is None and rec.error is None:
            obs = from_plain_json(rec.json, context)
            if obs is None:  # the slow path says why (or accepts it after all)
                try:
                    data = parse_record(rec.json)
                except ValueError as exc:
                    yield (
                        rec,
                        Rejected(rec.file, rec.line, str(exc), rejected_raw(rec.raw), rec.end_line),
                    )
                    continue
        if obs is None:
            if data is None:
                reason = rec.error or "unreadable"
                yield rec, Rejected(rec.file, rec.line, reason, rec.raw, rec.end_line)
                continue
            try:
                obs = OBSERVATION_ADAPTER.validate_python(data, context=context)
            except ValidationError as exc:
                reason = format_validation_error(exc)
                yield rec, Rejected(rec.file, rec.line, reason, rec.raw, rec.end_line)
                continue
        yield rec, obs


def validate_records(
    records: Iterable[RawRecord],
    result: IngestResult | None = None,
    seen: dict[tuple[str, str], Any] | None = None,
    policy: IntakePolicy | None = None,
    origins: list[RawRecord] | None = None,
) -> IngestResult:
    """Validate ``records`` into ``result``; ``seen`` maps (source, id) to the
    first accepted record (its model, or its canonical JSON: pass the store's
    keys to catch duplicates across runs); ``policy`` is what the mission accepts
    (years, evidence schemes; default :data:`DEFAULT_POLICY`); ``origins`` is
    given the raw record of each accepted one."""
    result = result if result is not None else IngestResult()
    seen = seen if seen is not None else {}
    with collector_paused():
        for rec, obs in validated(records, policy):
            result.total += 1
            if isinstance(obs, Rejected):
                result.rejected.append(obs)
                continue
            key = (obs.source, obs.id)
            first = seen.get(key)
            if first is not None:
                # canonical JSON only for a duplicate: most records are not one
                canon = first if isinstance(first, str) else first.model_dump_json()
                result.duplicates.append(
                    Duplicate(
                        rec.file,
                        rec.line,
                        obs.source,
                        obs.id,
                        canon != obs.model_dump_json(),
                        rec.raw,
                        rec.end_line,
                    )
                )
                continue
            seen[key] = obs
            result.accepted.append(obs)
            result.accepted_from.append((rec.file, rec.line, rec.end_line))
            if origins is not None:
                origins.append(rec)
    return result


def ingest_files(
    paths: Iterable[Path],
    seen: dict[tuple[str, str], Any] | None = None,
    policy: IntakePolicy | None = None,
) -> IngestResult:
    """Read and validate every file; see :func:`validate_records`."""
    result = IngestResult()
    seen = seen if seen is not None else {}
    for p in paths:
        validate_records(read_records(Path(p), plain=True), result, seen, policy)
    return result


def write_quarantine(path: Path, result: IngestResult) -> Path:
    """Write rejected and duplicate records, one JSON object per line, with
    ``status`` (``rejected``/``duplicate``) and the reason."""
    with path.open("w", encoding="utf-8") as fh:
        for r in result.rejected:
            fh.write(json.dumps({"status": "rejected", **r.to_dict()}, ensure_ascii=False) + "\n")
        for d in result.duplicates:
            reason = "same source and id as an earlier record" + (
                " with different content" if d.conflicting else ""
            )
            fh.write(
                json.dumps(
                    {"status": "duplicate", "reason": reason, **d.to_dict()}, ensure_ascii=False
                )
                + "\n"
            )
    return path


def write_ndjson(path: Path, observations: Iterable[AnyObservation]) -> Path:
    """Observations as NDJSON in the contract's form."""
    with path.open("w", encoding="utf-8") as fh:
        for o in observations:
            fh.write(o.model_dump_json(exclude_none=True) + "\n")
    return path
