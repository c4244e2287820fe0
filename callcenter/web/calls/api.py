"""The JSON API of the call log: each route declared once (:mod:`callcenter.web.endpoints`)."""

from __future__ import annotations

import dataclasses
from dataclasses import replace
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
from callcenter.web.auth.session import current_user, now
from callcenter.web.cases.query import open_cases_for, second_complaint_risk
from callcenter.web.errors import BadRequest, Conflict, NotFound
from callcenter.web.models import CallNote
from callcenter.web.present import call_json, iso, json_response, names_of
from callcenter.web.auth.roles import Perm
from callcenter.web.scope import case_scope
from callcenter.web.calls.schemas import (
    CallDetail, Caller, CallerQuery, CallPage, CallPath, LedgerQuery, MissedQuery, NotesConflict, NotesIn, Totals,
)
from callcenter.web.endpoints import Endpoints

api = Endpoints()
routes = api.routes
PREVIOUS_CALLS = 10


async def filters_for(request: web.Request, query: LedgerQuery) -> ledger.Filters:
    """The query's filters; "my calls" is the logged-in user's extension (none: a 400)."""
    filters = query.filters()
    for cursor in (query.cursor, query.before):
        if cursor:
            ledger.decode_cursor(cursor)  # a 400 naming the field, on every route of the filter
    if filters.mine:
        user = await current_user(request)
        if user is None or not user.extension:
            raise BadRequest("mine: your account has no phone extension", field="mine")
        filters = replace(filters, clerk=user.extension)
    return filters


async def _list(request: web.Request, query: LedgerQuery) -> web.Response:
    tz = request.app[keys.CONFIG].tz
    filters = await filters_for(request, query)
    async with request.app[keys.LIST_READS].connect() as db:
        page = await ledger.fetch_page(db, filters, tz, query.cursor or None, before=query.before or None)
    clerks = (await names_of(request)).clerks
    items = [call_json(call, note, tz, clerks) for call, note in page.rows]
    return json_response({"items": items, "next_cursor": page.next_cursor, "prev_cursor": page.prev_cursor})


@api.get("/api/calls", Perm.CALLS_VIEW, query=LedgerQuery, response=CallPage)
async def list_calls(request: web.Request, query: LedgerQuery) -> web.Response:
    """the phone ledger, newest first (keyset pages both ways); a number or name matches in part"""
    return await _list(request, query)


@api.get("/api/calls/totals", Perm.CALLS_VIEW, query=LedgerQuery, response=Totals)
async def ledger_totals(request: web.Request, query: LedgerQuery) -> dict[str, Any]:
    """the totals of the ledger's filter: calls, answered, with voicemail, transferred, talk time"""
    filters = await filters_for(request, query)
    async with request.app[keys.LIST_READS].connect() as db:
        totals = await ledger.fetch_totals(db, filters, request.app[keys.CONFIG].tz)
    return {k: v for k, v in dataclasses.asdict(totals).items() if k != "more"}  # counted all: never more


@api.get("/api/calls/missed", Perm.CALLS_VIEW, query=MissedQuery, response=CallPage)
async def list_missed(request: web.Request, query: MissedQuery) -> web.Response:
    """missed calls (abandoned, busy, voicemail) to call back"""
    return await _list(request, query)


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


@api.get(r"/api/calls/{call_id:\d+}", Perm.CALLS_VIEW, path=CallPath, response=CallDetail)
async def get_call(request: web.Request, path: CallPath) -> dict[str, Any]:
    """one call with its notes and their change history"""
    return await _one(request, path.call_id)


@api.patch(r"/api/calls/{call_id:\d+}/notes", Perm.CALLS_EDIT, path=CallPath, body=NotesIn, response=CallDetail,
           errors={409: (NotesConflict, "Saved by someone else after your version: nothing saved; the current "
                                        "notes, their version and the fields that differ")})  # fmt: skip
async def update_notes(request: web.Request, path: CallPath, body: NotesIn) -> dict[str, Any]:
    """change the clerk's notes (audited; version must match, else 409 with the saved notes)"""
    user = await current_user(request)
    assert user is not None
    data = body.model_dump(exclude_unset=True, exclude={"version"})
    try:
        async with request.app[keys.SESSIONS]() as db, db.begin():
            await notes.save_notes(db, path.call_id, actor=user.username, data=data, version=body.version,
                                   now=now(request))  # fmt: skip
    except notes.NotesConflict as exc:
        saved, tz = exc.saved, request.app[keys.CONFIG].tz
        current = {**saved.values, "version": saved.version, "updated_by": saved.updated_by,
                   "updated_at": iso(saved.updated_at, tz)}  # fmt: skip
        raise Conflict(exc.message, fields=exc.fields, current=current, current_version=saved.version) from None
    return await _one(request, path.call_id)


@api.post(r"/api/calls/{call_id:\d+}/called-back", Perm.CALLS_EDIT, path=CallPath, response=CallDetail)
async def mark_called_back(request: web.Request, path: CallPath) -> dict[str, Any]:
    """record that you called the caller back (audited)"""
    user = await current_user(request)
    assert user is not None
    async with request.app[keys.SESSIONS]() as db, db.begin():
        await notes.mark_called_back(db, path.call_id, actor=user.username, now=now(request))
    return await _one(request, path.call_id)


def _open_case(case: Case, tz: ZoneInfo, units: dict[int, Unit]) -> dict[str, Any]:
    station = units.get(case.station_id or 0)
    return {
        "id": case.id, "kind": case.kind, "state": case.state, "url": f"/cases/{case.id}",
        "created_at": iso(case.created_at, tz), "accepted_at": iso(case.accepted_at, tz),
        "problem": case.problem[:200], "station": station.name_zh if station else None,
        "second_complaint_risk": second_complaint_risk(case),
    }  # fmt: skip


@api.get("/api/caller", Perm.CALLS_VIEW, query=CallerQuery, response=Caller)
async def caller(request: web.Request, query: CallerQuery) -> dict[str, Any]:
    """what the ringing pop-up shows about a number: names on record, previous calls, open cases
    (with the 二次投诉 warning when a new complaint would be a second complaint)"""
    number = query.number.strip()
    if not number:
        raise BadRequest("number: required", field="number")
    tz = request.app[keys.CONFIG].tz
    filters = ledger.Filters(number=number, limit=PREVIOUS_CALLS, exact=True)
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
    return {
        "number": number,
        "known_names": list(dict.fromkeys(names)),
        "previous_calls": [call_json(call, note, tz, clerks) for call, note in page.rows],
        "open_cases": open_cases,
        "second_complaint": any(c["second_complaint_risk"] for c in open_cases),
        "cases_available": True,
    }  # fmt: skip
