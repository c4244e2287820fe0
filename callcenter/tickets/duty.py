"""值班: the duty rota — who (a panel account) is on duty when; the addressee of duty notices.

The rule book's duty staff (值班人员, 24-hour duty in the heating season) get the reminders and
breaches of the urgent clocks at once, day or night. A notice "to the duty officer" is addressed
to the person whose shift covers the moment it is made (:func:`on_duty`); when nobody is on the
rota it goes to every hotline account and the supervision page and ``callcenter check`` say that
the rota has a gap. Shifts are added and removed by supervisors (audited); overlapping shifts
are allowed (a handover) and the one that started last wins.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.audit import record_change
from callcenter.tickets.errors import N_, InvalidInput, NotFound
from callcenter.tickets.models import DutyShift

MAX_SHIFT = dt.timedelta(days=31)


@dataclass(frozen=True)
class Shift:
    id: int
    username: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    note: str


def check_shift(username: str, starts_at: dt.datetime, ends_at: dt.datetime) -> None:
    """Refuse a shift that names nobody, ends before it starts or is longer than a month."""
    if not username.strip():
        raise InvalidInput(N_("username: name the person on duty"))
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise InvalidInput(N_("starts_at: times need a time zone"))
    if ends_at <= starts_at:
        raise InvalidInput(N_("ends_at: must be after starts_at"))
    if ends_at - starts_at > MAX_SHIFT:
        raise InvalidInput(N_("ends_at: a shift is at most 31 days"))


async def on_duty(session: AsyncSession, at: dt.datetime) -> str | None:
    """The username on duty at ``at`` (the covering shift that started last), or ``None``."""
    return await session.scalar(
        select(DutyShift.username).where(DutyShift.starts_at <= at, DutyShift.ends_at > at)
        .order_by(DutyShift.starts_at.desc(), DutyShift.id.desc()).limit(1)
    )  # fmt: skip


async def list_shifts(session: AsyncSession, *, since: dt.datetime, limit: int = 200) -> list[Shift]:
    """Shifts that end after ``since``, earliest first."""
    rows = await session.scalars(
        select(DutyShift).where(DutyShift.ends_at > since).order_by(DutyShift.starts_at, DutyShift.id).limit(limit)
    )
    return [Shift(r.id, r.username, r.starts_at, r.ends_at, r.note) for r in rows.all()]


async def add_shift(session: AsyncSession, username: str, starts_at: dt.datetime, ends_at: dt.datetime, *,
                    note: str = "", actor: str, now: dt.datetime) -> Shift:  # fmt: skip
    check_shift(username, starts_at, ends_at)
    row = DutyShift(username=username.strip(), starts_at=starts_at, ends_at=ends_at, note=note.strip(),
                    created_by=actor, created_at=now)  # fmt: skip
    session.add(row)
    await session.flush()
    await record_change(session, actor=actor, entity="duty_shift", entity_id=row.id,
                        changes={"username": (None, row.username), "starts_at": (None, starts_at.isoformat()),
                                 "ends_at": (None, ends_at.isoformat())}, reason=note or None, at=now)  # fmt: skip
    return Shift(row.id, row.username, row.starts_at, row.ends_at, row.note)


async def remove_shift(session: AsyncSession, shift_id: int, *, actor: str, now: dt.datetime) -> None:
    row = await session.get(DutyShift, shift_id)
    if row is None:
        raise NotFound(f"no duty shift {shift_id}")
    result = await session.execute(delete(DutyShift).where(DutyShift.id == shift_id))
    if result.rowcount != 1:  # type: ignore[attr-defined]  # removed meanwhile
        raise NotFound(f"no duty shift {shift_id}")
    await record_change(session, actor=actor, entity="duty_shift", entity_id=shift_id,
                        changes={"username": (row.username, None)}, reason="removed", at=now)  # fmt: skip


async def rota_gap(session: AsyncSession, now: dt.datetime) -> bool:
    """Nobody is on duty now."""
    return await on_duty(session, now) is None
