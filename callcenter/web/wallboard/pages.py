"""The wallboard page (``/wallboard``; ``?screen=1``: the hotline hall's big screen), its
websocket ``/ws/wallboard``, and the queue reports page with its export.

The socket sends the whole board on connect, then again after every change the live feed
reports (a call started, rang, was answered or ended; a clerk's state changed), at most every
``DEBOUNCE`` seconds, and every ``REFRESH`` seconds anyway (the day rolls over, the login is
checked again: a revoked session closes the socket with 4401).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp import web

from callcenter.web import keys
from callcenter.web.live.socket import feed_socket
from callcenter.web.auth.roles import Perm, allowed
from callcenter.web.auth.session import current_user, requires
from callcenter.web.endpoints import parse_query
from callcenter.web.i18n import for_js, translator
from callcenter.web.wallboard.words import JS_STRINGS
from callcenter.web.render import page
from callcenter.web.wallboard import reports
from callcenter.web.wallboard.api import build_report, current_board
from callcenter.web.wallboard.schemas import ReportQuery

routes = web.RouteTableDef()
DEBOUNCE = 0.25
REFRESH = 15.0
CLOSE_SESSION_ENDED = 4401
FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}  # fmt: skip


@routes.get("/wallboard", name="wallboard")
@requires(Perm.SUPERVISE)
@page("wallboard.html")
async def wallboard_page(request: web.Request) -> dict[str, Any]:
    board = await current_board(request, fresh_after=request.app[keys.WALLBOARD].invalidate())
    return {"board": board, "screen": request.query.get("screen") == "1",
            "js_strings": for_js(request[keys.LANG], JS_STRINGS)}  # fmt: skip


async def _still_allowed(request: web.Request) -> bool:
    request.pop(keys.USER, None)
    user = await current_user(request)
    return user is not None and allowed(user.role, Perm.SUPERVISE)



async def _pump(request: web.Request, ws: web.WebSocketResponse, sub: Any, reader: asyncio.Task[None]) -> None:
    cache = request.app[keys.WALLBOARD]
    await ws.send_json(await current_board(request, fresh_after=cache.invalidate()))
    last_sent = time.monotonic()
    while not ws.closed and not reader.done():
        getter = asyncio.ensure_future(sub.get())
        done, _ = await asyncio.wait({getter, reader}, timeout=REFRESH, return_when=asyncio.FIRST_COMPLETED)
        if getter not in done:
            getter.cancel()
            await asyncio.gather(getter, return_exceptions=True)
            if reader in done:
                return
            if not await _still_allowed(request):
                await ws.close(code=CLOSE_SESSION_ENDED, message=b"session ended")
                return
            await ws.send_json(await current_board(request, fresh_after=cache.invalidate()))
            continue
        if getter.result().get("type") not in ("call", "clerks"):
            continue
        changed = cache.invalidate()
        await asyncio.sleep(max(0.0, DEBOUNCE - (time.monotonic() - last_sent)))
        while not sub.queue.empty():  # everything that arrived meanwhile is in the next board
            sub.queue.get_nowait()
        await ws.send_json(await current_board(request, fresh_after=changed))
        last_sent = time.monotonic()


@routes.get("/ws/wallboard", name="ws_wallboard")
@requires(Perm.SUPERVISE)
async def ws_wallboard(request: web.Request) -> web.StreamResponse:
    return await feed_socket(request, _pump, "ws-wallboard")


@routes.get("/wallboard/reports", name="queue_reports")
@requires(Perm.SUPERVISE)
@page("queue_reports.html")
async def reports_page(request: web.Request) -> dict[str, Any]:
    query = parse_query(ReportQuery, request)
    report = await build_report(request, query)
    _ = translator(request[keys.LANG])
    return {"report": report, "group": query.group, "groups": reports.GROUPS, "columns": reports.COLUMNS,
            "labels": {c: _.message(w) for c, w in reports.LABELS.items()}, "rows": reports.rows(report, query.group, lambda d: _.word("wd", d)),
            "charts": reports.chart_set(report, query.group, _), "wait_labels": reports.kpi.WAIT_LABELS}  # fmt: skip


@routes.get("/wallboard/reports/export", name="queue_reports_export")
@requires(Perm.SUPERVISE)
async def reports_export(request: web.Request) -> web.Response:
    fmt = request.query.get("format", "xlsx")
    if fmt not in FORMATS:
        from callcenter.web.errors import BadRequest

        raise BadRequest(f"format: one of {', '.join(FORMATS)}", field="format")
    query = parse_query(ReportQuery, request)
    report = await build_report(request, query)
    _ = translator(request[keys.LANG])
    rows = reports.table(report, query.group, _)
    if fmt == "csv":
        body = reports.to_csv(rows)
    else:
        body = await asyncio.to_thread(reports.to_xlsx, rows, _("Queue reports"))
    name = f"queue_{report.period.first}_{report.period.last}_{query.group}.{fmt}"
    return web.Response(body=body, headers={"Content-Type": FORMATS[fmt],
                                            "Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip


