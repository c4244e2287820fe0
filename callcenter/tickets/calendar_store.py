"""The working-day table in the database: seeding, editing, loading a :class:`WorkCalendar`.

* ``calendar_days`` holds every day that differs from plain Monday–Friday: seeded from
  chinese-calendar (``source = "seed"``) for the years it knows, edited by an administrator
  (``source = "admin"``; an edit always wins over the seed, and re-seeding never overwrites it).
* ``calendar_years`` says what is known of a year: ``seeded``, ``confirmed`` (an administrator
  entered the year's holidays and confirmed it) or ``unknown`` (counted Monday–Friday plus the
  table's entries). An unknown year is a visible warning (:func:`calendar_warnings`, logged)
  until it is confirmed; nothing ever crashes on it.
* business hours are the ``business_hours`` setting (default 08:30–17:30, Asia/Shanghai).

Every edit is audited and recomputes the due times of the running clocks.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.audit import record_change
from callcenter.tickets.calendar import (
    DEFAULT_CLOSES,
    DEFAULT_OPENS,
    DEFAULT_TZ,
    WorkCalendar,
    library_knows,
    seed_rows,
)
from callcenter.tickets.clocks import Clockwork, recompute_running
from callcenter.tickets.models import CalendarDay, CalendarYear, TicketSetting
from callcenter.tickets.rulefile import load_rules
from callcenter.tickets.ruleset import RuleBook

log = logging.getLogger(__name__)
HOURS_KEY = "business_hours"


@dataclass(frozen=True)
class YearWarning:
    year: int
    text_zh: str
    text_en: str


async def load_calendar(session: AsyncSession, tz: str = DEFAULT_TZ) -> WorkCalendar:
    """The calendar as the database says: overrides, confirmed years, business hours."""
    days = (await session.execute(select(CalendarDay.day, CalendarDay.is_workday, CalendarDay.note))).all()
    years = (await session.execute(select(CalendarYear.year, CalendarYear.status))).all()
    opens, closes = await business_hours(session)
    return WorkCalendar(
        {d: (w, n) for d, w, n in days}, opens=opens, closes=closes, tz=tz,
        confirmed_years=[y for y, status in years if status == "confirmed"],
        table_years=[y for y, status in years if status in ("seeded", "confirmed")],
    )  # fmt: skip


async def load_clockwork(session: AsyncSession, book: RuleBook | None = None, tz: str = DEFAULT_TZ) -> Clockwork:
    return Clockwork(book or load_rules(), await load_calendar(session, tz))


async def business_hours(session: AsyncSession) -> tuple[dt.time, dt.time]:
    row = await session.get(TicketSetting, HOURS_KEY)
    if row is None:
        return DEFAULT_OPENS, DEFAULT_CLOSES
    return dt.time.fromisoformat(row.value["opens"]), dt.time.fromisoformat(row.value["closes"])


async def list_days(session: AsyncSession, year: int) -> list[CalendarDay]:
    stmt = select(CalendarDay).where(
        CalendarDay.day >= dt.date(year, 1, 1), CalendarDay.day <= dt.date(year, 12, 31)
    )
    return list((await session.scalars(stmt.order_by(CalendarDay.day))).all())


async def list_years(session: AsyncSession) -> list[CalendarYear]:
    return list((await session.scalars(select(CalendarYear).order_by(CalendarYear.year))).all())


async def seed_calendar(
    sessions: async_sessionmaker[AsyncSession], year_from: int, year_to: int, *, actor: str,
    now: dt.datetime, book: RuleBook | None = None,
) -> tuple[int, list[int]]:  # fmt: skip
    """Seed the table from chinese-calendar; (rows added, years it does not know).

    Days an administrator edited are kept. A year the package does not know is marked
    ``unknown`` (the warning) unless it was confirmed."""
    added = 0
    unknown = [y for y in range(year_from, year_to + 1) if not library_knows(y)]
    async with sessions() as session, session.begin():
        existing = set((await session.scalars(select(CalendarDay.day).where(
            CalendarDay.day >= dt.date(year_from, 1, 1), CalendarDay.day <= dt.date(year_to, 12, 31)
        ))).all())  # fmt: skip
        for row in seed_rows(year_from, year_to):
            if row.date not in existing:
                session.add(CalendarDay(day=row.date, is_workday=row.is_workday, note=row.note,
                                        source="seed", updated_at=now, updated_by=actor))  # fmt: skip
                added += 1
        for year in range(year_from, year_to + 1):
            await _mark_year(session, year, "unknown" if year in unknown else "seeded", actor, now)
    for year in unknown:
        log.warning("calendar: no holiday data for %d; counting Monday-Friday until it is entered", year)
    await _recompute(sessions, book, now)
    return added, unknown


async def _mark_year(session: AsyncSession, year: int, status: str, actor: str, now: dt.datetime) -> None:
    row = await session.get(CalendarYear, year)
    if row is None:
        session.add(CalendarYear(year=year, status=status, note="", updated_at=now, updated_by=actor))
    elif row.status != "confirmed" or status == "confirmed":
        row.status, row.updated_at, row.updated_by = status, now, actor


async def set_day(
    sessions: async_sessionmaker[AsyncSession], day: dt.date, is_workday: bool, *, actor: str,
    now: dt.datetime, note: str = "", reason: str | None = None, book: RuleBook | None = None,
) -> int:  # fmt: skip
    """Make ``day`` a working day or a day off; returns how many due times moved."""
    async with sessions() as session, session.begin():
        await _put_day(session, day, is_workday, note, actor=actor, now=now, reason=reason)
    return await _recompute(sessions, book, now)


async def set_days(
    sessions: async_sessionmaker[AsyncSession], days: Sequence[tuple[dt.date, bool, str]], *, actor: str,
    now: dt.datetime, reason: str | None = None, book: RuleBook | None = None,
) -> int:  # fmt: skip
    """Many days ``(day, is_workday, note)`` in one transaction (all or none), each audited as
    :func:`set_day` does; the due times are recomputed once. Returns how many moved."""
    async with sessions() as session, session.begin():
        for day, is_workday, note in days:
            await _put_day(session, day, is_workday, note, actor=actor, now=now, reason=reason)
    return await _recompute(sessions, book, now)


async def _put_day(session: AsyncSession, day: dt.date, is_workday: bool, note: str, *, actor: str,
                   now: dt.datetime, reason: str | None) -> None:  # fmt: skip
    row = await session.get(CalendarDay, day)
    before = None if row is None else row.is_workday
    if row is None:
        session.add(CalendarDay(day=day, is_workday=is_workday, note=note, source="admin",
                                updated_at=now, updated_by=actor))  # fmt: skip
    else:
        row.is_workday, row.note, row.source = is_workday, note or row.note, "admin"
        row.updated_at, row.updated_by = now, actor
    await record_change(session, actor=actor, entity="calendar_day", entity_id=day.isoformat(),
                        changes={"is_workday": (before, is_workday)}, reason=reason, at=now)  # fmt: skip


async def unset_day(
    sessions: async_sessionmaker[AsyncSession], day: dt.date, *, actor: str, now: dt.datetime,
    reason: str | None = None, book: RuleBook | None = None,
) -> int:  # fmt: skip
    """Remove ``day``'s entry (back to chinese-calendar / Monday–Friday)."""
    async with sessions() as session, session.begin():
        row = await session.get(CalendarDay, day)
        if row is None:
            return 0
        await session.execute(delete(CalendarDay).where(CalendarDay.day == day))
        await record_change(session, actor=actor, entity="calendar_day", entity_id=day.isoformat(),
                            changes={"is_workday": (row.is_workday, None)}, reason=reason, at=now)  # fmt: skip
    return await _recompute(sessions, book, now)


async def confirm_year(
    sessions: async_sessionmaker[AsyncSession], year: int, *, actor: str, now: dt.datetime,
    reason: str | None = None, book: RuleBook | None = None,
) -> int:  # fmt: skip
    """The administrator entered ``year``'s holidays: it is known from now on (no warning)."""
    async with sessions() as session, session.begin():
        row = await session.get(CalendarYear, year)
        before = None if row is None else row.status
        await _mark_year(session, year, "confirmed", actor, now)
        await record_change(session, actor=actor, entity="calendar_year", entity_id=str(year),
                            changes={"status": (before, "confirmed")}, reason=reason, at=now)  # fmt: skip
    return await _recompute(sessions, book, now)


async def set_business_hours(
    sessions: async_sessionmaker[AsyncSession], opens: dt.time, closes: dt.time, *, actor: str,
    now: dt.datetime, reason: str | None = None, book: RuleBook | None = None,
) -> int:  # fmt: skip
    if not opens < closes:
        raise ValueError(f"business hours: opening {opens} must be before closing {closes}")
    value = {"opens": opens.isoformat("minutes"), "closes": closes.isoformat("minutes")}
    async with sessions() as session, session.begin():
        row = await session.get(TicketSetting, HOURS_KEY)
        before = None if row is None else row.value
        if row is None:
            session.add(TicketSetting(key=HOURS_KEY, value=value, updated_at=now, updated_by=actor))
        else:
            row.value, row.updated_at, row.updated_by = value, now, actor
        await record_change(session, actor=actor, entity="setting", entity_id=HOURS_KEY,
                            changes={"value": (before, value)}, reason=reason, at=now)  # fmt: skip
    return await _recompute(sessions, book, now)


async def _recompute(
    sessions: async_sessionmaker[AsyncSession], book: RuleBook | None, now: dt.datetime
) -> int:
    async with sessions() as session:
        clockwork = await load_clockwork(session, book)
    changed = await recompute_running(sessions, clockwork)
    await note_unknown_years(sessions, clockwork.calendar, now)
    log.info("calendar changed: %d due times recomputed", changed)
    return changed


async def note_unknown_years(
    sessions: async_sessionmaker[AsyncSession], calendar: WorkCalendar, now: dt.datetime
) -> None:
    """Store the years a computation had to guess (the panel shows them) and log them."""
    if not calendar.unknown_years:
        return
    async with sessions() as session, session.begin():
        for year in sorted(calendar.unknown_years):
            if await session.get(CalendarYear, year) is None:
                log.warning("calendar: %d is not known; counted Monday-Friday", year)
                session.add(CalendarYear(year=year, status="unknown", note="used by a deadline",
                                         updated_at=now, updated_by="system"))  # fmt: skip


async def calendar_warnings(session: AsyncSession, now: dt.datetime) -> list[YearWarning]:
    """Years in use (this one, the next, any recorded as unknown) without real holiday data."""
    statuses = {y.year: y.status for y in await list_years(session)}
    this_year = now.astimezone(dt.UTC).year
    years = {this_year, this_year + 1} | {y for y, s in statuses.items() if s == "unknown"}
    out = []
    for year in sorted(years):
        if statuses.get(year) == "confirmed" or library_knows(year):
            continue
        out.append(YearWarning(
            year,
            f"{year}年节假日未录入：按周一至周五计算工作日，请在工作日表中录入并确认。",
            f"No holiday data for {year}: working days are counted Monday-Friday; "
            "enter the year's holidays and confirm it.",
        ))  # fmt: skip
    return out
