"""Calls meet cases: opening a case from a call, and repeat callers (二次投诉).

:func:`on_call_logged` is called by the call log after a finished call is committed. A call
from a number with an open case is linked to that case. When the case is a complaint-like one
(complaint, supervision, repair, temperature) still unresolved — accepted, assigned, feedback
received, suspended, or resolved but not yet called back — and the caller reached a clerk or
left a message at least :data:`MIN_GAP` after the case was accepted, the call is a second
complaint: the case goes to the office head and the escalation clock starts. (A redial within
the gap is only linked: a dropped line is not a complaint.) The clerk can also flag a second
complaint by hand (``second_complaint`` transition).

Only calls that plausibly concern the case are linked (:func:`plausible`): a call the caller
made to the hotline (not a clerk's own callback to the user), that reached a clerk or left a
message (a busy line or a hang-up in the queue is a redial attempt), that started after the case
was opened and not within :data:`REDIAL_GAP` of the call linked before it. A clerk can unlink a
call or move it to another case (:func:`unlink_call`, :func:`move_call`; audited); the call the
case was opened from stays.

It is idempotent (a call already linked to a case is skipped; the unique ``(case, call)`` key
and the case's version guard two concurrent runs) and never raises: the call log must not
break because of it.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.db.models import Call
from callcenter.tickets.calendar_store import load_clockwork
from callcenter.tickets.cases import NewCase, create_in, link_call_in, normalize_phone, transition_in
from callcenter.tickets.errors import N_, CaseExists, InvalidInput, NotFound
from callcenter.audit import record_change
from callcenter.tickets.models import Case, CaseCall, Person
from callcenter.tickets.ruleset import RuleBook
from callcenter.tickets.workflow import OPEN_STATES, SYSTEM, UNRESOLVED

log = logging.getLogger(__name__)
MIN_GAP = dt.timedelta(hours=2)
REDIAL_GAP = dt.timedelta(minutes=30)
TALKED = ("answered", "voicemail")
COMPLAINT_KINDS = frozenset({"complaint", "supervision", "repair", "temperature"})
SECOND_STATES = UNRESOLVED | {"resolved"}


def is_second_complaint(case: Case, call: Call) -> bool:
    """Pure: whether ``call`` about ``case`` counts as 二次投诉 (see module docstring)."""
    if case.kind not in COMPLAINT_KINDS or case.state not in SECOND_STATES:
        return False
    if call.disposition not in ("answered", "voicemail"):
        return False
    accepted = case.accepted_at
    return accepted is not None and call.started_at - accepted >= MIN_GAP


def plausible(case: Case, call: Call, last_linked: dt.datetime | None, clerks: frozenset[str]) -> str | None:
    """Pure: why ``call`` does not concern ``case`` (``None``: link it). ``last_linked``: when the
    latest call already linked to the case started; ``clerks``: the clerks' extensions."""
    if call.caller_number.strip() in clerks or normalize_phone(call.dialed_number) == case.caller_phone:
        return "a clerk's own call (callback), not the caller's"
    if call.disposition not in TALKED:
        return f"{call.disposition or 'unfinished'}: a redial attempt, nobody talked"
    if call.started_at < case.created_at:
        return "made before the case was opened"
    if last_linked is not None and abs(call.started_at - last_linked) < REDIAL_GAP:
        return f"within {int(REDIAL_GAP.total_seconds() // 60)} minutes of the call linked before"
    return None


async def on_call_logged(
    sessions: async_sessionmaker[AsyncSession], call_id: int, *, now: dt.datetime | None = None,
    book: RuleBook | None = None,
) -> None:  # fmt: skip
    """Link a finished call to its caller's open case; flag a second complaint. Never raises."""
    try:
        async with sessions() as session, session.begin():
            await _on_call(session, call_id, now or dt.datetime.now(dt.UTC), book)
    except Exception:
        log.exception("repeat caller: call %s not linked (the call itself is logged)", call_id)


async def link_many(session: AsyncSession, calls: list[tuple[int, str]], *, now: dt.datetime | None = None) -> int:
    """:func:`link_in` for a batch of just-closed calls ``(call id, caller number)``: one
    query finds the numbers that have an open case; only those calls are looked at, each in
    its own savepoint. Returns how many calls had a candidate case."""
    numbers = {cid: normalize_phone(raw) for cid, raw in calls}
    wanted = {n for n in numbers.values() if n}
    if not wanted:
        return 0
    stmt = select(Case.caller_phone).where(Case.caller_phone.in_(wanted), Case.state.in_(OPEN_STATES)).distinct()
    with_cases = set((await session.scalars(stmt)).all())
    hits = [cid for cid, n in numbers.items() if n in with_cases]
    for call_id in hits:
        try:
            async with session.begin_nested():
                await link_in(session, call_id, now=now)
        except Exception:  # noqa: BLE001 - rolled back to the savepoint; the call stays logged
            log.exception("repeat caller: call %s not linked (the call itself is logged)", call_id)
    return len(hits)


async def link_in(session: AsyncSession, call_id: int, *, now: dt.datetime | None = None) -> None:
    """:func:`on_call_logged` inside the caller's transaction (the call log's writer runs it
    in a savepoint right after the call is closed, so it never waits for a write lock)."""
    await _on_call(session, call_id, now or dt.datetime.now(dt.UTC), None)


async def _on_call(session: AsyncSession, call_id: int, now: dt.datetime, book: RuleBook | None) -> None:
    call = await session.get(Call, call_id)
    if call is None or call.status != "ended":
        return
    number = normalize_phone(call.caller_number)
    if not number:
        return
    if await session.scalar(select(CaseCall.id).where(CaseCall.call_id == call_id).limit(1)) is not None:
        return  # already linked (this function ran before, or the case was opened from the call)
    case = await session.scalar(
        select(Case).where(Case.caller_phone == number, Case.state.in_(OPEN_STATES), Case.created_at <= now)
        .order_by(Case.id.desc()).limit(1)
    )  # fmt: skip
    if case is None:
        return
    last = await session.scalar(select(func.max(Call.started_at)).join(CaseCall, CaseCall.call_id == Call.id)
                                .where(CaseCall.case_id == case.id))  # fmt: skip
    clerks = frozenset(e for e in (await session.scalars(select(Person.login).where(Person.role.in_(
        ("clerk", "duty"))))).all() if e)  # fmt: skip
    why_not = plausible(case, call, last, clerks)
    if why_not:
        log.info("repeat caller: call %s (%s) not linked to case %d: %s", call.linkedid, number, case.id, why_not)
        return
    second = is_second_complaint(case, call)
    await link_call_in(session, case.id, call_id, actor=SYSTEM, now=now,
                       reason="second_complaint" if second else "repeat")  # fmt: skip
    log.info("repeat caller: call %s (%s) linked to case %d%s", call.linkedid, number, case.id,
             " as a second complaint" if second else "")  # fmt: skip
    if second:
        clockwork = await load_clockwork(session, book)
        await transition_in(session, case.id, "second_complaint", actor=SYSTEM, role=SYSTEM, now=now,
                            clockwork=clockwork, data={"call_id": call_id},
                            reason=f"二次投诉: repeat call {call.linkedid} while the case is unresolved")  # fmt: skip


async def create_case_from_call(
    sessions: async_sessionmaker[AsyncSession], call_id: int, *, kind: str, actor: str, role: str,
    now: dt.datetime, accept: bool = True, book: RuleBook | None = None, **fields: Any,
) -> Case:  # fmt: skip
    """Open a case from a call: the caller's number and name, the clock from the end of the call
    (the voicemail's time for a message), and the call's ``answered_by`` as 首问责任人 (the
    acting clerk when nobody answered). A call already opened as a case raises
    :class:`CaseExists` naming that case: handing the old case back as if it had just been
    created would hide from the clerk that the kind and the details they entered were not used."""
    async with sessions() as session, session.begin():
        # The call's row locked first (PostgreSQL; SQLite's writers are serialised already): two
        # submissions at once would both find no case below and both open one.
        call = await session.get(Call, call_id, with_for_update=True)
        if call is None:
            raise NotFound(f"no call #{call_id}")
        existing = await session.scalar(
            select(Case).join(CaseCall, CaseCall.case_id == Case.id)
            .where(CaseCall.call_id == call_id, CaseCall.reason == "first").limit(1)
        )  # fmt: skip
        if existing is not None:
            raise CaseExists(N_("call #%(call)s already has case #%(case)s (%(kind)s, %(state)s); nothing new was "
                                "created"), case_id=existing.id, call=call_id, case=existing.id, kind=existing.kind,
                             state=existing.state)  # fmt: skip
        voicemail = call.disposition == "voicemail"
        values: dict[str, Any] = {
            "kind": kind,
            "source": "voicemail" if voicemail else "phone",
            "caller_phone": normalize_phone(call.caller_number),
            "caller_name": call.caller_name or "",
            "received_at": call.ended_at or call.started_at,
            "first_responder": call.answered_by or actor,
        }
        values.update(fields)
        try:
            new = NewCase(**values)
        except TypeError as exc:
            raise InvalidInput(f"create_case_from_call: {exc}") from None
        clockwork = await load_clockwork(session, book)
        return await create_in(session, new, actor=actor, role=role, now=now, accept=accept,
                               call_id=call_id, clockwork=clockwork)  # fmt: skip


async def unlink_call(session: AsyncSession, case_id: int, call_id: int, *, actor: str, now: dt.datetime,
                      reason: str | None = None) -> None:  # fmt: skip
    """Take a linked call off a case (audited); the call the case was opened from stays."""
    link = await session.scalar(select(CaseCall).where(CaseCall.case_id == case_id, CaseCall.call_id == call_id))
    if link is None:
        raise NotFound(f"call #{call_id} is not linked to case #{case_id}")
    if link.reason == "first":
        raise InvalidInput(N_("call_id: the case was opened from this call; it stays linked"))
    result = await session.execute(delete(CaseCall).where(CaseCall.id == link.id))
    if result.rowcount != 1:  # type: ignore[attr-defined]  # someone else unlinked it meanwhile
        raise NotFound(f"call #{call_id} is not linked to case #{case_id}")
    await record_change(session, actor=actor, entity="case", entity_id=case_id,
                        changes={"linked_call": (call_id, None)}, reason=reason or "unlinked", at=now)  # fmt: skip


async def move_call(session: AsyncSession, case_id: int, call_id: int, to_case_id: int, *, actor: str,
                    now: dt.datetime, reason: str | None = None) -> None:  # fmt: skip
    """Move a linked call to another case of the same caller (audited on both cases)."""
    if to_case_id == case_id:
        raise InvalidInput(N_("to_case: another case"))
    target = await session.get(Case, to_case_id)
    if target is None:
        raise NotFound(f"no case #{to_case_id}")
    await unlink_call(session, case_id, call_id, actor=actor, now=now, reason=reason or f"moved to #{to_case_id}")
    await link_call_in(session, to_case_id, call_id, actor=actor, now=now, reason="manual")
    await record_change(session, actor=actor, entity="case", entity_id=to_case_id,
                        changes={"linked_call": (None, call_id)}, reason=reason or f"moved from #{case_id}", at=now)  # fmt: skip
