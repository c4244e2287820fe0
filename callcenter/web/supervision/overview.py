"""What supervisors watch: running deadlines overdue or due soon, by station and by person.

Read-only queries over the running clocks (``case_deadlines`` not stopped). "Overdue" is a
running clock past its due time now; "due soon" one that expires within ``SOON``. Counts are of
cases (a case with two late clocks is one late case). Each query takes the user's scope as a
WHERE clause on ``Case`` (an office head: its office's cases).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select, true
from sqlalchemy import case as when
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.tickets.models import Case, CaseDeadline

SOON = dt.timedelta(hours=24)
LIST_LIMIT = 100
ALL = true()  # every case; a user's scope passes its own clause (web/scope.py)


@dataclass(frozen=True)
class Tally:
    key: int | None  # station id or person id (None: not assigned yet)
    station_id: int | None
    running: int  # cases with a running clock
    overdue: int
    soon: int


@dataclass(frozen=True)
class LateClock:
    case_id: int
    kind: str
    state: str
    rule_id: str
    due_at: dt.datetime
    station_id: int | None
    person_id: int | None
    level: int

    def late_by(self, now: dt.datetime) -> dt.timedelta:
        return now - self.due_at


def _counts(now: dt.datetime) -> tuple[ColumnElement[int], ColumnElement[int], ColumnElement[int]]:
    d = CaseDeadline
    overdue = func.count(func.distinct(when(((d.state == "open") & (d.due_at < now), Case.id))))
    soon = func.count(func.distinct(when(((d.state == "open") & (d.due_at >= now) & (d.due_at < now + SOON), Case.id))))
    return func.count(func.distinct(Case.id)), overdue, soon


def _worst_first(t: Tally) -> tuple[int, int, int]:
    return (-t.overdue, -t.soon, t.key or 0)


async def by_station(session: AsyncSession, now: dt.datetime, where: ColumnElement[bool] = ALL) -> list[Tally]:
    running, overdue, soon = _counts(now)
    rows = await session.execute(
        select(Case.station_id, running, overdue, soon).join(CaseDeadline, CaseDeadline.case_id == Case.id)
        .where(CaseDeadline.stopped_at.is_(None), where).group_by(Case.station_id)
    )  # fmt: skip
    return sorted((Tally(s, s, r, o, n) for s, r, o, n in rows.all()), key=_worst_first)


async def by_person(session: AsyncSession, now: dt.datetime, where: ColumnElement[bool] = ALL) -> list[Tally]:
    running, overdue, soon = _counts(now)
    rows = await session.execute(
        select(Case.responsible_person_id, Case.station_id, running, overdue, soon)
        .join(CaseDeadline, CaseDeadline.case_id == Case.id)
        .where(CaseDeadline.stopped_at.is_(None), Case.responsible_person_id.is_not(None), where)
        .group_by(Case.responsible_person_id, Case.station_id)
    )  # fmt: skip
    return sorted((Tally(p, s, r, o, n) for p, s, r, o, n in rows.all()), key=_worst_first)


async def clocks(session: AsyncSession, now: dt.datetime, *, overdue: bool, limit: int = LIST_LIMIT,
                 where: ColumnElement[bool] = ALL) -> list[LateClock]:  # fmt: skip
    """Running clocks past due (most late first), or due within ``SOON`` (soonest first)."""
    d = CaseDeadline
    window = d.due_at < now if overdue else (d.due_at >= now) & (d.due_at < now + SOON)
    rows = await session.execute(
        select(d.case_id, Case.kind, Case.state, d.rule_id, d.due_at, Case.station_id, Case.responsible_person_id,
               d.level)
        .join(Case, Case.id == d.case_id)
        .where(d.stopped_at.is_(None), d.state == "open", window, where)
        .order_by(d.due_at, d.id).limit(limit)
    )  # fmt: skip
    return [LateClock(*row) for row in rows.all()]


@dataclass(frozen=True)
class Overview:
    """What the supervision page and its API show: overdue and due-soon by station and person,
    and the clocks themselves."""

    stations: list[Tally]
    persons: list[Tally]
    late: list[LateClock]
    soon: list[LateClock]


async def overview(session: AsyncSession, now: dt.datetime, where: ColumnElement[bool] = ALL) -> Overview:
    return Overview(
        await by_station(session, now, where), await by_person(session, now, where),
        await clocks(session, now, overdue=True, where=where), await clocks(session, now, overdue=False, where=where),
    )  # fmt: skip
