"""Pages of the call log: the ledger, a call's detail, the missed-call worklist, the audio."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from callcenter.db.models import Call
from callcenter.tickets.models import Case, CaseCall
from callcenter.tickets.workflow import KINDS
from callcenter.web import keys
from callcenter.web.calls import audio
from callcenter.web.calls import ledger
from callcenter.web.calls import notes
from callcenter.web.audit.record import history
from callcenter.web.auth.session import current_user, now, requires
from callcenter.web.errors import Forbidden, NotAuthenticated, NotFound
from callcenter.web.present import names_of
from callcenter.web.render import page, render
from callcenter.web.auth.roles import Perm, allowed
from callcenter.web.scope import Scope, case_scope
from callcenter.web.calls.timeline import timeline
from callcenter.web.calls.api import filters_for
from callcenter.web.calls.schemas import LedgerQuery, MissedQuery
from callcenter.web.endpoints import parse_query, record_id

routes = web.RouteTableDef()


def call_id_of(request: web.Request) -> int:
    return record_id(request, "call_id", "no such call")


async def _list_context(request: web.Request, query: LedgerQuery) -> dict[str, Any]:
    tz = request.app[keys.CONFIG].tz
    filters = await filters_for(request, query)
    async with request.app[keys.LIST_READS].connect() as db:
        page = await ledger.fetch_page(db, filters, tz, query.cursor or None, before=query.before or None)
        cap = None if query.count in ("1", "true", "yes", "on") else ledger.TOTALS_CAP
        first = not (query.cursor or query.before)
        totals = None if filters.missed else await ledger.page_totals(db, filters, tz, page, first=first, cap=cap)
    clerks = (await names_of(request)).clerks
    args = filters.query_args()
    next_url = str(request.rel_url.with_query({**args, "cursor": page.next_cursor})) if page.next_cursor else None
    prev_url = str(request.rel_url.with_query({**args, "before": page.prev_cursor})) if page.prev_cursor else None
    user = await current_user(request)
    return {
        "page": page, "filters": filters, "clerks": clerks, "next_url": next_url, "prev_url": prev_url,
        "first_url": str(request.rel_url.with_query(args)), "totals": totals,
        "count_url": str(request.rel_url.with_query({**args, "count": "1"})),
        "export_query": urlencode(args), "has_extension": bool(user and user.extension),
        "can_edit": user is not None and allowed(user.role, Perm.CALLS_EDIT),
        "dispositions": ledger.MISSED if filters.missed else ledger.DISPOSITIONS,
    }  # fmt: skip


@routes.get("/calls", name="calls")
@requires(Perm.CALLS_VIEW)
@page("calls.html")
async def calls_page(request: web.Request) -> dict[str, Any]:
    return await _list_context(request, parse_query(LedgerQuery, request))


@routes.get("/calls/missed", name="missed")
@requires(Perm.CALLS_VIEW)
@page("missed.html")
async def missed_page(request: web.Request) -> dict[str, Any]:
    return await _list_context(request, parse_query(MissedQuery, request))


async def load_call(request: web.Request, call_id: int) -> dict[str, Any]:
    async with request.app[keys.READS]() as db:
        found = await ledger.get_call(db, call_id)
        if found is None:
            raise NotFound("no such call")
        call = await db.scalar(select(Call).options(selectinload(Call.legs)).where(Call.id == call_id))
        changes = await history(db, notes.ENTITY, call_id)
    names = await names_of(request)
    clerks, users = names.clerks, names.actors
    assert call is not None
    return {"call": call, "note": found[1], "events": timeline(call.legs, call.disposition), "history": changes,
            "clerks": clerks, "users": users}  # fmt: skip


async def may_open_call(request: web.Request, call_id: int) -> None:
    """The office roles open any call; a station only a call linked to a case of its own station
    (else 403, as for any page its role may not see)."""
    user = await current_user(request)
    if user is None:
        raise NotAuthenticated()
    if allowed(user.role, Perm.CALLS_VIEW):
        return
    async with request.app[keys.READS]() as db:
        scope = await case_scope(db, user)
        linked = await db.scalar(
            select(CaseCall.case_id).join(Case, Case.id == CaseCall.case_id)
            .where(CaseCall.call_id == call_id, scope.clause()).limit(1)
        )  # fmt: skip
    if linked is None:
        raise Forbidden("this call is not linked to a case of your station")


@routes.get(r"/calls/{call_id:\d+}", name="call")
@requires(Perm.CALL_VIEW)
@page("call_detail.html")
async def call_page(request: web.Request) -> dict[str, Any]:
    call_id = call_id_of(request)
    await may_open_call(request, call_id)
    return await call_context(request, call_id)


async def call_context(request: web.Request, call_id: int) -> dict[str, Any]:
    context = await load_call(request, call_id)
    user = await current_user(request)
    context["can_edit"] = user is not None and allowed(user.role, Perm.CALLS_EDIT)
    context["can_see_calls"] = user is not None and allowed(user.role, Perm.CALLS_VIEW)
    context["categories"] = notes.CATEGORIES
    context["note_fields"] = notes.FIELDS
    context["conflict"] = None
    context["saved"] = request.query.get("saved") == "1"
    context["has_audio"] = audio.recording(request.app[keys.CONFIG].spool_dir, context["call"].voicemail_path) is not None
    context["can_create"] = user is not None and allowed(user.role, Perm.CASES_CREATE)
    context["kinds"] = KINDS
    async with request.app[keys.READS]() as db:
        scope = await case_scope(db, user) if user is not None else Scope(restricted=True)
        context["linked_cases"] = (await db.execute(
            select(Case, CaseCall.reason).join(CaseCall, CaseCall.case_id == Case.id)
            .where(CaseCall.call_id == context["call"].id, scope.clause()).order_by(Case.id)
        )).all()  # fmt: skip
    # The case opened from this call: said plainly instead of offering a second one.
    context["opened_case"] = next((case for case, reason in context["linked_cases"] if reason == "first"), None)
    return context


@routes.post(r"/calls/{call_id:\d+}/notes", name="call_notes")
@requires(Perm.CALLS_EDIT)
async def save_notes_form(request: web.Request) -> web.StreamResponse:
    call_id = call_id_of(request)
    form = await request.post()
    data = {k: str(form[k]) for k in notes.LIMITS if k in form}
    base = {k: str(form[f"base_{k}"]) for k in notes.LIMITS if f"base_{k}" in form}
    user = await current_user(request)
    assert user is not None
    try:
        async with request.app[keys.SESSIONS]() as db, db.begin():
            await notes.save_notes(db, call_id, actor=user.username, data=data, base=base or None,
                                   version=notes.parse_version(form.get("version")), now=now(request))  # fmt: skip
    except notes.NotesConflict as conflict:
        # The same form again: the clerk's input kept, the saved version beside each field in
        # conflict, the current version in the form (saving again is a decision, not an accident).
        context = await call_context(request, call_id)
        context["conflict"] = conflict
        return await render(request, "call_detail.html", context, status=409)
    raise web.HTTPFound(f"/calls/{call_id}?saved=1")


@routes.post(r"/calls/{call_id:\d+}/called-back", name="call_called_back")
@requires(Perm.CALLS_EDIT)
async def called_back_form(request: web.Request) -> web.StreamResponse:
    call_id = call_id_of(request)
    user = await current_user(request)
    assert user is not None
    async with request.app[keys.SESSIONS]() as db, db.begin():
        await notes.mark_called_back(db, call_id, actor=user.username, now=now(request))
    form = await request.post()
    back = str(form.get("back", ""))
    raise web.HTTPFound(back if back.startswith("/calls") and not back.startswith("//") else "/calls/missed")


@routes.get(r"/calls/{call_id:\d+}/audio", name="call_audio")
@requires(Perm.CALL_VIEW)
async def call_audio(request: web.Request) -> web.StreamResponse:
    call_id = call_id_of(request)
    await may_open_call(request, call_id)
    async with request.app[keys.READS]() as db:
        stored = await db.scalar(select(Call.voicemail_path).where(Call.id == call_id))
    found = audio.recording(request.app[keys.CONFIG].spool_dir, stored)
    if found is None:
        raise NotFound("no recording")
    path, content_type = found
    response = web.FileResponse(path, headers={
        "Content-Type": content_type, "Content-Disposition": "inline", "Cache-Control": "private, max-age=300",
    })  # fmt: skip
    return response
