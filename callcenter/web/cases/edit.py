"""Correcting an accepted case from the panel: ``PATCH /api/cases/{id}`` and the form on the
case page (``POST /cases/{id}/edit``).

What may be corrected, by whom, and what it does to the deadlines is
:mod:`callcenter.tickets.corrections`' decision; here the input is read and checked (lengths,
types), the user's scope is applied (a case out of scope is *not found*; an office head
reassigns only to its own stations; a station's or office head's edit is pinned to the version
whose scope was checked), and refusals become the usual typed errors (409 stale or illegal,
403 role, 422 input). The version is required: an edit always says which record it corrects.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.tickets.calendar_store import load_clockwork
from callcenter.tickets.controls import refusal
from callcenter.tickets.corrections import CORRECTABLE, check_fields, correct_in
from callcenter.tickets.errors import N_, CaseError, Conflict, InvalidInput
from callcenter.tickets.errors import Forbidden as CaseForbidden
from callcenter.tickets.models import Case, CaseEvent
from callcenter.tickets.ruleset import RuleBook
from callcenter.web import keys
from callcenter.web.i18n import error_text, translator
from callcenter.web.cases.api import case_detail_json
from callcenter.web.auth.session import now, requires
from callcenter.web.cases.schemas import CaseEditConflict, CaseEditIn, CasePath, sent
from callcenter.web.endpoints import Endpoints
from callcenter.web.drafts.inbox import FLAGS, read_fields
from callcenter.web.errors import Conflict as WebConflict
from callcenter.web.errors import NotFound
from callcenter.web.middleware import case_error_status
from callcenter.web.models import User
from callcenter.web.present import names_of
from callcenter.web.render import render
from callcenter.web.auth.roles import Perm
from callcenter.web.scope import case_scope, visible, workflow_role
from callcenter.web.cases.pages import case_context, case_id_of, the_user

routes = web.RouteTableDef()
api = Endpoints(routes=routes)
META = ("version", "reason", "csrf_token")
BASE = "base_"
REGION_CHARS = 64
REASON_CHARS = 2000


def _int(name: str, raw: Any, *, strict: bool) -> int | None:
    """A positive integer; ``strict`` (JSON): a number, not a string."""
    if raw is None or raw == "":
        return None
    if strict and (not isinstance(raw, int) or isinstance(raw, bool)):
        raise InvalidInput(N_("%(field)s: an integer"), field=name)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise InvalidInput(N_("%(field)s: an integer"), field=name) from None
    if value <= 0:
        raise InvalidInput(N_("%(field)s: a positive integer"), field=name)
    return value


def _text(name: str, raw: Any, limit: int) -> str:
    if raw is not None and not isinstance(raw, str | int | float):
        raise InvalidInput(N_("%(field)s: text"), field=name)
    value = "" if raw is None else str(raw).strip()
    if len(value) > limit:
        raise InvalidInput(N_("%(field)s: at most %(n)s characters"), field=name, n=limit)
    why = refusal(name, value, multiline=limit > 256)
    if why:
        raise InvalidInput(why)
    return value


def read_edit(source: Mapping[str, Any], *, strict: bool) -> tuple[dict[str, Any], int, str | None]:
    """``(values, version, reason)`` from a form or a JSON body; only the fields present are read."""
    fields = {k: v for k, v in source.items() if k not in META}
    check_fields(fields)  # the first responsible person, unknown fields: refused by name
    if strict:
        for name in FLAGS:
            if name in fields and not isinstance(fields[name], bool):
                raise InvalidInput(N_("%(field)s: true or false"), field=name)
    values = read_fields(fields)
    if "region" in fields:
        values["region"] = _text("region", fields["region"], REGION_CHARS)
    for name in ("station_id", "responsible_person_id"):
        if (number := _int(name, fields.get(name), strict=strict)) is not None:
            values[name] = number
    version = _int("version", source.get("version"), strict=strict)
    if version is None:
        raise InvalidInput(N_("version: the version of the case you corrected (from GET /api/cases/{id})"))
    reason = _text("reason", source.get("reason"), REASON_CHARS) or None
    return values, version, reason


async def perform_edit(
    sessions: async_sessionmaker[AsyncSession], case_id: int, source: Mapping[str, Any], *, user: User,
    now: dt.datetime, book: RuleBook, strict: bool, reads: async_sessionmaker[AsyncSession] | None = None,
) -> Case:  # fmt: skip
    """Correct the case as ``user``; the corrected case (a typed error otherwise). ``reads``: the
    sessions for the scope check (default ``sessions``)."""
    async with (reads or sessions)() as session:  # closed before the correction's own transaction
        scope = await case_scope(session, user)
        seen = visible(scope, await session.get(Case, case_id)).version
    role = workflow_role(user)
    if role is None:
        raise CaseForbidden(f"role {user.role} does not correct cases")
    values, version, reason = read_edit(source, strict=strict)
    if not scope.may_assign(values.get("station_id")):
        raise CaseForbidden(f"station_id: station {values['station_id']} is not under your office")
    if scope.limited and version != seen:  # correct only the version whose scope was checked
        raise Conflict(N_("case #%(case)s was changed by someone else since you opened it; nothing was saved: "
                          "reload it and correct again"), case_id=case_id, case=case_id)  # fmt: skip
    async with sessions() as session, session.begin():
        clockwork = await load_clockwork(session, book)
        done = await correct_in(session, case_id, values, expected_version=version, actor=user.username,
                                role=role, now=now, clockwork=clockwork, reason=reason)  # fmt: skip
    return done.case


async def last_change(request: web.Request, case_id: int) -> dict[str, str]:
    """Who last changed the case and when (the latest step on its timeline), for a conflict."""
    async with request.app[keys.READS]() as db:
        event = await db.scalar(select(CaseEvent).where(CaseEvent.case_id == case_id)
                                .order_by(CaseEvent.at.desc(), CaseEvent.id.desc()).limit(1))  # fmt: skip
    if event is None:
        return {"who": "—", "when": "—"}
    names = (await names_of(request)).actors
    when = event.at.astimezone(request.app[keys.CONFIG].tz).strftime("%m-%d %H:%M")
    return {"who": names.get(event.actor, event.actor), "when": when}


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else ""
    return "" if value is None else str(value)


def _read(name: str, raw: str) -> Any:
    try:
        return read_fields({name: raw}).get(name, raw)
    except CaseError:
        return raw


def merge(case: Case, form: Mapping[str, str], base: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """After a conflict: (fields both sides changed, for the user to decide; fields only the
    other side changed, whose saved value the form takes). A field only the user changed is
    neither; without ``base`` every differing field is the user's to decide."""
    conflicts, taken = [], []
    for name in differences(case, form):
        if name not in base:
            conflicts.append(name)
            continue
        was, now, mine = _read(name, base[name]), getattr(case, name), _read(name, form.get(name, ""))
        if was == mine:
            taken.append(name)  # untouched here, changed there: theirs stands
        elif was != now:
            conflicts.append(name)
    return conflicts, taken


def differences(case: Case, form: Mapping[str, str]) -> list[str]:
    """Fields where the refused input differs from the case as it is now (to review before saving)."""
    try:
        values = read_fields({k: v for k, v in form.items() if k in CORRECTABLE})
    except CaseError:
        return []
    return sorted(k for k, v in values.items() if getattr(case, k) != v)


@api.patch(r"/api/cases/{case_id:\d+}", Perm.CASES_EDIT, path=CasePath, body=CaseEditIn,
           errors={409: (CaseEditConflict, "Changed since your version (the fields that differ, their current "
                                           "values, the current version), or read-only now; nothing saved")})  # fmt: skip
async def edit_case(request: web.Request, path: CasePath, body: CaseEditIn) -> dict[str, Any]:
    """correct an accepted case's record (audited; version must match; deadlines follow a new
    classification); 409 stale (with the current values) or read-only, 403 role, 422 input, 404 not yours"""
    user = await the_user(request)
    source = sent(body)
    try:
        await perform_edit(request.app[keys.SESSIONS], path.case_id, source, user=user, now=now(request),
                           book=request.app[keys.RULES], strict=True, reads=request.app[keys.READS])  # fmt: skip
    except Conflict as exc:
        async with request.app[keys.READS]() as db:
            case = await db.get(Case, path.case_id)
        if case is None:
            raise
        names = [k for k in source if k in CORRECTABLE or k in ("region", "station_id", "responsible_person_id")]
        current = {k: getattr(case, k) for k in names}
        fields = sorted(k for k in names if current[k] != source[k])
        raise WebConflict(exc.message, fields=fields, current=current, current_version=case.version,
                          case_id=path.case_id) from None  # fmt: skip
    return await case_detail_json(request, path.case_id)


@routes.post(r"/cases/{case_id:\d+}/edit", name="case_edit")
@requires(Perm.CASES_EDIT)
async def edit_case_form(request: web.Request) -> web.StreamResponse:
    """Correct fields; on a refusal the case page again with the input kept and the reason."""
    case_id, user = case_id_of(request), await the_user(request)
    posted = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
    # base_<field>: the record as the form showed it (to tell who changed what after a conflict)
    base = {k.removeprefix(BASE): v for k, v in posted.items() if k.startswith(BASE)}
    form = {k: v for k, v in posted.items() if not k.startswith(BASE)}
    for flag in FLAGS:  # an unticked box is not sent: it means "no"
        form.setdefault(flag, "")
    try:
        await perform_edit(request.app[keys.SESSIONS], case_id, form, user=user, now=now(request),
                           book=request.app[keys.RULES], strict=False, reads=request.app[keys.READS])  # fmt: skip
    except CaseError as exc:
        if exc.code == "not_found":
            raise NotFound("no such case") from None
        context = await case_context(request, case_id, user)
        context.update(edit_error=error_text(translator(request[keys.LANG]), exc), edit_form=form)
        if exc.code == "conflict":  # the current record is on the page: saving again is a decision
            case = context["case"]
            conflicts, taken = merge(case, form, base)
            shown = {**form, **{k: _form_value(getattr(case, k)) for k in taken}, "version": str(case.version)}
            context.update(edit_diff=conflicts, edit_taken=taken, edit_conflict=await last_change(request, case_id),
                           edit_form=shown)  # fmt: skip
        return await render(request, "case_detail.html", context, status=case_error_status(exc))
    raise web.HTTPFound(f"/cases/{case_id}?done=edit")
