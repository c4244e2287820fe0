"""The JSON API of administration (described in ``openapi_admin.py``): accounts, the directory,
the working-day calendar, the deadline rules and the extraction tables."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aiohttp import web

from callcenter.tickets import calendar_store as store
from callcenter.tickets.calendar import library_knows
from callcenter.tickets.ruleset import Limit, Rule
from callcenter.web import keys
from callcenter.web.auth.accounts import AccountError
from callcenter.web.admin.users import Account, list_accounts, user_json
from callcenter.web.body import json_body
from callcenter.web.auth.session import now, requires
from callcenter.web.errors import BadRequest
from callcenter.web.present import iso
from callcenter.web.auth.roles import Perm
from callcenter.web.admin.pages import add_account, change_active, change_office, change_password, directory_data
from callcenter.web.admin.calendar import confirm_from, hours_from, parse_day, set_day_from, unset_day_from, year_of
from callcenter.web.admin.directory import person_json, unit_json
from callcenter.web.admin.extraction import NAMES, tables_in_force

routes = web.RouteTableDef()


def _user(account: Account, request: web.Request) -> dict[str, Any]:
    tz = request.app[keys.CONFIG].tz
    return user_json(account, lambda moment: iso(moment, tz))


@routes.get("/api/admin/users")
@requires(Perm.ADMIN_VIEW)
async def api_users(request: web.Request) -> web.Response:
    async with request.app[keys.READS]() as db:
        accounts = await list_accounts(db)
    return web.json_response({"items": [_user(a, request) for a in accounts]})


@routes.post("/api/admin/users")
@requires(Perm.ADMIN_EDIT)
async def api_add_user(request: web.Request) -> web.Response:
    try:
        added = await add_account(request, await json_body(request))
    except AccountError as exc:
        raise BadRequest(str(exc)) from None
    return web.json_response(_user(Account(added, None), request), status=201)


@routes.post(r"/api/admin/users/{user_id:\d+}/active")
@requires(Perm.ADMIN_EDIT)
async def api_user_active(request: web.Request) -> web.Response:
    body = await json_body(request)
    if not isinstance(body.get("active"), bool):
        raise BadRequest("active: true or false", field="active")
    changed = await change_active(request, body["active"])
    return web.json_response(_user(Account(changed, None), request))


@routes.post(r"/api/admin/users/{user_id:\d+}/password")
@requires(Perm.ADMIN_EDIT)
async def api_user_password(request: web.Request) -> web.Response:
    body = await json_body(request)
    if not isinstance(body.get("password"), str):
        raise BadRequest("password: the new password", field="password")
    revoked = await change_password(request, body["password"])
    return web.json_response({"sessions_revoked": revoked})


@routes.post(r"/api/admin/users/{user_id:\d+}/office")
@requires(Perm.ADMIN_EDIT)
async def api_user_office(request: web.Request) -> web.Response:
    body = await json_body(request)
    if not isinstance(body.get("office_code"), str):
        raise BadRequest("office_code: the code of the heating management office", field="office_code")
    changed = await change_office(request, body["office_code"])
    return web.json_response(_user(Account(changed, None), request))


@routes.get("/api/directory")
@requires(Perm.ADMIN_VIEW)
async def api_directory(request: web.Request) -> web.Response:
    data = await directory_data(request)
    return web.json_response({"units": [unit_json(u) for u in data["units"]],
                              "people": [person_json(p) for p in data["people"]]})  # fmt: skip


@routes.get("/api/calendar")
@requires(Perm.ADMIN_VIEW)
async def api_calendar(request: web.Request) -> web.Response:
    tz, moment = request.app[keys.CONFIG].tz, now(request)
    year = year_of(request.query, moment.astimezone(tz).date())
    async with request.app[keys.READS]() as db:
        days = await store.list_days(db, year)
        status = next((y for y in await store.list_years(db) if y.year == year), None)
        opens, closes = await store.business_hours(db)
        warnings = await store.calendar_warnings(db, moment)
    return web.json_response({
        "year": year, "status": status.status if status else ("seeded" if library_knows(year) else "unknown"),
        "library_knows": library_knows(year),
        "days": [{"day": d.day.isoformat(), "is_workday": d.is_workday, "note": d.note, "source": d.source,
                  "updated_by": d.updated_by, "updated_at": iso(d.updated_at, tz)} for d in days],
        "business_hours": {"opens": opens.isoformat("minutes"), "closes": closes.isoformat("minutes")},
        "warnings": [{"year": w.year, "text_zh": w.text_zh, "text_en": w.text_en} for w in warnings],
    })  # fmt: skip


@routes.post("/api/calendar/days")
@requires(Perm.ADMIN_EDIT)
async def api_set_day(request: web.Request) -> web.Response:
    body = await json_body(request)
    if isinstance(body.get("is_workday"), bool):
        body["is_workday"] = "work" if body["is_workday"] else "holiday"
    day, moved = await set_day_from(request, body)
    return web.json_response({"day": day.isoformat(), "due_times_moved": moved})


@routes.delete(r"/api/calendar/days/{day:\d{4}-\d{2}-\d{2}}")
@requires(Perm.ADMIN_EDIT)
async def api_unset_day(request: web.Request) -> web.Response:
    day = parse_day(request.match_info["day"])
    moved = await unset_day_from(request, day, await json_body(request))
    return web.json_response({"day": day.isoformat(), "due_times_moved": moved})


@routes.post(r"/api/calendar/years/{year:\d{4}}/confirm")
@requires(Perm.ADMIN_EDIT)
async def api_confirm_year(request: web.Request) -> web.Response:
    year = year_of({"year": request.match_info["year"]}, now(request).date())
    moved = await confirm_from(request, year, await json_body(request))
    return web.json_response({"year": year, "due_times_moved": moved})


@routes.put("/api/calendar/business-hours")
@requires(Perm.ADMIN_EDIT)
async def api_business_hours(request: web.Request) -> web.Response:
    moved = await hours_from(request, await json_body(request))
    return web.json_response({"due_times_moved": moved})


def _limit(limit: Limit) -> dict[str, Any]:
    return {k: (v.isoformat("minutes") if hasattr(v, "isoformat") else v) for k, v in asdict(limit).items()}


def _rule(rule: Rule) -> dict[str, Any]:
    warn = None
    if rule.warn is not None:
        before = rule.warn.before.total_seconds() / 60 if rule.warn.before else None
        warn = {"notify": list(rule.warn.notify), "before_minutes": before, "at": rule.warn.at}
    return {"id": rule.id, "group": rule.group, "title_zh": rule.title_zh, "title_en": rule.title_en,
            "applies_to": {k: list(v) for k, v in asdict(rule.applies_to).items()}, "start": rule.start,
            "stop": list(rule.stop), "limit": _limit(rule.limit), "warn": warn,
            "breach_notify": list(rule.breach_notify), "case_limit_overrides": rule.case_limit_overrides,
            "note": rule.note}  # fmt: skip


@routes.get("/api/rules")
@requires(Perm.ADMIN_VIEW)
async def api_rules(request: web.Request) -> web.Response:
    book = request.app[keys.RULES]
    reports = [{"id": r.id, "title_zh": r.title_zh, "title_en": r.title_en, "every": r.every, "day": r.day,
                "roll": r.roll, "covers": r.covers, "kinds": list(r.kinds), "approved_by": list(r.approved_by)}
               for r in book.reports.values()]  # fmt: skip
    return web.json_response({"rules": [_rule(r) for r in book.rules.values()], "reports": reports})


@routes.get("/api/extraction")
@requires(Perm.ADMIN_VIEW)
async def api_extraction(request: web.Request) -> web.Response:
    """Both tables in force, parsed (their TOML text: ``/api/admin/extraction/{name}``)."""
    _, tables = await tables_in_force(request)
    keywords, gazetteer = tables.keywords, tables.gazetteer
    return web.json_response({
        "keywords": {"source": keywords.source, "categories": [
            {"name": c.name, "label": c.label, "priority": c.priority, "keywords": list(c.keywords)}
            for c in keywords.categories]},
        "gazetteer": {"source": gazetteer.source, "demo": gazetteer.demo, "stations": dict(gazetteer.stations),
                      "names": [{"said": n, "compound": c, "station": s} for n, c, s in gazetteer.names]},
        "versions": dict(zip(NAMES, tables.versions, strict=True)), "editable": True,
    })  # fmt: skip
