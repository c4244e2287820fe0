"""The working-day calendar. Expected values are read off the 2026 State Council calendar:
National Day 10-01..10-07 off, 09-20 (Sun) and 10-10 (Sat) worked; Mid-autumn 09-25..09-27 off;
Spring Festival 02-15..02-23 off, 02-14 (Sat) and 02-28 (Sat) worked; Dragon Boat 06-19..06-21 off."""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

import pytest

from callcenter.tickets.calendar import CalendarRow, WorkCalendar, library_knows, seed_rows

SH = ZoneInfo("Asia/Shanghai")
D = dt.date


def t(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SH)


@pytest.fixture
def cal() -> WorkCalendar:
    return WorkCalendar()


@pytest.mark.parametrize(
    "day, expected",
    [
        (D(2026, 2, 13), True),  # Friday before Spring Festival
        (D(2026, 2, 14), True),  # adjusted working Saturday
        (D(2026, 2, 15), False),
        (D(2026, 2, 16), False),  # Monday in Spring Festival
        (D(2026, 2, 23), False),
        (D(2026, 2, 24), True),
        (D(2026, 2, 28), True),  # adjusted working Saturday
        (D(2026, 9, 19), False),  # plain Saturday
        (D(2026, 9, 20), True),  # adjusted working Sunday
        (D(2026, 9, 25), False),  # Mid-autumn, a Friday
        (D(2026, 10, 1), False),
        (D(2026, 10, 5), False),  # Monday in National Day week
        (D(2026, 10, 7), False),
        (D(2026, 10, 8), True),
        (D(2026, 10, 10), True),  # adjusted working Saturday
        (D(2026, 10, 11), False),
        (D(2026, 6, 19), False),  # Dragon Boat, a Friday
    ],
)
def test_is_workday_2026(cal: WorkCalendar, day: dt.date, expected: bool) -> None:
    assert cal.is_workday(day) is expected
    assert cal.unknown_years == set()


def test_unknown_year_falls_back_to_monday_friday_and_warns_once(
    cal: WorkCalendar, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="callcenter.tickets.calendar"):
        assert cal.is_workday(D(2027, 1, 1)) is True  # a Friday; really New Year's Day
        assert cal.is_workday(D(2027, 1, 2)) is False  # Saturday
        assert cal.is_workday(D(2027, 1, 4)) is True
    assert cal.unknown_years == {2027}
    warnings = [r for r in caplog.records if "2027" in r.getMessage()]
    assert len(warnings) == 1
    assert not cal.is_known_year(2027)
    assert cal.is_known_year(2026)


def test_year_before_the_library_is_also_a_fallback(cal: WorkCalendar) -> None:
    assert cal.is_workday(D(2003, 1, 1)) is True  # Wednesday
    assert cal.unknown_years == {2003}


def test_confirmed_year_is_known_and_silent(caplog: pytest.LogCaptureFixture) -> None:
    cal = WorkCalendar({D(2027, 1, 1): (False, "元旦")}, confirmed_years=[2027])
    with caplog.at_level(logging.WARNING):
        assert cal.is_workday(D(2027, 1, 1)) is False
        assert cal.is_workday(D(2027, 1, 4)) is True
    assert cal.unknown_years == set()
    assert cal.is_known_year(2027)
    assert caplog.records == []


def test_overrides_win_over_the_library() -> None:
    cal = WorkCalendar(
        {
            D(2026, 9, 30): (False, "全市停热检修"),  # an extra day off
            D(2026, 10, 11): (True, "供暖准备加班"),  # an extra working Sunday
            D(2026, 10, 10): (False, "调休取消"),  # an adjusted Saturday cancelled
        }
    )
    assert cal.is_workday(D(2026, 9, 30)) is False
    assert cal.is_workday(D(2026, 10, 11)) is True
    assert cal.is_workday(D(2026, 10, 10)) is False
    assert cal.next_workday(D(2026, 9, 29)) == D(2026, 10, 8)
    assert cal.next_workday(D(2026, 10, 9)) == D(2026, 10, 11)


def test_override_for_unknown_year_day_is_not_a_guess() -> None:
    cal = WorkCalendar({D(2027, 1, 1): (False, "元旦")})
    assert cal.is_workday(D(2027, 1, 1)) is False
    assert cal.unknown_years == set()


@pytest.mark.parametrize(
    "day, n, expected",
    [
        (D(2026, 9, 30), 1, D(2026, 10, 8)),
        (D(2026, 9, 30), 3, D(2026, 10, 10)),
        (D(2026, 9, 18), 1, D(2026, 9, 20)),  # Friday → the adjusted Sunday
        (D(2026, 2, 13), 1, D(2026, 2, 14)),  # Friday → the adjusted Saturday
        (D(2026, 2, 14), 1, D(2026, 2, 24)),
        (D(2026, 10, 12), -2, D(2026, 10, 9)),
        (D(2026, 10, 8), -1, D(2026, 9, 30)),
        (D(2026, 10, 3), 0, D(2026, 10, 3)),
    ],
)
def test_add_workdays(cal: WorkCalendar, day: dt.date, n: int, expected: dt.date) -> None:
    assert cal.add_workdays(day, n) == expected


def test_next_and_previous_workday(cal: WorkCalendar) -> None:
    assert cal.next_workday(D(2026, 10, 1)) == D(2026, 10, 8)
    assert cal.previous_workday(D(2026, 10, 8)) == D(2026, 9, 30)
    assert cal.previous_workday(D(2026, 2, 24)) == D(2026, 2, 14)


def test_broken_override_table_raises_instead_of_looping() -> None:
    start = D(2026, 3, 1)
    cal = WorkCalendar({start + dt.timedelta(days=k): (False, "off") for k in range(1, 500)})
    with pytest.raises(ValueError, match="no working day"):
        cal.next_workday(start)


def test_business_open_and_close_are_aware(cal: WorkCalendar) -> None:
    opening = cal.business_open(D(2026, 10, 10))
    closing = cal.business_close(D(2026, 10, 10))
    assert opening == dt.datetime(2026, 10, 10, 0, 30, tzinfo=dt.UTC)
    assert closing == dt.datetime(2026, 10, 10, 9, 30, tzinfo=dt.UTC)
    assert opening.utcoffset() == dt.timedelta(hours=8)


@pytest.mark.parametrize(
    "moment, expected",
    [
        (t("2026-09-30 08:29:59"), False),
        (t("2026-09-30 08:30:00"), True),
        (t("2026-09-30 17:29:59"), True),
        (t("2026-09-30 17:30:00"), False),
        (t("2026-10-10 09:00:00"), True),  # adjusted working Saturday
        (t("2026-10-11 09:00:00"), False),
        (t("2026-10-05 10:00:00"), False),  # National Day week
        (dt.datetime(2026, 9, 30, 1, 0, tzinfo=dt.UTC), True),  # 09:00 in Yinchuan
    ],
)
def test_in_business_hours(cal: WorkCalendar, moment: dt.datetime, expected: bool) -> None:
    assert cal.in_business_hours(moment) is expected


@pytest.mark.parametrize(
    "moment, expected",
    [
        (t("2026-09-30 10:00:00"), t("2026-09-30 10:00:00")),
        (t("2026-09-30 07:00:00"), t("2026-09-30 08:30:00")),
        (t("2026-09-30 17:30:00"), t("2026-10-08 08:30:00")),  # evening before National Day
        (t("2026-10-03 23:00:00"), t("2026-10-08 08:30:00")),
        (t("2026-09-18 18:00:00"), t("2026-09-20 08:30:00")),  # Friday → adjusted Sunday
        (t("2026-02-13 17:59:00"), t("2026-02-14 08:30:00")),  # Friday → adjusted Saturday
        (t("2026-02-14 23:59:00"), t("2026-02-24 08:30:00")),
    ],
)
def test_next_business_moment(cal: WorkCalendar, moment: dt.datetime, expected: dt.datetime) -> None:
    assert cal.next_business_moment(moment) == expected


def test_next_business_moment_into_unknown_year(cal: WorkCalendar) -> None:
    assert cal.next_business_moment(t("2026-12-31 18:00:00")) == t("2027-01-01 08:30:00")
    assert cal.unknown_years == {2027}


def test_last_business_open(cal: WorkCalendar) -> None:
    assert cal.last_business_open(t("2026-10-10 17:30:00")) == t("2026-10-10 08:30:00")
    assert cal.last_business_open(t("2026-10-05 12:00:00")) == t("2026-09-30 08:30:00")
    assert cal.last_business_open(t("2026-10-08 08:29:59")) == t("2026-09-30 08:30:00")


def test_naive_datetimes_are_rejected(cal: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="naive"):
        cal.in_business_hours(dt.datetime(2026, 9, 30, 10, 0))


def test_business_hours_must_be_ordered() -> None:
    with pytest.raises(ValueError, match="business hours"):
        WorkCalendar(opens=dt.time(18, 0), closes=dt.time(8, 0))


def test_library_knows() -> None:
    assert library_knows(2004) and library_knows(2026)
    assert not library_knows(2003) and not library_knows(2027)


def test_seed_rows_2026_are_the_days_that_differ_from_monday_friday() -> None:
    rows = seed_rows(2026, 2027)  # 2027 is unknown: no rows, no error
    off = [r.date for r in rows if not r.is_workday]
    on = [r.date for r in rows if r.is_workday]
    assert on == [
        D(2026, 1, 4),
        D(2026, 2, 14),
        D(2026, 2, 28),
        D(2026, 5, 9),
        D(2026, 9, 20),
        D(2026, 10, 10),
    ]
    assert off == [
        D(2026, 1, 1),
        D(2026, 1, 2),
        D(2026, 2, 16),
        D(2026, 2, 17),
        D(2026, 2, 18),
        D(2026, 2, 19),
        D(2026, 2, 20),
        D(2026, 2, 23),
        D(2026, 4, 6),
        D(2026, 5, 1),
        D(2026, 5, 4),
        D(2026, 5, 5),
        D(2026, 6, 19),
        D(2026, 9, 25),
        D(2026, 10, 1),
        D(2026, 10, 2),
        D(2026, 10, 5),
        D(2026, 10, 6),
        D(2026, 10, 7),
    ]
    by_date = {r.date: r for r in rows}
    assert by_date[D(2026, 10, 1)] == CalendarRow(D(2026, 10, 1), False, "国庆节 National Day")
    assert by_date[D(2026, 10, 10)].note == "国庆节调休上班 National Day: adjusted working day"


def test_seed_rows_feed_an_equivalent_calendar() -> None:
    table = {r.date: (r.is_workday, r.note) for r in seed_rows(2026, 2026)}
    seeded = WorkCalendar(table)
    assert seeded.add_workdays(D(2026, 9, 30), 3) == D(2026, 10, 10)
    assert seeded.next_workday(D(2026, 2, 13)) == D(2026, 2, 14)
