"""Many calendar days at once: a date range, or a year's list pasted from the State Council's
holiday notice, read leniently and previewed before anything is saved.

One line is one day or one range and its kind, an optional note after it::

    2027-01-01 休 元旦
    2027-02-07 班
    2027-10-01 至 2027-10-07 休 国庆节
    2027/1/1<TAB>休息

Kinds: 休 / 休息 / 假 / 放假 / 节假日 (a day off), 班 / 上班 / 补班 / 调休上班 (a working day).
Dates: ``2027-01-01``, ``2027/1/1``, ``2027.1.1``, ``2027年1月1日``. Ranges: ``至``, ``到``, ``~``,
``～``, ``--``, ``—``. Blank lines and ``#`` comments are ignored. Every bad line is reported
with its number and nothing is saved while any line is bad (:func:`read`). The parsing is pure;
:func:`preview` compares with the calendar in force.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from callcenter.tickets.calendar import WorkCalendar
from callcenter.web.endpoints import FIRST_DAY, LAST_DAY

MAX_DAYS = 400  # a year's notice is ~30 days; a whole year and a bit is the most one paste may set
MAX_CHARS = 20_000
NOTE_CHARS = 256
OFF_WORDS = ("节假日", "放假", "休息", "假日", "休", "假")
WORK_WORDS = ("调休上班", "上班", "补班", "班")
_KIND = "|".join(sorted((*OFF_WORDS, *WORK_WORDS), key=len, reverse=True))
_DATE = r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
_RANGE = r"\s*(?:至|到|~|～|--|—|–|\s-\s)\s*"
LINE = re.compile(rf"^{_DATE}(?:{_RANGE}{_DATE})?[\s,，;；:：、]*(?:({_KIND})(?:[\s,，;；:：、]+(.*)|(.*)))?$")
DATES_ONLY = re.compile(rf"^{_DATE}(?:{_RANGE}{_DATE})?")


@dataclass(frozen=True)
class Entry:
    day: dt.date
    is_workday: bool
    note: str
    line: int  # 0: the range fields of the form


@dataclass(frozen=True)
class Problem:
    """A bad line: ``key`` is a string of the panel (admin/strings.py) filled with ``values``."""

    line: int
    text: str
    key: str
    values: dict[str, Any] = field(default_factory=dict)


class Unreadable(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} bad line(s)")
        self.problems = problems


def kind_of(word: str) -> bool | None:
    """True: a working day; False: a day off; None: not a kind."""
    word = word.strip()
    if word in WORK_WORDS or word in ("work", "workday"):
        return True
    if word in OFF_WORDS or word in ("holiday", "off"):
        return False
    return None


def _date(parts: Iterable[str]) -> dt.date | None:
    year, month, day = (int(p) for p in parts)
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def days_between(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def _span(number: int, text: str, first: dt.date | None, last: dt.date | None,
          raw: str) -> tuple[list[dt.date], Problem | None]:  # fmt: skip
    if first is None or last is None:
        return [], Problem(number, text, "cal.bulk.e.date", {"text": raw})
    if not (FIRST_DAY <= first <= LAST_DAY and FIRST_DAY <= last <= LAST_DAY):
        return [], Problem(number, text, "cal.bulk.e.years")
    if last < first:
        return [], Problem(number, text, "cal.bulk.e.order")
    if (last - first).days >= MAX_DAYS:
        return [], Problem(number, text, "cal.bulk.e.too_many", {"n": MAX_DAYS})
    return days_between(first, last), None


def parse_line(number: int, text: str) -> tuple[list[Entry], Problem | None]:
    """One pasted line: its days, or what is wrong with it (blank and ``#`` lines: nothing)."""
    line = text.replace("\u3000", " ").strip()
    if not line or line.startswith("#"):
        return [], None
    found = LINE.match(line)
    if found is None:
        key = "cal.bulk.e.kind" if DATES_ONLY.match(line) else "cal.bulk.e.format"
        return [], Problem(number, text, key)
    first = _date(found.group(1, 2, 3))
    last = _date(found.group(4, 5, 6)) if found.group(4) else first
    if found.group(7) is None:
        return [], Problem(number, text, "cal.bulk.e.kind")
    days, problem = _span(number, text, first, last, line)
    if problem:
        return [], problem
    note = (found.group(8) or found.group(9) or "").strip()
    if len(note) > NOTE_CHARS:
        return [], Problem(number, text, "cal.bulk.e.note", {"n": NOTE_CHARS})
    work = kind_of(found.group(7))
    assert work is not None
    return [Entry(day, work, note, number) for day in days], None


def read(text: str, *, first: dt.date | None = None, last: dt.date | None = None, kind: str = "",
         note: str = "") -> list[Entry]:  # fmt: skip
    """The days of a range (the form's fields, line 0) and of pasted lines, in date order;
    :class:`Unreadable` with every problem if any line is bad (or the days are none, or too many)."""
    problems: list[Problem] = []
    entries: list[Entry] = []
    if len(text) > MAX_CHARS:
        raise Unreadable([Problem(0, "", "cal.bulk.e.too_long", {"n": MAX_CHARS})])
    if first or last:
        work = kind_of(kind)
        days, problem = _span(0, "", first, last or first, "")
        if problem:
            problems.append(problem)
        elif work is None:
            problems.append(Problem(0, "", "cal.bulk.e.kind"))
        elif len(note.strip()) > NOTE_CHARS:
            problems.append(Problem(0, "", "cal.bulk.e.note", {"n": NOTE_CHARS}))
        else:
            entries += [Entry(day, work, note.strip(), 0) for day in days]
    lines = text.splitlines()
    for number, raw in enumerate(lines, start=1):
        found, problem = parse_line(number, raw)
        if problem:
            problems.append(problem)
        entries += found
    by_day: dict[dt.date, Entry] = {}
    for entry in entries:
        seen = by_day.get(entry.day)
        if seen is not None and seen.is_workday != entry.is_workday:
            problems.append(Problem(entry.line, lines[entry.line - 1] if entry.line else "", "cal.bulk.e.twice",
                                    {"day": entry.day.isoformat(), "other": seen.line}))  # fmt: skip
        elif seen is None or (entry.note and not seen.note):
            by_day[entry.day] = entry
    if not problems and not by_day:
        problems.append(Problem(0, "", "cal.bulk.e.empty"))
    if not problems and len(by_day) > MAX_DAYS:
        problems.append(Problem(0, "", "cal.bulk.e.too_many", {"n": MAX_DAYS}))
    if problems:
        raise Unreadable(sorted(problems, key=lambda p: p.line))
    return sorted(by_day.values(), key=lambda e: e.day)


@dataclass(frozen=True)
class Row:
    """One day of the preview: what it is now, what it will be, and what looks odd."""

    entry: Entry
    was_workday: bool
    was_entry: bool  # the table has a row for the day now (seeded or by an administrator)
    was_note: str
    warning: str  # "" | "weekday_work" | "weekend_off"

    @property
    def change(self) -> str:
        if self.was_workday != self.entry.is_workday:
            return "to_work" if self.entry.is_workday else "to_off"
        if not self.was_entry:
            return "recorded"  # the same day kind, now an entry of its own
        return "note" if self.entry.note and self.entry.note != self.was_note else "same"


def preview(entries: list[Entry], calendar: WorkCalendar) -> list[Row]:
    rows = []
    for entry in entries:
        weekend = entry.day.weekday() >= 5
        override = calendar.overrides.get(entry.day)
        warning = "weekday_work" if entry.is_workday and not weekend else "weekend_off" if not entry.is_workday and weekend else ""
        rows.append(Row(entry, calendar.is_workday(entry.day), override is not None,
                        override[1] if override else "", warning))  # fmt: skip
    return rows


def as_lines(entries: list[Entry]) -> str:
    """The entries as pasted lines again (the preview's save form carries them)."""
    return "\n".join(f"{e.day.isoformat()} {'班' if e.is_workday else '休'}{' ' + e.note if e.note else ''}"
                     for e in entries)  # fmt: skip
