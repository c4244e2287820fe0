"""The JSON API of the call log (described in ``openapi.py``)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import select

from callcenter.db.models import Call
from callcenter.tickets.models import Case, Unit
from callcenter.web import keys
from callcenter.web.calls import ledger
from callcenter.web.calls import notes
from callcenter.web.audit.record import history
from callcenter.web.auth.session import current_user, now, requires
from callcenter.web.body import json_body
from callcenter.web.cases.query import open_cases_for, second_complaint_risk
from callcenter.web.errors import BadRequest, NotFound
from callcenter.web.models import CallNote
from callcenter.web.present import call_json, iso, json_response, names_of
from callcenter.web.auth.roles import Perm
from callcenter.web.scope import case_scope
from callcenter.web.calls.pages import call_id_of, missed_query

routes = web.RouteTableDef()
PREVIOUS_CALLS = 10


async def _list(request: web.Request, filters: ledger.Filters) -> web.Response:
    tz = request.app[keys.CONFIG].tz
    async with request.app[keys.LIST_READS].connect() as db:
        page = await ledger.fetch_page(db, filters, tz, request.query.get("cursor") or None)
    clerks = (await names_of(request)).clerks
    items = [call_json(call, note, tz, clerks) for call, note in page.rows]
    return json_response({"items": items, "next_cursor": page.next_cursor})


@routes.get("/api/calls")
@requires(Perm.CALLS_VIEW)
async def api_calls(request: web.Request) -> web.Response:
    return await _list(request, ledger.parse_filters(request.query))


@routes.get("/api/calls/missed")
@requires(Perm.CALLS_VIEW)
async def api_missed(request: web.Request) -> web.Response:
    return await _list(request, ledger.parse_filters(missed_query(request.query), missed=True))


async def _one(request: web.Request, call_id: int) -> dict[str, Any]:
    tz = request.app[keys.CONFIG].tz
    async with request.app[keys.READS]() as db:
        found = await ledger.get_call(db, call_id)
        if found is None:
            raise NotFound("no such call")
        changes = await history(db, notes.ENTITY, call_id)
    clerks = (await names_of(request)).clerks
    data = call_json(found[0], found[1], tz, clerks)
    data["history"] = [{**c, "at": iso(c["at"], tz)} for c in changes]
    return data


@routes.get(r"/api/calls/{call_id:\d+}")
@requires(Perm.CALLS_VIEW)
async def api_call(request: web.Request) -> web.Response:
    return web.json_response(await _one(request, call_id_of(request)))


@routes.patch(r"/api/calls/{call_id:\d+}/notes")
@requires(Perm.CALLS_EDIT)
async def api_notes(request: web.Request) -> web.Response:
    call_id = call_id_of(request)
    body = await json_body(request)
    user = await current_user(request)
    assert user is not None
    async with request.app[keys.SESSIONS]() as db, db.begin():
        await notes.save_notes(db, call_id, actor=user.username, data=body,
                               version=notes.parse_version(body.get("version")), now=now(request))  # fmt: skip
    return web.json_response(await _one(request, call_id))


@routes.post(r"/api/calls/{call_id:\d+}/called-back")
@requires(Perm.CALLS_EDIT)
async def api_called_back(request: web.Request) -> web.Response:
    call_id = call_id_of(request)
    user = await current_user(request)
    assert user is not None
    async with request.app[keys.SESSIONS]() as db, db.begin():
        await notes.mark_called_back(db, call_id, actor=user.username, now=now(request))
    return web.json_response(await _one(request, call_id))


def _open_case(case: Case, tz: ZoneInfo, units: dict[int, Unit]) -> dict[str, Any]:
    station = units.get(case.station_id or 0)
    return {
        "id": case.id, "kind": case.kind, "state": case.state, "url": f"/cases/{case.id}",
        "created_at": iso(case.created_at, tz), "accepted_at": iso(case.accepted_at, tz),
        "problem": case.problem[:200], "station": station.name_zh if station else None,
        "second_complaint_risk": second_complaint_risk(case),
    }  # fmt: skip


@routes.get("/api/caller")
@requires(Perm.CALLS_VIEW)
async def api_caller(request: web.Request) -> web.Response:
    """What the ringing pop-up shows about a number: names on record, previous calls, open cases
    (with the 二次投诉 warning when a new complaint would be a second complaint)."""
    number = request.query.get("number", "").strip()[:512]
    if not number:
        raise BadRequest("number: required", field="number")
    tz = request.app[keys.CONFIG].tz
    filters = ledger.Filters(number=number, limit=PREVIOUS_CALLS)
    async with request.app[keys.READS]() as db:
        page = await ledger.fetch_page(db, filters, tz)
        names = (
            await db.scalars(
                select(CallNote.caller_name).join(Call, Call.id == CallNote.call_id)
                .where(Call.caller_number == number, CallNote.caller_name != "")
                .order_by(CallNote.updated_at.desc()).limit(5)
            )
        ).all()  # fmt: skip
        user = await current_user(request)
        assert user is not None  # the guard let it through
        cases = await open_cases_for(db, number, await case_scope(db, user))
    snapshot = await names_of(request)
    clerks = snapshot.clerks
    open_cases = [_open_case(c, tz, snapshot.units) for c in cases]
    return web.json_response({
        "number": number,
        "known_names": list(dict.fromkeys(names)),
        "previous_calls": [call_json(call, note, tz, clerks) for call, note in page.rows],
        "open_cases": open_cases,
        "second_complaint": any(c["second_complaint_risk"] for c in open_cases),
        "cases_available": True,
    })  # fmt: skip
