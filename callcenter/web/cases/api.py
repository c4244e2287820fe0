"""The JSON API of the cases (described in ``openapi_cases.py``): list, detail, actions, and
opening a case from a call. A station account's requests are held to its station's cases."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from callcenter.web import keys
from callcenter.web.cases import query as case_query
from callcenter.web.auth.session import now, requires
from callcenter.web.cases.actions import offered, perform, running_late
from callcenter.web.cases.present import actions_json, case_item_json, case_json, deadline_json, entry_json
from callcenter.web.cases.query import parse_case_filters
from callcenter.web.body import json_body
from callcenter.web.errors import BadRequest
from callcenter.web.present import iso, json_response, names_of
from callcenter.web.auth.roles import Perm
from callcenter.web.scope import case_scope
from callcenter.web.cases.pages import case_id_of, open_from_call, read_case, the_user

routes = web.RouteTableDef()


@routes.get("/api/cases")
@requires(Perm.CASES_VIEW)
async def api_cases(request: web.Request) -> web.Response:
    user = await the_user(request)
    filters = parse_case_filters(request.query)
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


@routes.get(r"/api/cases/{case_id:\d+}")
@requires(Perm.CASES_VIEW)
async def api_case(request: web.Request) -> web.Response:
    return web.json_response(await case_detail_json(request, case_id_of(request)))


@routes.post(r"/api/cases/{case_id:\d+}/actions/{action:[a-z_]+}")
@requires(Perm.CASES_ACT)
async def api_case_action(request: web.Request) -> web.Response:
    """Do a workflow action; 409 illegal now, 403 not your role, 422 input missing, 404 not yours."""
    case_id = case_id_of(request)
    user = await the_user(request)
    body = await json_body(request)
    await perform(request.app[keys.SESSIONS], case_id, request.match_info["action"], user=user,
                  now=now(request), source=body)  # fmt: skip
    return web.json_response(await case_detail_json(request, case_id))


@routes.post(r"/api/calls/{call_id:\d+}/case")
@requires(Perm.CASES_CREATE)
async def api_case_from_call(request: web.Request) -> web.Response:
    """Open (and accept) a case from a call; the same case again if the call already has one."""
    body = await json_body(request)
    kind = body.get("kind") or "complaint"
    if not isinstance(kind, str):
        raise BadRequest("kind: text", field="kind")
    case = await open_from_call(request, kind)
    return web.json_response(await case_detail_json(request, case.id), status=201)
