"""Calls meet cases: opening a case from a call; repeat callers and second complaints."""

from __future__ import annotations

import asyncio
import logging

import pytest

from callcenter.tickets.cases import normalize_phone, transition
from callcenter.tickets.models import CaseCall
from callcenter.tickets.errors import CaseExists
from callcenter.tickets.repeat import create_case_from_call, on_call_logged
from tests.tickets.conftest import at
from tests.tickets.helpers import add_call, assigned_case, count, deadlines, outbox, station_id

PHONE = "13912345678"


@pytest.mark.parametrize("raw, expected", [
    ("+86 139-1234-5678", "13912345678"), ("013912345678", "13912345678"), ("0951-6085708", "6085708"), ("6085708", "6085708"),
    ("anonymous", ""), ("", ""), ("123", ""),
    # the forms carriers and clerks also use: all one caller as the repeat-call check sees them
    ("008613909511234", "13909511234"), ("+86 951 6085708", "6085708"), ("0086-951-6085708", "6085708"),
    ("+869516085708", "6085708"), ("0953-6085708", "09536085708"), ("0951-6088794 转 8012", "6088794"),
    ("+8609516085708", "6085708"), ("400-810-5888", "4008105888"),
])  # fmt: skip
def test_normalize_phone(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


async def test_case_from_call_keeps_the_first_responsible_person(sessions) -> None:
    call_id = await add_call(sessions, number="+8613912345678", started=at("2026-09-21 10:00"), answered_by="8002")
    case = await create_case_from_call(sessions, call_id, kind="temperature", actor="8001", role="clerk",
                                       now=at("2026-09-21 10:05"), compound="北苑小区", building="3")  # fmt: skip
    assert (case.first_responder, case.caller_phone, case.source, case.state) == ("8002", PHONE, "phone", "accepted")
    assert case.received_at == at("2026-09-21 10:03")  # the end of the call starts the clock
    (d3,) = await deadlines(sessions, case.id)
    assert (d3.rule_id, d3.started_at) == ("D3", at("2026-09-21 10:03"))
    with pytest.raises(CaseExists) as again:  # a second case from the same call: refused, naming the first
        await create_case_from_call(sessions, call_id, kind="repair", actor="8001", role="clerk",
                                    now=at("2026-09-21 10:06"))  # fmt: skip
    assert again.value.case_id == case.id
    sid = await station_id(sessions)
    moved = await transition(sessions, case.id, "assign", actor="8001", role="clerk", now=at("2026-09-21 10:10"),
                             data={"station_id": sid})  # fmt: skip
    assert moved.first_responder == "8002"  # kept when the case is passed on


async def test_two_clerks_opening_a_case_from_one_call_at_once_get_one_case(sessions) -> None:
    """Two submissions of the same call's case at the same instant (two clerks, a double click):
    one case; the other submission is refused naming it (PostgreSQL: both transactions saw no
    case before either wrote; the call's row is now locked first)."""
    call_id = await add_call(sessions, number=PHONE, started=at("2026-09-21 11:00"), answered_by="8002")
    tries = await asyncio.gather(*(create_case_from_call(sessions, call_id, kind=kind, actor="8001", role="clerk",
                                                         now=at("2026-09-21 11:05")) for kind in ("repair", "complaint")),
                                 return_exceptions=True)  # fmt: skip
    made = [t for t in tries if not isinstance(t, BaseException)]
    refused = [t for t in tries if isinstance(t, CaseExists)]
    assert len(made) == 1 and len(refused) == 1, tries
    assert refused[0].case_id == made[0].id
    assert await count(sessions, CaseCall) == 1


async def test_voicemail_case_counts_from_the_message(sessions) -> None:
    call_id = await add_call(sessions, number=PHONE, started=at("2026-09-20 22:00"), disposition="voicemail")
    case = await create_case_from_call(sessions, call_id, kind="complaint", actor="8001", role="clerk",
                                       now=at("2026-09-21 08:40"), accept=False)  # fmt: skip
    assert (case.source, case.first_responder, case.state) == ("voicemail", "8001", "draft")


async def test_repeat_call_is_linked_and_a_later_complaint_escalates(sessions) -> None:
    case = await assigned_case(sessions, at("2026-09-21 10:00"), caller_phone=PHONE)
    redial = await add_call(sessions, number=PHONE, started=at("2026-09-21 10:30"))
    await on_call_logged(sessions, redial, now=at("2026-09-21 10:34"))
    assert await count(sessions, CaseCall) == 1  # linked only: within two hours of acceptance
    assert await outbox(sessions, kind="escalation") == []
    later = await add_call(sessions, number="0" + PHONE, started=at("2026-09-22 09:00"))
    await on_call_logged(sessions, later, now=at("2026-09-22 09:04"))
    await on_call_logged(sessions, later, now=at("2026-09-22 09:05"))  # idempotent
    assert await count(sessions, CaseCall) == 2
    (note,) = await outbox(sessions, kind="escalation")
    assert (note.recipient_role, note.recipient, note.level) == ("office_head", "head-office1", 1)
    assert [d.rule_id for d in await deadlines(sessions, case.id)] == ["D5", "ESC"]


async def test_a_repeat_call_is_recognised_in_every_form_the_carrier_sends(sessions) -> None:
    """A landline case registered as 0951-5012345; the caller rings again and the trunk sends
    0086 951 5012345: the same caller, linked to the case (it was not: '00869515012345')."""
    await assigned_case(sessions, at("2026-09-21 10:00"), caller_phone="0951-5012345")
    again = await add_call(sessions, number="00869515012345", started=at("2026-09-21 10:30"))
    await on_call_logged(sessions, again, now=at("2026-09-21 10:34"))
    assert await count(sessions, CaseCall) == 1


async def test_concurrent_runs_for_the_same_call_link_once(sessions) -> None:
    await assigned_case(sessions, at("2026-09-21 10:00"), caller_phone=PHONE)
    call_id = await add_call(sessions, number=PHONE, started=at("2026-09-22 09:00"))
    await asyncio.gather(*(on_call_logged(sessions, call_id, now=at("2026-09-22 09:04")) for _ in range(3)))
    assert await count(sessions, CaseCall) == 1
    assert len(await outbox(sessions, kind="escalation")) == 1


async def test_unknown_number_abandoned_call_and_closed_case_do_nothing(sessions) -> None:
    await assigned_case(sessions, at("2026-09-21 10:00"), caller_phone=PHONE)
    for kw in ({"number": "13800000000"}, {"number": PHONE, "disposition": "abandoned"}):
        call_id = await add_call(sessions, started=at("2026-09-22 09:00"), **kw)  # type: ignore[arg-type]
        await on_call_logged(sessions, call_id, now=at("2026-09-22 09:04"))
    assert await count(sessions, CaseCall) == 0  # an abandoned call is a redial attempt: not linked
    assert await outbox(sessions, kind="escalation") == []


async def test_errors_are_swallowed_and_logged(
    sessions, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("database on fire")

    await on_call_logged(sessions, 12345, now=at("2026-09-22 09:04"))  # no such call: quietly nothing
    import callcenter.tickets.repeat as repeat

    monkeypatch.setattr(repeat, "_on_call", broken)
    with caplog.at_level(logging.ERROR):
        await on_call_logged(sessions, 1, now=at("2026-09-22 09:04"))
    assert "call 1 not linked" in caplog.text


async def test_only_calls_that_plausibly_concern_the_case_are_linked(sessions) -> None:
    """Issue 10 point 10: no clerk's callbacks, no busy/hang-up attempts, no pile of redials."""
    case = await assigned_case(sessions, at("2026-09-21 10:00"), caller_phone=PHONE)
    calls = [
        ("first", {"number": PHONE, "started": at("2026-09-21 10:40")}),  # linked
        ("redial 5 min later", {"number": PHONE, "started": at("2026-09-21 10:45")}),
        ("busy", {"number": PHONE, "started": at("2026-09-21 12:00"), "disposition": "busy"}),
        ("clerk's callback", {"number": "8001", "started": at("2026-09-21 13:00")}),
        ("an hour later", {"number": PHONE, "started": at("2026-09-21 14:00")}),  # linked
        ("before the case", {"number": PHONE, "started": at("2026-09-21 09:00")}),
    ]
    for _, kw in calls:
        call_id = await add_call(sessions, **kw)  # type: ignore[arg-type]
        await on_call_logged(sessions, call_id, now=at("2026-09-21 15:00"))
    async with sessions() as session:
        from sqlalchemy import select

        from callcenter.db.models import Call

        linked = (await session.scalars(select(Call.started_at).join(CaseCall, CaseCall.call_id == Call.id)
                                        .where(CaseCall.case_id == case.id).order_by(Call.started_at))).all()  # fmt: skip
    assert [t.astimezone(at("2026-01-01 00:00").tzinfo).strftime("%H:%M") for t in linked] == ["10:40", "14:00"]


async def test_a_clerk_unlinks_or_moves_a_call(sessions) -> None:
    from callcenter.audit import history
    from callcenter.tickets.errors import InvalidInput, NotFound
    from callcenter.tickets.repeat import move_call, unlink_call

    call_id = await add_call(sessions, number=PHONE, started=at("2026-09-21 10:00"))
    first = await create_case_from_call(sessions, call_id, kind="complaint", actor="8001", role="clerk",
                                        now=at("2026-09-21 10:05"))  # fmt: skip
    other = await assigned_case(sessions, at("2026-09-21 11:00"), caller_phone=PHONE)
    later = await add_call(sessions, number=PHONE, started=at("2026-09-21 12:00"))
    await on_call_logged(sessions, later, now=at("2026-09-21 12:05"))  # goes to the newest open case
    async with sessions() as session, session.begin():
        with pytest.raises(InvalidInput, match="opened from this call"):
            await unlink_call(session, first.id, call_id, actor="8001", now=at("2026-09-21 12:10"))
        await move_call(session, other.id, later, first.id, actor="8001", now=at("2026-09-21 12:10"),
                        reason="说的是第一件事")  # fmt: skip
    async with sessions() as session, session.begin():
        assert {(c.case_id, c.call_id) for c in (await session.scalars(
            __import__("sqlalchemy").select(CaseCall))).all()} == {(first.id, call_id), (first.id, later)}  # fmt: skip
        await unlink_call(session, first.id, later, actor="8001", now=at("2026-09-21 12:20"))
        with pytest.raises(NotFound):
            await unlink_call(session, first.id, later, actor="8001", now=at("2026-09-21 12:21"))
        trail = await history(session, "case", other.id)
    assert any(r.field == "linked_call" and r.reason == "说的是第一件事" for r in trail)
