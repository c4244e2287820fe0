"""The working-day table: seeding, edits (audited), unknown years, recomputation of due times."""

from __future__ import annotations

import datetime as dt

from callcenter.audit import history, verify
from callcenter.tickets import calendar_store as cs
from tests.tickets.conftest import at
from tests.tickets.helpers import assigned_case, deadlines

NOW = at("2026-09-21 09:00")


async def test_seed_is_idempotent_and_marks_unknown_years(sessions) -> None:
    added, unknown = await cs.seed_calendar(sessions, 2026, 2027, actor="admin", now=NOW)
    assert unknown == [2027] and added > 20
    assert await cs.seed_calendar(sessions, 2026, 2027, actor="admin", now=NOW) == (0, [2027])
    async with sessions() as session:
        days = {d.day: d for d in await cs.list_days(session, 2026)}
        years = {y.year: y.status for y in await cs.list_years(session)}
        warnings = await cs.calendar_warnings(session, NOW)
    assert days[dt.date(2026, 10, 10)].is_workday and not days[dt.date(2026, 10, 1)].is_workday
    assert "调休" in days[dt.date(2026, 10, 10)].note
    assert years == {2026: "seeded", 2027: "unknown"}
    assert [w.year for w in warnings] == [2027] and "2027" in warnings[0].text_zh


async def test_unknown_year_falls_back_to_weekdays_plus_entries_until_confirmed(sessions) -> None:
    await cs.seed_calendar(sessions, 2026, 2027, actor="admin", now=NOW)
    await cs.set_day(sessions, dt.date(2027, 1, 1), False, actor="admin", now=NOW, note="元旦")
    async with sessions() as session:
        cal = await cs.load_calendar(session)
    assert not cal.is_workday(dt.date(2027, 1, 1))  # the table's entry
    assert cal.is_workday(dt.date(2027, 1, 4)) and not cal.is_workday(dt.date(2027, 1, 2))  # Mon–Fri
    assert cal.unknown_years == {2027}
    await cs.confirm_year(sessions, 2027, actor="admin", now=NOW, reason="国务院通知已录入")
    async with sessions() as session:
        assert await cs.calendar_warnings(session, NOW) == []
        cal = await cs.load_calendar(session)
    cal.is_workday(dt.date(2027, 3, 1))
    assert cal.unknown_years == set()


async def test_in_a_seeded_year_the_table_alone_decides(sessions) -> None:
    """chinese-calendar only seeds the table: a seeded holiday an administrator removes is an
    ordinary day again (the package is not asked behind the table's back)."""
    await cs.seed_calendar(sessions, 2026, 2026, actor="admin", now=NOW)
    async with sessions() as session:
        assert not (await cs.load_calendar(session)).is_workday(dt.date(2026, 10, 1))  # 国庆节, seeded
    await cs.unset_day(sessions, dt.date(2026, 10, 1), actor="admin", now=NOW, reason="test")
    async with sessions() as session:
        cal = await cs.load_calendar(session)
    assert cal.is_workday(dt.date(2026, 10, 1))  # a Thursday with no entry: a working day
    assert not cal.is_workday(dt.date(2026, 10, 3))  # still a seeded holiday


async def test_changing_the_calendar_recomputes_open_due_times(sessions) -> None:
    case = await assigned_case(sessions, at("2026-09-21 10:00"))  # D5 due Wed 23rd 17:30
    (d5,) = await deadlines(sessions, case.id)
    assert d5.due_at == at("2026-09-23 17:30") and d5.warn_at == at("2026-09-23 08:30")
    moved = await cs.set_day(sessions, dt.date(2026, 9, 22), False, actor="admin", now=NOW,
                             note="停暖检修日", reason="company day off")  # fmt: skip
    assert moved == 1
    (d5,) = await deadlines(sessions, case.id)
    assert (d5.due_at, d5.warn_at, d5.next_action_at) == (at("2026-09-24 17:30"), at("2026-09-24 08:30"),
                                                           at("2026-09-24 08:30"))  # fmt: skip
    assert await cs.unset_day(sessions, dt.date(2026, 9, 22), actor="admin", now=NOW) == 1
    (d5,) = await deadlines(sessions, case.id)
    assert d5.due_at == at("2026-09-23 17:30")
    assert await cs.set_business_hours(sessions, dt.time(9, 0), dt.time(17, 0), actor="admin", now=NOW) == 1
    (d5,) = await deadlines(sessions, case.id)
    assert (d5.due_at, d5.warn_at) == (at("2026-09-23 17:00"), at("2026-09-23 09:00"))
    async with sessions() as session:
        trail = await history(session, "calendar_day", "2026-09-22")
    assert [(r.before, r.after, r.actor) for r in trail] == [("null", "false", "admin"), ("false", "null", "admin")]
    assert (await verify(sessions)).ok


async def test_stopped_clocks_are_not_recomputed(sessions) -> None:
    from callcenter.tickets.cases import transition

    case = await assigned_case(sessions, at("2026-09-21 10:00"))
    await transition(sessions, case.id, "feedback", actor="s", role="station", now=at("2026-09-21 12:00"),
                     reason="已上门处理，暖气恢复正常")
    assert await cs.set_day(sessions, dt.date(2026, 9, 22), False, actor="admin", now=NOW) == 0
    d5 = (await deadlines(sessions, case.id))[0]
    assert (d5.state, d5.due_at) == ("met", at("2026-09-23 17:30"))
