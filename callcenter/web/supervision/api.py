"""The JSON API of supervision (described in ``openapi_admin.py``): overdue and due soon by
station and person, the charts' figures, the outbox, reports R1–R3, the audit trail."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from callcenter.tickets.delivery import list_outbox
from callcenter.web import keys
from callcenter.web.supervision import overview as supervision
from callcenter.web.audit.view import ENTITIES, Checked, row_json
from callcenter.web.auth.session import now, requires
from callcenter.web.errors import BadRequest
from callcenter.web.present import iso
from callcenter.web.auth.roles import Perm
from callcenter.web.scope import outbox_clause, request_scope
from callcenter.web.supervision.pages import OUTBOX_PAGE, outbox_filters, scoped_entries

routes = web.RouteTableDef()


def _tally(t: supervision.Tally) -> dict[str, Any]:
    return {"id": t.key, "station_id": t.station_id, "running": t.running, "overdue": t.overdue, "due_soon": t.soon}


def _clock(c: supervision.LateClock, tz: ZoneInfo) -> dict[str, Any]:
    return {"case_id": c.case_id, "kind": c.kind, "state": c.state, "rule_id": c.rule_id, "due_at": iso(c.due_at, tz),
            "station_id": c.station_id, "responsible_person_id": c.person_id, "level": c.level}  # fmt: skip


@routes.get("/api/supervision")
@requires(Perm.SUPERVISE)
async def api_supervision(request: web.Request) -> web.Response:
    tz, moment = request.app[keys.CONFIG].tz, now(request)
    where = (await request_scope(request)).clause()  # an office head: its office's cases
    async with request.app[keys.READS]() as db:
        seen = await supervision.overview(db, moment, where)
    return web.json_response({
        "at": iso(moment, tz), "due_soon_hours": supervision.SOON.total_seconds() / 3600,
        "by_station": [_tally(t) for t in seen.stations], "by_person": [_tally(t) for t in seen.persons],
        "overdue": [_clock(c, tz) for c in seen.late], "due_soon": [_clock(c, tz) for c in seen.soon],
    })  # fmt: skip


@routes.get("/api/outbox")
@requires(Perm.SUPERVISE)
async def api_outbox(request: web.Request) -> web.Response:
    tz, moment = request.app[keys.CONFIG].tz, now(request)
    where = outbox_clause(await request_scope(request))
    async with request.app[keys.READS]() as db:
        rows = await list_outbox(db, now=moment, limit=OUTBOX_PAGE + 1, where=where, **outbox_filters(request.query))
    more, rows = len(rows) > OUTBOX_PAGE, rows[:OUTBOX_PAGE]
    items = [{"id": n.id, "case_id": n.case_id, "kind": n.kind, "level": n.level, "recipient_role": n.recipient_role,
              "recipient": n.recipient, "text_zh": n.text_zh, "text_en": n.text_en, "created_at": iso(n.created_at, tz),
              "deliver_at": iso(n.deliver_at, tz), "sent_at": iso(n.sent_at, tz), "attempts": n.attempts,
              "last_error": n.last_error} for n in rows]  # fmt: skip
    return web.json_response({"items": items, "next_before": rows[-1].id if more and rows else None})


def chain_json(checked: Checked, tz: ZoneInfo) -> dict[str, Any]:
    v = checked.verdict
    return {"ok": v.ok, "rows": v.rows, "broken_at": v.broken_at, "message": v.message,
            "checked_at": iso(checked.at, tz)}  # fmt: skip


@routes.get("/api/audit")
@requires(Perm.SUPERVISE)
async def api_audit(request: web.Request) -> web.Response:
    tz = request.app[keys.CONFIG].tz
    entity = request.query.get("entity", "").strip() or None
    if entity is not None and entity not in ENTITIES:
        raise BadRequest(f"entity: one of {', '.join(ENTITIES)}", field="entity")
    entity_id = request.query.get("id", "").strip()[:64] or None
    rows = await scoped_entries(request, entity, entity_id)
    checked = await request.app[keys.AUDIT].get(request.app[keys.READS], now(request))
    return web.json_response({"items": [row_json(r, iso(r.at, tz)) for r in rows], "chain": chain_json(checked, tz)})


@routes.get("/api/audit/verify")
@requires(Perm.SUPERVISE)
async def api_audit_verify(request: web.Request) -> web.Response:
    checked = await request.app[keys.AUDIT].get(request.app[keys.READS], now(request), fresh=True)
    return web.json_response(chain_json(checked, request.app[keys.CONFIG].tz))
