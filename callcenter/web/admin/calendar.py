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
from callcenter.web.admin import calendar_bulk as bulk
from callcenter.tickets.calendar import WorkCalendar, library_knows
from callcenter.web import keys
from callcenter.web.auth.session import now, requires
from callcenter.web.errors import BadRequest
from callcenter.web.render import page, render
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
        "saved_days": request.query.get("saved", "") if request.query.get("saved", "").isdigit() else None,
        "max_days": bulk.MAX_DAYS,
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


# ------------------------------------------------------------------ many days at once


def _form_day(raw: str) -> tuple[dt.date | None, bool]:
    """(day, ok) of an optional date field."""
    raw = raw.strip()
    if not raw:
        return None, True
    try:
        return dt.date.fromisoformat(raw), True
    except ValueError:
        return None, False


def read_bulk(form: Mapping[str, str]) -> list[bulk.Entry]:
    """The days of the bulk form: the range fields and the pasted lines (:class:`bulk.Unreadable`)."""
    first, ok_first = _form_day(form.get("date_from", ""))
    last, ok_last = _form_day(form.get("date_to", ""))
    if not (ok_first and ok_last):
        raise bulk.Unreadable([bulk.Problem(0, "", "cal.bulk.e.date", {"text": f"{form.get('date_from', '')} "
                                                                          f"{form.get('date_to', '')}".strip()})])
    return bulk.read(form.get("lines", ""), first=first or last, last=last or first, kind=form.get("kind", ""),
                     note=form.get("note", ""))  # fmt: skip


async def bulk_page(request: web.Request, form: Mapping[str, str]) -> web.Response:
    """The preview of the bulk form (200), or its problems (422); nothing is saved here."""
    today = now(request).astimezone(request.app[keys.CONFIG].tz).date()
    context: dict[str, Any] = {"form": form, "rows": [], "problems": [], "lines": "", "max_days": bulk.MAX_DAYS}
    try:
        entries = read_bulk(form)
    except bulk.Unreadable as exc:
        context["problems"] = exc.problems
        context["year"] = today.year
        return await render(request, "admin_calendar_bulk.html", context, status=422)
    async with request.app[keys.READS]() as db:
        calendar = await store.load_calendar(db, request.app[keys.CONFIG].tz.key)
    context.update(rows=bulk.preview(entries, calendar), lines=bulk.as_lines(entries), year=entries[0].day.year)
    return await render(request, "admin_calendar_bulk.html", context)


@routes.post("/admin/calendar/preview", name="admin_calendar_preview")
@requires(Perm.ADMIN_EDIT)
async def bulk_preview_form(request: web.Request) -> web.StreamResponse:
    """A date range and/or a pasted list → the preview (what changes, what looks odd)."""
    return await bulk_page(request, await _form(request))


@routes.post("/admin/calendar/bulk", name="admin_calendar_bulk")
@requires(Perm.ADMIN_EDIT)
async def bulk_save_form(request: web.Request) -> web.StreamResponse:
    """Save the previewed days, all in one transaction (read again: the page is not trusted)."""
    form = await _form(request)
    try:
        entries = read_bulk({"lines": form.get("lines", "")})
    except bulk.Unreadable:
        return await bulk_page(request, form)
    user = await the_user(request)
    moved = await store.set_days(request.app[keys.SESSIONS], [(e.day, e.is_workday, e.note) for e in entries],
                                 actor=user.username, now=now(request), reason=text(form, "reason") or None,
                                 book=request.app[keys.RULES])  # fmt: skip
    raise web.HTTPFound(f"/admin/calendar?year={entries[0].day.year}&moved={moved}&saved={len(entries)}")
