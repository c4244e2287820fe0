"""Calls meet cases: opening a case from a call; repeat callers and second complaints."""

from __future__ import annotations

import asyncio
import logging

import pytest

from callcenter.tickets.cases import normalize_phone, transition
from callcenter.tickets.models import CaseCall
from callcenter.tickets.repeat import create_case_from_call, on_call_logged
from tests.tickets.conftest import at
from tests.tickets.helpers import add_call, assigned_case, count, deadlines, outbox, station_id

PHONE = "13912345678"


@pytest.mark.parametrize("raw, expected", [
    ("+86 139-1234-5678", "13912345678"), ("013912345678", "13912345678"), ("0951-6085708", "6085708"), ("6085708", "6085708"),
    ("anonymous", ""), ("", ""), ("123", ""),
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
    again = await create_case_from_call(sessions, call_id, kind="temperature", actor="8001", role="clerk",
                                        now=at("2026-09-21 10:06"))  # fmt: skip
    assert again.id == case.id
    sid = await station_id(sessions)
    moved = await transition(sessions, case.id, "assign", actor="8001", role="clerk", now=at("2026-09-21 10:10"),
                             data={"station_id": sid})  # fmt: skip
    assert moved.first_responder == "8002"  # kept when the case is passed on


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
    assert await count(sessions, CaseCall) == 1  # the abandoned call is linked, not a complaint
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
