"""The JSON API of administration: accounts, the directory, the working-day calendar, the
deadline rules and the extraction tables; each route declared once (:mod:`callcenter.web.endpoints`)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aiohttp import web

from callcenter.tickets import calendar_store as store
from callcenter.tickets.calendar import library_knows
from callcenter.tickets.ruleset import Limit, Rule
from callcenter.web import keys
from callcenter.web.admin import calendar_bulk as bulk
from callcenter.web.admin.calendar import confirm_from, hours_from, set_day_from, unset_day_from
from callcenter.web.admin.extraction import NAMES, tables_in_force
from callcenter.web.admin.pages import add_account, change_active, change_office, change_password, directory_data
from callcenter.web.admin.directory import person_json, unit_json
from callcenter.web.admin.schemas import (
    Active, CalendarBulkIn, CalendarBulkOut, DayPath, DaySet, Hours, Moved, NewPassword, NewUser, Office, Revoked, UserList, UserOut, UserPath,
    WithReason, YearPath, YearQuery, present,
)
from callcenter.web.admin.users import Account, list_accounts, user_json
from callcenter.web.auth.accounts import AccountError
from callcenter.web.auth.roles import Perm
from callcenter.web.auth.session import now
from callcenter.web.cases.pages import the_user
from callcenter.web.i18n import translator
from callcenter.web.endpoints import Endpoints
from callcenter.web.errors import BadRequest
from callcenter.web.present import iso

api = Endpoints()
routes = api.routes


def _user(account: Account, request: web.Request) -> dict[str, Any]:
    tz = request.app[keys.CONFIG].tz
    return user_json(account, lambda moment: iso(moment, tz))


@api.get("/api/admin/users", Perm.ADMIN_VIEW, response=UserList)
async def list_users(request: web.Request) -> dict[str, Any]:
    """every panel account, active first"""
    async with request.app[keys.READS]() as db:
        accounts = await list_accounts(db)
    return {"items": [_user(a, request) for a in accounts]}


@api.post("/api/admin/users", Perm.ADMIN_EDIT, body=NewUser, response=UserOut, status=201)
async def add_user(request: web.Request, body: NewUser) -> dict[str, Any]:
    """add an account (the password must pass the policy)"""
    try:
        added = await add_account(request, present(body))
    except AccountError as exc:
        field = str(exc).split(":", 1)[0]
        raise BadRequest(str(exc), field=field if field in NewUser.model_fields else None) from None
    return _user(Account(added, None), request)


@api.post(r"/api/admin/users/{user_id:\d+}/active", Perm.ADMIN_EDIT, path=UserPath, body=Active, response=UserOut)
async def set_user_active(request: web.Request, path: UserPath, body: Active) -> dict[str, Any]:
    """enable or disable an account (disabling ends its sessions)"""
    changed = await change_active(request, body.active)
    return _user(Account(changed, None), request)


@api.post(r"/api/admin/users/{user_id:\d+}/password", Perm.ADMIN_EDIT, path=UserPath, body=NewPassword,
          response=Revoked)  # fmt: skip
async def set_user_password(request: web.Request, path: UserPath, body: NewPassword) -> dict[str, Any]:
    """set an account's password (its sessions end)"""
    return {"sessions_revoked": await change_password(request, body.password)}


@api.post(r"/api/admin/users/{user_id:\d+}/office", Perm.ADMIN_EDIT, path=UserPath, body=Office, response=UserOut)
async def set_user_office(request: web.Request, path: UserPath, body: Office) -> dict[str, Any]:
    """link an office-head account to its heating management office"""
    changed = await change_office(request, body.office_code)
    return _user(Account(changed, None), request)


@api.get("/api/directory", Perm.ADMIN_VIEW)
async def directory(request: web.Request) -> dict[str, Any]:
    """the directory: units (stations, offices, ...) and people"""
    data = await directory_data(request)
    return {"units": [unit_json(u) for u in data["units"]], "people": [person_json(p) for p in data["people"]]}


@api.get("/api/calendar", Perm.ADMIN_VIEW, query=YearQuery)
async def calendar(request: web.Request, query: YearQuery) -> dict[str, Any]:
    """a year of the working-day table, its status and the calendar warnings"""
    tz, moment = request.app[keys.CONFIG].tz, now(request)
    year = query.year or moment.astimezone(tz).year
    async with request.app[keys.READS]() as db:
        days = await store.list_days(db, year)
        status = next((y for y in await store.list_years(db) if y.year == year), None)
        opens, closes = await store.business_hours(db)
        warnings = await store.calendar_warnings(db, moment)
    return {
        "year": year, "status": status.status if status else ("seeded" if library_knows(year) else "unknown"),
        "library_knows": library_knows(year),
        "days": [{"day": d.day.isoformat(), "is_workday": d.is_workday, "note": d.note, "source": d.source,
                  "updated_by": d.updated_by, "updated_at": iso(d.updated_at, tz)} for d in days],
        "business_hours": {"opens": opens.isoformat("minutes"), "closes": closes.isoformat("minutes")},
        "warnings": [{"year": w.year, "text_zh": w.text_zh, "text_en": w.text_en} for w in warnings],
    }  # fmt: skip


@api.post("/api/calendar/days", Perm.ADMIN_EDIT, body=DaySet, response=Moved)
async def set_day(request: web.Request, body: DaySet) -> dict[str, Any]:
    """make a day a working day or a day off (due times that move are recomputed)"""
    fields = present(body)
    if isinstance(body.is_workday, bool):
        fields["is_workday"] = "work" if body.is_workday else "holiday"
    day, moved = await set_day_from(request, fields)
    return {"day": day, "due_times_moved": moved}


@api.post("/api/calendar/days/bulk", Perm.ADMIN_EDIT, body=CalendarBulkIn, response=CalendarBulkOut)
async def set_days(request: web.Request, body: CalendarBulkIn) -> dict[str, Any]:
    """many days at once (pasted lines and/or a list): the preview, and unless ``dry_run`` all saved
    in one transaction, each audited; a bad line is a 400 naming every bad line, nothing saved"""
    listed = "\n".join(f"{d.day.isoformat()} {'班' if d.is_workday else '休'} {d.note or ''}".rstrip()
                       for d in body.days or [])  # fmt: skip
    try:
        entries = bulk.read("\n".join(part for part in (body.text or "", listed) if part))
    except bulk.Unreadable as exc:
        items = [{"field": f"text.line.{p.line}" if p.line else "body",
                  "message": translator("en").word("cal.bulk.e", p.key.rpartition(".")[2], **p.values)} for p in exc.problems]  # fmt: skip
        raise BadRequest(f"{items[0]['field']}: {items[0]['message']}", field=items[0]["field"], errors=items) from None
    async with request.app[keys.READS]() as db:
        calendar = await store.load_calendar(db, request.app[keys.CONFIG].tz.key)
    rows = bulk.preview(entries, calendar)
    moved = 0
    if not body.dry_run:
        user = await the_user(request)
        moved = await store.set_days(request.app[keys.SESSIONS], [(e.day, e.is_workday, e.note) for e in entries],
                                     actor=user.username, now=now(request), reason=body.reason or None,
                                     book=request.app[keys.RULES])  # fmt: skip
    return {"days": [{"day": r.entry.day, "is_workday": r.entry.is_workday, "note": r.entry.note,
                      "line": r.entry.line if body.text else 0, "was_workday": r.was_workday, "change": r.change,
                      "warning": r.warning} for r in rows],
            "saved": 0 if body.dry_run else len(entries), "due_times_moved": moved}  # fmt: skip


@api.delete(r"/api/calendar/days/{day:\d{4}-\d{2}-\d{2}}", Perm.ADMIN_EDIT, path=DayPath, body=WithReason,
            response=Moved)  # fmt: skip
async def unset_day(request: web.Request, path: DayPath, body: WithReason) -> dict[str, Any]:
    """remove a day's entry (the seeded default applies again)"""
    moved = await unset_day_from(request, path.day, present(body))
    return {"day": path.day, "due_times_moved": moved}


@api.post(r"/api/calendar/years/{year:\d{4}}/confirm", Perm.ADMIN_EDIT, path=YearPath, body=WithReason,
          response=Moved)  # fmt: skip
async def confirm_year(request: web.Request, path: YearPath, body: WithReason) -> dict[str, Any]:
    """confirm a year's table against the State Council notice"""
    moved = await confirm_from(request, path.year, present(body))
    return {"year": path.year, "due_times_moved": moved}


@api.put("/api/calendar/business-hours", Perm.ADMIN_EDIT, body=Hours, response=Moved)
async def business_hours(request: web.Request, body: Hours) -> dict[str, Any]:
    """set the office hours working-day deadlines count in"""
    moved = await hours_from(request, {**present(body), "opens": body.opens.isoformat("minutes"),
                                       "closes": body.closes.isoformat("minutes")})  # fmt: skip
    return {"due_times_moved": moved}


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


@api.get("/api/rules", Perm.ADMIN_VIEW)
async def rules(request: web.Request) -> dict[str, Any]:
    """the deadline rules D1-D9 and the reports R1-R3 in force"""
    book = request.app[keys.RULES]
    reports = [{"id": r.id, "title_zh": r.title_zh, "title_en": r.title_en, "every": r.every, "day": r.day,
                "roll": r.roll, "covers": r.covers, "kinds": list(r.kinds), "approved_by": list(r.approved_by)}
               for r in book.reports.values()]  # fmt: skip
    return {"rules": [_rule(r) for r in book.rules.values()], "reports": reports}


@api.get("/api/extraction", Perm.ADMIN_VIEW)
async def extraction(request: web.Request) -> dict[str, Any]:
    """both extraction tables in force, parsed (their TOML text: /api/admin/extraction/{name})"""
    _, tables = await tables_in_force(request)
    keywords, gazetteer = tables.keywords, tables.gazetteer
    return {
        "keywords": {"source": keywords.source, "categories": [
            {"name": c.name, "label": c.label, "priority": c.priority, "keywords": list(c.keywords)}
            for c in keywords.categories]},
        "gazetteer": {"source": gazetteer.source, "demo": gazetteer.demo, "stations": dict(gazetteer.stations),
                      "names": [{"said": n, "compound": c, "station": s} for n, c, s in gazetteer.names]},
        "versions": dict(zip(NAMES, tables.versions, strict=True)), "editable": True,
    }  # fmt: skip
