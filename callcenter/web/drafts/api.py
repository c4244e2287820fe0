"""The JSON API of the voicemail draft inbox (described in ``openapi_cases.py``)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from callcenter.web import keys
from callcenter.web.cases.api import case_detail_json
from callcenter.web.auth.session import requires
from callcenter.web.body import json_body
from callcenter.web.cases.present import case_json
from callcenter.web.drafts.inbox import LOW_CONFIDENCE, Draft, get_draft, list_drafts
from callcenter.web.errors import BadRequest
from callcenter.web.present import iso, names_of
from callcenter.web.auth.roles import Perm
from callcenter.web.scope import case_scope
from callcenter.web.cases.pages import case_id_of, the_user
from callcenter.web.drafts.pages import INBOX, confirm, discard, suggestion

routes = web.RouteTableDef()


def draft_json(draft: Draft, tz: ZoneInfo, units: dict[int, Any], people: dict[int, Any],
               suggest: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    vm = draft.vm
    data: dict[str, Any] = {
        "case": case_json(draft.case, tz, units, people), "status": draft.status,
        "call_id": draft.call.id if draft.call else None,
        "audio_url": f"/calls/{draft.call.id}/audio" if draft.call and draft.call.voicemail_path else None,
        "reason": vm.reason if vm is not None else None,
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


@routes.get("/api/drafts")
@requires(Perm.CASES_CREATE)
async def api_drafts(request: web.Request) -> web.Response:
    tz, user = request.app[keys.CONFIG].tz, await the_user(request)
    async with request.app[keys.READS]() as db:
        drafts = await list_drafts(db, limit=INBOX, scope=await case_scope(db, user))
    names = await names_of(request)
    units, people = names.units, names.people
    return web.json_response({"items": [draft_json(d, tz, units, people) for d in drafts]})


@routes.get(r"/api/drafts/{case_id:\d+}")
@requires(Perm.CASES_CREATE)
async def api_draft(request: web.Request) -> web.Response:
    tz, user = request.app[keys.CONFIG].tz, await the_user(request)
    async with request.app[keys.READS]() as db:
        draft = await get_draft(db, case_id_of(request), await case_scope(db, user))
    names = await names_of(request)
    units, people, stations = names.units, names.people, names.stations()
    return web.json_response(draft_json(draft, tz, units, people, suggestion(draft, stations)))


def _version(body: dict[str, Any]) -> int | None:
    raw = body.get("version")
    if raw is None:
        return None
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise BadRequest("version: the case version you saw (an integer)", field="version")
    return raw


@routes.post(r"/api/drafts/{case_id:\d+}/confirm")
@requires(Perm.CASES_CREATE)
async def api_confirm(request: web.Request) -> web.Response:
    """Correct the fields and accept (受理); optionally assign at once (``assign_station_id``)."""
    user, body = await the_user(request), await json_body(request)
    _version(body)  # an integer if given
    case = await confirm(request, case_id_of(request), body, user)
    return web.json_response(await case_detail_json(request, case.id))


@routes.post(r"/api/drafts/{case_id:\d+}/discard")
@requires(Perm.CASES_CREATE)
async def api_discard(request: web.Request) -> web.Response:
    user, body = await the_user(request), await json_body(request)
    reason = body.get("reason")
    if not isinstance(reason, str):
        raise BadRequest("reason: say why the draft is discarded", field="reason")
    case = await discard(request, case_id_of(request), reason, _version(body), user)
    return web.json_response(await case_detail_json(request, case.id))
