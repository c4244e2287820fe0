"""Cases in the database: create, transition, edit, link calls, list — short transactions.

The transition table is pure (:mod:`callcenter.tickets.workflow`); here it is applied: the
state moves with a conditional ``UPDATE cases … WHERE id = :id AND state = :from AND
version = :v`` (rowcount 1 or :class:`~callcenter.tickets.errors.Conflict`), the transition is
written to ``case_events`` (who, when, why), audited (:func:`callcenter.audit.record_change`),
and its events start/stop the deadline clocks (:mod:`callcenter.tickets.clocks`), all in one
transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter import phones
from callcenter.audit import record_change
from callcenter.tickets import notices, workflow
from callcenter.tickets.calendar_store import load_clockwork
from callcenter.tickets.clocks import Clockwork, apply_events, case_info, retime
from callcenter.tickets.directory import assignment_for
from callcenter.tickets.errors import N_, Conflict, InvalidInput, NotFound
from callcenter.tickets.models import Case, CaseCall, CaseDeadline, CaseEvent
from callcenter.tickets.ruleset import RuleBook

EDITABLE = frozenset({
    "category", "region", "severity", "urgent", "difficult", "caller_name", "caller_phone",
    "compound", "building", "unit_no", "room", "problem", "damage", "property_limit_at",
})  # fmt: skip
_NON_DIGIT = re.compile(r"\D+")


def normalize_phone(raw: str | None) -> str:
    """Digits only, without +86, Yinchuan's 0951 area code or a mobile's trunk 0; '' for
    anonymous or garbage: the number as the hotline's phones dial it (:attr:`phones.Phone.dialled`)
    for every form :func:`phones.parse` reads (``0086…``, ``+86 951 …``, an extension: 转 8012),
    else the digits with those prefixes taken off."""
    phone = phones.parse(raw)
    if phone is not None:
        return phone.dialled
    digits = _NON_DIGIT.sub("", raw or "")
    if digits.startswith("86") and len(digits) >= 13:
        digits = digits[2:]
    if digits.startswith("0951") and len(digits) == 11:
        digits = digits[4:]
    if digits.startswith("01") and len(digits) == 12:  # a mobile dialled with the trunk prefix
        digits = digits[1:]
    return digits if len(digits) >= 5 else ""


@dataclass
class NewCase:
    kind: str
    source: str
    caller_name: str = ""
    caller_phone: str = ""
    compound: str = ""
    building: str = ""
    unit_no: str = ""
    room: str = ""
    problem: str = ""
    damage: str = ""
    category: str = ""
    region: str = ""
    severity: str | None = None
    urgent: bool = False
    difficult: bool = False
    property_limit_at: dt.datetime | None = None
    received_at: dt.datetime | None = None  # default: now
    department_received_at: dt.datetime | None = None  # D1: another department got it first
    first_responder: str | None = None  # 首问责任人 (default: the creating actor)


@dataclass
class CaseDetail:
    case: Case
    deadlines: list[CaseDeadline] = field(default_factory=list)
    events: list[CaseEvent] = field(default_factory=list)
    calls: list[CaseCall] = field(default_factory=list)


def _validate(new: NewCase) -> None:
    if new.kind not in workflow.KINDS:
        raise InvalidInput(N_("kind: unknown kind %(value)r (one of %(kinds)s)"), value=new.kind, kinds=workflow.KINDS)
    if new.source not in workflow.SOURCES:
        raise InvalidInput(N_("source: unknown source %(value)r"), value=new.source)
    if new.severity is not None and new.severity not in workflow.SEVERITIES:
        raise InvalidInput(N_("severity: unknown severity %(value)r"), value=new.severity)
    new.caller_phone = normalize_phone(new.caller_phone) or new.caller_phone.strip()


async def create_case(
    sessions: async_sessionmaker[AsyncSession], new: NewCase, *, actor: str, role: str,
    now: dt.datetime, accept: bool = False, call_id: int | None = None, book: RuleBook | None = None,
) -> Case:  # fmt: skip
    """A new case (``draft``; ``accepted`` at once with ``accept``), optionally linked to a call."""
    _validate(new)
    async with sessions() as session, session.begin():
        clockwork = await load_clockwork(session, book)
        return await create_in(session, new, actor=actor, role=role, now=now, accept=accept,
                               call_id=call_id, clockwork=clockwork)  # fmt: skip


async def create_in(
    session: AsyncSession, new: NewCase, *, actor: str, role: str, now: dt.datetime, accept: bool,
    call_id: int | None, clockwork: Clockwork,
) -> Case:  # fmt: skip
    """:func:`create_case` inside the caller's transaction."""
    _validate(new)
    values = dataclasses.asdict(new)
    values["received_at"] = new.received_at or now
    values["first_responder"] = new.first_responder or actor
    case = Case(**values, state="draft", version=1, created_by=actor, created_at=now, updated_at=now,
                reopen_count=0, second_complaints=0, escalation_level=0)  # fmt: skip
    session.add(case)
    await session.flush()
    session.add(CaseEvent(case_id=case.id, action="create", from_state=None, to_state="draft",
                          actor=actor, role=role, at=now, data={"source": new.source}))  # fmt: skip
    await record_change(session, actor=actor, entity="case", entity_id=case.id,
                        changes={"state": (None, "draft")}, reason="created", at=now)  # fmt: skip
    if call_id is not None:
        session.add(CaseCall(case_id=case.id, call_id=call_id, reason="first", linked_at=now, linked_by=actor))
    if new.department_received_at is not None:
        times = {"received_by_department": new.department_received_at}
        await apply_events(session, case, ["received_by_department"], now, clockwork, times=times)
    if accept:
        case = await transition_in(session, case.id, "accept", actor=actor, role=role, now=now,
                                   clockwork=clockwork)  # fmt: skip
    return case


async def transition(
    sessions: async_sessionmaker[AsyncSession], case_id: int, action: str, *, actor: str, role: str,
    now: dt.datetime, reason: str | None = None, data: Mapping[str, Any] | None = None,
    expected_version: int | None = None, book: RuleBook | None = None,
) -> Case:  # fmt: skip
    """Perform ``action`` on the case as ``actor`` in ``role``; the updated case.

    Raises :class:`IllegalTransition`, :class:`Forbidden`, :class:`InvalidInput`,
    :class:`NotFound` (permanent) or :class:`Conflict` (not permanent: reload, retry)."""
    async with sessions() as session, session.begin():
        clockwork = await load_clockwork(session, book)
        return await transition_in(session, case_id, action, actor=actor, role=role, now=now,
                                   reason=reason, data=data, expected_version=expected_version,
                                   clockwork=clockwork)  # fmt: skip


def _stamps(action: str, step: workflow.Step, case: Case, actor: str, now: dt.datetime) -> dict[str, Any]:
    """Times and counters an action sets."""
    reopened = step.from_state in ("resolved", "called_back") and step.to_state == "assigned"
    out: dict[str, Any] = {}
    if reopened:
        out.update(resolved_at=None, handled_at=None, reopen_count=case.reopen_count + 1)
    stamp = {"accept": "accepted_at", "handle": "handled_at", "report_upward": "reported_upward_at",
             "resolve": "resolved_at", "answer": "resolved_at", "close": "closed_at",
             "callback_satisfied": "callback_at", "callback_unsatisfied": "callback_at"}  # fmt: skip
    if action in stamp:
        out[stamp[action]] = now
    if action == "feedback" and case.handled_at is None:
        out["handled_at"] = now
    if action == "sign_off":
        out.update(manager_signed_at=now, manager_signed_by=actor)
    if action == "second_complaint":
        out["second_complaints"] = case.second_complaints + 1
    return out


async def _load(session: AsyncSession, case_id: int) -> Case:
    case = await session.scalar(select(Case).where(Case.id == case_id).execution_options(populate_existing=True))
    if case is None:
        raise NotFound(f"no case #{case_id}", case_id=case_id)
    return case


async def transition_in(
    session: AsyncSession, case_id: int, action: str, *, actor: str, role: str, now: dt.datetime,
    clockwork: Clockwork, reason: str | None = None, data: Mapping[str, Any] | None = None,
    expected_version: int | None = None,
) -> Case:  # fmt: skip
    """:func:`transition` inside the caller's transaction."""
    case = await _load(session, case_id)
    if expected_version is not None and case.version != expected_version:
        raise Conflict(N_("case #%(case)s changed meanwhile (version %(version)s)"), case_id=case_id, case=case_id,
                       version=case.version)  # fmt: skip
    step = workflow.plan(case, action, role, data, reason, overdue=await is_overdue(session, case_id, now))
    updates = {**step.updates, **_stamps(action, step, case, actor, now)}
    if action in ("assign", "reassign"):
        updates = await _with_assignment(session, updates)
    before = {k: getattr(case, k) for k in updates}
    result = await session.execute(
        update(Case)
        .where(Case.id == case_id, Case.state == step.from_state, Case.version == case.version)
        .values(state=step.to_state, version=case.version + 1, updated_at=now, **updates)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(N_("case #%(case)s changed meanwhile; reload and try again"), case_id=case_id, case=case_id)
    case = await _load(session, case_id)
    event = CaseEvent(case_id=case_id, action=action, from_state=step.from_state, to_state=step.to_state,
                      actor=actor, role=role, at=now, reason=reason, data=_jsonable(data or {}))  # fmt: skip
    session.add(event)
    changes = {"state": (step.from_state, step.to_state), **{k: (before[k], updates[k]) for k in updates}}
    if step.from_state == step.to_state and all(before[k] == updates[k] for k in updates):
        changes = {"action": (None, action)}  # 催办 and the like change no field: still on the trail
    await record_change(session, actor=actor, entity="case", entity_id=case_id, changes=changes,
                        reason=reason or action, at=now)  # fmt: skip
    times = {"accepted": case.received_at, "forwarded_to_hotline": case.received_at} if action == "accept" else {}
    reopened = step.from_state in ("resolved", "called_back") and step.to_state == "assigned"
    events = (*step.events, "reopened") if reopened else step.events
    await apply_events(session, case, events, now, clockwork, times=times)
    if action in ("assign", "reassign"):
        await session.flush()
        await _instruct(session, case, event.id, now, clockwork)
    if action in ("chase", "escalate_manual"):
        await session.flush()
        await _chase(session, case, event.id, action, actor, reason, now, clockwork)
    return case


async def is_overdue(session: AsyncSession, case_id: int, now: dt.datetime) -> bool:
    """A clock of the case is running past its due time at ``now``."""
    found = await session.scalar(select(CaseDeadline.id).where(
        CaseDeadline.case_id == case_id, CaseDeadline.stopped_at.is_(None), CaseDeadline.state == "open",
        CaseDeadline.due_at < now).limit(1))  # fmt: skip
    return found is not None


async def _chase(session: AsyncSession, case: Case, event_id: int, action: str, actor: str, reason: str | None,
                 now: dt.datetime, clockwork: Clockwork) -> None:  # fmt: skip
    """催办: a notice to the responsible person (the station), at once; 手动逐级上报: to the next level."""
    info = await case_info(session, case)
    words = (reason or "").strip()
    if action == "chase":
        kind, level, roles = "chase", 0, ("station",)
        title = (f"{actor} 催办：{words or '已超期，请立即办理并反馈专线'}",
                 f"{actor} chases: {words or 'overdue, handle it and report back now'}")
    else:
        kind, level = "escalation", case.escalation_level
        roles = (workflow.ESCALATION_ROLES[level],)
        title = (f"{actor} 逐级上报：{words}", f"{actor} escalated: {words}")
    rows = notices.rows_for(key_prefix=f"c{case.id}:e{event_id}:{kind}", kind=kind, level=level, roles=roles,
                            case=info, deadline_id=None, title=title, due=None, now=now, book=clockwork.book,
                            calendar=clockwork.calendar, at_once=True)  # fmt: skip
    await notices.store(session, rows)


def _jsonable(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, dt.datetime | dt.date) else v for k, v in data.items()}


async def _with_assignment(session: AsyncSession, updates: dict[str, Any]) -> dict[str, Any]:
    """Fill the responsible person and office head from the directory when not given."""
    if "station_id" not in updates:
        return updates
    try:
        found = await assignment_for(session, int(updates["station_id"]))
    except LookupError as exc:
        raise InvalidInput(N_("station_id: %(why)s"), why=str(exc)) from None
    updates.setdefault("responsible_person_id", found.responsible_person_id)
    updates.setdefault("office_head_id", found.office_head_id)
    return updates


async def _instruct(session: AsyncSession, case: Case, event_id: int, now: dt.datetime, clockwork: Clockwork) -> None:
    """交办: the instruction to the station, a copy to its office head."""
    info = await case_info(session, case)
    title = ("请按期处理并反馈专线", "please handle and report back to the hotline")
    for kind, role in (("instruction", "station"), ("copy", "office_head")):
        rows = notices.rows_for(key_prefix=f"c{case.id}:e{event_id}:{kind}", kind=kind, level=0,
                                roles=(role,), case=info, deadline_id=None, title=title, due=None,
                                now=now, book=clockwork.book, calendar=clockwork.calendar)  # fmt: skip
        await notices.store(session, rows)


async def update_case(
    sessions: async_sessionmaker[AsyncSession], case_id: int, changes: Mapping[str, Any], *,
    actor: str, now: dt.datetime, reason: str | None = None, book: RuleBook | None = None,
) -> Case:  # fmt: skip
    """Edit case fields (audited). A new property-office limit retimes the running D6/D7 clock."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise InvalidInput(N_("%(field)s: not editable (editable: %(fields)s)"), field=sorted(unknown)[0],
                           fields=sorted(EDITABLE))  # fmt: skip
    async with sessions() as session, session.begin():
        case = await _load(session, case_id)
        if "caller_phone" in changes:
            changes = {**changes, "caller_phone": normalize_phone(changes["caller_phone"]) or changes["caller_phone"]}
        before = {k: getattr(case, k) for k in changes}
        for key, value in changes.items():
            setattr(case, key, value)
        case.version += 1
        case.updated_at = now
        await record_change(session, actor=actor, entity="case", entity_id=case_id,
                            changes={k: (before[k], changes[k]) for k in changes}, reason=reason, at=now)  # fmt: skip
        if "property_limit_at" in changes:
            clockwork = await load_clockwork(session, book)
            rows = await session.scalars(select(CaseDeadline).where(
                CaseDeadline.case_id == case_id, CaseDeadline.stopped_at.is_(None)))  # fmt: skip
            for row in rows.all():
                if row.rule_id in clockwork.book.rules and clockwork.book.rules[row.rule_id].case_limit_overrides:
                    retime(row, case.property_limit_at, clockwork)
    return case


async def link_call(
    sessions: async_sessionmaker[AsyncSession], case_id: int, call_id: int, *, actor: str,
    now: dt.datetime, reason: str = "manual",
) -> bool:  # fmt: skip
    """Link a call to a case; False if it already was (idempotent)."""
    async with sessions() as session, session.begin():
        return await link_call_in(session, case_id, call_id, actor=actor, now=now, reason=reason)


async def link_call_in(session: AsyncSession, case_id: int, call_id: int, *, actor: str, now: dt.datetime,
                       reason: str) -> bool:  # fmt: skip
    exists = await session.scalar(select(CaseCall.id).where(CaseCall.case_id == case_id, CaseCall.call_id == call_id))
    if exists is not None:
        return False
    session.add(CaseCall(case_id=case_id, call_id=call_id, reason=reason, linked_at=now, linked_by=actor))
    await session.flush()
    return True


async def get_case(session: AsyncSession, case_id: int) -> CaseDetail:
    """The case with its clocks, history and linked calls (for the panel)."""
    case = await _load(session, case_id)
    deadlines = (await session.scalars(
        select(CaseDeadline).where(CaseDeadline.case_id == case_id).order_by(CaseDeadline.id))).all()  # fmt: skip
    events = (await session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id))).all()  # fmt: skip
    calls = (await session.scalars(
        select(CaseCall).where(CaseCall.case_id == case_id).order_by(CaseCall.id))).all()  # fmt: skip
    return CaseDetail(case, list(deadlines), list(events), list(calls))


async def list_cases(
    session: AsyncSession, *, states: tuple[str, ...] | None = None, kind: str | None = None,
    station_id: int | None = None, phone: str | None = None, overdue_at: dt.datetime | None = None,
    escalated: bool | None = None, before_id: int | None = None, limit: int = 50,
) -> list[Case]:  # fmt: skip
    """Cases newest first, filtered; keyset-paged by ``before_id``. ``overdue_at``: only cases
    with a running clock past its due time at that moment."""
    stmt = select(Case).order_by(Case.id.desc()).limit(limit)
    if states:
        stmt = stmt.where(Case.state.in_(states))
    if kind:
        stmt = stmt.where(Case.kind == kind)
    if station_id is not None:
        stmt = stmt.where(Case.station_id == station_id)
    if phone:
        stmt = stmt.where(Case.caller_phone == phone)
    if escalated is not None:
        stmt = stmt.where(Case.escalation_level > 0 if escalated else Case.escalation_level == 0)
    if before_id is not None:
        stmt = stmt.where(Case.id < before_id)
    if overdue_at is not None:
        late = select(CaseDeadline.case_id).where(
            CaseDeadline.stopped_at.is_(None), CaseDeadline.state == "open", CaseDeadline.due_at < overdue_at
        )
        stmt = stmt.where(Case.id.in_(late))
    return list((await session.scalars(stmt)).all())
