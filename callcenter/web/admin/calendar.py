"""The working-day calendar in the panel: a year at a glance, its holidays and adjusted working
days, adding and removing entries, confirming a year, business hours (administrators edit;
the department head and the manager read). Every edit is audited and moves the due times of
the running clocks (:mod:`callcenter.tickets.calendar_store`); the page says how many moved."""

from __future__ import annotations

import calendar as cal
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from callcenter.tickets import calendar_store as store
from callcenter.tickets.calendar import WorkCalendar, library_knows
from callcenter.web import keys
from callcenter.web.auth.session import now, requires
from callcenter.web.errors import BadRequest
from callcenter.web.render import page
from callcenter.web.auth.roles import Perm, allowed
from callcenter.web.cases.pages import the_user

routes = web.RouteTableDef()
NOTE_CHARS = 256


@dataclass(frozen=True)
class Day:
    day: dt.date | None  # None: padding before the 1st
    kind: str  # work | weekend | holiday | adjusted | ""


def month_grid(year: int, calendar: WorkCalendar) -> list[tuple[int, list[list[Day]]]]:
    """Twelve months, each a list of weeks (Monday first) of classified days."""
    months = []
    for month in range(1, 13):
        weeks = []
        for week in cal.Calendar(0).monthdatescalendar(year, month):
            row = []
            for day in week:
                if day.month != month:
                    row.append(Day(None, ""))
                    continue
                work, weekend = calendar.is_workday(day), day.weekday() >= 5
                kind = "adjusted" if work and weekend else "work" if work else "weekend" if weekend else "holiday"
                row.append(Day(day, kind))
            weeks.append(row)
        months.append((month, weeks))
    return months


def year_of(query: Mapping[str, str], today: dt.date) -> int:
    raw = query.get("year", "").strip()
    try:
        year = int(raw) if raw else today.year
    except ValueError:
        raise BadRequest("year: a year", field="year") from None
    if not 2000 <= year <= 2100:
        raise BadRequest("year: 2000..2100", field="year")
    return year


async def calendar_context(request: web.Request, year: int) -> dict[str, Any]:
    tz = request.app[keys.CONFIG].tz
    async with request.app[keys.READS]() as db:
        days = await store.list_days(db, year)
        years = await store.list_years(db)
        calendar = await store.load_calendar(db, tz.key)
        opens, closes = await store.business_hours(db)
        warnings = await store.calendar_warnings(db, now(request))
    status = next((y for y in years if y.year == year), None)
    user = await the_user(request)
    return {
        "year": year, "days": days, "years": years, "status": status, "library_knows": library_knows(year),
        "grid": month_grid(year, calendar), "opens": opens, "closes": closes, "warnings": warnings,
        "year_warning": next((w for w in warnings if w.year == year), None),
        "can_edit": allowed(user.role, Perm.ADMIN_EDIT), "moved": request.query.get("moved"),
    }  # fmt: skip


@routes.get("/admin/calendar", name="admin_calendar")
@requires(Perm.ADMIN_VIEW)
@page("admin_calendar.html")
async def calendar_page(request: web.Request) -> dict[str, Any]:
    today = now(request).astimezone(request.app[keys.CONFIG].tz).date()
    return await calendar_context(request, year_of(request.query, today))


def parse_day(raw: Any) -> dt.date:
    try:
        return dt.date.fromisoformat(str(raw or "").strip())
    except ValueError:
        raise BadRequest("day: a date, YYYY-MM-DD", field="day") from None


def parse_time(raw: Any, name: str) -> dt.time:
    try:
        return dt.time.fromisoformat(str(raw or "").strip())
    except ValueError:
        raise BadRequest(f"{name}: a time, HH:MM", field=name) from None


def text(source: Mapping[str, Any], name: str) -> str:
    value = str(source.get(name) or "").strip()
    if len(value) > NOTE_CHARS:
        raise BadRequest(f"{name}: at most {NOTE_CHARS} characters", field=name)
    return value


def workday_flag(raw: Any) -> bool:
    value = str(raw).strip().lower()
    if value in ("1", "true", "work", "workday"):
        return True
    if value in ("0", "false", "holiday", "off"):
        return False
    raise BadRequest("is_workday: work (a working day) or holiday (a day off)", field="is_workday")


async def set_day_from(request: web.Request, source: Mapping[str, Any]) -> tuple[dt.date, int]:
    user = await the_user(request)
    day = parse_day(source.get("day"))
    moved = await store.set_day(request.app[keys.SESSIONS], day, workday_flag(source.get("is_workday")),
                                actor=user.username, now=now(request), note=text(source, "note"),
                                reason=text(source, "reason") or None, book=request.app[keys.RULES])  # fmt: skip
    return day, moved


async def unset_day_from(request: web.Request, day: dt.date, source: Mapping[str, Any]) -> int:
    user = await the_user(request)
    return await store.unset_day(request.app[keys.SESSIONS], day, actor=user.username, now=now(request),
                                 reason=text(source, "reason") or None, book=request.app[keys.RULES])  # fmt: skip


async def confirm_from(request: web.Request, year: int, source: Mapping[str, Any]) -> int:
    user = await the_user(request)
    return await store.confirm_year(request.app[keys.SESSIONS], year, actor=user.username, now=now(request),
                                    reason=text(source, "reason") or None, book=request.app[keys.RULES])  # fmt: skip


async def hours_from(request: web.Request, source: Mapping[str, Any]) -> int:
    user = await the_user(request)
    opens, closes = parse_time(source.get("opens"), "opens"), parse_time(source.get("closes"), "closes")
    try:
        return await store.set_business_hours(request.app[keys.SESSIONS], opens, closes, actor=user.username,
                                              now=now(request), reason=text(source, "reason") or None,
                                              book=request.app[keys.RULES])  # fmt: skip
    except ValueError as exc:
        raise BadRequest(str(exc), field="opens") from None


def year_arg(request: web.Request) -> int:
    return year_of({"year": request.match_info.get("year", "")}, dt.date.today())


async def _form(request: web.Request) -> dict[str, str]:
    return {k: v for k, v in (await request.post()).items() if isinstance(v, str)}


@routes.post("/admin/calendar/days", name="admin_calendar_set")
@requires(Perm.ADMIN_EDIT)
async def set_day_form(request: web.Request) -> web.StreamResponse:
    day, moved = await set_day_from(request, await _form(request))
    raise web.HTTPFound(f"/admin/calendar?year={day.year}&moved={moved}")


@routes.post(r"/admin/calendar/days/{day:\d{4}-\d{2}-\d{2}}/delete", name="admin_calendar_unset")
@requires(Perm.ADMIN_EDIT)
async def unset_day_form(request: web.Request) -> web.StreamResponse:
    day = parse_day(request.match_info["day"])
    moved = await unset_day_from(request, day, await _form(request))
    raise web.HTTPFound(f"/admin/calendar?year={day.year}&moved={moved}")


@routes.post(r"/admin/calendar/years/{year:\d{4}}/confirm", name="admin_calendar_confirm")
@requires(Perm.ADMIN_EDIT)
async def confirm_form(request: web.Request) -> web.StreamResponse:
    year = year_arg(request)
    moved = await confirm_from(request, year, await _form(request))
    raise web.HTTPFound(f"/admin/calendar?year={year}&moved={moved}")


@routes.post("/admin/calendar/hours", name="admin_calendar_hours")
@requires(Perm.ADMIN_EDIT)
async def hours_form(request: web.Request) -> web.StreamResponse:
    form = await _form(request)
    moved = await hours_from(request, form)
    year = year_of(form, now(request).astimezone(request.app[keys.CONFIG].tz).date())
    raise web.HTTPFound(f"/admin/calendar?year={year}&moved={moved}")
