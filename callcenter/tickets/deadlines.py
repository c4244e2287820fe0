"""Due times of the hotline's deadline rules (D1–D9): pure functions over typed values.

The rules themselves are configuration (``rules.toml``, loaded by
:mod:`callcenter.tickets.rulefile`); this module only counts. How each limit kind counts:

``minutes`` / ``hours``
    wall-clock time from the start (24-hour duty in the heating season).
``same_day``
    end of the start's calendar day (23:59:59, or close of business with
    ``end = "close_of_business"``); a start at or after ``cutoff`` (default: close of business)
    counts from the next calendar day.
``next_morning``
    ``at`` (08:30) the next morning; a start before ``at`` is already in the night: that morning.
``working_days``
    the start's date is not counted; close of business of the N-th working day after it.
``calendar_days``
    the start's date is not counted; the end (23:59:59 or close of business) of the N-th day,
    moved to the next working day with ``roll = "next_workday"``.

A deadline is met by a stop event at or before the due moment (:func:`is_overdue`). The
calendar records any year it had to guess (``calendar.unknown_years``); callers show a warning.
"""

from __future__ import annotations

import datetime as dt

from callcenter.tickets.calendar import WorkCalendar
from callcenter.tickets.rulefile import load_rules, parse_rules
from callcenter.tickets.ruleset import Limit, Rule, RuleBook, Warn

__all__ = [
    "END_OF_DAY",
    "Rule",
    "RuleBook",
    "due_at",
    "is_overdue",
    "load_rules",
    "notice_time",
    "parse_rules",
    "warn_at",
    "warn_moment",
]

END_OF_DAY = dt.time(23, 59, 59)


def due_at(rule: Rule, start: dt.datetime, calendar: WorkCalendar) -> dt.datetime:
    """The moment the rule's limit expires for a clock started at ``start`` (aware).

    The result is in the calendar's time zone. Raises ``ValueError`` for a naive ``start``.
    """
    return limit_due(rule.limit, start, calendar)


def limit_due(limit: Limit, start: dt.datetime, calendar: WorkCalendar) -> dt.datetime:
    """:func:`due_at` for a bare :class:`Limit`."""
    local = calendar.local(start)
    kind = limit.kind
    if kind == "minutes":
        return _elapsed(local, dt.timedelta(minutes=limit.value), calendar)
    if kind == "hours":
        return _elapsed(local, dt.timedelta(hours=limit.value), calendar)
    if kind == "same_day":
        cutoff = calendar.closes if limit.cutoff is None else limit.cutoff
        day = local.date() + dt.timedelta(days=1 if local.time() >= cutoff else 0)
        return _day_end(limit, day, calendar)
    if kind == "next_morning":
        if limit.at is None:
            raise ValueError("a next_morning limit needs 'at'")
        day = local.date() + dt.timedelta(days=0 if local.time() < limit.at else 1)
        return calendar.at(day, limit.at)
    if kind == "working_days":
        return calendar.business_close(calendar.add_workdays(local.date(), limit.value))
    if kind == "calendar_days":
        return _day_end(limit, local.date() + dt.timedelta(days=limit.value), calendar)
    raise ValueError(f"unknown limit kind {kind!r}")


def _elapsed(local: dt.datetime, span: dt.timedelta, calendar: WorkCalendar) -> dt.datetime:
    """Elapsed (not wall-face) time: add in UTC, so a DST zone would also count right."""
    return (local.astimezone(dt.UTC) + span).astimezone(calendar.tz)


def _day_end(limit: Limit, day: dt.date, calendar: WorkCalendar) -> dt.datetime:
    if limit.roll == "next_workday":
        day = calendar.workday_on_or_after(day)
    if limit.end == "close_of_business":
        return calendar.business_close(day)
    return calendar.at(day, END_OF_DAY)


def warn_at(rule: Rule, start: dt.datetime, calendar: WorkCalendar) -> dt.datetime | None:
    """When to warn before ``due_at``; ``None`` if the rule has no warning or the moment would
    not fall strictly between the start and the due time (the case began inside the window)."""
    if rule.warn is None:
        return None
    due = due_at(rule, start, calendar)
    moment = warn_moment(rule.warn, due, calendar)
    return moment if calendar.local(start) < moment < due else None


def warn_moment(warn: Warn, due: dt.datetime, calendar: WorkCalendar) -> dt.datetime:
    """The warning moment for a due time, without regard to when the clock started."""
    if warn.before is not None:
        return _elapsed(calendar.local(due), -warn.before, calendar)
    if warn.at == "due_day_open":
        return calendar.last_business_open(due)
    if warn.at == "previous_workday_open":
        return calendar.business_open(calendar.previous_workday(calendar.local_date(due)))
    raise ValueError(f"unknown warning moment {warn.at!r}")


def is_overdue(due: dt.datetime, now: dt.datetime) -> bool:
    """Whether ``now`` is past ``due``: a stop event exactly at the due moment is in time."""
    return now > due


def notice_time(book: RuleBook, role: str, moment: dt.datetime, calendar: WorkCalendar) -> dt.datetime:
    """When a notice to ``role`` made at ``moment`` should be delivered: office roles get it at
    the next business moment (held overnight), round-the-clock roles at once."""
    if book.roles[role].hours == "office":
        return calendar.next_business_moment(moment)
    return moment
