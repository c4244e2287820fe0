"""Who a panel user is to the case workflow, and which cases they may see.

A panel role maps to one workflow role (``supervisor`` is the 经营科科长, the workflow's
``department_head``); the administrator has none and only reads. Two roles see part of the
cases, and every case query and case route applies it (:meth:`Scope.clause`, :func:`visible`;
a case out of scope is *not found*), not just the menu:

* a ``station`` account: the cases of its own station (``users.station_code``);
* an ``office_head`` account (所长): the cases of the stations under its heating management
  office (``users.office_code``), the cases whose office head is one of that office's heads
  (a case stays with the office head it was copied to, e.g. after its station moved), and the
  cases not assigned to any station yet (drafts and accepted cases: the shared intake, which the
  workflow lets an office head accept and assign). An office head assigns only to its own
  stations (:meth:`Scope.may_assign`). An office-head account without an office link (or with
  an unknown code) sees no case at all until the administrator links it: a missing link is a
  configuration error, and failing closed is what a station account without a station does too.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web
from sqlalchemy import ColumnElement, String, and_, cast, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from callcenter.tickets.models import AuditEntry, Case, Outbox, Person, Unit
from callcenter.web import keys
from callcenter.web.auth.session import current_user
from callcenter.web.errors import NotAuthenticated, NotFound
from callcenter.web.list_reads import Reader
from callcenter.web.models import User
from callcenter.web.auth.roles import Role

WORKFLOW_ROLE: dict[str, str] = {
    Role.CLERK: "clerk",
    Role.STATION: "station",
    Role.OFFICE_HEAD: "office_head",
    Role.SUPERVISOR: "department_head",
    Role.MANAGER: "manager",
}


def workflow_role(user: User) -> str | None:
    """The user's role in :mod:`callcenter.tickets.workflow` (None: may not act)."""
    return WORKFLOW_ROLE.get(user.role)


@dataclass(frozen=True)
class OfficeScope:
    """An office head's part: its office, the stations under it, the office's heads (people)."""

    office_id: int | None  # None: not linked (or an unknown code) → no case at all
    station_ids: frozenset[int] = frozenset()
    head_ids: frozenset[int] = frozenset()

    def clause(self) -> ColumnElement[bool]:
        if self.office_id is None:
            return false()
        return or_(Case.station_id.is_(None), Case.station_id.in_(sorted(self.station_ids)),
                   Case.office_head_id.in_(sorted(self.head_ids)))  # fmt: skip

    def sees(self, station_id: int | None, office_head_id: int | None) -> bool:
        if self.office_id is None:
            return False
        return station_id is None or station_id in self.station_ids or office_head_id in self.head_ids


@dataclass(frozen=True)
class Scope:
    """The cases a user may see: all (the default), one station's (``restricted``), or an
    office head's (``office``)."""

    restricted: bool = False
    station_id: int | None = None  # restricted and None: the account's station is unknown → nothing
    office: OfficeScope | None = None

    @property
    def limited(self) -> bool:
        """Sees only part of the cases (a station or an office head)."""
        return self.restricted or self.office is not None

    def clause(self) -> ColumnElement[bool]:
        """A WHERE clause on ``Case`` for this scope."""
        if self.office is not None:
            return self.office.clause()
        if not self.restricted:
            return true()
        if self.station_id is None:
            return false()
        return Case.station_id == self.station_id

    def sees(self, case: Case) -> bool:
        if self.office is not None:
            return self.office.sees(case.station_id, case.office_head_id)
        return not self.restricted or (self.station_id is not None and case.station_id == self.station_id)

    def may_assign(self, station_id: int | None) -> bool:
        """Whether a case may be given to ``station_id`` by this user (an office head: its own only)."""
        if self.office is None or station_id is None:
            return True
        return station_id in self.office.station_ids


async def office_scope(session: AsyncSession | AsyncConnection | Reader, user: User) -> OfficeScope:
    office = await session.scalar(
        select(Unit.id).where(Unit.code == (user.office_code or ""), Unit.kind == "office")
    )
    if office is None:
        return OfficeScope(None)
    stations = await session.scalars(select(Unit.id).where(Unit.parent_id == office, Unit.kind == "station"))
    heads = await session.scalars(select(Person.id).where(
        or_(and_(Person.unit_id == office, Person.role == "office_head"), Person.login == user.username)))  # fmt: skip
    return OfficeScope(office, frozenset(stations.all()), frozenset(heads.all()))


async def case_scope(session: AsyncSession | AsyncConnection | Reader, user: User) -> Scope:
    if user.role == Role.OFFICE_HEAD:
        return Scope(office=await office_scope(session, user))
    if user.role != Role.STATION:
        return Scope()
    unit = await session.scalar(
        select(Unit.id).where(Unit.code == (user.station_code or ""), Unit.kind == "station")
    )
    return Scope(restricted=True, station_id=unit)


def visible(scope: Scope, case: Case | None) -> Case:
    """The case if the scope may see it; otherwise "no such case" (its existence is not told)."""
    if case is None or not scope.sees(case):
        raise NotFound("no such case")
    return case


async def request_scope(request: web.Request) -> Scope:
    """The scope of the logged-in user of ``request``."""
    user = await current_user(request)
    if user is None:
        raise NotAuthenticated()
    async with request.app[keys.READS]() as db:
        return await case_scope(db, user)


def outbox_clause(scope: Scope) -> ColumnElement[bool]:
    """Notices about cases in scope (and those about no case: reports)."""
    if not scope.limited:
        return true()
    return or_(Outbox.case_id.is_(None), Outbox.case_id.in_(select(Case.id).where(scope.clause())))


def audit_clause(scope: Scope) -> ColumnElement[bool]:
    """Audit rows of cases in scope (and of every other kind of record)."""
    if not scope.limited:
        return true()
    ids = select(cast(Case.id, String)).where(scope.clause())
    return or_(AuditEntry.entity != "case", AuditEntry.entity_id.in_(ids))
