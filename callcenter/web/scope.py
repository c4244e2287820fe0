"""Who a panel user is to the case workflow, and which cases they may see.

A panel role maps to one workflow role (``supervisor`` is the 经营科科长, the workflow's
``department_head``); the administrator has none and only reads. A ``station`` account sees
and answers only the cases of its own station: :func:`case_scope` gives the station's unit id,
and every case query and case route applies it (:func:`visible`), not just the menu.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.tickets.models import Case, Unit
from callcenter.web.errors import NotFound
from callcenter.web.models import User
from callcenter.web.roles import Role

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
class Scope:
    """The cases a user may see: all (``station_id is None and not restricted``) or one station's."""

    restricted: bool = False
    station_id: int | None = None  # restricted and None: the account's station is unknown → nothing

    def clause(self) -> ColumnElement[bool]:
        """A WHERE clause on ``Case`` for this scope."""
        if not self.restricted:
            return true()
        if self.station_id is None:
            return false()
        return Case.station_id == self.station_id

    def sees(self, case: Case) -> bool:
        return not self.restricted or (self.station_id is not None and case.station_id == self.station_id)


async def case_scope(session: AsyncSession, user: User) -> Scope:
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
