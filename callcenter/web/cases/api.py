"""The JSON API of the cases: list, detail, actions, and opening a case from a call; each route
declared once (:mod:`callcenter.web.endpoints`). A station account's requests are held to its
station's cases."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from callcenter.db.models import Call
from callcenter.web import keys
from callcenter.web.cases import query as case_query
from callcenter.web.auth.session import now
from callcenter.web.cases.actions import offered, perform, running_late
from callcenter.web.cases.present import actions_json, case_item_json, case_json, deadline_json, entry_json
from callcenter.web.cases.query import parse_case_filters
from callcenter.web.present import iso, json_response, names_of
from callcenter.web.auth.roles import Perm
from callcenter.web.scope import case_scope
from callcenter.tickets.errors import CaseExists
from callcenter.web.cases.from_call import open_case, opened_case
from callcenter.web.cases.pages import read_case, the_user
from callcenter.web.calls.schemas import CallPath
from callcenter.web.cases.schemas import (
    ActionIn,
    ActionPath,
    CallCaseOut,
    CaseListQuery,
    CasePath,
    CaseRef,
    FromCallIn,
    sent,
)
from callcenter.web.errors import Conflict, NotFound
from callcenter.web.endpoints import Endpoints

api = Endpoints()
routes = api.routes


@api.get("/api/cases", Perm.CASES_VIEW, query=CaseListQuery)
async def list_cases(request: web.Request, query: CaseListQuery) -> web.Response:
    """cases, newest first (keyset pages); a station sees its own"""
    user = await the_user(request)
    filters = parse_case_filters({k: str(v) for k, v in query.model_dump(exclude_none=True).items()})
    tz, moment = request.app[keys.CONFIG].tz, now(request)
    async with request.app[keys.LIST_READS].connect() as db:
        scope = await case_scope(db, user)
        result = await case_query.fetch_cases(db, filters, scope, moment)
    names = await names_of(request)
    units, people = names.units, names.people
    items = [case_item_json(row, tz, units, people) for row in result.rows]
    return json_response({"items": items, "next_before": result.next_before})


async def case_detail_json(request: web.Request, case_id: int) -> dict[str, Any]:
    user = await the_user(request)
    tz, moment = request.app[keys.CONFIG].tz, now(request)
    view = await read_case(request, case_id, user, moment)
    detail, timeline, row = view.detail, view.timeline, view.row
    names = await names_of(request)
    units, people = names.units, names.people
    data = case_json(detail.case, tz, units, people, row)
    data["deadlines"] = [deadline_json(d, tz, moment) for d in detail.deadlines]
    data["calls"] = [{"call_id": c.call_id, "reason": c.reason, "linked_at": iso(c.linked_at, tz),
                      "linked_by": c.linked_by} for c in detail.calls]  # fmt: skip
    data["timeline"] = [entry_json(e, tz) for e in timeline]
    data["actions"] = actions_json(offered(detail.case, user, running_late(detail.deadlines, moment)))
    return data


@api.get(r"/api/cases/{case_id:\d+}", Perm.CASES_VIEW, path=CasePath)
async def get_case(request: web.Request, path: CasePath) -> dict[str, Any]:
    """a case with its clocks, linked calls, timeline and the actions you may take"""
    return await case_detail_json(request, path.case_id)


@api.post(r"/api/cases/{case_id:\d+}/actions/{action:[a-z_]+}", Perm.CASES_ACT, path=ActionPath, body=ActionIn)
async def case_action(request: web.Request, path: ActionPath, body: ActionIn) -> dict[str, Any]:
    """do a workflow action; 409 illegal now, 403 not your role, 422 input missing, 404 not yours"""
    user = await the_user(request)
    await perform(request.app[keys.SESSIONS], path.case_id, path.action, user=user, now=now(request),
                  source=sent(body))  # fmt: skip
    return await case_detail_json(request, path.case_id)


def case_ref(case: Any) -> CaseRef:
    return CaseRef(id=case.id, kind=case.kind, state=case.state, url=f"/cases/{case.id}")


@api.get(r"/api/calls/{call_id:\d+}/case", Perm.CASES_VIEW, path=CallPath, response=CallCaseOut)
async def call_case(request: web.Request, path: CallPath) -> CallCaseOut:
    """the case opened from a call (null if none, or not yours to see) and the pre-filled form's URL"""
    user = await the_user(request)
    async with request.app[keys.READS]() as db:
        if await db.get(Call, path.call_id) is None:
            raise NotFound("no such call")
        case = await opened_case(db, path.call_id)
        hidden = case is not None and not (await case_scope(db, user)).sees(case)
    if case is None:
        return CallCaseOut(case=None, new_url=f"/calls/{path.call_id}/case/new")
    return CallCaseOut(case=None if hidden else case_ref(case), new_url=None)


@api.post(r"/api/calls/{call_id:\d+}/case", Perm.CASES_CREATE, path=CallPath, body=FromCallIn, status=201)
async def case_from_call(request: web.Request, path: CallPath, body: FromCallIn) -> dict[str, Any]:
    """open a case from a call (accepted, linked to the call); 422 names the fields the kind needs;
    409 ``case_exists`` with ``case_id`` when the call already has its case (nothing is created)"""
    user = await the_user(request)
    try:
        case = await open_case(request, path.call_id, sent(body), user)
    except CaseExists as exc:
        raise CaseExistsError(exc.message, case_id=exc.case_id, case_url=f"/cases/{exc.case_id}") from None
    return await case_detail_json(request, case.id)


class CaseExistsError(Conflict):
    code = "case_exists"
