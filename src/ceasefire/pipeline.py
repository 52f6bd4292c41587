"""The stages wired together over a store: ingest → fuse → assess → ledger → report.

Each function is one stage for one reporting day and can run alone on what the
stage before it stored. ``run`` is the one-shot pipeline. This module is the
shell around the pure rooms: it reads and writes the store, the ledger and
files; the CLI calls it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ceasefire.assess import assess, escalate, notices
from ceasefire.fuse import FuseConfig, fuse
from ceasefire.ingest import IngestResult, ingest_files, write_quarantine
from ceasefire.ledger import Ledger
from ceasefire.mandate import Mandate, day_bounds, day_of, parse_mandate
from ceasefire.model import Escalation, Event, Violation
from ceasefire.model.arrays import AnyObservation
from ceasefire.model.codec import to_dict
from ceasefire.model.errors import PipelineError
from ceasefire.report import ReportContext, render_report
from ceasefire.report.geojson import event_feature, violation_feature, write_geojson
from ceasefire.store import Store

#: Observations perceived this long after a day's end still belong to its
#: events (sound from 40 km takes ~117 s; reports are written late), s.
LATE_MARGIN_S = 180.0
#: Observation digests per ledger record (~90 bytes each: a record stays ~2 MB).
OBSERVATION_RECORD_CHUNK = 20_000
#: How many past days feed the report's trend chart.
TREND_DAYS = 30

Progress = Callable[[str], None]


def _noop(_: str) -> None:
    return None


@dataclass
class DayResult:
    """What one reporting day produced."""

    day: date
    observations: int
    events: list[Event]
    violations: list[Violation]
    escalations: list[Escalation]
    notices: list[dict[str, Any]] = field(default_factory=list)
    head: dict[str, Any] | None = None
    report: dict[str, Path] = field(default_factory=dict)


def mandate_of(store: Store, override: Mandate | None = None) -> Mandate:
    """The mandate to judge with: ``override`` or the one stored at ``init``."""
    if override is not None:
        return override
    text = store.mandate_text()
    if text is None:
        raise PipelineError("the store has no mandate; run `ceasefire init --mandate M --store S`")
    return parse_mandate(text, source="<mandate stored at init>")


def init_store(target: str | Path, mandate_path: Path) -> Store:
    """Create a store and keep the mandate text in it (checked first)."""
    from ceasefire.mandate import load_mandate

    load_mandate(mandate_path)
    store = Store.create(target)
    store.set_meta("mandate", mandate_path.read_text(encoding="utf-8"))
    store.set_meta("mandate_source", str(mandate_path))
    return store


def ingest_into(
    store: Store, files: Sequence[Path], quarantine_path: Path | None = None
) -> IngestResult:
    """Validate ``files`` against the contract (duplicates checked against the
    store too) and store the batch atomically with its quarantine."""
    missing = [str(f) for f in files if not Path(f).exists()]
    if missing:
        raise PipelineError(f"observation file(s) not found: {', '.join(missing)}")
    result = ingest_files([Path(f) for f in files], seen=store.known_keys())
    quarantined = [{"status": "rejected", **r.to_dict()} for r in result.rejected] + [
        {
            "status": "duplicate",
            "file": d.file,
            "line": d.line,
            "reason": "same source and id as an earlier record"
            + (" with different content" if d.conflicting else ""),
            "raw": d.raw,
        }
        for d in result.duplicates
    ]
    store.add_batch([str(f) for f in files], result.accepted, quarantined)
    if quarantine_path is not None:
        write_quarantine(quarantine_path, result)
    return result


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
    """Fusion settings for a mandate: its contact line (fire is aimed across it)."""
    c = mandate.contact
    return FuseConfig(contact_line_lonlat=tuple(zip(c.lons, c.lats, strict=True)))


def fuse_day(store: Store, mandate: Mandate, day: date) -> tuple[int, list[Event]]:
    """Fuse the day's observations; keep the events emitted within the day."""
    start, end = day_bounds(mandate, day)
    obs = store.observations(start, end + LATE_MARGIN_S)
    events = (
        [e for e in fuse(obs, fuse_config(mandate)) if start <= e.time_s < end] if len(obs) else []
    )
    store.replace_events(start, end, events)
    return len(obs), events


def assess_day(
    store: Store, mandate: Mandate, day: date, events: Sequence[Event] | None = None
) -> tuple[list[Violation], list[Escalation], list[dict[str, Any]]]:
    """Judge the day's events; escalations look back over the longest trigger window."""
    start, end = day_bounds(mandate, day)
    evs = list(events) if events is not None else store.events(start, end)
    violations = assess(evs, mandate)
    store.replace_violations(start, end, violations)
    lookback_h = max((d.trigger.window_h for d in mandate.doc.response.escalation), default=0.0)
    history = store.violations(start - lookback_h * 3600.0, start) if lookback_h else []
    all_esc = escalate(history + violations, mandate, events=evs)
    escalations = [x for x in all_esc if start <= x.time_s < end]
    store.replace_escalations(start, end, escalations)
    return violations, escalations, notices(violations, escalations, mandate)


def observation_digests(models: Sequence[AnyObservation]) -> dict[str, str]:
    """``source/id`` → SHA-256 of the observation's canonical JSON."""
    return {
        f"{o.source}/{o.id}": hashlib.sha256(o.model_dump_json().encode()).hexdigest()
        for o in models
    }


def violation_records(
    violations: Sequence[Violation], digests: dict[str, str]
) -> list[dict[str, Any]]:
    """The ledger record of each violation, with the digests (``source/id`` →
    SHA-256, from :func:`observation_digests`) of the observations it rests on."""
    by_id: dict[str, list[str]] = {}
    for key in digests:
        by_id.setdefault(key.split("/", 1)[1], []).append(key)
    return [
        {
            "type": "violation",
            **to_dict(v),
            "observation_digests": {
                k: digests[k] for oid in v.observation_ids for k in by_id.get(oid, [])
            },
        }
        for v in violations
    ]


def ledger_day(
    ledger: Ledger,
    day: date,
    end_s: float,
    observations: Sequence[AnyObservation],
    violations: Sequence[Violation],
    escalations: Sequence[Escalation],
    *,
    chunk: int = OBSERVATION_RECORD_CHUNK,
) -> dict[str, Any]:
    """Append the day's records and sign a head at the day's end.

    Records: ``observations`` records (the digest of every observation the day
    rests on, ``chunk`` a record, each with the digest of the whole day), then
    each violation with the digests of its own
    observations, then each escalation. Records already in the log (same id,
    e.g. a re-run of the same day) are not appended twice.
    """
    digests = observation_digests(observations)
    keys = sorted(digests)
    day_digest = hashlib.sha256("".join(digests[k] for k in keys).encode()).hexdigest()
    parts = max(1, -(-len(keys) // chunk))
    records: list[dict[str, Any]] = [
        {
            "type": "observations",
            "id": f"obs-{day.isoformat()}-{day_digest[:16]}-{k + 1}of{parts}",
            "day": day.isoformat(),
            "count": len(keys),
            "day_digest": day_digest,
            "part": k + 1,
            "parts": parts,
            "digests": {key: digests[key] for key in keys[k * chunk : (k + 1) * chunk]},
        }
        for k in range(parts)
    ]
    records += violation_records(violations, digests)
    for x in escalations:
        records.append({"type": "escalation", **to_dict(x)})
    fresh = [r for r in records if not ledger.contains(str(r["id"]))]
    if fresh:
        ledger.append(fresh)
    head = ledger.sign_head(end_s)
    return head.to_dict()


def report_day(
    store: Store,
    mandate: Mandate,
    day: date,
    out_dir: Path,
    *,
    head: dict[str, Any] | None = None,
    pdf: bool = True,
) -> dict[str, Path]:
    """Render the day's report from the store into ``out_dir``."""
    start, end = day_bounds(mandate, day)
    history: dict[date, int] = {}
    trend_start, _ = day_bounds(mandate, day - timedelta(days=TREND_DAYS))
    for t in store.violation_times(trend_start, start):
        d = day_of(mandate, t)
        history[d] = history.get(d, 0) + 1
    prev_day = day - timedelta(days=1)
    prev_start, _ = day_bounds(mandate, prev_day)
    monitored = set(stored_days(store, mandate))
    obs = store.observations(start, end)
    observers = sorted(
        {
            (str(s), float(la), float(lo))
            for s, la, lo, k in zip(obs.source, obs.lat, obs.lon, obs.kind, strict=True)
            if k != 2
        }
    )
    ctx = ReportContext(
        mandate=mandate,
        day=day,
        events=store.events(start, end),
        violations=store.violations(start, end),
        escalations=store.escalations(start, end),
        observers=observers,
        history=history,
        # a day before the store's first is unknown, not a day without violations
        previous=store.violations(prev_start, start) if prev_day in monitored else None,
        ledger_head=head,
        counts=store.counts(),
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    return render_report(ctx, out_dir, pdf=pdf)


@dataclass
class RunSummary:
    """The one-shot run: ingest counts, per-day results, output paths."""

    counts: dict[str, int]
    days: list[DayResult]
    outputs: dict[str, Path]

    def to_dict(self) -> dict[str, Any]:
        return {
            "counts": self.counts,
            "days": [
                {
                    "day": d.day.isoformat(),
                    "observations": d.observations,
                    "events": len(d.events),
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
    mandate_path: Path,
    files: Sequence[Path],
    out_dir: Path,
    *,
    store_url: str | None = None,
    pdf: bool = True,
    progress: Progress = _noop,
) -> RunSummary:
    """The one-shot pipeline into ``out_dir``: ``store.db`` (unless ``store_url``),
    ``quarantine.ndjson``, ``events.geojson``, ``violations.geojson``,
    ``escalations.json``, ``notices.json``, ``ledger/``, ``report.html`` (+ PDF,
    map) of the last day (``reports/DAY/`` for each day) and ``summary.json``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    target = store_url or (out_dir / "store.db")
    if store_url is None and (out_dir / "store.db").exists():
        raise PipelineError(
            f"{out_dir / 'store.db'} exists: `run` starts a new store; use another --out, "
            "or the stepwise verbs (ingest, fuse, assess, report) on the existing store"
        )
    progress("checking the mandate")
    store = init_store(target, mandate_path)
    mandate = mandate_of(store)
    progress("ingesting observations")
    result = ingest_into(store, files, out_dir / "quarantine.ndjson")
    ledger = Ledger.open(out_dir / "ledger")
    days: list[DayResult] = []
    all_events: list[Event] = []
    all_violations: list[Violation] = []
    all_escalations: list[Escalation] = []
    all_notices: list[dict[str, Any]] = []
    for day in stored_days(store, mandate):
        start, end = day_bounds(mandate, day)
        progress(f"{day}: fusing")
        n_obs, events = fuse_day(store, mandate, day)
        progress(f"{day}: assessing")
        violations, escalations, notes = assess_day(store, mandate, day, events)
        progress(f"{day}: signing")
        head = ledger_day(
            ledger,
            day,
            end,
            store.observation_models(start, end + LATE_MARGIN_S),
            violations,
            escalations,
        )
        days.append(DayResult(day, n_obs, events, violations, escalations, notes, head))
        all_events += events
        all_violations += violations
        all_escalations += escalations
        all_notices += notes
    outputs: dict[str, Path] = {
        "store": Path(str(target)),
        "quarantine": out_dir / "quarantine.ndjson",
        "ledger": out_dir / "ledger",
        "events": write_geojson(out_dir / "events.geojson", [event_feature(e) for e in all_events]),
        "violations": write_geojson(
            out_dir / "violations.geojson", [violation_feature(v) for v in all_violations]
        ),
    }
    outputs["escalations"] = _write_json(
        out_dir / "escalations.json", [to_dict(x) for x in all_escalations]
    )
    outputs["notices"] = _write_json(out_dir / "notices.json", all_notices)
    for i, d in enumerate(days):
        progress(f"{d.day}: report")
        last = i == len(days) - 1
        d.report = report_day(
            store,
            mandate,
            d.day,
            out_dir / "reports" / d.day.isoformat(),
            head=d.head,
            pdf=pdf and last,
        )
        if last:
            for kind, path in d.report.items():
                link = out_dir / f"report{path.suffix}" if kind in ("html", "pdf") else None
                if link is not None:
                    link.write_bytes(path.read_bytes())
                    outputs[f"report_{kind}"] = link
            if "map" in d.report:
                outputs["map"] = d.report["map"]
    summary = RunSummary(result.counts, days, outputs)
    outputs["summary"] = out_dir / "summary.json"
    _write_json(outputs["summary"], summary.to_dict())
    store.close()
    return summary


def _write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    return path
