"""A case's linked calls, grouped (the call it was opened from, repeat calls, second-complaint
calls, calls linked by hand), and a clerk's unlink / move of a wrongly linked call."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import Field

from callcenter.tickets.models import Case
from callcenter.tickets.repeat import move_call, unlink_call
from callcenter.web import keys
from callcenter.web.auth.roles import Perm
from callcenter.web.auth.session import now, requires
from callcenter.web.cases.pages import the_user
from callcenter.web.endpoints import Endpoints, Id, Params, Schema, line, record_id
from callcenter.web.scope import case_scope, visible

api = Endpoints()
routes = api.routes
GROUPS = ("first", "second_complaint", "repeat", "manual")


def grouped(calls: list[Any]) -> list[tuple[str, list[Any]]]:
    """The case's ``case_calls`` rows by reason, in GROUPS order (empty groups left out)."""
    out = [(g, [c for c in calls if c.reason == g]) for g in GROUPS]
    other = [c for c in calls if c.reason not in GROUPS]
    return [(g, cs) for g, cs in out if cs] + ([("other", other)] if other else [])


class LinkPath(Params):
    case_id: Id
    call_id: Id


class MoveIn(Schema):
    to_case: Id = Field(description="the case the call belongs to")
    reason: line(200) = ""


class UnlinkIn(Schema):
    reason: line(200) = ""


class Linked(Schema):
    case_id: int
    call_id: int
    to_case: int | None


async def change(request: web.Request, case_id: int, call_id: int, to_case: int | None, reason: str) -> None:
    """Unlink (``to_case`` None) or move, as the user, within their part of the cases."""
    user = await the_user(request)
    async with request.app[keys.SESSIONS]() as db, db.begin():
        scope = await case_scope(db, user)
        visible(scope, await db.get(Case, case_id))
        if to_case is None:
            await unlink_call(db, case_id, call_id, actor=user.username, now=now(request), reason=reason or None)
        else:
            visible(scope, await db.get(Case, to_case))
            await move_call(db, case_id, call_id, to_case, actor=user.username, now=now(request),
                            reason=reason or None)  # fmt: skip


@api.post(r"/api/cases/{case_id:\d+}/calls/{call_id:\d+}/unlink", Perm.CASES_EDIT, path=LinkPath, body=UnlinkIn,
          response=Linked)  # fmt: skip
async def api_unlink(request: web.Request, path: LinkPath, body: UnlinkIn) -> dict[str, Any]:
    """take a wrongly linked call off the case (audited; the call it was opened from stays)"""
    await change(request, path.case_id, path.call_id, None, body.reason)
    return {"case_id": path.case_id, "call_id": path.call_id, "to_case": None}


@api.post(r"/api/cases/{case_id:\d+}/calls/{call_id:\d+}/move", Perm.CASES_EDIT, path=LinkPath, body=MoveIn,
          response=Linked)  # fmt: skip
async def api_move(request: web.Request, path: LinkPath, body: MoveIn) -> dict[str, Any]:
    """move a linked call to the case it concerns (audited on both cases)"""
    await change(request, path.case_id, path.call_id, body.to_case, body.reason)
    return {"case_id": path.case_id, "call_id": path.call_id, "to_case": body.to_case}


@routes.post(r"/cases/{case_id:\d+}/calls/{call_id:\d+}/unlink", name="case_call_unlink")
@requires(Perm.CASES_EDIT)
async def unlink_form(request: web.Request) -> web.StreamResponse:
    case_id, call_id = record_id(request, "case_id", "no such case"), record_id(request, "call_id", "no such call")
    form = await request.post()
    to_raw = str(form.get("to_case", "")).strip()
    to_case = int(to_raw) if to_raw.isascii() and to_raw.isdigit() and len(to_raw) < 19 else None
    if to_raw and to_case is None:
        from callcenter.web.errors import BadRequest

        raise BadRequest("to_case: a case number", field="to_case")
    await change(request, case_id, call_id, to_case, str(form.get("reason", ""))[:200])
    raise web.HTTPSeeOther(f"/cases/{case_id}?done=calls")
