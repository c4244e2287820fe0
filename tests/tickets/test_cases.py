"""Cases in the database: the workflow with its clocks, history, audit and conflicts."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import select

from callcenter.audit import history, verify
from callcenter.tickets.cases import get_case, list_cases, transition, update_case
from callcenter.tickets.errors import Conflict, IllegalTransition, InvalidInput, NotFound
from callcenter.tickets.models import CaseEvent
from tests.tickets.conftest import at
from tests.tickets.helpers import CLERK, assigned_case, deadlines, new_case, outbox, station_id

UTC = dt.UTC


def clocks(rows: list) -> dict[str, tuple[str, dt.datetime]]:
    return {d.rule_id: (d.state, d.due_at.astimezone(at("2026-01-01 00:00").tzinfo)) for d in rows}


async def test_complaint_lifecycle_records_clocks_history_and_audit(sessions) -> None:
    t0 = at("2026-09-28 10:00")  # Monday
    case = await assigned_case(sessions, t0)
    assert case.state == "assigned" and case.first_responder == CLERK
    assert case.responsible_person_id is not None and case.office_head_id is not None  # from the directory
    assert clocks(await deadlines(sessions, case.id)) == {"D5": ("open", at("2026-09-30 17:30"))}
    notes = await outbox(sessions, case_id=case.id)
    assert [(n.kind, n.recipient_role, n.recipient) for n in notes] == [
        ("instruction", "station", "station-hubin"), ("copy", "office_head", "head-office1")]  # fmt: skip

    async def step(action: str, when: str, role: str = "clerk", **kw: object) -> None:
        await transition(sessions, case.id, action, actor="who-" + role, role=role, now=at(when), **kw)  # type: ignore[arg-type]

    await step("feedback", "2026-09-30 17:30", "station", reason="已更换阀门，室温恢复20度")  # exactly at the due moment: in time
    await step("resolve", "2026-10-08 09:00")
    await step("callback_satisfied", "2026-10-09 10:00", "station")
    await step("close", "2026-10-09 11:00")
    got = clocks(await deadlines(sessions, case.id))
    assert got == {"D5": ("met", at("2026-09-30 17:30")), "D8": ("met", at("2026-10-10 23:59:59"))}
    async with sessions() as session:
        detail = await get_case(session, case.id)
        audit_rows = await history(session, "case", case.id)
    assert [e.action for e in detail.events] == [
        "create", "accept", "assign", "feedback", "resolve", "callback_satisfied", "close"]  # fmt: skip
    assert all(e.actor and e.at for e in detail.events)
    states = [(r.before, r.after) for r in audit_rows if r.field == "state"]
    assert states[-1] == ('"called_back"', '"closed"')
    assert (await verify(sessions)).ok


async def test_illegal_transition_is_refused_and_changes_nothing(sessions) -> None:
    case = await new_case(sessions, at("2026-09-28 10:00"))
    with pytest.raises(IllegalTransition) as info:
        await transition(sessions, case.id, "resolve", actor=CLERK, role="clerk", now=at("2026-09-28 11:00"))
    assert info.value.permanent
    with pytest.raises(NotFound):
        await transition(sessions, 999, "accept", actor=CLERK, role="clerk", now=at("2026-09-28 11:00"))
    async with sessions() as session:
        assert (await get_case(session, case.id)).case.state == "accepted"


async def test_stale_version_and_concurrent_transitions_conflict(sessions) -> None:
    case = await new_case(sessions, at("2026-09-28 10:00"))
    sid = await station_id(sessions)
    with pytest.raises(Conflict) as info:
        await transition(sessions, case.id, "assign", actor=CLERK, role="clerk", now=at("2026-09-28 10:05"),
                         data={"station_id": sid}, expected_version=case.version - 1)  # fmt: skip
    assert info.value.permanent is False
    results = await asyncio.gather(*(
        transition(sessions, case.id, "assign", actor=f"c{i}", role="clerk", now=at("2026-09-28 10:05"),
                   data={"station_id": sid}, expected_version=case.version)
        for i in range(2)), return_exceptions=True)  # fmt: skip
    assert sorted(type(r).__name__ for r in results) == ["Case", "Conflict"]
    assert [d.rule_id for d in await deadlines(sessions, case.id)] == ["D5"]  # one clock, not two


async def test_suspension_pauses_the_clocks_and_resumption_gives_back_the_time(sessions) -> None:
    case = await assigned_case(sessions, at("2026-09-28 10:00"))  # D5 due Wed 30th 17:30
    with pytest.raises(InvalidInput, match="approved_by"):
        await transition(sessions, case.id, "suspend", actor=CLERK, role="clerk", now=at("2026-09-29 10:00"),
                         reason="demands cannot be met")  # fmt: skip
    await transition(sessions, case.id, "suspend", actor=CLERK, role="clerk", now=at("2026-09-29 10:00"),
                     reason="demands cannot be met", data={"approved_by": "供热办 张主任", "approval_ref": "2026-17"})  # fmt: skip
    (d5,) = await deadlines(sessions, case.id)
    assert (d5.state, d5.next_action_at) == ("paused", None)
    resumed = await transition(sessions, case.id, "resume", actor=CLERK, role="clerk", now=at("2026-09-30 10:00"),
                               reason="user lowered the demand")  # fmt: skip
    assert resumed.state == "assigned" and resumed.suspension_approved_by == "供热办 张主任"
    (d5,) = await deadlines(sessions, case.id)
    assert d5.state == "open" and d5.paused_seconds == 86400
    assert d5.due_at == at("2026-10-01 17:30")  # one day paused, one day more


async def test_unsatisfied_callback_reopens_with_a_new_feedback_clock(sessions) -> None:
    case = await assigned_case(sessions, at("2026-09-28 10:00"))
    for action, role, when in (("feedback", "station", "2026-09-29 10:00"), ("resolve", "clerk", "2026-09-29 11:00")):
        await transition(sessions, case.id, action, actor="x", role=role, now=at(when), reason="已上门处理，暖气恢复正常")
    case = await transition(sessions, case.id, "callback_unsatisfied", actor="x", role="station",
                            now=at("2026-09-30 09:00"), reason="室温15度")  # fmt: skip
    assert (case.state, case.reopen_count, case.resolved_at) == ("assigned", 1, None)
    rows = await deadlines(sessions, case.id)
    assert [(d.rule_id, d.state) for d in rows] == [("D5", "met"), ("D8", "met"), ("D5", "open")]
    assert rows[-1].due_at == at("2026-10-09 17:30")  # two working days after Sep 30: past the holiday


async def test_property_office_limit_overrides_d6_and_can_be_edited(sessions) -> None:
    limit = at("2026-09-29 12:00")
    case = await new_case(sessions, at("2026-09-28 10:00"), kind="supervision", source="property_office",
                          property_limit_at=limit)  # fmt: skip
    (d6,) = await deadlines(sessions, case.id)
    assert (d6.rule_id, d6.due_at, d6.overridden) == ("D6", limit, True)
    assert d6.warn_at == at("2026-09-29 08:30")
    await update_case(sessions, case.id, {"property_limit_at": at("2026-10-12 17:00")}, actor=CLERK,
                      now=at("2026-09-28 11:00"), reason="物业办延期")  # fmt: skip
    (d6,) = await deadlines(sessions, case.id)
    assert d6.due_at == at("2026-10-12 17:00")
    with pytest.raises(InvalidInput, match="first_responder"):
        await update_case(sessions, case.id, {"first_responder": None}, actor=CLERK, now=at("2026-09-28 11:00"))


async def test_difficult_supervision_case_under_d7_needs_sign_off(sessions) -> None:
    case = await new_case(sessions, at("2026-09-28 10:00"), kind="supervision", source="property_office",
                          difficult=True)  # fmt: skip
    assert [(d.rule_id, d.due_at) for d in await deadlines(sessions, case.id)] == [("D7", at("2026-10-08 17:30"))]
    sid = await station_id(sessions)
    with pytest.raises(IllegalTransition, match="sign-off"):
        await transition(sessions, case.id, "assign", actor=CLERK, role="clerk", now=at("2026-09-28 11:00"),
                         data={"station_id": sid})  # fmt: skip
    await transition(sessions, case.id, "sign_off", actor="manager", role="manager", now=at("2026-09-28 12:00"),
                     data={"opinion": "同意"})  # fmt: skip
    case = await transition(sessions, case.id, "assign", actor=CLERK, role="clerk", now=at("2026-09-28 13:00"),
                            data={"station_id": sid})  # fmt: skip
    assert case.manager_signed_by == "manager" and case.state == "assigned"


async def test_urgent_repair_gets_d2_d3_d4_and_handle_stops_them(sessions) -> None:
    case = await new_case(sessions, at("2026-09-28 21:00"), kind="repair", urgent=True, severity="major")
    got = {d.rule_id: d.due_at for d in await deadlines(sessions, case.id)}
    assert got == {"D2": at("2026-09-28 22:00"), "D3": at("2026-09-29 23:59:59"),
                   "D4.major": at("2026-09-29 08:30")}  # fmt: skip
    await transition(sessions, case.id, "handle", actor="s", role="station", now=at("2026-09-28 21:40"))
    assert {d.rule_id: d.state for d in await deadlines(sessions, case.id)} == {
        "D2": "met", "D3": "met", "D4.major": "met"}  # fmt: skip


async def test_department_case_runs_d1_from_its_receipt(sessions) -> None:
    case = await new_case(sessions, at("2026-09-28 10:00"), source="department", accept=False,
                          department_received_at=at("2026-09-28 09:20"))  # fmt: skip
    (d1,) = await deadlines(sessions, case.id)
    assert (d1.rule_id, d1.due_at) == ("D1", at("2026-09-28 09:50"))
    await transition(sessions, case.id, "accept", actor=CLERK, role="clerk", now=at("2026-09-28 10:05"))
    (d1, d5_none) = (await deadlines(sessions, case.id))[0], None
    assert d1.state == "late" and d1.stopped_at == at("2026-09-28 10:00")  # forwarded when the hotline got it
    assert d5_none is None


async def test_list_cases_filters(sessions) -> None:
    a = await assigned_case(sessions, at("2026-09-28 10:00"))
    b = await new_case(sessions, at("2026-09-28 11:00"), kind="application", caller_phone="0951-6085708")
    async with sessions() as session:
        assert [c.id for c in await list_cases(session)] == [b.id, a.id]
        assert [c.id for c in await list_cases(session, kind="application")] == [b.id]
        assert [c.id for c in await list_cases(session, phone="6085708")] == [b.id]
        assert [c.id for c in await list_cases(session, overdue_at=at("2026-10-01 09:00"))] == [a.id]
        assert [c.id for c in await list_cases(session, states=("assigned",))] == [a.id]
        assert await list_cases(session, before_id=a.id) == []
        events = (await session.scalars(select(CaseEvent).where(CaseEvent.case_id == b.id))).all()
    assert [e.action for e in events] == ["create", "accept"]


async def test_an_empty_feedback_leaves_the_case_and_its_clock_alone(sessions) -> None:
    """Issue 10 point 5: an empty 反馈 neither moves the case nor stops D5 as 按期."""
    case = await assigned_case(sessions, at("2026-09-28 10:00"))
    for reason in (None, "", "  。 "):
        with pytest.raises(InvalidInput, match="what was done and the result"):
            await transition(sessions, case.id, "feedback", actor="s", role="station",
                             now=at("2026-09-29 10:00"), reason=reason)  # fmt: skip
    assert clocks(await deadlines(sessions, case.id)) == {"D5": ("open", at("2026-09-30 17:30"))}
    async with sessions() as session:
        assert (await get_case(session, case.id)).case.state == "assigned"
