"""The inbox page (/notices) and the duty rota page (/notices/duty)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web
from sqlalchemy import select

from callcenter.tickets import duty
from callcenter.web import keys
from callcenter.web.auth.roles import Perm
from callcenter.web.auth.session import now, requires
from callcenter.web.endpoints import record_id
from callcenter.web.errors import BadRequest
from callcenter.web.models import User
from callcenter.web.notices.api import add_shift, inbox_page, read_notices, rota_json
from callcenter.web.notices.schemas import ShiftIn
from callcenter.web.render import page

routes = web.RouteTableDef()


def _int(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isascii() and raw.isdigit() and len(raw) < 19 else None


@routes.get("/notices", name="notices")
@requires(Perm.LOGGED_IN)
@page("notices.html")
async def notices_page(request: web.Request) -> dict[str, Any]:
    unread_only = request.query.get("unread", "") == "1"
    data = await inbox_page(request, unread_only=unread_only, case_id=_int(request.query.get("case")),
                            before=_int(request.query.get("before")))  # fmt: skip
    return {**data, "unread_only": unread_only}


@routes.post("/notices/read", name="notices_read")
@requires(Perm.LOGGED_IN)
async def notices_read(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    ids = [i for i in (_int(str(v)) for v in form.getall("id", [])) if i is not None]
    everything = form.get("all") == "1"
    if not ids and not everything:
        raise BadRequest("id: name a notice", field="id")
    await read_notices(request, ids, everything)
    back = str(form.get("back", "/notices"))
    raise web.HTTPSeeOther(back if back.startswith("/notices") else "/notices")


@routes.get("/notices/duty", name="duty")
@requires(Perm.SUPERVISE)
@page("duty.html")
async def duty_page(request: web.Request) -> dict[str, Any]:
    rota = await rota_json(request)
    async with request.app[keys.READS]() as db:
        clerks = (await db.execute(select(User.username, User.display_name)
                                   .where(User.role == "clerk", User.active.is_(True)).order_by(User.username))).all()  # fmt: skip
    local = now(request).astimezone(request.app[keys.CONFIG].tz)
    return {**rota, "clerks": clerks, "default_from": local.strftime("%Y-%m-%dT%H:00"),
            "default_to": (local + dt.timedelta(hours=12)).strftime("%Y-%m-%dT%H:00"),
            "saved": request.query.get("saved") == "1"}  # fmt: skip


def _local_time(raw: str, request: web.Request, name: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(raw.strip())
    except ValueError:
        raise BadRequest(f"{name}: a date and time", field=name) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=request.app[keys.CONFIG].tz)


@routes.post("/notices/duty", name="duty_add")
@requires(Perm.SUPERVISE)
async def duty_add(request: web.Request) -> web.StreamResponse:
    form = {k: str(v) for k, v in (await request.post()).items()}
    try:
        body = ShiftIn(username=form.get("username", ""), starts_at=_local_time(form.get("starts_at", ""), request,
                       "starts_at"), ends_at=_local_time(form.get("ends_at", ""), request, "ends_at"),
                       note=form.get("note", ""))  # fmt: skip
    except ValueError as exc:
        raise BadRequest(str(exc).splitlines()[0]) from None
    await add_shift(request, body)
    raise web.HTTPSeeOther("/notices/duty?saved=1")


@routes.post(r"/notices/duty/{shift_id:\d+}/delete", name="duty_delete")
@requires(Perm.SUPERVISE)
async def duty_delete(request: web.Request) -> web.StreamResponse:
    from callcenter.web.auth.session import current_user

    shift_id = record_id(request, "shift_id", "no such shift")
    user = await current_user(request)
    assert user is not None
    async with request.app[keys.SESSIONS]() as db, db.begin():
        await duty.remove_shift(db, shift_id, actor=user.username, now=now(request))
    raise web.HTTPSeeOther("/notices/duty?saved=1")
