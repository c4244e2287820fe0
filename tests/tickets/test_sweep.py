"""The deadline sweep on a real database: reminders, breaches, claims, crashes, poison, escalation."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter

import pytest
from sqlalchemy import select, update

from callcenter.db.session import create_engine, session_factory
from callcenter.tickets import sweep as sweep_module
from callcenter.tickets.cases import transition
from callcenter.tickets.delivery import list_outbox
from callcenter.tickets.models import Case, CaseDeadline, CaseEvent
from callcenter.tickets.sweep import Sweeper
from tests.tickets.conftest import at
from tests.tickets.helpers import CLERK, assigned_case, deadlines, new_case, outbox
from tests.keys import AUDIT_KEYS

MON = "2026-09-21"  # D5 of a case assigned Monday 10:00: warn Wed 08:30, due Wed 17:30


def keys(rows: list) -> list[tuple[int | None, str, int, str]]:
    return sorted((n.deadline_id, n.kind, n.level, n.recipient_role) for n in rows)


async def test_reminder_then_breach_each_exactly_once(sessions) -> None:
    case = await assigned_case(sessions, at(f"{MON} 10:00"))
    s = Sweeper(sessions, name="one")
    assert await s.run_once(at("2026-09-23 08:29:59")) == 0
    assert await s.run_once(at("2026-09-23 08:30")) == 1
    reminders = await outbox(sessions, kind="reminder")
    assert sorted(n.recipient_role for n in reminders) == ["clerk", "station"]
    assert reminders[0].text_zh.startswith("【催办】投诉#%d" % case.id)
    assert await s.run_once(at("2026-09-23 09:00")) == 0
    assert await s.run_once(at("2026-09-23 17:30")) == 0  # at the due moment: still in time
    assert await s.run_once(at("2026-09-23 17:30:01")) == 1
    breaches = await outbox(sessions, kind="breach")
    assert sorted((n.recipient_role, n.recipient) for n in breaches) == [
        ("clerk", CLERK), ("office_head", "head-office1")]  # fmt: skip
    assert await s.run_once(at("2026-09-30 12:00")) == 0
    (d5,) = await deadlines(sessions, case.id)
    assert d5.breached_at == at("2026-09-23 17:30:01") and d5.next_action_at is None and d5.claimed_by is None


async def test_an_urgent_night_breach_is_told_at_once_to_everyone_and_the_duty_person(sessions) -> None:
    """Issue 10 point 6: a D2 (urgent repair, 1 h) breach at night is not held to 08:30."""
    from callcenter.tickets import duty

    async with sessions() as session, session.begin():
        await duty.add_shift(session, "8101", at("2026-09-22 20:00"), at("2026-09-23 08:00"), actor="t",
                             now=at("2026-09-22 12:00"))  # fmt: skip
    await new_case(sessions, at("2026-09-22 22:00"), kind="repair", urgent=True)  # D2: due 23:00
    s = Sweeper(sessions)
    await s.run_once(at("2026-09-22 23:05"))
    got = {(n.recipient_role, n.recipient): n.deliver_at for n in await outbox(sessions, kind="breach")}
    assert got == {("clerk", CLERK): at("2026-09-22 23:05"), ("office_head", None): at("2026-09-22 23:05"),
                   ("duty", "8101"): at("2026-09-22 23:05")}  # fmt: skip
    async with sessions() as session:
        night = await list_outbox(session, now=at("2026-09-22 23:10"), role=None)
    assert len([n for n in night if n.kind == "breach"]) == 3


async def test_a_night_breach_of_a_non_urgent_clock_waits_for_the_morning(sessions) -> None:
    await new_case(sessions, at("2026-09-22 10:00"), kind="repair")  # D3: due the same day 23:59:59
    await Sweeper(sessions).run_once(at("2026-09-23 00:05"))
    got = {n.recipient_role: n.deliver_at for n in await outbox(sessions, kind="breach")}
    assert got == {"clerk": at("2026-09-23 08:30"), "office_head": at("2026-09-23 08:30")}


async def test_friday_night_breach_waits_for_the_adjusted_working_saturday(sessions) -> None:
    await new_case(sessions, at("2026-10-09 10:00"), kind="repair")  # Fri; Sat 10-10 is worked; D3 due 23:59:59
    await Sweeper(sessions).run_once(at("2026-10-10 00:30"))
    (clerk,) = await outbox(sessions, kind="breach", recipient_role="clerk")
    assert clerk.deliver_at == at("2026-10-10 08:30")


async def test_two_sweepers_running_concurrently_never_double(sessions, db_url: str) -> None:
    cases = [await assigned_case(sessions, at(f"{MON} 10:00"), caller_phone=f"1390000{i:04d}") for i in range(30)]
    engines = [create_engine(db_url) for _ in range(2)]
    try:
        sweepers = [Sweeper(session_factory(e, AUDIT_KEYS), name=f"s{i}", batch=4) for i, e in enumerate(engines)]
        now = at("2026-09-23 17:31")  # past both the warning and the due time
        done = await asyncio.gather(*(s.run_once(now) for s in sweepers), *(s.run_once(now) for s in sweepers))
    finally:
        for e in engines:
            await e.dispose()
    assert sum(done) == len(cases)
    notes = await outbox(sessions, kind="breach")
    assert len(notes) == 2 * len(cases)
    assert max(Counter(keys(notes)).values()) == 1


async def test_a_slow_sweeper_whose_claim_lapsed_does_nothing_twice(sessions) -> None:
    await assigned_case(sessions, at(f"{MON} 10:00"))
    slow, fast = Sweeper(sessions, name="slow"), Sweeper(sessions, name="fast")
    now = at("2026-09-23 17:31")
    ids = await slow.claim(now)
    later = now + slow.claim_ttl + dt.timedelta(seconds=1)
    assert await fast.run_once(later) == 1
    async with sessions() as session:
        from callcenter.tickets.calendar_store import load_clockwork

        clockwork = await load_clockwork(session)
    assert await slow.process(ids, later, clockwork) == 0  # not its rows any more
    assert len(await outbox(sessions, kind="breach")) == 2


@pytest.mark.parametrize("where", ["after_claim", "before_commit"])
async def test_sweeper_killed_mid_run_and_restarted_misses_none(sessions, monkeypatch, where: str) -> None:
    for i in range(7):
        await assigned_case(sessions, at(f"{MON} 10:00"), caller_phone=f"1380000{i:04d}")
    now = at("2026-09-23 17:31")
    victim = Sweeper(sessions, name="victim", batch=3)
    original_store = sweep_module.notices.store

    async def killed_store(session, rows):  # type: ignore[no-untyped-def]
        await original_store(session, rows)
        raise asyncio.CancelledError  # the process dies before the commit

    async def killed_process(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise asyncio.CancelledError  # the process dies right after claiming

    if where == "after_claim":
        monkeypatch.setattr(victim, "process", killed_process)
    else:
        monkeypatch.setattr(sweep_module.notices, "store", killed_store)
    with pytest.raises(asyncio.CancelledError):
        await victim.run_once(now)
    monkeypatch.undo()
    assert await outbox(sessions, kind="breach") == []
    restarted = Sweeper(sessions, name="restarted")
    assert await restarted.run_once(now + dt.timedelta(seconds=30)) == 4  # the 3 claimed rows wait
    assert await restarted.run_once(now + victim.claim_ttl + dt.timedelta(seconds=1)) == 3
    notes = await outbox(sessions, kind="breach")
    assert len(notes) == 14 and max(Counter(keys(notes)).values()) == 1


async def test_a_poison_case_is_pushed_back_and_the_others_go_on(sessions) -> None:
    good = [await assigned_case(sessions, at(f"{MON} 10:00"), caller_phone=f"1370000{i:04d}") for i in range(3)]
    bad = await assigned_case(sessions, at(f"{MON} 10:00"), caller_phone="13799999999")
    async with sessions() as session, session.begin():  # a rule removed from rules.toml since
        await session.execute(update(CaseDeadline).where(CaseDeadline.case_id == bad.id).values(rule_id="D99"))
    s = Sweeper(sessions, batch=2)
    now = at("2026-09-23 17:31")
    assert await s.run_once(now) == 4
    assert {n.case_id for n in await outbox(sessions, kind="breach")} == {c.id for c in good}
    (poison,) = await deadlines(sessions, bad.id)
    assert poison.attempts == 1 and "D99" in (poison.last_error or "")
    assert poison.next_attempt_at == poison.next_action_at == now + dt.timedelta(minutes=2)
    assert poison.claimed_by is None
    assert await s.run_once(now + dt.timedelta(minutes=1)) == 0
    assert await s.run_once(now + dt.timedelta(minutes=2, seconds=1)) == 1
    (poison,) = await deadlines(sessions, bad.id)
    assert poison.attempts == 2 and poison.next_action_at == now + dt.timedelta(minutes=6, seconds=1)


async def test_second_complaint_escalates_level_by_level_until_resolved(sessions) -> None:
    case = await assigned_case(sessions, at(f"{MON} 10:00"))
    await transition(sessions, case.id, "second_complaint", actor=CLERK, role="clerk", now=at(f"{MON} 15:00"),
                     reason="user called again: still cold")  # fmt: skip
    esc = [d for d in await deadlines(sessions, case.id) if d.rule_id == "ESC"]
    assert [(d.level, d.due_at) for d in esc] == [(1, at("2026-09-23 17:30"))]
    assert [(n.kind, n.level, n.recipient_role) for n in await outbox(sessions, kind="escalation")] == [
        ("escalation", 1, "office_head")]  # fmt: skip
    s = Sweeper(sessions)
    await s.run_once(at("2026-09-23 17:31"))  # level 2: department head, two working days more
    await s.run_once(at("2026-09-25 17:31"))  # level 3: the manager
    await s.run_once(at("2026-09-29 17:31"))  # past the manager's limit: a breach to the manager
    await s.run_once(at("2026-10-30 17:31"))  # nothing more
    got = [(n.kind, n.level, n.recipient_role) for n in await outbox(sessions) if n.kind in ("escalation", "breach")
           and n.deadline_id == esc[0].id]  # fmt: skip
    assert got == [("escalation", 1, "office_head"), ("escalation", 2, "department_head"),
                   ("escalation", 3, "manager"), ("breach", 3, "manager")]  # fmt: skip
    async with sessions() as session:
        level = await session.scalar(select(Case.escalation_level).where(Case.id == case.id))
        events = (await session.scalars(select(CaseEvent).where(CaseEvent.action == "escalate"))).all()
    assert level == 3 and [(e.actor, e.data["level"]) for e in events] == [("timer", 2), ("timer", 3)]


async def test_resolving_stops_the_escalation(sessions) -> None:
    case = await assigned_case(sessions, at(f"{MON} 10:00"))
    await transition(sessions, case.id, "second_complaint", actor=CLERK, role="clerk", now=at(f"{MON} 15:00"))
    await transition(sessions, case.id, "feedback", actor="s", role="station", now=at("2026-09-22 09:00"),
                     reason="已上门处理，暖气恢复正常")
    await transition(sessions, case.id, "resolve", actor=CLERK, role="office_head", now=at("2026-09-22 10:00"))
    await Sweeper(sessions).run_once(at("2026-09-30 12:00"))
    assert [n.level for n in await outbox(sessions, kind="escalation")] == [1]
    assert {d.rule_id: d.state for d in await deadlines(sessions, case.id)}["ESC"] == "met"
