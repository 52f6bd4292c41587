"""The FastAPI application of ``ceasefire serve`` (``/api/v1``).

Every request is authenticated by a bearer token (except the OpenAPI
document), limited by its role and sectors inside the store's SQL
(``auth.Principal``), and written to the access audit after it is answered
(``audit.AuditLog``). Observations are acknowledged only after their batch is
committed. Errors are JSON (``models.ErrorResponse``) naming the field path;
no response, log line or error carries a token or a database password.
"""

import asyncio
import json
import logging
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from pydantic import AwareDatetime
from starlette.concurrency import run_in_threadpool

from ceasefire import pipeline
from ceasefire.assess.intervene import ack_record, outcome_record
from ceasefire.assess.intervene import status as intervention_status
from ceasefire.ingest import RawRecord, read_records
from ceasefire.ledger import Ledger, SignedTreeHead
from ceasefire.mandate import Mandate, day_bounds, day_of
from ceasefire.model import Escalation, Violation
from ceasefire.model.codec import (
    escalation_from_dict,
    to_dict,
    violation_from_dict,
)
from ceasefire.model.errors import CeasefireError, InputError
from ceasefire.patrol.files import read_plan, routes_geojson
from ceasefire.report.geojson import iso, violation_feature
from ceasefire.service import models as m
from ceasefire.service.audit import AuditLog
from ceasefire.service.auth import AccessError, Principal, hash_token
from ceasefire.service.broadcast import Broadcast
from ceasefire.service.features import (
    GeoJSONBytes,
    collection_bytes,
    event_row_feature,
    observation_row_feature,
    violation_row_feature,
)
from ceasefire.service.maplayers import mandate_layers
from ceasefire.service.summary import COLUMNS, summarize
from ceasefire.store import Selection, Store

__all__ = ["API", "ServiceConfig", "create_app"]

API = "/api/v1"
log = logging.getLogger("ceasefire.service")

#: Largest request body accepted, bytes.
MAX_BODY_BYTES = 64 * 1024 * 1024
#: Rejections and duplicates listed in an ingest response.
LISTED = 1000

_BODY_FORMATS = {
    "application/x-ndjson": ".ndjson",
    "application/jsonl": ".ndjson",
    "application/ndjson": ".ndjson",
    "application/geo+json": ".geojson",
    "text/csv": ".csv",
}

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": m.ErrorResponse, "description": text}
    for code, text in (
        (400, "the request or its body cannot be read"),
        (401, "no token, or a token the service does not know"),
        (403, "the role or sector compartment does not allow this"),
        (404, "nothing of that name visible to this user"),
        (422, "a parameter is invalid: each field path and what was expected"),
    )
}


@dataclass(frozen=True)
class ServiceConfig:
    """Where the service keeps things: the store (URL or SQLite path), the
    evidence ledger and the access audit (ledger directories)."""

    store: str
    ledger_dir: Path
    audit_dir: Path
    mandate: Mandate | None = None
    pdf: bool = True
    #: a NATS JetStream bus (``ceasefire.stream``): accepted observations are
    #: published to it and its announced violations relayed on ``/stream``
    bus_url: str | None = None
    bus_prefix: str = "ceasefire"
    patrol_dir: Path | None = None  # a drone patrol plan (`ceasefire patrol plan --out`)


class _Service:
    """The state behind the routes (one per app)."""

    def __init__(self, cfg: ServiceConfig) -> None:
        self.cfg = cfg
        self.store = Store.open(cfg.store)
        self.mandate = pipeline.mandate_of(self.store, cfg.mandate)
        self.audit = AuditLog(cfg.audit_dir)
        self._ledger: Ledger | None = None
        self.process_lock = threading.Lock()
        self.broadcast = Broadcast()
        self.bus: Any = None  # ceasefire.stream's bus when the service is given one

    @property
    def ledger(self) -> Ledger:
        if self._ledger is None:
            self._ledger = Ledger.open(self.cfg.ledger_dir)
        return self._ledger

    def close(self) -> None:
        try:
            self.audit.sign()
        finally:
            self.audit.close()
            if self._ledger is not None:
                self._ledger.close()
            self.store.close()


def _error(status: int, detail: str, errors: list[dict[str, str]] | None = None) -> JSONResponse:
    body = m.ErrorResponse(detail=detail, errors=[m.ErrorItem(**e) for e in errors or []])
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def _field(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def create_app(cfg: ServiceConfig) -> FastAPI:
    """The application over ``cfg``'s store, ledger and audit."""
    svc = _Service(cfg)
    layers = mandate_layers(svc.mandate)
    routes = routes_geojson(read_plan(cfg.patrol_dir)) if cfg.patrol_dir is not None else None

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        svc.broadcast.bind(asyncio.get_running_loop())
        relay: asyncio.Task[None] | None = None
        relay_x: asyncio.Task[None] | None = None
        if cfg.bus_url is not None:
            from ceasefire.stream.bus import Subjects
            from ceasefire.stream.natsbus import NatsBus

            svc.bus = await NatsBus.connect(cfg.bus_url, Subjects(cfg.bus_prefix))
            relay = asyncio.create_task(_relay_violations(svc))
            relay_x = asyncio.create_task(_relay_escalations(svc))
        try:
            yield
        finally:
            for task in (relay, relay_x):
                if task is not None:
                    task.cancel()
            if svc.bus is not None:
                await svc.bus.close()
            svc.broadcast.close()
            svc.close()

    app = FastAPI(
        title="ceasefire mission service",
        version="1",
        description=(
            "Observations in, events and violations out, by role and sector compartment; "
            "every request is audited. Authenticate with `Authorization: Bearer <token>` "
            "(`ceasefire users add`)."
        ),
        openapi_url=f"{API}/openapi.json",
        docs_url=f"{API}/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.service = svc

    # ── errors ─────────────────────────────────────────────────────────────
    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": _field(tuple(e.get("loc", ()))), "message": str(e.get("msg", "invalid"))}
            for e in exc.errors()
        ]
        return _error(422, "invalid request: " + "; ".join(e["field"] for e in errors), errors)

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail))

    @app.exception_handler(AccessError)
    async def _forbidden(_: Request, exc: AccessError) -> JSONResponse:
        return _error(403, str(exc))

    @app.exception_handler(InputError)
    async def _input(_: Request, exc: InputError) -> JSONResponse:
        field = exc.field or (f"line {exc.line}" if exc.line else "body")
        return _error(400, str(exc), [{"field": field, "message": exc.reason}])

    @app.exception_handler(CeasefireError)
    async def _ours(_: Request, exc: CeasefireError) -> JSONResponse:
        return _error(409, str(exc))

    # ── the audit: one record per request, after it is answered ────────────
    @app.middleware("http")
    async def _audit(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        request.state.principal = None
        request.state.returned = None
        request.state.written = None
        try:
            response = await call_next(request)
        except Exception:
            log.exception("request failed: %s %s", request.method, request.url.path)
            response = _error(500, "internal error; the request was not completed")
        p: Principal | None = request.state.principal
        await run_in_threadpool(
            svc.audit.record,
            user=p.name if p else None,
            role=p.role if p else None,
            method=request.method,
            resource=request.url.path,
            filters={k: v for k, v in request.query_params.items()},
            returned=request.state.returned,
            written=request.state.written,
            status=response.status_code,
        )
        return response

    # ── authentication ─────────────────────────────────────────────────────
    bearer = HTTPBearer(auto_error=False, description="a token from `ceasefire users add`")

    def principal(
        request: Request,
        creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Principal:
        if creds is None or creds.scheme.lower() != "bearer":
            raise HTTPException(401, "missing bearer token (Authorization: Bearer <token>)")
        row = svc.store.user_by_token(hash_token(creds.credentials))
        if row is None:
            raise HTTPException(401, "unknown or disabled token")
        p = Principal(row["name"], row["role"], tuple(row["sectors"]), row["party"])
        request.state.principal = p
        return p

    User = Annotated[Principal, Depends(principal)]
    router = APIRouter(prefix=API, responses=_ERRORS)

    # ── shared query parameters ────────────────────────────────────────────
    def selection(
        day: Annotated[date | None, Query(description="reporting day, YYYY-MM-DD")] = None,
        bbox: Annotated[
            str | None,
            Query(
                description="lon_min,lat_min,lon_max,lat_max in degrees (WGS84)",
                examples=["37.5,47.8,38.5,48.6"],
                max_length=200,
            ),
        ] = None,
        since: Annotated[
            AwareDatetime | None, Query(description="only records at or after, ISO 8601 with zone")
        ] = None,
        until: Annotated[
            AwareDatetime | None, Query(description="only records before, ISO 8601 with zone")
        ] = None,
        sector: Annotated[str | None, Query(max_length=100)] = None,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
        offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
    ) -> tuple[Selection, str | None]:
        start = end = None
        if day is not None:
            start, end = day_bounds(svc.mandate, _day_ok(day, "query"))
        if until is not None:
            end = until.timestamp() if end is None else min(end, until.timestamp())
        return (
            Selection(
                start_s=start,
                end_s=end,
                since_s=since.timestamp() if since is not None else None,
                bbox=_bbox(bbox) if bbox is not None else None,
                limit=limit + 1,
                offset=offset,
            ),
            sector,
        )

    Sel = Annotated[tuple[Selection, str | None], Depends(selection)]

    def page(request: Request, rows: list[Any], sel: Selection) -> tuple[list[Any], int | None]:
        more = len(rows) >= sel.limit
        rows = rows[: sel.limit - 1]
        request.state.returned = len(rows)
        return rows, (sel.offset + len(rows) if more else None)

    # ── observations ───────────────────────────────────────────────────────
    @router.post(
        "/observations",
        response_model=m.IngestResponse,
        summary="Submit observations (JSON array, NDJSON, GeoJSON or CSV)",
        responses={413: {"model": m.ErrorResponse}, 415: {"model": m.ErrorResponse}},
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"type": "array", "items": {"type": "object"}},
                    },
                    "application/x-ndjson": {"schema": {"type": "string"}},
                    "application/geo+json": {"schema": {"type": "object"}},
                    "text/csv": {"schema": {"type": "string"}},
                },
            }
        },
    )
    async def post_observations(request: Request, user: User) -> m.IngestResponse:
        """The contract and accounting of `ceasefire ingest`: every record is
        accepted, rejected (with its reason, kept in the store's quarantine) or a
        duplicate (same `source` and `id`). Answered after the commit."""
        user.require("monitor", "chief")
        body = await _read_body(request)
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        label = f"POST {API}/observations"
        records = await run_in_threadpool(_records, body, ctype, label)
        result = await run_in_threadpool(
            pipeline.ingest_records,
            svc.store,
            [label],
            records,
            mandate=svc.mandate,
            submitted_by=user.name,
        )
        request.state.written = len(result.accepted)
        if svc.bus is not None and result.accepted:
            from ceasefire.stream.replay import publish_to_bus

            await publish_to_bus(svc.bus, svc.mandate, result.accepted)
        return m.IngestResponse(
            input=result.total,
            accepted=len(result.accepted),
            rejected=len(result.rejected),
            duplicate=len(result.duplicates),
            rejections=[
                m.Rejection(line=r.line, reason=r.reason) for r in result.rejected[:LISTED]
            ],
            duplicates=[
                m.DuplicateItem(line=d.line, source=d.source, id=d.id, conflicting=d.conflicting)
                for d in result.duplicates[:LISTED]
            ],
        )

    @router.get("/observations", response_model=m.ObservationCollection)
    def get_observations(request: Request, user: User, sel: Sel) -> Response:
        """Observations as GeoJSON: a monitor's own submissions, an analyst's
        sectors, everything for the chief."""
        s = user.observations(sel[0], sel[1])
        rows, nxt = page(request, svc.store.select_observations(s), s)
        return GeoJSONBytes(collection_bytes(map(observation_row_feature, rows), nxt))

    # ── events, violations, escalations ────────────────────────────────────
    @router.get("/events", response_model=m.EventCollection)
    def get_events(request: Request, user: User, sel: Sel) -> Response:
        """Fused events as GeoJSON (analysts: their sectors; the chief: all)."""
        s = user.events(sel[0], sel[1])
        rows, nxt = page(request, svc.store.select_events(s), s)
        return GeoJSONBytes(collection_bytes(map(event_row_feature, rows), nxt))

    def violation_filters(
        user: User,
        sel: Sel,
        rule: Annotated[str | None, Query(max_length=100)] = None,
        party: Annotated[str | None, Query(max_length=100)] = None,
        severity: Annotated[str | None, Query(max_length=16)] = None,
        response: Annotated[str | None, Query(max_length=40)] = None,
    ) -> Selection:
        extra = {k: v for k, v in (("severity", severity), ("response", response)) if v}
        return replace(user.violations(sel[0], sel[1]), rule=rule, party=party, extra=extra)

    VSel = Annotated[Selection, Depends(violation_filters)]

    @router.get("/violations", response_model=m.ViolationCollection)
    def get_violations(request: Request, user: User, s: VSel) -> Response:
        """Violations as GeoJSON (analysts: their sectors; parties: published days
        of every sector, without observation ids; the chief: all)."""
        rows, nxt = page(request, svc.store.select_violations(s), s)
        see = user.sees_observers
        return GeoJSONBytes(collection_bytes((violation_row_feature(r, see) for r in rows), nxt))

    @router.get("/violations/summary", response_model=m.ViolationSummary)
    def violation_summary(
        request: Request,
        s: VSel,
        cell_deg: Annotated[
            float | None,
            Query(gt=0, le=90, description="also bin the located violations in cells this wide"),
        ] = None,
    ) -> m.ViolationSummary:
        """How many violations GET /violations would return with the same filters
        (all pages), per rule, party, severity and response, and optionally on a grid
        of map cells: the dashboard's counts and its map on a stress day, without
        shipping the features."""
        rows = svc.store.violation_columns(s, COLUMNS)
        request.state.returned = len(rows)
        return m.ViolationSummary.model_validate(summarize(rows, cell_deg, s.bbox))

    @router.get("/escalations", response_model=m.EscalationList)
    def get_escalations(
        request: Request,
        user: User,
        sel: Sel,
        party: Annotated[str | None, Query(max_length=100)] = None,
    ) -> m.EscalationList:
        """Escalation notices (lines of defence), limited like violations."""
        s = replace(user.escalations(replace(sel[0], bbox=None), sel[1]), party=party)
        rows, nxt = page(request, svc.store.select_escalations(s), s)
        items = [_escalation(r) for r in rows]
        return m.EscalationList(escalations=items, numberReturned=len(items), next_offset=nxt)

    # ── days: process, publish, report ─────────────────────────────────────
    DayParam = Annotated[date, PathParam(description="reporting day, YYYY-MM-DD")]

    @router.post("/days/{day}/process", response_model=m.ProcessResponse)
    def process_day(
        request: Request,
        user: User,
        day: DayParam,
        pdf: Annotated[bool, Query(description="also render the PDF report")] = True,
    ) -> m.ProcessResponse:
        """Fuse, assess and sign the day, as `ceasefire run` does (the chief)."""
        user.require("chief")
        _day_ok(day, "path")
        with svc.process_lock:
            out = _process(svc, day, pdf and cfg.pdf)
        request.state.written = out.events + out.violations + out.escalations
        return out

    @router.post("/days/{day}/publish", response_model=m.PublishResponse)
    def publish_day(request: Request, user: User, day: DayParam) -> m.PublishResponse:
        """Make the day's violations, report and signed head visible to parties
        and the public (the chief); signs a head of the access audit."""
        user.require("chief")
        if not svc.store.publish(day.isoformat()):
            raise HTTPException(404, f"day {day} has not been processed; process it first")
        request.state.written = 1
        head = svc.audit.sign()
        return m.PublishResponse(day=day.isoformat(), published=True, audit_head=head.to_dict())

    # ── interventions (mode: intervene) ────────────────────────────────────
    @router.get("/interventions", response_model=m.InterventionList)
    def list_interventions(request: Request, user: User) -> m.InterventionList:
        """The intervention requests in the evidence ledger and their state (the chief;
        an analyst, those of its sectors)."""
        user.require("analyst", "chief")
        # the ledger's typed index: a listing reads the intervention records only
        rows = intervention_status(svc.ledger.intervention_records(), time.time())
        if user.role == "analyst":
            # the ledger is a file, not SQL: the compartment is applied to its rows
            rows = [r for r in rows if r["sector"] in user.sectors]
        request.state.returned = len(rows)
        return m.InterventionList(
            interventions=[_intervention(r) for r in rows], numberReturned=len(rows)
        )

    RequestId = Annotated[str, PathParam(max_length=200, pattern=r"^[A-Za-z0-9_.:-]+$")]

    def _answer(request: Request, rec: dict[str, Any]) -> m.InterventionAnswered:
        if not svc.ledger.contains(rec["request"]):
            raise HTTPException(404, f"no intervention request {rec['request']!r}")
        with svc.process_lock:  # one writer of the evidence ledger at a time
            head = pipeline.answer_intervention(svc.ledger, rec, time.time())
        request.state.written = 1
        return m.InterventionAnswered(
            id=rec["id"], request=rec["request"], type=rec["type"], ledger_size=head.size
        )

    @router.post("/interventions/{request_id}/ack", response_model=m.InterventionAnswered)
    def ack_intervention(
        request: Request, user: User, request_id: RequestId, body: m.InterventionAck
    ) -> m.InterventionAnswered:
        """Record that the force has the request (the chief), in the ledger."""
        user.require("chief")
        at = body.time.timestamp() if body.time else time.time()
        return _answer(request, ack_record(request_id, body.by, at, body.note))

    @router.post("/interventions/{request_id}/outcome", response_model=m.InterventionAnswered)
    def intervention_outcome(
        request: Request, user: User, request_id: RequestId, body: m.InterventionOutcome
    ) -> m.InterventionAnswered:
        """Record what the force did (the chief), in the ledger; one outcome a request."""
        user.require("chief")
        at = body.time.timestamp() if body.time else time.time()
        return _answer(request, outcome_record(request_id, body.outcome, body.by, at, body.note))

    @router.get(
        "/days/{day}/report",
        response_class=Response,
        responses={
            200: {
                "content": {"text/html": {}, "application/pdf": {}},
                "description": "the daily report",
            }
        },
    )
    def get_report(
        request: Request,
        user: User,
        day: DayParam,
        format: Annotated[
            str,
            Query(
                pattern="^(html|pdf|internal)$",
                description="html, pdf, or internal (HTML with the observers; the chief only)",
            ),
        ] = "html",
    ) -> Response:
        """The daily report: published days for every role, any processed day for the chief."""
        if format == "internal":
            user.require("chief")
        row = svc.store.day_row(day.isoformat())
        visible = row is not None and (user.role == "chief" or row["published_s"] is not None)
        data = svc.store.report(day.isoformat(), format) if visible else None
        if data is None:
            raise HTTPException(404, f"no {format} report of {day} visible to you")
        request.state.returned = 1
        media = "application/pdf" if format == "pdf" else "text/html; charset=utf-8"
        return Response(data, media_type=media)

    # ── the evidence ledger ────────────────────────────────────────────────
    @router.get("/ledger/head")
    def ledger_head(request: Request, user: User) -> dict[str, Any]:
        """The evidence ledger's latest signed head (parties: that of the last published day)."""
        user.require("analyst", "chief", "party")
        head: dict[str, Any] | None
        if user.role == "party":
            days = svc.store.published_days()
            row = svc.store.day_row(days[-1]) if days else None
            head = row["head"] if row else None
        else:
            latest = svc.ledger.latest_head()
            head = latest.to_dict() if latest else None
        if head is None:
            raise HTTPException(404, "no signed head visible to you yet")
        request.state.returned = 1
        return head

    @router.get("/ledger/proof/{violation_id}")
    def ledger_proof(
        request: Request,
        user: User,
        violation_id: Annotated[str, PathParam(max_length=200)],
    ) -> dict[str, Any]:
        """The inclusion bundle of a violation (what `ceasefire ledger verify-proof` checks)."""
        user.require("analyst", "chief", "party")
        row = svc.store.violation_row(violation_id)
        if row is not None and not _may_read_violation(svc, user, row):
            row = None
        day = svc.store.day_row(row["day"]) if row is not None and row["day"] else None
        if row is None or day is None or day["head"] is None:
            raise HTTPException(404, f"no signed violation {violation_id!r} visible to you")
        head = SignedTreeHead.from_dict(day["head"])
        bundle = svc.ledger.prove(violation_id, head)
        request.state.returned = 1
        return bundle

    # ── the live stream ────────────────────────────────────────────────────
    @router.get(
        "/stream",
        response_class=StreamingResponse,
        responses={
            200: {"content": {"text/event-stream": {}}, "description": "server-sent events"}
        },
    )
    async def stream(request: Request, user: User) -> StreamingResponse:
        """Server-sent events `violation` and `escalation` (GeoJSON feature / notice)
        as days are processed, limited to the user's sectors (analysts, the chief)."""
        user.require("analyst", "chief")
        request.state.returned = 0
        return StreamingResponse(
            svc.broadcast.events(user, request.is_disconnected),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store"},
        )

    @router.get("/mandate")
    def mandate_map(request: Request, user: User) -> dict[str, Any]:
        """The mandate's geography (contact line, reference lines, zones, sectors)
        as a GeoJSON FeatureCollection, with its parties, rules and sector ids: the
        mandate is the mission's public document, so every role may read it."""
        request.state.returned = 1
        return layers

    @router.get("/patrol")
    def patrol_routes(request: Request, user: User) -> dict[str, Any]:
        """The drone sorties of the plan the service was given (`serve --patrol`) as
        GeoJSON LineStrings with their times: the mission's own plan, the chief's."""
        user.require("chief")
        if routes is None:
            raise HTTPException(404, "no patrol plan; start the service with --patrol DIR")
        request.state.returned = len(routes["features"])
        return routes

    @router.get("/me", response_model=m.Me)
    def me(request: Request, user: User) -> m.Me:
        """Who the token belongs to."""
        request.state.returned = 1
        return m.Me(name=user.name, role=user.role, sectors=list(user.sectors), party=user.party)

    app.include_router(router)
    # the dashboard: built assets only (ceasefire.web), no request leaves the server
    app.mount("/", StaticFiles(directory=str(WEB_DIR), html=True), name="web")
    return app


# ── helpers (plain functions, so the routes stay short) ─────────────────────
#: Years a reporting day may fall in.
DAY_YEARS = (1970, 2200)


#: The dashboard's files (``make web`` builds the third-party part).
WEB_DIR = Path(__file__).resolve().parents[1] / "web" / "static"


def _announce(svc: _Service, v: Violation, day: date) -> None:
    """A violation on ``/stream``: its GeoJSON feature with its reporting day, as
    GET /violations gives it."""
    feat = violation_feature(v)
    feat["properties"]["day"] = day.isoformat()
    svc.broadcast.publish("violation", v.sector, feat)


async def _relay_violations(svc: _Service) -> None:
    """The live workers' announcements (``<prefix>.violations``) to ``/stream``."""
    async for data in svc.bus.violations(from_start=False):
        v = violation_from_dict(json.loads(data))
        _announce(svc, v, day_of(svc.mandate, v.time_s))


async def _relay_escalations(svc: _Service) -> None:
    """The live workers' escalation notices (``<prefix>.escalations``) to ``/stream``."""
    async for data in svc.bus.escalations(from_start=False):
        body = json.loads(data)
        _announce_escalation(svc, escalation_from_dict(body), bool(body.get("withdrawn")))


def _announce_escalation(svc: _Service, x: Escalation, withdrawn: bool = False) -> None:
    """An escalation notice on ``/stream`` (the sector's readers), its time in ISO
    8601; a notice a worker withdrew (docs/live.md) carries ``withdrawn: true``."""
    d = to_dict(x)
    d["time"] = iso(d.pop("time_s"))
    if withdrawn:
        d["withdrawn"] = True
    svc.broadcast.publish("escalation", x.sector, d)


def _intervention(r: dict[str, Any]) -> m.Intervention:
    def at(t: float | None) -> str | None:
        return iso(t) if t is not None else None

    return m.Intervention(
        id=r["id"],
        to=r["to"],
        line=r["line"],
        party=r["party"],
        sector=r["sector"],
        issued=at(r["issued_s"]) or "",
        deadline=at(r["deadline_s"]) or "",
        state=r["state"],
        acks=[{"by": a["by"], "time": at(a["time_s"])} for a in r["acks"]],
        outcome=None
        if r["outcome"] is None
        else {
            "outcome": r["outcome"]["outcome"],
            "by": r["outcome"]["by"],
            "time": at(r["outcome"]["time_s"]),
        },
    )


def _day_ok(day: date, where: str) -> date:
    if not DAY_YEARS[0] <= day.year <= DAY_YEARS[1]:
        raise RequestValidationError(
            [
                {
                    "loc": (where, "day"),
                    "msg": f"found {day}; expected a day in {DAY_YEARS[0]}-{DAY_YEARS[1]}",
                    "type": "day",
                }
            ]
        )
    return day


def _bbox(text: str) -> tuple[float, float, float, float]:
    parts = text.split(",")
    expected = "expected lon_min,lat_min,lon_max,lat_max in degrees"
    try:
        x0, y0, x1, y1 = (float(p) for p in parts)
    except ValueError:
        raise RequestValidationError(
            [{"loc": ("query", "bbox"), "msg": f"found {text[:60]!r}; {expected}", "type": "bbox"}]
        ) from None
    ok = -180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90
    if not ok:
        raise RequestValidationError(
            [
                {
                    "loc": ("query", "bbox"),
                    "msg": f"found {text[:60]!r}; {expected}, min <= max, within ±180, ±90",
                    "type": "bbox",
                }
            ]
        )
    return x0, y0, x1, y1


async def _read_body(request: Request) -> bytes:
    size = int(request.headers.get("content-length") or 0)
    if size > MAX_BODY_BYTES:
        raise HTTPException(413, f"body of {size} bytes; expected at most {MAX_BODY_BYTES}")
    chunks = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > MAX_BODY_BYTES:
            raise HTTPException(413, f"body over {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _records(body: bytes, ctype: str, label: str) -> list[RawRecord]:
    """The body's records, read by the same readers as `ceasefire ingest`."""
    if ctype == "application/json":
        try:
            doc = json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise InputError(
                f"body is not JSON ({exc}); expected an array of observations"
            ) from exc
        if isinstance(doc, dict) and doc.get("type") == "FeatureCollection":
            return _via_file(body, ".geojson", label)
        items = doc if isinstance(doc, list) else [doc]
        out = []
        for i, item in enumerate(items, start=1):
            raw = json.dumps(item, ensure_ascii=False)
            if isinstance(item, dict):
                out.append(RawRecord(label, i, raw, item))
            else:
                out.append(
                    RawRecord(
                        label, i, raw, None, f"expected a JSON object, found {type(item).__name__}"
                    )
                )
        return out
    suffix = _BODY_FORMATS.get(ctype)
    if suffix is None:
        raise HTTPException(
            415,
            f"content type {ctype or 'none'!r}; expected application/json, "
            "application/x-ndjson, application/geo+json or text/csv",
        )
    return _via_file(body, suffix, label)


def _via_file(body: bytes, suffix: str, label: str) -> list[RawRecord]:
    with tempfile.TemporaryDirectory(prefix="cf-post-") as d:
        path = Path(d) / f"body{suffix}"
        path.write_bytes(body)
        try:
            return [replace(r, file=label) for r in read_records(path)]
        except InputError as exc:
            raise InputError(exc.reason, file=label, line=exc.line, field=exc.field) from exc


def _escalation(row: dict[str, Any]) -> m.Escalation:
    d = to_dict(escalation_from_dict(json.loads(row["body"])))
    d["time"] = iso(d.pop("time_s"))
    d["day"] = row["day"]
    return m.Escalation.model_validate(d)


def _may_read_violation(svc: _Service, user: Principal, row: dict[str, Any]) -> bool:
    if user.role == "chief":
        return True
    if user.role == "analyst":
        return row["sector"] in user.sectors
    if user.role == "party":
        return row["day"] in svc.store.published_days()
    return False


def _process(svc: _Service, day: date, pdf: bool) -> m.ProcessResponse:
    store, mandate = svc.store, svc.mandate
    n_obs, events = pipeline.fuse_day(store, mandate, day)
    violations, escalations, _notes = pipeline.assess_day(store, mandate, day, events)
    start, end = day_bounds(mandate, day)
    head = pipeline.ledger_day(
        svc.ledger,
        day,
        end,
        store.observation_models(start, end + pipeline.LATE_MARGIN_S),
        violations,
        escalations,
    )
    with tempfile.TemporaryDirectory(prefix="cf-report-") as tmp:
        paths = pipeline.report_day(store, mandate, day, Path(tmp), head=head, pdf=pdf)
        # the public variants leave the observers out; "internal" draws them (the chief's)
        for key, fmt in (("html", "html"), ("pdf", "pdf"), ("internal_html", "internal")):
            if key in paths:
                store.put_report(day.isoformat(), fmt, paths[key].read_bytes())
    store.mark_processed(day.isoformat(), head)
    for v in violations:
        _announce(svc, v, day)
    for x in escalations:
        _announce_escalation(svc, x)
    return m.ProcessResponse(
        day=day.isoformat(),
        observations=n_obs,
        events=len(events),
        violations=len(violations),
        escalations=len(escalations),
        ledger_head=head,
    )
