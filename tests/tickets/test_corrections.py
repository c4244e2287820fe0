"""Correcting an accepted case: versions, audit, who may, and the clocks following a new
classification (replayed from the case's history, exact due times)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from callcenter.audit import history, verify
from callcenter.tickets.calendar_store import load_clockwork
from callcenter.tickets.cases import get_case, transition
from callcenter.tickets.corrections import Correction, correct_in
from callcenter.tickets.errors import Conflict, Forbidden, IllegalTransition, InvalidInput
from callcenter.tickets.models import Case, CaseEvent
from callcenter.tickets.reclassify import replay
from callcenter.tickets.rulefile import load_rules
from callcenter.tickets.sweep import Sweeper
from tests.tickets.conftest import SHANGHAI, at
from tests.tickets.helpers import CLERK, Sessions, assigned_case, deadlines, new_case, outbox, station_id

T0 = "2026-09-28 10:00"  # a Monday


async def correct(sessions: Sessions, case_id: int, when: str, role: str = "clerk", version: int | None = None,
                  reason: str | None = None, **values: Any) -> Correction:  # fmt: skip
    async with sessions() as session, session.begin():
        if version is None:
            version = (await session.get(Case, case_id)).version  # type: ignore[union-attr]
        return await correct_in(session, case_id, values, expected_version=version, actor="who-" + role, role=role,
                                now=at(when), clockwork=await load_clockwork(session), reason=reason)  # fmt: skip


def running(rows: list[Any]) -> dict[str, tuple[str, dt.datetime]]:
    return {d.rule_id: (d.state, d.due_at.astimezone(SHANGHAI)) for d in rows if d.stopped_at is None}


def stopped(rows: list[Any]) -> dict[str, tuple[str, dt.datetime]]:
    return {d.rule_id: (d.state, d.stopped_at.astimezone(SHANGHAI)) for d in rows if d.stopped_at is not None}


async def test_a_complaint_corrected_to_a_major_repair_runs_the_repair_clocks_from_acceptance(sessions) -> None:
    case = await assigned_case(sessions, at(T0))  # D5 due Wed 30th 17:30
    done = await correct(sessions, case.id, "2026-09-28 12:00", kind="repair", severity="major",
                         caller_phone="0951-6085708", reason="burst pipe, not a complaint")  # fmt: skip
    assert done.case.version == case.version + 1 and done.case.kind == "repair"
    assert done.clocks is not None and (done.clocks.before, done.clocks.after) == (["D5"], ["D3", "D4.major"])
    rows = await deadlines(sessions, case.id)
    assert running(rows) == {"D3": ("open", at("2026-09-28 23:59:59")),  # same day, counted from 10:00
                             "D4.major": ("open", at("2026-09-29 08:30"))}  # not overnight  # fmt: skip
    assert stopped(rows) == {"D5": ("cancelled", at("2026-09-28 12:00"))}
    assert {d.started_at for d in rows if d.stopped_at is None} == {at(T0)}
    async with sessions() as session:
        audit = await history(session, "case", case.id)
        events = (await session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id))).all()
    mine = {r.field: (r.before, r.after) for r in audit if r.reason == "burst pipe, not a complaint"}
    assert mine == {"kind": ('"complaint"', '"repair"'), "severity": ("null", '"major"'),
                    "caller_phone": ('"13900000001"', '"6085708"'),
                    "deadlines": ('["D5"]', '["D3","D4.major"]')}  # fmt: skip
    assert [(e.action, e.from_state, e.to_state, e.actor) for e in events][-1] == ("edit", "assigned", "assigned",
                                                                                    "who-clerk")  # fmt: skip
    assert (await verify(sessions)).ok


async def test_a_smaller_repair_can_be_overdue_at_once_under_its_true_rule(sessions) -> None:
    case = await new_case(sessions, at(T0), kind="repair", severity="major")
    assert set(running(await deadlines(sessions, case.id))) == {"D3", "D4.major"}
    await correct(sessions, case.id, "2026-09-28 12:30", severity="minor", reason="only a dripping valve")
    rows = running(await deadlines(sessions, case.id))
    assert rows == {"D3": ("open", at("2026-09-28 23:59:59")), "D4.minor": ("open", at("2026-09-28 12:00"))}
    await Sweeper(sessions).run_once(at("2026-09-28 12:31"))  # the next sweep reports the breach
    (minor,) = [d for d in await deadlines(sessions, case.id) if d.rule_id == "D4.minor"]
    assert minor.breached_at == at("2026-09-28 12:31")
    assert {n.kind for n in await outbox(sessions, deadline_id=minor.id)} == {"breach"}


async def test_a_clock_whose_step_was_done_is_not_started_again(sessions) -> None:
    case = await new_case(sessions, at(T0), kind="repair", severity="medium")
    await transition(sessions, case.id, "handle", actor=CLERK, role="clerk", now=at("2026-09-28 11:00"))
    await correct(sessions, case.id, "2026-09-28 12:00", kind="temperature", reason="it was a measurement")
    rows = await deadlines(sessions, case.id)
    assert running(rows) == {} and stopped(rows) == {"D3": ("met", at("2026-09-28 11:00")),
                                                     "D4.medium": ("met", at("2026-09-28 11:00"))}  # fmt: skip


async def test_a_replayed_clock_of_a_suspended_case_is_paused_and_resumes_with_the_others(sessions) -> None:
    case = await assigned_case(sessions, at(T0))
    await transition(sessions, case.id, "suspend", actor=CLERK, role="clerk", now=at("2026-09-28 11:00"),
                     reason="demands", data={"approved_by": "供热办"})  # fmt: skip
    await correct(sessions, case.id, "2026-09-28 12:00", kind="repair", reason="a leak after all")
    (d3,) = [d for d in await deadlines(sessions, case.id) if d.rule_id == "D3"]
    assert (d3.state, d3.paused_at, d3.next_action_at) == ("paused", at("2026-09-28 11:00"), None)
    await transition(sessions, case.id, "resume", actor=CLERK, role="clerk", now=at("2026-09-28 13:00"),
                     reason="lowered the demand")  # fmt: skip
    assert running(await deadlines(sessions, case.id))["D3"] == ("open", at("2026-09-29 01:59:59"))  # +2 h paused


async def test_corrections_refused_change_nothing(sessions) -> None:
    case = await assigned_case(sessions, at(T0))
    with pytest.raises(InvalidInput, match="reason"):
        await correct(sessions, case.id, "2026-09-28 12:00", kind="repair")
    with pytest.raises(InvalidInput, match="首问责任人"):
        await correct(sessions, case.id, "2026-09-28 12:00", first_responder="8002")
    with pytest.raises(InvalidInput, match="not correctable"):
        await correct(sessions, case.id, "2026-09-28 12:00", state="closed")
    with pytest.raises(Conflict, match="nothing was saved") as info:
        await correct(sessions, case.id, "2026-09-28 12:00", version=case.version - 1, caller_name="王")
    assert info.value.permanent is False
    with pytest.raises(Forbidden):
        await correct(sessions, case.id, "2026-09-28 12:00", role="station", caller_name="王")
    with pytest.raises(Forbidden):
        await correct(sessions, case.id, "2026-09-28 12:00", role="manager", caller_name="王")
    draft = await new_case(sessions, at(T0), accept=False)
    with pytest.raises(IllegalTransition, match="draft inbox"):
        await correct(sessions, draft.id, "2026-09-28 12:00", caller_name="王")
    async with sessions() as session:
        again = (await get_case(session, case.id)).case
    assert (again.version, again.kind, again.caller_name) == (case.version, "complaint", "")
    assert set(running(await deadlines(sessions, case.id))) == {"D5"}


async def test_an_archived_case_is_read_only(sessions) -> None:
    case = await new_case(sessions, at(T0), kind="consultation")
    await transition(sessions, case.id, "answer", actor=CLERK, role="clerk", now=at("2026-09-28 10:10"), reason="ok")
    await transition(sessions, case.id, "close", actor=CLERK, role="clerk", now=at("2026-09-28 10:20"))
    with pytest.raises(IllegalTransition, match="archived"):
        await correct(sessions, case.id, "2026-09-28 12:00", caller_name="王")


async def test_a_new_station_is_the_workflows_reassign_under_the_same_reason(sessions) -> None:
    case = await assigned_case(sessions, at(T0))
    renyi = await station_id(sessions, "renyi")
    with pytest.raises(InvalidInput, match="reason"):
        await correct(sessions, case.id, "2026-09-28 11:00", station_id=renyi)
    with pytest.raises(Forbidden):  # the workflow does not let the department head reassign
        await correct(sessions, case.id, "2026-09-28 11:00", role="department_head", station_id=renyi, reason="x")
    done = await correct(sessions, case.id, "2026-09-28 11:00", station_id=renyi, room="502", reason="it is 仁义's")
    assert (done.reassigned, done.case.station_id, done.case.room, done.case.state) == (True, renyi, "502", "assigned")
    async with sessions() as session:
        events = (await session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id))).all()
        audit = await history(session, "case", case.id)
    assert [e.action for e in events][-1] == "reassign" and "edit" not in [e.action for e in events]
    assert {r.field for r in audit if r.reason == "it is 仁义's"} >= {"room", "station_id"}
    accepted = await new_case(sessions, at(T0))
    with pytest.raises(IllegalTransition, match="reassign"):  # not assigned yet: that is 交办, an action
        await correct(sessions, accepted.id, "2026-09-28 11:00", station_id=renyi, reason="x")


def test_replay_follows_the_workflows_events() -> None:
    book = load_rules()
    t = [at(f"2026-09-28 {h:02d}:00") for h in range(8, 20)]
    d8 = book.rule("D8")
    assert replay(d8, [("accepted", t[0]), ("resolved", t[1])]).started_at == t[1]  # type: ignore[union-attr]
    assert replay(d8, [("accepted", t[0]), ("resolved", t[1]), ("reopened", t[2])]) is None
    assert replay(d8, [("resolved", t[1]), ("callback_done", t[2])]) is None
    assert replay(d8, [("resolved", t[1]), ("closed", t[2])]) is None
    d5 = book.rule("D5")
    found = replay(d5, [("assigned", t[0]), ("suspended", t[1]), ("resumed", t[3]), ("suspended", t[4])])
    assert found is not None and (found.paused_seconds, found.paused_at) == (7200.0, t[4])
    again = replay(d5, [("assigned", t[0]), ("feedback_received", t[1]), ("assigned", t[2])])
    assert again is not None and again.started_at == t[2]  # reopened: a fresh window
