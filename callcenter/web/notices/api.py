"""The JSON API of the inbox and the duty rota, declared once (:mod:`callcenter.web.endpoints`)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import select

from callcenter.tickets import duty
from callcenter.tickets.errors import InvalidInput
from callcenter.tickets.models import Outbox
from callcenter.web import keys
from callcenter.web.auth.roles import Perm
from callcenter.web.auth.session import current_user, now
from callcenter.web.endpoints import Endpoints
from callcenter.web.errors import BadRequest, NotAuthenticated, NotFound
from callcenter.web.models import User
from callcenter.web.notices import inbox
from callcenter.web.notices.schemas import InboxPage, InboxQuery, ReadIn, Rota, ShiftIn, ShiftPath, Unread
from callcenter.web.notices.schemas import Shift as ShiftOut
from callcenter.web.present import iso
from callcenter.web.scope import case_scope

api = Endpoints()
routes = api.routes
PAGE = 50


async def _user(request: web.Request) -> User:
    user = await current_user(request)
    if user is None:
        raise NotAuthenticated()
    return user


def notice_json(row: Outbox, read: bool, lang: str, request: web.Request) -> dict[str, Any]:
    tz = request.app[keys.CONFIG].tz
    return {"id": row.id, "case_id": row.case_id, "url": f"/cases/{row.case_id}" if row.case_id else None,
            "kind": row.kind, "recipient_role": row.recipient_role, "recipient": row.recipient,
            "text": row.text_en if lang == "en" else row.text_zh, "text_zh": row.text_zh, "text_en": row.text_en,
            "delivered_at": iso(row.deliver_at, tz), "read": read}  # fmt: skip


async def inbox_page(request: web.Request, *, unread_only: bool, case_id: int | None,
                     before: int | None) -> dict[str, Any]:  # fmt: skip
    user, moment = await _user(request), now(request)
    async with request.app[keys.READS]() as db:
        scope = await case_scope(db, user)
        rows = await inbox.list_inbox(db, user, scope, now=moment, unread_only=unread_only, case_id=case_id,
                                      before_id=before, limit=PAGE + 1)  # fmt: skip
        unread = await inbox.unread_count(db, user, scope, moment)
    more, rows = len(rows) > PAGE, rows[:PAGE]
    return {"items": [notice_json(r, read, request[keys.LANG], request) for r, read in rows], "unread": unread,
            "next_before": rows[-1][0].id if more and rows else None}  # fmt: skip


@api.get("/api/notices", Perm.LOGGED_IN, query=InboxQuery, response=InboxPage)
async def list_notices(request: web.Request, query: InboxQuery) -> dict[str, Any]:
    """your notification inbox (通知): what is addressed to you and to your role, newest first"""
    return await inbox_page(request, unread_only=(query.unread or "") in ("1", "true", "on", "yes"),
                            case_id=query.case, before=query.before)  # fmt: skip


async def read_notices(request: web.Request, ids: list[int], everything: bool) -> int:
    user, moment = await _user(request), now(request)
    async with request.app[keys.SESSIONS]() as db, db.begin():
        scope = await case_scope(db, user)
        if everything:
            rows = await inbox.list_inbox(db, user, scope, now=moment, unread_only=True, limit=10_000)
            ids = [r.id for r, _ in rows]
        else:
            found = await inbox.readable_ids(db, user, scope, ids, moment)
            if len(set(found)) != len(set(ids)):
                raise NotFound("no such notice in your inbox", field="ids")
        await inbox.mark_read(db, user.username, ids, moment)
        return await inbox.unread_count(db, user, scope, moment)


@api.post("/api/notices/read", Perm.LOGGED_IN, body=ReadIn, response=Unread)
async def mark_read(request: web.Request, body: ReadIn) -> dict[str, Any]:
    """mark notices of your inbox read (ids, or all: true); marking twice is harmless"""
    return {"unread": await read_notices(request, list(body.ids), body.all)}


async def rota_json(request: web.Request) -> dict[str, Any]:
    tz, moment = request.app[keys.CONFIG].tz, now(request)
    async with request.app[keys.READS]() as db:
        shifts = await duty.list_shifts(db, since=moment)
        current = await duty.on_duty(db, moment)
        names = dict((await db.execute(select(User.username, User.display_name))).all())
    return {"on_duty": current, "shifts": [
        {"id": s.id, "username": s.username, "display_name": names.get(s.username) or s.username,
         "starts_at": iso(s.starts_at, tz), "ends_at": iso(s.ends_at, tz), "note": s.note} for s in shifts]}  # fmt: skip


@api.get("/api/duty", Perm.SUPERVISE, response=Rota)
async def get_rota(request: web.Request) -> dict[str, Any]:
    """the duty rota (值班表): who is on duty now and the shifts to come"""
    return await rota_json(request)


async def add_shift(request: web.Request, body: ShiftIn) -> duty.Shift:
    user = await _user(request)
    async with request.app[keys.SESSIONS]() as db, db.begin():
        account = await db.scalar(select(User).where(User.username == body.username.strip()))
        if account is None or not account.active or account.role != "clerk":
            raise BadRequest("username: an active hotline account (专线员 / 值班人员)", field="username")
        try:
            return await duty.add_shift(db, body.username, body.starts_at, body.ends_at, note=body.note,
                                        actor=user.username, now=now(request))  # fmt: skip
        except InvalidInput as exc:
            raise BadRequest(exc.message, field=exc.message.split(":")[0]) from None


@api.post("/api/duty", Perm.SUPERVISE, body=ShiftIn, response=ShiftOut, status=201)
async def post_shift(request: web.Request, body: ShiftIn) -> dict[str, Any]:
    """put a hotline account on duty from starts_at to ends_at (audited)"""
    shift = await add_shift(request, body)
    tz = request.app[keys.CONFIG].tz
    return {"id": shift.id, "username": shift.username, "display_name": shift.username,
            "starts_at": iso(shift.starts_at, tz), "ends_at": iso(shift.ends_at, tz), "note": shift.note}  # fmt: skip


@api.delete(r"/api/duty/{shift_id:\d+}", Perm.SUPERVISE, path=ShiftPath, response=Rota)
async def delete_shift(request: web.Request, path: ShiftPath) -> dict[str, Any]:
    """remove a shift from the rota (audited)"""
    user = await _user(request)
    async with request.app[keys.SESSIONS]() as db, db.begin():
        await duty.remove_shift(db, path.shift_id, actor=user.username, now=now(request))
    return await rota_json(request)
