"""Schedules of the hotline's periodic reports (R1 weekly, R2 by the 20th, R3 by the 23rd).

Pure functions over a :class:`~callcenter.tickets.ruleset.Report` (configured in
``rules.toml``) and a :class:`~callcenter.tickets.calendar.WorkCalendar`. A report instance is
identified by its *anchor*: any date in its week (weekly) or month (monthly). Reports are due at
close of business of their due day.

* weekly: the week is Monday–Sunday; due on its last working day (an adjusted working Saturday
  counts); a week without any working day is due on the first working day after it.
* monthly: due on ``day`` of the month, rolled to the previous/next working day when that day is
  off (``roll``).
"""

from __future__ import annotations

import datetime as dt

from callcenter.tickets.calendar import WorkCalendar
from callcenter.tickets.deadlines import warn_moment
from callcenter.tickets.ruleset import Report


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _shift_month(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def report_due_day(report: Report, anchor: dt.date, calendar: WorkCalendar) -> dt.date:
    """The due date of the report instance whose week/month contains ``anchor``."""
    if report.every == "week":
        monday = _monday(anchor)
        for offset in range(6, -1, -1):
            day = monday + dt.timedelta(days=offset)
            if calendar.is_workday(day):
                return day
        return calendar.next_workday(monday + dt.timedelta(days=6))
    if report.day is None:
        raise ValueError(f"report {report.id}: a monthly report needs a due day")
    day = anchor.replace(day=report.day)
    if report.roll == "previous_workday":
        return calendar.workday_on_or_before(day)
    if report.roll == "next_workday":
        return calendar.workday_on_or_after(day)
    return day


def report_due(report: Report, anchor: dt.date, calendar: WorkCalendar) -> dt.datetime:
    """Close of business of :func:`report_due_day`."""
    return calendar.business_close(report_due_day(report, anchor, calendar))


def next_report_due(
    report: Report, now: dt.datetime, calendar: WorkCalendar
) -> tuple[dt.date, dt.datetime]:
    """The earliest instance still due at or after ``now``: ``(anchor, due time)``.

    The neighbouring periods are looked at too, since a roll can move a due day across the
    period boundary.
    """
    today = calendar.local_date(now)
    if report.every == "week":
        base = _monday(today)
        anchors = [base + dt.timedelta(weeks=k) for k in (-1, 0, 1, 2)]
    else:
        anchors = [_shift_month(today, k) for k in (-1, 0, 1, 2)]
    candidates = [(a, report_due(report, a, calendar)) for a in anchors]
    return min((c for c in candidates if c[1] >= now), key=lambda c: c[1])


def report_period(report: Report, anchor: dt.date) -> tuple[dt.date, dt.date]:
    """The dates (inclusive) the report instance for ``anchor`` covers."""
    if report.covers == "week":
        monday = _monday(anchor)
        return monday, monday + dt.timedelta(days=6)
    first = _first_of_month(anchor)
    if report.covers == "previous_month":
        previous = _shift_month(first, -1)
        return previous, first - dt.timedelta(days=1)
    if report.day is None:
        raise ValueError(f"report {report.id}: covers the current month but has no due day")
    return first, anchor.replace(day=report.day)


def report_warn_at(report: Report, anchor: dt.date, calendar: WorkCalendar) -> dt.datetime | None:
    """The reminder moment for the instance for ``anchor`` (``None`` without a warning)."""
    if report.warn is None:
        return None
    return warn_moment(report.warn, report_due(report, anchor, calendar), calendar)
