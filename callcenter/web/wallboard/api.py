"""The wallboard's and the queue reports' JSON API, declared once (:mod:`callcenter.web.endpoints`)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from callcenter.analytics import kpi
from callcenter.web import keys
from callcenter.web.auth.roles import Perm
from callcenter.web.auth.session import now
from callcenter.web.endpoints import Endpoints
from callcenter.web.present import names_of
from callcenter.web.wallboard import reports
from callcenter.web.wallboard.schemas import ReportOut, ReportQuery, WallboardOut

api = Endpoints()
routes = api.routes


async def current_board(request: web.Request, *, fresh_after: float) -> dict[str, Any]:
    app = request.app
    clerks = (await names_of(request)).clerks
    return await app[keys.WALLBOARD].get(app[keys.READS], now(request), app[keys.CONFIG].tz,
                                         kpi.settings_of(app[keys.CONFIG]), clerks, fresh_after=fresh_after)  # fmt: skip


@api.get("/api/wallboard", Perm.SUPERVISE, response=WallboardOut)
async def wallboard(request: web.Request) -> dict[str, Any]:
    """today's queue figures, callers waiting, clerks by state (what the wallboard shows)"""
    return await current_board(request, fresh_after=request.app[keys.WALLBOARD].invalidate())


async def build_report(request: web.Request, query: ReportQuery) -> kpi.Report:
    config = request.app[keys.CONFIG]
    today = now(request).astimezone(config.tz).date()
    period = reports.period_of(query.date_from, query.date_to, today)
    async with request.app[keys.READS]() as db:
        return await kpi.report(db, period, config.tz, kpi.settings_of(config), cache=request.app[keys.WALLBOARD].past, rollup=True,
                                today=today, store=request.app[keys.SESSIONS])  # fmt: skip


@api.get("/api/queue-report", Perm.SUPERVISE, query=ReportQuery, response=ReportOut)
async def queue_report(request: web.Request, query: ReportQuery) -> dict[str, Any]:
    """queue and clerk figures over a period, by day, hour of day or weekday"""
    return reports.as_json(await build_report(request, query), query.group)
