"""Supervision pages: the dashboard (overdue and due soon by station and person, charts), the
notifications sent (outbox), and the audit trail of any record with the chain's status."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from markupsafe import Markup
from sqlalchemy import func, select

from callcenter.tickets.controls import refusal
from callcenter.tickets.delivery import list_outbox
from callcenter.tickets.models import AuditEntry, Case, NoticeRead
from callcenter.web import keys
from callcenter.web.endpoints import MAX_ID
from callcenter.web.supervision import charts
from callcenter.web.supervision import stats
from callcenter.web.supervision import overview as supervision
from callcenter.web.audit import export
from callcenter.web.audit.view import ENTITIES, Filters, entries
from callcenter.web.audit.words import action_choices, reason_text
from callcenter.web.auth.session import now, requires
from callcenter.web.cases.query import int_arg
from callcenter.web.errors import BadRequest
from callcenter.web.i18n import translator
from callcenter.web.notices.backlog import backlog
from callcenter.web.present import names_of
from callcenter.web.render import page
from callcenter.web.auth.roles import Perm
from callcenter.web.scope import audit_clause, outbox_clause, request_scope, visible

routes = web.RouteTableDef()
OUTBOX_PAGE = 100
ROLES = ("station", "office_head", "clerk", "duty", "department_head", "manager", "property_office")
COLOURS = {"answered": "c-answered", "abandoned": "c-abandoned", "voicemail": "c-voicemail", "busy": "c-busy",
           "failed": "c-failed", "open": "c-failed"}  # fmt: skip


def chart_set(lang: str, calls: stats.CallStats, weeks: list[stats.WeekRates]) -> dict[str, Markup]:
    """The dashboard's five charts as inline SVG."""
    _ = translator(lang)
    # every outcome the call log knows, always (a zero has its place in the legend), and calls
    # still in progress when there are any: the shares are of all the calls counted
    outcomes = [*stats.OUTCOMES, *(["open"] if calls.totals.get("open") else [])]
    shares = charts.percentages([calls.totals.get(o, 0) for o in outcomes])  # they add up to 100
    days = list(calls.by_day)
    per_day = [charts.Series(_.word("disp", o), [calls.by_day[d][o] for d in days], COLOURS[o]) for o in outcomes]
    per_hour = [charts.Series(_.word("disp", o), [h[o] for h in calls.by_hour], COLOURS[o]) for o in outcomes]
    week_labels = [w.week.strftime("%m-%d") for w in weeks]
    on_time = [charts.Series(_("On-time rate"), [w.on_time_rate for w in weeks], "c-rate")]
    callback = [charts.Series(_("Callback rate"), [w.callback_rate for w in weeks], "c-rate2")]
    return {
        "per_day": charts.bar_chart(_("Calls per day"), [d.strftime("%m-%d") for d in days], per_day,
                                    label_every=max(1, len(days) // 14)),
        "per_hour": charts.bar_chart(_("Calls by hour of day"), [f"{h:02d}" for h in range(24)], per_hour, label_every=2),
        "share": charts.share_bar(_("Call outcomes (answered / abandoned / voicemail / busy / failed)"),
                                  [(_.word("disp", o), calls.totals.get(o, 0), COLOURS[o]) for o in outcomes]),
        "legend": charts.legend([(f"{_.word('disp', o)} {calls.totals.get(o, 0)} · {share:.0f}%", COLOURS[o])
                                 for o, share in zip(outcomes, shares, strict=True)]),
        "on_time": charts.bar_chart(_("On-time rate"), week_labels, on_time, unit="%", top=100, target=100, height=150),
        "callback": charts.bar_chart(_("Callback rate"), week_labels, callback, unit="%", top=100, target=100,
                                     height=150),
    }  # fmt: skip


async def dashboard(request: web.Request) -> dict[str, Any]:
    tz, moment = request.app[keys.CONFIG].tz, now(request)
    period = stats.parse_period(request.query, moment.astimezone(tz).date())
    where = (await request_scope(request)).clause()  # an office head: its office's cases
    async with request.app[keys.READS]() as db:
        seen = await supervision.overview(db, moment, where)
        calls = await stats.call_stats(db, period, tz)
        weeks = await stats.week_rates(db, period, tz)
        piled = await backlog(db, moment, webhook=bool(request.app[keys.CONFIG].webhook_url))
    names = await names_of(request)
    return {"stations": seen.stations, "persons": seen.persons, "late": seen.late, "soon": seen.soon,
            "calls": calls, "weeks": weeks, "backlog": piled,
            "units": names.units, "people": names.people, "period": period, "now": moment}  # fmt: skip


@routes.get("/supervision", name="supervision")
@requires(Perm.SUPERVISE)
@page("supervision.html")
async def supervision_page(request: web.Request) -> dict[str, Any]:
    context = await dashboard(request)
    context["charts"] = chart_set(request[keys.LANG], context["calls"], context["weeks"])
    return context


def outbox_filters(query: Mapping[str, str]) -> dict[str, Any]:
    role = query.get("role", "").strip() or None
    if role is not None and role not in ROLES:
        raise BadRequest(f"role: one of {', '.join(ROLES)}", field="role")
    return {"role": role, "case_id": int_arg(query, "case"), "before_id": int_arg(query, "before"),
            "include_held": query.get("held", "1") == "1"}  # fmt: skip


@routes.get("/supervision/outbox", name="outbox")
@requires(Perm.SUPERVISE)
@page("outbox.html")
async def outbox_page(request: web.Request) -> dict[str, Any]:
    filters, moment = outbox_filters(request.query), now(request)
    where = outbox_clause(await request_scope(request))
    async with request.app[keys.READS]() as db:
        rows = await list_outbox(db, now=moment, limit=OUTBOX_PAGE + 1, where=where, **filters)
        reads = dict((await db.execute(select(NoticeRead.outbox_id, func.count()).where(
            NoticeRead.outbox_id.in_([r.id for r in rows])).group_by(NoticeRead.outbox_id))).all())  # fmt: skip
    names = (await names_of(request)).actors
    more = len(rows) > OUTBOX_PAGE
    rows = rows[:OUTBOX_PAGE]
    args = {k: v for k, v in request.query.items() if k != "before"}
    next_url = str(request.rel_url.with_query({**args, "before": str(rows[-1].id)})) if more and rows else None
    return {"rows": rows, "filters": filters, "roles": ROLES, "names": names, "next_url": next_url, "now": moment,
            "reads": reads, "webhook": bool(request.app[keys.CONFIG].webhook_url)}  # fmt: skip


async def scoped_entries(request: web.Request, entity: str | None, entity_id: str | None,
                         filters: Filters | None = None, limit: int = 100) -> list[AuditEntry]:  # fmt: skip
    """The audit rows the user may read: a case out of their scope is *not found*; the latest
    changes leave out the cases they do not see."""
    scope = await request_scope(request)
    async with request.app[keys.READS]() as db:
        if entity == "case" and entity_id and scope.limited:
            case = await db.get(Case, int(entity_id)) if entity_id.isdigit() and int(entity_id) <= MAX_ID else None
            visible(scope, case)
        return await entries(db, entity=entity, entity_id=entity_id, before=int_arg(request.query, "before"),
                             where=audit_clause(scope), filters=filters, limit=limit)  # fmt: skip


def audit_query(request: web.Request) -> tuple[str | None, str | None, Filters]:
    """``entity``/``id`` (``case=N`` is short for entity=case&id=N), ``from``/``to`` (local days,
    inclusive), ``actor``, ``action`` (a reason code: a workflow action, ``created`` …)."""
    q = request.query
    entity = q.get("entity", "").strip() or None
    entity_id = q.get("id", "").strip()[:64] or None
    case = q.get("case", "").strip()
    if case:
        if not (case.isascii() and case.isdigit()):
            raise BadRequest("case: a case number", field="case")
        entity, entity_id = "case", case
    if entity is not None and entity not in ENTITIES:
        raise BadRequest(f"entity: one of {', '.join(ENTITIES)}", field="entity")
    tz = request.app[keys.CONFIG].tz
    bounds = []
    for name, shift in (("from", 0), ("to", 1)):
        raw = q.get(name, "").strip()
        try:
            day = dt.date.fromisoformat(raw) if raw else None
        except ValueError:
            raise BadRequest(f"{name}: a day, YYYY-MM-DD", field=name) from None
        bounds.append(None if day is None else dt.datetime.combine(day + dt.timedelta(days=shift), dt.time(), tz))
    action = q.get("action", "").strip() or None
    if action is not None and action not in dict(action_choices("zh")):
        raise BadRequest("action: one of the recorded actions", field="action")
    actor = q.get("actor", "").strip()[:64] or None
    if actor is not None and refusal("actor", actor):
        raise BadRequest(refusal("actor", actor) or "", field="actor")
    return entity, entity_id, Filters(since=bounds[0], until=bounds[1], actor=actor, action=action)


@routes.get("/audit", name="audit")
@requires(Perm.SUPERVISE)
@page("audit.html")
async def audit_page(request: web.Request) -> dict[str, Any]:
    entity, entity_id, filters = audit_query(request)
    fresh = request.query.get("verify") == "1"
    rows = await scoped_entries(request, entity, entity_id, filters)
    snapshot = await names_of(request)
    names, units, people = snapshot.actors, snapshot.units, snapshot.people
    checked = await request.app[keys.AUDIT].get(request.app[keys.READS], now(request), fresh=fresh)
    lang = request[keys.LANG]
    return {"rows": rows, "entity": entity, "entity_id": entity_id, "entities": ENTITIES, "names": names,
            "checked": checked, "one": bool(entity and entity_id), "units": units, "people": people,
            "filters": filters, "q": request.query, "actions": action_choices(lang),
            "reason_text": lambda r: reason_text(r, lang),
            "export_query": urlencode({k: v for k, v in request.query.items() if k not in ("before", "verify")})}  # fmt: skip


EXPORT_LIMIT = 10_000
EXPORT_TYPES = {"csv": "text/csv; charset=utf-8",
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@routes.get("/audit/export", name="audit_export")
@requires(Perm.SUPERVISE)
async def audit_export(request: web.Request) -> web.StreamResponse:
    """The filtered audit trail as CSV or Excel (at most EXPORT_LIMIT rows, newest first)."""
    fmt = request.query.get("format", "xlsx")
    if fmt not in EXPORT_TYPES:
        raise BadRequest("format: csv or xlsx", field="format")
    entity, entity_id, filters = audit_query(request)
    rows = await scoped_entries(request, entity, entity_id, filters, limit=EXPORT_LIMIT)
    lang = request[keys.LANG]
    snapshot = await names_of(request)
    ids = {**{("unit", u.id): (u.name_en if lang == "en" and u.name_en else u.name_zh) for u in snapshot.units.values()},
           **{("person", p.id): p.name for p in snapshot.people.values()}}  # fmt: skip
    table = export.table(rows, tz=request.app[keys.CONFIG].tz, lang=lang, names=snapshot.actors, ids=ids,
                         _=translator(lang))  # fmt: skip
    title = translator(lang).gettext("Audit trail")
    body = export.to_csv(table) if fmt == "csv" else await asyncio.to_thread(export.to_xlsx, table, title)
    stamp = now(request).astimezone(request.app[keys.CONFIG].tz).strftime("%Y%m%d-%H%M")
    return web.Response(body=body, headers={"Content-Type": EXPORT_TYPES[fmt],
                                            "Content-Disposition": f'attachment; filename="audit-{stamp}.{fmt}"'})  # fmt: skip
