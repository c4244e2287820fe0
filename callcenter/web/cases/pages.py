"""Pages of the cases: the list, a case's detail with its timeline and actions (opening a case
from a call: :mod:`callcenter.web.cases.from_call`). A station account gets its own station's
cases only, on every route."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web

from callcenter.ami.calls import CallState
from callcenter.db.models import Call
from callcenter.tickets.cases import CaseDetail, get_case
from callcenter.tickets.clocks import escalation_rule
from callcenter.tickets.errors import CaseError
from callcenter.tickets.ruleset import RuleBook
from callcenter.tickets.workflow import KINDS
from callcenter.web import keys
from callcenter.web.cases import query as case_query
from callcenter.web.auth.session import current_user, now, requires
from callcenter.web.cases.actions import CAUTION, INPUTS, offered, perform, running_late
from callcenter.web.cases.present import edit_context
from callcenter.web.cases.query import parse_case_filters
from callcenter.web.cases.timeline import Entry, case_timeline
from callcenter.web.cases.words import JS_STRINGS as COUNTDOWN_STRINGS
from callcenter.web.errors import NotAuthenticated, NotFound
from callcenter.web.i18n import error_text, for_js, translator
from callcenter.web.middleware import case_error_status
from callcenter.web.models import User
from callcenter.web.audit.words import reason_text
from callcenter.web.present import names_of
from callcenter.web.render import page, render
from callcenter.web.auth.roles import Perm, allowed
from callcenter.web.scope import Scope, case_scope, visible
from callcenter.web.endpoints import record_id

routes = web.RouteTableDef()


def grouped(calls: list[Any]) -> list[tuple[str, list[Any]]]:
    from callcenter.web.cases.links import grouped as by_reason

    return by_reason(calls)


def case_id_of(request: web.Request) -> int:
    return record_id(request, "case_id", "no such case")


async def the_user(request: web.Request) -> User:
    user = await current_user(request)
    if user is None:  # the guard let it through, so only if revoked in between
        raise NotAuthenticated()
    return user


@routes.get("/cases", name="cases")
@requires(Perm.CASES_VIEW)
@page("cases.html")
async def cases_page(request: web.Request) -> dict[str, Any]:
    user = await the_user(request)
    filters = parse_case_filters(request.query)
    moment = now(request)
    async with request.app[keys.LIST_READS].connect() as db:
        scope = await case_scope(db, user)
        result = await case_query.fetch_cases(db, filters, scope, moment)
    names = await names_of(request)
    units, people = names.units, names.people
    stations = [] if scope.restricted else [u for u in names.stations() if scope.may_assign(u.id)]
    next_url = None
    if result.next_before:
        next_url = str(request.rel_url.with_query({**filters.query_args(), "before": str(result.next_before)}))
    return {
        "result": result, "filters": filters, "units": units, "people": people, "stations": stations,
        "kinds": KINDS, "states": case_query.STATE_CHOICES, "next_url": next_url, "now": moment,
        "first_url": str(request.rel_url.with_query(filters.query_args())), "restricted": scope.restricted,
        "js_strings": for_js(request[keys.LANG], COUNTDOWN_STRINGS),
        "station_name": units[scope.station_id].name_zh if scope.station_id in units else user.station_code or "",
    }  # fmt: skip


def rule_titles(book: RuleBook) -> dict[str, tuple[str, str]]:
    """Rule id → (zh, en) title, the escalation clock included."""
    titles = {rule_id: (rule.title_zh, rule.title_en) for rule_id, rule in book.rules.items()}
    esc = escalation_rule(book)
    titles[esc.id] = (esc.title_zh, esc.title_en)
    return titles


@dataclass(frozen=True)
class CaseView:
    """A case the user may see, as its page and its API show it."""

    detail: CaseDetail
    timeline: list[Entry]
    row: case_query.CaseRow  # its running clocks
    scope: Scope


async def read_case(request: web.Request, case_id: int, user: User, moment: datetime) -> CaseView:
    """The case with its timeline and running clocks; "no such case" outside the user's scope."""
    async with request.app[keys.READS]() as db:
        scope = await case_scope(db, user)
        try:
            detail = await get_case(db, case_id)
        except CaseError:
            raise NotFound("no such case") from None
        visible(scope, detail.case)
        timeline = await case_timeline(db, case_id, detail.events)
        [row] = await case_query.with_clocks(db, [detail.case], moment)
    return CaseView(detail, timeline, row, scope)


async def case_context(request: web.Request, case_id: int, user: User) -> dict[str, Any]:
    moment = now(request)
    view = await read_case(request, case_id, user, moment)
    detail, timeline, row, scope = view.detail, view.timeline, view.row, view.scope
    snapshot = await names_of(request)
    units, people, names = snapshot.units, snapshot.people, snapshot.actors
    # Whom a case may go to: active stations (an office head's own only) and their active people.
    stations = [u for u in units.values() if u.kind == "station" and u.active and scope.may_assign(u.id)]
    station_ids = {u.id for u in stations}
    station_people = [p for p in people.values() if p.role == "station" and p.active and p.unit_id in station_ids]
    actions = offered(detail.case, user, running_late(detail.deadlines, moment))
    return {
        "case": detail.case, "deadlines": detail.deadlines, "timeline": timeline, "row": row, "now": moment,
        "units": units, "people": people, "names": names, "actions": actions,
        "inputs": INPUTS, "caution": CAUTION, "station_people": station_people, "stations": stations,
        **edit_context(detail.case, user, actions),
        "can_act": allowed(user.role, Perm.CASES_ACT), "error": "", "error_action": "", "form": {},
        "done": request.query.get("done", ""), "js_strings": for_js(request[keys.LANG], COUNTDOWN_STRINGS),
        "rule_titles": rule_titles(request.app[keys.RULES]), "can_see_calls": allowed(user.role, Perm.CALL_VIEW),
        "call_groups": grouped(detail.calls), "can_relink": allowed(user.role, Perm.CASES_EDIT),
        "reason_text": lambda r, lang=request[keys.LANG]: reason_text(r, lang),
    }  # fmt: skip


@routes.get(r"/cases/{case_id:\d+}", name="case")
@requires(Perm.CASES_VIEW)
@page("case_detail.html")
async def case_page(request: web.Request) -> dict[str, Any]:
    return await case_context(request, case_id_of(request), await the_user(request))


@routes.post(r"/cases/{case_id:\d+}/actions/{action:[a-z_]+}", name="case_action")
@requires(Perm.CASES_ACT)
async def case_action_form(request: web.Request) -> web.StreamResponse:
    """Do a workflow action; on a refusal the case page again, with the reason and the input kept."""
    case_id, action = case_id_of(request), request.match_info["action"]
    user = await the_user(request)
    form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
    try:
        await perform(request.app[keys.SESSIONS], case_id, action, user=user, now=now(request), source=form)
    except CaseError as exc:
        if exc.code == "not_found":
            raise NotFound("no such case") from None
        context = await case_context(request, case_id, user)
        context.update(error=error_text(translator(request[keys.LANG]), exc), error_action=action, form=form)
        return await render(request, "case_detail.html", context, status=case_error_status(exc))
    raise web.HTTPFound(f"/cases/{case_id}?done={action}")


async def first_responder(request: web.Request, call_id: int, user: User) -> str:
    """首问责任人 of a case opened from a call: whoever answered it — also while it is still
    going on (the live state knows before the row does) — else the clerk opening the case
    (by extension, as calls name clerks)."""
    async with request.app[keys.READS]() as db:
        call = await db.get(Call, call_id)
    if call is None:
        raise NotFound("no such call")
    live = None
    if call.status == "open" and call.state:
        try:
            live = CallState.from_json(call.state).answered_by
        except (TypeError, KeyError, ValueError):
            live = None
    return call.answered_by or live or user.extension or user.username
