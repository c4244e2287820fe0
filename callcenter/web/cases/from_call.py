"""Opening a case from a call: the case form, pre-filled from the call, and its submission.

``GET /calls/{id}/case/new`` shows the form (nothing is created by opening it): the caller's
number; name and address from this call's notes, else from the latest notes or case of the same
number; the problem from this call's summary; the kind from the notes' category when it names
one. What the call decides is shown, not asked: when it came in, the source (电话, or 留言 for a
voicemail) and the first responsible person (首问责任人: whoever answered it). The clerk picks the
kind, completes the record and submits (``POST /calls/{id}/case``); the case is accepted and
linked to the call.

A call opens one case. When it already has one, the form says so and links it, and a submission
is refused (409) naming that case — the old behaviour handed the old case back as if it had
just been created, with its old kind, whatever the clerk had picked.

Required fields follow the rule book (``hotline-rules.md``): every case records what the
caller wants (问题描述); whatever a station must visit (complaint, supervision, repair,
temperature) records where (小区); a repair report also needs the building, the caller's name,
a contact phone and the extent of damage (报修: 楼号、姓名、损坏部位、联系电话、毁损情况).
A refused form comes back with everything the clerk typed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.db.models import Call
from callcenter.tickets.cases import normalize_phone
from callcenter.tickets.errors import N_, CaseError, CaseExists, InvalidInput
from callcenter.tickets.models import Case, CaseCall
from callcenter.tickets.repeat import create_case_from_call
from callcenter.tickets.workflow import KINDS, SEVERITIES
from callcenter.web import keys
from callcenter.web.i18n import error_text, translator
from callcenter.web.auth.roles import Perm
from callcenter.web.auth.session import now, requires
from callcenter.web.calls.pages import call_id_of
from callcenter.web.cases.pages import first_responder, the_user
from callcenter.web.drafts.inbox import read_fields
from callcenter.web.errors import Forbidden, NotFound
from callcenter.web.middleware import case_error_status
from callcenter.web.models import CallNote, User
from callcenter.web.present import names_of
from callcenter.web.render import render
from callcenter.web.scope import case_scope, workflow_role

routes = web.RouteTableDef()

ON_SITE = ("problem", "compound")
REQUIRED: dict[str, tuple[str, ...]] = {
    "complaint": ON_SITE,
    "supervision": ON_SITE,
    "temperature": ON_SITE,
    "repair": ("problem", "compound", "building", "caller_name", "caller_phone", "damage"),
    "consultation": ("problem",),
    "application": ("problem",),
}
FIELDS = ("kind", "caller_name", "caller_phone", "compound", "building", "unit_no", "room", "problem", "damage",
          "severity", "urgent")  # fmt: skip
_PART = re.compile(r"\s*(?:(\w{1,8}?)(?:号楼|栋|幢)|(\d{1,3})单元|(\d{1,8})(?:室|号)?)\s*")


async def opened_case(db: AsyncSession, call_id: int) -> Case | None:
    """The case opened from this call (its ``first`` link), if any."""
    return await db.scalar(select(Case).join(CaseCall, CaseCall.case_id == Case.id)
                           .where(CaseCall.call_id == call_id, CaseCall.reason == "first").limit(1))  # fmt: skip


def split_address(text: str) -> dict[str, str]:
    """A typed address (the notes keep one line: 丽景湾小区 3号楼 2单元 501) as the case's fields.
    Split only when the line is a compound followed by building / unit / room and nothing else;
    any other line goes whole into 小区, so nothing the clerk wrote is lost or misplaced."""
    text = " ".join(text.split())
    if not text:
        return {}
    m = re.match(r"^(.+?(?:小区|花园|家园|嘉园|新村|公寓|苑|区))\s*(.*)$", text)
    if m:
        compound, rest, parts = m[1], m[2], {"building": "", "unit_no": "", "room": ""}
        pos = 0
        while pos < len(rest):
            part = _PART.match(rest, pos)
            if not part or part.end() == pos:
                break
            building, unit, room = part.groups()
            for name, value in (("building", building), ("unit_no", unit), ("room", room)):
                if value:
                    if parts[name]:
                        return {"compound": text}
                    parts[name] = value
            pos = part.end()
        if pos >= len(rest) and rest:
            return {"compound": compound, **{k: v for k, v in parts.items() if v}}
        if not rest:
            return {"compound": compound}
    return {"compound": text}


async def prefill(db: AsyncSession, call: Call) -> tuple[dict[str, str], str]:
    """The form's first values and where name and address came from (``call``: this call's
    notes; ``history``: an earlier call or case of this number; ``""``: nowhere)."""
    values: dict[str, str] = {"caller_phone": normalize_phone(call.caller_number), "caller_name": "",
                              "problem": "", "kind": ""}  # fmt: skip
    note = await db.scalar(select(CallNote).where(CallNote.call_id == call.id))
    origin = ""
    if note is not None:
        values["problem"] = note.summary
        values["kind"] = note.category if note.category in KINDS else ""
        values["caller_name"] = note.caller_name
        values.update(split_address(note.address))
        if note.caller_name or note.address:
            origin = "call"
    if not call.caller_number or (values["caller_name"] and values.get("compound")):
        return values, origin
    # This number's latest notes with a name or an address, then its latest case.
    earlier = await db.scalar(
        select(CallNote).join(Call, Call.id == CallNote.call_id)
        .where(Call.caller_number == call.caller_number, Call.id != call.id,
               (CallNote.caller_name != "") | (CallNote.address != ""))
        .order_by(Call.started_at.desc()).limit(1)
    )  # fmt: skip
    phone = values["caller_phone"]
    case = None
    if phone:
        case = await db.scalar(select(Case).where(Case.caller_phone == phone).order_by(Case.id.desc()).limit(1))
    found = False
    if earlier is not None:
        if not values["caller_name"] and earlier.caller_name:
            values["caller_name"], found = earlier.caller_name, True
        if not values.get("compound") and earlier.address:
            values.update(split_address(earlier.address))
            found = True
    if case is not None:
        if not values["caller_name"] and case.caller_name:
            values["caller_name"], found = case.caller_name, True
        if not values.get("compound") and case.compound:
            values.update(compound=case.compound, building=case.building, unit_no=case.unit_no, room=case.room)
            found = True
    return values, origin or ("history" if found else "")


def missing(values: Mapping[str, Any]) -> list[str]:
    """The fields the kind needs that are empty (the kind itself first when none was picked)."""
    kind = values.get("kind") or ""
    if kind not in REQUIRED:
        return ["kind"]
    return [name for name in REQUIRED[kind] if not str(values.get(name) or "").strip()]


def read_case_fields(source: Mapping[str, Any]) -> dict[str, Any]:
    """The case fields of the form or the JSON body, checked; the kind's required ones present."""
    values = read_fields({k: v for k, v in source.items() if k in FIELDS})
    absent = missing(values)
    if absent:
        if absent == ["kind"]:
            raise InvalidInput(N_("kind: required for a case"))
        raise InvalidInput(N_("%(fields)s: required for %(kind)s (the rule book's record of the kind)"),
                           fields=absent, kind=values.get("kind"))  # fmt: skip
    return values


async def open_case(request: web.Request, call_id: int, source: Mapping[str, Any], user: User) -> Case:
    """Create, accept and link the case the clerk filled in; :class:`CaseExists` if the call
    already has one, :class:`InvalidInput` naming what is missing."""
    role = workflow_role(user)
    if role is None:
        raise Forbidden("your role does not open cases")
    responder = await first_responder(request, call_id, user)  # 404 for an unknown call
    async with request.app[keys.READS]() as db:  # first: whatever was typed, this call has its case
        existing = await opened_case(db, call_id)
    if existing is not None:
        raise CaseExists(N_("call #%(call)s already has case #%(case)s (%(kind)s, %(state)s); nothing new was "
                            "created"), case_id=existing.id, call=call_id, case=existing.id, kind=existing.kind,
                         state=existing.state)  # fmt: skip
    values = read_case_fields(source)
    kind = values.pop("kind")
    return await create_case_from_call(request.app[keys.SESSIONS], call_id, kind=kind, actor=user.username,
                                       role=role, now=now(request), first_responder=responder,
                                       **values)  # fmt: skip


async def form_context(request: web.Request, call_id: int, user: User) -> dict[str, Any]:
    async with request.app[keys.READS]() as db:
        call = await db.get(Call, call_id)
        if call is None:
            raise NotFound("no such call")
        existing = await opened_case(db, call_id)
        if existing is not None and not (await case_scope(db, user)).sees(existing):
            existing = None  # out of this user's scope: not shown (the submission still refuses)
        values, origin = await prefill(db, call)
    responder = await first_responder(request, call_id, user)
    clerks = (await names_of(request)).clerks
    return {"call": call, "existing": existing, "form": values, "origin": origin, "kinds": KINDS,
            "severities": SEVERITIES, "required": REQUIRED, "missing": [], "error": "",
            "source": "voicemail" if call.disposition == "voicemail" else "phone",
            "responder": responder, "responder_name": clerks.get(responder, "")}  # fmt: skip


@routes.get(r"/calls/{call_id:\d+}/case/new", name="call_case_new")
@requires(Perm.CASES_CREATE)
async def new_case_page(request: web.Request) -> web.StreamResponse:
    user = await the_user(request)
    return await render(request, "case_new.html", await form_context(request, call_id_of(request), user))


@routes.post(r"/calls/{call_id:\d+}/case", name="call_case")
@requires(Perm.CASES_CREATE)
async def case_from_call_form(request: web.Request) -> web.StreamResponse:
    """Submit the form: to the new case; refused, the form again with the reason and the input."""
    call_id, user = call_id_of(request), await the_user(request)
    form = {k: v for k, v in (await request.post()).items() if isinstance(v, str) and k in FIELDS}
    form.setdefault("urgent", "")  # an unticked box is not sent: it means "no"
    try:
        case = await open_case(request, call_id, form, user)
    except CaseError as exc:
        if exc.code == "not_found":
            raise NotFound("no such call") from None
        context = await form_context(request, call_id, user)
        context.update(form=form, error=error_text(translator(request[keys.LANG]), exc), missing=missing(form))
        return await render(request, "case_new.html", context, status=case_error_status(exc))
    raise web.HTTPFound(f"/cases/{case.id}?done=create")

