"""The JSON API of supervision: overdue and due soon by station and person, the outbox, the
audit trail; each route declared once (:mod:`callcenter.web.endpoints`)."""

from __future__ import annotations

from typing import Any, Literal
from zoneinfo import ZoneInfo

from aiohttp import web
from pydantic import Field

from callcenter.tickets.delivery import list_outbox
from callcenter.web import keys
from callcenter.web.supervision import overview as supervision
from callcenter.web.audit.view import ENTITIES, Checked, row_json
from callcenter.web.auth.session import now
from callcenter.web.endpoints import Endpoints, Id, Params, line
from callcenter.web.present import iso
from callcenter.web.auth.roles import Perm
from callcenter.web.scope import outbox_clause, request_scope
from callcenter.web.supervision.pages import OUTBOX_PAGE, ROLES, outbox_filters, scoped_entries

api = Endpoints()
routes = api.routes
AuditEntity = Literal[ENTITIES]  # type: ignore[valid-type]
RoleName = Literal[ROLES]  # type: ignore[valid-type]


class OutboxQuery(Params):
    role: RoleName | None = Field(None, description="recipient role")
    case: Id | None = Field(None, description="case id")
    held: Literal["0", "1"] = Field("1", description="1 (default): include those held for office hours")
    before: Id | None = Field(None, description="next_before of the previous page")


class AuditQuery(Params):
    entity: AuditEntity | None = Field(None, description="record type")
    id: line(64) | None = Field(None, description="record id")
    before: Id | None = Field(None, description="sequence number: older than this")


def _tally(t: supervision.Tally) -> dict[str, Any]:
    return {"id": t.key, "station_id": t.station_id, "running": t.running, "overdue": t.overdue, "due_soon": t.soon}


def _clock(c: supervision.LateClock, tz: ZoneInfo) -> dict[str, Any]:
    return {"case_id": c.case_id, "kind": c.kind, "state": c.state, "rule_id": c.rule_id, "due_at": iso(c.due_at, tz),
            "station_id": c.station_id, "responsible_person_id": c.person_id, "level": c.level}  # fmt: skip


@api.get("/api/supervision", Perm.SUPERVISE)
async def supervision_overview(request: web.Request) -> dict[str, Any]:
    """overdue and due-soon cases by station and person"""
    tz, moment = request.app[keys.CONFIG].tz, now(request)
    where = (await request_scope(request)).clause()  # an office head: its office's cases
    async with request.app[keys.READS]() as db:
        seen = await supervision.overview(db, moment, where)
    return {
        "at": iso(moment, tz), "due_soon_hours": supervision.SOON.total_seconds() / 3600,
        "by_station": [_tally(t) for t in seen.stations], "by_person": [_tally(t) for t in seen.persons],
        "overdue": [_clock(c, tz) for c in seen.late], "due_soon": [_clock(c, tz) for c in seen.soon],
    }  # fmt: skip


@api.get("/api/outbox", Perm.SUPERVISE, query=OutboxQuery)
async def outbox(request: web.Request, query: OutboxQuery) -> dict[str, Any]:
    """notifications, newest first"""
    tz, moment = request.app[keys.CONFIG].tz, now(request)
    where = outbox_clause(await request_scope(request))
    async with request.app[keys.READS]() as db:
        rows = await list_outbox(db, now=moment, limit=OUTBOX_PAGE + 1, where=where, **outbox_filters(request.query))
    more, rows = len(rows) > OUTBOX_PAGE, rows[:OUTBOX_PAGE]
    items = [{"id": n.id, "case_id": n.case_id, "kind": n.kind, "level": n.level, "recipient_role": n.recipient_role,
              "recipient": n.recipient, "text_zh": n.text_zh, "text_en": n.text_en, "created_at": iso(n.created_at, tz),
              "deliver_at": iso(n.deliver_at, tz), "sent_at": iso(n.sent_at, tz), "attempts": n.attempts,
              "last_error": n.last_error} for n in rows]  # fmt: skip
    return {"items": items, "next_before": rows[-1].id if more and rows else None}


def chain_json(checked: Checked, tz: ZoneInfo) -> dict[str, Any]:
    v = checked.verdict
    return {"ok": v.ok, "rows": v.rows, "broken_at": v.broken_at, "message": v.message,
            "checked_at": iso(checked.at, tz)}  # fmt: skip


@api.get("/api/audit", Perm.SUPERVISE, query=AuditQuery)
async def audit_trail(request: web.Request, query: AuditQuery) -> dict[str, Any]:
    """one record's changes (entity+id) or the latest changes, and the chain's state"""
    tz = request.app[keys.CONFIG].tz
    rows = await scoped_entries(request, query.entity, (query.id or "").strip() or None)
    checked = await request.app[keys.AUDIT].get(request.app[keys.READS], now(request))
    return {"items": [row_json(r, iso(r.at, tz)) for r in rows], "chain": chain_json(checked, tz)}


@api.get("/api/audit/verify", Perm.SUPERVISE)
async def verify_audit(request: web.Request) -> dict[str, Any]:
    """verify the keyed chain now"""
    checked = await request.app[keys.AUDIT].get(request.app[keys.READS], now(request), fresh=True)
    return chain_json(checked, request.app[keys.CONFIG].tz)
