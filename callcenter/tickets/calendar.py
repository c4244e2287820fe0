"""The hotline's working-day calendar: Chinese working days plus business hours.

A day is a working day according to, in this order:

1. the editable override table (``date -> (is_workday, note)``), loaded by the DB layer;
2. ``chinese-calendar`` for the years it knows (statutory holidays *and* the adjusted
   working weekends, 调休, such as 2026-02-14, 2026-09-20 and 2026-10-10);
3. plain Monday–Friday for any other year. Such a year is recorded in
   ``WorkCalendar.unknown_years`` and logged once, so callers can show a visible warning;
   the calendar never raises for an unknown year.

An administrator who has entered a year's holidays in the override table lists the year in
``confirmed_years``: it is then "known" and no longer reported, though days without an
override still fall back to Monday–Friday.

All times are timezone-aware; naive datetimes are rejected (``ValueError``) so that a wrong
zone can never slip in silently. Business hours are a half-open interval [open, close):
a moment at exactly close of business is outside them.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import chinese_calendar

log = logging.getLogger(__name__)

DEFAULT_TZ = "Asia/Shanghai"
DEFAULT_OPENS = dt.time(8, 30)
DEFAULT_CLOSES = dt.time(17, 30)
# No real calendar has this many consecutive days off; reaching it means a broken override table.
_MAX_SEARCH_DAYS = 366

_HOLIDAY_ZH = {h.value: h.chinese for h in chinese_calendar.constants.Holiday}

Overrides = Mapping[dt.date, tuple[bool, str]]


@dataclass(frozen=True)
class CalendarRow:
    """One dated row of the working-day table (a day that differs from plain Mon–Fri)."""

    date: dt.date
    is_workday: bool
    note: str


def library_knows(year: int) -> bool:
    """Whether the installed ``chinese-calendar`` has the official data for ``year``."""
    try:
        chinese_calendar.is_workday(dt.date(year, 7, 1))
    except NotImplementedError:
        return False
    return True


def _note(day: dt.date, is_workday: bool) -> str:
    _, name = chinese_calendar.get_holiday_detail(day)
    english = name or "holiday"
    chinese = _HOLIDAY_ZH.get(name or "", "")
    if is_workday:
        return f"{chinese}调休上班 {english}: adjusted working day".strip()
    return f"{chinese} {english}".strip()


def seed_rows(year_from: int, year_to: int) -> list[CalendarRow]:
    """Rows for the dated table from ``chinese-calendar``, for the known years in the range.

    Only the days that differ from plain Monday–Friday are returned (weekday holidays and
    worked weekend days). Years the library does not know yield nothing; use
    :func:`library_knows` to tell which years those are.
    """
    rows: list[CalendarRow] = []
    for year in range(year_from, year_to + 1):
        if not library_knows(year):
            continue
        day = dt.date(year, 1, 1)
        while day.year == year:
            official = chinese_calendar.is_workday(day)
            if official != (day.weekday() < 5):
                rows.append(CalendarRow(day, official, _note(day, official)))
            day += dt.timedelta(days=1)
    return rows


class WorkCalendar:
    """Working days and business hours of the hotline office (see module docstring)."""

    def __init__(
        self,
        overrides: Overrides | None = None,
        *,
        opens: dt.time = DEFAULT_OPENS,
        closes: dt.time = DEFAULT_CLOSES,
        tz: ZoneInfo | str = DEFAULT_TZ,
        confirmed_years: Iterable[int] = (),
        table_years: Iterable[int] = (),
    ) -> None:
        if not opens < closes:
            raise ValueError(f"business hours: opening {opens} must be before closing {closes}")
        self.overrides: dict[dt.date, tuple[bool, str]] = dict(overrides or {})
        self.opens = opens
        self.closes = closes
        self.tz = ZoneInfo(tz) if isinstance(tz, str) else tz
        self.confirmed_years = frozenset(confirmed_years)
        # Years the table holds (seeded from chinese-calendar, or confirmed): for those the table
        # alone decides, a day without an entry being an ordinary Monday-Friday day.
        self.table_years = frozenset(table_years) | self.confirmed_years
        self.unknown_years: set[int] = set()

    # -- days ---------------------------------------------------------------------------

    def is_known_year(self, year: int) -> bool:
        """Whether working days of ``year`` come from real data rather than the fallback."""
        return year in self.confirmed_years or library_knows(year)

    def is_workday(self, day: dt.date) -> bool:
        """The table first; in a year the table holds, an unlisted day is Mon–Fri; in a year it
        does not hold (never seeded), chinese-calendar, then Mon–Fri (recording the year)."""
        if isinstance(day, dt.datetime):
            raise TypeError("is_workday() takes a date; use local_date() for a datetime")
        if day in self.overrides:
            return self.overrides[day][0]
        if day.year in self.table_years:
            return day.weekday() < 5
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            if day.year not in self.confirmed_years:
                self._note_unknown(day.year)
        return day.weekday() < 5

    def _note_unknown(self, year: int) -> None:
        if year not in self.unknown_years:
            self.unknown_years.add(year)
            log.warning("no holiday data for %d: counting Monday-Friday only", year)

    def next_workday(self, day: dt.date) -> dt.date:
        """The first working day strictly after ``day``."""
        return self.add_workdays(day, 1)

    def previous_workday(self, day: dt.date) -> dt.date:
        """The last working day strictly before ``day``."""
        return self.add_workdays(day, -1)

    def add_workdays(self, day: dt.date, n: int) -> dt.date:
        """The ``n``-th working day after ``day`` (before it if ``n`` < 0); ``day`` is never counted.

        ``n == 0`` returns ``day`` itself, whether or not it is a working day.
        """
        step = dt.timedelta(days=1 if n >= 0 else -1)
        remaining = abs(n)
        idle = 0
        while remaining:
            day += step
            if self.is_workday(day):
                remaining -= 1
                idle = 0
            else:
                idle += 1
                if idle > _MAX_SEARCH_DAYS:
                    raise ValueError(f"no working day within {_MAX_SEARCH_DAYS} days of {day}")
        return day

    def workday_on_or_after(self, day: dt.date) -> dt.date:
        return day if self.is_workday(day) else self.next_workday(day)

    def workday_on_or_before(self, day: dt.date) -> dt.date:
        return day if self.is_workday(day) else self.previous_workday(day)

    # -- moments ------------------------------------------------------------------------

    def local(self, moment: dt.datetime) -> dt.datetime:
        """``moment`` converted to the calendar's zone; naive datetimes are rejected."""
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"naive datetime {moment.isoformat()}: a time zone is required")
        return moment.astimezone(self.tz)

    def local_date(self, moment: dt.datetime) -> dt.date:
        return self.local(moment).date()

    def at(self, day: dt.date, clock: dt.time) -> dt.datetime:
        """The aware moment ``clock`` o'clock on ``day`` in the calendar's zone."""
        return dt.datetime.combine(day, clock, tzinfo=self.tz)

    def business_open(self, day: dt.date) -> dt.datetime:
        """Opening time on ``day`` (whether or not ``day`` is a working day)."""
        return self.at(day, self.opens)

    def business_close(self, day: dt.date) -> dt.datetime:
        """Close of business on ``day`` (whether or not ``day`` is a working day)."""
        return self.at(day, self.closes)

    def in_business_hours(self, moment: dt.datetime) -> bool:
        """Whether ``moment`` falls on a working day within [open, close)."""
        local = self.local(moment)
        if not self.is_workday(local.date()):
            return False
        return self.opens <= local.time() < self.closes

    def next_business_moment(self, moment: dt.datetime) -> dt.datetime:
        """``moment`` itself if within business hours, else the next opening.

        Used to hold reminders and breach notices made at night or on a day off until the
        next working morning.
        """
        if self.in_business_hours(moment):
            return moment
        local = self.local(moment)
        day = local.date()
        if self.is_workday(day) and local.time() < self.opens:
            return self.business_open(day)
        return self.business_open(self.next_workday(day))

    def last_business_open(self, moment: dt.datetime) -> dt.datetime:
        """The latest opening of a working day at or before ``moment``."""
        local = self.local(moment)
        day = local.date()
        if self.is_workday(day) and local.time() >= self.opens:
            return self.business_open(day)
        return self.business_open(self.previous_workday(day))
