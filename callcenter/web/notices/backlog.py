"""Are notices piling up undelivered? For ``callcenter check`` and the supervision page.

A notice is *delivered* when it is in the inbox of at least one active account
(:mod:`callcenter.web.notices.inbox`). It piles up when its time has come and:

* **nobody can read it** — no active account of its role and part (e.g. a station without a
  station account, a duty notice for a disabled account, the property office, which has none);
* or nobody **read** it for more than an hour;
* or, with a webhook configured, the webhook has not taken it for more than ten minutes.

And the duty rota: nobody on duty now means duty notices go to every clerk instead of a person.
Only the last ``WINDOW`` days are looked at.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from callcenter.tickets.duty import on_duty
from callcenter.tickets.models import Case, NoticeRead, Outbox, Unit
from callcenter.web.auth.roles import Role
from callcenter.web.models import User

WINDOW = dt.timedelta(days=7)
UNREAD_AFTER = dt.timedelta(hours=1)
WEBHOOK_AFTER = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class Backlog:
    no_reader: int  # due, and no active account can read it
    unread: int  # readable, but unread by anyone for more than UNREAD_AFTER
    webhook_pending: int | None  # None: no webhook configured
    nobody_on_duty: bool
    oldest: dt.datetime | None  # the oldest notice nobody can read

    @property
    def piling_up(self) -> bool:
        return bool(self.no_reader or self.unread or self.webhook_pending)

    def text_en(self) -> str:
        parts = [f"{self.no_reader} due notices nobody can read", f"{self.unread} unread for over an hour"]
        if self.webhook_pending is not None:
            parts.append(f"{self.webhook_pending} not taken by the webhook")
        if self.nobody_on_duty:
            parts.append("nobody on the duty rota now")
        return "; ".join(parts)


@dataclass(frozen=True)
class _Reader:
    username: str
    role: str
    station_code: str | None
    office_code: str | None


def _can_read(role: str, recipient: str | None, station: str | None, office: str | None,
              readers: list[_Reader]) -> bool:  # fmt: skip
    if recipient is not None and any(r.username == recipient for r in readers):
        return True
    if role == "duty":
        return recipient is None and any(r.role == Role.CLERK for r in readers)
    if role in ("clerk", "receiving_department"):
        return any(r.role == Role.CLERK for r in readers)
    if role == "station":
        return any(r.role == Role.STATION and (station is None or r.station_code == station) for r in readers)
    if role == "office_head":
        return any(r.role == Role.OFFICE_HEAD and (station is None or r.office_code == office) for r in readers)
    if role == "department_head":
        return any(r.role == Role.SUPERVISOR for r in readers)
    if role == "manager":
        return any(r.role == Role.MANAGER for r in readers)
    return False


async def backlog(session: AsyncSession, now: dt.datetime, *, webhook: bool) -> Backlog:
    users = (await session.execute(select(User.username, User.role, User.station_code, User.office_code)
                                   .where(User.active.is_(True)))).all()  # fmt: skip
    readers = [_Reader(*u) for u in users]
    station, office = aliased(Unit), aliased(Unit)
    read = exists().where(NoticeRead.outbox_id == Outbox.id)
    rows = (await session.execute(
        select(Outbox.recipient_role, Outbox.recipient, station.code, office.code, Outbox.deliver_at, read,
               Outbox.sent_at)
        .outerjoin(Case, Case.id == Outbox.case_id)
        .outerjoin(station, station.id == Case.station_id)
        .outerjoin(office, office.id == station.parent_id)
        .where(Outbox.deliver_at <= now, Outbox.deliver_at > now - WINDOW)
    )).all()  # fmt: skip
    no_reader = unread = pending = 0
    oldest: dt.datetime | None = None
    for role, recipient, station_code, office_code, deliver_at, was_read, sent_at in rows:
        if not _can_read(role, recipient, station_code, office_code, readers):
            no_reader += 1
            oldest = deliver_at if oldest is None else min(oldest, deliver_at)
        elif not was_read and deliver_at < now - UNREAD_AFTER:
            unread += 1
        if webhook and sent_at is None and deliver_at < now - WEBHOOK_AFTER:
            pending += 1
    return Backlog(no_reader, unread, pending if webhook else None, await on_duty(session, now) is None, oldest)
