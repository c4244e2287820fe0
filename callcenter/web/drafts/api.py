"""The JSON API of the voicemail draft inbox; each route declared once (:mod:`callcenter.web.endpoints`)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from callcenter.web import keys
from callcenter.web.cases.api import case_detail_json
from callcenter.web.cases.present import case_json
from callcenter.web.drafts.inbox import LOW_CONFIDENCE, Draft, get_draft, list_drafts
from callcenter.web.present import iso, names_of
from callcenter.web.auth.roles import Perm
from callcenter.web.scope import case_scope
from callcenter.web.cases.pages import the_user
from callcenter.web.cases.schemas import CasePath, DraftConfirmIn, DraftDiscardIn, sent
from callcenter.web.endpoints import Endpoints
from callcenter.web.drafts.pages import INBOX, confirm, discard, suggestion

api = Endpoints()
routes = api.routes


def draft_json(draft: Draft, tz: ZoneInfo, units: dict[int, Any], people: dict[int, Any],
               suggest: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    vm = draft.vm
    data: dict[str, Any] = {
        "case": case_json(draft.case, tz, units, people), "status": draft.status,
        "call_id": draft.call.id if draft.call else None,
        "audio_url": f"/calls/{draft.call.id}/audio" if draft.call and draft.call.voicemail_path else None,
        "reason": vm.reason if vm is not None else None,  # the operator's diagnostic, as stored
        "notice": draft.notice,  # what the clerk is told: the key of drafts.why.<notice>
        "transcript": vm.transcript if vm is not None else None,
        "confidence": vm.confidence if vm is not None else None,
        "words": [{"word": w.text, "conf": w.conf, "start": w.start, "low": w.low} for w in draft.words],
        "low_confidence_below": LOW_CONFIDENCE,
        "extracted": vm.extracted if vm is not None else None,
        "filled": list(vm.filled or []) if vm is not None else [],
        "transcribed_at": iso(vm.transcribed_at, tz) if vm is not None else None,
    }  # fmt: skip
    if suggest is not None:
        station = suggest.get("station")
        data["suggested"] = {"kind": suggest["kind"], "urgent": suggest["urgent"],
                             "station_id": station.id if station else None,
                             "phones": suggest.get("phones", [])}  # fmt: skip
    return data


@api.get("/api/drafts", Perm.CASES_CREATE)
async def list_drafts_api(request: web.Request) -> web.Response:
    """voicemail drafts to confirm, oldest first"""
    tz, user = request.app[keys.CONFIG].tz, await the_user(request)
    async with request.app[keys.READS]() as db:
        drafts = await list_drafts(db, limit=INBOX, scope=await case_scope(db, user))
    names = await names_of(request)
    units, people = names.units, names.people
    return web.json_response({"items": [draft_json(d, tz, units, people) for d in drafts]})


@api.get(r"/api/drafts/{case_id:\d+}", Perm.CASES_CREATE, path=CasePath)
async def get_draft_api(request: web.Request, path: CasePath) -> web.Response:
    """a draft with its transcript, the numbers and fields read from it, and suggestions"""
    tz, user = request.app[keys.CONFIG].tz, await the_user(request)
    async with request.app[keys.READS]() as db:
        draft = await get_draft(db, path.case_id, await case_scope(db, user))
    names = await names_of(request)
    units, people, stations = names.units, names.people, names.stations()
    return web.json_response(draft_json(draft, tz, units, people, suggestion(draft, stations)))


@api.post(r"/api/drafts/{case_id:\d+}/confirm", Perm.CASES_CREATE, path=CasePath, body=DraftConfirmIn)
async def confirm_draft_api(request: web.Request, path: CasePath, body: DraftConfirmIn) -> dict[str, Any]:
    """correct the fields and accept (受理); optionally assign at once (assign_station_id)"""
    user = await the_user(request)
    case = await confirm(request, path.case_id, sent(body), user)
    return await case_detail_json(request, case.id)


@api.post(r"/api/drafts/{case_id:\d+}/discard", Perm.CASES_CREATE, path=CasePath, body=DraftDiscardIn)
async def discard_draft_api(request: web.Request, path: CasePath, body: DraftDiscardIn) -> dict[str, Any]:
    """archive a draft that is no case, with the reason"""
    user = await the_user(request)
    case = await discard(request, path.case_id, body.reason, body.version, user)
    return await case_detail_json(request, case.id)
