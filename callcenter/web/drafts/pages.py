"""The voicemail draft inbox: the queue on the left, the selected draft on the right (recording,
transcript with its doubtful words marked, fields read from it), confirm or discard."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from callcenter.tickets.errors import CaseError
from callcenter.tickets.errors import Forbidden as CaseForbidden
from callcenter.tickets.models import Case
from callcenter.tickets.workflow import KINDS, SEVERITIES
from callcenter import phones
from callcenter.web import keys
from callcenter.web.calls import audio
from callcenter.web.auth.session import now, requires
from callcenter.web.drafts.inbox import (
    LOW_CONFIDENCE,
    Draft,
    assign_station,
    confirm_draft,
    discard_draft,
    get_draft,
    list_drafts,
    removed_message,
)
from callcenter.web.errors import Forbidden, NotFound
from callcenter.web.drafts.words import JS_STRINGS as LIVE_STRINGS
from callcenter.web.i18n import error_text, for_js, translator
from callcenter.web.middleware import case_error_status
from callcenter.web.models import User
from callcenter.web.present import names_of
from callcenter.web.render import render
from callcenter.web.auth.roles import Perm
from callcenter.web.scope import case_scope, visible, workflow_role
from callcenter.web.cases.pages import case_id_of, the_user

routes = web.RouteTableDef()
INBOX = 200
MAX_PHONES = 20  # numbers shown of one draft
# What drafts.js writes (the live queue, the transcript arriving).
# The transcript's category hint (transcribe/keywords.toml) → the kind of case it suggests.
CATEGORY_KIND = {"urgent_repair": "repair", "temperature": "temperature", "repair": "repair",
                 "complaint": "complaint", "billing": "consultation", "application": "application",
                 "consultation": "consultation"}  # fmt: skip


def suggestion(draft: Draft, stations: list[Any]) -> dict[str, Any]:
    """What the transcript suggests: a kind (from its category hint), urgency, a station."""
    extracted = (draft.vm.extracted if draft.vm is not None else None) or {}
    category = extracted.get("category") if isinstance(extracted, dict) else None
    hint = str(extracted.get("station") or "") if isinstance(extracted, dict) else ""
    station = next((u for u in stations if hint and u.name_zh.startswith(hint)), None)
    extracted = extracted if isinstance(extracted, dict) else {}
    return {"kind": CATEGORY_KIND.get(str(category or ""), draft.case.kind), "urgent": category == "urgent_repair",
            "station": station, "extracted": extracted, "phones": phones_of(extracted)}  # fmt: skip


def phones_of(extracted: dict[str, Any]) -> list[dict[str, Any]]:
    """Every number the transcript holds, the likeliest callback number first, as clerks read
    them (``display``) and dial them (``dial``); stored JSON is untrusted (and older drafts
    hold digits only): what does not parse is shown as it is, never dialled."""
    raw = extracted.get("phones")
    said = [str(p) for p in raw if isinstance(p, (str, int))] if isinstance(raw, list) else []
    callback = extracted.get("callback")
    order = ([callback] if callback in said else []) + [p for p in said if p != callback]
    out = []
    for value in order[:MAX_PHONES]:
        phone = phones.parse(value)
        out.append({"display": phone.display if phone else value[:64], "dial": phone.dialled if phone else "",
                    "callback": value == callback})  # fmt: skip
    return out


def role_of(user: User) -> str:
    role = workflow_role(user)
    if role is None:
        raise Forbidden("your role does not accept cases")
    return role


async def inbox_context(request: web.Request, case_id: int | None) -> dict[str, Any]:
    user = await the_user(request)
    async with request.app[keys.READS]() as db:
        scope = await case_scope(db, user)
        drafts = await list_drafts(db, limit=INBOX, scope=scope)
        selected = None
        if case_id is not None:
            selected = await get_draft(db, case_id, scope)
        elif drafts:
            selected = await get_draft(db, drafts[0].case.id, scope)
    # Where a confirmed draft may go at once: active stations (an office head's own only).
    stations = [u for u in (await names_of(request)).stations() if u.active and scope.may_assign(u.id)]
    spool = request.app[keys.CONFIG].spool_dir
    has_audio = bool(selected and selected.call and audio.recording(spool, selected.call.voicemail_path))
    return {
        "drafts": drafts, "selected": selected, "has_audio": has_audio, "stations": stations,
        "suggest": suggestion(selected, stations) if selected else {}, "kinds": KINDS, "severities": SEVERITIES,
        "low": LOW_CONFIDENCE, "error": "", "form": {}, "now": now(request),
        "js_strings": for_js(request[keys.LANG], LIVE_STRINGS),
    }  # fmt: skip


@routes.get("/drafts", name="drafts")
@requires(Perm.CASES_CREATE)
async def drafts_page(request: web.Request) -> web.StreamResponse:
    return await render(request, "drafts.html", await inbox_context(request, None))


@routes.get(r"/drafts/{case_id:\d+}", name="draft")
@requires(Perm.CASES_CREATE)
async def draft_page(request: web.Request) -> web.StreamResponse:
    return await render(request, "drafts.html", await inbox_context(request, case_id_of(request)))


async def _refused(request: web.Request, case_id: int, exc: CaseError, form: dict[str, str]) -> web.StreamResponse:
    if exc.code == "not_found":
        raise NotFound("no such draft") from None
    try:
        context = await inbox_context(request, case_id)
    except NotFound:  # no longer a draft (someone else confirmed it): the inbox, with the reason
        context = await inbox_context(request, None)
    context.update(error=error_text(translator(request[keys.LANG]), exc), form=form)
    return await render(request, "drafts.html", context, status=case_error_status(exc))


@routes.post(r"/drafts/{case_id:\d+}/confirm", name="draft_confirm")
@requires(Perm.CASES_CREATE)
async def confirm_form(request: web.Request) -> web.StreamResponse:
    case_id, user = case_id_of(request), await the_user(request)
    form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
    for flag in ("urgent", "difficult"):  # an unticked box is not sent: it means "no"
        form.setdefault(flag, "")
    try:
        case = await confirm(request, case_id, form, user)
    except CaseError as exc:
        return await _refused(request, case_id, exc, form)
    raise web.HTTPFound(f"/cases/{case.id}?done=accept")


async def confirm(request: web.Request, case_id: int, source: dict[str, Any], user: User) -> Case:
    """Confirm a draft the user may see, assigning it (if asked) only where the user may; the
    inboxes open elsewhere hear that it left."""
    async with request.app[keys.READS]() as db:
        scope = await case_scope(db, user)
        visible(scope, await db.get(Case, case_id))  # out of scope: not found (a non-draft: 409 below)
    station = assign_station(source)
    if not scope.may_assign(station):
        raise CaseForbidden(f"assign_station_id: station {station} is not under your office")
    case = await confirm_draft(request.app[keys.SESSIONS], case_id, source, actor=user.username,
                               role=role_of(user), now=now(request), version=_version(source),
                               responder=user.extension or user.username)  # fmt: skip
    request.app[keys.FEED].publish(removed_message(case_id, "accepted"))
    return case


async def discard(request: web.Request, case_id: int, reason: str, version: int | None, user: User) -> Case:
    async with request.app[keys.READS]() as db:
        visible(await case_scope(db, user), await db.get(Case, case_id))
    case = await discard_draft(request.app[keys.SESSIONS], case_id, reason, actor=user.username,
                               role=role_of(user), now=now(request), version=version)  # fmt: skip
    request.app[keys.FEED].publish(removed_message(case_id, "discarded"))
    return case


@routes.post(r"/drafts/{case_id:\d+}/discard", name="draft_discard")
@requires(Perm.CASES_CREATE)
async def discard_form(request: web.Request) -> web.StreamResponse:
    case_id, user = case_id_of(request), await the_user(request)
    form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
    try:
        await discard(request, case_id, form.get("reason", ""), _version(form), user)
    except CaseError as exc:
        return await _refused(request, case_id, exc, form)
    raise web.HTTPFound("/drafts")


def _version(form: dict[str, Any]) -> int | None:
    try:
        return int(form["version"]) if form.get("version") not in (None, "") else None
    except (TypeError, ValueError):
        return None
