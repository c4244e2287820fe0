"""Schedules of the hotline's periodic reports (R1 weekly, R2 by the 20th, R3 by the 23rd).

Pure functions over a :class:`~callcenter.tickets.ruleset.Report` (configured in
``rules.toml``) and a :class:`~callcenter.tickets.calendar.WorkCalendar`. A report instance is
identified by its *anchor*: **any day of the period it covers** — its week (R1) or, for a
monthly report, the month it reports on. So R2 anchored on 2026-11-30 covers November and is
due by 20 December; the page, the downloads, the CLI and the timer's drafts all read the anchor
this way. Reports are due at close of business of their due day.

* weekly: the week is Monday–Sunday; due on its last working day (an adjusted working Saturday
  counts); a week without any working day is due on the first working day after it.
* monthly: due on ``day`` of the month after the covered month (``covers = "previous_month"``:
  R2 by the 20th and R3 by the 23rd report on the month before) or of the covered month itself
  (``covers = "current_month"``), rolled to the previous/next working day when that day is off
  (``roll``).
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


def _due_month(report: Report, anchor: dt.date) -> dt.date:
    """The first day of the month the instance covering ``anchor`` is due in."""
    first = _first_of_month(anchor)
    return _shift_month(first, 1) if report.covers == "previous_month" else first


def report_due_day(report: Report, anchor: dt.date, calendar: WorkCalendar) -> dt.date:
    """The due date of the report instance whose period contains ``anchor``."""
    if report.every == "week":
        monday = _monday(anchor)
        for offset in range(6, -1, -1):
            day = monday + dt.timedelta(days=offset)
            if calendar.is_workday(day):
                return day
        return calendar.next_workday(monday + dt.timedelta(days=6))
    if report.day is None:
        raise ValueError(f"report {report.id}: a monthly report needs a due day")
    day = _due_month(report, anchor).replace(day=report.day)
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
    """The earliest instance still due at or after ``now``: ``(anchor, due time)``; the anchor
    is the first day of the instance's period.

    The neighbouring periods are looked at too, since a roll can move a due day across the
    period boundary.
    """
    today = calendar.local_date(now)
    if report.every == "week":
        base = _monday(today)
        anchors = [base + dt.timedelta(weeks=k) for k in (-1, 0, 1, 2)]
    else:
        anchors = [_shift_month(today, k) for k in (-2, -1, 0, 1)]
    candidates = [(a, report_due(report, a, calendar)) for a in anchors]
    return min((c for c in candidates if c[1] >= now), key=lambda c: c[1])


def report_period(report: Report, anchor: dt.date) -> tuple[dt.date, dt.date]:
    """The dates (inclusive) the report instance for ``anchor`` covers; ``anchor`` is in them."""
    if report.covers == "week":
        monday = _monday(anchor)
        return monday, monday + dt.timedelta(days=6)
    first = _first_of_month(anchor)
    if report.covers == "previous_month":
        return first, _shift_month(first, 1) - dt.timedelta(days=1)
    if report.day is None:
        raise ValueError(f"report {report.id}: covers the current month but has no due day")
    return first, anchor.replace(day=report.day)


def default_anchor(report: Report, today: dt.date) -> dt.date:
    """The instance shown when no day is named: the current week for a weekly report; for a
    report on the previous month, that month (the one due this month); else this month."""
    if report.covers == "previous_month":
        return _shift_month(_first_of_month(today), -1)
    return today


def report_warn_at(report: Report, anchor: dt.date, calendar: WorkCalendar) -> dt.datetime | None:
    """The reminder moment for the instance for ``anchor`` (``None`` without a warning)."""
    if report.warn is None:
        return None
    return warn_moment(report.warn, report_due(report, anchor, calendar), calendar)
