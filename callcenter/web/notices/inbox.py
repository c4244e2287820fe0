"""Who reads which notice in the panel, and what each person has read.

Every notice (an ``outbox`` row) reaches the panel's inbox at its ``deliver_at``; the webhook
is an extra channel. A person's inbox holds:

* the notices **addressed to them** (``recipient`` = their account name: the person on duty,
  an office head or a clerk whose login is their account name);
* the notices **to their role**, within their part of the cases (:mod:`callcenter.web.scope`):
  a station account its station's notices to the station, an office head its office's notices
  to the office head, a clerk (专线员 / 值班人员) the hotline's notices, the department head
  (``supervisor``) and the manager theirs;
* a clerk also the duty notices with **nobody on the rota** (the rota has a gap); a duty notice
  with a named person is that person's alone.

Reading is per person (``notice_reads``, inserted ``ON CONFLICT DO NOTHING``: marking twice,
or from two tabs, is harmless).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, exists, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.tickets.models import NoticeRead, Outbox
from callcenter.tickets.notices import dialect_insert
from callcenter.web.auth.roles import Role
from callcenter.web.models import User
from callcenter.web.scope import Scope, outbox_clause

# The notice roles a panel role reads (besides what is addressed to the person).
ROLE_INBOX: dict[str, tuple[str, ...]] = {
    Role.CLERK: ("clerk", "receiving_department"),  # the hotline takes what another department forwards
    Role.STATION: ("station",),
    Role.OFFICE_HEAD: ("office_head",),
    Role.SUPERVISOR: ("department_head",),
    Role.MANAGER: ("manager",),
}


def inbox_clause(user: User, scope: Scope) -> ColumnElement[bool]:
    """The notices ``user`` may read (whatever their time)."""
    roles = ROLE_INBOX.get(user.role, ())
    parts: list[ColumnElement[bool]] = [Outbox.recipient == user.username]
    if roles:
        parts.append(and_(Outbox.recipient_role.in_(roles), outbox_clause(scope)))
    if user.role == Role.CLERK:
        parts.append(and_(Outbox.recipient_role == "duty", Outbox.recipient.is_(None)))
    return or_(*parts) if parts else false()


def _read_by(username: str) -> ColumnElement[bool]:
    return exists().where(NoticeRead.outbox_id == Outbox.id, NoticeRead.username == username)


async def list_inbox(session: AsyncSession, user: User, scope: Scope, *, now: dt.datetime, unread_only: bool = False,
                     case_id: int | None = None, before_id: int | None = None,
                     limit: int = 50) -> list[tuple[Outbox, bool]]:  # fmt: skip
    """``(notice, read)`` newest first: the delivered notices of the user's inbox."""
    read = _read_by(user.username)
    stmt = (select(Outbox, read).where(inbox_clause(user, scope), Outbox.deliver_at <= now)
            .order_by(Outbox.deliver_at.desc(), Outbox.id.desc()).limit(limit))  # fmt: skip
    if unread_only:
        stmt = stmt.where(~read)
    if case_id is not None:
        stmt = stmt.where(Outbox.case_id == case_id)
    if before_id is not None:
        stmt = stmt.where(Outbox.id < before_id)
    return [(row, bool(was_read)) for row, was_read in (await session.execute(stmt)).all()]


async def unread_count(session: AsyncSession, user: User, scope: Scope, now: dt.datetime) -> int:
    stmt = select(func.count()).select_from(Outbox).where(
        inbox_clause(user, scope), Outbox.deliver_at <= now, ~_read_by(user.username))
    return int(await session.scalar(stmt) or 0)


async def readable_ids(session: AsyncSession, user: User, scope: Scope, ids: Sequence[int],
                       now: dt.datetime) -> list[int]:  # fmt: skip
    """Which of ``ids`` are in the user's inbox now (others are "not found")."""
    if not ids:
        return []
    stmt = select(Outbox.id).where(Outbox.id.in_(list(ids)), inbox_clause(user, scope), Outbox.deliver_at <= now)
    return list((await session.scalars(stmt)).all())


async def mark_read(session: AsyncSession, username: str, ids: Sequence[int], now: dt.datetime) -> None:
    """Record that ``username`` read ``ids``; already read stays as it was (first reading kept)."""
    if not ids:
        return
    insert = dialect_insert(session)
    stmt = insert(NoticeRead).on_conflict_do_nothing(index_elements=["outbox_id", "username"])
    await session.execute(stmt, [{"outbox_id": i, "username": username, "read_at": now} for i in ids])
