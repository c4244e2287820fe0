"""Small builders shared by the DB-side tests of the tickets area."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter.db.models import Call
from callcenter.tickets.cases import NewCase, create_case, transition
from callcenter.tickets.directory import unit_by_code
from callcenter.tickets.models import Case, CaseDeadline, Outbox

Sessions = async_sessionmaker[AsyncSession]
CLERK = "8001"


async def station_id(sessions: Sessions, code: str = "hubin") -> int:
    async with sessions() as session:
        unit = await unit_by_code(session, code)
        assert unit is not None
        return unit.id


async def new_case(sessions: Sessions, now: dt.datetime, *, kind: str = "complaint", source: str = "phone",
                   accept: bool = True, **fields: Any) -> Case:  # fmt: skip
    fields.setdefault("caller_phone", "13900000001")
    fields.setdefault("compound", "湖滨小区")
    return await create_case(sessions, NewCase(kind=kind, source=source, **fields), actor=CLERK,
                             role="clerk", now=now, accept=accept)  # fmt: skip


async def assigned_case(sessions: Sessions, now: dt.datetime, **fields: Any) -> Case:
    case = await new_case(sessions, now, **fields)
    sid = await station_id(sessions)
    return await transition(sessions, case.id, "assign", actor=CLERK, role="clerk", now=now,
                            data={"station_id": sid})  # fmt: skip


async def deadlines(sessions: Sessions, case_id: int | None = None) -> list[CaseDeadline]:
    async with sessions() as session:
        stmt = select(CaseDeadline).order_by(CaseDeadline.id)
        if case_id is not None:
            stmt = stmt.where(CaseDeadline.case_id == case_id)
        return list((await session.scalars(stmt)).all())


async def outbox(sessions: Sessions, **where: Any) -> list[Outbox]:
    async with sessions() as session:
        stmt = select(Outbox).filter_by(**where).order_by(Outbox.id)
        return list((await session.scalars(stmt)).all())


async def count(sessions: Sessions, model: Any) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def add_call(sessions: Sessions, *, number: str, started: dt.datetime, disposition: str = "answered",
                   answered_by: str | None = "8002", linkedid: str | None = None) -> int:  # fmt: skip
    async with sessions() as session, session.begin():
        call = Call(linkedid=linkedid or f"lid-{started.timestamp()}-{number}", status="ended", source="live",
                    caller_number=number, caller_name="", dialed_number="6085708", started_at=started,
                    answered_at=started if disposition == "answered" else None,
                    ended_at=started + dt.timedelta(minutes=3), disposition=disposition,
                    answered_by=answered_by if disposition == "answered" else None, transferred_to=[],
                    incomplete=False, updated_at=started + dt.timedelta(minutes=3))  # fmt: skip
        session.add(call)
        await session.flush()
        return call.id
