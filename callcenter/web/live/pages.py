"""The live page and its websocket ``/ws/live``: call state changes from ``LiveFeed``.

On connect the socket sends ``{"type": "snapshot", "calls": [...], "recent": [...]}`` (the
open calls in the database, and today's last :data:`RECENT` ended calls, newest first, in the
same shape as an ``ended`` message: a reload or a reconnect shows them again), then one ``{"type": "call", "change": ..., ...}`` per change (see
``callcenter.live.call_message``; times as ISO 8601 in the panel's time zone, plus
``call_id`` and the clerks' names). If the feed dropped messages for this slow client, a
fresh snapshot follows. The login is checked again every ``REVALIDATE`` seconds: a
revoked session closes the socket (code 4401).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, time
from typing import Any

from aiohttp import web
from sqlalchemy import select

from callcenter.ami.calls import CallState
from callcenter.db.models import Call
from callcenter.live import Subscription, call_message
from callcenter.web import keys
from callcenter.web.live.socket import feed_socket
from callcenter.web.auth.session import current_user, now, requires
from callcenter.web.i18n import for_js
from callcenter.web.live.words import JS_STRINGS
from callcenter.web.present import iso, names_of
from callcenter.web.render import page
from callcenter.web.auth.roles import Perm, allowed

log = logging.getLogger(__name__)
routes = web.RouteTableDef()
CLOSE_SESSION_ENDED = 4401
RECENT = 20  # ended calls the live page lists (live.js keeps as many)


@routes.get("/live", name="live")
@requires(Perm.CALLS_VIEW)
@page("live.html")
async def live_page(request: web.Request) -> dict[str, Any]:
    user = await current_user(request)
    return {
        "js_strings": for_js(request[keys.LANG], JS_STRINGS),
        "can_edit": user is not None and allowed(user.role, Perm.CALLS_EDIT),
        "can_create": user is not None and allowed(user.role, Perm.CASES_CREATE),
    }  # fmt: skip


def _localise(message: dict[str, Any], request: web.Request, clerks: dict[str, str]) -> dict[str, Any]:
    tz = request.app[keys.CONFIG].tz
    out = dict(message)
    started = out.get("started_at")
    if isinstance(started, (int, float)):
        out["started_at"] = datetime.fromtimestamp(started, tz).isoformat()
    out["answered_by_name"] = clerks.get(out.get("answered_by") or "")
    out["ringing_names"] = [clerks.get(ext, ext) for ext in out.get("ringing", [])]
    return out


async def snapshot(request: web.Request) -> tuple[dict[str, Any], dict[str, str]]:
    async with request.app[keys.READS]() as db:
        rows = (await db.execute(select(Call.id, Call.state).where(Call.status == "open").order_by(Call.id))).all()
    clerks = (await names_of(request)).clerks
    calls = []
    for call_id, state in rows:
        if not state:
            continue
        try:
            message = call_message("open", CallState.from_json(state))
        except (TypeError, KeyError, ValueError):
            log.warning("web: open call %s has an unreadable state", call_id)
            continue
        calls.append({**_localise(message, request, clerks), "call_id": call_id})
    return {"type": "snapshot", "calls": calls, "recent": await recent_calls(request, clerks)}, clerks


async def recent_calls(request: web.Request, clerks: dict[str, str]) -> list[dict[str, Any]]:
    """Today's (the panel's time zone) last :data:`RECENT` ended calls, newest first, as the
    live page's "just ended" rows: the fields of an ``ended`` call message."""
    tz = request.app[keys.CONFIG].tz
    midnight = datetime.combine(now(request).astimezone(tz).date(), time(0), tz)
    stmt = (select(Call).where(Call.status == "ended", Call.started_at >= midnight)
            .order_by(Call.started_at.desc(), Call.id.desc()).limit(RECENT))  # fmt: skip
    async with request.app[keys.READS]() as db:
        rows = (await db.scalars(stmt)).all()
    return [{
        "type": "call", "change": "ended", "linkedid": c.linkedid, "call_id": c.id,
        "caller_number": c.caller_number, "caller_name": c.caller_name, "dialed_number": c.dialed_number,
        "started_at": iso(c.started_at, tz), "answered_by": c.answered_by,
        "answered_by_name": clerks.get(c.answered_by or ""), "ringing": [], "ringing_names": [],
        "transferred_to": list(c.transferred_to or []), "ended": True, "stage": "ended",
        "disposition": c.disposition, "abandon_stage": c.abandon_stage, "voicemail": bool(c.voicemail_path),
    } for c in rows]  # fmt: skip


async def _call_id(request: web.Request, linkedid: str) -> int | None:
    async with request.app[keys.READS]() as db:
        return await db.scalar(select(Call.id).where(Call.linkedid == linkedid).order_by(Call.id.desc()).limit(1))


async def _still_logged_in(request: web.Request) -> bool:
    request.pop(keys.USER, None)
    user = await current_user(request)
    return user is not None and allowed(user.role, Perm.CALLS_VIEW)


async def _pump(request: web.Request, ws: web.WebSocketResponse, sub: Subscription, reader: asyncio.Task[None]) -> None:
    first, clerks = await snapshot(request)
    await ws.send_json(first)
    lost, every = sub.lost, request.app[keys.SETTINGS].ws_revalidate_seconds
    while not ws.closed and not reader.done():
        getter = asyncio.ensure_future(sub.get())
        done, _ = await asyncio.wait({getter, reader}, timeout=every, return_when=asyncio.FIRST_COMPLETED)
        if getter not in done:
            getter.cancel()
            await asyncio.gather(getter, return_exceptions=True)
            if reader not in done and not await _still_logged_in(request):
                await ws.close(code=CLOSE_SESSION_ENDED, message=b"session ended")
            continue
        message = getter.result()
        if sub.lost != lost:
            lost = sub.lost
            fresh, clerks = await snapshot(request)
            await ws.send_json(fresh)
            continue
        out = _localise(message, request, clerks)
        out["call_id"] = await _call_id(request, str(message.get("linkedid", "")))
        await ws.send_json(out)



@routes.get("/ws/live", name="ws_live")
@requires(Perm.CALLS_VIEW)
async def ws_live(request: web.Request) -> web.StreamResponse:
    return await feed_socket(request, _pump, "ws-live")
