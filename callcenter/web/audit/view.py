"""The audit trail for supervisors: any record's changes, recent changes, the chain's status.

Verifying the hash chain (:func:`callcenter.audit.verify`) reads every row, so its verdict is
kept for ``VERDICT_TTL`` (or until the chain grows) and recomputed on request ("verify now").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from callcenter import audit
from callcenter.tickets.models import AuditEntry, AuditHead

ENTITIES = ("case", "call", "user", "unit", "person", "calendar_day", "calendar_year", "setting", "extraction_table",
            "duty_shift")
VERDICT_TTL = dt.timedelta(minutes=5)
RECENT = 100


@dataclass(frozen=True)
class Checked:
    verdict: audit.Verdict
    at: dt.datetime
    head: tuple[int, str] | None


class VerdictCache:
    """The last verification of the chain, per app (several instances each keep their own)."""

    def __init__(self) -> None:
        self.last: Checked | None = None

    async def get(self, sessions: async_sessionmaker[AsyncSession], now: dt.datetime, *, fresh: bool = False) -> Checked:
        async with sessions() as session:
            row = (await session.execute(select(AuditHead.seq, AuditHead.hash))).one_or_none()
        head = (row.seq, row.hash) if row is not None else None
        last = self.last
        if fresh or last is None or last.head != head or now - last.at > VERDICT_TTL:
            last = self.last = Checked(await audit.verify(sessions), now, head)
        return last


def _keep(row: AuditEntry, f: Filters) -> bool:
    return ((f.since is None or row.at >= f.since) and (f.until is None or row.at < f.until)
            and (not f.actor or row.actor == f.actor) and (not f.action or row.reason == f.action))  # fmt: skip


def row_json(row: AuditEntry, at: str | None) -> dict[str, Any]:
    return {"seq": row.seq, "at": at, "actor": row.actor, "entity": row.entity, "entity_id": row.entity_id,
            "field": row.field, "before": audit.decoded(row.before), "after": audit.decoded(row.after),
            "reason": row.reason, "hash": row.hash}  # fmt: skip


@dataclass(frozen=True)
class Filters:
    """The audit page's filters: a period (UTC bounds), who, which action (reason code)."""

    since: dt.datetime | None = None
    until: dt.datetime | None = None  # exclusive
    actor: str | None = None
    action: str | None = None

    def clauses(self) -> list[ColumnElement[bool]]:
        out: list[ColumnElement[bool]] = []
        if self.since is not None:
            out.append(AuditEntry.at >= self.since)
        if self.until is not None:
            out.append(AuditEntry.at < self.until)
        if self.actor:
            out.append(AuditEntry.actor == self.actor)
        if self.action:
            out.append(AuditEntry.reason == self.action)
        return out


async def entries(session: AsyncSession, *, entity: str | None, entity_id: str | None, before: int | None,
                  limit: int = RECENT, where: ColumnElement[bool] | None = None,
                  filters: Filters | None = None) -> list[AuditEntry]:  # fmt: skip
    """One record's changes (oldest first), or the latest changes of all (newest first);
    ``where``: the reader's scope (web/scope.py ``audit_clause``) for the latest changes."""
    filters = filters or Filters()
    if entity and entity_id:
        rows = await audit.history(session, entity, entity_id)
        return [r for r in rows if _keep(r, filters)]
    stmt = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit).where(*filters.clauses())
    if where is not None:
        stmt = stmt.where(where)
    if entity:
        stmt = stmt.where(AuditEntry.entity == entity)
    if before is not None:
        stmt = stmt.where(AuditEntry.seq < before)
    return list((await session.scalars(stmt)).all())
