"""Due times of D1–D9 from the packaged rules.toml. Every expected value below was counted by
hand on the 2026 calendar (see test_calendar.py's docstring) and the counting rules in
rules.toml: working days exclude the start's date and end at 17:30; calendar days exclude the
start's date; same_day after 17:30 counts from the next day; "not overnight" ends 08:30."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from callcenter.tickets.calendar import WorkCalendar
from callcenter.tickets.deadlines import due_at, is_overdue, notice_time, warn_at
from callcenter.tickets.rulefile import load_rules, parse_rules
from callcenter.tickets.ruleset import RuleBook

SH = ZoneInfo("Asia/Shanghai")
SECOND = dt.timedelta(seconds=1)


def t(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SH)


@pytest.fixture(scope="module")
def book() -> RuleBook:
    return load_rules()


@pytest.fixture
def cal() -> WorkCalendar:
    return WorkCalendar()


CASES = [
    # rule, start, due — and why
    ("D1", "2026-09-30 16:00:00", "2026-09-30 16:30:00"),  # 30 min wall clock
    ("D1", "2026-09-30 23:59:00", "2026-10-01 00:29:00"),  # opened at 23:59, into a holiday
    ("D2", "2026-10-03 02:10:00", "2026-10-03 03:10:00"),  # 1 h, in the middle of a holiday night
    ("D3", "2026-09-30 10:00:00", "2026-09-30 23:59:59"),
    ("D3", "2026-09-30 17:29:59", "2026-09-30 23:59:59"),  # just before the cutoff
    ("D3", "2026-09-30 17:30:00", "2026-10-01 23:59:59"),  # at the cutoff: next day
    ("D3", "2026-09-30 23:59:00", "2026-10-01 23:59:59"),  # opened at 23:59
    ("D3", "2026-10-03 09:00:00", "2026-10-03 23:59:59"),  # a calendar day, holidays included
    ("D4.minor", "2026-02-14 23:30:00", "2026-02-15 01:30:00"),  # 2 h wall clock
    ("D4.medium", "2026-02-15 11:00:00", "2026-02-15 23:59:59"),  # Spring Festival Sunday
    ("D4.major", "2026-09-30 16:00:00", "2026-10-01 08:30:00"),
    ("D4.major", "2026-09-30 23:59:00", "2026-10-01 08:30:00"),
    ("D4.major", "2026-10-01 00:01:00", "2026-10-01 08:30:00"),  # already in that night
    ("D4.major", "2026-10-01 08:30:00", "2026-10-02 08:30:00"),
    # D5: 2 working days from the next working day, close of business.
    ("D5", "2026-09-30 16:00:00", "2026-10-09 17:30:00"),  # National Day: 10-08, 10-09
    ("D5", "2026-09-30 23:59:00", "2026-10-09 17:30:00"),
    ("D5", "2026-09-18 15:00:00", "2026-09-21 17:30:00"),  # 09-20 (Sun) worked, 09-21
    (
        "D5",
        "2026-02-13 17:59:00",
        "2026-02-24 17:30:00",
    ),  # Friday evening before the holiday: 02-14, 02-24
    (
        "D5",
        "2026-02-14 10:00:00",
        "2026-02-25 17:30:00",
    ),  # on the adjusted Saturday itself: 02-24, 02-25
    ("D5", "2026-10-10 09:00:00", "2026-10-13 17:30:00"),  # adjusted Saturday: 10-12, 10-13
    ("D5", "2026-10-12 07:00:00", "2026-10-14 17:30:00"),  # before opening: the day still not counted
    # D6: 3 working days.
    ("D6", "2026-09-24 11:00:00", "2026-09-30 17:30:00"),  # Mid-autumn: 09-28, 09-29, 09-30
    ("D6", "2026-09-30 16:00:00", "2026-10-10 17:30:00"),  # 10-08, 10-09, 10-10 (Sat, worked)
    ("D6", "2026-09-18 09:00:00", "2026-09-22 17:30:00"),  # 09-20 (Sun, worked), 09-21, 09-22
    # D7: 5 calendar days, close of business, a last day off rolls to the next working day.
    ("D7", "2026-09-14 10:00:00", "2026-09-20 17:30:00"),  # 09-19 Sat → 09-20 Sun (worked)
    ("D7", "2026-09-08 10:00:00", "2026-09-14 17:30:00"),  # 09-13 Sun → 09-14 Mon
    ("D7", "2026-09-30 16:00:00", "2026-10-08 17:30:00"),  # 10-05 holiday → 10-08
    ("D7", "2026-10-05 10:00:00", "2026-10-10 17:30:00"),  # 10-10 is a working Saturday
    # D8: 2 calendar days, end of day, no roll.
    ("D8", "2026-09-30 10:00:00", "2026-10-02 23:59:59"),
    ("D8", "2026-09-30 23:59:00", "2026-10-02 23:59:59"),
    ("D8", "2026-10-01 00:00:00", "2026-10-03 23:59:59"),
    # D9: 7 working days.
    ("D9", "2026-09-21 09:00:00", "2026-10-08 17:30:00"),  # 22,23,24,28,29,30, 10-08
    ("D9", "2026-09-24 09:00:00", "2026-10-12 17:30:00"),  # 28,29,30, 10-08,09,10,12
    ("D9", "2026-10-03 09:00:00", "2026-10-15 17:30:00"),  # National Day week: 8,9,10,12,13,14,15
]


@pytest.mark.parametrize("rule_id, start, due", CASES)
def test_due_at(book: RuleBook, cal: WorkCalendar, rule_id: str, start: str, due: str) -> None:
    result = due_at(book.rule(rule_id), t(start), cal)
    assert result == t(due)
    assert result.utcoffset() == dt.timedelta(hours=8)
    assert cal.unknown_years == set()


@pytest.mark.parametrize("rule_id, start, due", CASES)
def test_boundary_one_second_before_at_after(
    book: RuleBook, cal: WorkCalendar, rule_id: str, start: str, due: str
) -> None:
    computed = due_at(book.rule(rule_id), t(start), cal)
    assert not is_overdue(computed, now=t(due) - SECOND)
    assert not is_overdue(computed, now=t(due))
    assert is_overdue(computed, now=t(due) + SECOND)


def test_start_in_another_zone(book: RuleBook, cal: WorkCalendar) -> None:
    start = dt.datetime(2026, 9, 30, 8, 0, tzinfo=dt.UTC)  # 16:00 in Yinchuan
    assert due_at(book.rule("D5"), start, cal) == t("2026-10-09 17:30:00")


def test_naive_start_is_rejected(book: RuleBook, cal: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="naive"):
        due_at(book.rule("D1"), dt.datetime(2026, 9, 30, 16, 0), cal)


@pytest.mark.parametrize(
    "rule_id, start, warn",
    [
        ("D1", "2026-09-30 16:00:00", "2026-09-30 16:20:00"),  # 10 min before
        ("D2", "2026-10-03 02:10:00", "2026-10-03 02:55:00"),  # 15 min before
        ("D3", "2026-09-30 22:00:00", "2026-10-01 20:59:59"),  # 3 h before 23:59:59 next day
        ("D4.minor", "2026-02-14 23:30:00", "2026-02-15 01:00:00"),
        ("D4.major", "2026-09-30 16:00:00", "2026-10-01 06:30:00"),
        ("D5", "2026-02-13 17:59:00", "2026-02-24 08:30:00"),  # opening of the due day
        ("D6", "2026-09-30 16:00:00", "2026-10-10 08:30:00"),  # the adjusted Saturday's opening
        ("D7", "2026-09-30 16:00:00", "2026-10-08 08:30:00"),
        ("D8", "2026-09-30 10:00:00", "2026-10-02 11:59:59"),  # 12 h before
        ("D9", "2026-10-03 09:00:00", "2026-10-15 08:30:00"),
    ],
)
def test_warn_at(book: RuleBook, cal: WorkCalendar, rule_id: str, start: str, warn: str) -> None:
    assert warn_at(book.rule(rule_id), t(start), cal) == t(warn)


def test_no_warning_when_the_window_began_before_the_start(
    cal: WorkCalendar, rules_data: dict[str, Any]
) -> None:
    rules_data["rules"]["D2"]["warn"] = {"before": {"hours": 2}, "notify": ["station"]}  # limit is 1 h
    del rules_data["rules"]["D3"]["warn"]
    custom = parse_rules(rules_data)
    assert warn_at(custom.rule("D2"), t("2026-09-30 10:00:00"), cal) is None
    assert warn_at(custom.rule("D3"), t("2026-09-30 10:00:00"), cal) is None


def test_crossing_into_2027_falls_back_and_warns(
    book: RuleBook, cal: WorkCalendar, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="callcenter.tickets.calendar"):
        # 12-31 (1), 2027-01-01 counted as a Friday at work (2), 01-04 (3)
        assert due_at(book.rule("D6"), t("2026-12-30 10:00:00"), cal) == t("2027-01-04 17:30:00")
        # 12-29, 12-30, 12-31, 01-01, 01-04, 01-05, 01-06
        assert due_at(book.rule("D9"), t("2026-12-28 10:00:00"), cal) == t("2027-01-06 17:30:00")
    assert cal.unknown_years == {2027}
    assert len([r for r in caplog.records if "2027" in r.getMessage()]) == 1


def test_wall_clock_rules_into_2027_need_no_calendar(book: RuleBook, cal: WorkCalendar) -> None:
    assert due_at(book.rule("D1"), t("2026-12-31 23:45:00"), cal) == t("2027-01-01 00:15:00")
    assert due_at(book.rule("D8"), t("2026-12-31 09:00:00"), cal) == t("2027-01-02 23:59:59")
    assert cal.unknown_years == set()


def test_overrides_into_2027_remove_the_guess(book: RuleBook) -> None:
    cal = WorkCalendar({dt.date(2027, 1, 1): (False, "元旦")}, confirmed_years=[2027])
    assert due_at(book.rule("D6"), t("2026-12-30 10:00:00"), cal) == t("2027-01-05 17:30:00")
    assert cal.unknown_years == set()


def test_override_adds_a_holiday(book: RuleBook) -> None:
    cal = WorkCalendar({dt.date(2026, 10, 8): (False, "全市停热检修")})
    # 10-09, 10-10 instead of 10-08, 10-09
    assert due_at(book.rule("D5"), t("2026-09-30 16:00:00"), cal) == t("2026-10-10 17:30:00")


def test_override_adds_a_working_day(book: RuleBook) -> None:
    cal = WorkCalendar({dt.date(2026, 10, 3): (True, "值班加班")})
    # 10-03, 10-08 instead of 10-08, 10-09
    assert due_at(book.rule("D5"), t("2026-09-30 16:00:00"), cal) == t("2026-10-08 17:30:00")
    # D7's last day 10-05 is still off and rolls to 10-08; with 10-05 worked it would not
    cal2 = WorkCalendar({dt.date(2026, 10, 5): (True, "值班加班")})
    assert due_at(book.rule("D7"), t("2026-09-30 16:00:00"), cal2) == t("2026-10-05 17:30:00")


def test_notice_time_holds_office_roles_until_morning(book: RuleBook, cal: WorkCalendar) -> None:
    breach = t("2026-09-30 23:59:59")  # a D3 breach at midnight before National Day
    assert notice_time(book, "clerk", breach, cal) == t("2026-10-08 08:30:00")
    assert notice_time(book, "office_head", breach, cal) == t("2026-10-08 08:30:00")
    assert notice_time(book, "station", breach, cal) == breach
    assert notice_time(book, "clerk", t("2026-10-10 10:00:00"), cal) == t("2026-10-10 10:00:00")


def test_applicable_rules(book: RuleBook) -> None:
    def ids(*args: object, **kw: object) -> list[str]:
        return [r.id for r in book.applicable(*args, **kw)]  # type: ignore[arg-type]

    assert ids("supervision", "property_office") == ["D5", "D6", "D8"]
    assert ids("supervision", "property_office", frozenset({"difficult"})) == ["D5", "D7", "D8"]
    assert ids("repair", "phone", frozenset({"urgent"}), "major") == ["D2", "D3", "D4.major", "D8"]
    assert ids("repair", "phone", severity="minor") == ["D3", "D4.minor", "D8"]
    assert ids("complaint", "department") == ["D1", "D5", "D8"]
    assert ids("application", "visit") == ["D9"]
    assert ids("consultation", "phone") == []
    assert book.rule("D6").case_limit_overrides and book.rule("D7").case_limit_overrides
