"""Report schedules R1–R3, counted by hand on the 2026 calendar: R1 on the week's last working
day, R2 by the 20th and R3 by the 23rd (a day off → the working day before), 17:30."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from callcenter.tickets.calendar import WorkCalendar
from callcenter.tickets.reports import next_report_due, report_due, report_period, report_warn_at
from callcenter.tickets.rulefile import load_rules
from callcenter.tickets.ruleset import RuleBook

SH = ZoneInfo("Asia/Shanghai")
D = dt.date


def t(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SH)


@pytest.fixture(scope="module")
def book() -> RuleBook:
    return load_rules()


@pytest.fixture
def cal() -> WorkCalendar:
    return WorkCalendar()


@pytest.mark.parametrize(
    "report_id, anchor, due",
    [
        ("R1", D(2026, 9, 9), "2026-09-11 17:30:00"),  # plain week → Friday
        ("R1", D(2026, 10, 7), "2026-10-10 17:30:00"),  # week of 10-05: adjusted Saturday is last
        ("R1", D(2026, 9, 28), "2026-09-30 17:30:00"),  # week of 09-28: Wednesday before National Day
        ("R1", D(2026, 2, 18), "2026-02-24 17:30:00"),  # week 02-16..22 has no working day
        ("R1", D(2026, 9, 14), "2026-09-20 17:30:00"),  # week 09-14..20 ends on a worked Sunday
        # a monthly report's anchor is a day of the month it covers; it is due the month after
        ("R2", D(2026, 8, 1), "2026-09-20 17:30:00"),  # the 20th is a worked Sunday
        ("R2", D(2026, 5, 5), "2026-06-18 17:30:00"),  # 06-20 Sat, 06-19 Dragon Boat → Thursday
        ("R2", D(2026, 11, 30), "2026-12-18 17:30:00"),  # 12-20 Sunday → Friday
        ("R2", D(2026, 9, 30), "2026-10-20 17:30:00"),
        ("R2", D(2026, 12, 31), "2027-01-20 17:30:00"),  # year end: due in January
        ("R3", D(2026, 9, 1), "2026-10-23 17:30:00"),
        ("R3", D(2026, 4, 30), "2026-05-22 17:30:00"),  # 05-23 Saturday
        ("R3", D(2026, 7, 1), "2026-08-21 17:30:00"),  # 08-23 Sunday
        ("R3", D(2026, 12, 1), "2027-01-22 17:30:00"),  # 2027: Mon–Fri fallback, 01-23 Saturday
    ],
)
def test_report_due(
    book: RuleBook, cal: WorkCalendar, report_id: str, anchor: dt.date, due: str
) -> None:
    assert report_due(book.reports[report_id], anchor, cal) == t(due)


@pytest.mark.parametrize("report_id, anchor, period", [
    ("R1", D(2026, 10, 7), (D(2026, 10, 5), D(2026, 10, 11))),
    ("R1", D(2026, 12, 31), (D(2026, 12, 28), D(2027, 1, 3))),  # a week across the year end
    ("R1", D(2027, 1, 3), (D(2026, 12, 28), D(2027, 1, 3))),
    ("R2", D(2026, 11, 30), (D(2026, 11, 1), D(2026, 11, 30))),  # issue 10: not October
    ("R2", D(2026, 11, 1), (D(2026, 11, 1), D(2026, 11, 30))),
    ("R2", D(2026, 12, 31), (D(2026, 12, 1), D(2026, 12, 31))),  # year end
    ("R2", D(2027, 1, 15), (D(2027, 1, 1), D(2027, 1, 31))),
    ("R3", D(2026, 2, 28), (D(2026, 2, 1), D(2026, 2, 28))),  # month end
    ("R3", D(2028, 2, 29), (D(2028, 2, 1), D(2028, 2, 29))),  # leap day
])  # fmt: skip
def test_report_periods_contain_their_anchor_and_end_before_the_due_day(
    book: RuleBook, cal: WorkCalendar, report_id: str, anchor: dt.date, period: tuple[dt.date, dt.date]
) -> None:
    report = book.reports[report_id]
    assert report_period(report, anchor) == period
    assert period[0] <= anchor <= period[1]
    due = report_due(report, anchor, cal)
    assert report_due(report, period[0], cal) == report_due(report, period[1], cal) == due
    if report_id != "R1":  # a monthly report is due after the month it covers
        assert due.date() > period[1]


def test_current_month_reading(rules_data: dict[str, Any]) -> None:
    from callcenter.tickets.rulefile import parse_rules

    rules_data["reports"]["R3"]["covers"] = "current_month"
    report = parse_rules(rules_data).reports["R3"]
    assert report_period(report, D(2026, 10, 5)) == (D(2026, 10, 1), D(2026, 10, 23))


@pytest.mark.parametrize(
    "report_id, now, anchor, due",
    [
        ("R2", "2026-06-18 17:30:00", D(2026, 5, 1), "2026-06-18 17:30:00"),  # at the due moment
        ("R2", "2026-06-18 17:30:01", D(2026, 6, 1), "2026-07-20 17:30:00"),  # one second later
        ("R2", "2026-06-19 09:00:00", D(2026, 6, 1), "2026-07-20 17:30:00"),
        ("R1", "2026-10-10 17:30:01", D(2026, 10, 12), "2026-10-16 17:30:00"),
        ("R1", "2026-10-10 10:00:00", D(2026, 10, 5), "2026-10-10 17:30:00"),
        ("R3", "2026-12-24 09:00:00", D(2026, 12, 1), "2027-01-22 17:30:00"),  # 2027: Mon–Fri fallback
    ],
)
def test_next_report_due(
    book: RuleBook, cal: WorkCalendar, report_id: str, now: str, anchor: dt.date, due: str
) -> None:
    assert next_report_due(book.reports[report_id], t(now), cal) == (anchor, t(due))


def test_report_into_2027_records_the_unknown_year(book: RuleBook, cal: WorkCalendar) -> None:
    assert report_due(book.reports["R2"], D(2026, 12, 5), cal) == t("2027-01-20 17:30:00")  # a Wednesday
    assert cal.unknown_years == {2027}


def test_report_warnings(book: RuleBook, cal: WorkCalendar) -> None:
    assert report_warn_at(book.reports["R1"], D(2026, 10, 7), cal) == t("2026-10-10 08:30:00")
    assert report_warn_at(book.reports["R2"], D(2026, 5, 5), cal) == t("2026-06-17 08:30:00")
    assert report_warn_at(book.reports["R3"], D(2026, 9, 1), cal) == t("2026-10-22 08:30:00")
